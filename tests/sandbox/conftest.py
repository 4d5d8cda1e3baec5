"""Fixtures for the sandbox tests: the vendored OpenAPI spec (parsed once) and a response validator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from intercomkit.sandbox import Sandbox

SPEC = Path(__file__).resolve().parent.parent / "spec" / "api.intercom.io.2.16.yaml"


# Properties the 2.16 schemas type as non-nullable although Intercom answers null when there is nothing to hold: a
# statistic with nothing to measure (an open conversation's ``first_close_at``), an unassigned conversation's or
# ticket's assignee, a ticket that is not snoozed. The support contract (and every export tool's schema) read them
# as nullable; only these are relaxed, so any other null still fails validation.
NULLABLE_IN_PRACTICE = {
    "conversation_statistics": "*",
    "conversation": ("admin_assignee_id", "team_assignee_id"),
    "conversation_list_item": ("admin_assignee_id", "team_assignee_id"),
    "ticket": ("admin_assignee_id", "team_assignee_id", "snoozed_until"),
}


def load_spec() -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open(encoding="utf-8") as fh:
        spec = json.loads(json.dumps(yaml.load(fh, Loader=loader)))
    schemas = spec["components"]["schemas"]
    # ``nullable: true`` beside a ``$ref`` (conversation_part.assigned_to, conversation.ai_agent) is the spec saying
    # null is allowed; the validator ignores a $ref's siblings, so spell it out.
    for schema in schemas.values():
        for name, prop in (schema.get("properties") or {}).items():
            if "$ref" in prop and prop.get("nullable"):
                schema["properties"][name] = {"anyOf": [{"$ref": prop["$ref"]}, {"enum": [None]}]}
    for name, props in NULLABLE_IN_PRACTICE.items():
        properties = schemas[name]["properties"]
        for prop in properties if props == "*" else props:
            if "type" in properties[prop]:
                properties[prop]["nullable"] = True
    return spec


@pytest.fixture(scope="session")
def spec() -> dict:
    return load_spec()


class SpecValidator:
    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self._cache: dict[tuple, OAS30Validator] = {}

    def __call__(self, method: str, path: str, response: httpx.Response) -> Any:
        """Validate ``response`` against the spec's schema for (method, path, status); return its JSON."""
        key = (method.lower(), path, str(response.status_code))
        validator = self._cache.get(key)
        if validator is None:
            op = self.spec["paths"][path][method.lower()]
            responses = op["responses"]
            status = str(response.status_code)
            chosen = responses.get(status)
            if chosen is None:
                # Intercom documents only some error statuses per path; every error uses the same schema.
                assert response.status_code >= 400, f"{method} {path} -> {status} not in spec"
                schema = {"$ref": "#/components/schemas/error"}
            else:
                schema = chosen["content"]["application/json"]["schema"]
            root = {"components": self.spec["components"], "allOf": [schema]}
            validator = OAS30Validator(root)
            self._cache[key] = validator
        body = response.json()
        validator.validate(body)
        return body


@pytest.fixture(scope="session")
def check(spec: dict) -> SpecValidator:
    return SpecValidator(spec)


def http_client(sb: Sandbox, token: str | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=sb.transport(),
        base_url=sb.base_url,
        headers={"Authorization": f"Bearer {token or sb.token}", "Intercom-Version": "2.16"},
    )


@pytest.fixture(scope="session")
def make_client():
    """``make_client(sb, token=None)`` -> an httpx.AsyncClient talking to ``sb`` in-process."""
    return http_client


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(contacts=300, companies=30, seed=0)


@pytest.fixture
async def http(sb: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(sb) as client:
        yield client
