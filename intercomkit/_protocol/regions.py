"""Regions, base URLs and the host guard that keeps the token on the configured host.

Every Intercom host a region uses is named here: the REST API, the OAuth token exchange (on the API host) and
the page where a user authorizes an app (Intercom's web app).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from ..errors import ConfigurationError, UnsafeURL

__all__ = ["AUTHORIZE_BASES", "REGIONS", "TOKEN_PATH", "BaseURL", "resolve_base_url"]

REGIONS: dict[str, str] = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}

# Where a user of each region authorizes an app; the code is then exchanged at that region's API host.
AUTHORIZE_BASES: dict[str, str] = {
    "us": "https://app.intercom.com",
    "eu": "https://app.eu.intercom.com",
    "au": "https://app.au.intercom.com",
}
TOKEN_PATH = "/auth/eagle/token"


# An ASCII host name, IPv4 or IPv6 address (what httpx can connect to without guessing an IDNA encoding).
_HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]+")


@dataclass(frozen=True)
class BaseURL:
    """A parsed base URL. ``join`` and ``check_link`` are the only ways a request URL is made."""

    scheme: str
    netloc: str
    prefix: str  # path prefix without trailing slash ("" for the plain API hosts)

    def __str__(self) -> str:
        return urlunsplit((self.scheme, self.netloc, self.prefix, "", ""))

    @property
    def host(self) -> str:
        return self.netloc

    def join(self, path: str) -> str:
        """Resolve an API path such as ``/contacts/123`` under this base.

        Refuses absolute URLs, scheme-relative ``//host`` paths, backslashes, control characters and ``..``
        segments that climb out of the base: the token must only ever reach this host.
        """
        if not isinstance(path, str):
            raise UnsafeURL(f"path must be a string, not {type(path).__name__}")
        if not path.startswith("/") or path.startswith("//"):
            raise UnsafeURL(
                f"refusing {path[:80]!r}: pass a path starting with a single '/', such as '/contacts'"
            )
        if "\\" in path or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
            raise UnsafeURL(
                f"refusing {path[:80]!r}: backslashes and control characters are not allowed in paths"
            )
        bare, sep, query = path.partition("?")
        if "#" in bare:
            raise UnsafeURL(f"refusing {path[:80]!r}: fragments are not allowed in paths")
        if ".." in bare.split("/"):
            raise UnsafeURL(f"refusing {path[:80]!r}: '..' segments are not allowed in paths")
        normalised = posixpath.normpath(bare)
        if bare.endswith("/") and normalised != "/":
            normalised += "/"
        full = self.prefix + quote(normalised, safe="/:@!$&'()*+,;=-._~%")
        return urlunsplit((self.scheme, self.netloc, full, query if sep else "", ""))

    def check_link(self, url: str) -> str:
        """Accept a pagination link only if it points at this very base (scheme, host, port and prefix)."""
        if url.startswith("/"):
            return self.join(url)
        parts = urlsplit(url)
        if (parts.scheme.lower(), parts.netloc.lower()) != (self.scheme, self.netloc.lower()):
            raise UnsafeURL(
                f"refusing a link to {parts.scheme}://{parts.netloc}: it is not the configured API host"
            )
        if not (parts.path == self.prefix or parts.path.startswith(self.prefix + "/")):
            raise UnsafeURL("refusing a link outside the configured base path")
        rel = parts.path[len(self.prefix) :] or "/"
        return self.join(rel + (f"?{parts.query}" if parts.query else ""))


def resolve_base_url(region: str | None = None, base_url: str | None = None) -> BaseURL:
    """``base_url`` wins over ``region``; the default is the US region."""
    if base_url is None:
        key = "us" if region is None else region.strip().lower() if isinstance(region, str) else region
        if not isinstance(key, str) or key not in REGIONS:
            valid = ", ".join(repr(r) for r in REGIONS)
            raise ConfigurationError(f"unknown region {region!r}: valid regions are {valid}")
        base_url = REGIONS[key]
    if not isinstance(base_url, str) or not base_url.strip():
        raise ConfigurationError("base_url must be a non-empty string such as 'https://api.intercom.io'")
    try:
        parts = urlsplit(base_url.strip())
        port = parts.port  # parses it: a port that is not a number from 0 to 65535 raises ValueError
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or not _HOST.fullmatch(parts.hostname)
        or (port is None and parts.netloc.endswith(":"))
        or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in base_url.strip())
    ):
        raise ConfigurationError(
            f"base_url {base_url[:80]!r} needs a scheme and a host, e.g. 'https://api.intercom.io' "
            "or 'http://127.0.0.1:8765'"
        )
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigurationError("base_url must not carry a query, a fragment or credentials")
    return BaseURL(parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"))
