"""Routing and the ASGI entry point (hand-written: the sandbox adds no runtime dependency)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ._errors import SandboxAPIError
from ._http import Request, Response

if TYPE_CHECKING:
    from ._sandbox import Sandbox

__all__ = ["FAULT_HEADER", "RouteTable", "SandboxApp"]

# The in-process transport turns a response carrying this header into httpx.ReadError.
FAULT_HEADER = "x-intercomkit-sandbox-fault"

Handler = Callable[[Request], Response | Awaitable[Response]]


class RouteTable:
    """The sandbox's URL routes: (method, path pattern) → handler. Not ``intercomkit.webhooks.Router``, which
    dispatches webhook notifications by topic."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], int, Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        if not pattern.startswith("/"):
            raise ValueError(f"route pattern must start with '/': {pattern!r}")
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern))
        literals = sum(1 for seg in pattern.split("/") if seg and not seg.startswith("{"))
        self._routes.append((method.upper(), re.compile(f"^{regex}$"), literals, handler))
        # Literal segments win over parameters: /companies/scroll before /companies/{id}.
        self._routes.sort(key=lambda r: -r[2])

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        path_matched = False
        for m, regex, _, handler in self._routes:
            found = regex.match(path)
            if found is None:
                continue
            path_matched = True
            if m == method:
                return handler, found.groupdict()
        if path_matched:
            raise SandboxAPIError(405, "method_not_allowed", f"{method} is not supported on {path}")
        raise SandboxAPIError(404, "not_found", "Resource Not Found")


class SandboxApp:
    """The ASGI callable. Everything stateful lives on the Sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request = Request(
            method=scope["method"].upper(),
            path=scope["path"],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=b"".join(chunks),
            sandbox=self.sandbox,
        )
        response = await self.sandbox._handle(request)
        await _send(send, response)


async def _send(send: Callable, response: Response) -> None:
    body = response.body
    headers = dict(response.headers)
    if response.fault == "drop":
        # Promise more than we send and stop: over a socket the client sees the connection end mid-body.
        headers[FAULT_HEADER] = "drop"
        headers["content-length"] = str(len(body) + 1024)
        raw = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": response.status, "headers": raw})
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": False})
        return
    headers["content-length"] = str(len(body))
    raw = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": response.status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def call_handler(handler: Handler, request: Request, lock: Any) -> Response:
    if inspect.iscoroutinefunction(handler):
        return await handler(request)
    with lock:
        result = handler(request)
    if inspect.isawaitable(result):
        result = await result
    return result
