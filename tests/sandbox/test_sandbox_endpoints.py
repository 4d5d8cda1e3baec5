"""Every sandbox endpoint, success and error, with bodies validated against the Intercom 2.16 spec."""

from __future__ import annotations

import pytest

from intercomkit.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def test_me_and_admins(sb, http, check):
    me = check("get", "/me", await http.get("/me"))
    assert me["id"] == sb.admin_ids[0] and me["app"]["type"] == "app"
    admins = check("get", "/admins", await http.get("/admins"))
    assert [a["id"] for a in admins["admins"]] == sb.admin_ids
    one = check("get", "/admins/{admin_id}", await http.get(f"/admins/{sb.admin_ids[1]}"))
    assert one["id"] == sb.admin_ids[1]
    missing = await http.get("/admins/1")
    assert missing.status_code == 404
    check("get", "/admins/{admin_id}", missing)


async def test_auth_and_unknown_paths(sb, check, make_client):
    http_client = make_client
    async with http_client(sb, token="wrong") as bad:
        r = await bad.get("/contacts")
    assert r.status_code == 401
    body = check("get", "/contacts", r)
    assert body["errors"] == [{"code": "unauthorized", "message": "Access Token Invalid"}]
    async with http_client(sb) as http:
        r = await http.get("/contacts", headers={"Authorization": ""})
        assert r.status_code == 401
        r = await http.get("/no/such/thing")
        assert r.status_code == 404 and r.json()["errors"][0]["code"] == "not_found"
        r = await http.patch("/contacts")
        assert r.status_code == 405 and r.json()["type"] == "error.list"
        r = await http.get("/contacts")
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(r.headers)


async def test_contact_get_update_delete(sb, http, check):
    cid = sb.contact_ids()[5]
    got = check("get", "/contacts/{contact_id}", await http.get(f"/contacts/{cid}"))
    assert got == sb.get_contact(cid)
    assert got["tags"]["total_count"] >= len(got["tags"]["data"])
    seen = []
    sb.on_change.append(lambda topic, item: seen.append((topic, item["id"])))
    r = await http.put(
        f"/contacts/{cid}",
        json={"name": "", "unsubscribed_from_emails": False, "custom_attributes": {"seats": 0, "vip": True}},
    )
    upd = check("put", "/contacts/{contact_id}", r)
    assert upd["name"] == "" and upd["unsubscribed_from_emails"] is False
    assert upd["custom_attributes"]["seats"] == 0 and upd["custom_attributes"]["vip"] is True
    assert upd["updated_at"] >= got["updated_at"] and upd["created_at"] == got["created_at"]
    assert seen == [(f"contact.{got['role']}.updated", cid)]
    r = await http.put(f"/contacts/{cid}", json={"role": "admin"})
    assert r.status_code == 400
    gone = check("delete", "/contacts/{contact_id}", await http.delete(f"/contacts/{cid}"))
    assert gone == {"type": "contact", "id": cid, "external_id": got["external_id"], "deleted": True}
    assert cid not in sb.contact_ids() and sb.get_contact(cid) is None
    for method in ("get", "put", "delete"):
        r = await http.request(method.upper(), f"/contacts/{cid}", json={} if method == "put" else None)
        assert r.status_code == 404
        assert r.json()["errors"][0]["code"] == "not_found"
    assert (await http.get("/contacts/not-an-id")).status_code == 404


