"""Error bodies in Intercom's ``error.list`` shape, and the exception handlers raise to produce them."""

from __future__ import annotations

import uuid

__all__ = ["SandboxAPIError", "error_body", "proxy_html"]


class SandboxAPIError(Exception):
    """Raised inside a route handler; the app turns it into an ``error.list`` response."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def body(self) -> dict:
        return error_body(self.code, self.message, field=self.field)


def error_body(code: str, message: str, *, field: str | None = None) -> dict:
    err: dict = {"code": code, "message": message}
    if field is not None:
        err["field"] = field
    return {"type": "error.list", "request_id": str(uuid.uuid4()), "errors": [err]}


def proxy_html(status: int) -> bytes:
    # Real 502/503s come from the load balancer, not the API, so they are HTML: clients must not assume JSON.
    reason = {502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "Error")
    return (
        f"<html><head><title>{status} {reason}</title></head>"
        f"<body><center><h1>{status} {reason}</h1></center></body></html>\n"
    ).encode()
