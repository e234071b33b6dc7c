"""The ``supersim-conformance`` command: a thin layer of argument parsing over the kit's modules.

Exit codes are public interface (CI scripts depend on them):
0 success / valid, 1 a contract violation was found, 2 usage or input error (one line,
never a traceback), 3 target unreachable or credentials rejected, 4 no check failed but some
could not be judged (an error of the kit itself).

A reader that closes standard output early (``supersim-conformance requirements | head -1``)
silences the rest of the output; the command still finishes and exits with its own code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, TextIO, TypeAlias, cast
from urllib.parse import parse_qsl

from conformance import (  # noqa: F401 (EXIT_UNREACHABLE: re-exported, documented in the module docstring)
    CASSETTE_SCHEME,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    __version__,
    contract,
    is_cassette_target,
)
from conformance.plugin import non_negative_float
from conformance.profile.model import ENV_NAME

EXIT_VIOLATION = EXIT_FAILED  # the name this module used first


#: argparse's sub-parser collection (what ``add_subparsers`` returns).
_Commands: TypeAlias = "argparse._SubParsersAction[CommandParser]"


class UsageError(Exception):
    """A problem with what the user gave us; printed as one line, exit 2."""


#: How ``run --help`` and the README state the exit codes of ``run`` (a test keeps them equal).
RUN_EXIT_CODES = (
    "0 no MUST requirement broken",
    "1 a check failed",
    "2 usage or configuration error",
    "3 target unreachable or credentials rejected",
    "4 no check failed but some could not be judged",
)
#: Width the hand-wrapped help texts are wrapped to.
HELP_WIDTH = 78


class CommandParser(argparse.ArgumentParser):
    """The parser of one command: an unknown argument is reported with *this* command's usage.

    argparse hands a sub-command's unknown arguments back to the top-level parser, which then
    printed its own usage (``supersim-conformance [-h] [--version] COMMAND ...``) for
    ``supersim-conformance run --bogus``. ``epilog_factory`` computes the epilog only when
    help is shown (the names of the mock's faults cost the mock's imports).
    """

    def __init__(self, *args: Any, epilog_factory: Callable[[], str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.epilog_factory = epilog_factory

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    def format_help(self) -> str:
        if self.epilog_factory is not None:
            self.epilog = self.epilog_factory()
        return super().format_help()


def _paragraphs(*texts: str) -> str:
    """Help text wrapped by hand (the commands with an epilog keep their line breaks)."""
    return "\n\n".join(
        textwrap.fill(text, HELP_WIDTH, break_on_hyphens=False, break_long_words=False) for text in texts
    )


def _names_epilog() -> str:
    """The names ``--fault`` and ``--variation`` accept, compactly."""
    from conformance.mock.faults import FAULTS
    from conformance.mock.variations import VARIATIONS

    return _paragraphs(
        f"faults (--fault NAME, each breaks one documented rule): {', '.join(FAULTS)}",
        f"variations (--variation NAME, each a difference a correct server may have): {', '.join(VARIATIONS)}",
    )


def _run_epilog() -> str:
    return _paragraphs(f"exit status: {', '.join(RUN_EXIT_CODES)} (an error of the kit itself)") + (
        "\n\n" + _names_epilog()
    )


def _serve_epilog() -> str:
    return (
        _paragraphs(
            "--write-profile FILE writes the target profile (TOML) the mock serves: the accounts with their "
            "auth tokens, fleets, registrable SIM cards and SIMs; give it to `run --target URL --profile FILE`. "
            'Its format: the README\'s section "Target profile", or `python -m pydoc conformance.profile`.',
            "A conformance run's generated phase sends malformed HTTP on purpose: uvicorn refuses those with 400 "
            "before they reach the mock, and the mock counts them and prints one line when it stops instead of "
            "a warning each.",
        )
        + "\n\n"
        + _names_epilog()
    )


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="supersim-conformance",
        description="Contract test kit for the Twilio Super SIM Sim resource (/v1/Sims).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)

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
        description="Validate a JSON file against the contract; each problem is listed with the requirement "
        "it breaks, its JSON path and the rule. A callback may also be given form-encoded, as it arrives "
        "(SimSid=...&SimStatus=...). Exit 0 valid, 1 invalid, 2 unreadable.",
    )
    validate.add_argument("--as", dest="kind", required=True, choices=list(contract.SCHEMA_FILES))
    validate.add_argument(
        "file", metavar="FILE", help="a JSON file (a callback: JSON or form-encoded), or - for standard input"
    )
    validate.set_defaults(handler=_cmd_validate)

    _add_serve(commands)
    _add_run(commands)
    _add_record(commands)
    _add_discover(commands)
    _add_compare(commands)
    _add_proxy(commands)
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
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog_factory=_serve_epilog,
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8080, help="0 picks a free port (default 8080)")
    serve.add_argument("--profile", metavar="FILE", help="target profile (TOML); default: the built-in profile")
    serve.add_argument("--write-profile", metavar="FILE", help="write the profile being served to FILE")
    serve.add_argument(
        "--no-serve", action="store_true", help="with --write-profile: write the profile and exit, serve nothing"
    )
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
        help="plant a named fault (for testing checkers); repeatable; the names are listed below",
    )
    serve.add_argument(
        "--variation",
        metavar="NAME",
        action="append",
        default=[],
        help="add a benign variation (a correct server's harmless difference); repeatable; the names are listed below",
    )
    serve.add_argument(
        "--access-log", action="store_true", help="print uvicorn's access log: one line per request (standard output)"
    )
    serve.set_defaults(handler=_cmd_serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    from conformance.mock.faults import UnknownFaultError
    from conformance.mock.server import serve
    from conformance.mock.variations import UnknownVariationError
    from conformance.profile import ProfileError

    if args.no_serve and not args.write_profile:
        raise UsageError("--no-serve writes the profile and exits: give --write-profile FILE")
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
            listen=not args.no_serve,
            access_log=args.access_log,
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
        description=_paragraphs("Run every check of the Sim contract against a target and write reports."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog_factory=_run_epilog,
    )
    for option in RUN_OPTIONS:  # the plugin's table: the same options as --supersim-… in a pytest session
        if option.cli:
            run.add_argument(option.cli, *option.aliases, dest=option.name, **option.argparse_kwargs())
    run.set_defaults(handler=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from conformance.plugin import RunConfig
    from conformance.run.runner import run

    config = RunConfig.from_namespace(args)
    if is_cassette_target(config.target):
        from conformance.proxy.recording import is_proxy_recording

        directory = Path(str(config.target)[len(CASSETTE_SCHEME) :]).expanduser()
        if is_proxy_recording(directory):  # real traffic the proxy recorded: judged again, not replayed
            from conformance.proxy.rejudge import judge_recording

            return judge_recording(directory, config.report_dir)
    return run(config)


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


def _account_env(text: str) -> tuple[str, str]:
    """``SID_VAR:TOKEN_VAR``: the names of the two environment variables of one account."""
    sid_var, sep, token_var = text.partition(":")
    if not sep or not ENV_NAME.match(sid_var) or not ENV_NAME.match(token_var):
        raise argparse.ArgumentTypeError(f"expected SID_VAR:TOKEN_VAR (two environment variable names), got {text!r}")
    return sid_var, token_var


def _add_discover(commands: _Commands) -> None:
    discover = commands.add_parser(
        "discover",
        help="write a target profile from what the API shows to your credentials (read-only)",
        description="Walk the target's list of SIMs with the credentials of TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN "
        "(GET only, PageSize 1000) and write a profile: the accounts (tokens as environment-variable names, never "
        "their values), a sample of SIMs covering every status, named and unnamed, with and without a fleet, and "
        "their fleets (with unique names where GET /v1/Fleets answers). ICCIDs are left out unless --keep-pii: a "
        "run looks them up by SID. Exit 0 written, 2 usage, 3 unreachable or credentials rejected.",
    )
    discover.add_argument("--target", metavar="URL", required=True, help="base URL, e.g. https://supersim.twilio.com")
    discover.add_argument("--out", metavar="FILE", help="where to write the profile (default: standard output)")
    discover.add_argument("--keep-pii", action="store_true", help="write the sampled SIMs' ICCIDs too")
    discover.add_argument(
        "--subaccount",
        metavar="SID_VAR:TOKEN_VAR",
        type=_account_env,
        action="append",
        default=[],
        help="a subaccount of the primary, by the names of the environment variables holding its SID and token",
    )
    discover.add_argument(
        "--unrelated",
        metavar="SID_VAR:TOKEN_VAR",
        type=_account_env,
        help="an account unrelated to the primary (for the isolation scenarios), as for --subaccount",
    )
    discover.add_argument(
        "--per-status", metavar="N", type=int, default=None, help="SIMs sampled per status (default 6)"
    )
    discover.add_argument(
        "--timeout", metavar="S", type=non_negative_float, help="per-request timeout in seconds (default 10)"
    )
    discover.add_argument(
        "--rate", metavar="RPS", type=non_negative_float, help="max requests per second (live default 5)"
    )
    discover.set_defaults(handler=_cmd_discover)


def _cmd_discover(args: argparse.Namespace) -> int:
    from conformance.run.discover import write_discovered

    if args.per_status is not None and args.per_status < 1:
        raise UsageError("--per-status must be at least 1")
    accounts = [("primary", ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"))]
    accounts += [("subaccount", names) for names in args.subaccount]
    if args.unrelated:
        accounts.append(("unrelated", args.unrelated))
    return write_discovered(
        args.target,
        accounts,
        out=args.out,
        keep_pii=args.keep_pii,
        per_status=args.per_status,
        timeout=args.timeout,
        rate=args.rate,
    )


def _add_compare(commands: _Commands) -> None:
    compare = commands.add_parser(
        "compare",
        help="one matrix of requirement x target from several runs' reports (Markdown and HTML)",
        description="Set runs side by side: a row per requirement of the catalog, a column per run (its "
        "report directory, holding report.json), each cell the run's verdict; rows where the runs disagree "
        "are marked and listed first. Writes compare.md and compare.html (one file, no script) to --out. "
        "Exit 0 written, 2 usage or an unreadable report.",
    )
    compare.add_argument(
        "runs",
        metavar="REPORT_DIR",
        nargs="+",
        help="a run's report directory (e.g. reports/latest), or NAME=DIR to name its column "
        "(default: the run's target kind, else its target)",
    )
    compare.add_argument("--out", metavar="DIR", default="reports/compare", help="default reports/compare")
    compare.add_argument(
        "--standalone",
        action="store_true",
        help="no links into the runs' report.html, no target URLs or run directories: for a comparison "
        "committed without its runs",
    )
    compare.set_defaults(handler=_cmd_compare, format_usage=compare.format_usage)


def _cmd_compare(args: argparse.Namespace) -> int:
    from conformance.report.compare import CompareError, compare

    try:
        written = compare(args.runs, Path(args.out), standalone=args.standalone)
    except CompareError as error:
        sys.stderr.write(args.format_usage())
        raise UsageError(str(error)) from None
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def _add_proxy(commands: _Commands) -> None:
    proxy = commands.add_parser(
        "proxy",
        help="a validating proxy: real traffic to a Sim API judged by the suite's checks, client and server",
        description="Forward every request to --upstream (live Twilio, the reference mock, anyone's mock) and "
        "judge each exchange with the suite's response checks, the reference mock's request rules and the "
        "rules two answers can prove (page chains, a Sim's life, callbacks with --observe-callbacks). Each "
        "violation names its check, its requirement and its side: the client's request or the server's "
        "answer. GET /_proxy/violations lists them; POST /_proxy/report or Ctrl-C writes the reports. "
        "Exit 0 no MUST violation, 1 a MUST violation, 2 usage, 3 the upstream does not answer.",
    )
    proxy.add_argument("--upstream", metavar="URL", required=True, help="the Sim API to forward to (http/https)")
    proxy.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    proxy.add_argument("--port", type=_port, default=0, help="0 picks a free port (the default; printed)")
    proxy.add_argument("--report-dir", metavar="DIR", help="where the reports go (default reports/<UTC time>/)")
    proxy.add_argument(
        "--record",
        metavar="DIR",
        help="also write the traffic as a redacted vcrpy cassette (DIR/traffic.yaml); "
        "re-judge it with run --target cassette:DIR",
    )
    proxy.add_argument("--keep-pii", action="store_true", help="with --record: keep SIDs and ICCIDs as they were")
    proxy.add_argument(
        "--observe-callbacks",
        action="store_true",
        help="route each update's CallbackUrl through the proxy: judge every callback, then send it on",
    )
    proxy.add_argument(
        "--callback-base",
        metavar="URL",
        help="with --observe-callbacks: the public URL that reaches this proxy (a tunnel), for a remote upstream",
    )
    proxy.add_argument(
        "--callback-timeout",
        metavar="S",
        type=non_negative_float,
        default=30.0,
        help="seconds a scheduled update's callback may take before its absence is a violation (default 30)",
    )
    proxy.set_defaults(handler=_cmd_proxy, format_usage=proxy.format_usage)


def _cmd_proxy(args: argparse.Namespace) -> int:
    from conformance.proxy import ProxyOptions, serve_proxy
    from conformance.proxy.server import check_upstream

    def misuse(message: str) -> UsageError:
        sys.stderr.write(args.format_usage())
        return UsageError(message)

    for flag, url in (("--upstream", args.upstream), ("--callback-base", args.callback_base)):
        try:
            if url:
                check_upstream(url)
        except ValueError:
            raise misuse(f"{flag} must be an http:// or https:// base URL, not {url!r}") from None
    if args.callback_base and not args.observe_callbacks:
        raise misuse("--callback-base goes with --observe-callbacks")
    if args.keep_pii and not args.record:
        raise misuse("--keep-pii goes with --record DIR")
    return serve_proxy(
        ProxyOptions(
            upstream=args.upstream,
            host=args.host,
            port=args.port,
            report_dir=args.report_dir,
            record=args.record,
            keep_pii=args.keep_pii,
            observe_callbacks=args.observe_callbacks,
            callback_base=args.callback_base,
            callback_timeout=args.callback_timeout,
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code.

    Standard output is guarded (:class:`QuietWhenClosed`): a reader that stops reading
    (``| head -1``) silences the rest instead of a BrokenPipeError traceback, and the
    command exits with the code it would have had.
    """
    real = sys.stdout
    guard = QuietWhenClosed(real)
    guarded = sys.stdout = cast("TextIO", guard)
    try:
        return _main(argv)
    except BrokenPipeError:  # written past the guard (e.g. to sys.stdout.buffer): the recipe of the Python docs
        guard.silence()
        return EXIT_OK
    finally:
        guard.flush()
        if sys.stdout is guarded:
            sys.stdout = real


