"""Serving a Sandbox on a real port with uvicorn (the ``serve`` extra)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["bind", "serve", "serve_in_thread"]


def _uvicorn() -> Any:
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Serving the sandbox on a port needs uvicorn: pip install 'intercomkit[serve]'"
        ) from exc
    return uvicorn


def bind(host: str = "127.0.0.1", port: int = 8765) -> socket.socket:
    """A socket bound to ``host:port`` for ``serve(sock=...)``; ``OSError`` (``EADDRINUSE``: the port is taken)
    comes here, before anything is printed or served, instead of as a log line from inside uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve(
    sandbox: Any,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    log_level: str = "info",
    sock: socket.socket | None = None,
) -> None:
    """Serve ``sandbox`` on ``http://host:port`` (or on ``sock``, from ``bind``) until interrupted (blocking)."""
    uvicorn = _uvicorn()
    sock = bind(host, port) if sock is None else sock
    config = uvicorn.Config(sandbox.app, log_level=log_level, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def serve_in_thread(
    sandbox: Any, port: int = 0, host: str = "127.0.0.1", *, timeout: float = 10.0
) -> tuple[str, Callable[[], None]]:
    """Start uvicorn in a daemon thread; return ``(base_url, stop)`` once it accepts connections.

    ``port=0`` picks a free port. ``stop()`` shuts the server down and waits for the thread.
    """
    uvicorn = _uvicorn()
    config = uvicorn.Config(sandbox.app, host=host, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="intercomkit-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"sandbox server did not start on {host}:{port}")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout)

    return f"http://{host}:{bound}", stop
