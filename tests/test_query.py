from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intercomkit._protocol import days
from intercomkit._protocol.days import DAY
from intercomkit._protocol.query.builder import Filter, Group, build_query, field, sort_spec
from intercomkit._protocol.query.evaluate import evaluate
from intercomkit._protocol.query.plan import plan_search
from intercomkit._protocol.query.values import to_unix
from intercomkit.errors import InvalidQuery
from intercomkit.sandbox import matches

D = 1709596800  # 2024-03-05 00:00 UTC
T = D + 14 * 3600  # 14:00 that day


def test_single_filter_and_operators():
    assert build_query(field("email") == "a@b.com") == {"field": "email", "operator": "=", "value": "a@b.com"}
    ops = {
        "!=": field("name") != "x",
        "IN": field("role").isin(["user", "lead"]),
        "NIN": field("email").not_in(["a"]),
        "~": field("name").contains("jo"),
        "!~": field("name").not_contains("jo"),
        "^": field("email").startswith("a"),
        "$": field("email").endswith("@acme.com"),
        "<": field("created_at") < D,
        ">": field("created_at") > D,
    }
    for op, f in ops.items():
        assert build_query(f)["operator"] == op


def test_combining_flattens_same_operator():
    a, b, c, d = (field("email") == x for x in "abcd")
    q = (a & b) & (c & d)
    assert [x["value"] for x in build_query(q)["value"]] == list("abcd")
    mixed = build_query(a & (b | c))
    assert mixed["operator"] == "AND" and mixed["value"][1]["operator"] == "OR"


def test_datetimes_become_unix_seconds_naive_is_utc():
    assert build_query(field("created_at") > datetime(2024, 3, 5, 14))["value"] == T
    assert (
        build_query(field("created_at") > datetime(2024, 3, 5, 15, tzinfo=timezone(timedelta(hours=1))))[
            "value"
        ]
        == T
    )
    assert build_query(field("created_at") < date(2024, 3, 5))["value"] == D
    assert to_unix(D) == D


def test_nesting_two_levels_ok_three_refused():
    a, b, c = (field("email") == x for x in "abc")
    two = {"operator": "AND", "value": [{"operator": "OR", "value": [a._json(), b._json()]}, c._json()]}
    assert build_query(two) == two
    three = {"operator": "AND", "value": [{"operator": "OR", "value": [two, c._json()]}]}
    with pytest.raises(InvalidQuery, match="nest"):
        build_query(three)
    with pytest.raises(InvalidQuery, match="nest"):
        build_query(a & (b | (c & (field("name") == "x"))))


def test_group_limits_and_empty_groups():
    ok = Group("AND", [field("email") == str(i) for i in range(15)])
    build_query(ok)
    with pytest.raises(InvalidQuery, match="at most 15"):
        build_query(Group("AND", [field("email") == str(i) for i in range(16)]))
    with pytest.raises(InvalidQuery, match="empty"):
        build_query({"operator": "OR", "value": []})


@pytest.mark.parametrize(
    ("query", "match"),
    [
        (field("emial") == "x", "did you mean 'email'"),
        (field("created_at") != D, "not valid on date"),
        (field("created_at") >= D, "plan_search"),
        (field("created_at").isin([D]), "not valid on date"),
        (field("email") > "a", "not valid on string"),
        (field("tag_id").isin(["1"]), "not valid on tag_id"),
        (field("has_hard_bounced") == "yes", "boolean field"),
        (field("email") == 3, "string field"),
        (field("created_at") == "yesterday", "date field"),
        (field("role") == "admin", "user' or 'lead"),
        (Filter("email", "IN", "a"), "needs a list"),
        (Filter("email", "LIKE", "a"), "unknown operator"),
        (field("email").isin([]), "at least one"),
    ],
)
def test_invalid_queries_name_the_problem(query, match):
    with pytest.raises(InvalidQuery, match=match):
        build_query(query)


def test_isin_needs_a_list_at_build_time():
    with pytest.raises(InvalidQuery, match="list"):
        field("email").isin("abc")


