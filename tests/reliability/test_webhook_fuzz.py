"""Guarantee 7: the webhook receiver accepts only correctly signed JSON objects, each notification once.

Bad or missing signatures (or the right signature made with another secret) are 401, malformed but signed bodies
400, bodies over the limit 413 whether declared or streamed; replays of one notification id, even concurrent or
after a restart on the same log, reach handlers once.
"""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intercomkit.errors import InvalidPayload, InvalidSignature
from intercomkit.webhooks import Router, construct_event, sign

pytestmark = pytest.mark.slow

SECRET = "whsec_SECRET_reliability"
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))


def notification(event_id: str, topic: str = "contact.user.created") -> bytes:
    return json.dumps(
        {"type": "notification_event", "id": event_id, "topic": topic, "app_id": "abc",
         "data": {"type": "notification_event_data", "item": {"type": "contact", "id": "c1"}}, "created_at": 1}
    ).encode()  # fmt: skip


async def _post_all(
    router: Router, requests: list[tuple[bytes, dict]], *, concurrent: bool = False
) -> list[int]:
    statuses: list[int] = [0] * len(requests)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=router.app), base_url="http://hooks"
    ) as client:

        async def post(i: int) -> None:
            body, headers = requests[i]
            statuses[i] = (await client.post("/webhooks", content=body, headers=headers)).status_code

        if concurrent:
            async with anyio.create_task_group() as tg:
                for i in range(len(requests)):
                    tg.start_soon(post, i)
        else:
            for i in range(len(requests)):
                await post(i)
    await router.drain(timeout=10)
    return statuses


json_objects = st.dictionaries(
    st.sampled_from(["id", "topic", "type", "data", "app_id", "created_at", "x"]),
    st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6)),
                 lambda i: st.one_of(st.lists(i, max_size=3), st.dictionaries(st.text(max_size=4), i, max_size=3)), max_leaves=8),
    max_size=7,
)  # fmt: skip
signatures = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
    st.builds(lambda h: "sha1=" + h, st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)),
    st.just("sha256=" + "0" * 64),
)
kinds = st.sampled_from(["unsigned", "wrong secret", "right", "malformed", "too big"])


@FUZZ
@given(
    sends=st.lists(
        st.tuples(kinds, st.integers(0, 3), json_objects, signatures, st.binary(max_size=60)), min_size=1, max_size=12
    ),
    concurrent=st.booleans(),
)  # fmt: skip
def test_receiver_answers_by_signature_and_runs_each_notification_once(sends, concurrent):
    router = Router(secret=SECRET, max_body=2048)
    handled: list[str] = []
    router.on("*")(lambda event: handled.append(event.id))
    requests, expected, accepted_ids = [], [], set()
    for kind, n, extra, signature, junk in sends:
        if kind == "unsigned":
            body = notification(f"n{n}")
            headers = {} if signature is None else {"X-Hub-Signature": signature}
            requests.append((body, headers))
            expected.append({401})
        elif kind == "wrong secret":
            body = notification(f"n{n}")
            requests.append((body, {"X-Hub-Signature": sign(body, SECRET + "x")}))
            expected.append({401})
        elif kind == "right":
            body = json.dumps({**extra, "id": f"n{n}", "topic": "contact.user.created"}).encode()
            requests.append((body, {"X-Hub-Signature": sign(body, SECRET)}))
            expected.append({200})
            accepted_ids.add(f"n{n}")
        elif kind == "malformed":
            body = junk if not junk.lstrip().startswith(b"{") else b"[" + junk
            requests.append((body, {"X-Hub-Signature": sign(body, SECRET)}))
            expected.append({400})
        else:
            body = b"{" + b" " * 3000 + b"}"
            requests.append((body, {"X-Hub-Signature": sign(body, SECRET)}))
            expected.append({413})
    statuses = anyio.run(lambda: _post_all(router, requests, concurrent=concurrent))
    for status, allowed, (body, headers) in zip(statuses, expected, requests, strict=True):
        assert status in allowed, (status, body[:80], headers)
    assert sorted(handled) == sorted(accepted_ids), (
        "a notification was handled twice, or one unsigned was handled"
    )


def test_replays_after_a_restart_on_the_same_log_are_not_handled_again(tmp_path):
    log = tmp_path / "hooks.jsonl"
    body = notification("n-restart")
    signed = (body, {"X-Hub-Signature": sign(body, SECRET)})
    first, handled = Router(secret=SECRET, log=log, fsync=False), []
    first.on("*")(lambda e: handled.append(e.id))
    assert anyio.run(lambda: _post_all(first, [signed, signed])) == [200, 200]
    second = Router(secret=SECRET, log=log, fsync=False)
    second.on("*")(lambda e: handled.append(e.id))
    assert anyio.run(lambda: _post_all(second, [signed] * 3, concurrent=True)) == [200, 200, 200]
    assert handled == ["n-restart"]


@pytest.mark.parametrize("declared", [True, False])
def test_huge_bodies_are_413_declared_or_streamed(declared):
    router, handled = Router(secret=SECRET, max_body=1024), []
    router.on("*")(handled.append)
    big = b"{" + b" " * 5_000_000 + b"}"

    async def go():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=router.app), base_url="http://h"
        ) as client:
            if declared:
                return (
                    await client.post("/", content=big, headers={"X-Hub-Signature": sign(big, SECRET)})
                ).status_code

            async def chunks():
                for i in range(0, len(big), 65536):
                    yield big[i : i + 65536]

            return (
                await client.post("/", content=chunks(), headers={"X-Hub-Signature": sign(big, SECRET)})
            ).status_code

    assert anyio.run(go) == 413 and handled == [] and router.records() == []


@FUZZ
@given(
    body=st.one_of(st.binary(max_size=200), json_objects.map(lambda o: json.dumps(o).encode())),
    header=signatures,
    signed=st.booleans(),
)
def test_construct_event_raises_only_named_errors(body, header, signed):  # fmt: skip
    if signed:
        header = sign(body, SECRET)
    try:
        event = construct_event(body, header, SECRET)
    except (InvalidSignature, InvalidPayload):
        return
    assert signed and isinstance(event.raw, dict)
