"""``AsyncClient``: the one place that talks to httpx.

The send path, the gidgethub way: ``request``/``request_raw`` (guard the URL) → ``_send_with_retries`` (rate-limit
wait; retry or not decided by status alone in ``_protocol.retry``) → ``_exchange`` (one HTTP exchange: status,
headers, body; the rate limit read once). A 2xx body is decoded by ``_protocol.responses.decipher`` (or returned
as bytes by ``request_raw``); an error status becomes a named error once, when no retry is left. Resources,
paginators and the export all go through ``request`` or ``request_raw``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from functools import cached_property
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from ._credentials import resolve_token
from ._lean import LeanTransport
from ._models import Admin
from ._pool import ShardedTransport
from ._protocol.days import UnknownZone, zone_from_name
from ._protocol.headers import DEFAULT_API_VERSION, check_token, default_headers
from ._protocol.ratelimit import RateLimit
from ._protocol.regions import BaseURL, resolve_base_url
from ._protocol.responses import decipher, error_from_response
from ._protocol.retry import RetryPolicy, is_repeatable
from ._workspaces import SHARED_WORKSPACES, WorkspaceRegistry, workspace_key
from .errors import (
    ConfigurationError,
    EventLoopMismatch,
    Forbidden,
    InvalidResponse,
    NotFound,
    OutcomeUnknown,
    TransportError,
)

if TYPE_CHECKING:
    from ._sync import SyncClient
    from .export import Exporter
    from .resources.admins import Admins
    from .resources.companies import Companies
    from .resources.contacts import Contacts
    from .resources.conversations import Conversations
    from .resources.messages import Messages
    from .resources.reporting import Reporting
    from .resources.tickets import Tickets
    from .resources.workspace import DataAttributes, Segments, Tags, Teams

__all__ = ["AsyncClient", "ClientStats"]

logger = logging.getLogger("intercomkit")

# GET /me not asked yet (None is an answer: a token that may not read it).
_UNREAD = object()

# URLs parsed once and kept (a page walk asks for one URL again and again; ids make the rest unbounded).
_KEEP_URLS = 64

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass
class ClientStats:
    """Counters for this client's lifetime (the export reports them)."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0