def test_custom_attributes_take_any_operator_and_companies_have_integers():
    build_query(field("custom_attributes.seats") >= 3)
    build_query(field("custom_attributes.plan").contains("pro"))
    build_query(field("size") >= 10, resource="companies")
    with pytest.raises(InvalidQuery):
        build_query(field("size") >= 10)  # not a contact field


def test_and_or_not_misuse_is_refused():
    with pytest.raises(TypeError, match="&"):
        (field("email") == "a") and (field("name") == "b")  # noqa: B015
    with pytest.raises(InvalidQuery, match="is a field"):
        build_query(field("email"))


def test_sort_spec():
    assert sort_spec("created_at", "ascending") == {"field": "created_at", "order": "ascending"}
    assert sort_spec(field("email"))["order"] == "descending"
    with pytest.raises(InvalidQuery, match="'descending'"):
        sort_spec("created_at", "desc")
    with pytest.raises(InvalidQuery, match="did you mean"):
        sort_spec("created", "ascending")


def test_plan_widens_sub_day_bounds_and_keeps_day_bounds():
    plan = plan_search(field("created_at") > datetime(2024, 3, 5, 14))
    assert plan.server_query == {"field": "created_at", "operator": ">", "value": D - DAY}
    assert plan.post_filter({"created_at": T + 1}) and not plan.post_filter({"created_at": T})
    assert plan.post_filter({"created_at": D + 2 * DAY})
    assert plan_search(field("created_at") < T).server_query["value"] == D + DAY
    assert plan_search(field("created_at") == T).server_query["value"] == T
    exact = plan_search(field("created_at") > date(2024, 3, 5))
    assert exact.server_query["value"] == D and exact.post_filter is None
    # >= and <= on dates are rewritten for the server
    assert plan_search(field("created_at") >= date(2024, 3, 5)).server_query == {
        "field": "created_at",
        "operator": ">",
        "value": D - DAY,
    }
    le = plan_search(field("created_at") <= datetime(2024, 3, 5, 14))
    assert le.server_query["operator"] == "<" and le.server_query["value"] == D + DAY
    assert le.post_filter({"created_at": T}) and not le.post_filter({"created_at": T + 1})


def test_midnight_datetimes_and_ints_are_exact_instants():
    # > midnight must keep the contacts created later that same day (the server alone would drop them).
    plan = plan_search(field("created_at") > datetime(2024, 3, 5))
    assert plan.server_query == {"field": "created_at", "operator": ">", "value": D - DAY}
    assert plan.post_filter({"created_at": D + 60}) and not plan.post_filter({"created_at": D})
    raw = plan_search({"field": "created_at", "operator": ">", "value": D})
    assert raw.server_query["value"] == D - DAY and raw.post_filter({"created_at": D + 1})
    # < midnight is already exact under day semantics; > 23:59:59 too (it means from the next midnight).
    lt = plan_search(field("created_at") < D)
    assert lt.server_query == {"field": "created_at", "operator": "<", "value": D} and lt.post_filter is None
    gt = plan_search(field("created_at") > D + DAY - 1)
    assert gt.server_query == {"field": "created_at", "operator": ">", "value": D} and gt.post_filter is None
    # = an instant: the server returns the day, the post filter keeps that second.
    eq = plan_search(field("created_at") == datetime(2024, 3, 5))
    assert eq.server_query["value"] == D and eq.post_filter is not None
    assert eq.post_filter({"created_at": D}) and not eq.post_filter({"created_at": D + 1})
    # >= midnight is exact; <= an instant is < the next second.
    ge = plan_search(field("created_at") >= D)
    assert ge.server_query == {"field": "created_at", "operator": ">", "value": D - DAY} and not ge.widened
    le = plan_search(field("created_at") <= D + DAY - 1)
    assert le.server_query == {"field": "created_at", "operator": "<", "value": D + DAY} and not le.widened


