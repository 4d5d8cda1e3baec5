"""The Sandbox: a fake Intercom workspace served as an ASGI app."""

from __future__ import annotations

import copy
import hmac
import inspect
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio

from . import (
    _routes_admins,
    _routes_companies,
    _routes_contacts,
    _routes_conversations,
    _routes_data_attributes,
    _routes_reporting,
    _routes_tickets,
    _routes_workspace,
)
from ._app import RouteTable, SandboxApp, call_handler
from ._conversations import Conversations
from ._data import Workspace
from ._errors import SandboxAPIError, error_body, proxy_html
from ._faults import FaultInjector, Faults
from ._fleet import SandboxFleet
from ._http import Request, Response, json_response
from ._limits import FixedWindowLimiter, RateLimitConfig
from ._oauth import install_oauth
from ._render import list_json
from ._reporting import ReportingJobs
from ._search_exec import SearchCache
from ._store import Store
from ._support_data import Support
from ._tickets import Tickets
from ._transport import SandboxTransport

__all__ = ["BASE_URL", "Sandbox"]

BASE_URL = "https://sandbox.intercomkit.invalid"
CONVERSATIONS, TICKETS = 200, 50
REQUEST_LOG_SIZE = 100_000
logger = logging.getLogger("intercomkit.sandbox")


def _zone(name: str) -> tzinfo:
    if not isinstance(name, str) or not name:
        raise ValueError("timezone must be an IANA name such as 'America/Los_Angeles'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {name!r}: use an IANA name such as 'America/Los_Angeles'"
        ) from exc


