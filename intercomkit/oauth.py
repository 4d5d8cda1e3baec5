"""OAuth for notebooks: open a link, authorize, paste back the code (or the whole redirect URL).

Intercom only redirects to HTTPS URLs, so a notebook cannot catch the redirect on localhost. The flow is::

    url = ik.oauth.authorize_url(CLIENT_ID, redirect_uri="https://example.com/callback")
    # open url, click Authorize, copy the address Intercom redirected you to
    token = await ik.oauth.exchange_code(pasted, CLIENT_ID, CLIENT_SECRET)
    await ik.connect(token, profile="customer-a")

``authorize_url`` issues a random ``state`` that this process remembers; ``exchange_code`` accepts a pasted
redirect URL only if its state is one we issued and have not used yet (``StateMismatch`` otherwise).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from ._protocol.headers import check_token
from ._protocol.regions import AUTHORIZE_BASES, REGIONS, TOKEN_PATH
from .errors import (
    ConfigurationError,
    InvalidResponse,
    OAuthError,
    OutcomeUnknown,
    ServerError,
    StateMismatch,
    TransportError,
)

__all__ = [
    "AUTHORIZE_BASE",
    "STATES",
    "TOKEN_URL",
    "PendingStates",
    "authorize_url",
    "exchange_code",
    "parse_redirect",
]

# The US region's; the Connect widget picks the region's own (``_protocol.regions`` names them all).
AUTHORIZE_BASE = AUTHORIZE_BASES["us"]
TOKEN_URL = REGIONS["us"] + TOKEN_PATH
_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=")


class PendingStates:
    """The states ``authorize_url()`` issued in this process and ``exchange_code()`` has not used yet.

    Bounded (the oldest are dropped beyond ``MAX_PENDING``) and single-use. ``reset()`` forgets them all.
    """

    MAX_PENDING = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: OrderedDict[str, None] = OrderedDict()

    def __repr__(self) -> str:
        return f"PendingStates(pending={len(self._states)})"

    def reset(self) -> None:
        with self._lock:
            self._states.clear()

    def add(self, state: str) -> None:
        """Remember an issued state; the oldest are dropped beyond ``MAX_PENDING``."""
        with self._lock:
            self._states[state] = None
            self._states.move_to_end(state)
            while len(self._states) > self.MAX_PENDING:
                self._states.popitem(last=False)

    def consume(self, state: str) -> bool:
        """``True`` (and forget it: a state is single-use) if ``state`` was issued and not yet used."""
        with self._lock:
            return self._states.pop(state, False) is None

    @property
    def pending(self) -> int:
        return len(self._states)


STATES = PendingStates()


def _check_url(url: str, what: str, *, allow_http: bool) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigurationError(f"The {what} {url!r} is not a valid URL: {exc}") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parsed.scheme not in schemes or not parsed.host:
        hint = "" if allow_http else " (pass allow_http=True only for the local sandbox)"
        raise ConfigurationError(f"The {what} must be an https:// URL, got {url!r}{hint}.")
    return parsed


def authorize_url(
    client_id: str,
    state: str | None = None,
    redirect_uri: str | None = None,
    *,
    base: str = AUTHORIZE_BASE,
    allow_http: bool = False,
    states: PendingStates | None = None,
) -> str:
    """The Intercom authorize link for ``client_id``.

    ``state`` defaults to a fresh random value; either way it is remembered (a bounded number of recent
    states per process) so ``exchange_code`` can check it. ``redirect_uri`` must be one of the HTTPS
    redirect URLs registered for the app (Intercom uses the first one when omitted).
    """
    if not isinstance(client_id, str) or not client_id.strip():
        raise ConfigurationError("client_id is empty.")
    _check_url(base, "authorize base URL", allow_http=allow_http)
    if redirect_uri is not None:
        _check_url(redirect_uri, "redirect_uri", allow_http=allow_http)
    state = secrets.token_urlsafe(24) if state is None else state
    if not state or not all(c in _CODE_CHARS for c in state):
        raise ConfigurationError("state must be a non-empty URL-safe string.")
    (STATES if states is None else states).add(state)
    params = {"client_id": client_id.strip(), "state": state}
    if redirect_uri is not None:
        params["redirect_uri"] = redirect_uri
    return f"{base.rstrip('/')}/oauth?{urlencode(params)}"


def parse_redirect(text: str) -> tuple[str, str | None]:
    """``(code, state)`` from a pasted redirect URL, or ``(code, None)`` from a bare code.

    An ``error=`` redirect (the user clicked Cancel) raises ``OAuthError`` with Intercom's reason.
    """
    if not isinstance(text, str) or not text.strip():
        raise OAuthError("Nothing was pasted: paste the code or the whole address Intercom redirected to.")
    text = text.strip()
    if "=" in text and ("?" in text or "://" in text or "code=" in text or "error=" in text):
        split = urlsplit(text if "://" in text or text.startswith("?") else "?" + text)
        params = parse_qs(split.query) or parse_qs(split.fragment)
        first = {k: v[0].strip() for k, v in params.items() if v}
        if "error" in first:
            reason = first.get("error_description") or first["error"]
            raise OAuthError(f"Intercom did not authorize the app: {reason}", code=first["error"])
        code = first.get("code", "")
        if not code:
            raise OAuthError("The pasted address has no 'code' parameter; copy the full redirect URL.")
        state = first.get("state") or None
    else:
        code, state = text, None
    if not all(c in _CODE_CHARS for c in code):
        raise OAuthError("That does not look like an authorization code; paste the redirect URL instead.")
    return code, state


async def exchange_code(
    code: str,
    client_id: str,
    client_secret: str,
    *,
    state: str | None = None,
    token_url: str = TOKEN_URL,
    allow_http: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 30.0,
    states: PendingStates | None = None,
) -> str:
    """Trade the authorization code for an access token (``POST /auth/eagle/token``).

    ``code`` may be the bare code or the whole pasted redirect URL (its state is then checked). A state
    (pasted or given) must be one ``authorize_url`` issued in this process and not used before, else
    ``StateMismatch``. Refusals (bad, expired or reused code; wrong client secret) raise ``OAuthError``;
    the secret is never part of any message.
    """
    pasted_code, pasted_state = parse_redirect(code)
    if state is not None and pasted_state is not None and state != pasted_state:
        raise StateMismatch("The pasted state differs from the state given; start the authorization again.")
    state = state if state is not None else pasted_state
    if not isinstance(client_id, str) or not client_id.strip():
        raise ConfigurationError("client_id is empty.")
    if not isinstance(client_secret, str) or not client_secret.strip():
        raise ConfigurationError("client_secret is empty.")
    url = _check_url(token_url, "token URL", allow_http=allow_http)
    if state is not None and not (STATES if states is None else states).consume(state):
        raise StateMismatch(
            "The state in the redirect was not issued by this session or was already used; call "
            "ik.oauth.authorize_url() again and use the new link."
        )

    form = {"code": pasted_code, "client_id": client_id.strip(), "client_secret": client_secret.strip()}
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as http:
        try:
            response = await http.post(url, data=form, headers={"Accept": "application/json"})
        except httpx.ConnectError as exc:
            raise TransportError(f"Could not reach {url.host}: {type(exc).__name__}.") from None
        except httpx.HTTPError as exc:
            # The code may have been spent by a request whose answer we lost: it cannot be retried.
            raise OutcomeUnknown(
                f"The token request to {url.host} failed ({type(exc).__name__}); the code may already be "
                "used. Authorize again to get a new code."
            ) from None
    return _token_from(response, secrets_=(client_secret, pasted_code))


def _scrub(text: str, secrets_: tuple[str, ...]) -> str:
    for value in secrets_:
        if value:
            text = text.replace(value, "***")
    return text


def _token_from(response: httpx.Response, secrets_: tuple[str, ...]) -> str:
    status = response.status_code
    excerpt = _scrub(response.text[:300], secrets_)
    body: Any = None
    with contextlib.suppress(ValueError):
        body = response.json()
    request_id = response.headers.get("x-request-id")
    if status >= 400:
        message, code = _error_message(body, secrets_)
        if status >= 500:
            raise ServerError(
                f"Intercom's token endpoint failed: {message or 'server error'}",
                status=status,
                code=code,
                request_id=request_id,
            )
        if status == 401:
            text = "The client_id / client_secret pair was refused"
        elif status == 400:
            text = "The authorization code was refused (wrong, expired or already used; authorize again)"
        else:
            text = "The token request was refused"
        raise OAuthError(
            f"{text}: {message}" if message else f"{text}.", status=status, code=code, request_id=request_id
        )
    if not isinstance(body, dict):
        raise InvalidResponse(
            "The token endpoint did not answer with a JSON object.", status=status, excerpt=excerpt
        )
    token = body.get("access_token") or body.get("token")
    if not isinstance(token, str) or not token:
        raise InvalidResponse(
            "The token endpoint's answer has no access_token.",
            status=status,
            excerpt=_scrub(excerpt, (token,) if isinstance(token, str) else ()),
        )
    try:
        return check_token(token)
    except ConfigurationError:
        raise InvalidResponse("The token endpoint returned a malformed token.", status=status) from None


def _error_message(body: Any, secrets_: tuple[str, ...]) -> tuple[str, str | None]:
    if not isinstance(body, dict):
        return "", None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return _scrub(str(first.get("message") or ""), secrets_), first.get("code")
    if "error" in body:
        reason = body.get("error_description") or body.get("message") or body["error"]
        return _scrub(str(reason), secrets_), str(body["error"])
    if body.get("message"):
        return _scrub(str(body["message"]), secrets_), None
    return "", None
