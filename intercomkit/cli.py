"""The ``intercomkit`` command: argument parsing and exit codes only; it calls the public API users call.

Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 authentication, 4 gave up on rate limit / network,
5 export incomplete (rows missing compared with Intercom's count; ``--allow-gaps`` turns this into 0).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from . import errors

__all__ = ["EXIT_AUTH", "EXIT_GAPS", "EXIT_NETWORK", "EXIT_USAGE", "main"]

EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NETWORK = 4
EXIT_GAPS = 5


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own exit code for usage errors is 2 as well
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _add_connection_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("connection (default: $INTERCOM_ACCESS_TOKEN or the saved 'default' profile)")
    g.add_argument("--sandbox", action="store_true", help="use the embedded offline sandbox workspace")
    g.add_argument(
        "--sandbox-contacts", type=int, default=1000, metavar="N", help="sandbox size (default 1000)"
    )
    g.add_argument("--sandbox-companies", type=int, default=100, metavar="N")
    g.add_argument("--sandbox-seed", type=int, default=0, metavar="S")
    g.add_argument(
        "--token", help="access token (prefer $INTERCOM_ACCESS_TOKEN: command lines are visible to others)"
    )
    g.add_argument("--token-env", metavar="VAR", help="read the token from this environment variable")
    g.add_argument("--profile", help="a profile saved with ik.connect(...)")
    g.add_argument("--region", choices=["us", "eu", "au"])
    g.add_argument("--base-url", help="API base URL (a served sandbox, a proxy)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="intercomkit", description="Intercom as a data source: export, sandbox, webhooks.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log requests (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sandbox = sub.add_parser("sandbox", help="the embedded Intercom sandbox")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", required=True, parser_class=_Parser)
    serve = sandbox_sub.add_parser("serve", help="serve a fake Intercom workspace over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--contacts", type=int, default=1000)
    serve.add_argument("--companies", type=int, default=100)
    serve.add_argument("--seed", type=int, default=0)
    serve.add_argument("--token", default="sandbox", help="the bearer token the sandbox accepts")
    serve.add_argument("--latency-ms", type=float, default=0.0)
    serve.add_argument("--rate-limit", type=int, default=None, metavar="N", help="requests per window")
    serve.add_argument("--window", type=float, default=10.0, help="rate-limit window in seconds")
    serve.add_argument(
        "--timezone",
        type=_timezone,
        default="Etc/UTC",
        metavar="TZ",
        help="the workspace timezone (IANA name, e.g. America/Los_Angeles): search days start at its midnight",
    )

    for extension in _extensions():
        extension(sub, _add_connection_options)
    return parser


def _extensions() -> list[Any]:
    """Subcommands that live beside the feature they drive (export, webhooks)."""
    from .export._cli import add_export_command
    from .webhooks._cli import add_webhooks_command

    return [add_export_command, add_webhooks_command]


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown timezone {name!r}: use an IANA name such as America/Los_Angeles"
        ) from None
    return name


def _serve_sandbox(args: argparse.Namespace) -> int:
    from .sandbox import RateLimitConfig, Sandbox, serve

    rate_limit = RateLimitConfig(limit=args.rate_limit, window=args.window) if args.rate_limit else None
    sandbox = Sandbox(
        contacts=args.contacts,
        companies=args.companies,
        seed=args.seed,
        token=args.token,
        latency=args.latency_ms / 1000.0,
        rate_limit=rate_limit,
        timezone=args.timezone,
    )
    print(
        f"intercomkit sandbox: {args.contacts} contacts, {args.companies} companies, timezone {args.timezone}, on "
        f"http://{args.host}:{args.port} (token: the one you passed with --token)",
        file=sys.stderr,
    )
    serve(sandbox, host=args.host, port=args.port)
    return 0


def client_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """AsyncClient arguments from the shared connection options (used by the subcommands)."""
    token = args.token
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise errors.AuthenticationRequired(
                f"the environment variable {args.token_env} is empty or unset"
            )
    kwargs: dict[str, Any] = {"token": token, "profile": args.profile, "region": args.region}
    if args.base_url:
        kwargs["base_url"] = args.base_url
    return kwargs


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        if args.command == "sandbox":
            return _serve_sandbox(args)
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (
        errors.AuthenticationRequired,
        errors.Unauthorized,
        errors.Forbidden,
        errors.CredentialsError,
    ) as exc:
        print(f"intercomkit: authentication failed: {exc}", file=sys.stderr)
        return EXIT_AUTH
    except errors.ConfigurationError as exc:
        print(f"intercomkit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (errors.RateLimited, errors.TransportError, errors.ServerError) as exc:
        print(f"intercomkit: gave up: {exc}", file=sys.stderr)
        return EXIT_NETWORK
    except errors.IntercomError as exc:
        print(f"intercomkit: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
