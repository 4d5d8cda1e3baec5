"""Intercom webhook signatures: ``X-Hub-Signature: sha1=<hex>``, the HMAC-SHA1 of the raw body.

Verification works on the bytes exactly as received. Re-serialising the JSON (even with the same keys and values)
changes whitespace or key order and therefore the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from ..errors import ConfigurationError, InvalidSignature

__all__ = ["SIGNATURE_HEADER", "sign", "verify"]

SIGNATURE_HEADER = "X-Hub-Signature"

_PREFIX = "sha1="
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
# Errors keep the header for debugging; a cap keeps a hostile megabyte header out of logs.
_MAX_KEPT = 120


def _digest(body: bytes, client_secret: str) -> str:
    return hmac.new(client_secret.encode("utf-8"), body, hashlib.sha1).hexdigest()


def _check_inputs(body: object, client_secret: object) -> bytes:
    if isinstance(body, str):
        raise TypeError(
            "verify() needs the raw request body as bytes, exactly as received; "
            "a str (or re-serialised JSON) may not be the bytes Intercom signed"
        )
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError(f"body must be bytes, not {type(body).__name__}")
    if not isinstance(client_secret, str) or not client_secret:
        raise ConfigurationError("the webhook client secret is empty: pass your Intercom app's client secret")
    return bytes(body)


def sign(body: bytes, client_secret: str) -> str:
    """The ``X-Hub-Signature`` header value Intercom would send for ``body`` (for tests and the sandbox)."""
    raw = _check_inputs(body, client_secret)
    return _PREFIX + _digest(raw, client_secret)


def verify(body: bytes, signature_header: str | None, client_secret: str) -> None:
    """Raise :class:`~intercomkit.errors.InvalidSignature` unless ``signature_header`` signs ``body``.

    ``body`` must be the raw bytes of the request. The comparison is constant-time.
    """
    raw = _check_inputs(body, client_secret)
    header = signature_header.strip() if isinstance(signature_header, str) else None
    kept = header[:_MAX_KEPT] if header else header
    if not header:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header", header=kept)
    scheme, sep, given = header.partition("=")
    if not sep:
        if _HEX40.fullmatch(header):
            message = f"{SIGNATURE_HEADER} must be 'sha1=<hex digest>': the 'sha1=' prefix is missing"
        else:
            message = f"malformed {SIGNATURE_HEADER}: expected 'sha1=<40 hex digits>'"
        raise InvalidSignature(message, header=kept)
    if scheme.strip().lower() != "sha1":
        raise InvalidSignature(
            f"{SIGNATURE_HEADER} uses {scheme.strip()!r}; Intercom signs with HMAC-SHA1 ('sha1=<hex digest>')",
            header=kept,
        )
    given = given.strip()
    if not _HEX40.fullmatch(given):
        raise InvalidSignature(
            f"malformed {SIGNATURE_HEADER}: the digest after 'sha1=' must be 40 hex digits", header=kept
        )
    if not hmac.compare_digest(_digest(raw, client_secret), given.lower()):
        raise InvalidSignature(
            f"{SIGNATURE_HEADER} does not match the body: sign the raw bytes as received "
            "(not re-serialised JSON) with the app's client secret",
            header=kept,
        )
