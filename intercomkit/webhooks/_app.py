"""The webhook receiver (``_receiver.Receiver``) as a plain ASGI app (no framework).

Intercom waits 5 seconds for an answer, so the app answers as soon as the notification is recorded and runs the
handlers afterwards:

- under a server that runs the ASGI lifespan (uvicorn), a worker started at startup consumes a queue, in order;
- without lifespan (``httpx.ASGITransport``, ``uvicorn --lifespan off``), each request runs its own event's handlers
  after the response has been sent.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._events import Event
from ._verify import SIGNATURE_HEADER

if TYPE_CHECKING:
    from ._receiver import Receiver

__all__ = ["WebhookApp"]

Scope = dict[str, Any]
Receive = Any
Send = Any

_SIGNATURE = SIGNATURE_HEADER.lower().encode("latin-1")


class _TooLarge(Exception):
    pass


class WebhookApp:
    """ASGI app: ``POST`` (any path) receives a notification; ``GET /healthz`` answers 200."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self._queue: MemoryObjectSendStream[Event] | None = None

    def __repr__(self) -> str:
        return f"WebhookApp({self.receiver!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "lifespan.startup":
            return
        sender, receiver = anyio.create_memory_object_stream[Event](max_buffer_size=math.inf)
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._worker, receiver)
            self._queue = sender
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            self._queue = None
            # Closing the stream lets the worker finish what is queued, then stop.
            await sender.aclose()
        await send({"type": "lifespan.shutdown.complete"})

    async def _worker(self, events: MemoryObjectReceiveStream[Event]) -> None:
        async with events:
            async for event in events:
                await self.receiver.process(event)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope.get("method", "GET"), scope.get("path", "/")
        if method in ("GET", "HEAD") and path.rstrip("/") == "/healthz":
            await _respond(send, 200, {"status": "ok"})
            return
        if method != "POST":
            await _respond(
                send, 405, {"error": "method not allowed: POST webhook notifications"}, allow=b"POST"
            )
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        try:
            body = await _read_body(receive, headers, self.receiver.max_body)
        except _TooLarge:
            await _respond(send, 413, {"error": f"body larger than {self.receiver.max_body} bytes"})
            return
        raw_signature = headers.get(_SIGNATURE)
        signature = raw_signature.decode("latin-1") if raw_signature is not None else None
        outcome = await self.receiver.ingest(body, signature)
        if outcome.event is None:
            await _respond(send, outcome.status, _answer(outcome.status, outcome.detail))
            return
        queue = self._queue
        if queue is not None:
            queue.send_nowait(outcome.event)
            await _respond(send, 200, {"status": outcome.detail})
            return
        try:
            await _respond(send, 200, {"status": outcome.detail})
        finally:
            # No lifespan worker: the answer is out, run the handlers on this task (shielded so a client that
            # hangs up cannot cancel them half-way).
            with anyio.CancelScope(shield=True):
                await self.receiver.process(outcome.event)


def _answer(status: int, detail: str) -> dict[str, str]:
    return {"status": detail} if status == 200 else {"error": detail}


async def _read_body(receive: Receive, headers: dict[bytes, bytes], limit: int) -> bytes:
    declared = headers.get(b"content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _TooLarge
        except ValueError:
            pass
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(send: Send, status: int, payload: dict[str, str], *, allow: bytes | None = None) -> None:
    body = json.dumps(payload).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if allow is not None:
        headers.append((b"allow", allow))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
