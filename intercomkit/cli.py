"""The ``intercomkit`` command: argument parsing and exit codes only; it calls the public API users call.

The exit codes (the README's table), ``client_kwargs`` and the number types live in ``_cli_common``, which the
subcommands beside their features (``export/_cli.py``, ``webhooks/_cli.py``, ``fleet/_cli.py``) import too: they
never import this module.
Exit code 7 (a fleet export in which some workspace failed or is incomplete) is the fleet command's own.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import shlex
import sys
from collections.abc import Sequence
from typing import Any

from . import errors
from ._cli_common import (
    EXIT_AUTH,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_USAGE,
    EXIT_WRITE,
    at_least,
    port,
)

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own exit code for usage errors is 2 as well
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _add_connection_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("connection (default: $INTERCOM_ACCESS_TOKEN or the saved 'default' profile)")
    g.add_argument("--sandbox", action="store_true", help="use the embedded offline sandbox workspace")
    g.add_argument(
        "--sandbox-contacts", type=at_least(0), default=1000, metavar="N", help="sandbox size (default 1000)"
    )
    g.add_argument("--sandbox-companies", type=at_least(0), default=100, metavar="N", help="(default 100)")
    g.add_argument(
        "--sandbox-conversations", type=at_least(0), default=200, metavar="N", help="(default 200)"
    )
    g.add_argument("--sandbox-tickets", type=at_least(0), default=50, metavar="N", help="(default 50)")
    g.add_argument("--sandbox-seed", type=int, default=0, metavar="S", help="(default 0)")
    g.add_argument(
        "--token", help="access token (prefer $INTERCOM_ACCESS_TOKEN: command lines are visible to others)"
    )
    g.add_argument("--token-env", metavar="VAR", help="read the token from this environment variable")
    g.add_argument("--profile", help="a profile saved with `intercomkit connect` or ik.connect(...)")
    g.add_argument("--region", choices=["us", "eu", "au"])
    g.add_argument("--base-url", help="API base URL (a served sandbox, a proxy)")


def build_parser() -> argparse.ArgumentParser:
    from ._version import __version__

    parser = _Parser(prog="intercomkit", description="Intercom as a data source: export, sandbox, webhooks.")
    parser.add_argument("--version", action="version", version=f"intercomkit {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log requests (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sandbox = sub.add_parser("sandbox", help="the embedded Intercom sandbox")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", required=True, parser_class=_Parser)
    serve = sandbox_sub.add_parser(
        "serve",
        help="serve a fake Intercom workspace over HTTP",
        description="Serve a generated Intercom workspace on http://HOST:PORT until Ctrl-C.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument(
        "--port",
        type=port,
        default=8765,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    serve.add_argument(
        "--contacts",
        type=at_least(0),
        default=1000,
        metavar="N",
        help="contacts to generate (default: %(default)s)",
    )
    serve.add_argument(
        "--companies",
        type=at_least(0),
        default=100,
        metavar="N",
        help="companies to generate (default: %(default)s)",
    )
    serve.add_argument(
        "--conversations",
        type=at_least(0),
        default=200,
        metavar="N",
        help="support conversations to generate, with their parts (default: %(default)s)",
    )
    serve.add_argument(
        "--tickets",
        type=at_least(0),
        default=50,
        metavar="N",
        help="tickets to generate (default: %(default)s)",
    )
    serve.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="data seed: same seed and sizes, same data (default: %(default)s)",
    )
    serve.add_argument(
        "--token", default="sandbox", help="the bearer token the sandbox accepts (default: %(default)s)"
    )
    serve.add_argument(
        "--workspaces",
        type=at_least(1),
        default=None,
        metavar="N",
        help="serve N independent workspaces, chosen by token: workspace k accepts TOKEN-k and has seed S+k "
        "(its own data, app id_code and rate limit)",
    )
    serve.add_argument(
        "--latency-ms",
        type=at_least(0, float),
        default=0.0,
        metavar="MS",
        help="delay added to every response (default: %(default)s)",
    )
    serve.add_argument(
        "--rate-limit",
        type=at_least(1),
        default=None,
        metavar="N",
        help="requests per window (default: no limit)",
    )
    serve.add_argument(
        "--window",
        type=at_least(0.001, float),
        default=10.0,
        metavar="SECONDS",
        help="rate-limit window (default: %(default)s)",
    )

    serve.add_argument(
        "--timezone",
        type=_timezone,
        default="Etc/UTC",
        metavar="TZ",
        help="the workspace timezone (IANA name): search days start at its midnight (default: %(default)s)",
    )
    serve.add_argument(
        "--search-lag",
        type=_seconds,
        default=0.0,
        metavar="S",
        help="seconds before search sees a created or updated contact (Intercom's index delay)",
    )

    connect = sub.add_parser(
        "connect",
        help="check an access token with GET /me and save it as a profile",
        description="Check an access token with GET /me and save it as a profile (mode 0600). The token is read "
        "from --token-env VAR, else $INTERCOM_ACCESS_TOKEN, else a prompt that does not echo.",
    )
    connect.add_argument("--profile", default="default", help="profile name (default: default)")
    connect.add_argument("--token-env", metavar="VAR", help="read the token from this environment variable")
    connect.add_argument("--region", choices=["us", "eu", "au"], default="us", help="(default: us)")
    connect.add_argument("--base-url", help="API base URL (a served sandbox, a proxy)")
    sub.add_parser("profiles", help="list saved profiles (workspace, admin, region; never tokens)")

    for extension in _extensions():
        extension(sub, _add_connection_options)
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text!r}")
    return value


def _extensions() -> list[Any]:
    """Subcommands that live beside the feature they drive (export, webhooks)."""
    from .export._cli import add_export_command
    from .fleet._cli import add_fleet_command
    from .webhooks._cli import add_webhooks_command

    return [add_export_command, add_fleet_command, add_webhooks_command]


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
    from .sandbox._serve import bind

    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(
            f"intercomkit: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}; pick another --port "
            "(or stop what is using it)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    port = sock.getsockname()[1]
    rate_limit = RateLimitConfig(limit=args.rate_limit, window=args.window) if args.rate_limit else None
    settings: dict[str, Any] = {
        "contacts": args.contacts,
        "companies": args.companies,
        "conversations": args.conversations,
        "tickets": args.tickets,
        "seed": args.seed,
        "token": args.token,
        "latency": args.latency_ms / 1000.0,
        "rate_limit": rate_limit,
        "timezone": args.timezone,
        "search_lag": args.search_lag,
    }
    sandbox: Any = Sandbox.fleet(args.workspaces, **settings) if args.workspaces else Sandbox(**settings)
    url = f"http://{args.host}:{port}"
    tokens = sandbox.tokens if args.workspaces else [args.token]
    accepting = (
        f"{len(tokens)} workspaces (each its own data and rate limit), tokens {tokens[0]!r} … {tokens[-1]!r}"
        if args.workspaces
        else f"the token {args.token!r}"
    )
    # The sandbox's token is not a secret (it opens generated data on your machine): say which one it accepts.
    print(
        f"intercomkit sandbox: {args.contacts} contacts, {args.companies} companies, {args.conversations} "
        f"conversations, {args.tickets} tickets, timezone {args.timezone}, on "
        f"{url}, accepting {accepting} (try: INTERCOM_ACCESS_TOKEN={shlex.quote(tokens[0])} "
        f"intercomkit export contacts --base-url {url} --out contacts.csv)",
        file=sys.stderr,
    )
    serve(sandbox, host=args.host, port=port, sock=sock)
    return 0


def _connect(args: argparse.Namespace) -> int:
    import getpass

    import anyio

    from ._connection import connect
    from ._credentials import ENV_TOKEN, CredentialStore

    variable = args.token_env or (ENV_TOKEN if os.environ.get(ENV_TOKEN, "").strip() else None)
    if variable:
        token = os.environ.get(variable, "").strip()
        if not token:
            raise errors.AuthenticationRequired(f"the environment variable {variable} is empty or unset")
    else:
        token = getpass.getpass("Intercom access token (not echoed): ").strip()
        if not token:
            raise errors.AuthenticationRequired("no token was entered; nothing was saved")
    conn = anyio.run(
        functools.partial(connect, token, profile=args.profile, region=args.region, base_url=args.base_url)
    )
    print(f"{conn}; saved to {CredentialStore().path}")
    return 0


def _profiles(args: argparse.Namespace) -> int:
    from ._connection import profiles
    from ._credentials import CredentialStore

    saved = profiles()
    if not saved:
        print(f"no saved profiles in {CredentialStore().path}; save one with: intercomkit connect")
        return 0
    for p in saved:
        where = p["base_url"] or p["region"] or "us"
        who = p["admin_email"] or p["admin_name"] or "-"
        print(f"{p['profile']}\t{p['workspace'] or '-'} ({p['app_id'] or '-'})\t{who}\t{where}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    commands = {"sandbox": _serve_sandbox, "connect": _connect, "profiles": _profiles}
    try:
        return int(commands.get(args.command, getattr(args, "handler", None))(args) or 0)
    except KeyboardInterrupt:
        print("intercomkit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (
        errors.AuthenticationRequired,
        errors.Unauthorized,
        errors.Forbidden,
        errors.CredentialsError,
    ) as exc:
        print(f"intercomkit: authentication failed: {exc}", file=sys.stderr)
        return EXIT_AUTH
    except (errors.ConfigurationError, errors.InvalidQuery) as exc:
        print(f"intercomkit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except errors.WriteFailed as exc:
        print(f"intercomkit: {exc}", file=sys.stderr)
        return EXIT_WRITE
    except (errors.RateLimited, errors.TransportError, errors.ServerError) as exc:
        print(f"intercomkit: gave up: {exc}", file=sys.stderr)
        return EXIT_NETWORK
    except errors.IntercomError as exc:
        print(f"intercomkit: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
