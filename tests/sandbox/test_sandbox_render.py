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


def test_render_cache_gives_the_same_pages_and_forgets_on_any_change() -> None:
    plain, cached = (
        Sandbox(contacts=400, companies=5, seed=2),
        Sandbox(contacts=400, companies=5, seed=2, render_cache=True),
    )
    cached.warm()
    assert len(cached._store.json_cache()) == 400

    def page(sb: Sandbox, indices: list[int]) -> dict:
        return json.loads(list_json(sb._store, indices, 400, {}))

    indices = list(range(0, 400, 7))
    assert page(cached, indices) == page(plain, indices)
    for sb in (plain, cached):
        sb._store.update_contact(7, {"name": "Changed"})
        sb._store.delete_company(0)  # shows in every contact that embeds it
    assert cached._store.json_cache() == {}
    assert page(cached, indices) == page(plain, indices)
    assert page(cached, [7])["data"][0]["name"] == "Changed"
    assert 7 not in cached._store.json_cache()  # changed records are rendered from their dict, never kept


def test_warm_needs_the_cache() -> None:
    with pytest.raises(ValueError, match="render_cache"):
        Sandbox(contacts=10).warm()
