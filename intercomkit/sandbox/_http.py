"""The small request/response pair the sandbox routes work with (no web framework needed)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from ._errors import SandboxAPIError

__all__ = ["Request", "Response", "json_response"]


@dataclass
class Request:
    method: str
    path: str
    query_string: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    path_params: dict[str, str] = field(default_factory=dict)
    sandbox: Any = None

    @property
    def query(self) -> dict[str, str]:
        """First value of each query parameter."""
        return {k: v[0] for k, v in parse_qs(self.query_string, keep_blank_values=True).items()}

    def json(self, *, default: Any = None) -> Any:
        """The JSON body; ``default`` when the body is empty; 400 ``parameter_invalid`` when it is not JSON."""
        if not self.body.strip():
            return default
        try:
            return json.loads(self.body)
        except ValueError:
            raise SandboxAPIError(400, "parameter_invalid", "Request body is not valid JSON") from None

    def json_object(self) -> dict:
        data = self.json(default={})
        if not isinstance(data, dict):
            raise SandboxAPIError(400, "parameter_invalid", "Request body must be a JSON object")
        return data

    def int_param(self, name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SandboxAPIError(400, "parameter_invalid", f"{name} must be an integer") from None
        if value < minimum:
            raise SandboxAPIError(400, "parameter_invalid", f"{name} must be at least {minimum}")
        return min(value, maximum) if maximum is not None else value


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Set by the fault injector: "drop" makes the connection die mid-body.
    fault: str | None = None


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode()
    h = {"content-type": "application/json; charset=utf-8"}
    if headers:
        h.update(headers)
    return Response(status, body, h)
