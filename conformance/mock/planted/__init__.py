"""The planted faults by area, each module one owner's table (see :mod:`conformance.mock.faults`).

``faults.PLANTED`` is the concatenation of these tables; every entry is a
:class:`~conformance.mock.planted.model.Fault`. The modules here hold data only: the behaviour
of a fault lives in the mock module its ``acts_in`` names (``"name" in faults``), and the
table's tests (``tests/mock/test_mock_fault_table.py``) look for it there, not here.

- :mod:`.first` — the first faults, planted before the mutation analysis;
- :mod:`.values` — values written and read back, timestamps, addressing by SID and by name;
- :mod:`.pages` — list pages, their links, paging and filters, account scope of lists;
- :mod:`.callbacks` — asynchronous updates and their callbacks;
- :mod:`.rules` — properties, registration, transitions, moves, errors, authentication, encoding.
"""