class AsyncClient:
    """An async Intercom client.

    ``token`` defaults to the session's connection (``ik.connect``), then ``INTERCOM_ACCESS_TOKEN`` (read now, not at
    import), then the saved ``profile``. ``region`` is ``"us"``, ``"eu"`` or ``"au"``; ``base_url`` overrides it
    (a served sandbox, a proxy). ``transport`` is any ``httpx.AsyncBaseTransport`` (tests, the in-process sandbox);
    without one, requests go over HTTP/1.1 keep-alive connections straight on asyncio's streams (``LeanTransport``,
    about a quarter of httpx's own transport's CPU a page), or through httpx's own pools with
    ``lean_transport=False`` (and always on trio).
    ``clock``, ``sleep`` and ``rng`` are injectable so tests never really wait. ``workspace_timezone`` (an IANA
    name or a ``tzinfo``) sets the workspace timezone instead of asking ``GET /me`` for it (offline planning, tests).
    ``workspaces`` is the registry of per-workspace state (open scroll, rate budget) shared with other clients of
    the same workspace; ``SHARED_WORKSPACES`` by default, a fresh ``WorkspaceRegistry()`` to isolate a client.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        region: str | None = None,
        base_url: str | None = None,
        profile: str | None = None,
        version: str = DEFAULT_API_VERSION,
        timeout: float | httpx.Timeout = 30.0,
        max_retries: int = 5,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 100,
        lean_transport: bool = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
        rng: random.Random | None = None,
        env: Mapping[str, str] | None = None,
        workspace_timezone: str | tzinfo | None = None,
        workspaces: WorkspaceRegistry | None = None,
    ) -> None:
        resolved_region, resolved_base = region, base_url
        if token is None:
            token, stored_region, stored_base = _resolve_credentials(
                profile, os.environ if env is None else env
            )
            if region is None and base_url is None:
                resolved_region, resolved_base = stored_region, stored_base
        self._token = check_token(token)
        self._base: BaseURL = resolve_base_url(resolved_region, resolved_base)
        self._headers = default_headers(self._token, version)
        # Names the workspace in shared state without holding the token (a digest, not reversible).
        self.workspace_key = workspace_key(str(self._base), self._token)
        self.workspaces = SHARED_WORKSPACES if workspaces is None else workspaces
        self.version = self._headers["Intercom-Version"]
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError("max_retries must be a non-negative integer")
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.rate_limit: RateLimit | None = None
        self.stats = ClientStats()
        self._zone: tzinfo | None = _zone_override(workspace_timezone)
        self._app: Any = _UNREAD
        timeout = (
            timeout
            if isinstance(timeout, httpx.Timeout)
            else httpx.Timeout(timeout, connect=min(timeout, 10.0))
        )
        if not isinstance(max_connections, int) or max_connections < 1:
            raise ValueError("max_connections must be a positive integer")
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._transport = transport or (
            LeanTransport(max_connections) if lean_transport else ShardedTransport(max_connections)
        )
        self._http = httpx.AsyncClient(
            transport=self._transport,
            timeout=timeout,
            follow_redirects=False,  # a redirect must never carry the token to another host
            trust_env=False,
        )
        # What httpx.AsyncClient.build_request would merge into every request, merged once (see _exchange).
        self._request_headers = httpx.Headers(self._http.headers)
        self._request_headers.update(self._headers)
        self._extensions = {"timeout": timeout.as_dict()}
        self._urls: dict[str, httpx.URL] = {}
        self._joined: dict[str, str] = {}  # path -> URL, checked once (BaseURL.join)

    # -- configuration -------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return str(self._base)

    @property
    def base(self) -> BaseURL:
        return self._base

    def now(self) -> float:
        return self._clock()

    async def sleep(self, seconds: float) -> None:
        await self._sleep(seconds)

    def __repr__(self) -> str:
        return f"<AsyncClient base_url={self.base_url!r} version={self.version!r}>"

    def __reduce__(self) -> Any:
        raise TypeError("AsyncClient holds a live connection pool and a secret token; it cannot be pickled")

    def _secrets(self) -> tuple[str, ...]:
        return (self._token,)

    # -- lifecycle -----------------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- requests ------------------------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        repeatable: bool | None = None,
    ) -> dict[str, Any]:
        """Call any endpoint: ``await client.request("GET", "/tags")`` → the JSON object Intercom answered.

        ``path`` must be a path on the configured host (absolute URLs and ``//host`` are refused). Errors come back
        as the named exceptions of ``intercomkit.errors``. ``repeatable`` overrides the retry safety rule (by
        default GET/PUT/DELETE and read-only POSTs such as searches are retried; creating POSTs are not).
        """
        return await self._send(method, path, params, json, repeatable, raw=False)

    async def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        repeatable: bool | None = None,
    ) -> bytes:
        """``request``, but the body of a successful answer comes back as bytes for the caller to decode (the export
        reads its pages in a worker thread). Same path guard, retries and named errors as ``request``."""
        return await self._send(method, path, params, json, repeatable, raw=True)

    async def download(
        self,
        path: str,
        write: Callable[[bytes], Any],
        *,
        params: Mapping[str, Any] | None = None,
        restart: Callable[[], Any] | None = None,
    ) -> int:
        """``GET path`` with ``Accept: application/octet-stream``, its body handed to ``write`` chunk by chunk as it
        arrives (a file download is never held whole). Same path guard, retries and named errors as ``request``;
        a connection lost mid-body is retried from the start after ``restart()``, which must undo what ``write``
        got (without ``restart`` it raises ``TransportError``). Returns the bytes written."""
        self._check_loop()
        url = self._base.join(path)
        headers = {**self._headers, "Accept": "application/octet-stream"}
        policy, failures, rate_waits = self.retry_policy, 0, 0
        while True:
            await self._wait_for_window()
            self.stats.requests += 1
            written = 0
            try:
                request = self._http.build_request("GET", url, params=_clean_params(params), headers=headers)
                response = await self._http.send(request, stream=True)
                try:
                    limit = RateLimit.from_headers(response.headers)
                    if limit is not None:
                        self.rate_limit = limit
                    status = response.status_code
                    if 200 <= status < 300:
                        async for chunk in response.aiter_bytes():
                            write(chunk)
                            written += len(chunk)
                        return written
                    body = b"".join([chunk async for chunk in response.aiter_bytes()])
                finally:
                    await response.aclose()
            except httpx.TransportError as exc:
                failures += 1
                wait = policy.after_transport_error(
                    sent=True, repeatable=True, attempt=failures, rng=self._rng
                )
                if wait is None or (written and restart is None):
                    raise _transport_error(
                        "GET", path, exc, sent=True, repeatable=True, host=self._base.host
                    ) from exc
                if written:
                    restart()
            else:
                rate_waits += status == 429
                failures += status != 429
                wait = policy.after_status(
                    status,
                    repeatable=True,
                    attempt=rate_waits if status == 429 else failures,
                    rate_limit=self.rate_limit,
                    now=self._clock(),
                    rng=self._rng,
                )
                if wait is None:
                    raise error_from_response(
                        status, response.headers, body, secrets=self._secrets(), rate_limit=limit
                    )
            self.stats.retries += 1
            await self._sleep(wait)

    def decode(self, body: bytes) -> dict[str, Any]:
        """The JSON object of a successful ``request_raw`` answer, read as ``request`` reads it: a body that is not
        a JSON object raises ``InvalidResponse``, whose excerpt never shows the token. Safe in a worker thread."""
        return decipher(200, {}, body, secrets=self._secrets())

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        repeatable: bool | None,
        *,
        raw: bool,
    ) -> Any:
        if not isinstance(method, str) or not method.isalpha():
            raise ValueError(f"method must be an HTTP verb such as 'GET', got {method!r}")
        method = method.upper()
        url = self._joined.get(path)
        if url is None:
            url = self._base.join(path)
            if len(self._joined) < _KEEP_URLS:
                self._joined[path] = url
        if repeatable is None:
            repeatable = is_repeatable(method, path)
        return await self._send_with_retries(method, url, path, _clean_params(params), json, repeatable, raw)

    async def _send_with_retries(
        self,
        method: str,
        url: str,
        path: str,
        params: dict[str, Any] | None,
        json: Any,
        repeatable: bool,
        raw: bool,
    ) -> Any:
        self._check_loop()
        policy = self.retry_policy
        failures = 0
        rate_waits = 0
        while True:
            await self._wait_for_window()
            limited = False
            try:
                status, headers, body = await self._exchange(method, url, path, params, json)
                # The one read of the rate limit: the next wait and, on giving up, the error use it.
                limit = RateLimit.from_headers(headers)
                if limit is not None:
                    self.rate_limit = limit
                if 200 <= status < 300:
                    if body is None:
                        raise InvalidResponse(
                            f"HTTP {status} response body could not be decoded", status=status
                        )
                    return body if raw else decipher(status, headers, body, secrets=self._secrets())
            except httpx.TransportError as exc:
                failures += 1
                sent = not isinstance(exc, _NOT_SENT)
                wait = policy.after_transport_error(
                    sent=sent, repeatable=repeatable, attempt=failures, rng=self._rng
                )
                if wait is None:
                    raise _transport_error(
                        method, path, exc, sent=sent, repeatable=repeatable, host=self._base.host
                    ) from exc
                logger.info("%s %s: %s, retrying in %.2fs", method, path, type(exc).__name__, wait)
            except InvalidResponse:
                # A 2xx whose body broke in transit: safe to ask again only if asking again changes nothing.
                failures += 1
                if not repeatable or failures > policy.max_retries:
                    raise
                wait = policy.backoff(failures, self._rng)
                logger.info("%s %s: unreadable body, retrying in %.2fs", method, path, wait)
            else:
                # An error status: the retry decision needs only the status; the error is built once, on giving up.
                if status == 429:
                    limited = True
                    rate_waits += 1
                    self.stats.rate_limited += 1
                    attempt = rate_waits
                else:
                    failures += 1
                    attempt = failures
                wait = policy.after_status(
                    status,
                    repeatable=repeatable,
                    attempt=attempt,
                    rate_limit=self.rate_limit,
                    now=self._clock(),
                    rng=self._rng,
                )
                if wait is None:
                    raise error_from_response(
                        status, headers, body or b"", secrets=self._secrets(), rate_limit=limit
                    )
                logger.info("%s %s: HTTP %s, retrying in %.2fs", method, path, status, wait)
            self.stats.retries += 1
            await self._sleep(wait)
            if limited:
                await self._take_from_budget()

    def _check_loop(self) -> None:
        """A client's connection pool belongs to the event loop that first used it: say so, instead of letting
        httpx/anyio fail deep inside with "bound to a different event loop" (or hang)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): anyio keeps the pool on its one loop
            return
        if self._loop is None:
            self._loop = weakref.ref(loop)
        elif self._loop() is not loop:
            raise EventLoopMismatch(
                "this AsyncClient was first used on another event loop, and a client belongs to the loop that first "
                "used it: use it either with await or through client.sync / run_sync, not both (create a second "
                "client for the other style; each asyncio.run() is a new loop too)"
            )

    async def _take_from_budget(self) -> None:
        """A request sent again after a 429 spends the new window's allowance like any other: take it from the
        workspace's shared budget, or the budget hands that allowance to other requests and the retry pushes the
        window over its limit (another 429, one more every window)."""
        budget = self.workspaces.budget(self.workspace_key)
        while (wait := budget.take(self._clock())) > 0:
            await self._sleep(wait)

    async def _wait_for_window(self) -> None:
        limit = self.rate_limit
        if limit is not None and limit.exhausted(self._clock()):
            wait = limit.seconds_until_reset(self._clock())
            if wait > 0:
                logger.debug("rate limit exhausted, waiting %.2fs for the window to reset", wait)
                await self._sleep(wait + self._rng.uniform(0.0, 0.25))

    async def _exchange(
        self, method: str, url: str, path: str, params: dict[str, Any] | None, json: Any
    ) -> tuple[int, httpx.Headers, bytes | None]:
        """One HTTP exchange: status, headers and the whole body (``None``: a body that could not be decoded, its
        Content-Encoding lies, e.g. a proxy mangled it). Raises only httpx's transport errors."""
        self.stats.requests += 1
        if self._http.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        started = time.perf_counter() if logger.isEnabledFor(logging.DEBUG) else None
        # Straight to the transport, with the headers, timeout and URL made once: AsyncClient.send's auth, redirect
        # and cookie steps do nothing for this client (no auth flow, redirects never followed, Intercom sets no
        # cookies) but cost a tenth of an export's request path; build_request re-merged and re-parsed the same
        # headers and URL every time.
        target = self._urls.get(url)
        if target is None:
            target = httpx.URL(url)
            if len(self._urls) < _KEEP_URLS:
                self._urls[url] = target
        request = httpx.Request(
            method,
            target,
            params=params,
            json=json,
            headers=self._request_headers,
            extensions=self._extensions,
        )
        response = await self._transport.handle_async_request(request)
        response.request = request
        content: bytes | None
        try:
            # Not response.aread(): it keeps the body on the Response, and httpx's Response and its stream refer to
            # each other, so every body would wait for a full GC pass (tens of MB at an export's pace).
            content = b"".join([chunk async for chunk in response.aiter_bytes()])
        except httpx.DecodingError as exc:
            _undecodable(method, path, exc)
            content = None
        finally:
            await response.aclose()
        _log_exchange(method, path, response.status_code, started)
        return response.status_code, response.headers, content

    # -- endpoints every workspace has ----------------------------------------------------------------------------

    async def me(self) -> Admin:
        """The admin behind the token and its workspace (``.app``): ``GET /me``. The raw dict is at ``.raw``."""
        return Admin(await self.request("GET", "/me"))

    async def workspace(self) -> Mapping[str, Any] | None:
        """The workspace behind the token: the ``app`` of ``GET /me`` (``id_code``, ``name``, ``timezone``).

        Read once and cached for this client (one client, one workspace), so the export's workspace check and the
        timezone cost one request between them. ``None`` when the token may not read ``/me`` (403/404): callers
        fall back (the host alone names the workspace; day bounds get a margin).
        """
        if self._app is _UNREAD:
            try:
                app = (await self.me()).get("app")
            except (Forbidden, NotFound) as exc:
                logger.warning("cannot read the workspace from GET /me (%s)", exc)
                app = None
            self._app = app if isinstance(app, Mapping) else None
        return self._app

    async def workspace_timezone(self) -> tzinfo:
        """The timezone where this workspace's days start: Intercom matches date filters "by calendar day" and "The
        day boundary uses your workspace's timezone" (2.16, "Searching for Timestamp Fields").

        Read once from ``GET /me`` (``app.timezone``) and cached for this client (one client, one workspace), unless
        given as ``AsyncClient(workspace_timezone=...)``. ``datetime.UTC`` for UTC; a missing or unknown name (or a
        token that may not read ``/me``) gives an ``UnknownZone``, with which searches and exports plan every day
        bound with a margin and filter exactly on the client: slower, never short.
        """
        if self._zone is None:
            app = await self.workspace()
            name = app.get("timezone") if app is not None else None
            zone = zone_from_name(name)
            if isinstance(zone, UnknownZone):
                logger.warning("unknown workspace timezone %r: planning day bounds with a margin", name)
            self._zone = zone
        return self._zone

    @cached_property
    def contacts(self) -> Contacts:
        from .resources.contacts import Contacts

        return Contacts(self)

    @cached_property
    def companies(self) -> Companies:
        from .resources.companies import Companies

        return Companies(self)

    @cached_property
    def admins(self) -> Admins:
        from .resources.admins import Admins

        return Admins(self)

    @cached_property
    def conversations(self) -> Conversations:
        from .resources.conversations import Conversations

        return Conversations(self)

    @cached_property
    def tickets(self) -> Tickets:
        from .resources.tickets import Tickets

        return Tickets(self)

    @cached_property
    def tags(self) -> Tags:
        from .resources.workspace import Tags

        return Tags(self)

    @cached_property
    def segments(self) -> Segments:
        from .resources.workspace import Segments

        return Segments(self)

    @cached_property
    def teams(self) -> Teams:
        from .resources.workspace import Teams

        return Teams(self)

    @cached_property
    def data_attributes(self) -> DataAttributes:
        from .resources.workspace import DataAttributes

        return DataAttributes(self)

    @cached_property
    def messages(self) -> Messages:
        from .resources.messages import Messages

        return Messages(self)

    @cached_property
    def reporting(self) -> Reporting:
        from .resources.reporting import Reporting

        return Reporting(self)

    @cached_property
    def export(self) -> Exporter:
        from .export import Exporter

        return Exporter(self)

    @cached_property
    def sync(self) -> SyncClient:
        """The same calls without ``await`` (``client.sync.me()``), run on the sync bridge. Use a client either
        with ``await`` or through ``.sync``, not both: its connection pool belongs to one event loop."""
        from ._sync import SyncClient

        return SyncClient(self)


