"""Numbers in JSON bodies and arguments: ``True`` and ``False`` are ints to Python, never to Intercom or to us."""

from __future__ import annotations

__all__ = ["is_int", "is_number"]


def is_int(value: object) -> bool:
    """An integer, not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """An integer or a float, not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)
