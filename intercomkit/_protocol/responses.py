"""Status + headers + body → data or a named error (gidgethub's ``decipher_response`` habit)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..errors import APIError, Conflict, InvalidResponse, RateLimited, error_for_status
from .headers import redact
from .ratelimit import RateLimit

__all__ = ["decipher", "error_from_response", "excerpt"]

_EXISTING_ID = re.compile(r"\bid=([0-9A-Za-z_-]+)")


def excerpt(body: bytes, *secrets: str | None, limit: int = 200) -> str:
    text = body[: limit * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit] + "…"
    return redact(text, *secrets)


try:  # optional speed-up (pip install orjson): 3-4x faster on a 150-contact page; stdlib otherwise
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - depends on the environment
    _fast_loads = None


def _parse_json(body: bytes) -> Any:
    if _fast_loads is not None:
        try:
            return _fast_loads(body)
        except ValueError:
            pass  # what orjson refuses (NaN, huge integers) the stdlib may still read: its verdict is final
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _INVALID


_INVALID = object()


def decipher(
    status: int, headers: Mapping[str, str], body: bytes, *, secrets: tuple[str | None, ...] = ()
) -> dict[str, Any]:
    """The JSON object of a successful response, or raise the named error for this status and body."""
    if 200 <= status < 300:
        if not body.strip():
            return {}
        data = _parse_json(body)
        if not isinstance(data, dict):
            what = "not JSON" if data is _INVALID else f"a JSON {type(data).__name__}, not an object"
            raise InvalidResponse(
                f"HTTP {status} response body is {what}: {excerpt(body, *secrets)!r}",
                status=status,
                excerpt=excerpt(body, *secrets),
            )
        return data
    raise error_from_response(status, headers, body, secrets=secrets)


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    secrets: tuple[str | None, ...] = (),
    rate_limit: RateLimit | None = None,
) -> APIError:
    """The named error for an error status. ``rate_limit``: the limit already read from ``headers`` (else read here)."""
    cls = error_for_status(status)
    data = _parse_json(body)
    request_id = code = None
    errors: list[dict[str, Any]] = []
    if isinstance(data, dict):
        rid = data.get("request_id")
        request_id = rid if isinstance(rid, str) else None
        raw_errors = data.get("errors")
        if isinstance(raw_errors, list):
            errors = [
                {k: redact(v, *secrets) if isinstance(v, str) else v for k, v in e.items()}
                for e in raw_errors
                if isinstance(e, dict)
            ]
        if errors:
            first_code = errors[0].get("code")
            code = first_code if isinstance(first_code, str) else None
        messages = [str(e.get("message") or e.get("code") or "") for e in errors]
        message = "; ".join(m for m in messages if m) or f"HTTP {status}"
    else:
        message = f"HTTP {status} with a non-JSON body: {excerpt(body, *secrets)!r}"
    message = redact(message, *secrets)
    kwargs: dict[str, Any] = {"status": status, "request_id": request_id, "code": code, "errors": errors}
    if cls is RateLimited:
        rl = rate_limit or RateLimit.from_headers(headers)
        return RateLimited(message, reset_at=rl.reset_at if rl else None, **kwargs)
    if cls is Conflict:
        match = _EXISTING_ID.search(message)
        return Conflict(message, existing_id=match.group(1) if match else None, **kwargs)
    return cls(message, **kwargs)