def _zone_override(value: str | tzinfo | None) -> tzinfo | None:
    if value is None or isinstance(value, tzinfo):
        return value
    zone = zone_from_name(value) if isinstance(value, str) else None
    if zone is None or isinstance(zone, UnknownZone):
        raise ConfigurationError(
            f"workspace_timezone must be an IANA name such as 'America/Los_Angeles' or a tzinfo, got {value!r}"
        )
    return zone


def _log_exchange(method: str, path: str, status: int, started: float | None) -> None:
    if started is not None:
        logger.debug("%s %s -> %s (%.0f ms)", method, path, status, (time.perf_counter() - started) * 1e3)


def _undecodable(method: str, path: str, exc: Exception) -> None:
    logger.debug("%s %s: undecodable body (%s)", method, path, exc)


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None}


def _transport_error(
    method: str, path: str, exc: Exception, *, sent: bool, repeatable: bool, host: str
) -> TransportError:
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if sent and not repeatable:
        return OutcomeUnknown(
            f"{method} {path} failed after it may have reached Intercom ({reason}); it was not retried because "
            "repeating it could act twice. Check whether it took effect before sending it again."
        )
    # The host tried, so that a wrong --base-url / --region or a dead local server is visible in the message.
    return TransportError(f"{method} {path} on {host} failed: {reason}")


def _resolve_credentials(profile: str | None, env: Mapping[str, str]) -> tuple[str, str | None, str | None]:
    """Token, region and base URL from an explicit profile, the session, the environment or the default profile."""
    resolved = resolve_token(profile=profile, env=env)
    return resolved.token, resolved.region, resolved.base_url
