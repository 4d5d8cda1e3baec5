"""``connect`` / ``disconnect`` / ``profiles``: check a token with ``GET /me``, save it, make it the session's.

This sits above the client (it makes one to call ``GET /me``) and below nothing: the client only ever reads the
store and the session through ``_credentials.resolve_token``. The environment is read when ``connect()`` is
called, through its ``env`` mapping (``os.environ`` by default).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._bridge import run_sync
from ._client import AsyncClient
from ._credentials import (
    DEFAULT_PROFILE,
    ENV_TOKEN,
    HOW_TO_CONNECT,
    CredentialStore,
    ResolvedCredentials,
    check_profile_name,
)
from ._models import Admin
from ._protocol.headers import check_token
from ._protocol.regions import resolve_base_url
from ._session import SESSION, Session
from .errors import AuthenticationRequired, Unauthorized

__all__ = ["Connection", "connect", "connect_sync", "disconnect", "profiles"]


@dataclass(frozen=True)
class Connection:
    """What ``connect()`` found: the workspace and the admin behind the token (never the token itself)."""

    profile: str
    workspace: str | None
    app_id: str | None
    admin_name: str | None
    admin_email: str | None
    region: str | None = None
    saved: bool = False

    def __str__(self) -> str:
        who = self.admin_email or self.admin_name or "unknown admin"
        where = self.workspace or self.app_id or "unknown workspace"
        return f"Connected to {where} as {who} (profile {self.profile!r})"


async def connect(
    token: str | None = None,
    *,
    profile: str = DEFAULT_PROFILE,
    region: str = "us",
    base_url: str | None = None,
    save: bool = True,
    validate: bool = True,
    transport: Any = None,
    store: CredentialStore | None = None,
    session: Session | None = None,
    env: Mapping[str, str] | None = None,
) -> Connection:
    """Check a token with ``GET /me``, save it as ``profile`` (mode 0600) and make it this session's default.

    With ``token=None`` the profile's saved token (or ``INTERCOM_ACCESS_TOKEN`` from ``env``, default
    ``os.environ``) is used, so ``await ik.connect(profile="eu")`` switches workspaces. ``validate=False`` skips
    the request (offline).
    """
    check_profile_name(profile)
    env = os.environ if env is None else env
    store = CredentialStore(env=env) if store is None else store
    session = SESSION if session is None else session
    if token is None:
        # Re-connect a saved profile, or adopt INTERCOM_ACCESS_TOKEN under this profile name.
        saved = store.get(profile)
        if saved is not None:
            token, region, base_url = saved.token, saved.region or region, saved.base_url or base_url
        elif env.get(ENV_TOKEN, "").strip():
            token = env[ENV_TOKEN]
        else:
            raise AuthenticationRequired(
                f"No token given and no saved profile {profile!r}.\n{HOW_TO_CONNECT}"
            )
    token = check_token(token)
    resolve_base_url(region, base_url)  # a bad region or base URL fails here, before anything is saved

    meta: dict[str, Any] = {}
    if validate:
        me = await _fetch_me(token, region=region, base_url=base_url, transport=transport)
        meta = {
            "workspace": me.app.get("name"),
            "app_id": me.app.get("id_code"),
            "admin_name": me.name,
            "admin_email": me.email,
        }
    if save:
        store.save(profile, token, region=region, base_url=base_url, **meta)
    session.set_default(ResolvedCredentials(token, "session", region, base_url, profile=profile))
    return Connection(profile=profile, region=region, saved=save, **_meta_or_none(meta))


def _meta_or_none(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {k: meta.get(k) for k in ("workspace", "app_id", "admin_name", "admin_email")}


async def _fetch_me(token: str, *, region: str, base_url: str | None, transport: Any) -> Admin:
    client = AsyncClient(token=token, region=region, base_url=base_url, transport=transport)
    try:
        me = await client.me()
    except Unauthorized as exc:
        raise exc.rephrased(
            "Intercom rejected this access token (GET /me answered 401); nothing was saved."
        ) from None
    finally:
        await client.aclose()
    return me


def connect_sync(token: str | None = None, **kwargs: Any) -> Connection:
    """``connect()`` for scripts and notebooks that do not use ``await`` (runs on the sync bridge)."""
    return run_sync(connect(token, **kwargs))


def disconnect(
    profile: str = DEFAULT_PROFILE,
    *,
    store: CredentialStore | None = None,
    session: Session | None = None,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Delete the saved profile and, if it is the session's connection, forget that too.

    ``True`` if anything was removed.
    """
    check_profile_name(profile)
    store = CredentialStore(env=env) if store is None else store
    session = SESSION if session is None else session
    removed = store.delete(profile)
    cleared = session.clear_default(profile)
    return removed or cleared


def profiles(
    *, store: CredentialStore | None = None, env: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Saved profiles with their workspace and admin (no tokens), sorted by name."""
    store = CredentialStore(env=env) if store is None else store
    return [p.summary() for p in store.all()]
