"""Search validation, whole-day date matching, and the sandbox agreeing with the pure ``matches``."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intercomkit.sandbox import Sandbox, matches

pytestmark = pytest.mark.anyio

DAY = 86_400
F = lambda field, op, value: {"field": field, "operator": op, "value": value}  # noqa: E731


@pytest.mark.parametrize(
    "query",
    [
        F("created_at", ">=", 1),
        F("created_at", "!=", 1),
        F("created_at", "IN", [1]),
        F("created_at", ">", "yesterday"),
        F("email", ">", 3),
        F("email", "~", 3),
        F("email", "IN", "a"),
        F("unsubscribed_from_emails", "~", "t"),
        F("tag_id", "IN", ["1"]),
        F("no_such_field", "=", "x"),
        F("email", "LIKE", "x"),
        {"operator": "AND", "value": [F("email", "=", "a")] * 16},
        {
            "operator": "AND",
            "value": [{"operator": "OR", "value": [{"operator": "AND", "value": [F("email", "=", "a")]}]}],
        },
        {"operator": "AND", "value": []},
        {"field": "email", "operator": "="},
    ],
)
async def test_invalid_queries_are_400(http, check, query):
    r = await http.post("/contacts/search", json={"query": query})
    assert r.status_code == 400, query
    assert check("post", "/contacts/search", r)["errors"][0]["code"] == "query_invalid"


async def test_valid_edge_queries(http, check):
    two_levels = {"operator": "AND", "value": [{"operator": "OR", "value": [F("email", "=", "a")] * 15}]}
    for q in (
        two_levels,
        F("custom_attributes.seats", ">=", 3),
        F("custom_attributes.plan_tier", "^", "ent"),
    ):
        assert (await http.post("/contacts/search", json={"query": q})).status_code == 200
    r = await http.post(
        "/contacts/search", json={"query": F("email", "~", "a"), "sort": {"field": "email", "order": "desc"}}
    )
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "invalid_sort_order"
    assert (await http.post("/contacts/search", json={})).status_code == 400


async def test_dates_match_by_whole_day(sb, http, check):
    contact = sb.get_contact(sb.contact_ids()[100])
    created = contact["created_at"]
    day_start = created - created % DAY
    same_day = [c for c in sb.contact_ids() if sb.get_contact(c)["created_at"] // DAY == created // DAY]

    async def ids(query):
        body = check(
            "post",
            "/contacts/search",
            await http.post("/contacts/search", json={"query": query, "pagination": {"per_page": 150}}),
        )
        return [c["id"] for c in body["data"]]

    # "=" any second of the day matches the whole day; ">" starts the next day; "<" ends before the day
    assert await ids(F("created_at", "=", day_start + DAY - 1)) == same_day
    assert contact["id"] not in await ids(F("created_at", ">", day_start))
    assert contact["id"] not in await ids(F("created_at", "<", created + 1))
    assert contact["id"] in await ids(F("created_at", ">", day_start - 1))
    assert contact["id"] in await ids(F("created_at", "<", day_start + DAY))


async def test_strings_ignore_case_for_every_operator(sb, http, check):
    # The description says nothing on case; the sandbox and the client's post filter share one rule: ignore it.
    contact = sb.get_contact(sb.contact_ids()[7])
    email, role = contact["email"], contact["role"]

    async def ids(query):
        r = await http.post("/contacts/search", json={"query": query, "pagination": {"per_page": 150}})
        return {c["id"] for c in check("post", "/contacts/search", r)["data"]}

    assert contact["id"] in await ids(F("email", "=", email.upper()))
    assert contact["id"] in await ids(F("email", "IN", [email.swapcase()]))
    assert contact["id"] not in await ids(F("email", "!=", email.upper()))
    assert contact["id"] not in await ids(F("email", "NIN", [email.upper()]))
    assert contact["id"] in await ids(F("email", "^", email[:3].upper()))
    assert contact["id"] in await ids(F("role", "=", role.upper()))  # the sandbox's fast path for role


def test_matches_is_pure_and_handles_types():
    c = {
        "email": "Ada@Example.com",
        "created_at": 10 * DAY + 5,
        "custom_attributes": {"seats": 3, "vip": True},
        "location": {"country": "Ireland"},
        "unsubscribed_from_emails": False,
        "tags": {"data": [{"id": "7"}]},
    }
    assert matches(F("email", "~", "example"), c)
    assert matches(F("email", "$", ".COM"), c)
    assert matches(F("email", "=", "ada@example.com"), c)  # strings ignore case, "=" too
    assert not matches(F("email", "!=", "ADA@example.COM"), c)
    assert matches(F("created_at", "=", 10 * DAY), c) and not matches(F("created_at", ">", 10 * DAY + 9), c)
    assert matches(F("custom_attributes.seats", ">=", 3), c)
    assert not matches(F("custom_attributes.vip", "=", 1), c)
    assert matches(F("custom_attributes.missing", "=", None), c)
    assert matches(F("location.country", "IN", ["Ireland", "France"]), c)
    assert matches(F("unsubscribed_from_emails", "=", False), c)
    assert matches(F("tag_id", "=", "7"), c) and matches(F("tag_id", "!=", "8"), c)
    assert matches({"operator": "OR", "value": [F("email", "=", "x"), F("email", "^", "ada")]}, c)


SEARCH_SB = Sandbox(contacts=250, companies=10, seed=11)
_CREATED = [SEARCH_SB.get_contact(i)["created_at"] for i in SEARCH_SB.contact_ids()]

leaf = st.one_of(
    st.builds(F, st.just("created_at"), st.sampled_from(["<", ">", "="]), st.sampled_from(_CREATED)),
    st.builds(F, st.just("updated_at"), st.sampled_from(["<", ">"]), st.sampled_from(_CREATED)),
    st.builds(F, st.just("role"), st.sampled_from(["=", "!="]), st.sampled_from(["user", "lead"])),
    st.builds(
        F,
        st.just("email"),
        st.sampled_from(["~", "!~", "^", "$"]),
        st.sampled_from(["a", "e.", ".test", "ada"]),
    ),
    st.builds(
        F, st.just("custom_attributes.seats"), st.sampled_from(["<", ">", ">=", "<="]), st.integers(0, 500)
    ),
    st.builds(F, st.just("location.country"), st.sampled_from(["IN", "NIN"]), st.just(["Ireland", "Japan"])),
    st.builds(F, st.just("has_hard_bounced"), st.just("="), st.booleans()),
)
queries = st.one_of(
    leaf,
    st.builds(
        lambda op, v: {"operator": op, "value": v},
        st.sampled_from(["AND", "OR"]),
        st.lists(leaf, min_size=1, max_size=4),
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries)
def test_sandbox_search_agrees_with_matches(query):
    import anyio
    import httpx

    sb = SEARCH_SB

    async def run():
        async with httpx.AsyncClient(
            transport=sb.transport(), base_url=sb.base_url, headers={"Authorization": "Bearer sandbox"}
        ) as http:
            ids, cursor = [], None
            while True:
                pag = {"per_page": 150, **({"starting_after": cursor} if cursor else {})}
                body = (await http.post("/contacts/search", json={"query": query, "pagination": pag})).json()
                ids += [c["id"] for c in body["data"]]
                cursor = (body["pages"].get("next") or {}).get("starting_after")
                if not cursor:
                    return ids, body["total_count"]

    ids, total = anyio.run(run)
    expected = [c for c in sb.contact_ids() if matches(query, sb.get_contact(c))]
    assert ids == expected and total == len(expected)
