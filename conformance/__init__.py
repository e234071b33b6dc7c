"""supersim-conformance: the contract kit for the Twilio Super SIM Sim resource."""

__version__ = "0.1.0"