@pytest.mark.parametrize(
    ("query", "server", "inside", "outside"),
    [
        (field("created_at") > date(2024, 3, 5), (">", D), [D + DAY], [D + DAY - 1, D]),
        (field("created_at") < date(2024, 3, 5), ("<", D), [D - 1], [D, D + 3600]),
        (field("created_at") == date(2024, 3, 5), ("=", D), [D, D + DAY - 1], [D - 1, D + DAY]),
        (field("created_at") >= date(2024, 3, 5), (">", D - DAY), [D, D + DAY], [D - 1]),
        (field("created_at") <= date(2024, 3, 5), ("<", D + DAY), [D + DAY - 1], [D + DAY]),
    ],
)
def test_dates_mean_whole_days_exactly(query, server, inside, outside):
    plan = plan_search(query)
    assert (plan.server_query["operator"], plan.server_query["value"]) == server
    assert plan.post_filter is None
    assert "whole_day" not in plan.server_query
    if query.operator in ("=", "<", ">"):
        assert build_query(query) == {"field": "created_at", "operator": query.operator, "value": D}
    for x in inside:
        assert evaluate(query, {"created_at": x}) and evaluate(plan.query, {"created_at": x})
    for x in outside:
        assert not evaluate(query, {"created_at": x}) and not evaluate(plan.query, {"created_at": x})


def test_whole_day_filters_in_a_widened_query_keep_their_meaning():
    q = (field("created_at") == date(2024, 3, 5)) & (field("updated_at") > T)
    plan = plan_search(q)
    assert plan.post_filter({"created_at": D + DAY - 1, "updated_at": T + 1})
    assert not plan.post_filter({"created_at": D + DAY, "updated_at": T + 1})


def test_a_date_is_a_utc_day_on_a_workspace_in_another_timezone():
    # The README: "a datetime.date means the whole calendar day (UTC)", whatever the workspace's timezone. Intercom's
    # days are the workspace's, so the UTC day becomes two exact instants, widened to local days and post-filtered.
    tz = timezone(timedelta(hours=-5))
    local_midnight = int(datetime(2024, 3, 5, tzinfo=tz).timestamp())  # 05:00 UTC on 5 March
    after = plan_search(field("created_at") > date(2024, 3, 5), tz=tz)
    # "> D" is "from 00:00 UTC on 6 March", 19:00 on 5 March locally: the server starts at the local 5 March.
    assert after.server_query == {"field": "created_at", "operator": ">", "value": local_midnight - DAY}
    assert after.post_filter({"created_at": D + DAY}) and not after.post_filter({"created_at": D + DAY - 1})
    on = plan_search(field("created_at") == date(2024, 3, 5), tz=tz)
    assert on.server_query == {
        "operator": "AND",
        "value": [
            {"field": "created_at", "operator": ">", "value": local_midnight - 2 * DAY},
            {"field": "created_at", "operator": "<", "value": local_midnight + DAY},
        ],
    }
    assert on.post_filter({"created_at": D}) and on.post_filter({"created_at": D + DAY - 1})
    assert not on.post_filter({"created_at": D - 1}) and not on.post_filter({"created_at": D + DAY})


def test_a_utc_day_joins_its_and_group_or_nests_under_an_or():
    tz = timezone(timedelta(hours=9))
    joined = plan_search((field("created_at") == date(2024, 3, 5)) & (field("role") == "user"), tz=tz)
    assert [leaf.get("field") for leaf in joined.server_query["value"]] == [
        "created_at",
        "created_at",
        "role",
    ]
    nested = plan_search((field("created_at") == date(2024, 3, 5)) | (field("role") == "user"), tz=tz)
    assert nested.server_query["value"][0]["operator"] == "AND"
    # Already two levels deep: no room for a third, so one bound (still a superset) and the post filter.
    deep = plan_search(
        (field("email") == "a") & ((field("created_at") == date(2024, 3, 5)) | (field("role") == "user")),
        tz=tz,
    )
    inner = deep.server_query["value"][1]["value"][0]
    assert inner["field"] == "created_at" and inner["operator"] == ">" and deep.widened
    build_query(deep.server_query)  # Intercom would accept it


def test_unknown_workspace_timezone_plans_with_a_margin():
    tz = days.zone_from_name("Mars/Olympus_Mons")
    assert isinstance(tz, days.UnknownZone)
    plan = plan_search(field("created_at") > datetime(2024, 3, 5), tz=tz)
    assert plan.server_query == {"field": "created_at", "operator": ">", "value": D + 1 - 2 * DAY}
    assert plan.post_filter({"created_at": D + 1}) and not plan.post_filter({"created_at": D})
    day = plan_search(field("created_at") < date(2024, 3, 5), tz=tz)
    assert day.server_query["value"] == D + 2 * DAY and day.widened


