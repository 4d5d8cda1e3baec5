"""The sandbox's OAuth endpoints: the authorize page and the code-for-token exchange.

``GET /oauth`` plays the user clicking "Authorize": it redirects (302) to the app's redirect URL with a fresh
single-use ``code`` and the caller's ``state``; ``auto_redirect=0`` shows a small HTML page with the code
instead (what a user would copy), ``decision=deny`` redirects with ``error=access_denied``.
``POST /auth/eagle/token`` trades ``code`` + ``client_id`` + ``client_secret`` (form or JSON body) for an
access token that the sandbox then accepts as a bearer token. A code works once; presenting it again also
revokes the token it produced (RFC 6749 §4.1.2).

The logic lives in ``OAuthProvider`` (plain data in, ``Response`` out) so it is testable without a server;
``install_oauth(sandbox)`` wires it to the sandbox's router.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from collections.abc import MutableSet
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ._errors import error_body
from ._http import Request, Response, json_response

__all__ = [
    "DEFAULT_OAUTH_APPS",
    "DEFAULT_REDIRECT_URI",
    "OAuthProvider",
    "install_oauth",
]

DEFAULT_OAUTH_APPS: dict[str, str] = {"sandbox-client": "sandbox-secret"}
DEFAULT_REDIRECT_URI = "https://example.invalid/callback"


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    used: bool = False
    token: str | None = None


class OAuthProvider:
    """The sandbox's authorization server.

    ``apps`` maps client_id → client_secret; ``tokens`` is the set of bearer tokens the sandbox accepts
    (issued tokens are added to it, revoked ones removed).
    """

    def __init__(
        self,
        apps: dict[str, str] | None = None,
        tokens: MutableSet[str] | None = None,
        *,
        redirect_uri: str = DEFAULT_REDIRECT_URI,
    ) -> None:
        self.apps = dict(DEFAULT_OAUTH_APPS) if apps is None else apps
        self.tokens: MutableSet[str] = set() if tokens is None else tokens
        self.redirect_uri = redirect_uri
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    # -- GET /oauth

    def authorize(self, query: dict[str, str]) -> Response:
        client_id = query.get("client_id", "")
        if client_id not in self.apps:
            return _page(400, "Unknown app", "No app with this client_id is registered in the sandbox.")
        redirect_uri = query.get("redirect_uri") or self.redirect_uri
        if urlsplit(redirect_uri).scheme != "https":
            return _page(400, "Invalid redirect URL", "Intercom only redirects to https:// URLs.")
        state = query.get("state")
        if query.get("decision") == "deny":
            params = {"error": "access_denied", "error_description": "The user denied the authorization"}
            if state is not None:
                params["state"] = state
            return _redirect(redirect_uri, params)

        code = secrets.token_urlsafe(18)
        with self._lock:
            self._grants[code] = _Grant(client_id, redirect_uri)
        params = {"code": code}
        if state is not None:
            params["state"] = state
        if query.get("auto_redirect") == "0":
            target = _with_query(redirect_uri, params)
            body = (
                "<p>Authorized. Copy this code back into your notebook:</p>"
                f'<pre id="code">{html.escape(code)}</pre>'
                f'<p>or the whole address: <a id="redirect" href="{html.escape(target)}">'
                f"{html.escape(target)}</a></p>"
            )
            return _page(200, "Authorize intercomkit sandbox", body, raw=True)
        return _redirect(redirect_uri, params)

    # -- POST /auth/eagle/token

    def token(self, params: dict[str, str]) -> Response:
        code, client_id, secret = (params.get(k, "") for k in ("code", "client_id", "client_secret"))
        if not code or not client_id or not secret:
            return _error(400, "parameter_missing", "code, client_id and client_secret are required")
        expected = self.apps.get(client_id)
        if expected is None or not secrets.compare_digest(expected.encode(), secret.encode()):
            return _error(401, "unauthorized", "Invalid client_id or client_secret")
        with self._lock:
            grant = self._grants.get(code)
            if grant is None or grant.client_id != client_id:
                return _error(400, "invalid_grant", "The authorization code is invalid or expired")
            if grant.used:
                if grant.token is not None:
                    self.tokens.discard(grant.token)
                    grant.token = None
                return _error(400, "invalid_grant", "The authorization code has already been used")
            grant.used = True
            token = "sbx_oauth_" + secrets.token_urlsafe(24)
            grant.token = token
            self.tokens.add(token)
        return json_response({"token_type": "Bearer", "token": token, "access_token": token})

    def token_from_body(self, body: bytes, content_type: str) -> Response:
        """``token()`` for a raw request body, form-encoded or JSON."""
        if "json" in content_type.lower():
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                return _error(400, "parameter_invalid", "Request body is not valid JSON")
            if not isinstance(data, dict):
                return _error(400, "parameter_invalid", "Request body must be a JSON object")
            params = {k: str(v) for k, v in data.items() if v is not None}
        else:
            decoded = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            params = {k: v[0] for k, v in decoded.items()}
        return self.token(params)


def install_oauth(sandbox: Any) -> OAuthProvider:
    """Register ``GET /oauth`` and ``POST /auth/eagle/token`` on ``sandbox``.

    Contract with the sandbox core: ``sandbox.tokens`` is the set of bearer tokens its auth check accepts
    (issued tokens join it), and ``add_route(..., public=True)`` serves a route without a bearer token (a
    browser opening the authorize page, and the code exchange, carry none). ``sandbox.oauth_apps``
    (client_id → secret) is created with the default app if absent.
    """
    if getattr(sandbox, "oauth_apps", None) is None:
        sandbox.oauth_apps = dict(DEFAULT_OAUTH_APPS)
    provider = OAuthProvider(sandbox.oauth_apps, sandbox.tokens)
    sandbox.oauth = provider

    def authorize(request: Request) -> Response:
        return provider.authorize(request.query)

    def token(request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        return provider.token_from_body(request.body, headers.get("content-type", ""))

    sandbox.add_route("GET", "/oauth", authorize, public=True)
    sandbox.add_route("POST", "/auth/eagle/token", token, public=True)
    return provider


def _with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def _redirect(url: str, params: dict[str, str]) -> Response:
    return Response(302, b"", {"location": _with_query(url, params), "content-length": "0"})


def _page(status: int, title: str, text: str, *, raw: bool = False) -> Response:
    content = text if raw else f"<p>{html.escape(text)}</p>"
    body = (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>{content}</body></html>"
    )
    return Response(status, body.encode(), {"content-type": "text/html; charset=utf-8"})


def _error(status: int, code: str, message: str) -> Response:
    return json_response(error_body(code, message), status)
