"""Many sandbox workspaces behind one ASGI app, chosen by the bearer token, as Intercom chooses a workspace.

Intercom serves every workspace from one host; the access token says which workspace a request is for ("Each app
… has its own access token"). ``SandboxFleet`` does the same with N independent ``Sandbox`` objects: workspace
``k`` (1-based) accepts ``<token>-k`` and has its own seed (``seed + k``), so its own data, ``app.id_code``,
rate-limit window, faults and clock-driven state. Nothing is shared between them but the port.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ._transport import SandboxTransport

if TYPE_CHECKING:
    from ._sandbox import Sandbox

__all__ = ["SandboxFleet"]


class SandboxFleet:
    """``Sandbox.fleet(n, ...)``: ``n`` workspaces on one app; ``fleet[k]`` is workspace ``k`` (1..n).

    >>> from intercomkit.sandbox import Sandbox
    >>> fleet = Sandbox.fleet(3, contacts=50, token="t")
    >>> fleet.tokens
    ['t-1', 't-2', 't-3']
    >>> len({ws.contact_ids()[0] for ws in fleet})
    3
    """

    def __init__(self, workspaces: Sequence[Sandbox]) -> None:
        if not workspaces:
            raise ValueError("a sandbox fleet needs at least one workspace")
        self.workspaces = list(workspaces)
        self.base_url = self.workspaces[0].base_url
        self.app = _FleetApp(self)

    @classmethod
    def build(cls, sandbox_cls: type[Sandbox], n: int, *, token: str, seed: int, **kw: Any) -> SandboxFleet:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"a sandbox fleet needs n >= 1 workspaces, got {n!r}")
        # A size per workspace, or one for all: workspaces of different sizes tell a fleet's partitions apart
        # (conversation and ticket ids are numbered alike in every workspace, as they are not in contacts').
        sizes: dict[str, list[Any]] = {}
        for name in ("contacts", "conversations", "tickets"):
            if name not in kw and name != "contacts":
                continue
            given = kw.pop(name, 1000)
            sizes[name] = list(given) if isinstance(given, Sequence) else [given] * n
            if len(sizes[name]) != n:
                raise ValueError(f"{name} names {len(sizes[name])} sizes for {n} workspaces")
        return cls(
            [
                sandbox_cls(
                    **{name: each[k - 1] for name, each in sizes.items()},
                    token=f"{token}-{k}",
                    seed=seed + k,
                    **kw,
                )
                for k in range(1, n + 1)
            ]
        )

    def __repr__(self) -> str:
        return f"SandboxFleet({len(self)} workspaces)"  # never a token

    def __len__(self) -> int:
        return len(self.workspaces)

    def __iter__(self) -> Iterator[Sandbox]:
        return iter(self.workspaces)

    def __getitem__(self, k: int) -> Sandbox:
        if not 1 <= k <= len(self.workspaces):
            raise IndexError(f"workspaces are numbered 1..{len(self.workspaces)}, got {k}")
        return self.workspaces[k - 1]

    @property
    def tokens(self) -> list[str]:
        return [ws.token for ws in self.workspaces]

    def transport(self) -> SandboxTransport:
        return SandboxTransport(self.app)

    def client(self, k: int, **kw: Any) -> Any:
        """An ``AsyncClient`` for workspace ``k`` over the in-process transport."""
        from intercomkit import AsyncClient  # lazy: the client must never be needed to import the sandbox

        return AsyncClient(token=self[k].token, base_url=self.base_url, transport=self.transport(), **kw)

    def workspace_for(self, headers: dict[str, str]) -> Sandbox | None:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        presented = value.strip()
        for ws in self.workspaces:
            if presented in ws.tokens:
                return ws
        return None


class _FleetApp:
    """The ASGI callable: hand the request to the workspace its token belongs to."""

    def __init__(self, fleet: SandboxFleet) -> None:
        self.fleet = fleet

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.fleet.workspaces[0].app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        # No workspace's token (none, or a wrong one): the first workspace answers, which serves its public
        # routes (the OAuth authorize page carries no token) and refuses the rest with Intercom's 401.
        target = self.fleet.workspace_for(headers) or self.fleet.workspaces[0]
        await target.app(scope, receive, send)