def test_date_custom_attributes_take_date_rules():
    trial = field("custom_attributes.trial_ends_at")
    assert build_query(trial > date(2024, 3, 5)) == {
        "field": "custom_attributes.trial_ends_at",
        "operator": ">",
        "value": D,
    }
    for bad in (trial != date(2024, 3, 5), trial.isin([date(2024, 3, 5)]), trial >= datetime(2024, 3, 5)):
        with pytest.raises(InvalidQuery, match="not valid on date field"):
            build_query(bad)
    plan = plan_search(trial > datetime(2024, 3, 5, 14), tz=timezone(timedelta(hours=-8)))
    assert plan.widened and plan.dated
    assert plan.post_filter({"custom_attributes": {"trial_ends_at": T + 1}})
    assert not plan.post_filter({"custom_attributes": {"trial_ends_at": T}})
    assert not plan.post_filter({"custom_attributes": {}})
    # Compared with a number, a custom attribute is sent as written: its type is not known.
    assert not plan_search(field("custom_attributes.seats") > 5).dated


def test_plan_inside_or_groups_evaluates_whole_query():
    q = (field("created_at") > T) | (field("email") == "vip@acme.com")
    plan = plan_search(q)
    assert plan.server_query["value"][0]["value"] == D - DAY
    assert plan.post_filter({"created_at": D + 60, "email": "VIP@acme.com"})
    assert not plan.post_filter({"created_at": D + 60, "email": "other@acme.com"})


def test_evaluate_tags_and_unknowns():
    item = {"tags": {"data": [{"id": "7"}], "has_more": False}}
    assert evaluate(field("tag_id") == "7", item)
    assert not evaluate({"field": "tag_id", "operator": "=", "value": "8"}, item)
    truncated = {"tags": {"data": [{"id": "7"}], "has_more": True}}
    assert evaluate({"field": "tag_id", "operator": "=", "value": "8"}, truncated)  # cannot tell: keep
    assert evaluate({"field": "segment_id", "operator": "=", "value": "s"}, {})


@pytest.mark.parametrize("op", ["=", "!=", "IN", "NIN", "~", "!~", "^", "$"])
@pytest.mark.parametrize(
    "written", ["Ada@Example.com", "ADA@EXAMPLE.COM", "ada@example.org", "bob@example.com"]
)
def test_client_evaluator_and_sandbox_matcher_share_one_rule_on_case(op, written):
    # One documented rule (package docstring of intercomkit._protocol.query): strings compare ignoring case.
    value = [written] if op in ("IN", "NIN") else written
    query = {"field": "email", "operator": op, "value": value}
    for stored in ("ada@example.com", "Ada@Example.COM", "bob@example.com"):
        item = {"email": stored, "custom_attributes": {"plan": stored}}
        assert evaluate(query, item) == matches(query, item), (query, stored)
        attr = {**query, "field": "custom_attributes.plan"}
        assert evaluate(attr, item) == matches(attr, item), (attr, stored)
    assert evaluate(
        {"field": "email", "operator": "=", "value": "ADA@example.com"}, {"email": "ada@EXAMPLE.com"}
    )


def test_workspace_timezone():
    tz = timezone(timedelta(hours=-5))
    local_midnight = int(datetime(2024, 3, 5, tzinfo=tz).timestamp())
    plan = plan_search(field("created_at") > local_midnight + 3600, tz=tz)
    assert plan.server_query["value"] == local_midnight - DAY
    exact = plan_search(field("created_at") >= local_midnight, tz=tz)
    assert exact.server_query["value"] == local_midnight - DAY and not exact.widened


# ------------------------------------------------------------------------------------------- properties

_STR_FIELDS = ["email", "name", "role", "location.country", "custom_attributes.plan"]
_DATE_FIELDS = ["created_at", "updated_at", "last_seen_at"]
_BASE = D - 5 * DAY

