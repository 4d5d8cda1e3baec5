"""Run a router's receiver with uvicorn: blocking (the CLI) or in a background thread (notebooks)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError
from ._router import Router

__all__ = ["cli_serve", "serve", "serve_in_thread"]

logger = logging.getLogger("intercomkit.webhooks")


def _uvicorn() -> Any:
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("serving webhooks needs uvicorn: pip install 'intercomkit[serve]'") from None
    return uvicorn


def serve(router: Router, host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "info") -> None:
    """Serve ``router.app`` until interrupted (Ctrl-C)."""
    _uvicorn().run(router.app, host=host, port=port, lifespan="on", log_level=log_level)


def serve_in_thread(
    router: Router, port: int = 0, *, host: str = "127.0.0.1", timeout: float = 10.0
) -> tuple[str, Callable[[], None]]:
    """Start the receiver on a background thread; return its URL and a ``stop()`` function.

    ``port=0`` picks a free port. Meant for notebooks and tests; ``stop()`` lets queued handlers finish.
    """
    uvicorn = _uvicorn()
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(router.app, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"intercomkit-webhooks:{bound_port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + timeout
    while thread.is_alive() and not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        server.should_exit = True
        sock.close()
        raise ConfigurationError(f"the webhook receiver did not start on {host}:{bound_port}")

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout)
        sock.close()

    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{bound_port}/", stop


def cli_serve(
    port: int, secret: str | None, log_path: str | os.PathLike[str] | None, host: str = "127.0.0.1"
) -> int:
    """What ``intercomkit webhooks serve`` runs: log every event, serve until Ctrl-C. Returns an exit code."""
    if not secret:
        raise ConfigurationError(
            "no webhook client secret: set it in the environment variable named by --secret-env "
            "(default INTERCOM_CLIENT_SECRET)"
        )
    router = Router(secret=secret, log=log_path)

    @router.on("*")
    def _log_event(event: Any) -> None:
        logger.info("%s %s %s", event.topic, event.id, event.item_id or "")

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    serve(router, host=host, port=port)
    return 0
