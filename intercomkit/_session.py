"""The one deliberate piece of process state: the connection ``connect()`` chose in this process.

It sits above the environment in ``resolve_token``'s order; ``reset()`` forgets it (tests, logout). The OAuth
states ``authorize_url()`` issued live with the OAuth flow (``oauth.STATES``), not here.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._credentials import ResolvedCredentials

__all__ = ["SESSION", "Session"]


class Session:
    """The connection chosen by ``connect()`` in this process, or ``None``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._default: ResolvedCredentials | None = None

    def __repr__(self) -> str:
        connected = self._default.profile if self._default else None
        return f"Session(connected={connected!r})"

    def reset(self) -> None:
        with self._lock:
            self._default = None

    @property
    def default(self) -> ResolvedCredentials | None:
        return self._default

    def set_default(self, creds: ResolvedCredentials | None) -> None:
        with self._lock:
            self._default = creds

    def clear_default(self, profile: str | None = None) -> bool:
        """Forget the session connection (only if it is ``profile``, when given)."""
        with self._lock:
            if self._default is None or (profile is not None and self._default.profile != profile):
                return False
            self._default = None
            return True


SESSION = Session()
