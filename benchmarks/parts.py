"""Rows 9 and 10: every conversation with all its parts, from a served sandbox, side by side in one run.

Row 9 is rate-bound: the server allows ``rate`` requests a second (50 ms latency), and the figure is wall time ÷ the
rate-limit minimum, one listing page per 150 conversations plus one ``GET /conversations/{id}`` per conversation.
Row 10 is latency-bound: 150 ms a request and no limit. Contenders, each against its own freshly started server:

* intercomkit: ``client.export.conversation_parts("parts.csv")``, the conversations paged through search windows and
  every conversation fetched concurrently under the run's request limiter, written to CSV (the file is read back
  after the clock stops);
* the official SDK (``python-intercom``): ``conversations.list`` page after page, then ``conversations.find`` for
  each conversation, one after another, as its README shows;
* an httpx loop: ``GET /conversations`` page after page, then ``GET /conversations/{id}`` one at a time, waiting for
  ``X-RateLimit-Reset`` on a 429 (what the sync tools do).

The one-at-a-time contenders of row 10 can be timed on the first ``baseline`` conversations and scaled linearly:
their time is a sum of one round trip per conversation (5 000 at 150 ms would take each of them a quarter of an hour).

Completeness, checked after the clock stops for every contender: the conversations fetched are exactly the
workspace's, each once, and each holds ``statistics.count_conversation_parts`` parts (the sandbox's own figure,
read in-process) except those Intercom truncates to "the 500 most recent" parts, which must hold exactly 500 and
are listed by id.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from ._server import TOKEN, served

__all__ = ["row_parts_latency", "row_parts_rate"]

PER_PAGE = 150
MAX_PARTS = 500  # "we will return the 500 most recent conversation parts"
CONTACTS = 200  # the conversations' contacts; how many does not change a single request
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json", "Intercom-Version": "2.16"}
INTERCOMKIT_LABEL = "`export.conversation_parts` to CSV"


class Counting(httpx.AsyncBaseTransport):
    """Counts the requests a contender sends and the 429s it gets back (the server is another process)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.requests, self.limited = inner, 0, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        response = await self.inner.handle_async_request(request)
        self.limited += response.status_code == 429
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Fetched:
    """What a contender got: parts per conversation fetched (``listed`` in the order listed), and its requests."""

    parts: dict[str, int] = field(default_factory=dict)
    listed: list[str] = field(default_factory=list)
    requests: int = 0
    limited: int = 0
    read_back: Any = None  # work left for after the clock stops (reading the written file)
    truncated_reported: list[str] | None = None  # the conversations the contender itself says were cut at 500


# -- contenders ---------------------------------------------------------------------------------------------------


async def ik_export_parts(url: str, limit: int | None = None) -> Fetched:
    from intercomkit import AsyncClient

    assert limit is None, "the export takes every conversation"
    folder = tempfile.mkdtemp(prefix="bench-parts-")
    path = f"{folder}/parts.csv"
    async with AsyncClient(token=TOKEN, base_url=url) as client:
        result = await client.export.conversation_parts(path, progress=False)
    out = Fetched(requests=result.requests, limited=result.rate_limited)
    out.truncated_reported = sorted(result.parts_truncated)

    def read_back() -> None:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        types = {"conversation_id": pa.string()}
        options = pacsv.ConvertOptions(include_columns=["conversation_id"], column_types=types)
        ids = pacsv.read_csv(path, convert_options=options).column("conversation_id").to_pylist()
        shutil.rmtree(folder)
        # Every sandbox conversation has a part (its count is at least 1), so the file names each one exported;
        # a conversation exported twice shows as twice its parts.
        out.parts = {str(cid): k for cid, k in Counter(ids).items()}
        out.listed = [*out.parts, *result.deleted]

    out.read_back = read_back
    return out


async def sdk_parts(url: str, limit: int | None = None) -> Fetched:
    from intercom import AsyncIntercom

    counting = Counting(httpx.AsyncHTTPTransport())
    out = Fetched()
    async with httpx.AsyncClient(transport=counting, timeout=60) as http:
        client = AsyncIntercom(token=TOKEN, base_url=url, httpx_client=http)
        pager = await client.conversations.list(per_page=PER_PAGE)
        async for page in pager.iter_pages():
            out.listed.extend(str(c.id) for c in page.items or [])
            if limit is not None and len(out.listed) >= limit:
                break
        del out.listed[len(out.listed) if limit is None else limit :]
        for cid in out.listed:
            conv = await client.conversations.find(conversation_id=cid)
            out.parts[cid] = len(
                conv.conversation_parts.conversation_parts if conv.conversation_parts else []
            )
    out.requests, out.limited = counting.requests, counting.limited
    return out


