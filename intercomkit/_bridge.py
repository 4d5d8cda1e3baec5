"""The sync bridge: run a coroutine to completion from code that cannot ``await``.

``run_sync`` hands the coroutine to one private event loop that runs forever in a daemon thread (started on
first use). Because that loop is never the caller's loop, the same call works in a plain script and inside
a cell of a running Jupyter kernel, without patching asyncio.

Loop binding: httpx/anyio clients belong to the loop that first used them. Create clients *inside* the
coroutine you pass (``run_sync(main())`` where ``main`` opens ``AsyncClient``), or create them through
``run_sync`` too — every ``run_sync`` call uses the same bridge loop, so such objects stay usable across
calls. Do not pass ``run_sync`` an object that was already used with ``await`` on the notebook's own loop.
"""

from __future__ import annotations

import asyncio
import atexit
import inspect
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from .errors import ConfigurationError

__all__ = ["allow_nested", "run_sync"]

T = TypeVar("T")


class _LoopThread:
    """One event loop in one daemon thread, created lazily and shared by every ``run_sync`` call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(
                    target=self._run, args=(loop, ready), name="intercomkit-sync-bridge", daemon=True
                )
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            loop.close()

    def in_bridge_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def stop(self) -> None:
        """Stop the loop and join its thread (tests and interpreter exit)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)


_BRIDGE = _LoopThread()
atexit.register(_BRIDGE.stop)


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


def run_sync(
    awaitable: Awaitable[T] | Callable[[], Awaitable[T]],
    *,
    timeout: float | None = None,
) -> T:
    """Run ``awaitable`` on the bridge loop and return its result (or raise its exception, same type).

    ``awaitable`` is a coroutine (``run_sync(client.me())``) or a zero-argument async function
    (``run_sync(main)``). ``timeout`` (seconds) cancels the coroutine and raises ``TimeoutError``; Ctrl-C
    (KeyboardInterrupt) cancels it too. Safe to call from several threads at once and from inside a running
    event loop (Jupyter); not from inside a coroutine already running on the bridge (``await`` there).
    """
    if callable(awaitable) and not inspect.isawaitable(awaitable):
        awaitable = awaitable()
    if not inspect.isawaitable(awaitable):
        raise TypeError(f"run_sync() needs a coroutine or an async function, got {type(awaitable).__name__}.")
    if _BRIDGE.in_bridge_thread():
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        raise RuntimeError("run_sync() was called from code already running on the sync bridge; use await.")
    coro: Coroutine[Any, Any, T] = (
        awaitable if inspect.iscoroutine(awaitable) else _await(awaitable)  # type: ignore[assignment]
    )
    future = asyncio.run_coroutine_threadsafe(coro, _BRIDGE.loop())
    try:
        return future.result(timeout)
    except TimeoutError:
        if future.done():  # the coroutine itself raised TimeoutError
            raise
        future.cancel()
        raise TimeoutError(f"run_sync() gave up after {timeout} s; the coroutine was cancelled.") from None
    except BaseException:  # KeyboardInterrupt while waiting: do not leave the coroutine running
        future.cancel()
        raise


def allow_nested() -> None:
    """Opt in to nested event loops (``asyncio.run`` inside Jupyter) via nest-asyncio2.

    This patches asyncio for the whole process, which is why intercomkit never does it on import. Most users
    need only top-level ``await`` or ``run_sync``.
    """
    try:
        import nest_asyncio2
    except ImportError:
        raise ConfigurationError(
            "allow_nested() needs the optional nest-asyncio2 package: pip install 'intercomkit[nested]'"
        ) from None
    nest_asyncio2.apply()
