"""Conversation and ticket search queries, without a server: the field tables and operator rules (hypothesis over
every field, operator and kind of value), and the planner's rewrite of bounds for Intercom's inclusive ``>``/``<``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fake_support import matches
from hypothesis import given
from hypothesis import strategies as st

import intercomkit as ik
from intercomkit._protocol.query.fields import (
    BOOLEAN,
    CONVERSATION_FIELDS,
    DATE,
    INTEGER,
    STRING,
    TICKET_FIELDS,
)
from intercomkit._protocol.query.plan import plan_search
from intercomkit._protocol.query.validate import INCLUSIVE_OPERATORS_BY_TYPE
from intercomkit.errors import InvalidQuery

OPERATORS = ["=", "!=", "IN", "NIN", "<", ">", "<=", ">=", "~", "!~", "^", "$"]
TABLES = {"conversations": CONVERSATION_FIELDS, "tickets": TICKET_FIELDS}

scalars = st.one_of(
    st.text(max_size=5),
    st.integers(-(10**6), 2 * 10**9),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True),
    st.datetimes(timezones=st.just(UTC)),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3))


def _fits(ftype: str, value: object) -> bool:
    if isinstance(value, datetime):
        return ftype == DATE
    if ftype == STRING:
        return isinstance(value, str)
    if ftype == BOOLEAN:
        return isinstance(value, bool)
    if ftype == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        or isinstance(value, str)
        and value.strip().lstrip("-").isdigit()
    )


@given(
    resource=st.sampled_from(sorted(TABLES)),
    data=st.data(),
    operator=st.sampled_from(OPERATORS),
    value=values,
)
def test_build_query_accepts_exactly_what_the_search_accepts(resource, data, operator, value):
    name = data.draw(st.sampled_from(sorted(TABLES[resource])))
    ftype = TABLES[resource][name]
    node = {"field": name, "operator": operator, "value": value}
    try:
        built = ik.build_query(node, resource=resource)
    except InvalidQuery:
        accepted = False
    else:
        accepted = True
        assert built["field"] == name and built["operator"] == operator
    allowed = operator in INCLUSIVE_OPERATORS_BY_TYPE[ftype]
    if operator in ("IN", "NIN"):
        fits = isinstance(value, list) and bool(value) and all(_fits(ftype, v) for v in value)
    elif value is None:
        fits = operator in ("=", "!=")
    else:
        fits = not isinstance(value, list) and _fits(ftype, value)
    assert accepted == (allowed and fits)


@given(
    name=st.sampled_from(sorted(n for n in CONVERSATION_FIELDS if len(n) > 3)),
    junk=st.sampled_from(["x", "_", "s"]),
)
def test_unknown_fields_are_named_with_a_did_you_mean(name, junk):
    with pytest.raises(InvalidQuery, match=r"unknown conversations search field .*did you mean"):
        ik.build_query(ik.field(name + junk) == "a", resource="conversations")


BOUND_OPS = {">": int.__gt__, ">=": int.__ge__, "<": int.__lt__, "<=": int.__le__}


@given(
    resource=st.sampled_from(sorted(TABLES)),
    op=st.sampled_from(sorted(BOUND_OPS)),
    bound=st.integers(1_600_000_000, 1_600_000_100),
    stamps=st.lists(st.integers(1_599_999_990, 1_600_000_110), max_size=30),
)
def test_instant_bounds_under_inclusive_operators_select_exactly_the_users_records(
    resource, op, bound, stamps
):
    f = ik.field("created_at")
    query = {">": f > bound, ">=": f >= bound, "<": f < bound, "<=": f <= bound}[op]
    plan = plan_search(query, resource=resource)
    assert (
        plan.post_filter is None and not plan.dated
    )  # exact: nothing to filter, no workspace timezone needed
    served = {t for t in stamps if matches(plan.server_query, {"created_at": t})}  # Intercom's inclusive rule
    assert served == {t for t in stamps if BOUND_OPS[op](t, bound)}


@given(
    op=st.sampled_from(["=", ">", ">=", "<", "<="]),
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    offsets=st.lists(st.integers(-2 * 86400, 3 * 86400), max_size=30),
)
def test_a_date_is_the_whole_utc_day_under_inclusive_operators(op, day, offsets):
    f = ik.field("updated_at")
    query = {"=": f == day, ">": f > day, ">=": f >= day, "<": f < day, "<=": f <= day}[op]
    plan = plan_search(query, resource="conversations")
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    for offset in offsets:
        stamp = midnight + timedelta(seconds=offset)
        mine = stamp.date()
        expected = {"=": mine == day, ">": mine > day, ">=": mine >= day, "<": mine < day, "<=": mine <= day}[
            op
        ]
        assert matches(plan.server_query, {"updated_at": int(stamp.timestamp())}) == expected


def test_integer_statistics_shift_exactly_and_custom_attributes_are_post_filtered():
    plan = plan_search(ik.field("statistics.time_to_admin_reply") < 60, resource="conversations")
    assert plan.server_query == {"field": "statistics.time_to_admin_reply", "operator": "<", "value": 59}
    custom = plan_search(ik.field("custom_attributes.score") > 2, resource="conversations")
    assert custom.server_query == {"field": "custom_attributes.score", "operator": ">", "value": 2}
    assert custom.post_filter({"custom_attributes": {"score": 2.5}})
    assert not custom.post_filter({"custom_attributes": {"score": 2}})
    ticket = plan_search(ik.field("ticket_attribute.123") >= 1.5, resource="tickets")
    assert ticket.server_query == {"field": "ticket_attribute.123", "operator": ">", "value": 1.5}


def test_contacts_keep_their_own_rules():
    with pytest.raises(InvalidQuery, match="unknown contacts search field 'state'"):
        ik.build_query(ik.field("state") == "open")
    with pytest.raises(InvalidQuery, match="not valid on date field"):
        ik.build_query(ik.field("created_at") != 5)  # contacts refuse != on dates; conversations accept it
    assert ik.build_query(ik.field("created_at") != 5, resource="conversations")["operator"] == "!="
