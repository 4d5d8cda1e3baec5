"""``client.conversations``: list, search (``POST /conversations/search``), one conversation with its parts, and
conversations or their parts as typed frames (parts fetched concurrently, one ``GET /conversations/{id}`` each)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio

from .._limiter import RequestLimiter
from .._models import Conversation, Model
from .._pagination import Paginator
from .._protocol.pages import CursorList, check_per_page
from .._protocol.parts import PartsAccount, check_parts
from .._protocol.query.builder import Query
from ..errors import NotFound
from ..messages._payload import admin_id
from ._base import Resource, search_paginator, segment

__all__ = ["Conversations", "Fetched", "fetch_each", "listed_counts"]

logger = logging.getLogger("intercomkit")


@dataclass
class Fetched:
    """Conversations fetched one by one: those found (in the order asked), the ids that answered 404 (deleted
    since they were listed, or never there), and the parts counts the listing gave (``listed``: id →
    ``statistics.count_conversation_parts``), which ``account`` checks the answers against."""

    conversations: list[Conversation] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    listed: Mapping[str, Any] = field(default_factory=dict)

    @property
    def account(self) -> PartsAccount:
        """Parts written vs counted per conversation: truncated (more than 500), deleted (404) and gaps (see
        ``intercomkit._protocol.parts``)."""
        account = PartsAccount()
        for c in self.conversations:
            ident = c.id or ""
            written = len({p.id for p in c.parts})
            account.add(
                check_parts(
                    ident, self.listed.get(ident), c.statistics.get("count_conversation_parts"), written
                )
            )
        for ident in self.missing:
            account.gone(ident)
        return account

    @property
    def parts_truncated(self) -> list[str]:
        """Ids of the conversations with more parts than Intercom returned ("at most 500")."""
        return self.account.truncated


def listed_counts(items: Iterable[Any]) -> dict[str, Any]:
    """id → ``statistics.count_conversation_parts`` of listed conversations (search or list records, or models)."""
    counts: dict[str, Any] = {}
    for item in items:
        raw = getattr(item, "raw", item)
        if isinstance(raw, Mapping) and raw.get("id") is not None:
            stats = raw.get("statistics")
            counts[str(raw["id"])] = (
                stats.get("count_conversation_parts") if isinstance(stats, Mapping) else None
            )
    return counts


async def fetch_each(ids: Iterable[str], fetch: Callable[[str], Awaitable[None]], concurrency: int) -> None:
    """Calls ``fetch(id)`` for every id, at most ``concurrency`` at once (anyio workers sharing one iterator). The
    first error cancels the rest and is raised as itself, not inside an exception group."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
    pending = iter(ids)
    errors: list[Exception] = []

    async def worker() -> None:
        for ident in pending:
            try:
                await fetch(ident)
            except Exception as exc:
                errors.append(exc)
                group.cancel_scope.cancel()
                return

    async with anyio.create_task_group() as group:
        for _ in range(concurrency):
            group.start_soon(worker)
    if errors:
        raise errors[0]


