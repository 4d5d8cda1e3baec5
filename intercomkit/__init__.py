"""intercomkit: Intercom as a first-class data source for analysts in Jupyter.

import intercomkit as ik
async with ik.AsyncClient() as client:            # token from ik.connect(), INTERCOM_ACCESS_TOKEN or a profile
    df = await client.contacts.list().frame()
"""

from . import errors
from ._client import AsyncClient, ClientStats
from ._pagination import Page, Paginator
from ._protocol.ratelimit import RateLimit
from ._protocol.regions import REGIONS
from ._protocol.retry import RetryPolicy
from ._version import __version__

__all__ = [
    "REGIONS",
    "AsyncClient",
    "ClientStats",
    "Page",
    "Paginator",
    "RateLimit",
    "RetryPolicy",
    "__version__",
    "errors",
]
