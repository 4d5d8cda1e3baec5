"""Helpers shared by the webhook tests (a unique module name: tests/ is not a package)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from intercomkit.webhooks import sign

SECRET = "test-client-secret"
FIXED_NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def notification(
    topic: str, item: dict[str, Any] | None = None, *, id: str = "notif_1", **extra: Any
) -> dict:
    body = {
        "type": "notification_event",
        "app_id": "abc123",
        "data": {
            "type": "notification_event_data",
            "item": item if item is not None else {"type": "company", "id": "c1"},
        },
        "links": {},
        "id": id,
        "topic": topic,
        "delivery_status": "pending",
        "delivery_attempts": 1,
        "delivered_at": 0,
        "first_sent_at": 1714564800,
        "created_at": 1714564800,
        "self": None,
    }
    body.update(extra)
    return body


def encode(body: dict) -> bytes:
    return json.dumps(body).encode()


def signed_headers(raw: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Hub-Signature": sign(raw, secret), "Content-Type": "application/json"}
