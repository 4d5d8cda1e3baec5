"""Running webhook handlers: sync ones in a worker thread, async ones on the loop; failures collected, not raised."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread

from ._events import Event

__all__ = ["Handler", "handler_name", "run_handlers"]

Handler = Callable[[Event], Awaitable[Any] | Any]


def handler_name(handler: Handler) -> str:
    """``module.qualname``: how the log names a handler, and how ``replay`` finds it again after a restart."""
    module = getattr(handler, "__module__", None) or ""
    qualname = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    return f"{module}.{qualname}" if module else qualname


async def run_handlers(event: Event, handlers: list[Handler]) -> list[tuple[Handler, Exception]]:
    """Run ``handlers`` in order for ``event``; return ``(handler, exception)`` for each that failed."""
    failures: list[tuple[Handler, Exception]] = []
    for handler in handlers:
        try:
            if inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
                getattr(handler, "__call__", None)  # noqa: B004 - async callable objects
            ):
                await handler(event)
            else:
                result = await anyio.to_thread.run_sync(handler, event)
                if inspect.isawaitable(result):
                    await result
        except Exception as exc:
            failures.append((handler, exc))
    return failures
