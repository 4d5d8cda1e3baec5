"""``client.sync``: the client's methods for code that cannot ``await``, run on the sync bridge.

    client = ik.AsyncClient()
    me = client.sync.me()
    df = client.sync.contacts.frame(ik.field("email").endswith("@acme.com"))   # as await client.contacts.frame(…)
    companies = client.sync.companies.frame()

The facade is generic: an attribute of the client that holds async methods (a resource, the exporter) comes back
wrapped; calling a method that returns a coroutine runs it with ``run_sync``; a method that returns a ``Paginator``
gives a ``SyncPaginator`` (``to_list``, ``raw``, ``frame``, ``first_page``).

Every call runs on the bridge's one loop, so a client used only through ``.sync`` stays on that loop. An httpx
pool belongs to the loop that first used it: use a client either with ``await`` or through ``.sync``, not both.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from ._bridge import run_sync
from ._pagination import Page, Paginator

__all__ = ["SyncClient", "SyncPaginator", "SyncProxy"]


class SyncPaginator:
    """A ``Paginator`` driven from sync code: each method walks the listing on the bridge loop."""

    def __init__(self, paginator: Paginator[Any]) -> None:
        self._paginator = paginator

    def __repr__(self) -> str:
        return f"<SyncPaginator of {self._paginator!r}>"

    @property
    def total_count(self) -> int | None:
        """Intercom's total, known after a page has been read."""
        return self._paginator.total_count

    def first_page(self) -> Page:
        return run_sync(self._paginator.first_page())

    def raw(self, limit: int | None = None, *, progress: bool | None = None) -> list[dict[str, Any]]:
        """The raw item dicts, as Intercom sent them."""
        return run_sync(self._paginator.raw(limit, progress=progress))

    def to_list(self, limit: int | None = None, *, progress: bool | None = None) -> list[Any]:
        return run_sync(self._paginator.to_list(limit, progress=progress))

    def frame(self, limit: int | None = None, *, progress: bool | None = None, **options: Any) -> Any:
        """A typed pandas DataFrame of the items (``progress``: as ``Paginator.frame``)."""
        return run_sync(self._paginator.frame(limit, progress=progress, **options))

    def __iter__(self) -> Iterator[Any]:
        # Reads the whole listing first: a sync iterator cannot hold an async walk open across bridge calls.
        return iter(self.to_list())


class SyncProxy:
    """Wraps an object with async methods (a resource, the exporter) so they can be called without ``await``."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __repr__(self) -> str:
        return f"<sync {self._target!r}>"

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *(n for n in dir(self._target) if not n.startswith("_"))})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._target, name)
        if callable(value):
            return _sync_method(value)
        if _has_async_methods(value):
            return SyncProxy(value)
        return value


class SyncClient(SyncProxy):
    """``client.sync``: the same calls as ``AsyncClient``, without ``await``."""

    def close(self) -> None:
        """Close the client's connection pool (on the bridge loop, where ``.sync`` used it)."""
        run_sync(self._target.aclose())

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _sync_method(method: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        if isinstance(result, Paginator):
            return SyncPaginator(result)
        if inspect.isawaitable(result):
            return run_sync(result)
        return result

    call.__name__ = getattr(method, "__name__", "call")
    call.__qualname__ = getattr(method, "__qualname__", call.__name__)
    call.__doc__ = getattr(method, "__doc__", None)
    return call


def _has_async_methods(value: Any) -> bool:
    if isinstance(value, (str, bytes, int, float, bool, type(None), dict, list, tuple)):
        return False
    return any(
        inspect.iscoroutinefunction(member)
        for name, member in inspect.getmembers(type(value))
        if name[:1] != "_"
    )
