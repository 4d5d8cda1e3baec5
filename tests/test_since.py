"""``--since`` / ``updated_since=`` text: ISO dates and datetimes, today/yesterday, 24h / 7d / 2w (pure)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intercomkit._protocol.since import parse_since
from intercomkit.errors import ConfigurationError

NOW = st.floats(min_value=86_400 * 400, max_value=4e9, allow_nan=False)
DAY = 86_400


@given(st.dates(min_value=date(1971, 1, 1)), NOW)
def test_an_iso_date_is_its_midnight_utc(day, now):
    assert parse_since(day.isoformat(), now) == datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


@given(
    st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2100, 1, 1)),
    st.integers(-12 * 60, 14 * 60),
    st.sampled_from(["T", " "]),
    NOW,
)
def test_an_iso_datetime_is_that_instant(moment, offset_minutes, sep, now):
    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    assert parse_since(aware.isoformat(sep=sep), now) == math.floor(aware.timestamp())
    utc = moment.replace(microsecond=0)
    assert parse_since(utc.isoformat() + "Z", now) == parse_since(utc.isoformat(), now)  # naive means UTC


@given(st.integers(0, 999_999), st.sampled_from([("h", 3600), ("d", DAY), ("w", 7 * DAY)]), NOW)
def test_a_relative_span_counts_back_from_now(n, unit, now):
    letter, seconds = unit
    assert parse_since(f"{n}{letter}", now) == math.floor(now) - n * seconds
    assert parse_since(f" {n} {letter.upper()} ", now) == math.floor(now) - n * seconds


@given(NOW)
def test_today_and_yesterday_are_utc_midnights(now):
    today = parse_since("today", now)
    assert today % DAY == 0 and today <= now < today + DAY
    assert parse_since("Yesterday", now) == today - DAY


@given(st.text(max_size=30))
def test_anything_else_is_a_configuration_error_naming_the_forms(text):
    try:
        parse_since(text, 1.7e9)
    except ConfigurationError as exc:
        assert "yesterday" in str(exc) and "7d" in str(exc)


@pytest.mark.parametrize("text", ["last tuesday", "7 days", "-7d", "2024-13-01", "", "d"])
def test_examples_that_are_refused(text):
    with pytest.raises(ConfigurationError, match="2024-03-05"):
        parse_since(text, 1.7e9)