class Conversations(Resource):
    """Conversations. Every listing always sends ``per_page`` (default 150, Intercom's maximum; its default is 20)."""

    def list(self, per_page: int = 150) -> Paginator[Conversation]:
        """Every conversation (``GET /conversations``), without parts: ``async for c in …`` or ``.frame()``."""
        style = CursorList(
            "/conversations",
            per_page=check_per_page(per_page),
            base=self._client.base,
            items_key="conversations",
        )
        return Paginator(self._client, style, model=Conversation, frame_builder="conversations_frame")

    def search(
        self,
        query: Query | Mapping[str, Any],
        sort: str | Mapping[str, str] | None = None,
        per_page: int = 150,
        *,
        order: str = "ascending",
    ) -> Paginator[Conversation]:
        """Conversations matching ``query`` (``ik.field(...)`` expressions or Intercom's raw JSON), without parts.

        Checked before any request against the conversation search's fields and types (``InvalidQuery``).
        Bounds mean what they say: Intercom's ``>``/``<`` on this search are "Greater (or equal) than" / "Lower (or
        equal) than", so ``field("created_at") > t`` is sent as ``> t+1``; ``>=``/``<=`` work too, and a
        ``datetime.date`` is the whole UTC day."""
        return search_paginator(
            self._client,
            query,
            resource="conversations",
            model=Conversation,
            frame_builder="conversations_frame",
            sort=sort,
            order=order,
            per_page=per_page,
        )

    async def get(self, conversation_id: str, *, display_as: str | None = None) -> Conversation:
        """One conversation with its parts (``.parts``; Intercom returns at most the 500 most recent, see
        ``.parts_truncated``). ``display_as="plaintext"`` asks Intercom for bodies as text. An unknown id raises
        ``NotFound``."""
        path = f"/conversations/{segment(conversation_id, 'conversation_id')}"
        params = {"display_as": display_as} if display_as is not None else None
        return Conversation(await self._on("conversation", conversation_id, "GET", path, params=params))

    async def get_many(
        self,
        ids: Iterable[str],
        *,
        concurrency: int | str = "auto",
        counts: Mapping[str, Any] | None = None,
        limiter: RequestLimiter | None = None,
    ) -> Fetched:
        """Many conversations with their parts, fetched concurrently under the workspace's request limiter (the
        export's: its shared rate budget, and at most ``concurrency`` requests at once, ``"auto"`` adapting up to
        32 and halving on a 429). An id that answers 404 (a conversation deleted meanwhile) is skipped and listed
        in ``missing``, not an error; any other error is raised. ``counts`` (id → the listing's
        ``count_conversation_parts``) is what ``Fetched.account`` checks the parts against; ``limiter`` shares a
        running export's limiter instead of opening one."""
        if isinstance(ids, str):
            raise TypeError("ids must be a list of conversation ids, not one string")
        wanted = list(dict.fromkeys(str(i) for i in ids))
        for ident in wanted:
            segment(ident, "conversation id")
        limiter = limiter if limiter is not None else RequestLimiter(self._client, concurrency)
        found: dict[str, Conversation] = {}
        missing: list[str] = []

        async def one(ident: str) -> None:
            try:
                async with limiter.slot():
                    found[ident] = await self.get(ident)
            except NotFound:
                missing.append(ident)

        await fetch_each(wanted, one, limiter.max_concurrency)
        if missing:
            logger.info("%d conversation(s) not found (deleted meanwhile?): skipped", len(missing))
        gone = set(missing)
        return Fetched(
            [found[i] for i in wanted if i in found], [i for i in wanted if i in gone], dict(counts or {})
        )

    # -- thin actions: one request each. Replies, closes and assignments add a part, so they are never retried after
    # they may have reached Intercom (an ambiguous failure raises OutcomeUnknown); tagging twice changes nothing.

    async def reply(self, conversation_id: str, body: str, *, admin: Any, note: bool = False) -> Conversation:
        """An admin's reply (``note=True``: an internal note) — ``POST /conversations/{id}/reply``."""
        payload = {
            "message_type": "note" if note else "comment",
            "type": "admin",
            "admin_id": str(admin_id(admin, "admin")),
            "body": _text(body, "body"),
        }
        return await self._act(conversation_id, "/reply", payload)

    async def close(self, conversation_id: str, *, admin: Any, body: str | None = None) -> Conversation:
        """Close the conversation as ``admin`` (with an optional closing message)."""
        payload: dict[str, Any] = {
            "message_type": "close",
            "type": "admin",
            "admin_id": str(admin_id(admin, "admin")),
        }
        if body is not None:
            payload["body"] = _text(body, "body")
        return await self._act(conversation_id, "/parts", payload)

    async def reopen(self, conversation_id: str, *, admin: Any) -> Conversation:
        payload = {"message_type": "open", "admin_id": str(admin_id(admin, "admin"))}
        return await self._act(conversation_id, "/parts", payload)

    async def assign(
        self, conversation_id: str, *, admin: Any, to_admin: Any = None, to_team: str | int | None = None
    ) -> Conversation:
        """Assign to an admin (``to_admin``) or a team (``to_team``), as ``admin``."""
        if (to_admin is None) == (to_team is None):
            raise TypeError("assign() takes exactly one of to_admin= or to_team=")
        target, assignee = (
            ("admin", str(admin_id(to_admin, "to_admin"))) if to_team is None else ("team", to_team)
        )
        payload = {
            "message_type": "assignment",
            "type": target,
            "admin_id": str(admin_id(admin, "admin")),
            "assignee_id": _ident(assignee, "to_team"),
        }
        return await self._act(conversation_id, "/parts", payload)

    async def tag(self, conversation_id: str, tag_id: str, *, admin: Any) -> Any:
        """Tag the conversation (``POST /conversations/{id}/tags``); returns the tag."""
        path = f"/conversations/{segment(conversation_id, 'conversation_id')}/tags"
        payload = {"id": _ident(tag_id, "tag_id"), "admin_id": str(admin_id(admin, "admin"))}
        return Model(
            await self._on(
                "conversation or tag", conversation_id, "POST", path, json=payload, repeatable=True
            )
        )

    async def _act(self, conversation_id: str, suffix: str, payload: dict[str, Any]) -> Conversation:
        path = f"/conversations/{segment(conversation_id, 'conversation_id')}{suffix}"
        return Conversation(await self._on("conversation", conversation_id, "POST", path, json=payload))

    async def attributes(self, *, include_archived: bool = False) -> list[Any]:
        """The workspace's conversation attributes (see ``client.data_attributes.list(model="conversation")``)."""
        return await self._client.data_attributes.list(
            model="conversation", include_archived=include_archived
        )

    async def frame(
        self,
        query: Query | Mapping[str, Any] | None = None,
        limit: int | None = None,
        *,
        names: bool = False,
        admins: Any = None,
        teams: Any = None,
        attributes: Any = "auto",
        progress: bool | None = None,
        **options: Any,
    ) -> Any:
        """Conversations as a typed DataFrame, one row each: every conversation (``list()``) or those matching
        ``query`` (``search()``).

        ``names=True`` adds ``admin_assignee_name`` and ``team_assignee_name`` (reads ``/admins`` and ``/teams``);
        or pass ``admins=`` / ``teams=`` frames. ``attributes``: the conversation data attributes that type the
        ``custom.*`` columns; ``"auto"`` reads them when the token may (else the types are inferred from values),
        ``None`` always infers. ``options``: ``dtype_backend="pyarrow"``."""
        paginator = self.list() if query is None else self.search(query)
        items = await paginator.raw(limit, progress=progress)
        if names:
            admins = admins if admins is not None else await self._client.admins.list()
            teams = teams if teams is not None else await self._client.teams.list()
        if isinstance(attributes, str) and attributes == "auto":
            attributes = await self._client.data_attributes.readable("conversation")
        from .._frames import conversations_frame

        return conversations_frame(items, attributes=attributes, admins=admins, teams=teams, **options)

    async def parts_frame(
        self,
        query: Query | Mapping[str, Any] | None = None,
        *,
        ids: Iterable[str] | None = None,
        limit: int | None = None,
        concurrency: int | str = "auto",
        **options: Any,
    ) -> Any:
        """The parts of conversations as a typed DataFrame, one row per part: of the conversations with ``ids``, or
        of those matching ``query`` (every conversation when both are ``None``; ``limit`` caps how many).

        Each conversation is one ``GET /conversations/{id}``, fetched concurrently under the workspace's request
        limiter (its rate budget; ``concurrency`` at once, ``"auto"`` adapts). A conversation deleted meanwhile
        (404) is skipped; its id is in ``frame.attrs["missing"]``. Intercom returns at most the 500 most recent
        parts of a conversation: the ids of conversations cut short are in ``frame.attrs["parts_truncated"]``.
        Any other shortfall against ``statistics.count_conversation_parts`` (the listing's, or the answer's own)
        is in ``frame.attrs["gaps"]``. All three are logged too."""
        if ids is not None and query is not None:
            raise TypeError("parts_frame() takes query= or ids=, not both")
        counts: dict[str, Any] = {}
        if ids is None:
            paginator = self.list() if query is None else self.search(query)
            counts = listed_counts(await paginator.raw(limit))
            ids = list(counts)
        elif limit is not None and not isinstance(ids, str):
            ids = list(ids)[:limit]
        fetched = await self.get_many(ids, concurrency=concurrency, counts=counts)
        from .._frames import parts_frame

        account = fetched.account
        frame = parts_frame(fetched.conversations, **options)
        frame.attrs["missing"] = fetched.missing
        frame.attrs["parts_truncated"] = account.truncated
        frame.attrs["gaps"] = account.gaps
        if account.truncated:
            logger.warning(
                "%d conversation(s) have more parts than Intercom returns (the 500 most recent): %s",
                len(account.truncated),
                ", ".join(account.truncated[:10]),
            )
        if account.gaps:
            logger.warning(
                "%d conversation(s) came back with fewer parts than Intercom counts: %s",
                len(account.gaps),
                "; ".join(account.gaps[:5]),
            )
        return frame


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{what} must be a non-empty str")
    return value


def _ident(value: Any, what: str) -> str:
    segment(value, what)  # the same checks as an id in a path: a non-empty str or int
    return str(value).strip()
