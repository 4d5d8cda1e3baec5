"""Contacts straight to JSON text: the hot path of every list and search page.

A generated contact (never changed, so not in ``Store.records``) has a fixed key order, catalogue strings that need
no escaping and a block of always-null device/utm fields. Writing its JSON from a template is several times cheaper
than building the API dict and running ``json.dumps`` over seventy keys; the result parses to exactly the dict
``Store.render_contact`` returns (a test holds the two equal). Anything else goes through ``json.dumps``.
"""

from __future__ import annotations

import json
from typing import Any

from ._data import _ANDROID_IOS_NONE, _UTM_NONE

__all__ = ["contact_json", "list_json"]

# The always-null fields come from the generator's own tables, so the two paths cannot drift apart.
_NULL_BLOCK_A = ",".join(f'"{k}":null' for k in _ANDROID_IOS_NONE)
_NULL_BLOCK_B = ",".join(f'"{k}":null' for k in _UTM_NONE)
_EMBEDDED_LIMIT = 10
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _s(v: Any) -> str:
    # Generated strings come from fixed catalogues (no quotes, backslashes or non-ASCII): no escaping needed.
    return "null" if v is None else f'"{v}"'


def _n(v: Any) -> str:
    return "null" if v is None else str(v)


def _b(v: bool) -> str:
    return "true" if v else "false"


def _embedded(kind: str, ids: list[str], prefix: str, url: str) -> str:
    data = ",".join(f'{{"type":"{kind}","id":"{i}","url":"{prefix}{i}"}}' for i in ids[:_EMBEDDED_LIMIT])
    more = "true" if len(ids) > _EMBEDDED_LIMIT else "false"
    return f'{{"type":"list","data":[{data}],"url":"{url}","total_count":{len(ids)},"has_more":{more}}}'


def generated_contact_json(rec: dict, company_ids: list[str]) -> str:
    """JSON text of a generated (never modified) contact record, with its embedded lists."""
    cid = rec["id"]
    loc = rec["location"]
    social = rec["social_profiles"]["data"]
    social_text = f'{{"type":"social_profile","name":"Twitter","url":"{social[0]["url"]}"}}' if social else ""
    custom = rec["custom_attributes"]
    base = f"/contacts/{cid}"
    subs = f'{{"type":"list","data":[],"url":"{base}/subscriptions","total_count":0,"has_more":false}}'
    return (
        f'{{"type":"contact","id":"{cid}","workspace_id":"{rec["workspace_id"]}",'
        f'"external_id":{_s(rec["external_id"])},"role":"{rec["role"]}","email":"{rec["email"]}",'
        f'"email_domain":"{rec["email_domain"]}","phone":{_s(rec["phone"])},"name":{_s(rec["name"])},'
        f'"avatar":null,"owner_id":{_s(rec["owner_id"])},'
        f'"social_profiles":{{"type":"list","data":[{social_text}]}},'
        f'"has_hard_bounced":{_b(rec["has_hard_bounced"])},'
        f'"marked_email_as_spam":{_b(rec["marked_email_as_spam"])},'
        f'"unsubscribed_from_emails":{_b(rec["unsubscribed_from_emails"])},'
        f'"created_at":{rec["created_at"]},"updated_at":{rec["updated_at"]},'
        f'"signed_up_at":{_n(rec["signed_up_at"])},"last_seen_at":{_n(rec["last_seen_at"])},'
        f'"last_replied_at":{_n(rec["last_replied_at"])},"last_contacted_at":{_n(rec["last_contacted_at"])},'
        f'"last_email_opened_at":{_n(rec["last_email_opened_at"])},'
        f'"last_email_clicked_at":{_n(rec["last_email_clicked_at"])},'
        f'"language_override":{_s(rec["language_override"])},"browser":{_s(rec["browser"])},'
        f'"browser_version":{_s(rec["browser_version"])},"browser_language":{_s(rec["browser_language"])},'
        f'"os":{_s(rec["os"])},'
        f'"location":{{"type":"location","country":{_s(loc["country"])},"region":{_s(loc["region"])},'
        f'"city":{_s(loc["city"])},"country_code":{_s(loc["country_code"])},'
        f'"continent_code":{_s(loc["continent_code"])}}},'
        f"{_NULL_BLOCK_A},"
        f'"custom_attributes":{_dumps(custom) if custom else "{}"},'
        f"{_NULL_BLOCK_B},"
        f'"tags":{_embedded("tag", rec["_tags"], "/tags/", base + "/tags")},'
        f'"notes":{_embedded("note", [n["id"] for n in rec["_notes"]], "/notes/", base + "/notes")},'
        f'"companies":{_embedded("company", company_ids, "/companies/", base + "/companies")},'
        f'"opted_out_subscription_types":{subs},"opted_in_subscription_types":{subs}}}'
    )


def contact_json(store: Any, idx: int, rec: dict | None = None) -> str:
    """JSON text of contact ``idx`` as the API shows it (``rec``: its record, when already at hand)."""
    if idx in store.records:
        return _dumps(store.render_contact(store.records[idx]))
    if rec is None:
        rec = store.contact_record(idx)
    companies = [store.company_ref_id(j) for j in rec["_companies"] if store.company_live(j)]
    return generated_contact_json(rec, companies)


def list_json(
    store: Any, indices: list[int], total: int, pages: dict, earlier: dict[int, dict] | None = None
) -> bytes:
    """A ``{"type":"list","data":[...],"total_count":N,"pages":{...}}`` body, contacts joined as text.

    ``earlier``: contacts to show in an earlier version than the store's (a lagging search; see ``_lag``)."""
    cache = store.json_cache()
    texts: list[str | None] = [None] * len(indices) if cache is None else [cache.get(i) for i in indices]
    for k, idx in enumerate(indices):
        if earlier and idx in earlier:
            texts[k] = _dumps(store.render_contact(earlier[idx]))
    missing = [k for k, text in enumerate(texts) if text is None]
    if missing:
        records = store.contact_records([indices[k] for k in missing])
        for k, rec in zip(missing, records, strict=True):
            idx = indices[k]
            texts[k] = text = contact_json(store, idx, rec)
            if cache is not None and idx not in store.records:
                cache[idx] = text
    data = ",".join(texts)  # type: ignore[arg-type]
    return f'{{"type":"list","data":[{data}],"total_count":{total},"pages":{_dumps(pages)}}}'.encode()
