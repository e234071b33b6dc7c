"""The ``supersim-conformance`` command: a thin layer of argument parsing over the kit's modules.

Exit codes are public interface (CI scripts depend on them):
0 success / valid, 1 a contract violation was found, 2 usage or input error (one line,
never a traceback), 3 target unreachable or credentials rejected.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from conformance import __version__, contract

EXIT_OK = 0
EXIT_VIOLATION = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3


class UsageError(Exception):
    """A problem with what the user gave us; printed as one line, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="supersim-conformance",
        description="Contract test kit for the Twilio Super SIM Sim resource (/v1/Sims).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    requirements = commands.add_parser(
        "requirements",
        help="list every requirement of the contract with the documentation it comes from",
        description="List the requirement catalog (schemas/requirements.yaml).",
    )
    requirements.add_argument("--format", choices=["table", "json"], default="table")
    requirements.add_argument("--level", choices=["MUST", "SHOULD", "MAY"], help="only this level")
    requirements.set_defaults(handler=_cmd_requirements)

    validate = commands.add_parser(
        "validate",
        help="validate a JSON document (a Sim, a list page, a callback payload, an error body)",
        description="Validate a JSON file against the contract. Exit 0 valid, 1 invalid, 2 unreadable.",
    )
    validate.add_argument("--as", dest="kind", required=True, choices=list(contract.SCHEMA_FILES))
    validate.add_argument("file", metavar="FILE", help="a JSON file, or - for standard input")
    validate.set_defaults(handler=_cmd_validate)

    for register in _extra_commands():
        register(commands)
    return parser


def _extra_commands():
    """Sub-commands contributed by the other parts of the kit (mock, runner, recorder)."""
    from conformance import cli_commands

    return cli_commands.REGISTRARS


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except UsageError as error:
        print(f"supersim-conformance {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _cmd_requirements(args: argparse.Namespace) -> int:
    entries = contract.load_catalog()
    if args.level:
        entries = [e for e in entries if e["level"] == args.level]
    if args.format == "json":
        json.dump(entries, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return EXIT_OK
    width = max(len(e["id"]) for e in entries) if entries else 2
    for entry in entries:
        flag = "" if entry.get("testable", True) else "  (not black-box testable)"
        print(f"{entry['id']:<{width}}  {entry['level']:<6}  {entry['title']}{flag}")
        quote = entry.get("quote") or entry.get("reference", "")
        print(f"{'':<{width}}  {'':<6}  [{entry['section']}] \"{quote}\"")
    counts = {level: sum(1 for e in entries if e["level"] == level) for level in ("MUST", "SHOULD", "MAY")}
    print(f"\n{len(entries)} requirements: " + ", ".join(f"{n} {level}" for level, n in counts.items()))
    return EXIT_OK


def read_json_file(name: str) -> Any:
    """Read JSON from a file or ``-`` (stdin); raise UsageError with one line on any problem."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such file: {name}") from None
    except IsADirectoryError:
        raise UsageError(f"{name} is a directory, not a JSON file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {name}: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{name} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


def _cmd_validate(args: argparse.Namespace) -> int:
    document = read_json_file(args.file)
    errors = contract.validate(args.kind, document)
    if not errors:
        print(f"{args.file}: valid {args.kind}")
        return EXIT_OK
    print(f"{args.file}: {len(errors)} violation(s) of the {args.kind} schema")
    for error in errors:
        print(f"  {error}")
    return EXIT_VIOLATION
