"""``--since`` / ``updated_since=`` text → unix seconds. Pure: the caller passes ``now``.

Accepted: an ISO date (``2024-03-05``: its midnight UTC), an ISO datetime (``2024-03-05T14:00:00Z``,
``2024-03-05 14:00+02:00``; naive means UTC), ``today`` / ``yesterday`` (midnight UTC of that day), and a
plain relative span back from ``now``: ``36h``, ``7d``, ``2w``.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from ..errors import ConfigurationError
from .query.values import to_unix

__all__ = ["SINCE_FORMS", "parse_since"]

SINCE_FORMS = "2024-03-05, 2024-03-05T14:00:00Z, today, yesterday, 24h, 7d or 2w"
_DAY = 86_400
_UNITS = {"h": 3_600, "d": _DAY, "w": 7 * _DAY}
_RELATIVE = re.compile(r"(\d{1,6})\s*([hdw])")


def parse_since(text: str, now: float) -> int:
    """Unix seconds for ``text`` (see the module docstring); ``ConfigurationError`` naming the forms otherwise."""
    if not isinstance(text, str):
        raise ConfigurationError(f"since must be text such as {SINCE_FORMS}, got {type(text).__name__}")
    word = text.strip().lower()
    midnight = math.floor(now) - math.floor(now) % _DAY
    if word == "today":
        return midnight
    if word == "yesterday":
        return midnight - _DAY
    relative = _RELATIVE.fullmatch(word)
    if relative:
        return math.floor(now) - int(relative.group(1)) * _UNITS[relative.group(2)]
    try:
        if len(word) == 10:
            return to_unix(date.fromisoformat(word))
        return to_unix(datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        pass
    raise ConfigurationError(f"cannot read the date {text!r}: use {SINCE_FORMS}")
