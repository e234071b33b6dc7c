"""twilio-python regression scenarios: live against the reference mock, and offline from cassettes/."""
