from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from webhook_helpers import FIXED_NOW, SECRET, encode, notification

from intercomkit.errors import ConfigurationError, IntercomError
from intercomkit.webhooks import Receiver, Router, events_frame, parse_event, read_log, sign, topic_matches


@pytest.mark.parametrize(
    ("pattern", "topic", "match"),
    [
        ("company.created", "company.created", True),
        ("company.created", "company.updated", False),
        ("contact.*.updated", "contact.user.updated", True),
        ("contact.*.updated", "contact.lead.updated", True),
        ("contact.*.updated", "contact.lead.created", False),
        ("contact.*.updated", "contact.updated", False),
        ("contact.*", "contact.user.created", True),
        ("contact.*", "company.created", False),
        ("*", "ping", True),
        ("*", "conversation.admin.replied", True),
        ("company.*", "company.created", True),
        ("*.created", "company.created", True),
        ("*.created", "contact.user.created", False),
        ("contact.{user,lead}.created", "contact.user.created", False),
        ("contact.[ul]*.created", "contact.lead.created", True),
    ],
)
def test_topic_matches(pattern, topic, match):
    assert topic_matches(pattern, topic) is match


def test_handlers_for_is_a_pure_lookup_in_registration_order():
    router = Router()

    @router.on("company.created", "company.*")
    def a(event): ...

    @router.on("*")
    async def b(event): ...

    assert router.handlers_for("company.created") == [a, b]
    assert router.handlers_for("ping") == [b]
    assert router.handlers_for(None) == []
    with pytest.raises(ConfigurationError):
        router.on("company..created")
    with pytest.raises(ConfigurationError):
        router.on()


@pytest.mark.anyio
async def test_dispatch_runs_sync_handlers_in_a_thread_and_async_ones_on_the_loop():
    router = Router()
    seen = []

    @router.on("contact.*.updated")
    def sync_handler(event):
        seen.append(("sync", event.role, threading.current_thread() is threading.main_thread()))

    @router.on("contact.lead.updated")
    async def async_handler(event):
        seen.append(("async", event.role, threading.current_thread() is threading.main_thread()))

    await router.dispatch(parse_event(notification("contact.lead.updated", {"type": "contact", "id": "1"})))
    assert seen == [("sync", "lead", False), ("async", "lead", True)]


@pytest.mark.anyio
async def test_dispatch_reraises():
    router = Router()

    @router.on("ping")
    def boom(event):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await router.dispatch(parse_event(notification("ping")))

    @router.on("*")
    def boom2(event):
        raise KeyError("x")

    with pytest.raises(ExceptionGroup):
        await router.dispatch(parse_event(notification("ping")))


def test_repr_hides_the_secret(tmp_path):
    router = Router(secret=SECRET, log=tmp_path / "e.jsonl")
    assert SECRET not in repr(router) and SECRET not in repr(router.app)
    with pytest.raises(ConfigurationError):
        Router(secret="")
    with pytest.raises(ConfigurationError):
        _ = Router().app


@pytest.mark.anyio
async def test_failure_is_logged_recorded_and_replayed(tmp_path, caplog):
    log = tmp_path / "events.jsonl"
    router = Router(secret=SECRET, log=log, now=lambda: FIXED_NOW)
    calls = []
    broken = True

    @router.on("company.created")
    def ok(event):
        calls.append("ok")

    @router.on("company.created")
    def flaky(event):
        calls.append("flaky")
        if broken:
            raise RuntimeError("database down")

    raw = encode(notification("company.created", id="notif_f"))
    ingested = await router.receiver.ingest(raw, sign(raw, SECRET))
    await router.receiver.process(ingested.event)
    assert calls == ["ok", "flaky"]
    assert [e.id for e in router.failed()] == ["notif_f"]
    assert "database down" in caplog.text and SECRET not in caplog.text
    outcomes = [
        (r["handler"].rsplit(".", 1)[-1], r["status"]) for r in read_log(log) if r["type"] == "outcome"
    ]
    assert outcomes == [("ok", "handled"), ("flaky", "failed")]

    # A restarted receiver knows the failure (and the id) from the log.
    restarted = Router(secret=SECRET, log=log)
    restarted.add("company.created", ok)
    restarted.add("company.created", flaky)
    assert [e.id for e in restarted.failed()] == ["notif_f"]
    assert (await restarted.receiver.ingest(raw, sign(raw, SECRET))).detail == "duplicate"

    assert [e.id for e in await restarted.replay("notif_f")] == ["notif_f"]  # still broken
    broken = False
    calls.clear()
    assert await restarted.replay() == []
    assert calls == ["flaky"]  # only the failed handler runs again
    assert restarted.failed() == []
    with pytest.raises(IntercomError):
        await restarted.replay("notif_f")

    frame = events_frame(log)
    assert frame.loc[0, "status"] == "handled"


