"""Route webhook events to handlers, and keep what the receiver needs: dedupe, record, queue, failures, replay.

``Router.handlers_for`` is a pure lookup and ``Router.dispatch`` runs handlers for one event; the ASGI plumbing
lives in ``_app.py`` and calls :meth:`Router.ingest` then :meth:`Router.process`.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

import anyio
import anyio.to_thread

from ..errors import ConfigurationError, IntercomError, InvalidPayload, InvalidSignature
from ._events import Event, parse_event
from ._log import EventLog, MemoryLog, logger, outcome_record, received_record, summarize
from ._verify import verify

__all__ = ["Handler", "Ingested", "Router", "event_key", "topic_matches"]

Handler = Callable[[Event], Awaitable[Any] | Any]

DEFAULT_MAX_BODY = 1024 * 1024


def _check_pattern(pattern: str) -> str:
    if not isinstance(pattern, str) or not pattern or any(not part for part in pattern.split(".")):
        raise ConfigurationError(
            f"bad webhook topic pattern {pattern!r}: use e.g. 'company.created' or 'contact.*'"
        )
    return pattern


def topic_matches(pattern: str, topic: str) -> bool:
    """Match ``topic`` against ``pattern`` segment by segment (segments are split on dots).

    Each segment is an :func:`fnmatch.fnmatchcase` pattern; a final ``*`` segment also matches any number of
    further segments, so ``contact.*`` matches ``contact.user.created`` and ``*`` matches every topic.
    """
    want, have = pattern.split("."), topic.split(".")
    if want[-1] == "*" and len(have) >= len(want):
        have = have[: len(want) - 1] + [".".join(have[len(want) - 1 :])]
    return len(want) == len(have) and all(fnmatchcase(h, w) for w, h in zip(want, have, strict=True))


def _name(handler: Handler) -> str:
    module = getattr(handler, "__module__", None) or ""
    qualname = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    return f"{module}.{qualname}" if module else qualname


@dataclass(frozen=True)
class Ingested:
    """What the receiver should answer for one request, and the event to hand to :meth:`Router.process`."""

    status: int
    detail: str
    event: Event | None = None


class Router:
    """Handlers by topic, plus a webhook receiver (:attr:`app`) that records, dedupes and runs them.

    ``secret`` is the Intercom app's client secret (needed by :attr:`app`, never shown). ``log`` is an optional
    JSONL path: every notification is appended (and fsynced) before it is acknowledged; without it the records
    are kept in memory. ``now`` is the clock used for record timestamps.
    """

    def __init__(
        self,
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
        self._secret = secret
        self.max_body = max_body
        self._handlers: list[tuple[str, Handler]] = []
        self._now = now or (lambda: datetime.now(UTC))
        self._log: EventLog | MemoryLog = EventLog(log, fsync=fsync) if log is not None else MemoryLog()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._dedupe_size = dedupe_size
        self._recent: deque[Event] = deque(maxlen=recent)
        self._failed: dict[str, tuple[Event, set[str]]] = {}
        self._app: Any = None
        if isinstance(self._log, EventLog):
            self._restore(self._log.records())

    def __repr__(self) -> str:
        topics = sorted({pattern for pattern, _ in self._handlers})
        return f"Router(topics={topics!r}, log={self._log!r})"

    # -- routing ---------------------------------------------------------------------------------------------

    def on(self, *patterns: str) -> Callable[[Handler], Handler]:
        """Decorator registering a sync or async handler for one or more topic patterns."""
        if not patterns:
            raise ConfigurationError("router.on() needs at least one topic, e.g. 'company.created'")
        checked = [_check_pattern(p) for p in patterns]

        def register(handler: Handler) -> Handler:
            for pattern in checked:
                self.add(pattern, handler)
            return handler

        return register

    def add(self, pattern: str, handler: Handler) -> None:
        if not callable(handler):
            raise ConfigurationError(f"webhook handler for {pattern!r} is not callable")
        self._handlers.append((_check_pattern(pattern), handler))

    def handlers_for(self, topic: str | None) -> list[Handler]:
        """The handlers for ``topic`` in registration order (each at most once)."""
        found: list[Handler] = []
        for pattern, handler in self._handlers:
            if topic is not None and topic_matches(pattern, topic) and handler not in found:
                found.append(handler)
        return found

    async def dispatch(self, event: Event) -> None:
        """Run every handler for ``event``; re-raise a failure (several as an ``ExceptionGroup``)."""
        errors = [exc for _, exc in await self._run(event, self.handlers_for(event.topic))]
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ExceptionGroup(f"{len(errors)} webhook handlers failed for {event.topic}", errors)

    async def _run(self, event: Event, handlers: list[Handler]) -> list[tuple[Handler, Exception]]:
        failures: list[tuple[Handler, Exception]] = []
        for handler in handlers:
            try:
                if inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
                    getattr(handler, "__call__", None)  # noqa: B004 - async callable objects
                ):
                    await handler(event)
                else:
                    result = await anyio.to_thread.run_sync(handler, event)
                    if inspect.isawaitable(result):
                        await result
            except Exception as exc:
                failures.append((handler, exc))
        return failures

    # -- receiving -------------------------------------------------------------------------------------------

    @property
    def app(self) -> Any:
        """The ASGI receiver (POST a notification; ``GET /healthz``). Needs ``secret``."""
        if self._secret is None:
            raise ConfigurationError("Router(secret=...) is required to receive webhooks")
        if self._app is None:
            from ._app import WebhookApp

            self._app = WebhookApp(self)
        return self._app

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
            await anyio.to_thread.run_sync(self._log.append, record)
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
            await self._process(event, self.handlers_for(event.topic))
        finally:
            with self._lock:
                self._pending -= 1
                self._idle.notify_all()

    async def _process(self, event: Event, handlers: list[Handler]) -> list[str]:
        key = event_key(event)
        errors = {id(h): exc for h, exc in await self._run(event, handlers)}
        failed: list[str] = []
        for handler in handlers:
            name = _name(handler)
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
            self._log.append(record)
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

    # -- inspection ------------------------------------------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        """The most recently received events (oldest first), duplicates excluded."""
        with self._lock:
            return list(self._recent)

    def records(self) -> list[dict[str, Any]]:
        """Every log record (from the JSONL file, or memory)."""
        return self._log.records()

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
            current = self.handlers_for(event.topic)
            chosen = [h for h in current if _name(h) in names] or current
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
