"""Client checks: rules on what a *client* sends, judged on real traffic by the validating proxy.

The suite judges a server; these judge the other side of the same contract. A server cannot
break them, so no suite test raises them: ``supersim-conformance proxy`` does, on each request
that passes through it (``conformance.proxy.requests``), and reports them as the client's
violations beside the server's.

``PARAMETER_REQUIREMENTS`` says, per operation and parameter, which catalogued requirement
defines the parameter's values, so a client's ``PageSize=0`` is reported on SIM-PAGE-003 and its
``Status=deleted`` on SIM-UPDATE-003: the same requirement the suite's server-side check names.
"""

from __future__ import annotations

from conformance.checks import scenario_check as _c

#: (operation, parameter) -> the requirement that defines what the parameter may hold.
PARAMETER_REQUIREMENTS: dict[tuple[str, str], str] = {
    ("ListSim", "PageSize"): "SIM-PAGE-003",
    ("ListSim", "Page"): "SIM-PAGE-004",
    ("ListSim", "PageToken"): "SIM-PAGE-006",
    ("ListSim", "Status"): "SIM-FILTER-002",
    ("ListSim", "Fleet"): "SIM-FILTER-003",
    ("ListSim", "Iccid"): "SIM-FILTER-005",
    ("CreateSim", "Iccid"): "SIM-CREATE-002",
    ("CreateSim", "RegistrationCode"): "SIM-CREATE-003",
    ("UpdateSim", "UniqueName"): "SIM-PROP-003",
    ("UpdateSim", "Status"): "SIM-UPDATE-003",
    ("UpdateSim", "Fleet"): "SIM-UPDATE-004",
    ("UpdateSim", "CallbackUrl"): "SIM-UPDATE-006",
    ("UpdateSim", "CallbackMethod"): "SIM-UPDATE-007",
    ("UpdateSim", "AccountSid"): "SIM-MOVE-002",
}

FORM_BODY = _c(
    "CLIENT-FORM-BODY",
    requirements=["SIM-REQ-001"],
    title="A client sends a request body form-encoded (application/x-www-form-urlencoded, valid UTF-8), never JSON",
)
PARAM_NAMES = _c(
    "CLIENT-PARAM-NAMES",
    requirements=["SIM-REQ-003"],
    title="A client names each parameter once, as the contract spells it (no wrong casing, no unknown name)",
)
PARAM_VALUES = _c(
    "CLIENT-PARAM-VALUES",
    requirements=sorted(set(PARAMETER_REQUIREMENTS.values())),
    title="A client sends every required parameter, and each value within its documented type, enum and range",
)
