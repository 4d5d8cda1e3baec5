"""Reporting-data export jobs in the sandbox, bodies validated against the 2.16 spec: datasets, the job lifecycle on
the sandbox clock, the documented 400s, "Exceeded rate limit of 5 pending reporting dataset export jobs", the
gzipped-CSV download and its Accept header, and faults reaching the new routes."""

from __future__ import annotations

import csv
import gzip
import io

import pytest
from fake_clock import FakeClock

from intercomkit.sandbox import Faults, Sandbox

pytestmark = pytest.mark.anyio

ENQUEUE = "/export/reporting_data/enqueue"
STATUS = "/export/reporting_data/{job_identifier}"
DOWNLOAD = "/download/reporting_data/{job_identifier}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_800_000_000)


@pytest.fixture
def rsb(clock) -> Sandbox:
    return Sandbox(contacts=60, companies=5, conversations=40, tickets=0, seed=3, clock=clock)


def _body(**kw):
    return {
        "dataset_id": "conversation",
        "attribute_ids": ["conversation.conversation_id", "conversation.first_response_time"],
        "start_time": 0,
        "end_time": 2_000_000_000,
        **kw,
    }


def _app(sb: Sandbox) -> dict:
    return {"app_id": sb._store.ws.app_id, "client_id": "unused"}


async def test_datasets_list_attributes_with_qualified_ids(rsb, make_client, check):
    async with make_client(rsb) as http:
        r = await http.get("/export/reporting_data/get_datasets")
    body = check("get", "/export/reporting_data/get_datasets", r)
    by_id = {d["id"]: d for d in body["data"]}
    assert by_id["conversation"]["default_time_attribute_id"] == "conversation_started_at"
    ids = {a["qualified_id"] for a in by_id["conversation"]["attributes"]}
    assert {"conversation.conversation_id", "conversation.first_response_time"} <= ids
    assert "conversation_part" in by_id


async def test_a_job_is_pending_then_complete_and_downloads_a_gzipped_csv(rsb, clock, make_client, check):
    rsb.reporting.delay = 30
    async with make_client(rsb) as http:
        r = await http.post(ENQUEUE, json=_body())
        job = check("post", ENQUEUE, r)
        assert job["status"] == "pending"
        path = f"/export/reporting_data/{job['job_identifier']}"
        r = await http.get(path, params=_app(rsb))
        assert check("get", STATUS, r)["status"] == "pending"
        r = await http.get(f"/download/reporting_data/{job['job_identifier']}", params=_app(rsb),
                           headers={"Accept": "application/octet-stream"})  # fmt: skip
        assert r.status_code == 404  # not complete yet
        clock.now += 30
        done = check("get", STATUS, await http.get(path, params=_app(rsb)))
        assert done["status"] == "complete" and done["download_url"].endswith(job["job_identifier"])
        r = await http.get(f"/download/reporting_data/{job['job_identifier']}", params=_app(rsb),
                           headers={"Accept": "application/octet-stream"})  # fmt: skip
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    table = list(csv.reader(io.StringIO(gzip.decompress(r.content).decode())))
    assert table[0] == ["conversation.conversation_id", "conversation.first_response_time"]
    expected = {
        cid: rsb.get_conversation(cid)["statistics"]["time_to_admin_reply"] for cid in rsb.conversation_ids()
    }
    got = {row[0]: (int(row[1]) if row[1] else None) for row in table[1:]}
    assert got == expected  # every live conversation, none deleted, its statistic


async def test_the_documented_bad_requests(rsb, make_client, check):
    cases = [
        ({"dataset_id": None}, "'dataset_id' is a required parameter"),
        ({"dataset_id": "imaginary"}, "imaginary is not a valid dataset_id"),
        ({"attribute_ids": None}, "'attribute_ids' is a required parameter"),
        ({"attribute_ids": []}, "attribute_ids must contain at least one attribute_id"),
        (
            {"attribute_ids": "conversation.conversation_id"},
            "'attribute_ids' not an array must be of type Array",
        ),
        ({"attribute_ids": ["non_existent"]}, "attribute_ids invalid for conversation dataset: non_existent"),
        # qualified_id: "Required when calling the enqueue endpoint"
        (
            {"attribute_ids": ["conversation_id"]},
            "attribute_ids invalid for conversation dataset: conversation_id",
        ),
    ]
    async with make_client(rsb) as http:
        for change, message in cases:
            body = {k: v for k, v in _body(**change).items() if v is not None}
            r = await http.post(ENQUEUE, json=body)
            assert r.status_code == 400, change
            assert check("post", ENQUEUE, r)["errors"][0] == {"code": "bad_request", "message": message}


async def test_at_most_five_pending_jobs_then_429(rsb, clock, make_client, check):
    rsb.reporting.delay = 60
    async with make_client(rsb) as http:
        for _ in range(5):
            assert (await http.post(ENQUEUE, json=_body())).status_code == 200
        r = await http.post(ENQUEUE, json=_body())
        assert r.status_code == 429
        error = check("post", ENQUEUE, r)["errors"][0]
        assert error["message"] == "Exceeded rate limit of 5 pending reporting dataset export jobs"
        clock.now += 60  # the five complete: room again
        assert (await http.post(ENQUEUE, json=_body())).status_code == 200


async def test_failed_jobs_unknown_jobs_other_apps_and_the_accept_header(rsb, clock, make_client, check):
    rsb.reporting.delay, rsb.reporting.fail_next = 1, 1
    async with make_client(rsb) as http:
        failed = check("post", ENQUEUE, await http.post(ENQUEUE, json=_body()))["job_identifier"]
        ok = check("post", ENQUEUE, await http.post(ENQUEUE, json=_body()))["job_identifier"]
        clock.now += 1
        r = await http.get(f"/export/reporting_data/{failed}", params=_app(rsb))
        assert check("get", STATUS, r)["status"] == "failed"
        for params in ({"app_id": "someone-else"}, {}):
            r = await http.get(f"/export/reporting_data/{ok}", params=params)
            assert r.status_code == 404
        r = await http.get("/export/reporting_data/job999", params=_app(rsb))
        assert (
            check("get", STATUS, r)["errors"][0]["message"] == "Export job not found for identifier: job999"
        )
        r = await http.get(f"/download/reporting_data/{ok}", params=_app(rsb))
        assert r.status_code == 406  # no Accept: application/octet-stream
        clock.now += rsb.reporting.expires_after
        r = await http.get(f"/download/reporting_data/{ok}", params=_app(rsb),
                           headers={"Accept": "application/octet-stream"})  # fmt: skip
        assert r.status_code == 404  # the download expired
        assert r.json()["errors"][0]["code"] == "not_found"


async def test_faults_reach_the_reporting_routes(make_client):
    sb = Sandbox(
        contacts=20, companies=2, conversations=10, tickets=0, faults=Faults(rate=1.0, kinds=("503",))
    )
    async with make_client(sb) as http:
        r = await http.get("/export/reporting_data/get_datasets")
    assert r.status_code == 503
