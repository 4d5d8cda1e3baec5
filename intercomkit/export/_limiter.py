"""One request budget per workspace, shared by every export task: sit at the rate-limit ceiling, rarely past it.

Intercom counts requests per fixed window (10 s) and says how many are left (``X-RateLimit-Remaining``) and when
the window resets (``X-RateLimit-Reset``). The budget counts requests *sent* in the current window, corrected down
by each answer's ``remaining``; when it is spent, tasks wait until the reset instead of collecting 429s (a 429 costs
a whole wait plus jitter in the client). Concurrency is a separate, adaptive cap (AIMD on an anyio
``CapacityLimiter``): latency-bound runs open up to ``max_concurrency`` requests at once; a 429 halves the cap and
each success grows it back by one.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import anyio

from .._protocol.ratelimit import MAX_RESET_WAIT, RateLimit

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["AUTO_CONCURRENCY", "Budget", "RequestLimiter", "budget_for"]

AUTO_CONCURRENCY = 32


class Budget:
    """Requests left in the workspace's current rate-limit window, as far as this process knows. Loop-agnostic."""

    def __init__(self) -> None:
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: float | None = None
        self.lock = threading.Lock()

    def take(self, now: float) -> float:
        """Spend one request: 0.0 when it may go now, else the seconds to wait before asking again."""
        with self.lock:
            if self.reset_at is not None and now >= self.reset_at:
                # A new window began: its whole allowance is available (the next answer will correct it).
                self.remaining = self.limit or None  # a limit of 0 was bogus: unknown again
                self.reset_at = None
            if self.remaining is None:
                return 0.0
            if self.remaining > 0:
                self.remaining -= 1
                return 0.0
            if self.reset_at is None:
                # Spent before any answer named the reset: poll shortly, but only for a moment (answers may never
                # name one; the client's own 429 handling is the backstop).
                self.reset_at = now + 0.5
                return 0.05
            return min(max(self.reset_at - now, 0.0), MAX_RESET_WAIT) + 0.005

    def observe(self, limit: RateLimit | None, now: float) -> None:
        if limit is None or limit.limit <= 0:
            return
        # Windows are seconds long: a reset further away is a bogus header, not a reason to stall for days.
        limit = replace(limit, reset_at=min(limit.reset_at, now + MAX_RESET_WAIT))
        with self.lock:
            if limit.reset_at <= now:
                return  # stale: that window is over
            self.limit = limit.limit
            if self.reset_at is None or limit.reset_at > self.reset_at:
                # First answer from a new window: what we already spent since the rollover stays spent.
                local = limit.remaining if self.remaining is None else self.remaining
                self.reset_at = limit.reset_at
                self.remaining = max(min(limit.remaining, local), 0)
            elif limit.reset_at == self.reset_at:
                self.remaining = min(
                    self.remaining if self.remaining is not None else limit.remaining, limit.remaining
                )

    def exhausted(self) -> None:
        """A 429 came back: nothing is left until the reset we know of."""
        with self.lock:
            if self.reset_at is not None:  # without a known reset, waiting here could never end
                self.remaining = 0


_budgets: weakref.WeakValueDictionary[tuple[str, str], Budget] = weakref.WeakValueDictionary()
_budgets_lock = threading.Lock()


def budget_for(client: AsyncClient) -> Budget:
    """The budget shared by every export of this workspace (same base URL and token) in this process."""
    digest = hashlib.sha256("\0".join(client._secrets()).encode()).hexdigest()[:16]
    key = (client.base_url, digest)
    with _budgets_lock:
        budget = _budgets.get(key)
        if budget is None:
            budget = Budget()
            _budgets[key] = budget
        return budget


class RequestLimiter:
    """Wraps each export request: waits for the shared budget and a concurrency slot, then learns from the answer."""

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
        elif isinstance(concurrency, int) and not isinstance(concurrency, bool) and concurrency >= 1:
            self.adaptive, self.max_concurrency = False, concurrency
        else:
            raise ValueError(f"concurrency must be 'auto' or a positive integer, got {concurrency!r}")
        self._client = client
        self._clock = clock or client.now
        self._sleep = sleep or client.sleep
        self.budget = budget_for(client)
        self._slots = anyio.CapacityLimiter(self.max_concurrency)
        self._rate_limited_seen = client.stats.rate_limited
        self.peak = 0
        self._active = 0

    @property
    def concurrency(self) -> int:
        return int(self._slots.total_tokens)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._slots:
            while True:
                wait = self.budget.take(self._clock())
                if wait <= 0:
                    break
                await self._sleep(wait)
            self._active += 1
            self.peak = max(self.peak, self._active)
            try:
                yield
            finally:
                self._active -= 1
                self._learn()

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

    async def request(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        async with self.slot():
            return await self._client.request(method, path, **kw)

    async def request_bytes(self, method: str, path: str, **kw: Any) -> bytes:
        async with self.slot():
            return await self._client._request_bytes(method, path, **kw)
