"""Per-workspace state shared by every client of one workspace in this process, held in one explicit registry.

Intercom allows one open companies scroll per app, and counts one rate-limit window per workspace: two clients of
the same workspace (same base URL and token) must share both facts. They live here, keyed by the client's
``workspace_key`` (a digest: the token cannot be read back from it), in a ``WorkspaceRegistry`` the client is given
(``AsyncClient(workspaces=...)``); by default every client shares ``SHARED_WORKSPACES``. Thread-safe, loop-agnostic
(the notebook bridge and export worker threads run their own loops).
"""

from __future__ import annotations

import hashlib
import threading
import weakref

from ._protocol.ratelimit import MAX_RESET_WAIT, RateLimit

__all__ = ["SHARED_WORKSPACES", "Budget", "WorkspaceRegistry", "workspace_key"]


def workspace_key(base_url: str, token: str) -> str:
    """A stable, non-secret name for a workspace as this process sees it: a truncated SHA-256 of base URL + token."""
    return hashlib.sha256(f"{base_url}\0{token}".encode()).hexdigest()[:16]


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
        reset_at = min(limit.reset_at, now + MAX_RESET_WAIT)
        with self.lock:
            if reset_at <= now:
                return  # stale: that window is over
            self.limit = limit.limit
            if self.reset_at is None or reset_at > self.reset_at:
                # First answer from a new window: what we already spent since the rollover stays spent.
                local = limit.remaining if self.remaining is None else self.remaining
                self.reset_at = reset_at
                self.remaining = max(min(limit.remaining, local), 0)
            elif reset_at == self.reset_at:
                self.remaining = min(
                    self.remaining if self.remaining is not None else limit.remaining, limit.remaining
                )

    def exhausted(self) -> None:
        """A 429 came back: nothing is left until the reset we know of."""
        with self.lock:
            if self.reset_at is not None:  # without a known reset, waiting here could never end
                self.remaining = 0


class WorkspaceRegistry:
    """Open scrolls and rate budgets per workspace key. ``reset()`` forgets everything (tests, a fresh start)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scrolls: set[str] = set()
        # Held weakly: a budget lives while some export uses it, so a later run starts from what Intercom says.
        self._budgets: weakref.WeakValueDictionary[str, Budget] = weakref.WeakValueDictionary()

    def open_scroll(self, key: str) -> bool:
        """Mark a scroll open for ``key``: False when one is open already (Intercom allows one per app)."""
        with self._lock:
            if key in self._scrolls:
                return False
            self._scrolls.add(key)
            return True

    def close_scroll(self, key: str) -> None:
        with self._lock:
            self._scrolls.discard(key)

    def budget(self, key: str) -> Budget:
        """The request budget shared by every export of this workspace."""
        with self._lock:
            budget = self._budgets.get(key)
            if budget is None:
                budget = self._budgets[key] = Budget()
            return budget

    def reset(self) -> None:
        with self._lock:
            self._scrolls.clear()
            self._budgets.clear()


SHARED_WORKSPACES = WorkspaceRegistry()
