"""Registry of the sub-commands that other parts of the kit add to the CLI.

Each registrar takes argparse's sub-parsers object and adds one command whose
``handler`` returns an exit code. Keeping the list here keeps ``cli.py`` free of
imports of the mock, the runner and the recorder until they are needed.
"""

from __future__ import annotations

from typing import Callable

REGISTRARS: list[Callable] = []
