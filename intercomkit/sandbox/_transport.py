"""In-process transport: httpx.ASGITransport plus the connection-level faults a socket would show."""

from __future__ import annotations

from typing import Any

import httpx

from ._app import FAULT_HEADER

__all__ = ["SandboxTransport"]


class SandboxTransport(httpx.AsyncBaseTransport):
    """Serves the sandbox app in-process. A "drop" fault surfaces as ``httpx.ReadError`` like a dead socket."""

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if response.headers.get(FAULT_HEADER) == "drop":
            await response.aclose()
            raise httpx.ReadError(
                "Server disconnected without sending a complete response (sandbox fault: drop)",
                request=request,
            )
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