times = st.integers(min_value=_BASE, max_value=_BASE + 10 * DAY)
day_aligned = st.integers(min_value=0, max_value=10).map(lambda k: _BASE + k * DAY)


def _leaf():
    strings = st.sampled_from(["a", "b", "user", "lead"])
    return st.one_of(
        st.builds(lambda f, v: field(f) == v, st.sampled_from(["email", "name"]), strings),
        st.builds(lambda f, v: field(f).contains(v), st.sampled_from(_STR_FIELDS[:2]), strings),
        st.builds(lambda v: field("role").isin(v), st.lists(st.sampled_from(["user", "lead"]), min_size=1)),
        st.builds(
            lambda f, op, v: Filter(f, op, v),
            st.sampled_from(_DATE_FIELDS),
            st.sampled_from(["=", "<", ">"]),
            st.one_of(times, day_aligned),
        ),
        st.builds(
            lambda f, op, v: Filter(f, op, v),
            st.sampled_from(_DATE_FIELDS),
            st.sampled_from(["=", "<", ">", "<=", ">="]),
            st.one_of(times, day_aligned, day_aligned.map(lambda t: datetime.fromtimestamp(t, UTC).date())),
        ),
    )


def _tree(depth: int):
    if depth == 0:
        return _leaf()
    return st.one_of(
        _leaf(),
        st.builds(Group, st.sampled_from(["AND", "OR"]), st.lists(_tree(depth - 1), min_size=1, max_size=4)),
    )


def _item():
    return st.fixed_dictionaries(
        {
            "email": st.sampled_from(["a", "b", "ab", "A", "aB"]),
            "name": st.sampled_from(["a", "b", "B", None]),
            "role": st.sampled_from(["user", "lead"]),
            "created_at": times,
            "updated_at": times,
            "last_seen_at": st.one_of(st.none(), times),
            "custom_attributes": st.fixed_dictionaries({}, optional={"plan": st.sampled_from(["a", "Ab"])}),
        }
    )


@given(_tree(2).filter(lambda q: not _has_inclusive_date(q)))
@settings(suppress_health_check=[HealthCheck.filter_too_much])
def test_valid_trees_roundtrip(q):
    out = build_query(q)
    assert build_query(out) == out


@given(_tree(3).filter(lambda q: _depth(q) > 2))
@settings(suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
def test_too_deep_trees_always_rejected(q):
    with pytest.raises(InvalidQuery):
        build_query(q)


def _has_inclusive_date(q) -> bool:
    if isinstance(q, Filter):
        return q.operator in ("<=", ">=")
    return any(_has_inclusive_date(x) for x in q.items)


def _depth(q) -> int:
    return 0 if isinstance(q, Filter) else 1 + max(_depth(x) for x in q.items)


ZONES = ["UTC", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Auckland", "Asia/Kolkata", "America/St_Johns"]


@given(_tree(2), st.lists(_item(), min_size=1, max_size=20), st.sampled_from(ZONES))
@settings(max_examples=300)
def test_widened_server_query_is_a_superset(q, items, zone):
    # The server is the sandbox's matcher (its model of Intercom's whole-day matching in the workspace's zone), not
    # the client's own idea of the server.
    tz = days.zone_from_name(zone)
    plan = plan_search(q, tz=tz)
    build_query(plan.server_query)  # only what Intercom accepts
    for item in items:
        meant = evaluate(plan.query, item)
        served = matches(plan.server_query, item, tz)
        assert served or not meant
        kept = served and (plan.post_filter is None or plan.post_filter(item))
        assert kept == meant


def test_naive_datetime_docstring_claim():
    assert to_unix(datetime(2024, 3, 5, 14)) == to_unix(datetime(2024, 3, 5, 14, tzinfo=UTC))


def test_a_custom_attribute_missing_from_a_record_is_unset_not_unknown():
    plan = plan_search((field("created_at") > T) | (field("custom_attributes.seats") > 5))
    assert not plan.post_filter({"created_at": T - 10, "custom_attributes": {}})
    assert plan.post_filter({"created_at": T - 10, "custom_attributes": {"seats": 6}})
    assert evaluate(field("custom_attributes.seats") == None, {"custom_attributes": {}})  # noqa: E711