async def test_create_contact_and_duplicates(sb, http, check):
    events = []
    sb.on_change.append(lambda topic, item: events.append(topic))
    r = await http.post(
        "/contacts", json={"email": "new.person@example.com", "external_id": "ext-1", "name": "N"}
    )
    new = check("post", "/contacts", r)
    assert new["role"] == "user" and new["email_domain"] == "example.com"
    assert new["id"] in sb.contact_ids() and events == ["contact.user.created"]
    lead = check("post", "/contacts", await http.post("/contacts", json={"role": "lead"}))
    assert lead["role"] == "lead" and events[-1] == "contact.lead.created"
    # external_id is "A unique identifier for the contact": a new or a generated one conflicts, naming the owner
    existing = next(c for c in map(sb.get_contact, sb.contact_ids()) if c["external_id"])
    for body, owner in (
        ({"external_id": "ext-1"}, new["id"]),
        ({"external_id": existing["external_id"], "email": "someone.else@example.com"}, existing["id"]),
    ):
        r = await http.post("/contacts", json=body)
        assert r.status_code == 409
        assert (
            r.json()["errors"][0]["message"]
            == f"A contact matching those details already exists with id={owner}"
        )
    r = await http.put(f"/contacts/{lead['id']}", json={"external_id": "ext-1"})
    assert r.status_code == 409
    # an email is not unique: a lead, or a user with another external_id, may share one
    for body in (
        {"role": "lead", "email": existing["email"]},
        {"email": existing["email"].upper(), "external_id": "ext-2"},
    ):
        twin = check("post", "/contacts", await http.post("/contacts", json=body))
        assert twin["id"] not in (existing["id"], new["id"])
    assert check(
        "put",
        "/contacts/{contact_id}",
        await http.put(f"/contacts/{lead['id']}", json={"email": new["email"]}),
    )
    # a lead may become a user; a user never becomes a lead (only "a contact with a `role` of `lead`" merges
    # "into a contact with a `role` of `user`")
    r = await http.put(f"/contacts/{new['id']}", json={"role": "lead"})
    assert (
        r.status_code == 400
        and "cannot be converted" in check("put", "/contacts/{contact_id}", r)["errors"][0]["message"]
    )
    converted = check(
        "put", "/contacts/{contact_id}", await http.put(f"/contacts/{lead['id']}", json={"role": "user"})
    )
    assert converted["role"] == "user"
    assert (await http.post("/contacts", json={"name": "no key"})).status_code == 400
    assert (await http.post("/contacts", content=b"{not json")).status_code == 400
    assert (await http.post("/contacts", json={"email": 5})).status_code == 400


async def test_find_by_external_id_archive_tags_notes(sb, http, check):
    user = next(c for c in map(sb.get_contact, sb.contact_ids()) if c["external_id"])
    path = "/contacts/find_by_external_id/{external_id}"
    found = check("get", path, await http.get(f"/contacts/find_by_external_id/{user['external_id']}"))
    assert found["id"] == user["id"]
    assert (await http.get("/contacts/find_by_external_id/nobody")).status_code == 404
    cid = user["id"]
    arch = check("post", "/contacts/{contact_id}/archive", await http.post(f"/contacts/{cid}/archive"))
    assert arch["archived"] is True
    un = check("post", "/contacts/{contact_id}/unarchive", await http.post(f"/contacts/{cid}/unarchive"))
    assert un["archived"] is False
    # a contact with more than 10 tags shows 10 embedded with has_more, all via /tags
    many = next(c for c in map(sb.get_contact, sb.contact_ids()) if c["tags"]["has_more"])
    assert len(many["tags"]["data"]) == 10 and many["tags"]["total_count"] > 10
    tags = check("get", "/contacts/{contact_id}/tags", await http.get(f"/contacts/{many['id']}/tags"))
    assert len(tags["data"]) == many["tags"]["total_count"]
    with_notes = next(c for c in map(sb.get_contact, sb.contact_ids()) if c["notes"]["total_count"])
    notes = check(
        "get", "/contacts/{contact_id}/notes", await http.get(f"/contacts/{with_notes['id']}/notes")
    )
    assert notes["total_count"] == with_notes["notes"]["total_count"]
    assert notes["data"][0]["author"]["type"] == "admin"
    for sub in ("tags", "notes", "companies"):
        assert (await http.get(f"/contacts/000000000000000000000000/{sub}")).status_code == 404


async def test_contact_companies_attach_detach(sb, http, check):
    cid = next(c["id"] for c in map(sb.get_contact, sb.contact_ids()) if not c["companies"]["data"])
    company = sb.company_ids()[3]
    path = "/contacts/{contact_id}/companies"
    listed = check("get", path, await http.get(f"/contacts/{cid}/companies"))
    assert listed["companies"] == [] and listed["total_count"] == 0
    att = check("post", path, await http.post(f"/contacts/{cid}/companies", json={"id": company}))
    assert att["id"] == company
    listed = check("get", path, await http.get(f"/contacts/{cid}/companies"))
    assert [c["id"] for c in listed["companies"]] == [company]
    assert sb.get_contact(cid)["companies"]["data"][0]["id"] == company
    members = check(
        "get", "/companies/{company_id}/contacts", await http.get(f"/companies/{company}/contacts")
    )
    assert cid in [c["id"] for c in members["data"]]
    r = await http.post(f"/contacts/{cid}/companies", json={"id": "000000000000000000000000"})
    assert r.status_code == 404
    check("post", path, r)
    assert (await http.post(f"/contacts/{cid}/companies", json={})).status_code == 400
    det_path = "/contacts/{contact_id}/companies/{company_id}"
    det = check("delete", det_path, await http.delete(f"/contacts/{cid}/companies/{company}"))
    assert det["id"] == company
    assert (await http.delete(f"/contacts/{cid}/companies/{company}")).status_code == 404
    assert sb.get_contact(cid)["companies"]["data"] == []


