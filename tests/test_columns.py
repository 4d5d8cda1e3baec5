"""One column model: a DataFrame and an exported file (CSV read back, Parquet) agree about every column.

Contacts come from the sandbox with custom attributes rewritten per contact by hypothesis (mixed kinds, ints past
int64, integral floats, nested values), on every page the client reads: ``contacts.frame()`` walks ``GET
/contacts``, the export searches."""

from __future__ import annotations

import json

import anyio
import httpx
import pandas as pd
import pyarrow.parquet as pq
import pytest
from export_helpers import sandbox_client
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from intercomkit import _columns
from intercomkit._columns import BOOL, INT, LIST, STRING, TIMESTAMP, Schema, col
from intercomkit._frames import frame, read_contacts_csv
from intercomkit.sandbox import Sandbox

_SANDBOX = Sandbox(contacts=30, seed=5)
_IDS = sorted(_SANDBOX.contact_ids())


class CustomAttributes(httpx.AsyncBaseTransport):
    """The sandbox, with each contact's custom attributes replaced by ``attrs[id]`` in every answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, attrs: dict[str, dict]) -> None:
        self.inner, self.attrs = inner, attrs

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if response.status_code != 200 or "/contacts" not in request.url.path:
            return response
        await response.aread()
        body = json.loads(response.content)
        for record in body.get("data") or ():
            if isinstance(record, dict) and record.get("type") == "contact":
                record["custom_attributes"] = self.attrs.get(record["id"], {})
        return httpx.Response(200, headers=response.headers, content=json.dumps(body).encode())


def _plain_text(text: str) -> bool:
    # CSV carries no types: a text attribute whose every value reads as a number or a bool, or is empty, comes
    # back as that (README, "Reading the files"); such values are left to the tests of the inference itself.
    return _columns.text_kind([text]) == _columns.STRING and text != ""


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=6).filter(_plain_text)
_KINDS_OF_VALUE = [
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(2**63, 2**70),  # an id stored as a number: kept as text, every digit
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-1000, 1000).map(float),  # integral floats must stay floats
    _TEXT,
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.sampled_from("xy"), st.integers(0, 3), max_size=2),
]
# Mostly one kind per attribute (so typed columns come out, not only text ones), sometimes any mix.
_KINDS = [st.one_of(st.none(), *_KINDS_OF_VALUE)] + [st.one_of(st.none(), s) for s in _KINDS_OF_VALUE]


@st.composite
def custom_attributes(draw) -> dict[str, dict]:
    names = draw(
        st.lists(st.sampled_from(["plan", "seats", "mrr", "ref", "Zeta", "a b"]), unique=True, max_size=4)
    )
    kinds = {name: draw(st.sampled_from(_KINDS)) for name in names}
    return {
        cid: {name: draw(values) for name, values in kinds.items() if draw(st.booleans())} for cid in _IDS
    }


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("id").reset_index(drop=True)


async def _frame_and_exports(attrs: dict[str, dict], tmp) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    async with sandbox_client(_SANDBOX, CustomAttributes(_SANDBOX.transport(), attrs)) as client:
        frame = await client.contacts.frame(progress=False)
        await client.export.contacts(tmp / "c.csv", progress=False, resume=False)
        await client.export.contacts(tmp / "c.parquet", progress=False, resume=False)
    parquet = pq.read_table(tmp / "c.parquet").to_pandas(types_mapper=_nullable)
    return _sorted(frame), _sorted(read_contacts_csv(tmp / "c.csv")), _sorted(parquet)


def _nullable(arrow_type):
    import pyarrow as pa

    return {
        pa.string(): pd.StringDtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.float64(): pd.Float64Dtype(),
    }.get(arrow_type)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@example(
    attrs={
        cid: {
            "mrr": float(i),
            "ref": 2**64 + i,
            "seats": i,
            "vip": i % 2 == 0,
            "plan": ["free", {"a": 1}, 3][i % 3],
        }
        for i, cid in enumerate(_IDS)
    }
)
@given(attrs=custom_attributes())
def test_frame_csv_and_parquet_agree_on_every_column(attrs, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    frame, csv, parquet = anyio.run(_frame_and_exports, attrs, tmp)
    lists = [c for c in frame.columns if frame[c].dtype == object]
    assert list(csv.columns) == list(parquet.columns) == list(frame.columns)
    for other in (csv, parquet):
        pd.testing.assert_frame_equal(other.drop(columns=lists), frame.drop(columns=lists))
        for column in lists:
            assert [None if v is None else list(v) for v in other[column]] == frame[column].tolist(), column


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([True, None, False], "bool"),
        ([1, 2**63 - 1], "int"),
        ([1, 2.5], "float"),
        ([1, 2**63], "string"),  # past int64: every digit kept as text
        ([1, "1"], "string"),
        ([True, 1], "string"),
        ([{"a": 1}], "string"),
        ([None], "string"),
    ],
)
def test_custom_kind_from_values_and_from_pages_is_one_rule(values, kind):
    assert _columns.custom_kind(_columns.tags(values)) == kind
    seen: dict[str, set[str]] = {}
    for v in values:  # an export sees the values page by page
        _columns.observe([{"x": v}, None, "not an object"], seen)
    assert _columns.custom_kind(seen.get("x", ())) == kind


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("timestamp", 1709647200),
        ("bool", False),
        ("int", -(2**63)),
        ("float", 2.0),
        ("float", 1e-07),
        ("list", ["a", 'b"c']),
        ("string", "x,y\n"),
    ],
)
def test_text_reads_back_as_the_same_kind_and_value(kind, value):
    text = _columns.text(kind, value)
    assert _columns.text_kind([text]) == ("string" if kind in ("timestamp", "list") else kind)
    assert _columns.parse_text(kind, text) == value


def test_text_kind_keeps_digits_past_int64_as_text():
    assert _columns.text_kind([str(2**63)]) == "string"
    assert _columns.text_kind(["1", "2.5"]) == "float"
    assert _columns.text_kind(["nan", "1"]) == "string"


def test_a_new_resource_is_a_schema():
    # Conversation-shaped records: a nested statistic, a list of ids inside an object, a fallback path.
    conversations = Schema(
        "conversations",
        (
            col("id", STRING),
            col("created_at", TIMESTAMP),
            col("open", BOOL),
            col("time_to_admin_reply", INT, "statistics.time_to_admin_reply"),
            col("contact_ids", LIST, "contacts.contacts[].id"),
            col("channel", STRING, "channel.current", fallback="source.type"),
        ),
    )
    records = [
        {
            "id": 1,
            "created_at": 1709647200,
            "open": True,
            "statistics": {"time_to_admin_reply": 90},
            "contacts": {"contacts": [{"id": "a"}, {"id": 7}, {"x": 1}]},
            "channel": {"current": "email"},
            "custom_attributes": {"tier": 2},
        },
        {"id": "2", "open": "yes", "statistics": None, "source": {"type": "chat"}, "contacts": {}},
    ]
    df = frame(conversations, records)
    assert df.columns.tolist() == [c.name for c in conversations.columns] + ["custom.tier"]
    assert df["id"].tolist() == ["1", "2"] and str(df["created_at"].dtype) == "datetime64[us, UTC]"
    assert df["open"].tolist() == [True, pd.NA] and df["time_to_admin_reply"].tolist() == [90, pd.NA]
    assert df["contact_ids"].tolist() == [["a", "7"], None]
    assert df["channel"].tolist() == ["email", "chat"] and str(df["custom.tier"].dtype) == "Int64"


def test_the_parts_schema_is_the_parts_frames_columns():
    """The parts export and ``parts_frame`` write the same columns of the same kinds."""
    from intercomkit._columns import PARTS
    from intercomkit._frames import parts_frame

    assert list(parts_frame([]).columns) == list(PARTS.kinds) and PARTS.custom is None