async def _get(http: httpx.AsyncClient, path: str, out: Fetched, **kw: Any) -> dict[str, Any]:
    while True:
        response = await http.get(path, **kw)
        out.requests += 1
        if response.status_code == 429:
            out.limited += 1
            reset = float(response.headers.get("x-ratelimit-reset", time.time() + 1))
            await anyio.sleep(max(reset - time.time(), 0) + 0.01)
            continue
        response.raise_for_status()
        return response.json()


async def loop_parts(url: str, limit: int | None = None) -> Fetched:
    out = Fetched()
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, timeout=60) as http:
        params: dict[str, Any] = {"per_page": PER_PAGE}
        while limit is None or len(out.listed) < limit:
            body = await _get(http, "/conversations", out, params=params)
            out.listed.extend(str(c["id"]) for c in body["conversations"])
            after = ((body.get("pages") or {}).get("next") or {}).get("starting_after")
            if not after:
                break
            params = {"per_page": PER_PAGE, "starting_after": after}
        del out.listed[len(out.listed) if limit is None else limit :]
        for cid in out.listed:
            conv = await _get(http, f"/conversations/{cid}", out)
            out.parts[cid] = len(conv["conversation_parts"]["conversation_parts"])
    return out


CONTENDERS = {"intercomkit": ik_export_parts, "official SDK": sdk_parts, "httpx loop": loop_parts}


# -- completeness -------------------------------------------------------------------------------------------------


def expected_parts(conversations: int, seed: int = 0) -> dict[str, int]:
    """The served workspace's conversations and their ``count_conversation_parts``, from the same deterministic
    sandbox built in this process (nothing a contender sent)."""
    from intercomkit.sandbox import Sandbox

    sb = Sandbox(contacts=CONTACTS, conversations=conversations, seed=seed, token=TOKEN)
    return {
        cid: sb.get_conversation(cid)["statistics"]["count_conversation_parts"]
        for cid in sb.conversation_ids()
    }


@dataclass
class Completeness:
    written: int  # parts of the conversations that are not truncated
    expected: int  # their count_conversation_parts, summed
    truncated: list[str]  # conversations with more than 500 parts: 500 written, the most recent

    @property
    def ratio(self) -> float:
        return self.written / self.expected if self.expected else 1.0

    def text(self) -> str:
        cut = ", ".join(self.truncated[:3]) + (" …" if len(self.truncated) > 3 else "")
        extra = f"; {len(self.truncated)} truncated at 500 ({cut})" if self.truncated else ""
        return f"{self.written:,} ÷ {self.expected:,} = **{self.ratio:.3f}**{extra}"


def completeness(who: str, got: Fetched, expected: dict[str, int], limit: int | None) -> Completeness:
    """Checks ``got`` against the workspace (every conversation once, or the first ``limit``; every part) and sums
    it up."""
    listed = Counter(got.listed)
    assert len(listed) == min(limit or len(expected), len(expected)), (
        f"{who}: {len(listed)} conversations of {len(expected)} (limit {limit})"
    )
    twice = [cid for cid, k in listed.items() if k > 1]
    assert not twice, f"{who}: conversations listed twice: {twice[:5]}"
    wanted = {cid: n for cid, n in expected.items() if cid in listed}
    assert set(listed) <= set(expected), (
        f"{who}: unknown conversations {sorted(set(listed) - set(expected))[:5]}"
    )
    assert set(got.parts) == set(wanted), f"{who}: fetched {len(got.parts)} of {len(wanted)} conversations"
    truncated = sorted(cid for cid, n in wanted.items() if n > MAX_PARTS)
    short = {
        cid: (got.parts[cid], n)
        for cid, n in wanted.items()
        if got.parts[cid] != (MAX_PARTS if cid in truncated else n)
    }
    assert not short, f"{who}: parts written vs expected: {dict(list(short.items())[:5])}"
    if got.truncated_reported is not None:
        assert got.truncated_reported == truncated, (
            f"{who} named {got.truncated_reported} as cut, not {truncated}"
        )
    whole = [cid for cid in wanted if cid not in truncated]
    return Completeness(sum(got.parts[c] for c in whole), sum(wanted[c] for c in whole), truncated)


