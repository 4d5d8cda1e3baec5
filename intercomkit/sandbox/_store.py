"""The sandbox's mutable state: compact columns for generated contacts plus overrides for touched records.

Contacts are indexed 0..n-1 in created_at order; POST /contacts appends, so created_at stays non-decreasing and
range searches can bisect. A contact only becomes a dict in ``records`` once something changes it; everything
else is regenerated from ``(seed, index)`` on demand.
"""

from __future__ import annotations

import copy
import re
import zlib
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

from .._protocol.numbers import is_int
from . import _data as data
from ._data import KIND_DELETED, KIND_LEAD, KIND_USER, Workspace
from ._errors import SandboxAPIError
from ._lag import SearchLag, Seen

__all__ = ["Store"]

_GEN_EMAIL = re.compile(r"^[a-z]+\.[a-z]+(\d+)@")
_GEN_EXTERNAL = re.compile(r"^user-(\d{7,})$")
_GEN_COMPANY_ID = re.compile(r"^company-(\d{6,})$")
_HEX24 = re.compile(r"^[0-9a-f]{24}$")
EMBEDDED_LIMIT = 10  # Intercom embeds at most 10 tags/notes/companies in a contact, with has_more


def not_found_contact() -> SandboxAPIError:
    return SandboxAPIError(404, "not_found", "User Not Found")


def not_found_company() -> SandboxAPIError:
    return SandboxAPIError(404, "company_not_found", "Company Not Found")


def _bad(field: str, expected: str) -> SandboxAPIError:
    return SandboxAPIError(400, "parameter_invalid", f"{field} must be {expected}", field=field)


