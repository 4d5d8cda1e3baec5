"""Route webhook events to handlers by topic: register, look up, dispatch (pure lookup, no I/O of its own).

A ``Router`` also carries the :class:`~._receiver.Receiver` that verifies, dedupes, records and replays
notifications (``router.receiver``); ``router.app``, ``router.events``, ``router.failed()``, ``router.replay()``,
``router.drain()`` and ``router.wait_idle()`` are the receiver's, offered on the router so one object is enough.
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from ..errors import ConfigurationError
from ._app import WebhookApp
from ._events import Event
from ._handlers import Handler, run_handlers
from ._receiver import Receiver

__all__ = ["Handler", "Router", "topic_matches"]


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


class Router:
    """Handlers by topic, and the receiver (:attr:`receiver`, served as :attr:`app`) that runs them.

    ``secret`` and the keyword arguments configure the receiver (see :class:`~._receiver.Receiver`): ``secret`` is
    the Intercom app's client secret (needed by :attr:`app`, never shown); ``log`` an optional JSONL path (every
    notification is appended and fsynced before it is acknowledged; without it the records are kept in memory);
    ``max_body``, ``fsync``, ``dedupe_size``, ``recent`` and ``now`` (the clock for record timestamps) as there.
    """

    def __init__(self, secret: str | None = None, **receiver_options: Any) -> None:
        self._handlers: list[tuple[str, Handler]] = []
        self.receiver = Receiver(self.handlers_for, secret, **receiver_options)

    def __repr__(self) -> str:
        topics = sorted({pattern for pattern, _ in self._handlers})
        return f"Router(topics={topics!r}, log={self.receiver.log!r})"

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
        errors = [exc for _, exc in await run_handlers(event, self.handlers_for(event.topic))]
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ExceptionGroup(f"{len(errors)} webhook handlers failed for {event.topic}", errors)

    # -- the receiver's, on the router -----------------------------------------------------------------------

    @property
    def app(self) -> WebhookApp:
        """The ASGI receiver (POST a notification; ``GET /healthz``). Needs ``secret``."""
        return self.receiver.app

    @property
    def events(self) -> list[Event]:
        """The most recently received events (oldest first), duplicates excluded."""
        return self.receiver.events

    def records(self) -> list[dict[str, Any]]:
        """Every log record (from the JSONL file, or memory)."""
        return self.receiver.records()

    def failed(self) -> list[Event]:
        """Events with at least one handler whose latest run failed."""
        return self.receiver.failed()

    async def replay(self, event_id: str | None = None) -> list[Event]:
        """Re-run the failed handlers of one failed event (or of all); return the events that still fail."""
        return await self.receiver.replay(event_id)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every received event's handlers have run; False on timeout. Safe from any thread."""
        return self.receiver.wait_idle(timeout)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every received event's handlers have run (for tests and notebooks)."""
        await self.receiver.drain(timeout)
