"""``intercomkit export contacts|companies|conversations|tickets|reporting --out FILE``: options, exit codes and
the resume command. The kinds are the export engine's resources (``_resources.RESOURCES``); the options that
narrow or continue a search (``--query``, ``--since``, ``--since-last``, ``--overlap``, ``--reconcile``) apply
to the search-paged ones.

Exit codes (``intercomkit._cli_common``): 0 ok, 2 usage (also a checkpoint of another export or workspace), 3
authentication, 4 gave up on rate limit / network, 5 incomplete (rows missing compared with Intercom's count) unless
``--allow-gaps``, 6 a file cannot be written, 130 interrupted. Whenever finished windows are kept, the exact command
to resume is printed; when none are, no ``.partial`` directory is left and no resume is offered.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import time
from collections.abc import Callable
from typing import Any

from .._cli_common import EXIT_GAPS, EXIT_INTERRUPTED, EXIT_NETWORK, EXIT_WRITE, client_kwargs
from .._protocol.since import SINCE_FORMS, parse_since
from ..errors import (
    ConfigurationError,
    ExportIncomplete,
    RateLimited,
    ServerError,
    TransportError,
    WriteFailed,
)
from ._manifest import describe_kept, kept
from ._overlap import describe_overlap
from ._resources import RESOURCES, SearchPaging

# The kinds --query, --since, --since-last, --overlap and --reconcile apply to.
_SEARCHED = [kind for kind, r in RESOURCES.items() if isinstance(r.paging, SearchPaging)]

__all__ = ["add_export_command", "export_command", "resume_command"]


def add_export_command(
    subparsers: Any, add_connection_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    parser = subparsers.add_parser(
        "export",
        help=f"export every {', '.join(RESOURCES)} to CSV, csv.gz or Parquet (resumable), or a reporting dataset",
        description=f"Export a whole workspace's {', '.join(RESOURCES)}. Rerun the same command after an "
        "interruption to resume. "
        "'reporting' runs Intercom's reporting-data export jobs for --dataset over --since .. --until into a CSV.",
    )
    parser.add_argument("what", choices=[*RESOURCES, "reporting"])
    parser.add_argument(
        "--out", "-o", required=True, metavar="FILE", help="output file: .csv, .csv.gz or .parquet"
    )
    parser.add_argument(
        "--format",
        choices=["csv", "csv.gz", "parquet"],
        help="for an --out without one of those suffixes (a contradicting suffix is an error)",
    )
    parser.add_argument("--fields", metavar="A,B,...", help="output columns (default: all)")
    parser.add_argument(
        "--query", metavar="JSON", help=f"Intercom search query JSON ({', '.join(_SEARCHED)})"
    )
    since = parser.add_mutually_exclusive_group()
    since.add_argument(
        "--since", metavar="WHEN", help=f"only rows updated at/after WHEN (UTC): {SINCE_FORMS}"
    )
    since.add_argument(
        "--since-last",
        action="store_true",
        help="only rows changed since the last successful export to --out, merged into it (a changed row "
        "replaces its old version)",
    )
    parser.add_argument(
        "--overlap",
        metavar="DURATION",
        help="how far the next --since-last looks back before this run's start, for Intercom's search lag "
        "(default 1h; e.g. 30m, 2h, 3600)",
    )
    parser.add_argument(
        "--reconcile",
        action="store_true",
        help="walk every row and replace --out, dropping deleted/merged/archived rows "
        "(also done on every 10th --since-last run)",
    )
    parser.add_argument(
        "--concurrency", default="auto", metavar="N", help="requests in flight (default: auto)"
    )
    parser.add_argument("--no-resume", action="store_true", help="discard an unfinished export of --out")
    parser.add_argument("--allow-gaps", action="store_true", help="exit 0 even if rows are missing")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    reporting = parser.add_argument_group("reporting")
    reporting.add_argument("--dataset", metavar="ID", help="reporting dataset id, e.g. conversation")
    reporting.add_argument("--attributes", metavar="A,B,...", help="attribute ids (default: all)")
    reporting.add_argument("--until", metavar="WHEN", help=f"end of the range (inclusive): {SINCE_FORMS}")
    parser.add_argument("--sandbox-latency-ms", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--sandbox-rate-limit", type=int, default=None, help=argparse.SUPPRESS)
    add_connection_options(parser)
    parser.set_defaults(handler=export_command)


def _concurrency(text: str) -> int | str:
    if text == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigurationError(f"--concurrency must be 'auto' or a positive integer, got {text!r}")
    return value


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {
        "format": args.format,
        "resume": not args.no_resume,
        "progress": not args.no_progress and sys.stderr.isatty(),
        "allow_gaps": args.allow_gaps,
        "concurrency": _concurrency(args.concurrency),
    }
    if args.fields:
        options["fields"] = [f.strip() for f in args.fields.split(",") if f.strip()]
    if args.what in _SEARCHED:
        if args.query:
            try:
                options["query"] = json.loads(args.query)
            except ValueError as exc:
                raise ConfigurationError(f"--query is not valid JSON: {exc}") from None
        if args.since:
            options["updated_since"] = parse_since(args.since, time.time())
        options["since_last"] = args.since_last
        if args.overlap is not None:
            options["overlap"] = args.overlap
        if args.reconcile:
            options["reconcile"] = True
    elif args.query or args.since or args.since_last or args.overlap is not None or args.reconcile:
        raise ConfigurationError(
            f"--query, --since, --since-last, --overlap and --reconcile apply to {', '.join(_SEARCHED)} only"
        )
    return options


def resume_command(args: argparse.Namespace) -> str:
    """The command that resumes this export (same options; a --token value is replaced by a placeholder)."""
    words = ["intercomkit", "export", args.what, "--out", args.out]
    for flag, value in (
        ("--format", args.format),
        ("--fields", args.fields),
        ("--query", args.query),
        ("--since", args.since),
        ("--overlap", args.overlap),
        ("--profile", args.profile),
        ("--region", args.region),
        ("--base-url", args.base_url),
        ("--token-env", args.token_env),
    ):
        if value:
            words += [flag, str(value)]
    if args.since_last:
        words.append("--since-last")
    if args.reconcile:
        words.append("--reconcile")
    if args.concurrency != "auto":
        words += ["--concurrency", str(args.concurrency)]
    if args.allow_gaps:
        words.append("--allow-gaps")
    if args.sandbox:
        words += ["--sandbox", "--sandbox-contacts", str(args.sandbox_contacts)]
        words += [
            "--sandbox-companies",
            str(args.sandbox_companies),
            "--sandbox-conversations",
            str(args.sandbox_conversations),
            "--sandbox-tickets",
            str(args.sandbox_tickets),
            "--sandbox-seed",
            str(args.sandbox_seed),
        ]
    if args.token and not args.token_env:
        # Never echo the token. `--token "$INTERCOM_ACCESS_TOKEN"` looked right but, pasted after
        # `INTERCOM_ACCESS_TOKEN=… ` on the same line, the shell expands it before the assignment: an empty token.
        words += ["--token-env", _TOKEN_ENV]
    return shlex.join(words)


_TOKEN_ENV = "INTERCOM_ACCESS_TOKEN"


def _resume_lead(args: argparse.Namespace) -> str:
    if args.token and not args.token_env:
        return f"Set {_TOKEN_ENV} to your token, then resume with"
    return "Resume with"


def _kept_line(args: argparse.Namespace) -> str | None:
    """``3 finished windows (1,250 rows) are kept. Resume with: …``, or None when the checkpoint keeps nothing."""
    windows, rows = kept(args.out)
    if not windows:
        return None
    return f"{describe_kept(args.out, windows, rows)}. {_resume_lead(args)}:\n  {resume_command(args)}"


def _network_hint(exc: Exception, host: str) -> str:
    if isinstance(exc, RateLimited):
        return f"{host[0].upper()}{host[1:]} kept answering 429 (rate limited): wait for the window to reset, or lower --concurrency"
    if isinstance(exc, ServerError):
        return f"{host[0].upper()}{host[1:]} kept failing (5xx): check Intercom's status page (status.intercom.com) and try again later"
    return f"Could not reach {host}: check your network connection, a proxy, and --base-url / --region"


class _QuietInterrupt(logging.Filter):
    """The runner's "export interrupted" warning is for notebooks; the CLI says the same with the command."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "export_kept", False)


