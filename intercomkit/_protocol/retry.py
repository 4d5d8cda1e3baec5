"""When to retry, and how long to wait: pure decisions, the client does the sleeping."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .ratelimit import RateLimit

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "is_repeatable"]

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})

# POSTs that only read: repeating them cannot create anything twice.
_READ_POST_SUFFIXES = ("/search", "/companies/list")

# A GET that moves server state: each scroll page advances the scroll, so a page whose answer was lost cannot be
# asked for again. Intercom's description (scroll): "you will need to restart your scroll query: It is not
# possible to continue from a specific point". The scroll walk restarts instead.
_STATEFUL_GET_SUFFIXES = ("/companies/scroll",)


def is_repeatable(method: str, path: str) -> bool:
    """True when sending the request twice has the same effect as sending it once."""
    method = method.upper()
    bare = path.split("?", 1)[0].rstrip("/")
    if method == "GET" and bare.endswith(_STATEFUL_GET_SUFFIXES):
        return False
    if method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE"):
        return True
    if method == "POST":
        return bare.endswith(_READ_POST_SUFFIXES)
    return False


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    # 429s are not failures of the request, only of its timing: allow more of them before giving up.
    max_rate_limit_waits: int = 20

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff for the ``attempt``-th retry (1-based)."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** max(attempt - 1, 0)))
        return rng.uniform(ceiling / 2, ceiling)

    def after_status(
        self,
        status: int,
        *,
        repeatable: bool,
        attempt: int,
        rate_limit: RateLimit | None,
        now: float,
        rng: random.Random,
    ) -> float | None:
        """Seconds to wait before trying again after ``status``, or ``None`` to give up and raise."""
        if status == 429:
            # Intercom rejected the request unprocessed, so even a creating POST is safe to send again.
            if attempt > self.max_rate_limit_waits:
                return None
            wait = (
                rate_limit.seconds_until_reset(now) if rate_limit is not None else self.backoff(attempt, rng)
            )
            return wait + rng.uniform(0.05, 0.5)
        if status in RETRYABLE_STATUSES and repeatable and attempt <= self.max_retries:
            return self.backoff(attempt, rng)
        return None

    def after_transport_error(
        self, *, sent: bool, repeatable: bool, attempt: int, rng: random.Random
    ) -> float | None:
        """``sent`` is False when the connection never opened (nothing reached Intercom)."""
        if attempt > self.max_retries:
            return None
        if repeatable or not sent:
            return self.backoff(attempt, rng)
        return None
