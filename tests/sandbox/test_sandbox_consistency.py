"""The sandbox's data agree with themselves, through the API and validated against the 2.16 spec: a company's
``user_count`` is the number of contacts ``GET /companies/{id}/contacts`` lists, a contact's embedded companies and
tags (``total_count``, ``has_more``) match their own endpoints, also after attach, detach and delete."""

from __future__ import annotations

import httpx
import pytest

from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio

# "companies attached to a contact . Up to 10 will be displayed here. Use the url to get more." and has_more:
# "Whether there's more Addressable Objects to be viewed. If true, use the url to view all" (tags alike).
EMBEDDED = 10


async def _company_members(http: httpx.AsyncClient, check, company_id: str) -> tuple[list[str], int]:
    """Every contact id of a company, walking its pages, and the total_count it reports."""
    members: list[str] = []
    cursor = None
    totals = set()
    while True:
        params = {"per_page": 7, **({"starting_after": cursor} if cursor else {})}
        page = check(
            "get",
            "/companies/{company_id}/contacts",
            await http.get(f"/companies/{company_id}/contacts", params=params),
        )
        members += [c["id"] for c in page["data"]]
        totals.add(page["total_count"])
        cursor = (page["pages"].get("next") or {}).get("starting_after")
        if not cursor:
            break
    assert len(totals) == 1, f"total_count changed during the walk: {totals}"
    return members, totals.pop()


async def _assert_consistent(sb: Sandbox, http: httpx.AsyncClient, check) -> None:
    members_of: dict[str, set[str]] = {}
    for company_id in sb.company_ids():
        company = check("get", "/companies/{company_id}", await http.get(f"/companies/{company_id}"))
        members, total = await _company_members(http, check, company_id)
        assert len(members) == len(set(members)) == total == company["user_count"], company_id
        members_of[company_id] = set(members)

    attached: dict[str, set[str]] = {c: set() for c in members_of}
    for contact_id in sb.contact_ids():
        contact = check("get", "/contacts/{contact_id}", await http.get(f"/contacts/{contact_id}"))
        listed = check(
            "get", "/contacts/{contact_id}/companies", await http.get(f"/contacts/{contact_id}/companies")
        )
        embedded = contact["companies"]
        ids = [c["id"] for c in listed["data"]]
        assert embedded["total_count"] == listed["total_count"] == len(ids)
        assert embedded["has_more"] == (len(ids) > EMBEDDED)
        assert [c["id"] for c in embedded["data"]] == ids[:EMBEDDED]
        for company_id in ids:
            attached[company_id].add(contact_id)

        tags = check("get", "/contacts/{contact_id}/tags", await http.get(f"/contacts/{contact_id}/tags"))
        tag_ids = [t["id"] for t in tags["data"]]
        assert contact["tags"]["total_count"] == len(tag_ids)
        assert contact["tags"]["has_more"] == (len(tag_ids) > EMBEDDED)
        assert [t["id"] for t in contact["tags"]["data"]] == tag_ids[:EMBEDDED]

    # Both directions of the membership agree: contacts of a company = contacts listing that company.
    assert attached == members_of


async def test_counts_agree_in_a_generated_workspace(make_client, check):
    sb = Sandbox(contacts=150, companies=12, seed=5)
    async with make_client(sb) as http:
        counts = [sb.get_company(c)["user_count"] for c in sb.company_ids()]
        assert sum(counts) > 0 and len(set(counts)) > 1  # real, varied counts, not all zero
        await _assert_consistent(sb, http, check)


async def test_counts_agree_after_attach_detach_and_delete(make_client, check):
    sb = Sandbox(contacts=60, companies=14, seed=2)
    async with make_client(sb) as http:
        companies = sb.company_ids()
        busy, other, gone = sb.contact_ids()[:3]
        for company_id in companies[:12]:  # more than the 10 a contact embeds: has_more
            r = await http.post(f"/contacts/{busy}/companies", json={"id": company_id})
            check("post", "/contacts/{contact_id}/companies", r)
        await http.post(f"/contacts/{busy}/companies", json={"id": companies[0]})  # twice: no double count
        r = await http.delete(f"/contacts/{busy}/companies/{companies[1]}")
        check("delete", "/contacts/{contact_id}/companies/{company_id}", r)
        await http.post(f"/contacts/{other}/companies", json={"id": companies[5]})
        await http.post(f"/contacts/{gone}/companies", json={"id": companies[5]})
        r = await http.delete(f"/contacts/{gone}")
        check("delete", "/contacts/{contact_id}", r)
        created = check(
            "post", "/companies", await http.post("/companies", json={"company_id": "new-co", "name": "New"})
        )
        assert created["user_count"] == 0
        await http.post(f"/contacts/{other}/companies", json={"id": created["id"]})
        updated = check(
            "put", "/companies/{company_id}", await http.put(f"/companies/{created['id']}", json={})
        )
        assert updated["user_count"] == 1
        contact = check("get", "/contacts/{contact_id}", await http.get(f"/contacts/{busy}"))
        assert contact["companies"]["total_count"] >= 11 and contact["companies"]["has_more"]
        await _assert_consistent(sb, http, check)


async def test_company_tags_filter_agrees_with_each_companys_tags(make_client, check):
    sb = Sandbox(contacts=20, companies=40, seed=4)
    async with make_client(sb) as http:
        tagged: dict[str, set[str]] = {}
        for company_id in sb.company_ids():
            for tag in sb.get_company(company_id)["tags"]["tags"]:
                tagged.setdefault(tag["id"], set()).add(company_id)
        assert tagged
        for tag_id, expected in tagged.items():
            listed = check(
                "get", "/companies", await http.get("/companies", params={"tag_id": tag_id, "per_page": 60})
            )
            assert {c["id"] for c in listed["data"]} == expected
            assert listed["total_count"] == len(expected)


async def test_counts_agree_after_a_merge_archive_and_tagging(make_client, check):
    """A merge moves the lead's companies and tags to the user (and removes the lead): counts still agree."""
    sb = Sandbox(contacts=60, companies=10, seed=7)
    async with make_client(sb) as http:
        contacts = [sb.get_contact(c) for c in sb.contact_ids()]
        lead = next(c for c in contacts if c["role"] == "lead" and c["companies"]["total_count"])
        user = next(c for c in contacts if c["role"] == "user")
        await http.post(f"/contacts/{lead['id']}/companies", json={"id": sb.company_ids()[-1]})
        await http.post(f"/contacts/{lead['id']}/tags", json={"id": sb.tag_ids[0]})
        body = {"from": lead["id"], "into": user["id"], "skip_duplicate_validation": True}
        merged = check("post", "/contacts/merge", await http.post("/contacts/merge", json=body))
        assert (
            sb.company_ids()[-1] in {c["id"] for c in merged["companies"]["data"]}
            or merged["companies"]["has_more"]
        )
        await http.post(f"/contacts/{contacts[0]['id']}/archive")
        await _assert_consistent(sb, http, check)
