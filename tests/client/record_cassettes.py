"""Regenerate the canonical cassettes: ``python -m tests.client.record_cassettes [--out DIR] [NAME...]``.

Runs every twilio-python scenario (tests/client/scenarios.py) live against a reference mock on a
loopback port and records each into ``cassettes/<scenario>.yaml`` (vcrpy), replacing the old file.
Run it from the repository root after changing the mock or a scenario; ``tests/test_cassettes.py``
fails while the committed cassettes differ from a fresh recording.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.cassettes import load_interactions

from .harness import CASSETTES, record_all
from .scenarios import SCENARIOS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.client.record_cassettes", description=__doc__.split("\n")[0])
    parser.add_argument("--out", metavar="DIR", default=str(CASSETTES), help=f"default: {CASSETTES}")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"scenarios to record (default: all {len(SCENARIOS)})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    written = record_all(Path(args.out), args.names or None)
    total = 0
    for path in written:
        count = len(load_interactions(path))
        total += count
        print(f"{path.name}: {count} interactions")
    print(f"{len(written)} cassettes, {total} interactions in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
