"""``intercomkit webhooks serve``: a receiver that verifies, logs and acknowledges Intercom's notifications."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from .._cli_common import port

__all__ = ["add_webhooks_command"]


def add_webhooks_command(sub: Any, add_connection_options: Callable[[argparse.ArgumentParser], None]) -> None:
    webhooks = sub.add_parser("webhooks", help="receive Intercom webhooks")
    webhooks_sub = webhooks.add_subparsers(
        dest="webhooks_command", required=True, parser_class=type(webhooks)
    )
    serve = webhooks_sub.add_parser(
        "serve", help="serve a receiver that verifies X-Hub-Signature and logs events"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port, default=8000)
    serve.add_argument(
        "--secret-env",
        default="INTERCOM_CLIENT_SECRET",
        metavar="VAR",
        help="environment variable holding your app's client secret (never pass secrets on the command line)",
    )
    serve.add_argument("--log", metavar="FILE", help="append every notification to this JSONL file")
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from ._serve import cli_serve

    return cli_serve(args.port, os.environ.get(args.secret_env), args.log, host=args.host)
