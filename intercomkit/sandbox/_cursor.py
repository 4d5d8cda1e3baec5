"""Opaque ``starting_after`` cursors: base64 of ``[sort value, contact id, page]`` like Intercom's own."""

from __future__ import annotations

import base64
import json
from typing import Any

from ._errors import SandboxAPIError

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(sort_value: Any, item_id: str, page: int) -> str:
    raw = json.dumps([sort_value, item_id, page], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[Any, str, int]:
    try:
        value, item_id, page = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(item_id, str) or not isinstance(page, int):
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError):
        raise SandboxAPIError(400, "parameter_invalid", "Invalid starting_after value") from None
    return value, item_id, page
