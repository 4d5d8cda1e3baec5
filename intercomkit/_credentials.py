"""Where the access token comes from: argument, session, environment, or the local profile store.

Resolution order (first hit wins)::

    1. an explicit ``token=`` argument
    2. an explicit ``profile=`` argument (looked up in the store)
    3. the session default set by ``connect()`` in this process
    4. the ``INTERCOM_ACCESS_TOKEN`` environment variable
    5. the ``"default"`` profile in the store

The session sits above the environment on purpose: in a notebook, ``ik.connect(profile="eu")`` is the
user's latest, most explicit choice, while ``INTERCOM_ACCESS_TOKEN`` may be a leftover of the shell that
started Jupyter.

The store is one JSON file in the user's config directory, written atomically with mode 0600 in a 0700
directory. A file that group or others can read is refused, with the ``chmod`` that fixes it.

This module does no network I/O: ``connect()``, which checks a token with ``GET /me`` before saving it,
sits above the client in ``_connection``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
import secrets
import stat
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._protocol.headers import check_token
from ._session import SESSION, Session
from .errors import AuthenticationRequired, ConfigurationError, CredentialsError

__all__ = [
    "DEFAULT_PROFILE",
    "ENV_CONFIG_DIR",
    "ENV_TOKEN",
    "HOW_TO_CONNECT",
    "CredentialStore",
    "Profile",
    "ResolvedCredentials",
    "check_profile_name",
    "default_config_dir",
    "resolve_token",
]

ENV_TOKEN = "INTERCOM_ACCESS_TOKEN"
ENV_CONFIG_DIR = "INTERCOMKIT_CONFIG_DIR"
DEFAULT_PROFILE = "default"
_FILE_NAME = "credentials.json"
_FORMAT_VERSION = 1
_PROFILE_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_META_KEYS = ("region", "base_url", "workspace", "app_id", "admin_name", "admin_email", "created_at")

# Command lines shown in the hint: tests parse each with the real parser, so they cannot drift from the CLI.
CLI_HINTS = (
    "intercomkit connect --profile NAME",
    "intercomkit export contacts --profile NAME --out contacts.csv",
)
HOW_TO_CONNECT = (
    "No Intercom access token found. Connect with one of:\n"
    "  - await ik.connect(token='...')            (validates it and saves a profile)\n"
    "  - ik.notebook.connect()                    (the Connect widget in Jupyter)\n"
    f"  - export {ENV_TOKEN}=...                   (environment variable)\n"
    f"  - {CLI_HINTS[0]}        (the command line: prompts for the token, saves it)\n"
    f"  - {CLI_HINTS[1]}  (then use the saved profile)"
)


# --------------------------------------------------------------------------------------------- validation


def check_profile_name(name: object) -> str:
    """A valid profile name (1-64 of ``A-Z a-z 0-9 . _ -``, not only dots) or ``ConfigurationError``."""
    # "." and ".." are refused even though names are only keys today: they read as paths and may become one.
    if not isinstance(name, str) or not _PROFILE_RE.fullmatch(name) or not name.strip("."):
        raise ConfigurationError(
            f"Invalid profile name {name!r}: use 1-64 characters from letters, digits, '.', '_' and '-' "
            "(not only dots)."
        )
    return name


# --------------------------------------------------------------------------------------------- store


def default_config_dir(env: Mapping[str, str] | None = None, *, platform: str | None = None) -> Path:
    """The intercomkit config directory, computed now (never cached at import).

    ``INTERCOMKIT_CONFIG_DIR`` wins; then ``%APPDATA%`` on Windows, ``$XDG_CONFIG_HOME`` or ``~/.config``
    elsewhere.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get(ENV_CONFIG_DIR):
        return Path(env[ENV_CONFIG_DIR]).expanduser()
    if platform.startswith("win"):
        base = env.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
    else:
        base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "intercomkit"


@dataclass(frozen=True)
class Profile:
    """One saved workspace connection. ``token`` is hidden from the repr."""

    name: str
    token: str = field(repr=False)
    region: str | None = None
    base_url: str | None = None
    workspace: str | None = None
    app_id: str | None = None
    admin_name: str | None = None
    admin_email: str | None = None
    created_at: str | None = None

    def summary(self) -> dict[str, Any]:
        """Everything but the token."""
        return {
            "profile": self.name,
            "workspace": self.workspace,
            "app_id": self.app_id,
            "admin_name": self.admin_name,
            "admin_email": self.admin_email,
            "region": self.region,
            "base_url": self.base_url,
            "created_at": self.created_at,
        }


