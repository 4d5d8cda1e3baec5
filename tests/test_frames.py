from __future__ import annotations

import csv
import gc

import pandas as pd
import pyarrow as pa
import pytest

from intercomkit import _columns
from intercomkit._frames import (
    ADMIN_COLUMNS,
    COMPANY_COLUMNS,
    CONTACT_COLUMNS,
    admins_frame,
    companies_frame,
    contacts_frame,
    read_contacts_csv,
    records_frame,
    table,
)
from intercomkit._models import Contact

T = 1709647200  # 2024-03-05 14:00 UTC


def _contact(i: int, **extra):
    base = {
        "type": "contact",
        "id": f"c{i}",
        "email": f"u{i}@acme.com",
        "role": "user",
        "created_at": T + i,
        "updated_at": T + i,
        "signed_up_at": None,
        "last_seen_at": 0,
        "has_hard_bounced": False,
        "location": {"type": "location", "country": "Ireland", "region": None, "city": "Dublin"},
        "tags": {
            "type": "list",
            "data": [{"id": str(t), "type": "tag"} for t in range(10)],
            "has_more": True,
            "total_count": 12,
        },
        "companies": {"type": "list", "data": [], "has_more": False, "total_count": 0},
        "custom_attributes": {},
    }
    base.update(extra)
    return base


def test_schema_order_and_dtypes():
    df = contacts_frame([_contact(1), _contact(2)])
    assert list(df.columns[: len(CONTACT_COLUMNS)]) == list(CONTACT_COLUMNS)
    for name, dtype in CONTACT_COLUMNS.items():
        assert str(df[name].dtype) == str(pd.Series([], dtype=dtype).dtype), name
    assert df["id"].tolist() == ["c1", "c2"]
    assert df["created_at"].iloc[0] == pd.Timestamp(T + 1, unit="s", tz="UTC")
    assert df["has_hard_bounced"].iloc[0] is False or df["has_hard_bounced"].iloc[0] == False  # noqa: E712


def test_null_and_zero_timestamps_are_nat():
    df = contacts_frame([_contact(1, updated_at="soon")])
    assert (
        df["signed_up_at"].isna().all() and df["last_seen_at"].isna().all() and df["updated_at"].isna().all()
    )


def test_timestamps_past_year_9999_are_nat_when_every_value_is_an_int():
    # All-int columns take a shortcut past the per-value cleaning; it must keep the same upper bound.
    df = contacts_frame([_contact(1, updated_at=2**62), _contact(2, updated_at=253402300800)])
    assert df["updated_at"].isna().all()
    assert contacts_frame([_contact(3, updated_at=253402300799)])["updated_at"].notna().all()


def test_refs_count_ids_has_more():
    df = contacts_frame([_contact(1), {"id": "bare"}])
    assert df["tags.count"].tolist()[0] == 12 and df["tags.ids"][0] == [str(t) for t in range(10)]
    assert bool(df["tags.has_more"][0]) and not bool(df["companies.has_more"][0])
    assert df["companies.count"][0] == 0 and df["companies.ids"][0] == []
    assert df["tags.count"].isna()[1] and df["tags.ids"][1] is None and df["tags.has_more"].isna()[1]


def test_custom_attributes_flattened_with_gaps_and_mixed_types():
    items = [
        _contact(
            1,
            custom_attributes={
                "plan": "pro",
                "seats": 3,
                "mixed": 1,
                "ratio": 1,
                "flag": True,
                "d": {"a": 1},
            },
        ),
        _contact(2, custom_attributes={"mixed": "x", "ratio": 2.5}),
        _contact(3, custom_attributes=None),
    ]
    df = contacts_frame(items)
    custom = [c for c in df.columns if c.startswith("custom.")]
    assert custom == sorted(custom) and df.columns[-len(custom) :].tolist() == custom
    assert str(df["custom.seats"].dtype) == "Int64" and df["custom.seats"].isna().tolist() == [
        False,
        True,
        True,
    ]
    assert str(df["custom.ratio"].dtype) == "Float64"
    assert str(df["custom.flag"].dtype) == "boolean"
    assert df["custom.mixed"].tolist()[:2] == ["1", "x"] and df["custom.d"][0] == '{"a":1}'
    assert pd.api.types.is_string_dtype(df["custom.plan"])


