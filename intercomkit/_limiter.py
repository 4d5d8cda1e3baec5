"""One request budget per workspace, shared by every bulk fetch (export windows, ``conversations.get_many`` /
``parts_frame``, the parts export): sit at the rate-limit ceiling, rarely past it.

It sits below the resources (they fetch many conversations under it) and above the client (it reads the client's
rate-limit view and stats), so the export and the resources share one rule and one budget per workspace.

Intercom counts requests per fixed window (10 s) and says how many are left (``X-RateLimit-Remaining``) and when
the window resets (``X-RateLimit-Reset``). The budget counts requests *sent* in the current window, corrected down
by each answer's ``remaining``; when it is spent, tasks wait until the reset instead of collecting 429s (a 429 costs
a whole wait plus jitter in the client). Concurrency is a separate, adaptive cap (AIMD on an anyio
``CapacityLimiter``): latency-bound runs open up to ``max_concurrency`` requests at once; a 429 halves the cap and
each success grows it back by one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio

from ._protocol.numbers import is_int
from ._workspaces import Budget

if TYPE_CHECKING:
    from ._client import AsyncClient

__all__ = ["AUTO_CONCURRENCY", "Budget", "RequestLimiter"]

AUTO_CONCURRENCY = 32


class RequestLimiter:
    """Wraps each bulk request: waits for the shared budget and a concurrency slot, then learns from the answer."""

    def __init__(
        self,
        client: AsyncClient,
        concurrency: int | str = "auto",
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ) -> None:
        if concurrency == "auto":
            self.adaptive, self.max_concurrency = True, AUTO_CONCURRENCY
        elif is_int(concurrency) and concurrency >= 1:  # type: ignore[operator]
            self.adaptive, self.max_concurrency = False, concurrency
        else:
            raise ValueError(f"concurrency must be 'auto' or a positive integer, got {concurrency!r}")
        self._client = client
        self._clock = clock or client.now
        self._sleep = sleep or client.sleep
        self.budget = client.workspaces.budget(client.workspace_key)
        self._slots = anyio.CapacityLimiter(self.max_concurrency)
        self._rate_limited_seen = client.stats.rate_limited
        self.peak = 0
        self._active = 0

    @property
    def concurrency(self) -> int:
        return int(self._slots.total_tokens)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._enter()
        try:
            yield
        finally:
            self._exit()

    async def _enter(self) -> None:
        slots = self._slots
        try:
            # A free slot is taken at once: CapacityLimiter.acquire would also yield to the event loop (a checkpoint,
            # a loop turn per request), and the request that follows yields anyway.
            slots.acquire_nowait()
        except anyio.WouldBlock:
            await slots.acquire()
        try:
            while (wait := self.budget.take(self._clock())) > 0:
                await self._sleep(wait)
        except BaseException:
            slots.release()
            raise
        self._active += 1
        self.peak = max(self.peak, self._active)

    def _exit(self) -> None:
        self._active -= 1
        try:
            self._learn()
        finally:
            self._slots.release()

    def _learn(self) -> None:
        self.budget.observe(self._client.rate_limit, self._clock())
        limited = self._client.stats.rate_limited
        if limited > self._rate_limited_seen:
            self._rate_limited_seen = limited
            self.budget.exhausted()
            if self.adaptive:
                self._slots.total_tokens = max(1, int(self._slots.total_tokens) // 2)
        elif self.adaptive and self._slots.total_tokens < self.max_concurrency:
            self._slots.total_tokens = int(self._slots.total_tokens) + 1

    # Without the context manager's generator: a page fetch's own cost counts (the export sends one per 150 rows).
    async def request(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        await self._enter()
        try:
            return await self._client.request(method, path, **kw)
        finally:
            self._exit()

    async def request_raw(self, method: str, path: str, **kw: Any) -> bytes:
        await self._enter()
        try:
            return await self._client.request_raw(method, path, **kw)
        finally:
            self._exit()