class Store:
    def __init__(
        self,
        ws: Workspace,
        contacts: int,
        companies: int,
        clock: Callable[[], float],
        search_lag: float = 0.0,
    ) -> None:
        self.ws = ws
        self.clock = clock
        self.lag = SearchLag(search_lag, clock)
        self.n0 = contacts
        self.m0 = companies
        self.created, self.updated, self.kind = data.contact_columns(contacts, ws.seed)
        self.records: dict[int, dict] = {}
        self.archived: set[int] = set()
        self.email_index: dict[str, int] = {}
        self.external_index: dict[str, int] = {}
        self.live_contacts = contacts
        # company index -> contacts attached through a materialised record (generated ones follow the stride)
        self.company_extra: dict[int, set[int]] = {}
        self.company_records: dict[int, dict] = {}
        self.company_deleted: set[int] = set()
        self.company_count = companies
        self.company_id_index: dict[str, int] = {}
        # custom attributes first written through the API (name -> data_type), listed by GET /data_attributes
        self.custom_attributes: dict[str, dict[str, str]] = {
            "contact": dict(data.CONTACT_CUSTOM_ATTRIBUTES),
            "company": dict(data.COMPANY_CUSTOM_ATTRIBUTES),
        }
        # company index -> live contacts attached (user_count); counted on first use, then kept up to date
        self._user_counts: dict[int, int] = {}
        # The companies list's view (who has users, in what order), cached per store version.
        self._attachments: np.ndarray | None = None
        self._listed: tuple[int, list[int]] | None = None
        self.version = 0
        self._json: dict[int, str] | None = None
        self._json_version = 0
        self.events: list[tuple[str, dict]] = []
        self.messages: list[dict] = []
        self._next_message = 1

    # -- rendered JSON --------------------------------------------------------------------------------------
    def keep_json(self) -> None:
        """Keep each generated contact's JSON text once rendered (see ``Sandbox(render_cache=True)``)."""
        if self._json is None:
            self._json, self._json_version = {}, self.version

    def json_cache(self) -> dict[int, str] | None:
        """The kept texts, or None when not kept. Any change to the store empties it: a company deleted or
        renamed shows in the contacts that embed it."""
        if self._json is not None and self._json_version != self.version:
            self._json.clear()
            self._json_version = self.version
        return self._json

    # -- time ---------------------------------------------------------------------------------------------
    def now(self) -> int:
        return int(self.clock())

    # -- contacts: lookup -----------------------------------------------------------------------------------
    @property
    def contact_total(self) -> int:
        return len(self.created)

    def contact_index(self, contact_id: str) -> int | None:
        """Index of a live contact, or None."""
        if not isinstance(contact_id, str) or not _HEX24.match(contact_id):
            return None
        idx = int(contact_id[16:], 16)
        if idx >= len(self.created) or self.kind[idx] == KIND_DELETED:
            return None
        if self.ws.contact_id(self.created[idx], idx) != contact_id:
            return None
        return idx

    def position_of(self, contact_id: str) -> int | None:
        """Index encoded in a contact id, deleted or not (cursors stay valid after a delete)."""
        if not isinstance(contact_id, str) or not _HEX24.match(contact_id):
            return None
        idx = int(contact_id[16:], 16)
        if idx >= len(self.created) or self.ws.contact_id(self.created[idx], idx) != contact_id:
            return None
        return idx

    def contact_record(self, idx: int) -> dict:
        rec = self.records.get(idx)
        if rec is None:
            rec = data.generate_contact(
                self.ws, idx, self.created[idx], self.updated[idx], self.kind[idx], self.m0
            )
        return rec

    def contact_records(self, indices: list[int]) -> list[dict]:
        """Records of many contacts at once (a page): generated ones share one vectorised draw."""
        records = self.records
        fresh = [i for i in indices if i not in records]
        made: dict[int, dict] = {}
        if fresh:
            created, updated, kind, ws, m = self.created, self.updated, self.kind, self.ws, self.m0
            for i, draws in zip(fresh, data.contact_draws(ws.seed, fresh), strict=True):
                made[i] = data.generate_contact(ws, i, created[i], updated[i], kind[i], m, draws)
        return [records[i] if i in records else made[i] for i in indices]

    def require_contact(self, contact_id: str) -> int:
        idx = self.contact_index(contact_id)
        if idx is None:
            raise not_found_contact()
        return idx

    def find_by_email(self, email: str) -> int | None:
        key = email.lower()
        idx = self.email_index.get(key)
        if idx is not None:
            return idx
        m = _GEN_EMAIL.match(key)
        if m:
            idx = int(m.group(1))
            if (
                idx < self.n0
                and idx not in self.records
                and self.kind[idx] != KIND_DELETED
                and data.generated_email(idx) == key
            ):
                return idx
        return None

    def find_by_external_id(self, external_id: str) -> int | None:
        idx = self.external_index.get(external_id)
        if idx is not None:
            return idx
        m = _GEN_EXTERNAL.match(external_id)
        if m:
            idx = int(m.group(1))
            if idx < self.n0 and idx not in self.records and self.kind[idx] == KIND_USER:
                return idx
        return None

    def live_indices(self) -> list[int]:
        kind = self.kind
        return [i for i in range(len(kind)) if kind[i] != KIND_DELETED]

    def search_view(self) -> dict[int, Seen]:
        """Contacts search sees otherwise than get does: changed within the search lag, or archived."""
        view = self.lag.view()
        for idx in self.archived:
            view[idx] = Seen(None, KIND_DELETED, 0)
        return view

    # -- contacts: rendering --------------------------------------------------------------------------------
    def render_contact(self, rec: dict) -> dict:
        # The hot path of every page: a C-level copy minus the private keys, then the embedded lists.
        out = rec.copy()
        del out["_tags"], out["_notes"], out["_companies"]
        cid = rec["id"]
        tags, notes = rec["_tags"], rec["_notes"]
        companies = [self.company_ref_id(j) for j in rec["_companies"] if self.company_live(j)]
        out["tags"] = self._embedded("tag", tags, "/tags/", f"/contacts/{cid}/tags")
        out["notes"] = self._embedded("note", [n["id"] for n in notes], "/notes/", f"/contacts/{cid}/notes")
        out["companies"] = self._embedded("company", companies, "/companies/", f"/contacts/{cid}/companies")
        subs = {
            "type": "list",
            "data": [],
            "url": f"/contacts/{cid}/subscriptions",
            "total_count": 0,
            "has_more": False,
        }
        out["opted_out_subscription_types"] = subs
        out["opted_in_subscription_types"] = dict(subs)
        return out

    @staticmethod
    def _embedded(kind: str, ids: list[str], prefix: str, url: str) -> dict:
        return {
            "type": "list",
            "data": [{"type": kind, "id": i, "url": prefix + i} for i in ids[:EMBEDDED_LIMIT]],
            "url": url,
            "total_count": len(ids),
            "has_more": len(ids) > EMBEDDED_LIMIT,
        }

    def contact_ref(self, rec: dict, **extra: Any) -> dict:
        return {"type": "contact", "id": rec["id"], "external_id": rec.get("external_id"), **extra}

    # -- contacts: mutation ---------------------------------------------------------------------------------
    def _mutable(self, idx: int) -> dict:
        rec = self.records.get(idx)
        if rec is None:
            rec = self.contact_record(idx)
            self.records[idx] = rec
            self.email_index[rec["email"].lower()] = idx
            if rec.get("external_id"):
                self.external_index[rec["external_id"]] = idx
            for j in rec["_companies"]:
                self.company_extra.setdefault(j, set()).add(idx)
        return rec

    def _changed(self, idx: int, rec: dict, created: bool) -> None:
        self.version += 1
        verb = "created" if created else "updated"
        self.events.append((f"contact.{rec['role']}.{verb}", copy.deepcopy(self.render_contact(rec))))

    def _check_duplicates(self, email: Any, external_id: Any, *, own: int | None) -> None:
        # external_id is "A unique identifier for the contact" (create_contact_request): a second one conflicts.
        # An email is not unique: leads share them, and two users with different external ids may have the same
        # one; the description documents no 409 for it, so the sandbox never answers one (``email`` is unused).
        found = (
            self.find_by_external_id(external_id) if isinstance(external_id, str) and external_id else None
        )
        if found is not None and found != own:
            existing = self.ws.contact_id(self.created[found], found)
            raise SandboxAPIError(
                409, "conflict", f"A contact matching those details already exists with id={existing}"
            )

    def create_contact(self, body: dict) -> dict:
        if not any(k in body for k in ("email", "external_id", "role")):
            raise SandboxAPIError(
                400, "parameter_invalid", "A contact needs at least one of email, external_id or role"
            )
        role = body.get("role", "user")
        if role not in ("user", "lead"):
            raise _bad("role", "'user' or 'lead'")
        self._validate_fields(body)
        self._check_duplicates(body.get("email"), body.get("external_id"), own=None)
        idx = len(self.created)
        # Clamp so the created_at column stays sorted even under a fake clock that starts in the past.
        created_at = max(self.now(), self.created[-1] if idx else 0)
        self.created.append(created_at)
        self.updated.append(created_at)
        self.kind.append(KIND_USER if role == "user" else KIND_LEAD)
        rec = data.new_contact_record(self.ws, idx, created_at, role)
        self.records[idx] = rec
        self.live_contacts += 1
        self.lag.created(idx)
        self._apply_fields(idx, rec, body, now=created_at)
        self._changed(idx, rec, created=True)
        return rec

    def update_contact(self, idx: int, body: dict) -> dict:
        self._validate_fields(body)
        if "role" in body and body["role"] not in ("user", "lead"):
            raise _bad("role", "'user' or 'lead'")
        if body.get("role") == "lead" and self.kind[idx] == KIND_USER:
            # Conversions go one way: "You can merge a contact with a `role` of `lead` into a contact with a `role`
            # of `user`" (merge); a lead may become a user, a user never becomes a lead.
            raise SandboxAPIError(
                400, "parameter_invalid", "A user cannot be converted to a lead", field="role"
            )
        self._check_duplicates(body.get("email"), body.get("external_id"), own=idx)
        self._lagging(idx)
        rec = self._mutable(idx)
        self._apply_fields(idx, rec, body, now=max(self.now(), rec["created_at"]))
        self._changed(idx, rec, created=False)
        return rec

    def _lagging(self, idx: int) -> None:
        self.lag.changing(idx, self.contact_record(idx), self.kind[idx], self.updated[idx])

    _STR_FIELDS = ("email", "external_id", "phone", "name", "avatar", "owner_id")
    _TIME_FIELDS = ("signed_up_at", "last_seen_at")

    def _validate_fields(self, body: dict) -> None:
        for f in self._STR_FIELDS:
            if f in body and body[f] is not None and not isinstance(body[f], str):
                raise _bad(f, "a string")
        for f in ("email", "external_id"):
            if f in body and body[f] is None:
                raise _bad(f, "a string")
        for f in self._TIME_FIELDS:
            v = body.get(f)
            if v is not None and not is_int(v):
                raise _bad(f, "a UNIX timestamp")
        for f in ("unsubscribed_from_emails", "email_verified"):
            if body.get(f) is not None and not isinstance(body[f], bool):
                raise _bad(f, "a boolean")
        ca = body.get("custom_attributes")
        if ca is not None and not isinstance(ca, dict):
            raise _bad("custom_attributes", "an object")
        owner = body.get("owner_id")
        if owner is not None and str(owner) not in self.ws.admin_ids:
            raise _bad("owner_id", "the id of an admin in this workspace")

    def _apply_fields(self, idx: int, rec: dict, body: dict, *, now: int) -> None:
        if "role" in body:
            rec["role"] = body["role"]
            self.kind[idx] = KIND_USER if body["role"] == "user" else KIND_LEAD
        if "email" in body:
            old = rec["email"].lower()
            if self.email_index.get(old) == idx:
                del self.email_index[old]
            rec["email"] = body["email"]
            rec["email_domain"] = body["email"].rsplit("@", 1)[1] if "@" in body["email"] else ""
            if body["email"]:
                self.email_index[body["email"].lower()] = idx
        if "external_id" in body:
            old = rec.get("external_id")
            if old and self.external_index.get(old) == idx:
                del self.external_index[old]
            rec["external_id"] = body["external_id"]
            if body["external_id"]:
                self.external_index[body["external_id"]] = idx
        for f in ("phone", "name", "owner_id", *self._TIME_FIELDS, "unsubscribed_from_emails"):
            if f in body:
                rec[f] = body[f] if f != "unsubscribed_from_emails" else bool(body[f])
        if isinstance(body.get("last_seen_at"), int):
            # A user seen is a request on behalf of each of its companies: they move up the companies list.
            for j in rec["_companies"]:
                if self.company_live(j):
                    self.company_seen(j, body["last_seen_at"])
        if "avatar" in body:
            rec["avatar"] = {"type": "avatar", "image_url": body["avatar"]} if body["avatar"] else None
        for k, v in (body.get("custom_attributes") or {}).items():
            if v is None:
                rec["custom_attributes"].pop(k, None)
            else:
                rec["custom_attributes"][k] = v
                self._new_attribute("contact", k, v)
        rec["updated_at"] = now
        self.updated[idx] = now

    def delete_contact(self, idx: int) -> dict:
        rec = self._mutable(idx)
        self.kind[idx] = KIND_DELETED
        self.live_contacts -= 1
        self.archived.discard(idx)
        self.lag.forget(idx)
        if self.email_index.get(rec["email"].lower()) == idx:
            del self.email_index[rec["email"].lower()]
        if rec.get("external_id") and self.external_index.get(rec["external_id"]) == idx:
            del self.external_index[rec["external_id"]]
        for j in rec["_companies"]:
            self.company_extra.get(j, set()).discard(idx)
            self._count_user(j, -1)
        self.version += 1
        return self.contact_ref(rec, deleted=True)

    def set_archived(self, idx: int, archived: bool) -> dict:
        # Archived contacts leave the list and search (Intercom's help centre: archived users are removed from
        # your user list; a returning user is unarchived). The 2.16 description says only "You can archive a
        # single contact", so the sandbox follows the product's documentation.
        if archived:
            self.archived.add(idx)
            self.lag.forget(idx)
        elif idx in self.archived:
            self.archived.discard(idx)
            # Coming back is a change: updated_at moves, and search sees it only after its lag.
            self.lag.created(idx)
            self._touch_contact(idx, self._mutable(idx))
        self.version += 1
        return self.contact_ref(self.contact_record(idx), archived=archived)

    def tag_contact(self, idx: int, tag_id: str, *, attach: bool) -> dict:
        """Tag or untag a contact. ``updated_at`` does not move: tag changes are reported not to bump it, so an
        incremental export (``updated_at >=``) cannot see them; only a reconciliation does."""
        tag = self.ws.tags_by_id.get(tag_id) if isinstance(tag_id, str) else None
        if tag is None:
            raise SandboxAPIError(404, "tag_not_found", "Tag not found")
        rec = self._mutable(idx)
        if attach and tag_id not in rec["_tags"]:
            rec["_tags"].append(tag_id)
        elif not attach:
            if tag_id not in rec["_tags"]:
                raise SandboxAPIError(404, "tag_not_found", "Tag not found")
            rec["_tags"].remove(tag_id)
        self.version += 1
        return dict(tag)

    def merge_contacts(self, from_idx: int, into_idx: int, *, skip_duplicate_validation: bool) -> dict:
        """POST /contacts/merge: "You can merge a contact with a `role` of `lead` into a contact with a `role` of
        `user`"; the lead is then "permanently removed from the active contact list" (get 404, not in search or
        list). The user takes the lead's tags and companies; its updated_at moves."""
        src, dst = self.contact_record(from_idx), self.contact_record(into_idx)
        if src["role"] != "lead":
            raise _bad("from", "the id of a lead")
        if dst["role"] != "user":
            raise _bad("into", "the id of a user")
        same = any(
            src.get(f) and dst.get(f) and str(src[f]).lower() == str(dst[f]).lower()
            for f in ("email", "phone")
        )
        if not same and not skip_duplicate_validation:
            raise SandboxAPIError(
                400,
                "invalid_merge",
                "Contacts can only be merged when they are duplicates (matching email or phone). Pass "
                "skip_duplicate_validation=true to override this check.",
            )
        tags, companies = list(src["_tags"]), list(src["_companies"])
        self.delete_contact(from_idx)
        self._lagging(into_idx)
        rec = self._mutable(into_idx)
        rec["_tags"].extend(t for t in tags if t not in rec["_tags"])
        for j in companies:
            if j not in rec["_companies"] and self.company_live(j):
                rec["_companies"].append(j)
                self.company_extra.setdefault(j, set()).add(into_idx)
                self._count_user(j, +1)
        self._touch_contact(into_idx, rec)
        return rec

    def attach_company(self, idx: int, company_idx: int) -> dict:
        rec = self._mutable(idx)
        if company_idx not in rec["_companies"]:
            self._lagging(idx)
            rec["_companies"].append(company_idx)
            self.company_extra.setdefault(company_idx, set()).add(idx)
            self._count_user(company_idx, +1)
            self._touch_contact(idx, rec)
        return self.company_record(company_idx)

    def detach_company(self, idx: int, company_idx: int) -> dict:
        rec = self._mutable(idx)
        if company_idx not in rec["_companies"]:
            raise not_found_company()
        self._lagging(idx)
        rec["_companies"].remove(company_idx)
        self.company_extra.get(company_idx, set()).discard(idx)
        self._count_user(company_idx, -1)
        self._touch_contact(idx, rec)
        return self.company_record(company_idx)

    def _touch_contact(self, idx: int, rec: dict) -> None:
        now = max(self.now(), rec["created_at"])
        rec["updated_at"] = now
        self.updated[idx] = now
        self._changed(idx, rec, created=False)

    # -- companies ------------------------------------------------------------------------------------------
    def company_live(self, j: int) -> bool:
        return 0 <= j < self.company_count and j not in self.company_deleted

    def company_record(self, j: int) -> dict:
        rec = self.company_records.get(j)
        if rec is None:
            rec = data.generate_company(self.ws, j, self.m0)
        # "user_count: The number of users in the company": exactly the contacts GET /companies/{id}/contacts lists.
        rec["user_count"] = self.user_count(j)
        return rec

    def user_count(self, j: int) -> int:
        """Live contacts attached to company ``j``: counted with ``company_contacts`` once, then kept current."""
        count = self._user_counts.get(j)
        if count is None:
            count = self._user_counts[j] = len(self.company_contacts(j))
        return count

    def _count_user(self, j: int, change: int) -> None:
        if j in self._user_counts:
            self._user_counts[j] += change

    def company_ref_id(self, j: int) -> str:
        """A company's id without generating the whole record (contacts embed only the id)."""
        rec = self.company_records.get(j)
        if rec is not None:
            return rec["id"]
        return self.ws.company_id(data.company_created_at(j, self.m0), j)

    def company_index(self, company_id: str) -> int | None:
        if not isinstance(company_id, str) or not _HEX24.match(company_id):
            return None
        j = int(company_id[16:], 16)
        if not self.company_live(j):
            return None
        if j in self.company_records:
            ok = self.company_records[j]["id"] == company_id
        else:
            ok = self.ws.company_id(data.company_created_at(j, self.m0), j) == company_id
        return j if ok else None

    def require_company(self, company_id: str) -> int:
        j = self.company_index(company_id)
        if j is None:
            raise not_found_company()
        return j

    def find_company_by_company_id(self, company_id: str) -> int | None:
        j = self.company_id_index.get(company_id)
        if j is not None:
            return j if self.company_live(j) else None
        m = _GEN_COMPANY_ID.match(company_id)
        if m:
            j = int(m.group(1))
            if j < self.m0 and j not in self.company_records and j not in self.company_deleted:
                return j
        return None

    def live_company_indices(self) -> list[int]:
        deleted = self.company_deleted
        return [j for j in range(self.company_count) if j not in deleted]

    def company_user_counts(self) -> np.ndarray:
        """Live contacts attached to each company (index ``j``), as ``company_contacts`` counts them."""
        counts = np.zeros(self.company_count, dtype=np.int64)
        if self.m0 and self.n0:
            if self._attachments is None:
                self._attachments = data.attached_companies(self.n0, self.ws.seed, self.m0)
            att = self._attachments
            live = np.frombuffer(bytes(self.kind[: self.n0]), dtype=np.uint8) != data.KIND_DELETED
            materialised = [i for i in self.records if i < self.n0]
            if materialised:  # their companies are in company_extra
                live[materialised] = False
            counts[: self.m0] += np.bincount(att[live & (att >= 0)], minlength=self.m0)
        kind = self.kind
        for j, members in self.company_extra.items():
            counts[j] += sum(1 for i in members if kind[i] != KIND_DELETED)
        return counts

    def last_request_at(self, j: int) -> int:
        rec = self.company_records.get(j)
        if rec is not None:
            return rec["last_request_at"]
        return data.company_last_request_at(j, self.ws.seed, self.m0)

    def listed_company_indices(self) -> list[int]:
        """What ``POST /companies/list`` shows, most recently requested first. Intercom's description: "The company
        list is sorted by the `last_request_at` field and by default is ordered descending" and "the API does not
        include companies who have no associated users in list responses"."""
        if self._listed is None or self._listed[0] != self.version:
            counts = self.company_user_counts()
            shown = [j for j in self.live_company_indices() if counts[j] > 0]
            shown.sort(key=lambda j: (self.last_request_at(j), j), reverse=True)
            self._listed = (self.version, shown)
        return self._listed[1]

    def company_seen(self, j: int, at: int) -> None:
        """Activity of the company's users: ``last_request_at`` moves forward to ``at`` (and the company up the
        list)."""
        if at > self.last_request_at(j):
            self._mutable_company(j)["last_request_at"] = at
            self.version += 1

    def _mutable_company(self, j: int) -> dict:
        rec = self.company_records.get(j)
        if rec is None:
            rec = self.company_record(j)
            self.company_records[j] = rec
            self.company_id_index[rec["company_id"]] = j
        return rec

    def upsert_company(self, body: dict) -> dict:
        self._validate_company(body, creating=True)
        company_id = body.get("company_id")
        j = self.find_company_by_company_id(company_id) if company_id else None
        now = self.now()
        created = j is None
        if created:
            if not company_id and not body.get("name"):
                raise SandboxAPIError(400, "parameter_not_found", "company_id or name is required")
            j = self.company_count
            self.company_count += 1
            rec = data.new_company_record(self.ws, j, now, company_id or f"sandbox-{j}")
            self.company_records[j] = rec
            self.company_id_index[rec["company_id"]] = j
        else:
            rec = self._mutable_company(j)
        self._apply_company(rec, body, now)
        if "remote_created_at" in body:
            rec["remote_created_at"] = body["remote_created_at"]
        if body.get("update_last_request_at"):
            rec["last_request_at"] = now
        rec = self.company_record(j)
        self.version += 1
        self.events.append(("company.created" if created else "company.updated", copy.deepcopy(rec)))
        return rec

    def update_company(self, j: int, body: dict) -> dict:
        self._validate_company(body, creating=False)
        rec = self._mutable_company(j)
        self._apply_company(rec, body, self.now())
        rec = self.company_record(j)
        self.version += 1
        self.events.append(("company.updated", copy.deepcopy(rec)))
        return rec

    def delete_company(self, j: int) -> dict:
        rec = self.company_record(j)
        self.company_deleted.add(j)
        self.version += 1
        return {"id": rec["id"], "object": "company", "deleted": True}

    def _validate_company(self, body: dict, *, creating: bool) -> None:
        for f in ("name", "plan", "website", "industry", *(("company_id",) if creating else ())):
            if f in body and not isinstance(body[f], str):
                raise _bad(f, "a string")
        for f in ("size", "monthly_spend", "remote_created_at"):
            if f in body and not is_int(body[f]):
                raise _bad(f, "an integer")
        ca = body.get("custom_attributes")
        if ca is not None:
            if not isinstance(ca, dict):
                raise _bad("custom_attributes", "an object")
            for k, v in ca.items():
                if v is not None and not isinstance(v, str):
                    raise _bad(f"custom_attributes.{k}", "a string")

    def _apply_company(self, rec: dict, body: dict, now: int) -> None:
        for f in ("name", "website", "industry", "size", "monthly_spend"):
            if f in body:
                rec[f] = body[f]
        if "plan" in body:
            rec["plan"] = {
                "type": "plan",
                "id": str(zlib.crc32(body["plan"].encode()) % 10_000),
                "name": body["plan"],
            }
        for k, v in (body.get("custom_attributes") or {}).items():
            if v is None:
                rec["custom_attributes"].pop(k, None)
            else:
                rec["custom_attributes"][k] = v
                self._new_attribute("company", k, v)
        rec["updated_at"] = max(now, rec["created_at"])

    def _new_attribute(self, model: str, name: str, value: Any) -> None:
        # Intercom creates a data attribute before a value can be set; the sandbox takes the first value as that.
        if name not in self.custom_attributes[model]:
            kind = "boolean" if isinstance(value, bool) else "integer" if isinstance(value, int) else None
            self.custom_attributes[model][name] = kind or ("float" if isinstance(value, float) else "string")

    def company_contacts(self, j: int) -> list[int]:
        """Indices of live contacts attached to company ``j``, ascending."""
        out: set[int] = set()
        if j < self.m0 and self.m0 > 0:
            records, kind, seed, m = self.records, self.kind, self.ws.seed, self.m0
            for i in range(j, self.n0, m):
                if i not in records and kind[i] != KIND_DELETED and data.attached_company(i, seed, m) == j:
                    out.add(i)
        for i in self.company_extra.get(j, ()):
            if self.kind[i] != KIND_DELETED:
                out.add(i)
        return sorted(out)

    # -- messages -------------------------------------------------------------------------------------------
    def next_message_id(self) -> str:
        mid = str(403_918_000 + self._next_message)
        self._next_message += 1
        return mid

    def columns_snapshot(self) -> tuple[array, array, bytearray]:
        return self.created, self.updated, self.kind
