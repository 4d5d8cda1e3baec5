"""Workspace days as pure functions: Intercom's "day boundary uses your workspace's timezone"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intercomkit._protocol import days

# West and east of UTC, half-hour offsets, and zones whose DST change skips or repeats midnight itself.
ZONES = [
    "UTC",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "America/St_Johns",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
]


@given(st.integers(0, 2_000_000_000), st.sampled_from(ZONES))
@settings(max_examples=400)
def test_an_instant_lies_in_its_day_and_a_day_starts_at_its_first_second(t, name):
    tz = days.zone_from_name(name)
    day = days.day_number(t, tz)
    start, end = days.day_start(day, tz), days.day_start(day + 1, tz)
    assert start <= t < end
    assert days.day_number(start, tz) == day and days.day_number(start - 1, tz) == day - 1
    assert 22 * 3600 <= end - start <= 26 * 3600
    assert datetime.fromtimestamp(t, tz).date() == days.date_of_day(day)
    assert days.day_of_date(days.date_of_day(day)) == day


def test_utc_days_are_plain_arithmetic():
    t = 1_709_650_800  # 2024-03-05 15:00 UTC
    assert days.day_number(t) == t // 86_400 and days.day_start(t // 86_400) == t - t % 86_400


def test_los_angeles_days_and_dst():
    la = days.zone_from_name("America/Los_Angeles")
    # 2024-03-10 loses an hour, 2024-11-03 gains one: 23- and 25-hour days.
    d1 = days.day_of_date(datetime(2024, 3, 10).date())
    assert days.day_start(d1 + 1, la) - days.day_start(d1, la) == 23 * 3600
    d2 = days.day_of_date(datetime(2024, 11, 3).date())
    assert days.day_start(d2 + 1, la) - days.day_start(d2, la) == 25 * 3600
    # 20:00 on 5 March in Los Angeles is already 6 March in UTC.
    evening = int(datetime(2024, 3, 5, 20, tzinfo=ZoneInfo("America/Los_Angeles")).timestamp())
    assert days.date_of_day(days.day_number(evening, la)).isoformat() == "2024-03-05"
    assert days.date_of_day(days.day_number(evening)).isoformat() == "2024-03-06"


def test_a_skipped_midnight_starts_the_day_at_the_change():
    havana = days.zone_from_name("America/Havana")  # 2024-03-10: 00:00 became 01:00
    day = days.day_of_date(datetime(2024, 3, 10).date())
    start = days.day_start(day, havana)
    assert datetime.fromtimestamp(start, havana).hour == 1
    assert days.day_number(start - 1, havana) == day - 1


@pytest.mark.parametrize("name", ["UTC", "Etc/UTC", "utc", "GMT", "Etc/GMT", "Zulu"])
def test_utc_names(name):
    assert days.zone_from_name(name) is UTC and days.zone_name(UTC) == "UTC"


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus_Mons", "../etc/passwd", 42, "America/Los Angeles"])
def test_unknown_names_give_an_unknown_zone_never_an_error(name):
    zone = days.zone_from_name(name)
    assert isinstance(zone, days.UnknownZone) and days.zone_name(zone) is None
    with pytest.raises(ValueError):
        days.day_number(0, zone)


def test_fixed_offsets_work_too():
    east = timezone(timedelta(hours=9))
    assert days.day_start(days.day_number(0, east), east) == -9 * 3600
    assert days.zone_name(days.zone_from_name("Asia/Tokyo")) == "Asia/Tokyo"
