"""Intercom's rate-limit headers as a small value object (gidgethub's ``RateLimit.from_http`` habit)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["MAX_RESET_WAIT", "RateLimit"]

# Intercom windows are 10 s long; a reset further away than this is treated as a bogus header.
MAX_RESET_WAIT = 60.0


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(float(value.strip()))
    except (ValueError, OverflowError):
        return None
    return number


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset_at: float  # unix seconds

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimit | None:
        """``None`` when the headers are absent or unreadable; negative values are clamped to 0."""
        items = getattr(headers, "items", None)
        if items is None:
            return None
        # One pass over the fields, names in any case: three case-insensitive lookups cost ~10x more (httpx's
        # Headers scans all its fields for each), on every answer.
        found: dict[str, str] = {}
        for name, value in items():
            if isinstance(name, str) and name[:12].lower() == "x-ratelimit-":
                key = name.lower()
                if key not in found or name == key:  # an exact lower-case name wins, as before
                    found[key] = value
        limit = _int(found.get("x-ratelimit-limit"))
        remaining = _int(found.get("x-ratelimit-remaining"))
        reset = _int(found.get("x-ratelimit-reset"))
        if limit is None or remaining is None or reset is None:
            return None
        return cls(limit=max(limit, 0), remaining=max(remaining, 0), reset_at=float(max(reset, 0)))

    def seconds_until_reset(self, now: float) -> float:
        """Seconds to wait for the window to reset, bounded to ``[0, MAX_RESET_WAIT]`` whatever the header said."""
        return min(max(self.reset_at - now, 0.0), MAX_RESET_WAIT)

    def exhausted(self, now: float) -> bool:
        return self.remaining <= 0 and self.reset_at > now
