"""``client.reporting``: datasets, exports through the job lifecycle on a fake clock, ranges split into jobs with
never more than 5 out, failed and expired jobs retried then named, to_file, faults, and the cross-check with the
conversations API."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from fake_clock import FakeClock

from intercomkit.errors import ConfigurationError, ReportingJobExpired, ReportingJobFailed
from intercomkit.sandbox import Faults, Sandbox

pytestmark = pytest.mark.anyio

ENQUEUE = ("POST", "/export/reporting_data/enqueue")


def _sandbox(clock: FakeClock, **kw) -> Sandbox:
    sb = Sandbox(contacts=60, companies=5, conversations=60, tickets=0, seed=5, clock=clock, **kw)
    sb.reporting.delay = 45  # seconds of the fake clock a job stays pending
    return sb


def _client(sb: Sandbox, clock: FakeClock, **kw):
    return sb.client(clock=clock, sleep=clock.sleep, **kw)


def _span(sb: Sandbox) -> tuple[int, int]:
    created = [sb.get_conversation(cid)["created_at"] for cid in sb.conversation_ids()]
    return min(created), max(created)


async def test_datasets_frame_lists_every_attribute(clock):
    sb = _sandbox(clock)
    async with _client(sb, clock) as client:
        frame = await client.reporting.datasets()
    conv = frame[frame["dataset_id"] == "conversation"]
    assert "conversation.first_response_time" in set(conv["qualified_id"])
    assert (conv["default_time_attribute_id"] == "conversation_started_at").all()
    assert str(frame["attribute_id"].dtype) == "string"


async def test_export_returns_a_typed_frame_of_every_conversation_in_range(clock):
    sb = _sandbox(clock)
    first, last = _span(sb)
    async with _client(sb, clock) as client:
        df = await client.reporting.export(
            "conversation",
            ["conversation_id", "conversation_started_at", "first_response_time", "fin_participated"],
            start=first,
            end=last,
            progress=False,
        )
    assert list(df.columns) == [
        "conversation_id",
        "conversation_started_at",
        "first_response_time",
        "fin_participated",
    ]
    assert sorted(df["conversation_id"]) == sorted(sb.conversation_ids())
    assert str(df["conversation_started_at"].dtype) == "datetime64[ns, UTC]"
    assert str(df["first_response_time"].dtype) == "Int64"
    assert str(df["fin_participated"].dtype) == "boolean"
    assert clock.slept and all(s > 0 for s in clock.slept)  # it waited on the injected clock, never for real


async def test_a_long_range_is_split_into_jobs_never_more_than_five_out(clock):
    sb = _sandbox(clock)
    first, last = _span(sb)
    async with _client(sb, clock) as client:
        export = client.reporting.export(
            "conversation", ["conversation_id"], start=first, end=last, progress=False, window_days=3
        )
        df = await export
    assert len(export.windows) > 5 and len(export.jobs) == len(export.windows)
    assert sorted(df["conversation_id"]) == sorted(sb.conversation_ids())  # no window twice, none left out
    assert not [x for x in sb.request_log if x[:2] == ENQUEUE and x[2] == 429]  # never a sixth pending job


async def test_a_failed_job_is_enqueued_again_then_reported_by_name(clock):
    sb = _sandbox(clock)
    first, last = _span(sb)
    sb.reporting.fail_next = 1
    async with _client(sb, clock) as client:
        one_job = {"start": first, "end": last, "progress": False, "window_days": 10_000}
        export = client.reporting.export("conversation", ["conversation_id"], **one_job)
        df = await export
        assert export.retried == ["job1"] and len(df) == len(sb.conversation_ids())

        sb.reporting.fail_next = 10
        doomed = client.reporting.export("conversation", ["conversation_id"], retries=2, **one_job)
        with pytest.raises(ReportingJobFailed) as failed:
            await doomed
    assert failed.value.dataset == "conversation" and failed.value.window == (first, last)
    assert failed.value.job == doomed.jobs[-1] == "job5" and "after 3 tries" in str(failed.value)


async def test_an_expired_download_is_reported_by_name(clock):
    sb = _sandbox(clock)
    sb.reporting.expires_after = 0  # gone the moment it completes
    async with _client(sb, clock) as client:
        with pytest.raises(ReportingJobExpired, match="expired before its download"):
            await client.reporting.export(
                "conversation", start=0, end=2_000_000_000, progress=False, retries=1
            )


async def test_to_file_streams_one_csv_with_one_header(clock, tmp_path):
    sb = _sandbox(clock)
    first, last = _span(sb)
    out = tmp_path / "conversations.csv"
    async with _client(sb, clock) as client:
        result = await client.reporting.export(
            "conversation", "conversation_id,first_response_time", start=first, end=last, window_days=5,
            progress=False,
        ).to_file(out)  # fmt: skip
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["conversation.conversation_id", "conversation.first_response_time"]
    assert sorted(r[0] for r in rows[1:]) == sorted(sb.conversation_ids())
    assert result.rows == len(rows) - 1 and result.jobs > 1
    assert [p.name for p in tmp_path.iterdir()] == ["conversations.csv"]  # no temporary file left


async def test_bad_names_are_configuration_errors(clock):
    sb = _sandbox(clock)
    async with _client(sb, clock) as client:
        with pytest.raises(ConfigurationError, match="no reporting dataset 'imaginary'"):
            await client.reporting.export("imaginary", start=0, end=10, progress=False)
        with pytest.raises(ConfigurationError, match="'nope' is not one of its attributes"):
            await client.reporting.export("conversation", ["nope"], start=0, end=10, progress=False)
        with pytest.raises(ConfigurationError, match="ends"):
            client.reporting.export("conversation", start=10, end=0)


async def test_the_export_survives_faults(clock):
    faults = Faults(rate=0.25, seed=4, kinds=("500", "502", "503", "drop", "truncate", "429burst"))
    sb = _sandbox(clock, faults=faults)
    first, last = _span(sb)
    async with _client(sb, clock) as client:
        df = await client.reporting.export(
            "conversation", ["conversation_id"], start=first, end=last, window_days=4, progress=False
        )
    assert sorted(df["conversation_id"]) == sorted(sb.conversation_ids())
    assert {"drop", "truncate"} & set(sb._faults.injected)


async def _api_conversations(client) -> list[dict]:
    """Every conversation through GET /conversations, page after page (the API side of the cross-check)."""
    found, after = [], None
    while True:
        page = await client.request(
            "GET", "/conversations", params={"per_page": 20, **({"starting_after": after} if after else {})}
        )
        found += page["conversations"]
        after = ((page.get("pages") or {}).get("next") or {}).get("starting_after")
        if not after:
            return found


async def test_reporting_export_agrees_with_the_conversations_api(clock):
    sb = _sandbox(clock)
    async with _client(sb, clock) as client:
        api = await _api_conversations(client)
        df = await client.reporting.export("conversation", start=0, end=2_000_000_000, progress=False)
    assert sorted(df["conversation_id"]) == sorted(c["id"] for c in api)
    by_id = df.set_index("conversation_id")
    shared = {
        "first_response_time": "time_to_admin_reply",
        "time_to_assignment": "time_to_assignment",
        "time_to_first_close": "time_to_first_close",
        "time_to_last_close": "time_to_last_close",
        "median_response_time": "median_time_to_reply",
        "reopened_count": "count_reopens",
        "handling_time": "handling_time",
    }
    for conv in api:
        row = by_id.loc[conv["id"]]
        for column, statistic in shared.items():
            value = row[column]
            assert (None if pd.isna(value) else int(value)) == conv["statistics"][statistic], (
                conv["id"],
                column,
            )
        assert row["conversation_state"] == conv["state"]
        closed = conv["statistics"]["last_close_at"]
        assert (None if pd.isna(row["last_closed_at"]) else int(row["last_closed_at"].timestamp())) == closed