async def test_companies_crud(sb, http, check):
    events = []
    sb.on_change.append(lambda topic, item: events.append((topic, item["company_id"])))
    created = check(
        "post", "/companies", await http.post("/companies", json={"company_id": "acme-1", "name": "Acme"})
    )
    assert created["name"] == "Acme" and created["id"] in sb.company_ids()
    again = check(
        "post",
        "/companies",
        await http.post(
            "/companies", json={"company_id": "acme-1", "plan": "Pro", "custom_attributes": {"a": "b"}}
        ),
    )
    assert again["id"] == created["id"] and again["plan"]["name"] == "Pro" and again["name"] == "Acme"
    assert events == [("company.created", "acme-1"), ("company.updated", "acme-1")]
    generated = sb.get_company(sb.company_ids()[0])
    up = check(
        "post",
        "/companies",
        await http.post("/companies", json={"company_id": generated["company_id"], "size": 0}),
    )
    assert up["id"] == generated["id"] and up["size"] == 0
    path = "/companies/{company_id}"
    got = check("get", path, await http.get(f"/companies/{created['id']}"))
    assert got == again
    put = check(
        "put", path, await http.put(f"/companies/{created['id']}", json={"monthly_spend": 0, "name": "A2"})
    )
    assert put["monthly_spend"] == 0 and put["name"] == "A2"
    assert (await http.put(f"/companies/{created['id']}", json={"size": "big"})).status_code == 400
    assert (
        await http.post("/companies", json={"custom_attributes": {"x": 1}, "company_id": "z"})
    ).status_code == 400
    deleted = check("delete", path, await http.delete(f"/companies/{created['id']}"))
    assert deleted == {"id": created["id"], "object": "company", "deleted": True}
    for method in ("GET", "PUT", "DELETE"):
        r = await http.request(method, f"/companies/{created['id']}", json={} if method == "PUT" else None)
        assert r.status_code == 404
        check(method, path, r)
    by_cid = check(
        "get", "/companies", await http.get("/companies", params={"company_id": generated["company_id"]})
    )
    assert [c["id"] for c in by_cid["data"]] == [generated["id"]]
    assert (await http.get("/companies", params={"company_id": "nope"})).status_code == 404
    listed = check("get", "/companies", await http.get("/companies", params={"per_page": 5}))
    assert len(listed["data"]) == 5 and listed["total_count"] == len(sb.company_ids())
    # "the API does not include companies who have no associated users in list responses" (POST /companies/list)
    with_users = [
        c
        for c in sb.company_ids()
        if (await http.get(f"/companies/{c}/contacts", params={"per_page": 1})).json()["total_count"]
    ]
    all_listed = check("post", "/companies/list", await http.post("/companies/list", params={"per_page": 5}))
    assert all_listed["total_count"] == len(with_users) < len(sb.company_ids())


async def test_company_contacts_matches_contact_view(sb, http, check):
    company = sb.company_ids()[2]
    members = []
    cursor = None
    while True:
        params = {"per_page": 4, **({"starting_after": cursor} if cursor else {})}
        page = check(
            "get",
            "/companies/{company_id}/contacts",
            await http.get(f"/companies/{company}/contacts", params=params),
        )
        members += [c["id"] for c in page["data"]]
        cursor = (page["pages"].get("next") or {}).get("starting_after")
        if not cursor:
            break
    expected = [
        c for c in sb.contact_ids() if company in [x["id"] for x in sb.get_contact(c)["companies"]["data"]]
    ]
    assert members == expected and members


