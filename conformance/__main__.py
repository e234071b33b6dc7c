"""`python -m conformance` is the same as the `supersim-conformance` command."""

from conformance.cli import main

raise SystemExit(main())