# -- rows ---------------------------------------------------------------------------------------------------------


def _imported(who: str) -> None:
    """A contender's imports happen before its clock starts (a long-running job pays them once)."""
    if who == "official SDK":
        import intercom  # noqa: F401
    else:
        import intercomkit.export  # noqa: F401


def _timed(fn: Any, url: str, limit: int | None) -> tuple[float, Fetched]:
    started = time.perf_counter()
    got = anyio.run(lambda: fn(url, limit))
    elapsed = time.perf_counter() - started
    if got.read_back is not None:
        got.read_back()
    return elapsed, got


def _contenders(sdk: bool) -> list[str]:
    return [who for who in CONTENDERS if sdk or who != "official SDK"]


def row_parts_rate(n: int, rate: int, latency_ms: float, sdk: bool, row_cls: Any) -> Any:
    expected = expected_parts(n)
    minimum = (math.ceil(len(expected) / PER_PAGE) + len(expected)) / rate
    row = row_cls(
        f"9. {len(expected):,} conversations with all their parts, {rate} req/s limit, {latency_ms:.0f} ms: "
        f"wall ÷ rate-limit minimum ({minimum:.1f} s: a page per 150 conversations + a GET each)",
        target="intercomkit ≤ 1.05; completeness 1.000",
    )
    ratios, checks = {}, {}
    for who in _contenders(sdk):
        with served(CONTACTS, conversations=n, latency_ms=latency_ms, rate_limit=rate, window=1.0) as url:
            try:
                _imported(who)
                t, got = _timed(CONTENDERS[who], url, None)
            except Exception as exc:  # the SDK gives up on a 429 after its own retries
                row.cells[who] = f"failed: {type(exc).__name__}"
                continue
        checks[who] = completeness(who, got, expected, None)
        ratios[who] = t / minimum
        label = f"{INTERCOMKIT_LABEL}, " if who == "intercomkit" else ""
        row.cells[who] = f"{label}{t:.1f} s = {t / minimum:.2f} ({got.requests:,} req, {got.limited} × 429)"
    row.result = "; ".join(f"{who} {r:.2f}" for who, r in ratios.items())
    if "intercomkit" in checks:
        row.result += f"; completeness {checks['intercomkit'].text()}"
    row.figures = {
        "wall_over_minimum": ratios,
        "completeness": {who: c.ratio for who, c in checks.items()},
        "parts_truncated": next(iter(checks.values())).truncated if checks else [],
    }
    return row


def row_parts_latency(n: int, latency_ms: float, baseline: int, sdk: bool, row_cls: Any) -> Any:
    expected = expected_parts(n)
    total = len(expected)
    row = row_cls(
        f"10. {total:,} conversations with all their parts, {latency_ms:.0f} ms latency, no rate limit",
        target="intercomkit ≥ 10× both; completeness 1.000",
    )
    times, checks = {}, {}
    for who in _contenders(sdk):
        limit = None if who == "intercomkit" or baseline >= total else baseline
        with served(CONTACTS, conversations=n, latency_ms=latency_ms) as url:
            _imported(who)
            t, got = _timed(CONTENDERS[who], url, limit)
        checks[who] = completeness(who, got, expected, limit)
        fetched = len(got.listed)
        times[who] = t * total / fetched  # linear: one round trip after another
        scaled = "" if fetched == total else f", timed on {fetched:,} and scaled"
        label = f"{INTERCOMKIT_LABEL}, " if who == "intercomkit" else ""
        row.cells[who] = f"{label}{times[who]:,.1f} s ({got.requests:,} req{scaled})"
    ours = times["intercomkit"]
    row.result = ", ".join(f"**{times[w] / ours:.1f}×** vs {w}" for w in times if w != "intercomkit")
    row.result += f"; completeness {checks['intercomkit'].text()}"
    row.figures = {
        "seconds": times,
        "speedup": {w: times[w] / ours for w in times if w != "intercomkit"},
        "completeness": {who: c.ratio for who, c in checks.items()},
        "parts_truncated": checks["intercomkit"].truncated,
    }
    return row
