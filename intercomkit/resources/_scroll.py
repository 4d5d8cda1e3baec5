"""The companies scroll walk: one open scroll per workspace, restart or raise on expiry, never a runaway."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .._pagination import Page, Paginator
from .._protocol.numbers import is_int
from .._protocol.pages import GIVE_UP, RAISE, RESTART, PageRequest, Scroll, scroll_expired
from .._walk import DictPage, Walk, unseen
from ..errors import BadRequest, ScrollExpired, ScrollInProgress

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["ScrollPaginator"]

logger = logging.getLogger("intercomkit")

# Intercom forgets an idle scroll after a minute; a scroll left open by a crashed run blocks new ones until then.
SCROLL_IDLE_EXPIRY = 60.0


def _is_scroll_exists(exc: BadRequest) -> bool:
    text = f"{exc.code or ''} {exc.message}".lower()
    return "scroll_exists" in text or "scroll already exists" in text


class ScrollPaginator(Paginator[Any]):
    """``GET /companies/scroll``. Stops on an empty ``data`` (the ``scroll_param`` is the same on every page).

    A scroll page is never sent twice: each answer advances the scroll on Intercom's side, so re-sending a page
    whose answer was lost (a timeout, a 5xx, a cut body) would skip a page silently. Intercom's description says
    "you will need to restart your scroll query: It is not possible to continue from a specific point". So any
    failure of a page, like an expired ``scroll_param``, starts the scroll again from the top and skips companies
    already yielded. The lost scroll may still be open on Intercom (one scroll per app): the restart first asks at
    once and, if Intercom answers ``scroll_exists``, waits until a minute has passed since that scroll's last
    request ("If the scroll isn't used for 1 minute, it expires").

    ``on_expired``: ``"restart"`` (default) walks again from the start; ``"raise"`` raises ``ScrollExpired`` when the
    scroll expires or a page fails. ``max_restarts``: how many restarts in a row may return nothing new before the
    last error is raised. ``on_exists``: ``"wait"`` waits out Intercom's one-minute expiry of a scroll left open by
    a crashed run (up to ``wait_limit`` seconds); ``"raise"`` raises ``ScrollInProgress`` at once.
    """

    def __init__(
        self,
        client: AsyncClient,
        *,
        model: Any = None,
        on_expired: str = "restart",
        on_exists: str = "wait",
        wait_limit: float = SCROLL_IDLE_EXPIRY + 10,
        max_restarts: int = 10,
    ) -> None:
        if on_expired not in ("restart", "raise"):
            raise ValueError("on_expired must be 'restart' or 'raise'")
        if on_exists not in ("wait", "raise"):
            raise ValueError("on_exists must be 'wait' or 'raise'")
        if not is_int(max_restarts) or max_restarts < 0:
            raise ValueError("max_restarts must be a non-negative integer")
        style = Scroll(restart=on_expired == "restart", max_restarts=max_restarts)
        super().__init__(client, style, model=model, frame_builder="companies_frame")
        self.on_expired = on_expired
        self.on_exists = on_exists
        self.wait_limit = wait_limit
        self.max_restarts = max_restarts
        self.restarts = 0

    async def pages(self) -> AsyncIterator[Page]:
        # One scroll per workspace inside this process: Intercom allows one per app, so a second would fail (or
        # worse, steal the first one's cursor).
        registry, key = self._client.workspaces, self._client.workspace_key
        if not registry.open_scroll(key):
            raise ScrollInProgress(
                "another companies scroll is already running for this workspace in this process; Intercom "
                "allows one at a time: wait for it to finish"
            )
        try:
            async for page in self._walk():
                yield page
        finally:
            registry.close_scroll(key)

    async def _walk(self) -> AsyncIterator[Page]:
        seen: set[str] = set()
        fruitless = 0  # passes in a row that returned nothing new
        fresh_in_pass = 0
        number = 0
        # When our previous scroll was lost: the time of its last request (it expires a minute after that).
        lost_at: float | None = None
        sent_at = 0.0

        async def load(request: PageRequest) -> DictPage:
            nonlocal lost_at, sent_at
            sent_at = self._client.now()
            body = await self._fetch(request, lost_at)
            lost_at = None
            return DictPage.read(self.style, body)

        async def recover(exc: Exception, request: PageRequest, attempt: int) -> str:
            nonlocal fruitless, fresh_in_pass, lost_at
            expired = scroll_expired(request, exc)
            fruitless = 0 if fresh_in_pass else fruitless + 1
            verdict = self.style.after_failure(request, exc, fruitless=fruitless)
            if expired is not None and verdict == RAISE:  # on_expired="raise"
                what = "expired" if expired else f"failed ({type(exc).__name__})"
                raise ScrollExpired(
                    f"the companies scroll {what} after {len(seen):,} companies ({_reason(exc)}); Intercom "
                    "cannot continue a scroll from a point: use on_expired='restart' to start over and skip "
                    "what was already returned"
                ) from (None if expired else exc)
            if verdict == GIVE_UP and expired:
                raise ScrollExpired(
                    f"the companies scroll expired {fruitless} times in a row without returning anything new; "
                    "giving up"
                ) from None
            if verdict == RESTART:
                # An expired scroll is gone; any other failure may have left it open on Intercom's side.
                lost_at = None if expired else sent_at
                fresh_in_pass = 0
                self.restarts += 1
                logger.info(
                    "companies scroll %s after %d companies: restarting from the top",
                    "expired" if expired else f"failed ({type(exc).__name__})",
                    len(seen),
                )
            return verdict

        walk = Walk(self.style, load, recover=recover)
        self.restarts = 0
        async for page in walk.pages():
            if walk.total is not None:
                self.total_count = walk.total
            fresh = unseen(page.items, seen)
            fresh_in_pass += len(fresh)
            if fresh or not page.items:
                number += 1
                assert walk.request is not None  # the request that fetched this page
                yield Page(items=fresh, body=page.body, request=walk.request, number=number)

    async def _fetch(self, request: PageRequest, lost_at: float | None) -> dict[str, Any]:
        waited = 0.0
        while True:
            try:
                return await self._client.request(request.method, request.path, params=request.params)
            except BadRequest as exc:
                if not _is_scroll_exists(exc) or request.params:
                    raise
                if lost_at is None and (self.on_exists == "raise" or waited >= self.wait_limit):
                    raise ScrollInProgress(
                        "Intercom reports a companies scroll already open for this app (perhaps left by a run "
                        "that crashed); it expires after a minute of inactivity"
                        + (f" — waited {waited:.0f}s" if waited else "; pass on_exists='wait' to wait it out")
                    ) from None
                step = 5.0
                if lost_at is not None:
                    # Our own lost scroll: it expires a minute after its last request. Wait that out in one go.
                    step = max(lost_at + SCROLL_IDLE_EXPIRY + 1.0 - self._client.now(), 1.0)
                    lost_at = None
                await self._client.sleep(step)
                waited += step


def _reason(exc: Exception) -> str:
    return getattr(exc, "message", "") or str(exc) or type(exc).__name__
