"""A sandbox served by uvicorn in its own process, so its CPU never competes with the client's GIL.

    python -m benchmarks._server --port P --contacts N [--conversations N] [--latency-ms L] [--rate-limit R --window S]
        [--warm] [--gzip]

Access logging is off (``log_level="warning"``): a log line per request would be measured as server time.
``--warm`` renders every contact's JSON before the port opens (``Sandbox.warm``): on a 2-core machine the
server's per-page Python would otherwise take CPU from the client that Intercom's servers never take.
``--gzip`` compresses answers for clients that accept it (``Accept-Encoding: gzip``, as httpx sends by default), as
a web server in front of an API does; the sandbox itself always answers uncompressed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

TOKEN = "bench-token"
ROOT = str(Path(__file__).resolve().parents[1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(
    contacts: int,
    *,
    latency_ms: float = 0.0,
    rate_limit: int | None = None,
    window: float = 10.0,
    warm: bool = False,
    workspaces: int | None = None,
    gzip: bool = False,
    conversations: int | None = None,
    timeout: float = 120.0,
) -> Iterator[str]:
    """Start a sandbox server process; yield its base URL; stop it afterwards. ``workspaces``: that many
    workspaces (``Sandbox.fleet``), workspace k answering the token ``f"{TOKEN}-{k}"``, each its own rate limit."""
    port = _free_port()
    cmd = [sys.executable, "-m", "benchmarks._server", "--port", str(port), "--contacts", str(contacts)]
    cmd += ["--latency-ms", str(latency_ms)]
    if rate_limit:
        cmd += ["--rate-limit", str(rate_limit), "--window", str(window)]
    if warm:
        cmd += ["--warm"]
    if workspaces:
        cmd += ["--workspaces", str(workspaces)]
    if gzip:
        cmd += ["--gzip"]
    if conversations is not None:
        cmd += ["--conversations", str(conversations)]
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"sandbox server exited with {proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("sandbox server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()


class Gzipped:
    """ASGI middleware: a whole body of 1 KB or more goes out gzip-compressed (level 1, nginx's default) when the
    request accepts gzip."""

    def __init__(self, app: Callable, level: int = 1) -> None:
        self.app, self.level = app, level

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        accepts = scope["type"] == "http" and any(
            k == b"accept-encoding" and b"gzip" in v for k, v in scope.get("headers", [])
        )
        if not accepts:
            await self.app(scope, receive, send)
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def collect(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            if len(body) >= 1024:
                packer = zlib.compressobj(self.level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                body = packer.compress(body) + packer.flush()
                headers.append((b"content-encoding", b"gzip"))
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, collect)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=int, default=None)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--warm", action="store_true")
    parser.add_argument("--workspaces", type=int, default=None)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--conversations", type=int, default=None)
    args = parser.parse_args()
    from intercomkit.sandbox import RateLimitConfig, Sandbox, serve

    limit = RateLimitConfig(limit=args.rate_limit, window=args.window) if args.rate_limit else None
    settings = {
        "latency": args.latency_ms / 1000,
        "rate_limit": limit,
        "token": TOKEN,
        "render_cache": args.warm,
        **({"conversations": args.conversations} if args.conversations is not None else {}),
    }
    if args.workspaces:
        sb = Sandbox.fleet(args.workspaces, contacts=args.contacts, **settings)
        each = list(sb)
    else:
        sb = Sandbox(contacts=args.contacts, **settings)
        each = [sb]
    if args.warm:
        for one in each:
            one.warm()
    if args.gzip:
        sb.app = Gzipped(sb.app)
    serve(sb, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
