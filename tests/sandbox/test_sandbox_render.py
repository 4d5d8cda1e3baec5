"""The page fast path (contacts written straight to JSON text) must say exactly what render_contact says."""

from __future__ import annotations

import json

import pytest

from intercomkit.sandbox import Sandbox
from intercomkit.sandbox._data import contact_draws
from intercomkit.sandbox._render import contact_json, list_json


@pytest.mark.parametrize("seed", [0, 7])
def test_contact_json_equals_render_contact(seed: int) -> None:
    sb = Sandbox(contacts=3_000, companies=40, seed=seed)
    store = sb._store
    indices = list(range(0, 3_000, 3))
    for i, rec in zip(indices, store.contact_records(indices), strict=True):
        expected = store.render_contact(store.contact_record(i))
        assert rec == store.contact_record(i)
        got = json.loads(contact_json(store, i))
        assert got == expected and list(got) == list(expected)


def test_changed_and_deleted_company_contacts_still_match() -> None:
    sb = Sandbox(contacts=500, companies=5, seed=1)
    store = sb._store
    store.update_contact(3, {"name": 'Zoë "Q" \\ Test', "custom_attributes": {"nested": {"a": [1, 2]}}})
    store.delete_company(0)
    for i in range(20):
        expected = store.render_contact(store.contact_record(i))
        assert json.loads(contact_json(store, i)) == expected
    body = json.loads(list_json(store, list(range(10)), 500, {"type": "pages", "page": 1}))
    assert [c["id"] for c in body["data"]] == [store.contact_record(i)["id"] for i in range(10)]
    assert body["total_count"] == 500 and body["pages"] == {"type": "pages", "page": 1}


def test_draws_do_not_depend_on_the_page() -> None:
    together = contact_draws(3, [5, 9, 1_000_000])
    assert together[1] == contact_draws(3, [9])[0]
    assert together[2] == contact_draws(3, [1_000_000])[0]
    assert contact_draws(3, [5]) != contact_draws(4, [5])
    assert all(0.0 <= x < 1.0 for row in together for x in row)
