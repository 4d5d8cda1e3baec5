"""Fixed-window rate limiting on the sandbox clock, as Intercom does (10-second windows by default)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._protocol.numbers import is_int

__all__ = ["DEFAULT_HEADERS_LIMIT", "FixedWindowLimiter", "RateLimitConfig"]

# With no limit configured the headers still go out, so clients always exercise their header parsing.
DEFAULT_HEADERS_LIMIT = 10_000


@dataclass(frozen=True)
class RateLimitConfig:
    """``limit`` requests per ``window`` seconds; windows are aligned to multiples of ``window``."""

    limit: int = 1000
    window: float = 10.0

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0:
            raise ValueError("RateLimitConfig needs limit >= 1 and window > 0")

    @classmethod
    def coerce(cls, value: RateLimitConfig | int | None) -> RateLimitConfig | None:
        if value is None or isinstance(value, RateLimitConfig):
            return value
        if is_int(value):
            return cls(limit=value)
        raise TypeError(f"rate_limit must be None, an int or a RateLimitConfig, not {type(value).__name__}")


class FixedWindowLimiter:
    def __init__(self, config: RateLimitConfig | None) -> None:
        self.config = config
        self._window_start: float | None = None
        self._used = 0

    def hit(self, now: float) -> tuple[bool, dict[str, str]]:
        """Count one request at ``now``; return (allowed, X-RateLimit-* headers)."""
        cfg = self.config or RateLimitConfig(limit=DEFAULT_HEADERS_LIMIT)
        start = math.floor(now / cfg.window) * cfg.window
        if start != self._window_start:
            self._window_start, self._used = start, 0
        allowed = self.config is None or self._used < cfg.limit
        if allowed:
            self._used += 1
        headers = {
            "X-RateLimit-Limit": str(cfg.limit),
            "X-RateLimit-Remaining": str(max(cfg.limit - self._used, 0)),
            "X-RateLimit-Reset": str(math.ceil(start + cfg.window)),
        }
        return allowed, headers