def _main(argv: Sequence[str] | None) -> int:
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


class QuietWhenClosed:
    """Standard output that goes quiet, instead of raising BrokenPipeError, once its reader is gone.

    The recipe of the Python documentation ("Note on SIGPIPE"): on the first broken pipe the
    file descriptor is pointed at the null device, so nothing written later (nor Python's own
    flush at exit) fails again. Unlike catching the error at the top only, the command goes
    on: ``run ... | head -1`` still writes its reports and exits 1 when a check failed.
    Everything else is the wrapped stream's (``fileno``, ``encoding``, ``isatty``...).
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.closed_by_reader = False

    def write(self, text: str) -> int:
        if not self.closed_by_reader:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self.silence()
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self.silence()
            try:
                self._stream.flush()  # what was buffered goes to the null device now
            except (OSError, ValueError):
                pass
        except ValueError:  # closed
            pass

    def silence(self) -> None:
        """Point the stream's file descriptor at the null device (once)."""
        if self.closed_by_reader:
            return
        self.closed_by_reader = True
        try:
            descriptor = self._stream.fileno()
        except (OSError, ValueError):  # no descriptor (a StringIO): nothing will raise again
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, descriptor)
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


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


def read_text_file(name: str) -> str:
    """The text of a file or ``-`` (stdin); raise UsageError with one line on any problem."""
    try:
        return sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such file: {name}") from None
    except IsADirectoryError:
        raise UsageError(f"{name} is a directory, not a JSON file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {name}: {error}") from None


