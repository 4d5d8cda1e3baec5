"""Request headers and the token checks that keep them safe."""

from __future__ import annotations

from .._version import __version__
from ..errors import ConfigurationError

__all__ = ["DEFAULT_API_VERSION", "check_token", "default_headers", "redact"]

DEFAULT_API_VERSION = "2.16"


def check_token(token: object) -> str:
    """Return the token stripped of surrounding whitespace, or raise ``ConfigurationError``.

    Empty, whitespace-only, multi-line or non-printable tokens are refused: they would break or inject headers.
    The message never includes the token itself.
    """
    if not isinstance(token, str):
        raise ConfigurationError(f"the access token must be a string, not {type(token).__name__}")
    stripped = token.strip()
    if not stripped:
        raise ConfigurationError("the access token is empty")
    if any(ch in stripped for ch in "\r\n"):
        raise ConfigurationError("the access token spans several lines: paste it on one line")
    if not all(0x21 <= ord(ch) <= 0x7E for ch in stripped):
        raise ConfigurationError("the access token contains spaces, control or non-ASCII characters")
    return stripped


def default_headers(token: str, version: str = DEFAULT_API_VERSION) -> dict[str, str]:
    if not isinstance(version, str) or not version.strip() or any(c in version for c in "\r\n"):
        raise ConfigurationError("Intercom-Version must be a one-line string such as '2.16'")
    return {
        "Authorization": f"Bearer {token}",
        "Intercom-Version": version.strip(),
        "Accept": "application/json",
        "User-Agent": f"intercomkit/{__version__}",
    }


def redact(text: str, *secrets: str | None) -> str:
    """Replace every occurrence of each secret in ``text`` (used on response excerpts before they reach errors)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
