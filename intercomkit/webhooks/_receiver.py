"""The webhook receiver: verify, dedupe and durably record each notification, run its handlers, replay failures.

It knows nothing of topics: a ``lookup(topic)`` callable (``Router.handlers_for``) says which handlers to run. The
ASGI plumbing in ``_app.py`` wraps it: :meth:`Receiver.ingest` before answering, :meth:`Receiver.process` after.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.to_thread

from ..errors import ConfigurationError, IntercomError, InvalidPayload, InvalidSignature
from ._app import WebhookApp
from ._events import Event, parse_event
from ._handlers import Handler, handler_name, run_handlers
from ._log import EventLog, MemoryLog, logger, outcome_record, received_record, summarize
from ._verify import verify

__all__ = ["DEFAULT_MAX_BODY", "Ingested", "Receiver", "event_key"]

DEFAULT_MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class Ingested:
    """What the receiver should answer for one request, and the event to hand to :meth:`Receiver.process`."""

    status: int
    detail: str
    event: Event | None = None


class Receiver:
    """Records, dedupes and handles notifications; :attr:`app` is the ASGI app around it.

    ``secret`` is the Intercom app's client secret (needed by :attr:`app`, never shown). ``log`` is an optional
    JSONL path: every notification is appended (and fsynced) before it is acknowledged; without it the records
    are kept in memory. ``now`` is the clock used for record timestamps.
    """

    def __init__(
        self,
        lookup: Callable[[str | None], list[Handler]],
        secret: str | None = None,
        *,
        log: str | os.PathLike[str] | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        fsync: bool = True,
        dedupe_size: int = 10_000,
        recent: int = 1_000,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise ConfigurationError(
                "the webhook client secret is empty: pass your Intercom app's client secret"
            )
        if max_body <= 0:
            raise ConfigurationError("max_body must be a positive number of bytes")
        self._lookup = lookup
        self._secret = secret
        self.max_body = max_body
        self._now = now or (lambda: datetime.now(UTC))
        self.log: EventLog | MemoryLog = EventLog(log, fsync=fsync) if log is not None else MemoryLog()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._dedupe_size = dedupe_size
        self._recent: deque[Event] = deque(maxlen=recent)
        self._failed: dict[str, tuple[Event, set[str]]] = {}
        self._app: WebhookApp | None = None
        if isinstance(self.log, EventLog):
            self._restore(self.log.records())

    def __repr__(self) -> str:
        return f"Receiver(log={self.log!r})"

    @property
    def app(self) -> WebhookApp:
        """The ASGI receiver (POST a notification; ``GET /healthz``). Needs ``secret``."""
        if self._secret is None:
            raise ConfigurationError(
                "a client secret is required to receive webhooks: Router(secret=...) or Receiver(lookup, secret)"
            )
        if self._app is None:
            self._app = WebhookApp(self)
        return self._app

    # -- receiving -------------------------------------------------------------------------------------------

    async def ingest(self, body: bytes, signature_header: str | None) -> Ingested:
        """Verify, parse, dedupe and durably record one request body; say what to answer.

        Returns 200 with the event to process (``event`` is ``None`` for a duplicate), 401, 400 or 500.
        """
        try:
            verify(body, signature_header, self._secret or "")
        except InvalidSignature as exc:
            logger.warning("rejected webhook: %s", exc.message)
            return Ingested(401, exc.message)
        try:
            event = parse_event(body)
        except InvalidPayload as exc:
            logger.warning("rejected webhook: %s", exc.message)
            return Ingested(400, exc.message)
        key = event_key(event)
        with self._lock:
            duplicate = key in self._seen
            self._remember(key)
        status = "duplicate" if duplicate else "received"
        record = received_record(
            event_id=key, topic=event.topic, body=event.raw, status=status, now=self._now()
        )
        try:
            await anyio.to_thread.run_sync(self.log.append, record)
        except OSError as exc:
            # Not recorded means not acknowledged: Intercom will retry.
            logger.error("could not record webhook %s: %s", key, exc)
            if not duplicate:
                with self._lock:
                    self._seen.pop(key, None)
            return Ingested(500, "could not record the event")
        if duplicate:
            return Ingested(200, "duplicate")
        with self._lock:
            self._recent.append(event)
            self._pending += 1
        return Ingested(200, "received", event)

    async def process(self, event: Event) -> None:
        """Run the handlers for an ingested event and record each outcome (never raises for a handler)."""
        try:
            await self._process(event, self._lookup(event.topic))
        finally:
            with self._lock:
                self._pending -= 1
                self._idle.notify_all()

    async def _process(self, event: Event, handlers: list[Handler]) -> list[str]:
        key = event_key(event)
        errors = {id(h): exc for h, exc in await run_handlers(event, handlers)}
        failed: list[str] = []
        for handler in handlers:
            name = handler_name(handler)
            exc = errors.get(id(handler))
            if exc is None:
                self._append_outcome(event, key, name, "handled", None)
                continue
            failed.append(name)
            logger.error(
                "webhook handler %s failed for %s %s: %s",
                name,
                event.topic,
                key,
                type(exc).__name__,
                exc_info=(type(exc), exc, exc.__traceback__),
            )
            self._append_outcome(event, key, name, "failed", f"{type(exc).__name__}: {exc}"[:500])
        with self._lock:
            if failed:
                self._failed[key] = (event, set(failed))
            else:
                self._failed.pop(key, None)
        return failed

    def _append_outcome(self, event: Event, key: str, handler: str, status: str, error: str | None) -> None:
        record = outcome_record(
            event_id=key, topic=event.topic, status=status, handler=handler, error=error, now=self._now()
        )
        try:
            self.log.append(record)
        except OSError as exc:
            logger.error("could not record the outcome of webhook %s: %s", key, exc)

    def _remember(self, key: str) -> None:
        self._seen[key] = None
        self._seen.move_to_end(key)
        while len(self._seen) > self._dedupe_size:
            self._seen.popitem(last=False)

    def _restore(self, records: list[dict[str, Any]]) -> None:
        for key, state in summarize(records).items():
            self._remember(key)
            event = parse_event(state.received.get("body") or {})
            if state.failed_handlers:
                self._failed[key] = (event, set(state.failed_handlers))

    # -- inspection and replay -------------------------------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        """The most recently received events (oldest first), duplicates excluded."""
        with self._lock:
            return list(self._recent)

    def records(self) -> list[dict[str, Any]]:
        """Every log record (from the JSONL file, or memory)."""
        return self.log.records()

    def failed(self) -> list[Event]:
        """Events with at least one handler whose latest run failed."""
        with self._lock:
            return [event for event, _ in self._failed.values()]

    async def replay(self, event_id: str | None = None) -> list[Event]:
        """Re-run the failed handlers of one failed event (or of all); return the events that still fail.

        Handlers are matched by name; if none of the handlers now registered for the topic has a failed name (it
        was renamed), all of them run.
        """
        with self._lock:
            if event_id is None:
                todo = list(self._failed.items())
            elif event_id in self._failed:
                todo = [(event_id, self._failed[event_id])]
            else:
                raise IntercomError(f"no failed webhook event with id {event_id!r}")
        still: list[Event] = []
        for _key, (event, names) in todo:
            current = self._lookup(event.topic)
            chosen = [h for h in current if handler_name(h) in names] or current
            if await self._process(event, chosen):
                still.append(event)
        return still

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every received event's handlers have run; False on timeout. Safe from any thread."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every received event's handlers have run (for tests and notebooks)."""
        if not await anyio.to_thread.run_sync(self.wait_idle, timeout):
            raise TimeoutError(f"webhook handlers still running after {timeout} s")


def event_key(event: Event) -> str:
    """The dedupe key: the notification id, or a digest of the body when Intercom sent none."""
    if event.id:
        return event.id
    canonical = json.dumps(event.raw, sort_keys=True, separators=(",", ":"), default=str)
    return "sha1:" + hashlib.sha1(canonical.encode("utf-8")).hexdigest()