def test_empty_input_gives_full_schema():
    for fn, cols in (
        (contacts_frame, CONTACT_COLUMNS),
        (companies_frame, COMPANY_COLUMNS),
        (admins_frame, ADMIN_COLUMNS),
    ):
        df = fn([])
        assert len(df) == 0 and list(df.columns) == list(cols)
        assert {k: str(v) for k, v in df.dtypes.items()} == {
            k: str(pd.Series([], dtype=v).dtype) for k, v in cols.items()
        }


def test_accepts_models_and_pages():
    page = {"type": "list", "data": [_contact(1), _contact(2)], "pages": {}}
    assert contacts_frame([page, Contact(_contact(3))])["id"].tolist() == ["c1", "c2", "c3"]


def test_pyarrow_backend_and_table():
    df = contacts_frame([_contact(1, custom_attributes={"seats": 2})], dtype_backend="pyarrow")
    assert all(isinstance(t, pd.ArrowDtype) for t in df.dtypes)
    assert df["created_at"].dtype == pd.ArrowDtype(pa.timestamp("us", tz="UTC"))
    arrow = table(_columns.CONTACTS, [_contact(1, custom_attributes={"seats": 2})])
    assert arrow.schema.field("tags.ids").type == pa.list_(pa.string())
    assert arrow.column_names == df.columns.tolist()
    empty = table(_columns.CONTACTS, [])
    assert empty.num_rows == 0 and empty.column_names == list(CONTACT_COLUMNS)
    with pytest.raises(ValueError, match="dtype_backend"):
        contacts_frame([], dtype_backend="numpy")


def test_companies_and_records():
    co = companies_frame(
        [
            {
                "id": "1",
                "plan": {"id": "p", "name": "Pro"},
                "size": 5,
                "monthly_spend": 9,
                "tags": {"type": "tag.list", "tags": [{"id": "t"}]},
            }
        ]
    )
    assert co["plan.name"][0] == "Pro" and co["monthly_spend"][0] == 9.0 and co["tags.ids"][0] == ["t"]
    rec = records_frame([{"id": "1", "a": {"b": 2}}, {"id": "2", "a": {"b": None}}])
    assert rec.columns.tolist() == ["id", "a.b"] and str(rec["a.b"].dtype) == "Int64"


def test_csv_roundtrip_with_schema(tmp_path):
    items = [_contact(1, custom_attributes={"seats": 3, "plan": "pro", "vip": True}), _contact(2, email=None)]
    columns = list(contacts_frame(items).columns)
    path = tmp_path / "contacts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        built = _columns.read(_columns.CONTACTS, items)
        values = [(k, v.rows() if isinstance(v, _columns.Lists) else v) for k, v in built.values()]
        writer.writerows(zip(*(map(_columns.text, [k] * len(v), v) for k, v in values), strict=True))
    back = read_contacts_csv(path)
    expected = contacts_frame(items)
    pd.testing.assert_frame_equal(
        back.drop(columns=[c for c in columns if c.endswith(".ids")]),
        expected.drop(columns=[c for c in columns if c.endswith(".ids")]),
    )
    assert back["tags.ids"][0] == expected["tags.ids"][0]


@pytest.mark.parametrize(
    "build", [contacts_frame, lambda rs: table(_columns.CONTACTS, rs)], ids=["frame", "table"]
)
def test_building_leaves_no_cyclic_garbage(build):
    # Garbage in a reference cycle waits for the cyclic GC and keeps what it refers to until then (a recursive
    # helper in the column model held a list per nested path, a slot per record): the build must be freed by
    # reference counting alone. The collector is paused only to see what it would have found.
    records = [_contact(i) for i in range(50)]
    build(records)  # first call: pandas' lazy imports and caches
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        build(records)
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()
