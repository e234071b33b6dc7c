"""The ``supersim-conformance`` command: a thin layer of argument parsing over the kit's modules.

Exit codes are public interface (CI scripts depend on them):
0 success / valid, 1 a contract violation was found, 2 usage or input error (one line,
never a traceback), 3 target unreachable or credentials rejected.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeAlias

from conformance import (  # noqa: F401 (EXIT_UNREACHABLE: re-exported, documented in the module docstring)
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    __version__,
    contract,
)
from conformance.plugin import non_negative_float

EXIT_VIOLATION = EXIT_FAILED  # the name this module used first


#: argparse's sub-parser collection (what ``add_subparsers`` returns).
_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


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

    _add_serve(commands)
    _add_run(commands)
    _add_record(commands)
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, got {text}")
    return value


def _add_serve(commands: _Commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="start the reference mock of the Sim resource",
        description="Start the stateful reference mock (uvicorn + Starlette). Ctrl-C stops it.",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8080, help="0 picks a free port (default 8080)")
    serve.add_argument("--profile", metavar="FILE", help="target profile (TOML); default: the built-in profile")
    serve.add_argument("--write-profile", metavar="FILE", help="write the profile being served to FILE")
    serve.add_argument(
        "--async-delay",
        metavar="S",
        type=non_negative_float,
        default=0.2,
        help="seconds an asynchronous update stays scheduled (default 0.2)",
    )
    serve.add_argument("--strict", action="store_true", help="answer 400 to unknown parameters")
    serve.add_argument(
        "--fault",
        metavar="NAME",
        action="append",
        default=[],
        help="plant a named fault (for testing checkers); repeatable; see docs/mock.md",
    )
    serve.add_argument(
        "--variation",
        metavar="NAME",
        action="append",
        default=[],
        help="add a benign variation (a correct server's harmless difference); repeatable; see docs/mock.md",
    )
    serve.set_defaults(handler=_cmd_serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    from conformance.mock.faults import UnknownFaultError
    from conformance.mock.server import serve
    from conformance.mock.variations import UnknownVariationError
    from conformance.profile import ProfileError

    try:
        return serve(
            host=args.host,
            port=args.port,
            profile_path=args.profile,
            write_profile_path=args.write_profile,
            async_delay=args.async_delay,
            strict=args.strict,
            faults=args.fault,
            variations=args.variation,
        )
    except (ProfileError, UnknownFaultError, UnknownVariationError) as error:
        raise UsageError(str(error)) from None
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None


def _add_run(commands: _Commands) -> None:
    from conformance.plugin import RUN_OPTIONS

    run = commands.add_parser(
        "run",
        help="run the conformance suite (default: against the embedded reference mock)",
        description="Run every check of the Sim contract against a target and write reports. "
        "Exit 0 all passed, 1 a check failed, 2 usage error, 3 target unreachable or credentials "
        "rejected, 4 no check failed but some could not be judged (an error of the kit itself).",
    )
    for option in RUN_OPTIONS:  # the plugin's table: the same options as --supersim-… in a pytest session
        if option.cli:
            run.add_argument(option.cli, dest=option.name, **option.argparse_kwargs())
    run.set_defaults(handler=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from conformance.plugin import RunConfig
    from conformance.run.runner import run

    return run(RunConfig.from_namespace(args))


def _add_record(commands: _Commands) -> None:
    record = commands.add_parser(
        "record",
        help="run the suite and save its interactions as vcrpy cassettes (replay: run --target cassette:DIR)",
        description="Run the hand-written suite against a target and write one vcrpy cassette per suite module "
        "to DIR, host normalised to https://supersim.twilio.com, no credentials, ICCIDs and SIDs "
        "replaced by placeholders unless --keep-pii. Exit codes as for run.",
    )
    record.add_argument("--target", metavar="URL", help="base URL of the server to record (default: embedded mock)")
    record.add_argument("--profile", metavar="FILE", help="target profile (TOML); required with --target")
    record.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="directory for the cassettes (new, empty, or an earlier recording to replace)",
    )
    record.add_argument(
        "--suite",
        choices=["read-only", "full"],
        default="read-only",
        help="read-only (default) sends no state-changing request",
    )
    record.add_argument(
        "--keep-pii", action="store_true", help="keep ICCIDs and SIDs as they are (default: consistent placeholders)"
    )
    record.add_argument(
        "--report-dir", metavar="DIR", help="where to write the run's reports (default reports/<timestamp>)"
    )
    record.add_argument(
        "--timeout", metavar="S", type=non_negative_float, help="per-request timeout in seconds (default 10)"
    )
    record.add_argument(
        "--rate", metavar="RPS", type=non_negative_float, help="max requests per second (live default 5)"
    )
    record.add_argument("--no-progress", action="store_true", help="no progress lines")
    record.set_defaults(handler=_cmd_record)


def _cmd_record(args: argparse.Namespace) -> int:
    from conformance.cassettes.record import RecordOptions, record

    return record(
        RecordOptions(
            out=args.out,
            target=args.target,
            profile=args.profile,
            suite=args.suite,
            keep_pii=args.keep_pii,
            report_dir=args.report_dir,
            timeout=args.timeout,
            rate=args.rate,
            progress=not args.no_progress,
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.handler(args)
        return code
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
        print(f'{"":<{width}}  {"":<6}  [{entry["section"]}] "{quote}"')
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
