"""What every ``intercomkit`` subcommand shares: the exit codes, the client built from the connection options and
the argparse types for numbers (``at_least``, ``port``).

It sits below ``cli.py`` and the subcommands that live beside their feature (``export/_cli.py``,
``webhooks/_cli.py``, ``fleet/_cli.py``), so those import it rather than ``cli.py``, which imports them.

Exit codes (the README's table): 0 ok, 1 a bug (an error intercomkit did not expect), 2 usage (a bad option or
query, a checkpoint of another export or workspace, a port in use), 3 authentication, 4 gave up on rate limit /
network, 5 export incomplete (rows missing compared with Intercom's count; ``--allow-gaps`` turns this into 0),
6 a file cannot be written (read-only directory, disk full, the output is a directory), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from . import errors

__all__ = [
    "EXIT_AUTH",
    "EXIT_GAPS",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK",
    "EXIT_USAGE",
    "EXIT_WRITE",
    "at_least",
    "client_kwargs",
    "port",
]

EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NETWORK = 4
EXIT_GAPS = 5
EXIT_WRITE = 6
EXIT_INTERRUPTED = 130


def client_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """AsyncClient arguments from the shared connection options (the environment is read here, when called)."""
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


def at_least(minimum: float, kind: type = int) -> Any:
    """An argparse type: a number >= ``minimum`` (``--contacts -5`` is a usage error, not a traceback)."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {what} >= {minimum:g}, got {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def port(text: str) -> int:
    """An argparse type: a TCP port, 0..65535 (0: any free port)."""
    value = at_least(0)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {text!r}")
    return value