@pytest.mark.anyio
async def test_log_and_events_frame(tmp_path):
    log = tmp_path / "sub" / "events.jsonl"
    router = Router(secret=SECRET, log=log, now=lambda: FIXED_NOW)
    router.on("contact.*")(lambda event: None)
    for n, topic in enumerate(["company.created", "contact.user.created", "contact.user.created", "ping"]):
        raw = encode(notification(topic, {"type": topic.split(".")[0], "id": f"i{n}"}, id=f"n{min(n, 2)}"))
        ingested = await router.receiver.ingest(raw, sign(raw, SECRET))
        if ingested.event is not None:
            await router.receiver.process(ingested.event)
    records = read_log(log)
    received = [r for r in records if r["type"] == "received"]
    assert [(r["id"], r["topic"], r["status"]) for r in received] == [
        ("n0", "company.created", "received"),
        ("n1", "contact.user.created", "received"),
        ("n2", "contact.user.created", "received"),
        ("n2", "ping", "duplicate"),
    ]
    assert set(received[0]) == {"type", "received_at", "id", "topic", "status", "body"}
    assert received[0]["body"]["data"]["item"]["id"] == "i0"

    frame = events_frame(log)
    assert list(frame.columns) == [
        "id", "topic", "received_at", "created_at", "item_type", "item_id", "delivery_attempts", "status",
    ]  # fmt: skip
    assert list(frame["id"]) == ["n0", "n1", "n2"]
    assert list(frame["status"]) == ["received", "handled", "handled"]  # no handler for company.created
    assert list(frame["item_id"]) == ["i0", "i1", "i2"]
    assert frame["received_at"].iloc[0] == FIXED_NOW
    assert str(frame["created_at"].dt.tz) == "UTC"
    assert frame["delivery_attempts"].dtype == "Int64"
    assert events_frame(router.records()).equals(frame)
    assert events_frame(router).equals(frame)


def test_truncated_last_line_is_skipped(tmp_path):
    log = tmp_path / "e.jsonl"
    log.write_text(
        '{"type": "received", "id": "a", "topic": "ping", "status": "received", "body": {}}\n{"type": "rec'
    )
    assert [r["id"] for r in read_log(log)] == ["a"]
    assert Router(secret=SECRET, log=log).failed() == []


def test_events_frame_empty():
    frame = events_frame([])
    assert len(frame) == 0 and "status" in frame.columns


def test_cli_serve_needs_a_secret():
    env = {k: v for k, v in os.environ.items() if k != "IK_TEST_UNSET_SECRET"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "intercomkit.cli",
            "webhooks",
            "serve",
            "--secret-env",
            "IK_TEST_UNSET_SECRET",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--secret-env" in done.stderr


@pytest.mark.anyio
async def test_the_receiver_needs_only_a_lookup_not_a_router():
    seen = []

    async def handler(event):
        seen.append(event.id)

    receiver = Receiver(lambda topic: [handler] if topic == "company.created" else [], SECRET)
    for n, topic in enumerate(["company.created", "ping"]):
        raw = encode(notification(topic, id=f"n{n}"))
        ingested = await receiver.ingest(raw, sign(raw, SECRET))
        await receiver.process(ingested.event)
    assert seen == ["n0"] and [e.id for e in receiver.events] == ["n0", "n1"] and receiver.failed() == []


def test_routing_needs_no_secret_but_receiving_does():
    router = Router()
    router.on("ping")(lambda event: None)
    assert len(router.handlers_for("ping")) == 1
    with pytest.raises(ConfigurationError, match="client secret"):
        _ = router.app