class CredentialStore:
    """Named profiles in one JSON file (mode 0600), several workspaces side by side.

    ``path`` defaults to ``<config dir>/credentials.json``, resolved when the store is created.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None):
        self.path = Path(path) if path is not None else default_config_dir(env) / _FILE_NAME
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CredentialStore({str(self.path)!r})"

    # -- reading

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise CredentialsError(f"Cannot read the credentials file {self.path}: {exc.strerror}.") from None
        with os.fdopen(fd, "rb") as fh:
            self._check_permissions(os.fstat(fh.fileno()))
            raw = fh.read()
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise CredentialsError(
                f"The credentials file {self.path} is not valid JSON. Move it aside or delete it and connect "
                "again."
            ) from None
        profiles = data.get("profiles") if isinstance(data, dict) else None
        if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
            raise CredentialsError(
                f"The credentials file {self.path} does not have the expected layout "
                '({"version": 1, "profiles": {...}}). Move it aside or delete it and connect again.'
            )
        return profiles

    def _check_permissions(self, st: os.stat_result) -> None:
        if os.name != "posix":
            return  # Windows: the per-user %APPDATA% ACL is what protects the file
        if st.st_mode & 0o077:
            mode = stat.S_IMODE(st.st_mode)
            raise CredentialsError(
                f"The credentials file {self.path} is readable by other users (mode {mode:04o}); refusing to "
                f"use it. Fix it with:  chmod 600 '{self.path}'"
            )

    def names(self) -> list[str]:
        """Profile names, sorted."""
        return sorted(self._read())

    def get(self, profile: str = DEFAULT_PROFILE) -> Profile | None:
        """The saved profile, or ``None`` if there is none by that name."""
        check_profile_name(profile)
        entry = self._read().get(profile)
        if entry is None:
            return None
        token = entry.get("token")
        if not isinstance(token, str) or not token:
            raise CredentialsError(f"Profile {profile!r} in {self.path} has no token; connect again.")
        meta = {k: entry.get(k) for k in _META_KEYS}
        return Profile(name=profile, token=token, **meta)

    def all(self) -> list[Profile]:
        """Every profile (tokens included but hidden from reprs), sorted by name."""
        return [p for p in (self.get(n) for n in self.names()) if p is not None]

    # -- writing

    def save(self, profile: str, token: str, **meta: Any) -> Profile:
        """Store (or replace) ``profile``. ``meta`` keys: region, base_url, workspace, app_id, admin_name,
        admin_email, created_at (defaults to now, UTC ISO-8601)."""
        check_profile_name(profile)
        token = check_token(token)
        unknown = set(meta) - set(_META_KEYS)
        if unknown:
            raise ConfigurationError(f"Unknown profile field(s): {', '.join(sorted(unknown))}.")
        meta.setdefault("created_at", _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat())
        entry = {"token": token, **{k: v for k, v in meta.items() if v is not None}}
        with self._lock:
            profiles = self._read()
            profiles[profile] = entry
            self._write(profiles)
        return Profile(name=profile, token=token, **{k: meta.get(k) for k in _META_KEYS})

    def delete(self, profile: str) -> bool:
        """Remove ``profile``; ``True`` if it existed."""
        check_profile_name(profile)
        with self._lock:
            profiles = self._read()
            if profiles.pop(profile, None) is None:
                return False
            self._write(profiles)
        return True

    def _write(self, profiles: dict[str, dict[str, Any]]) -> None:
        directory = self.path.parent
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            payload = json.dumps({"version": _FORMAT_VERSION, "profiles": profiles}, indent=2, sort_keys=True)
            # The temp file is born 0600 (os.open mode, not a chmod afterwards) so the token is never
            # readable by others, not even for a moment; os.replace makes the switch atomic.
            tmp = directory / f".credentials-{secrets.token_hex(8)}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(payload + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
        except OSError as exc:
            raise CredentialsError(
                f"Cannot write the credentials file {self.path}: {exc.strerror}."
            ) from None


# --------------------------------------------------------------------------------------------- resolution


@dataclass(frozen=True)
class ResolvedCredentials:
    """A token and where it came from. ``source`` is one of ``argument``, ``session``,
    ``env:INTERCOM_ACCESS_TOKEN``, ``profile:<name>``."""

    token: str = field(repr=False)
    source: str
    region: str | None = None
    base_url: str | None = None
    profile: str | None = None


def resolve_token(
    token: str | None = None,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
    store: CredentialStore | None = None,
    *,
    session: Session | None = None,
) -> ResolvedCredentials:
    """Find the token to use (see the module docstring for the order) or raise ``AuthenticationRequired``."""
    if token is not None:
        return ResolvedCredentials(check_token(token), "argument")
    if profile is not None:
        return _from_profile(check_profile_name(profile), store, env, explicit=True)
    session = SESSION if session is None else session
    if session.default is not None:
        return session.default
    env = os.environ if env is None else env
    if env.get(ENV_TOKEN, "").strip():
        try:
            value = check_token(env[ENV_TOKEN])
        except ConfigurationError as exc:
            raise ConfigurationError(f"{ENV_TOKEN} is set but unusable: {exc.message}") from None
        return ResolvedCredentials(value, f"env:{ENV_TOKEN}")
    return _from_profile(DEFAULT_PROFILE, store, env, explicit=False)


def _from_profile(
    name: str, store: CredentialStore | None, env: Mapping[str, str] | None, *, explicit: bool
) -> ResolvedCredentials:
    store = CredentialStore(env=env) if store is None else store
    saved = store.get(name)
    if saved is None:
        if explicit:
            known = ", ".join(store.names()) or "none"
            raise AuthenticationRequired(
                f"No saved profile {name!r} in {store.path} (saved profiles: {known}).\n{HOW_TO_CONNECT}"
            )
        raise AuthenticationRequired(HOW_TO_CONNECT)
    return ResolvedCredentials(
        check_token(saved.token), f"profile:{name}", saved.region, saved.base_url, profile=name
    )
