"""Webhook delivery from the sandbox: Intercom-shaped, signed notifications POSTed over real HTTP.

Self-contained (the sandbox imports nothing from the client side): it signs with its own two lines of HMAC.
Hooks may be called from inside a sandbox request handler, so :class:`WebhookDelivery` only queues the notification;
a background thread sends it. ``wait()`` / ``await flush()`` block until the queue is empty.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import httpx

__all__ = ["Delivery", "WebhookDelivery", "notification"]

logger = logging.getLogger("intercomkit.sandbox.webhooks")

USER_AGENT = "intercom-parser/1.0"


def notification(
    topic: str, item: dict[str, Any], *, app_id: str, now: int, notification_id: str
) -> dict[str, Any]:
    """The body Intercom POSTs for ``topic`` about ``item`` (a company or contact as the API returns it)."""
    return {
        "type": "notification_event",
        "app_id": app_id,
        "data": {"type": "notification_event_data", "item": item},
        "links": {},
        "id": notification_id,
        "topic": topic,
        "delivery_status": "pending",
        "delivery_attempts": 1,
        "delivered_at": 0,
        "first_sent_at": now,
        "created_at": now,
        "self": None,
    }


@dataclass(frozen=True)
class Delivery:
    """The result of one POST: ``status`` is the receiver's HTTP status, or ``None`` with ``error`` set."""

    id: str
    topic: str
    status: int | None
    error: str | None = None


class WebhookDelivery:
    """Send signed notifications to ``url``: ``delivery(topic, item)`` queues one and returns its id.

    ``client`` is an optional ``httpx.Client`` (e.g. with a ``MockTransport``); ``clock`` gives unix seconds.
    """

    def __init__(
        self,
        url: str,
        secret: str,
        app_id: str,
        client: httpx.Client | None = None,
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 5.0,
    ) -> None:
        if not secret:
            raise ValueError("a webhook secret is required to sign notifications")
        self.url = url
        self.app_id = app_id
        self._secret = secret.encode("utf-8")
        self._client = client
        self._owns_client = client is None
        self._clock = clock
        self._timeout = timeout
        self._queue: queue.Queue[tuple[str, bytes, str] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.deliveries: list[Delivery] = []

    def __repr__(self) -> str:
        return f"WebhookDelivery(url={self.url!r}, app_id={self.app_id!r})"

    def __call__(self, topic: str, item: dict[str, Any]) -> str:
        notification_id = f"notif_{uuid.uuid4()}"
        body = notification(
            topic, item, app_id=self.app_id, now=int(self._clock()), notification_id=notification_id
        )
        self._queue.put((topic, json.dumps(body, separators=(",", ":")).encode("utf-8"), notification_id))
        self._ensure_thread()
        return notification_id

    def sign(self, body: bytes) -> str:
        return "sha1=" + hmac.new(self._secret, body, hashlib.sha1).hexdigest()

    def post(self, body: bytes) -> httpx.Response:
        """POST raw notification bytes, signed, now (used by the worker; also handy to resend one in tests)."""
        client = self._get_client()
        return client.post(
            self.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Hub-Signature": self.sign(body),
            },
            timeout=self._timeout,
        )

    def wait(self, timeout: float | None = None) -> bool:
        """Block until everything queued has been sent (or failed); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    async def flush(self, timeout: float | None = None) -> None:
        """Async :meth:`wait`; raises ``TimeoutError`` if the queue does not empty in time."""
        if not await anyio.to_thread.run_sync(self.wait, timeout):
            raise TimeoutError(f"webhook deliveries still pending after {timeout} s")

    def close(self) -> None:
        """Send what is queued, stop the thread, close an owned client."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    def _get_client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client()
        return self._client

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="intercomkit-sandbox-webhooks", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                topic, body, notification_id = job
                try:
                    response = self.post(body)
                    result = Delivery(notification_id, topic, response.status_code)
                except httpx.HTTPError as exc:
                    result = Delivery(notification_id, topic, None, f"{type(exc).__name__}: {exc}")
                    logger.warning("webhook %s to %s failed: %s", notification_id, self.url, result.error)
                self.deliveries.append(result)
            finally:
                self._queue.task_done()
