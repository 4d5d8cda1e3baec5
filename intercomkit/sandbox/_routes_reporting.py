"""The four reporting-data export routes (see ``_reporting`` for the model). Error messages are the description's."""

from __future__ import annotations

from typing import Any

from ._errors import SandboxAPIError
from ._http import Request, Response, json_response
from ._reporting import DATASETS, MAX_PENDING, Job, datasets_json, qualified, render_csv, rows

__all__ = ["register"]


def _bad(message: str) -> SandboxAPIError:
    return SandboxAPIError(400, "bad_request", message)


def get_datasets(req: Request) -> Response:
    return json_response({"type": "list", "data": datasets_json()})


def _time(body: dict, name: str) -> int:
    value = body.get(name)
    if value is None:
        raise _bad(f"'{name}' is a required parameter")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"'{name}' must be an integer (unix seconds)")
    return value


def enqueue(req: Request) -> Response:
    body = req.json_object()
    dataset = body.get("dataset_id")
    if dataset is None:
        raise _bad("'dataset_id' is a required parameter")
    if dataset not in DATASETS:
        raise _bad(f"{dataset} is not a valid dataset_id")
    attributes = body.get("attribute_ids")
    if attributes is None:
        raise _bad("'attribute_ids' is a required parameter")
    if not isinstance(attributes, list):
        raise _bad("'attribute_ids' not an array must be of type Array")
    if not attributes:
        raise _bad("attribute_ids must contain at least one attribute_id")
    # qualified_id is "Required when calling the enqueue endpoint": a bare id is refused like an unknown one.
    known = {qualified(dataset, a) for a, _, _ in DATASETS[dataset][3]}
    invalid = [str(a) for a in attributes if a not in known]
    if invalid:
        raise _bad(f"attribute_ids invalid for {dataset} dataset: {', '.join(invalid)}")
    start, end = _time(body, "start_time"), _time(body, "end_time")
    if end < start:
        raise _bad("'end_time' must not be before 'start_time'")
    jobs = req.sandbox.reporting
    if jobs.pending() >= MAX_PENDING:
        raise SandboxAPIError(
            429, "rate_limit_exceeded", "Exceeded rate limit of 5 pending reporting dataset export jobs"
        )
    job = jobs.enqueue(dataset, list(attributes), start, end)
    return json_response(
        {"job_identifier": job.identifier, "status": "pending", "download_url": "", "download_expires_at": ""}
    )


def _job(req: Request) -> Job:
    """The job named in the path, of this workspace: ``app_id`` is a required query parameter of both GETs."""
    identifier = req.path_params["job_identifier"]
    job = req.sandbox.reporting.jobs.get(identifier)
    if job is None or req.query.get("app_id") != req.sandbox._store.ws.app_id:
        raise SandboxAPIError(404, "not_found", f"Export job not found for identifier: {identifier}")
    return job


def job_status(req: Request) -> Response:
    # client_id is listed as required too, but a token-only integration has no OAuth client id to give: accepted
    # when missing (what Intercom does without it is not documented).
    job = _job(req)
    jobs = req.sandbox.reporting
    status = jobs.status(job)
    out: dict[str, Any] = {
        "job_identifier": job.identifier,
        "status": status,
        "download_url": "",
        "download_expires_at": "",
    }
    if status == "complete":
        out["download_url"] = f"{req.sandbox.base_url}/download/reporting_data/{job.identifier}"
        out["download_expires_at"] = str(jobs.expires_at(job))
    return json_response(out)


def download(req: Request) -> Response:
    # "You will have to specify the header Accept: `application/octet-stream` when hitting this endpoint."
    if "application/octet-stream" not in req.headers.get("accept", ""):
        raise SandboxAPIError(406, "not_acceptable", "Accept: application/octet-stream is required")
    job = _job(req)
    jobs = req.sandbox.reporting
    if jobs.status(job) != "complete" or jobs.expired(job):
        raise SandboxAPIError(404, "not_found", f"Export job not found for identifier: {job.identifier}")
    if job.data is None:
        convs = req.sandbox._conversations
        records = (
            (convs.summary(rec), rec["_parts"])
            for rec in (convs.record(i) for i in range(convs.n) if convs.live(i))
        )
        job.data = render_csv(job, rows(job.dataset, records, job.start, job.end))
    return Response(200, job.data, {"content-type": "application/octet-stream"})


def register(router) -> None:
    router.add("GET", "/export/reporting_data/get_datasets", get_datasets)
    router.add("POST", "/export/reporting_data/enqueue", enqueue)
    router.add("GET", "/export/reporting_data/{job_identifier}", job_status)
    router.add("GET", "/download/reporting_data/{job_identifier}", download)
