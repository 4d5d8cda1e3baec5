"""One schema across workspaces: custom attributes that differ between workspaces fold into one JSON column."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa

from intercomkit.fleet import CUSTOM_COLUMN
from intercomkit.fleet._schema import fleet_table


def test_workspaces_with_different_custom_attributes_get_one_schema():
    one = pa.table(
        {
            "id": ["a", "b"],
            "tags.count": pa.array([1, None], pa.int64()),
            "custom.seats": pa.array([3, None], pa.int64()),
            "custom.plan": ["pro", "free"],
        }
    )
    two = pa.table(
        {
            "id": ["c"],
            "tags.count": pa.array([2], pa.int64()),
            "custom.seats": ["many"],
            "custom.trial_ends_at": pa.array(
                [datetime(2025, 3, 5, 14, tzinfo=UTC)], pa.timestamp("us", "UTC")
            ),
        }
    )
    three = pa.table({"id": ["d"], "tags.count": pa.array([0], pa.int64())})
    folded = [fleet_table(t) for t in (one, two, three)]
    assert folded[0].schema == folded[1].schema == folded[2].schema
    assert folded[0].column_names == ["id", "tags.count", CUSTOM_COLUMN]
    assert [json.loads(v) for v in folded[0].column(CUSTOM_COLUMN).to_pylist()] == [
        {"plan": "pro", "seats": 3},
        {"plan": "free"},
    ]
    assert folded[0].column(CUSTOM_COLUMN).to_pylist()[0] == '{"plan":"pro","seats":3}'  # keys sorted
    assert json.loads(folded[1].column(CUSTOM_COLUMN)[0].as_py()) == {
        "seats": "many",
        "trial_ends_at": "2025-03-05T14:00:00Z",
    }
    assert folded[2].column(CUSTOM_COLUMN).to_pylist() == ["{}"]
    assert pa.concat_tables(folded).num_rows == 4


def test_a_column_with_no_type_becomes_text():
    table = pa.table({"id": ["a"], "phone": pa.array([None], pa.null())})
    assert fleet_table(table).schema.field("phone").type == pa.string()


def test_ticket_attributes_fold_into_their_own_column_and_parts_have_none():
    # Each workspace has its own ticket types: ``attr.<name>`` columns differ between workspaces as much as
    # contacts' custom attributes do, and conversations' ``custom.<name>`` are typed by each workspace's
    # data attributes.
    one = pa.table(
        {"id": ["1"], "attr.severity": pa.array([3], pa.int64()), "attr._default_title_": ["Broken"]}
    )
    two = pa.table({"id": ["1"], "attr.severity": ["high"]})
    folded = [fleet_table(t, "tickets") for t in (one, two)]
    assert folded[0].schema == folded[1].schema
    assert folded[0].column_names == ["id", "ticket_attributes"]
    assert folded[0].column("ticket_attributes").to_pylist() == ['{"_default_title_":"Broken","severity":3}']
    convs = [
        fleet_table(
            pa.table({"id": ["1"], "custom.order_value": pa.array([5], pa.int64())}), "conversations"
        ),
        fleet_table(pa.table({"id": ["2"], "custom.order_value": ["5.00 EUR"]}), "conversations"),
    ]
    assert convs[0].schema == convs[1].schema and convs[0].column_names == ["id", CUSTOM_COLUMN]
    parts = pa.table({"conversation_id": ["1"], "id": ["p1"], "body": ["hi"]})
    assert fleet_table(parts, "conversation_parts").column_names == ["conversation_id", "id", "body"]
