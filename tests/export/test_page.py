"""The export's page reader: each fast path (msgspec's typed decoder, pyarrow's JSON reader) gives exactly what
the dict path gives, or steps aside."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import intercomkit
from intercomkit._protocol.pages import Style, _next_cursor
from intercomkit.errors import InvalidResponse, PaginationError
from intercomkit.export._page import _fast, _slow, _typed, read_page
from intercomkit.export._sinks import CUSTOM, base_columns
from intercomkit.sandbox import Sandbox

COLUMNS = base_columns("contacts")
FAST = (_typed, _fast)


def _same(raw: bytes) -> bool:
    """Assert each fast path equals the dict path on ``raw``; False when one stepped aside."""
    return all([_same_as_dict(read, raw) for read in FAST])


def _same_as_dict(read, raw: bytes) -> bool:
    fast = read(raw, COLUMNS)
    slow = _slow(json.loads(raw), COLUMNS, None)
    if fast is None:
        return False
    assert fast.ids == slow.ids
    assert fast.created == slow.created and fast.updated == slow.updated
    assert fast.custom == [a if isinstance(a, dict) else None for a in slow.custom]
    assert fast.body.get("total_count") == slow.body.get("total_count")
    assert _next_cursor(fast.body, None) == _next_cursor(slow.body, None)
    assert fast.table.schema == slow.table.schema
    for name in COLUMNS:
        assert fast.table.column(name).equals(slow.table.column(name)), name
    # The JSON text of the custom attributes may differ in spelling, never in value.
    decode = [
        [None if t is None else json.loads(t) for t in p.table.column(CUSTOM).to_pylist()]
        for p in (fast, slow)
    ]
    assert decode[0] == decode[1]
    return True


async def _pages(sb: Sandbox, per_page: int = 150) -> list[bytes]:
    async with intercomkit.AsyncClient(
        token=sb.token, base_url=sb.base_url, transport=sb.transport()
    ) as client:
        query = {"field": "created_at", "operator": ">", "value": 0}
        pages, cursor = [], None
        while True:
            pagination: dict[str, Any] = {"per_page": per_page}
            if cursor:
                pagination["starting_after"] = cursor
            raw = await client.request_raw(
                "POST", "/contacts/search", json={"query": query, "pagination": pagination}
            )
            pages.append(raw)
            cursor = _next_cursor(json.loads(raw), None)
            if cursor is None:
                return pages


@pytest.mark.anyio
async def test_sandbox_pages_take_the_fast_path_and_match_the_dict_path():
    sb = Sandbox(contacts=700, seed=3)
    async with intercomkit.AsyncClient(
        token=sb.token, base_url=sb.base_url, transport=sb.transport()
    ) as client:
        # Records changed through the API are rendered another way by the sandbox (json.dumps of the API dict).
        first = (await client.contacts.list(per_page=3).first_page()).items
        await client.contacts.update(first[0]["id"], custom_attributes={"plan_tier": 'quote " and \\ and }{'})
        await client.contacts.update(first[1]["id"], name="Zoë \u2603", custom_attributes={})
    pages = await _pages(sb)
    assert len(pages) == 5
    assert all(_same(raw) for raw in pages)


# ---------------------------------------------------------------------------------------------- generated pages

_text = st.text(alphabet=string.printable + 'é☃"\\{}[]:,\u2028', max_size=12)
_plain = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=8)
_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    _text,
)
_odd_scalar = st.one_of(_scalar, st.integers(2**63, 2**70), st.floats())
_odd = st.one_of(_odd_scalar, st.lists(_scalar, max_size=2), st.dictionaries(_plain, _scalar, max_size=2))
_stamp = st.one_of(st.integers(1, 2_000_000_000), st.integers(-5, 0), st.just(253402300800), st.none())
_odd_stamp = st.one_of(_stamp, st.floats(0, 2e9), st.integers(2**40, 2**66), _text)


def _refs(odd: bool) -> st.SearchStrategy[Any]:
    element = st.fixed_dictionaries({"type": st.just("tag"), "id": _plain, "url": _text})
    if odd:
        element = st.one_of(
            element, st.none(), st.fixed_dictionaries({"id": st.one_of(st.none(), st.integers())})
        )
    group = st.fixed_dictionaries(
        {"type": st.just("list"), "data": st.lists(element, max_size=3), "total_count": st.integers(0, 40)},
        optional={"has_more": st.booleans(), "url": _text},
    )
    if not odd:
        return st.fixed_dictionaries(
            {"type": st.just("list"), "data": st.lists(element, max_size=3), "total_count": st.integers(0, 40),
             "has_more": st.booleans()}
        )  # fmt: skip
    return st.one_of(group, st.none(), st.just({}), st.fixed_dictionaries({"data": st.lists(element)}))


def _contact(odd: bool) -> st.SearchStrategy[dict[str, Any]]:
    text = st.one_of(st.none(), _text) if not odd else st.one_of(st.none(), _text, _odd_scalar)
    stamp = _stamp if not odd else _odd_stamp
    custom = st.dictionaries(_plain, _scalar if not odd else _odd, max_size=4)
    fields = {
        "type": st.just("contact"),
        "id": _plain,
        "email": text,
        "name": text,
        "created_at": stamp,
        "updated_at": stamp,
        "last_seen_at": stamp,
        "has_hard_bounced": st.booleans() if not odd else _odd_scalar,
        "location": st.fixed_dictionaries({"country": text, "city": text})
        if not odd
        else st.one_of(st.none(), st.dictionaries(st.sampled_from(["country", "custom_attributes"]), _odd)),
        "avatar": st.one_of(st.none(), st.fixed_dictionaries({"image_url": text})),
        "tags": _refs(odd),
        "companies": _refs(odd),
        "custom_attributes": custom if not odd else st.one_of(custom, st.none(), _odd_scalar),
        "unknown_extra": _odd,
    }
    required = {k: fields[k] for k in ("type", "id")}
    return st.fixed_dictionaries(required, optional={k: v for k, v in fields.items() if k not in required})


def _page(contacts: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    body = st.fixed_dictionaries(
        {
            "type": st.just("list"),
            "data": st.lists(contacts, max_size=6),
            "total_count": st.integers(0, 10**6),
        },
        optional={
            "pages": st.fixed_dictionaries({"next": st.fixed_dictionaries({"starting_after": _plain})})
        },
    )
    ascii_only = st.booleans()
    return st.tuples(body, ascii_only).map(
        lambda b: json.dumps(b[0], separators=(",", ":"), ensure_ascii=b[1]).encode()
    )


def _strict_json(raw: bytes) -> bool:
    """No NaN / Infinity: JSON as RFC 8259 has it (Python's json module writes and reads them)."""

    def refuse(name: str) -> Any:
        raise ValueError(name)

    try:
        json.loads(raw, parse_constant=refuse)
    except ValueError:
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(_page(_contact(odd=False)))
def test_well_formed_pages_take_the_fast_path_and_match(raw):
    assert _same_as_dict(_fast, raw)
    # msgspec refuses NaN and Infinity anywhere in the page, even in a field no column reads (they are not JSON):
    # such a page goes to the dict path, which reads them as Python's json module does.
    assert _same_as_dict(_typed, raw) or not _strict_json(raw)


def test_a_page_with_infinity_in_an_unread_field_is_read_by_the_dict_path():
    raw = b'{"type":"list","total_count":1,"data":[{"type":"contact","id":"a","unknown_extra":Infinity}]}'
    assert _typed(raw, COLUMNS) is None
    assert read_page(raw, COLUMNS).ids == ["a"]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(_page(st.one_of(_contact(odd=False), _contact(odd=True))))
def test_odd_pages_match_the_dict_path_or_go_to_it(raw):
    _same(raw)


def _raw(*records: dict) -> bytes:
    """A search page holding ``records``, as compact JSON."""
    page = {"type": "list", "total_count": len(records), "data": list(records)}
    return json.dumps(page, separators=(",", ":")).encode()


def test_a_custom_attributes_key_deeper_in_a_record_sends_the_page_to_the_dict_path():
    # The second record has no custom attributes of its own but hides an object under that key: counting
    # objects against records would pair it with the wrong record, so the fast path must step aside.
    raw = _raw(
        {"type": "contact", "id": "a", "custom_attributes": {"x": 1}},
        {"type": "contact", "id": "b", "location": {"custom_attributes": {"x": 2}}},
    )
    assert _fast(raw, COLUMNS) is None
    assert read_page(raw, COLUMNS).custom == [{"x": 1}, None]
    # msgspec reads each record's own key: a deeper one is just an unread field.
    assert _same_as_dict(_typed, raw)


def test_custom_attributes_text_inside_strings_is_not_a_key():
    raw = _raw(
        {"type": "contact", "id": "a", "name": 'x","custom_attributes":{"y":2}', "custom_attributes": {}}
    )
    assert _same(raw)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"[1, 2]", InvalidResponse),
        (b"not json", InvalidResponse),
        (b'{"type":"list","data":{"id":"a"}}', PaginationError),
        (b'{"data":[{"id":"\xff"}]}', InvalidResponse),
    ],
)
def test_bodies_the_dict_path_refuses_raise_its_errors(raw, error):
    with pytest.raises(error):
        read_page(raw, COLUMNS)


