"""``intercomkit export contacts|companies --out FILE``: options, exit codes and the resume command.

Exit codes (``intercomkit.cli``): 0 ok, 2 usage, 3 authentication, 4 gave up on rate limit / network (the exact
command to resume is printed), 5 incomplete (rows missing compared with Intercom's count) unless ``--allow-gaps``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError, ExportIncomplete, RateLimited, ServerError, TransportError

__all__ = ["add_export_command", "resume_command", "run_export"]


def add_export_command(
    subparsers: Any, add_connection_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export every contact or company to CSV, csv.gz or Parquet (resumable)",
        description="Export a whole workspace. Rerun the same command after an interruption to resume.",
    )
    parser.add_argument("what", choices=["contacts", "companies"])
    parser.add_argument(
        "--out", "-o", required=True, metavar="FILE", help="output file: .csv, .csv.gz or .parquet"
    )
    parser.add_argument("--format", choices=["csv", "csv.gz", "parquet"], help="override the suffix")
    parser.add_argument("--fields", metavar="A,B,...", help="output columns (default: all)")
    parser.add_argument("--query", metavar="JSON", help="Intercom search query JSON (contacts)")
    since = parser.add_mutually_exclusive_group()
    since.add_argument("--since", metavar="DATE", help="only contacts updated at/after DATE (ISO 8601)")
    since.add_argument(
        "--since-last",
        action="store_true",
        help="only contacts changed since the last successful export to --out, merged into it",
    )
    parser.add_argument(
        "--concurrency", default="auto", metavar="N", help="requests in flight (default: auto)"
    )
    parser.add_argument("--no-resume", action="store_true", help="discard an unfinished export of --out")
    parser.add_argument("--allow-gaps", action="store_true", help="exit 0 even if rows are missing")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--sandbox-latency-ms", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--sandbox-rate-limit", type=int, default=None, help=argparse.SUPPRESS)
    add_connection_options(parser)
    parser.set_defaults(handler=run_export)


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
    if args.what == "contacts":
        if args.query:
            try:
                options["query"] = json.loads(args.query)
            except ValueError as exc:
                raise ConfigurationError(f"--query is not valid JSON: {exc}") from None
        if args.since:
            options["updated_since"] = args.since
        options["since_last"] = args.since_last
    elif args.query or args.since or args.since_last:
        raise ConfigurationError("--query, --since and --since-last apply to contacts only")
    return options


def resume_command(args: argparse.Namespace) -> str:
    """The command that resumes this export (same options; a --token value is replaced by a placeholder)."""
    words = ["intercomkit", "export", args.what, "--out", args.out]
    for flag, value in (
        ("--format", args.format),
        ("--fields", args.fields),
        ("--query", args.query),
        ("--since", args.since),
        ("--profile", args.profile),
        ("--region", args.region),
        ("--base-url", args.base_url),
        ("--token-env", args.token_env),
    ):
        if value:
            words += [flag, str(value)]
    if args.since_last:
        words.append("--since-last")
    if args.concurrency != "auto":
        words += ["--concurrency", str(args.concurrency)]
    if args.allow_gaps:
        words.append("--allow-gaps")
    if args.sandbox:
        words += ["--sandbox", "--sandbox-contacts", str(args.sandbox_contacts)]
        words += [
            "--sandbox-companies",
            str(args.sandbox_companies),
            "--sandbox-seed",
            str(args.sandbox_seed),
        ]
    command = shlex.join(words)
    if args.token:
        command += ' --token "$INTERCOM_ACCESS_TOKEN"'
    return command


def run_export(args: argparse.Namespace) -> int:
    import anyio

    from ..cli import EXIT_GAPS, EXIT_NETWORK

    options = _options(args)

    async def main() -> Any:
        if args.sandbox:
            from ..sandbox import Sandbox

            sandbox = Sandbox(
                contacts=args.sandbox_contacts,
                companies=args.sandbox_companies,
                seed=args.sandbox_seed,
                latency=args.sandbox_latency_ms / 1000.0,
                rate_limit=args.sandbox_rate_limit,
            )
            client = sandbox.client()
        else:
            from .._client import AsyncClient
            from ..cli import client_kwargs

            client = AsyncClient(**client_kwargs(args))
        async with client:
            return await getattr(client.export, args.what)(args.out, **options)

    try:
        result = anyio.run(main)
    except ExportIncomplete as exc:
        print(f"intercomkit: {exc}", file=sys.stderr)
        return EXIT_GAPS
    except (RateLimited, TransportError, ServerError) as exc:
        print(f"intercomkit: gave up: {exc}", file=sys.stderr)
        print("Finished windows are saved. Resume with:", file=sys.stderr)
        print(f"  {resume_command(args)}", file=sys.stderr)
        return EXIT_NETWORK
    details = [f"{result.requests:,} requests", f"{result.elapsed:.1f}s"]
    if result.vanished:
        details.append(f"{result.vanished:,} deleted during the run")
    if not result.complete:
        print(f"intercomkit: warning: {result}", file=sys.stderr)
    # One line on stdout: the details used to go to stderr first and showed up before (or after) the result.
    print(f"wrote {result.rows} rows to {result.path} ({', '.join(details)})")
    return 0
