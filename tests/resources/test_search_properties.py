"""Property tests: builder queries through ``client.contacts.search`` return exactly what a plain Python filter over
the sandbox's contacts returns; invalid queries are refused by the client and by the sandbox alike.

The oracle below is deliberately naive and independent of ``intercomkit._protocol.query``: a ``date`` compares
calendar days (UTC), a ``datetime``/int compares instants to the second -- whatever the workspace's timezone, so the
search runs on a workspace west of UTC, one east of it, and UTC (Intercom's days are the workspace's).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import intercomkit as ik
from intercomkit._protocol.query.builder import Filter, Group
from intercomkit._protocol.query.values import to_unix
from intercomkit.errors import BadRequest, InvalidQuery
from intercomkit.sandbox import Sandbox

ZONES = ["Etc/UTC", "America/Los_Angeles", "Pacific/Auckland"]
SANDBOXES = {zone: Sandbox(contacts=400, companies=5, seed=5, timezone=zone) for zone in ZONES}
SB = SANDBOXES["Etc/UTC"]
CONTACTS = [SB.get_contact(i) for i in SB.contact_ids()]  # the same seed: the same contacts in every zone

STRING_FIELDS = ["email", "name", "location.country", "custom_attributes.plan_tier"]
DATE_FIELDS = ["created_at", "updated_at", "signed_up_at", "last_seen_at"]
BOOL_FIELDS = ["unsubscribed_from_emails", "has_hard_bounced"]


def value_of(contact: dict[str, Any], name: str) -> Any:
    if name.startswith("custom_attributes."):
        return (contact.get("custom_attributes") or {}).get(name.split(".", 1)[1])
    value: Any = contact
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _pool(name: str) -> list[Any]:
    return sorted({v for c in CONTACTS if isinstance(v := value_of(c, name), str)})


POOLS = {name: _pool(name) for name in STRING_FIELDS}
TIMES = {name: sorted({c[name] for c in CONTACTS if isinstance(c.get(name), int)}) for name in DATE_FIELDS}

# ------------------------------------------------------------------------------------------------ the oracle


def _cmp(x: Any, op: str, v: Any) -> bool:
    return {"=": x == v, "<": x < v, ">": x > v, "<=": x <= v, ">=": x >= v}[op]


def _same(x: Any, v: Any) -> bool:
    # Strings ignore case (the one rule of intercomkit._protocol.query and the sandbox); True is not 1.
    if isinstance(v, bool) or isinstance(x, bool):
        return x is v
    if isinstance(x, str) and isinstance(v, str):
        return x.lower() == v.lower()
    return x == v


def meant(node: tuple, contact: dict[str, Any]) -> bool:
    if node[0] in ("AND", "OR"):
        results = [meant(child, contact) for child in node[1]]
        return all(results) if node[0] == "AND" else any(results)
    _, name, op, v = node
    x = value_of(contact, name)
    if name in DATE_FIELDS:
        if not isinstance(x, int):
            return False
        if isinstance(v, date) and not isinstance(v, datetime):
            return _cmp(datetime.fromtimestamp(x, UTC).date(), op, v)
        return _cmp(x, op, to_unix(v))
    if op in ("<", ">", "<=", ">="):
        return isinstance(x, int) and not isinstance(x, bool) and _cmp(x, op, v)
    if op == "=":
        return _same(x, v)
    if op == "!=":
        return not _same(x, v)
    if op in ("IN", "NIN"):
        return any(_same(x, each) for each in v) == (op == "IN")
    text = x.lower() if isinstance(x, str) else None
    if op == "!~":
        return text is None or v.lower() not in text
    if text is None:
        return False
    return {"~": v.lower() in text, "^": text.startswith(v.lower()), "$": text.endswith(v.lower())}[op]


def to_builder(node: tuple) -> ik.Query:
    if node[0] in ("AND", "OR"):
        return Group(node[0], [to_builder(child) for child in node[1]])
    return Filter(node[1], node[2], node[3])


def to_raw(node: tuple) -> dict[str, Any]:
    if node[0] in ("AND", "OR"):
        return {"operator": node[0], "value": [to_raw(child) for child in node[1]]}
    v = node[3]
    if isinstance(v, (date, datetime)):
        v = to_unix(v)
    return {"field": node[1], "operator": node[2], "value": v}


# ------------------------------------------------------------------------------------------------ strategies


@st.composite
def string_leaf(draw) -> tuple:
    name = draw(st.sampled_from(STRING_FIELDS))
    # Sometimes with its capitals swapped: strings match ignoring case, "=" included.
    whole = st.sampled_from(POOLS[name]).flatmap(lambda t: st.sampled_from([t, t, t.swapcase()]))
    op = draw(st.sampled_from(["=", "!=", "IN", "NIN", "~", "!~", "^", "$"]))
    if op in ("IN", "NIN"):
        return ("leaf", name, op, draw(st.lists(whole, min_size=1, max_size=4)))
    if op in ("=", "!="):
        return ("leaf", name, op, draw(whole if name != "name" else st.one_of(whole, st.none())))
    text = draw(whole)
    start = draw(st.integers(0, max(0, len(text) - 1)))
    piece = text[start : start + draw(st.integers(1, 4))]
    if op == "^":
        piece = text[: len(piece)]
    elif op == "$":
        piece = text[-len(piece) :]
    return ("leaf", name, op, piece)


@st.composite
def date_leaf(draw) -> tuple:
    name = draw(st.sampled_from(DATE_FIELDS))
    op = draw(st.sampled_from(["=", "<", ">", "<=", ">="]))
    t = draw(st.sampled_from(TIMES[name])) + draw(st.sampled_from([-1, 0, 0, 1, -3600, 7200]))
    midnight = t - t % 86_400
    kind = draw(st.sampled_from(["int", "datetime", "midnight", "date", "day-end"]))
    value: Any = {
        "int": t,
        "datetime": datetime.fromtimestamp(t, UTC),
        "midnight": datetime.fromtimestamp(midnight, UTC),
        "date": datetime.fromtimestamp(t, UTC).date(),
        "day-end": midnight + 86_399,
    }[kind]
    return ("leaf", name, op, value)


@st.composite
def other_leaf(draw) -> tuple:
    kind = draw(st.sampled_from(["bool", "role", "seats"]))
    if kind == "bool":
        return (
            "leaf",
            draw(st.sampled_from(BOOL_FIELDS)),
            draw(st.sampled_from(["=", "!="])),
            draw(st.booleans()),
        )
    if kind == "role":
        return (
            "leaf",
            "role",
            "IN",
            draw(st.lists(st.sampled_from(["user", "lead"]), min_size=1, max_size=2)),
        )
    op = draw(st.sampled_from(["=", "!=", "<", ">", "<=", ">="]))
    return ("leaf", "custom_attributes.seats", op, draw(st.integers(0, 60)))


leaves = st.one_of(string_leaf(), date_leaf(), date_leaf(), other_leaf())


def trees(depth: int = 2):
    if depth == 0:
        return leaves
    return st.one_of(
        leaves,
        st.tuples(st.sampled_from(["AND", "OR"]), st.lists(trees(depth - 1), min_size=1, max_size=4)),
    )


async def _search_ids(query: Any, zone: str = "Etc/UTC") -> list[str]:
    async with SANDBOXES[zone].client() as client:
        return [c.id async for c in client.contacts.search(query, per_page=150)]


@pytest.mark.parametrize("zone", ZONES)
@given(tree=trees())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_search_returns_exactly_what_a_python_filter_returns(zone, tree):
    got = anyio.run(_search_ids, to_builder(tree), zone)
    expected = [c["id"] for c in CONTACTS if meant(tree, c)]
    assert len(got) == len(set(got))
    assert set(got) == set(expected)


def test_day_bounds_and_midnight_instants_on_real_data():
    # A contact created during a day, after midnight: "> midnight" keeps it, "> date" (after that day) does not.
    contact = next(c for c in CONTACTS if c["created_at"] % 86_400 > 3600)
    t = contact["created_at"]
    midnight = datetime.fromtimestamp(t - t % 86_400, UTC)
    day = midnight.date()
    after_midnight = anyio.run(_search_ids, ik.field("created_at") > midnight)
    after_day = anyio.run(_search_ids, ik.field("created_at") > day)
    assert contact["id"] in after_midnight and contact["id"] not in after_day
    on_day = anyio.run(_search_ids, ik.field("created_at") == day)
    at_second = anyio.run(_search_ids, ik.field("created_at") == datetime.fromtimestamp(t, UTC))
    assert contact["id"] in on_day and contact["id"] in at_second
    assert set(at_second) <= set(on_day) and set(at_second) == {
        c["id"] for c in CONTACTS if c["created_at"] == t
    }
    before = anyio.run(
        _search_ids, ik.field("created_at") < datetime.fromtimestamp(t, UTC) + timedelta(seconds=1)
    )
    assert contact["id"] in before and all(SB.get_contact(i)["created_at"] <= t for i in before)


# ------------------------------------------------------------------------------------------------ invalid queries

valid_leaf = st.one_of(string_leaf(), other_leaf())


@st.composite
def invalid_trees(draw) -> tuple:
    kind = draw(st.sampled_from(["deep", "wide", "operator", "value", "field"]))
    if kind == "deep":
        inner = ("OR", [("AND", [draw(valid_leaf), draw(valid_leaf)]), draw(valid_leaf)])
        return ("AND", [inner, draw(valid_leaf)])
    if kind == "wide":
        return (draw(st.sampled_from(["AND", "OR"])), draw(st.lists(valid_leaf, min_size=16, max_size=20)))
    if kind == "operator":
        leaf = draw(
            st.sampled_from(
                [
                    ("leaf", "email", ">", "a"),
                    ("leaf", "name", "<=", "a"),
                    ("leaf", "created_at", "!=", 1_700_000_000),
                    ("leaf", "created_at", "~", "2024"),
                    ("leaf", "updated_at", "IN", [1_700_000_000]),
                    ("leaf", "has_hard_bounced", "~", "t"),
                    ("leaf", "has_hard_bounced", ">", 0),
                    ("leaf", "tag_id", "IN", ["1"]),
                ]
            )
        )
    elif kind == "value":
        leaf = draw(
            st.sampled_from(
                [
                    ("leaf", "email", "=", 3),
                    ("leaf", "email", "IN", "a@b.c"),
                    ("leaf", "email", "=", ["a@b.c"]),
                    ("leaf", "created_at", "=", "yesterday"),
                    ("leaf", "created_at", ">", 1.5),
                    ("leaf", "unsubscribed_from_emails", "=", "yes"),
                    ("leaf", "custom_attributes.seats", "~", 3),
                ]
            )
        )
    else:
        leaf = ("leaf", draw(st.sampled_from(["emial", "created", "plan", "location.planet"])), "=", "x")
    if draw(st.booleans()):
        return leaf
    return (draw(st.sampled_from(["AND", "OR"])), [draw(valid_leaf), leaf])


async def _server_refuses(raw: dict[str, Any]) -> BadRequest:
    async with SB.client() as client:
        with pytest.raises(BadRequest) as info:
            await client.request(
                "POST", "/contacts/search", json={"query": raw, "pagination": {"per_page": 5}}
            )
        return info.value


@given(invalid_trees())
@settings(max_examples=40, deadline=None)
def test_invalid_queries_are_refused_by_client_and_sandbox(tree):
    raw = to_raw(tree)
    with pytest.raises(InvalidQuery):
        ik.AsyncClient(token="t", base_url="https://x.test").contacts.search(raw)
    error = anyio.run(_server_refuses, raw)
    assert error.status == 400


def test_boolean_in_is_accepted_like_the_spec_says():
    query = ik.field("has_hard_bounced").isin([True])
    ik.build_query(query)  # the client follows the spec
    got = anyio.run(_search_ids, query)
    assert set(got) == {c["id"] for c in CONTACTS if c["has_hard_bounced"] is True}