async def test_messages(sb, http, check):
    to = sb.get_contact(sb.contact_ids()[0])
    admin = int(sb.admin_ids[0])
    body = {
        "message_type": "email",
        "subject": "Hi",
        "body": "Hello {{first_name}}",
        "template": "plain",
        "from": {"type": "admin", "id": admin},
        "to": {"type": to["role"], "id": to["id"]},
    }
    msg = check("post", "/messages", await http.post("/messages", json=body))
    assert msg["message_type"] == "email" and msg["subject"] == "Hi"
    assert sb.messages[-1]["id"] == msg["id"] and sb.messages[-1]["to"]["id"] == to["id"]
    inapp = check("post", "/messages", await http.post("/messages", json={**body, "message_type": "in_app"}))
    assert inapp["message_type"] == "inapp" and inapp["id"] != msg["id"]
    # the request enum says in_app, the description's own examples and Intercom's SDKs send inapp: both work
    spelled = check("post", "/messages", await http.post("/messages", json={**body, "message_type": "inapp"}))
    assert spelled["message_type"] == "inapp" and spelled["id"] != inapp["id"]
    bad = [
        ({**body, "body": ""}, 400),
        ({**body, "subject": None}, 422),
        ({**body, "template": None}, 422),
        ({**body, "from": {"type": "admin", "id": 1}}, 404),
        ({**body, "to": {"type": "user", "id": "000000000000000000000000"}}, 404),
        ({**body, "to": {"type": "visitor", "id": to["id"]}}, 400),
        ({**body, "message_type": "sms"}, 400),
    ]
    for payload, status in bad:
        r = await http.post("/messages", json=payload)
        assert r.status_code == status, payload
        check("post", "/messages", r)
    assert len(sb.messages) == 3
    r = await http.post("/messages", json={**body, "from": {"type": "admin", "id": 1}})
    assert r.json()["errors"][0]["code"] == "admin_not_found"


async def test_add_route_and_request_log(make_client):
    http_client = make_client
    from intercomkit.sandbox import SandboxAPIError, json_response

    sb = Sandbox(contacts=3, companies=1)

    async def hello(request):
        if request.query.get("fail"):
            raise SandboxAPIError(418, "teapot", "short and stout")
        return json_response({"hello": request.path_params["name"]})

    sb.add_route("GET", "/hello/{name}", hello)
    async with http_client(sb) as http:
        assert (await http.get("/hello/world")).json() == {"hello": "world"}
        assert (await http.get("/hello/x", params={"fail": 1})).status_code == 418
    assert list(sb.request_log) == [("GET", "/hello/world", 200), ("GET", "/hello/x", 418)]
    assert sb.request_count == 2
    assert "sandbox" not in repr(sb).replace("Sandbox(", "")  # token never in repr


async def test_broken_hook_does_not_break_the_request(sb, http):
    def boom(topic, item):
        raise RuntimeError("hook failed")

    sb.on_change.append(boom)
    r = await http.post("/contacts", json={"email": "hooked@example.com"})
    assert r.status_code == 200 and len(sb.hook_errors) == 1


async def test_data_attributes(sb, http, check):
    path = "/data_attributes"
    contact = check("get", path, await http.get(path, params={"model": "contact"}))
    assert {a["model"] for a in contact["data"]} == {"contact"}
    custom = {a["name"]: a for a in contact["data"] if a["custom"]}
    assert (
        custom["seats"]["data_type"] == "integer"
        and custom["seats"]["full_name"] == "custom_attributes.seats"
    )
    company = check("get", path, await http.get(path, params={"model": "company"}))
    assert {a["name"] for a in company["data"] if a["custom"]} == {"region", "account_manager", "tier"}
    both = check("get", path, await http.get(path))
    assert len(both["data"]) == len(contact["data"]) + len(company["data"])
    r = await http.put(f"/contacts/{sb.contact_ids()[0]}", json={"custom_attributes": {"nps score": 9.5}})
    assert r.status_code == 200
    again = check("get", path, await http.get(path, params={"model": "contact"}))
    added = [a for a in again["data"] if a["name"] == "nps score"]
    assert added and added[0]["data_type"] == "float" and added[0]["custom"]
    r = await http.get(path, params={"model": "conversation"})  # "returns a 422 error"
    assert r.status_code == 422
    check("get", path, r)
    r = await http.get(path, params={"model": "ticket"})
    assert r.status_code == 400
    check("get", path, r)