def _reporting_options(args: argparse.Namespace) -> dict[str, Any]:
    """``export reporting``: --dataset, --since and --until are needed; the contacts-only options are refused."""
    if not (args.dataset and args.since and args.until):
        raise ConfigurationError("export reporting needs --dataset, --since and --until")
    if args.query or args.since_last or args.overlap is not None or args.reconcile or args.fields:
        raise ConfigurationError(
            "--query, --fields, --since-last, --overlap and --reconcile do not apply to reporting"
        )
    if args.format not in (None, "csv") or (args.format is None and not args.out.endswith(".csv")):
        raise ConfigurationError("export reporting writes CSV: give --out a .csv name")
    now = time.time()
    return {
        "dataset": args.dataset,
        "attributes": args.attributes,
        "start": parse_since(args.since, now),
        "end": parse_since(args.until, now),
        "progress": not args.no_progress and sys.stderr.isatty(),
    }


def _sandbox(args: argparse.Namespace, **extra: Any) -> Any:
    """The in-process sandbox ``--sandbox`` asks for, with its ``--sandbox-*`` sizes."""
    from ..sandbox import Sandbox

    return Sandbox(
        contacts=args.sandbox_contacts,
        companies=args.sandbox_companies,
        conversations=args.sandbox_conversations,
        tickets=args.sandbox_tickets,
        seed=args.sandbox_seed,
        **extra,
    )


