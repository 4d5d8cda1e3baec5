"""intercomkit: Intercom as a first-class data source for analysts in Jupyter.

    import intercomkit as ik
    async with ik.AsyncClient() as client:            # token from ik.connect(), INTERCOM_ACCESS_TOKEN or a profile
        df = await client.contacts.search(ik.field("email").endswith("@acme.com")).frame()

pandas (frames), ipywidgets (``ik.notebook``) and the ``export``, ``fleet``, ``sandbox``, ``support`` and ``webhooks``
packages load on first use, so ``import intercomkit`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import errors, oauth
from ._bridge import allow_nested, run_sync
from ._client import AsyncClient, ClientStats
from ._connection import Connection, connect, connect_sync, disconnect, profiles
from ._credentials import CredentialStore, Profile, ResolvedCredentials
from ._models import (
    Admin,
    Company,
    Contact,
    Conversation,
    ConversationPart,
    Message,
    Model,
    Ticket,
    updates,
)
from ._pagination import Page, Paginator
from ._protocol.query.builder import Field, Filter, Group, Query, build_query, field, sort_spec
from ._protocol.query.plan import SearchPlan, plan_search
from ._protocol.ratelimit import RateLimit
from ._protocol.regions import REGIONS
from ._protocol.retry import RetryPolicy
from ._version import __version__
from ._workspaces import WorkspaceRegistry

_LAZY = {
    "contacts_frame": "._frames",
    "companies_frame": "._frames",
    "admins_frame": "._frames",
    "records_frame": "._frames",
    "conversations_frame": "._frames",
    "parts_frame": "._frames",
    "tickets_frame": "._frames",
    "read_contacts_csv": "._frames",
    "read_companies_csv": "._frames",
    "CONTACT_COLUMNS": "._frames",
    "COMPANY_COLUMNS": "._frames",
    "notebook": ".notebook",
    "sandbox": ".sandbox",
    "export": ".export",
    "fleet": ".fleet",
    "webhooks": ".webhooks",
    "support": ".support",
}

__all__ = [
    "COMPANY_COLUMNS",
    "CONTACT_COLUMNS",
    "REGIONS",
    "Admin",
    "AsyncClient",
    "ClientStats",
    "Company",
    "Connection",
    "Contact",
    "Conversation",
    "ConversationPart",
    "CredentialStore",
    "Field",
    "Filter",
    "Group",
    "Message",
    "Model",
    "Page",
    "Paginator",
    "Profile",
    "Query",
    "RateLimit",
    "ResolvedCredentials",
    "RetryPolicy",
    "SearchPlan",
    "Ticket",
    "WorkspaceRegistry",
    "__version__",
    "admins_frame",
    "allow_nested",
    "build_query",
    "companies_frame",
    "connect",
    "connect_sync",
    "contacts_frame",
    "conversations_frame",
    "disconnect",
    "errors",
    "export",
    "field",
    "fleet",
    "notebook",
    "oauth",
    "parts_frame",
    "plan_search",
    "profiles",
    "read_companies_csv",
    "read_contacts_csv",
    "records_frame",
    "run_sync",
    "sandbox",
    "sort_spec",
    "support",
    "tickets_frame",
    "updates",
    "webhooks",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'intercomkit' has no attribute {name!r}")
    loaded = importlib.import_module(module, __name__)
    value = loaded if module.endswith(name) else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
