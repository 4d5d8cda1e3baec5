"""Reporting-data export jobs (``/export/reporting_data/*``, ``/download/reporting_data/{job}``) over the sandbox's
own conversations: datasets and their attributes, jobs that stay pending for ``delay`` seconds of the sandbox clock,
then complete (or fail, when told to), Intercom's limit of 5 pending jobs per workspace, and the download as a
gzipped CSV.

Intercom's 2.16 description does not say what the download holds; its sibling, the content data export, says the
data "will be streamed continuously back down to you in a gzipped CSV format", and that is what the sandbox serves:
a header of the requested attribute ids (qualified, in the order asked), one row per record, times as unix seconds.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["DATASETS", "MAX_PENDING", "ReportingJobs"]

# "Exceeded rate limit of 5 pending reporting dataset export jobs"
MAX_PENDING = 5


def _stat(name: str) -> Callable[[dict, dict], Any]:
    return lambda summary, part: summary["statistics"][name]


def _rating(summary: dict, part: dict) -> Any:
    rating = summary.get("conversation_rating")
    return None if rating is None else rating.get("rating")


def _ai(key: str) -> Callable[[dict, dict], Any]:
    return lambda summary, part: (summary.get("ai_agent") or {}).get(key)


# dataset id -> (name, description, default time attribute, [(attribute id, name, value(summary, part))])
DATASETS: dict[str, tuple[str, str, str, list[tuple[str, str, Callable[[dict, dict], Any]]]]] = {
    "conversation": (
        "Conversation",
        "Conversation-level details: status, channel, assignee.",
        "conversation_started_at",
        [
            ("conversation_id", "Conversation ID", lambda s, p: s["id"]),
            ("conversation_started_at", "Conversation started at", lambda s, p: s["created_at"]),
            ("conversation_state", "Conversation state", lambda s, p: s["state"]),
            (
                "channel",
                "Channel",
                lambda s, p: (s.get("channel") or {}).get("current") or s["source"]["type"],
            ),
            ("teammate_assignee_id", "Teammate assigned", lambda s, p: s["admin_assignee_id"]),
            ("team_assignee_id", "Team assigned", lambda s, p: s["team_assignee_id"]),
            ("time_to_assignment", "Time to assignment", _stat("time_to_assignment")),
            ("first_response_time", "First response time", _stat("time_to_admin_reply")),
            ("time_to_first_close", "Time to first close", _stat("time_to_first_close")),
            ("time_to_last_close", "Time to last close", _stat("time_to_last_close")),
            ("median_response_time", "Median response time", _stat("median_time_to_reply")),
            ("first_closed_at", "First closed at", _stat("first_close_at")),
            ("last_closed_at", "Last closed at", _stat("last_close_at")),
            ("reopened_count", "Times reopened", _stat("count_reopens")),
            ("handling_time", "Handling time", _stat("handling_time")),
            ("conversation_rating", "Conversation rating", _rating),
            ("fin_participated", "Fin AI Agent participated", lambda s, p: s.get("ai_agent_participated")),
            ("fin_resolution_state", "Fin AI Agent resolution state", _ai("resolution_state")),
        ],
    ),
    "conversation_part": (
        "Conversation part",
        "Every part of every conversation: who wrote it, when, of what type.",
        "part_created_at",
        [
            ("conversation_part_id", "Conversation part ID", lambda s, p: p["id"]),
            ("conversation_id", "Conversation ID", lambda s, p: s["id"]),
            ("part_created_at", "Part created at", lambda s, p: p["created_at"]),
            ("part_type", "Part type", lambda s, p: p["part_type"]),
            ("author_type", "Author type", lambda s, p: p["author"]["type"]),
            ("author_id", "Author ID", lambda s, p: p["author"]["id"]),
        ],
    ),
}


def qualified(dataset: str, attribute: str) -> str:
    """'Format is "prefix.name" (e.g., "people.Brand", "conversation.Brand")'."""
    return f"{dataset}.{attribute}"


def datasets_json() -> list[dict]:
    return [
        {
            "id": ds,
            "name": name,
            "description": description,
            "default_time_attribute_id": time_attribute,
            "attributes": [
                {"id": a, "qualified_id": qualified(ds, a), "name": label} for a, label, _ in attributes
            ],
        }
        for ds, (name, description, time_attribute, attributes) in DATASETS.items()
    ]


@dataclass
class Job:
    identifier: str
    dataset: str
    attributes: list[str]
    start: int
    end: int
    enqueued_at: float
    fails: bool
    data: bytes | None = None


class ReportingJobs:
    """The workspace's export jobs. ``delay``: seconds of the sandbox clock a job stays ``pending``;
    ``expires_after``: seconds a completed job's download stays available; ``fail_next``: how many of the next
    jobs end ``failed`` instead of ``complete`` (tests set these)."""

    def __init__(self, clock: Callable[[], float], delay: float = 5.0, expires_after: float = 3600.0) -> None:
        self.clock = clock
        self.delay = delay
        self.expires_after = expires_after
        self.fail_next = 0
        self.jobs: dict[str, Job] = {}

    def status(self, job: Job) -> str:
        if self.clock() < job.enqueued_at + self.delay:
            return "pending"
        return "failed" if job.fails else "complete"

    def pending(self) -> int:
        return sum(1 for job in self.jobs.values() if self.status(job) == "pending")

    def expires_at(self, job: Job) -> int:
        return int(job.enqueued_at + self.delay + self.expires_after)

    def expired(self, job: Job) -> bool:
        return self.clock() >= self.expires_at(job)

    def enqueue(self, dataset: str, attributes: list[str], start: int, end: int) -> Job:
        fails = self.fail_next > 0
        self.fail_next -= fails
        job = Job(f"job{len(self.jobs) + 1}", dataset, attributes, start, end, self.clock(), fails)
        self.jobs[job.identifier] = job
        return job


def rows(dataset: str, conversations: Iterator[dict], start: int, end: int) -> Iterator[tuple[dict, dict]]:
    """(conversation summary, part) pairs of the dataset whose time attribute is within [start, end]."""
    for summary, parts in conversations:
        if dataset == "conversation":
            if start <= summary["created_at"] <= end:
                yield summary, {}
            continue
        for part in parts:
            if start <= part["created_at"] <= end:
                yield summary, part


def render_csv(job: Job, records: Iterator[tuple[dict, dict]]) -> bytes:
    """The download: a gzipped CSV, header = the attribute ids asked for (qualified), times as unix seconds."""
    getters = {qualified(job.dataset, a): value for a, _, value in DATASETS[job.dataset][3]}
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(job.attributes)
    for summary, part in records:
        writer.writerow([_cell(getters[a](summary, part)) for a in job.attributes])
    return gzip.compress(text.getvalue().encode(), mtime=0)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