def parse_json_text(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{name} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


def read_json_file(name: str) -> Any:
    """Read JSON from a file or ``-`` (stdin); raise UsageError with one line on any problem."""
    return parse_json_text(read_text_file(name), name)


def read_document(name: str, kind: str) -> Any:
    """The document to validate: JSON, or for a callback also a form-encoded body (as one arrives)."""
    text = read_text_file(name)
    if kind == "callback" and not text.lstrip().startswith(("{", "[", '"')):
        return parse_form(text, name)
    return parse_json_text(text, name)


def parse_form(text: str, name: str) -> dict[str, str]:
    """``SimSid=HS...&SimStatus=active`` (a callback's body, or a query string with its ``?``) as a dict."""
    body = text.strip().removeprefix("?")
    if not body:
        raise UsageError(f"{name} is empty: give the callback as JSON or form-encoded (SimSid=...&SimStatus=...)")
    try:
        pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError) as error:
        raise UsageError(
            f"{name} is neither JSON nor a form-encoded body (SimSid=...&SimStatus=...): {error}"
        ) from None
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise UsageError(f"{name}: the parameter {key} appears more than once")
        params[key] = value
    return params


def _cmd_validate(args: argparse.Namespace) -> int:
    from conformance.contract.validators import problems

    document = read_document(args.file, args.kind)
    found = problems(args.kind, document)
    if not found:
        print(f"{args.file}: valid {args.kind}")
        return EXIT_OK
    broken = sorted({requirement for problem in found for requirement in problem.requirements})
    print(f"{args.file}: {len(found)} violation(s) of the {args.kind} contract, breaking {', '.join(broken)}")
    for problem in found:
        print(f"  {problem}")
    return EXIT_VIOLATION