def run_reporting(args: argparse.Namespace) -> int:
    import anyio

    options = _reporting_options(args)

    async def main() -> Any:
        if args.sandbox:
            sandbox = _sandbox(args)
            sandbox.reporting.delay = (
                0  # a CLI run waits in real time: the sandbox's jobs are done when first asked
            )
            client = sandbox.client()
        else:
            from .._client import AsyncClient

            client = AsyncClient(**client_kwargs(args))
        async with client:
            dataset, attributes = options.pop("dataset"), options.pop("attributes")
            return await client.reporting.export(dataset, attributes, **options).to_file(args.out)

    try:
        result = anyio.run(main)
    except (RateLimited, TransportError, ServerError) as exc:
        print(f"intercomkit: gave up: {exc}. {_network_hint(exc, 'Intercom')}", file=sys.stderr)
        return EXIT_NETWORK
    except WriteFailed as exc:
        print(f"intercomkit: cannot write {exc.path}: {exc.reason}; nothing was written", file=sys.stderr)
        return EXIT_WRITE
    retried = f", {len(result.retried)} retried" if result.retried else ""
    print(f"wrote {result.rows} rows to {result.path} ({result.jobs} job(s){retried})")
    return 0


def export_command(args: argparse.Namespace) -> int:
    """``intercomkit export …``: run the export, print one line, return the exit code."""
    import anyio

    if args.what == "reporting":
        return run_reporting(args)
    if any(getattr(args, name, None) for name in ("dataset", "attributes", "until")):
        raise ConfigurationError("--dataset, --attributes and --until apply to export reporting only")

    options = _options(args)
    host = "the in-process sandbox" if args.sandbox else "Intercom"

    async def main() -> Any:
        nonlocal host
        if args.sandbox:
            sandbox = _sandbox(
                args, latency=args.sandbox_latency_ms / 1000.0, rate_limit=args.sandbox_rate_limit
            )
            client = sandbox.client()
        else:
            from .._client import AsyncClient

            client = AsyncClient(**client_kwargs(args))
            host = client.base_url
        async with client:
            return await getattr(client.export, args.what)(args.out, **options)

    quiet = _QuietInterrupt()
    logging.getLogger("intercomkit.export").addFilter(quiet)
    try:
        result = anyio.run(main)
    except ExportIncomplete as exc:
        print(f"intercomkit: {exc}", file=sys.stderr)
        return EXIT_GAPS
    except (RateLimited, TransportError, ServerError) as exc:
        print(f"intercomkit: gave up: {exc}. {_network_hint(exc, host)}", file=sys.stderr)
        line = _kept_line(args)
        if line:
            print(line, file=sys.stderr)
        return EXIT_NETWORK
    except WriteFailed as exc:
        line = _kept_line(args)
        tail = f"; {line}" if line else "; nothing was kept"
        print(f"intercomkit: cannot write {exc.path}: {exc.reason}{tail}", file=sys.stderr)
        return EXIT_WRITE
    except KeyboardInterrupt:
        line = _kept_line(args)
        print(f"intercomkit: interrupted; {line or 'nothing was kept'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        logging.getLogger("intercomkit.export").removeFilter(quiet)
    details = [f"{result.requests:,} requests", f"{result.elapsed:.1f}s"]
    if result.vanished:
        details.append(f"{result.vanished:,} deleted during the run")
    if result.parts_truncated:
        # Never silent: Intercom returns "the 500 most recent conversation parts" of these.
        ids = ", ".join(result.parts_truncated[:20]) + (", …" if len(result.parts_truncated) > 20 else "")
        details.append(
            f"{len(result.parts_truncated):,} conversation(s) have more than 500 parts, the 500 most recent "
            f"written: {ids}"
        )
    if result.deleted:
        details.append(
            f"{len(result.deleted):,} conversation(s) deleted during the run, their parts not written"
        )
    if result.reconciled:
        details.append(f"reconciled: {result.removed:,} removed, {result.refreshed:,} refreshed")
    if result.overlap:
        margin = describe_overlap(result.overlap)
        # Intercom's search lags behind changes: say what that means for this file, and what fixes it.
        details.append(
            f"changes in the {margin} before the run may be in their previous version until the next --since-last"
        )
    if not result.complete:
        print(f"intercomkit: warning: {result}", file=sys.stderr)
    notes = "".join(f"; {note}" for note in (result.resume_note, result.since_last_note) if note)
    # One line on stdout: the details used to go to stderr first and showed up before (or after) the result.
    print(f"wrote {result.rows} rows to {result.path} ({', '.join(details)}){notes}")
    return 0
