"""How widgets run client calls: scheduled from callbacks, never awaited by them, errors never lost.

Convention for every intercomkit widget: the constructor returns at once; a callback hands its coroutine to
``Tasks.spawn``, which schedules it on the running loop (Jupyter runs widget callbacks inside the kernel's loop)
or, with no loop running (a plain script), runs it on the sync bridge. ``await widget.wait_idle()`` lets headless
tests wait for everything spawned so far.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["Tasks"]


class Tasks:
    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self._on_error = on_error
        self._pending: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            from .._bridge import run_sync

            run_sync(self._guard(coro))
            return
        task = loop.create_task(self._guard(coro))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _guard(self, coro: Coroutine[Any, Any, Any]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown in the widget: a callback has nowhere else to raise to
            self._on_error(exc)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    async def wait_idle(self) -> None:
        """Wait for every task spawned so far, and for the tasks those spawn."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
