"""An embedded fake Intercom workspace for offline demos, tests, notebooks and benchmarks.

from intercomkit.sandbox import Sandbox
sb = Sandbox(contacts=1000, companies=100, seed=0)
async with httpx.AsyncClient(transport=sb.transport(), base_url=sb.base_url,
                             headers={"Authorization": f"Bearer {sb.token}"}) as http:
    ...
"""

from __future__ import annotations

from ._errors import SandboxAPIError
from ._faults import FAULT_KINDS, Faults
from ._fleet import SandboxFleet
from ._http import Request, Response, json_response
from ._limits import RateLimitConfig
from ._sandbox import BASE_URL, Sandbox
from ._search import matches, reject_invalid_query
from ._serve import serve, serve_in_thread
from ._transport import SandboxTransport

__all__ = [
    "BASE_URL",
    "FAULT_KINDS",
    "Faults",
    "RateLimitConfig",
    "Request",
    "Response",
    "Sandbox",
    "SandboxAPIError",
    "SandboxFleet",
    "SandboxTransport",
    "json_response",
    "matches",
    "serve",
    "serve_in_thread",
    "reject_invalid_query",
]