def test_a_post_filter_reads_dicts():
    raw = b'{"type":"list","total_count":2,"data":[{"id":"a","name":"x"},{"id":"b","name":"y"}]}'
    page = read_page(raw, COLUMNS, post=lambda c: c["name"] == "y")
    assert page.passes == [False, True] and page.ids == ["a", "b"]


def test_empty_and_missing_data_read_as_no_records():
    for raw in (b"", b'{"type":"list","total_count":0,"data":[]}', b'{"type":"list"}'):
        page = read_page(raw, COLUMNS)
        assert page.ids == [] and page.table.num_rows == 0
    assert Style().items({}) == []


def test_records_without_custom_attributes_keep_the_others_in_place():
    raw = _raw(
        {"type": "contact", "id": "a", "custom_attributes": {"x": 1}},
        {"type": "contact", "id": "b"},
        {"type": "contact", "id": "c", "custom_attributes": None},
        {"type": "contact", "id": "d", "custom_attributes": {"y": "z"}},
    )
    assert _same(raw)
    for read in FAST:
        assert read(raw, COLUMNS).custom == [{"x": 1}, None, None, {"y": "z"}]


def test_the_typed_path_reads_nested_custom_attributes_as_they_are():
    raw = _raw(
        {"type": "contact", "id": "a", "custom_attributes": {"deep": {"x": [1, {"y": "}"}]}, "n": 2}},
        {"type": "contact", "id": "b", "custom_attributes": {"list": ["a", None]}},
    )
    page = _typed(raw, COLUMNS)
    assert page is not None and _same_as_dict(_typed, raw)
    assert page.custom == [{"deep": {"x": [1, {"y": "}"}]}, "n": 2}, {"list": ["a", None]}]


def test_the_typed_path_steps_aside_for_a_custom_attributes_scalar():
    raw = _raw({"type": "contact", "id": "a", "custom_attributes": 5})
    assert _typed(raw, COLUMNS) is None
    assert read_page(raw, COLUMNS).ids == ["a"]


def test_a_record_without_an_id_sends_the_page_to_the_dict_path():
    raw = _raw({"type": "contact", "id": "a"}, {"type": "contact", "id": None}, {"type": "contact"})
    assert _typed(raw, COLUMNS) is None and _fast(raw, COLUMNS) is None
    assert read_page(raw, COLUMNS).ids == ["a"]