class Sandbox:
    """A deterministic fake Intercom workspace.

    >>> sb = Sandbox(contacts=100, companies=10, seed=0)
    >>> len(sb.contact_ids())
    100

    Data is generated lazily from ``seed``: a million contacts cost three compact columns, not a million dicts.
    ``clock`` (unix seconds) drives created/updated times of new records, rate-limit windows and scroll expiry;
    ``sleep`` (async) is awaited with ``latency`` seconds on every request.

    ``timezone`` is the workspace's IANA timezone (default UTC), reported by ``GET /me`` as ``app.timezone``: like
    Intercom, search matches dates "by calendar day" and "The day boundary uses your workspace's timezone".

    ``render_cache=True`` keeps each generated contact's JSON text once rendered (~2.3 KB a contact, dropped when
    anything changes), and ``warm()`` renders them all up front. A page of contacts then costs the server a join
    instead of ~0.05 ms of Python per contact: benchmarks use it so that a server sharing the client's cores
    spends as little of them as Intercom's own servers do.

    ``search_lag`` (seconds of ``clock``): a contact created or updated is seen by ``POST /contacts/search`` (rows
    and ``total_count``) only that long after the change; until then search answers its previous version (a new
    contact: nothing). ``GET /contacts/{id}`` and ``GET /contacts`` see it at once. Intercom: "it will not yet be
    available when searching … This delay can take a few minutes." Default 0: search sees every change at once.
    Conversations changed through the API lag the same way in ``POST /conversations/search``.

    ``conversations`` and ``tickets``: the support workspace (none without contacts). Conversations start with a
    contact's message and hold parts of Intercom's part types, authored by contacts, admins and bots (Fin, the AI
    agent, writes ``bot`` parts with ``from_ai_agent``); ``statistics`` are computed from the parts, wall-clock (the
    sandbox has no office hours). Every conversation index ``% 250 == 17`` has more than 500 parts (a GET answers
    the 500 most recent) and every index ``% 47 == 5`` is deleted (404, not listed or searched).

    ``reporting``: the reporting-data export jobs (``/export/reporting_data/*``) over those conversations; a job stays
    pending ``reporting.delay`` seconds of ``clock``, ``reporting.fail_next`` jobs end ``failed``, at most 5 are
    pending at once (429 beyond), and the download is a gzipped CSV.
    """

    def __init__(
        self,
        contacts: int = 1000,
        companies: int = 100,
        seed: int = 0,
        latency: float = 0.0,
        rate_limit: RateLimitConfig | int | None = None,
        faults: Faults | None = None,
        token: str = "sandbox",
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        admins: int = 3,
        render_cache: bool = False,
        timezone: str = "Etc/UTC",
        search_lag: float = 0.0,
        conversations: int = CONVERSATIONS,
        tickets: int = TICKETS,
    ) -> None:
        if contacts < 0 or companies < 0 or conversations < 0 or tickets < 0:
            raise ValueError("contacts, companies, conversations and tickets must be >= 0")
        if not token:
            raise ValueError("token must be a non-empty string")
        self.seed = seed
        self.latency = latency
        self.rate_limit = RateLimitConfig.coerce(rate_limit)
        self.faults = faults
        self.token = token
        # Every bearer token the sandbox accepts: the one it was built with, plus those issued through OAuth.
        self.tokens: set[str] = {token}
        self._public: set[tuple[str, str]] = set()
        self.base_url = BASE_URL
        self._clock = clock or time.time
        self._sleep = sleep or anyio.sleep
        self._lock = threading.RLock()
        self._rng = random.Random(f"sandbox:{seed}")
        self.zone = _zone(timezone)
        self.timezone = timezone
        workspace = Workspace(
            seed,
            admins,
            contacts=contacts,
            companies=companies,
            timezone=str(timezone),
            support=None
            if (conversations, tickets) == (CONVERSATIONS, TICKETS)
            else (conversations, tickets),
        )
        self._store = Store(workspace, contacts, companies, self._clock, search_lag)
        self._support = Support(workspace)
        self._conversations = Conversations(self._store, self._support, conversations)
        self._tickets = Tickets(self._store, self._support, tickets)
        # Reporting-data export jobs: tests set .delay, .expires_after and .fail_next on it.
        self.reporting = ReportingJobs(self._clock)
        self._store.ws.app["timezone"] = timezone
        if render_cache:
            self._store.keep_json()
        self._search_cache = SearchCache()
        self._limiter = FixedWindowLimiter(self.rate_limit)
        self._faults = FaultInjector(faults)
        self._scroll: _routes_companies.Scroll | None = None
        self._router = RouteTable()
        for module in (
            _routes_admins,
            _routes_contacts,
            _routes_companies,
            _routes_data_attributes,
            _routes_conversations,
            _routes_reporting,
            _routes_tickets,
            _routes_workspace,
        ):
            module.register(self._router)
        self.app = SandboxApp(self)
        self.request_log: deque[tuple[str, str, int]] = deque(maxlen=REQUEST_LOG_SIZE)
        self.request_count = 0
        self.on_change: list[Callable[[str, dict], Any]] = []
        self.hook_errors: list[BaseException] = []
        self.webhook: Any = None
        install_oauth(self)

    def __repr__(self) -> str:
        # never the token
        return (
            f"Sandbox(contacts={self._store.live_contacts}, companies={len(self._store.live_company_indices())}, "
            f"conversations={self._conversations.n}, tickets={self._tickets.n}, "
            f"seed={self.seed}, timezone={self.timezone!r})"
        )

    @classmethod
    def fleet(cls, n: int, *, token: str = "sandbox", seed: int = 0, **kw: Any) -> SandboxFleet:
        """``n`` independent workspaces on one app, chosen by token: workspace ``k`` (1..n) accepts
        ``<token>-k`` and has seed ``seed + k`` (its own data and ``app.id_code``) and its own rate limit.
        ``contacts``, ``conversations`` and ``tickets`` may each be one size or a list of ``n``; every other
        argument is given to each ``Sandbox``."""
        return SandboxFleet.build(cls, n, token=token, seed=seed, **kw)

    # -- ASGI / clients -------------------------------------------------------------------------------------
    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        await self.app(scope, receive, send)

    def transport(self) -> SandboxTransport:
        return SandboxTransport(self.app)

    def client(self, **kw: Any) -> Any:
        from intercomkit import AsyncClient  # lazy: the client must never be needed to import the sandbox

        return AsyncClient(token=self.token, base_url=self.base_url, transport=self.transport(), **kw)

    def add_route(
        self, method: str, pattern: str, handler: Callable[[Request], Any], *, public: bool = False
    ) -> None:
        """Add an endpoint, e.g. ``add_route("POST", "/oauth/token", handler)``; handler(request) -> Response.

        The request is a ``intercomkit.sandbox.Request``; build responses with ``json_response``. Raise
        ``SandboxAPIError(status, code, message)`` for an ``error.list`` answer. ``public`` routes need no bearer
        token (a browser opening the OAuth authorize page carries none).
        """
        self._router.add(method, pattern, handler)
        if public:
            self._public.add((method.upper(), pattern))

    def set_webhook(self, url: str, secret: str) -> Any:
        """Deliver signed notifications of company/contact created/updated to ``url``, like an Intercom app.

        Returns the ``WebhookDelivery`` (``.wait()`` blocks until queued notifications are sent).
        """
        from ._webhooks import WebhookDelivery

        if self.webhook is not None:
            self.on_change.remove(self.webhook)
            self.webhook.close()
        self.webhook = WebhookDelivery(url, secret, self._store.ws.app_id, clock=self._clock)
        self.on_change.append(self.webhook)
        return self.webhook

    # -- inspection -----------------------------------------------------------------------------------------
    def warm(self) -> None:
        """Render every live contact's JSON into the cache now (needs ``render_cache=True``)."""
        if self._store.json_cache() is None:
            raise ValueError("warm() needs Sandbox(render_cache=True)")
        live = self._store.live_indices()
        with self._lock:
            for start in range(0, len(live), 1000):
                list_json(self._store, live[start : start + 1000], 0, {})

    def contact_ids(self) -> list[str]:
        """Ids of all contacts that are not deleted (archived ones included)."""
        with self._lock:
            store = self._store
            return [store.ws.contact_id(store.created[i], i) for i in store.live_indices()]

    def archived_contact_ids(self) -> set[str]:
        """Ids of archived contacts (not in list or search; ``contact_ids()`` includes them)."""
        with self._lock:
            store = self._store
            return {store.ws.contact_id(store.created[i], i) for i in store.archived}

    @property
    def tag_ids(self) -> list[str]:
        """Ids of the workspace's tags (``POST /contacts/{id}/tags`` takes one)."""
        return list(self._store.ws.tag_ids)

    def company_ids(self) -> list[str]:
        with self._lock:
            store = self._store
            return [store.company_record(j)["id"] for j in store.live_company_indices()]

    def get_contact(self, contact_id: str) -> dict | None:
        with self._lock:
            idx = self._store.contact_index(contact_id)
            if idx is None:
                return None
            return copy.deepcopy(self._store.render_contact(self._store.contact_record(idx)))

    def get_company(self, company_id: str) -> dict | None:
        with self._lock:
            j = self._store.company_index(company_id)
            return None if j is None else copy.deepcopy(self._store.company_record(j))

    def company_activity(self, company_id: str, at: float | None = None) -> None:
        """The company's users were active at ``at`` (default: the sandbox clock): its ``last_request_at`` moves
        forward and it moves up the companies list, as on a busy workspace (tests move companies mid-walk)."""
        with self._lock:
            j = self._store.require_company(company_id)
            self._store.company_seen(j, int(self._clock() if at is None else at))

    def conversation_ids(self) -> list[str]:
        """Ids of the conversations GET /conversations lists (not the deleted ones)."""
        convs = self._conversations
        return [convs.conversation_id(i) for i in range(convs.n) if convs.live(i)]

    def deleted_conversation_ids(self) -> list[str]:
        return self._conversations.deleted_ids()

    def big_conversation_ids(self) -> list[str]:
        """Conversations with more than 500 parts: a GET answers only "the 500 most recent conversation parts"."""
        return self._conversations.big_ids()

    def get_conversation(self, conversation_id: str, *, all_parts: bool = False) -> dict | None:
        """The conversation as GET answers it, or with every part (``all_parts``: what an export should hold)."""
        with self._lock:
            convs = self._conversations
            i = convs.index(conversation_id)
            if i is None:
                return None
            rec = convs.record(i)
            out = copy.deepcopy(convs.render(rec))
            if all_parts:
                out["conversation_parts"]["conversation_parts"] = copy.deepcopy(rec["_parts"])
            return out

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete a conversation now (as ``DELETE /conversations/{id}`` does): e.g. in the middle of an export."""
        with self._lock:
            convs = self._conversations
            i = convs.index(conversation_id)
            if i is None:
                raise KeyError(conversation_id)
            convs.delete(i)

    def move_conversation(self, conversation_id: str, created_at: int) -> None:
        """Make a conversation one created at ``created_at`` (unix seconds), e.g. exactly on a day's first second
        (its updated_at moves up to it if earlier). Raises ``KeyError`` for an unknown or deleted id."""
        with self._lock:
            convs = self._conversations
            i = convs.index(conversation_id)
            if i is None:
                raise KeyError(conversation_id)
            convs.move(i, int(created_at))

    def ticket_ids(self) -> list[str]:
        tickets = self._tickets
        return [tickets.ticket_id(i) for i in range(tickets.n)]

    @property
    def team_ids(self) -> list[str]:
        return list(self._support.team_ids)

    @property
    def messages(self) -> list[dict]:
        return self._store.messages

    @property
    def admin_ids(self) -> list[str]:
        return list(self._store.ws.admin_ids)

    # -- request pipeline -----------------------------------------------------------------------------------
    def _authorized(self, request: Request) -> bool:
        if self._public and (request.method, request.path) in self._public:
            return True
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        presented = value.strip().encode()
        return any(hmac.compare_digest(presented, token.encode()) for token in list(self.tokens))

    async def _handle(self, request: Request) -> Response:
        self.request_count += 1
        response = await self._respond(request)
        self.request_log.append(
            (request.method, request.path, 0 if response.fault == "drop" else response.status)
        )
        return response

    async def _respond(self, request: Request) -> Response:
        if not self._authorized(request):
            return json_response(error_body("unauthorized", "Access Token Invalid"), 401)
        with self._lock:
            allowed, limit_headers = self._limiter.hit(self._clock())
            fault = self._faults.draw() if allowed else None
        if self.latency:
            await self._sleep(self.latency)
        if not allowed or fault == "429burst":
            return json_response(
                error_body(
                    "rate_limit_exceeded", "You have exceeded the rate limit. Please try again later."
                ),
                429,
                limit_headers,
            )
        if fault in ("500", "502", "503"):
            if self.faults is not None and self.faults.error_after_effect:
                await self._dispatch(request)  # the effect happens, its answer is lost
            if fault == "500":
                body = error_body("server_error", "Request failed due to an internal network error.")
                return json_response(body, 500, limit_headers)
            status = int(fault)
            return Response(status, proxy_html(status), {"content-type": "text/html", **limit_headers})
        if fault == "drop" and self.faults is not None and not self.faults.drop_after_effect:
            return Response(200, b'{"type":"', dict(limit_headers), fault="drop")
        response = await self._dispatch(request)
        response.headers.update(limit_headers)
        if fault == "drop":
            response.fault = "drop"
        elif fault == "truncate" and response.status == 200:
            response.body = response.body[: len(response.body) // 2]
        return response

    async def _dispatch(self, request: Request) -> Response:
        try:
            handler, params = self._router.resolve(request.method, request.path)
            request.path_params = params
            response = await call_handler(handler, request, self._lock)
        except SandboxAPIError as exc:
            response = json_response(exc.body(), exc.status)
        except Exception:
            logger.exception("sandbox handler failed for %s %s", request.method, request.path)
            response = json_response(error_body("server_error", "Sandbox internal error"), 500)
        finally:
            with self._lock:
                events, self._store.events = self._store.events, []
        await self._emit(events)
        return response

    async def _emit(self, events: list[tuple[str, dict]]) -> None:
        for topic, item in events:
            for hook in list(self.on_change):
                try:
                    result = hook(topic, item)
                    if inspect.isawaitable(result):
                        await result
                except Exception as exc:  # a broken hook must not break the API call that triggered it
                    logger.exception("sandbox on_change hook failed for %s", topic)
                    self.hook_errors.append(exc)
