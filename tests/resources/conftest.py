"""Fixtures for the resource tests: sandboxes, a recording transport, a fake clock and a spec checker."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_clock import FakeClock

from intercomkit import AsyncClient
from intercomkit.sandbox import Sandbox

SPEC = Path(__file__).resolve().parent.parent / "spec" / "api.intercom.io.2.16.yaml"


@dataclass
class Exchange:
    method: str
    path: str
    params: dict[str, str]
    json: Any
    status: int
    body: bytes


class Recording(httpx.AsyncBaseTransport):
    """Wraps a transport and keeps every request (params and JSON body) with its response."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        sent = json.loads(request.content) if request.content else None
        self.exchanges.append(
            Exchange(
                request.method,
                request.url.path,
                dict(request.url.params),
                sent,
                response.status_code,
                content,
            )
        )
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    def to(self, method: str, path: str) -> list[Exchange]:
        return [x for x in self.exchanges if x.method == method and x.path == path]

    async def aclose(self) -> None:
        await self.inner.aclose()


def client_for(sb: Sandbox, **kw: Any) -> tuple[AsyncClient, Recording]:
    recording = Recording(sb.transport())
    client = AsyncClient(token=sb.token, base_url=sb.base_url, transport=recording, **kw)
    return client, recording


@pytest.fixture(scope="module")
def big() -> Sandbox:
    """1 000 contacts, 1 000 companies: the pagination-correctness workspace (read only)."""
    return Sandbox(contacts=1000, companies=1000, seed=3)


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(contacts=200, companies=30, seed=0)


@pytest.fixture
async def client(sb: Sandbox) -> AsyncIterator[AsyncClient]:
    async with sb.client() as c:
        yield c


class SpecCheck:
    """Validates a recorded response body against the 2.16 spec's schema for (method, path template, status)."""

    def __init__(self) -> None:
        import yaml
        from openapi_schema_validator import OAS30Validator

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with SPEC.open(encoding="utf-8") as fh:
            self.spec = json.loads(json.dumps(yaml.load(fh, Loader=loader)))
        self._validator = OAS30Validator

    def __call__(self, method: str, template: str, exchange: Exchange) -> None:
        responses = self.spec["paths"][template][method.lower()]["responses"]
        chosen = responses.get(str(exchange.status))
        if chosen is None:
            assert exchange.status >= 400, f"{method} {template} -> {exchange.status} not in spec"
            schema: dict[str, Any] = {"$ref": "#/components/schemas/error"}
        else:
            schema = chosen["content"]["application/json"]["schema"]
        root = {"components": self.spec["components"], "allOf": [schema]}
        self._validator(root).validate(json.loads(exchange.body))


@pytest.fixture(scope="session")
def spec_check() -> SpecCheck:
    pytest.importorskip("openapi_schema_validator")
    pytest.importorskip("yaml")
    return SpecCheck()


@pytest.fixture(scope="session")
def recorded():
    """``recorded(sb, **client_options)`` -> (AsyncClient, Recording) talking to ``sb`` in-process."""
    return client_for


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_767_225_600.0)  # 2026-01-01 00:00 UTC
