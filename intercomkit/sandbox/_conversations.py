"""Conversations, generated lazily from ``(seed, index)`` like contacts.

The store keeps three numpy columns (created_at, updated_at, flags: big / deleted); everything else -- the
contact, the parts, the statistics -- is regenerated from ``(seed, index)`` when a page or a GET needs it. A
conversation's last part is at ``created_at + duration`` = its ``updated_at``, so list and date-window searches
never generate a timeline. A conversation becomes a dict in ``records`` only once the API changes it.
"""

from __future__ import annotations

import copy
import random
import re
from collections import OrderedDict
from typing import Any

import numpy as np

from ._conv_stats import conversation_statistics
from ._data import DAY, END, _mix
from ._errors import SandboxAPIError
from ._lag import SearchLag
from ._support_data import FIN, ISSUE_TYPES, OPERATOR, REGIONS, Support

__all__ = ["MAX_PARTS", "generated_columns", "Conversations"]

CONV_BASE = 1_000_000
PART_BASE = 2_000_000_000
WINDOW = 2 * 365 * DAY  # conversations start within the two years before END
# "The maximum number of conversation parts that can be returned via the API is 500. If you have more than that we
# will return the 500 most recent conversation parts." (GET /conversations/{id})
MAX_PARTS = 500
BIG, DELETED = 1, 2
RESOLUTIONS = ("assumed_resolution", "confirmed_resolution", "escalated", "negative_feedback")
PRIORITIES = ("none", "none", "none", "low", "medium", "high", "urgent")
_TAGS = re.compile(r"<[^>]+>")
GENERATED_KEPT = 2048


def _uniform(seed: int, n: int, salt: int) -> np.ndarray:
    """n floats in [0, 1): splitmix64 of (seed, salt, index), the same whoever asks."""
    z = np.arange(n, dtype=np.uint64) * np.uint64(7) + np.uint64(salt)
    z = z + np.uint64((seed * 0x2545F4914F6CDD1D + 0x51ED) & 0xFFFF_FFFF_FFFF_FFFF)
    z = z * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def generated_columns(n: int, seed: int, salt: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(created_at, updated_at, flags) of ``n`` generated records, created_at non-decreasing.

    A few are big (more than ``MAX_PARTS`` parts: index % 250 == 17) and some deleted (index % 47 == 5): both
    are in every workspace of a few hundred, whatever the seed.
    """
    idx = np.arange(n, dtype=np.int64)
    created = (END - WINDOW) + ((idx + _uniform(seed, n, salt)) * (WINDOW / max(n, 1))).astype(np.int64)
    flags = np.where(idx % 250 == 17, BIG, 0).astype(np.uint8)
    flags[(idx % 47 == 5)] |= DELETED
    u = _uniform(seed, n, salt + 1)
    duration = np.where(flags & BIG, 20 * DAY + (u * 10 * DAY), 120 + u**3 * 10 * DAY).astype(np.int64)
    return created, created + duration, flags


def strip_html(body: str | None) -> str | None:
    return None if body is None else _TAGS.sub("", body)


class Conversations:
    """The workspace's conversations: generated columns, changed records, rendering and the thin writes."""

    def __init__(self, store: Any, support: Support, n: int) -> None:
        self.store = store
        self.support = support
        seed = store.ws.seed
        self.seed = seed
        # Conversations start with a contact's message: none without contacts.
        self.n = n if store.n0 else 0
        self.created, self.updated, self.flags = generated_columns(self.n, seed, 0xC0)
        self.records: dict[int, dict] = {}
        self.version = 0
        # Recently generated records, kept while no contact changes (they embed their contact's name and email).
        self._made: OrderedDict[int, dict] = OrderedDict()
        self._made_version = store.version
        self._people: dict[int, dict] = {}  # contact index -> what a conversation shows of it
        # Search sees a change only ``search_lag`` seconds later, as for contacts (see _lag).
        self.lag = SearchLag(store.lag.seconds, store.clock)

    # -- lookup ---------------------------------------------------------------------------------------------
    def position_id(self, i: int) -> str:
        return self.conversation_id(i)

    def conversation_id(self, i: int) -> str:
        return str(CONV_BASE + i)

    def position_of(self, conversation_id: Any) -> int | None:
        """Index named by an id, deleted or not (cursors stay valid)."""
        if not isinstance(conversation_id, str) or not conversation_id.isdigit():
            return None
        i = int(conversation_id) - CONV_BASE
        return i if 0 <= i < self.n else None

    def live(self, i: int) -> bool:
        return not self.flags[i] & DELETED

    def index(self, conversation_id: Any) -> int | None:
        i = self.position_of(conversation_id)
        return i if i is not None and self.live(i) else None

    def require(self, conversation_id: Any) -> int:
        i = self.index(conversation_id)
        if i is None:
            raise SandboxAPIError(404, "not_found", "Resource Not Found")
        return i

    def live_mask(self) -> np.ndarray:
        return (self.flags & DELETED) == 0

    def big_ids(self) -> list[str]:
        return [
            self.conversation_id(int(i)) for i in np.nonzero((self.flags & BIG) != 0)[0] if self.live(int(i))
        ]

    def deleted_ids(self) -> list[str]:
        return [self.conversation_id(int(i)) for i in np.nonzero((self.flags & DELETED) != 0)[0]]

    # -- records --------------------------------------------------------------------------------------------
    def record(self, i: int) -> dict:
        rec = self.records.get(i)
        if rec is not None:
            return rec
        self._fresh()
        made = self._made
        rec = made.get(i)
        if rec is None:
            rec = made[i] = self._generate(i)
            if len(made) > GENERATED_KEPT:
                made.popitem(last=False)
        return rec

    def _fresh(self) -> None:
        """Forget generated records and contacts once any contact changed (a name or email may have)."""
        if self._made_version != self.store.version:
            self._made.clear()
            self._people.clear()
            self._made_version = self.store.version

    def _contact(self, i: int) -> dict:
        store = self.store
        n0 = store.n0
        # Generated contacts are all live; one deleted later keeps its conversations (they still name it).
        c = _mix((self.seed * 1_000_003 + i) * 31 + 0xD1) % n0
        self._fresh()
        person = self._people.get(c)
        if person is None:
            rec = store.contact_record(c)
            person = self._people[c] = {k: rec.get(k) for k in ("id", "role", "name", "email", "external_id")}
        return person

    def _generate(self, i: int) -> dict:
        ws, sup = self.store.ws, self.support
        r = random.Random((self.seed * 1_000_003 + i) * 0x9E37 + 0xC0)
        t0, last = int(self.created[i]), int(self.updated[i])
        contact = self._contact(i)
        role = contact["role"] if contact["role"] in ("user", "lead") else "user"
        who = {"type": role, "id": contact["id"], "name": contact.get("name"), "email": contact.get("email")}
        admins = ws.admins
        admin = admins[int(r.random() * len(admins))]
        team = sup.teams[int(r.random() * len(sup.teams))] if r.random() < 0.7 else None
        steps, ai = _steps(r, who, admin, team, bool(self.flags[i] & BIG))
        gaps = [r.expovariate(1.0) + 0.01 for _ in steps]
        total, acc, parts = sum(gaps), 0.0, []
        for k, ((kind, author, assigned, body), gap) in enumerate(zip(steps, gaps, strict=True)):
            acc += gap
            t = t0 + round((last - t0) * acc / total) if k < len(steps) - 1 else last
            parts.append(_part(PART_BASE + i * 10_000 + k, kind, author, assigned, body, t))
        source_type = "email" if r.random() < 0.2 else "conversation"
        rec = {
            "type": "conversation",
            "id": self.conversation_id(i),
            "title": None,
            "created_at": t0,
            "updated_at": last,
            "source": {
                "type": source_type,
                "id": str(400_000_000 + i),
                "delivered_as": "customer_initiated",
                "subject": "Help with my order" if source_type == "email" else "",
                "body": "<p>Hi, I need support with my account</p>",
                "author": who,
                "attachments": [],
                "url": None,
                "redacted": False,
            },
            "contacts": {
                "type": "contact.list",
                "contacts": [
                    {"type": "contact", "id": contact["id"], "external_id": contact.get("external_id")}
                ],
            },
            "first_contact_reply": {"created_at": t0, "type": source_type, "url": None},
            "priority": PRIORITIES[int(r.random() * len(PRIORITIES))],
            "read": r.random() < 0.8,
            "channel": {"initial": "email" if source_type == "email" else "messenger"},
            "custom_attributes": {
                "issue_type": ISSUE_TYPES[int(r.random() * len(ISSUE_TYPES))],
                **({"order_value": int(r.random() * 500)} if r.random() < 0.5 else {}),
                "region": REGIONS[int(r.random() * len(REGIONS))],
            },
            "linked_objects": {"type": "list", "total_count": 0, "has_more": False, "data": []},
            "_tags": [
                (ws.tag_ids[int(r.random() * len(ws.tag_ids))], admin["id"])
                for _ in range(max(0, int(r.random() * 4) - 1))
            ],
            "_team": team["id"] if team else None,
            "_ai": ai,
            "_parts": parts,
            "_rating": _rating(r, admin, contact) if r.random() < 0.4 else None,
        }
        rec["channel"]["current"] = rec["channel"]["initial"]
        return rec

    # -- rendering ------------------------------------------------------------------------------------------
    def summary(self, rec: dict) -> dict:
        """The conversation as list and search answer it (conversation_list_item): everything but its parts."""
        parts = rec["_parts"]
        stats = conversation_statistics(rec["created_at"], parts)
        out = {k: v for k, v in rec.items() if not k.startswith("_")}
        state, snoozed_until = "open", None
        admin_id, team_id = None, rec["_team"]
        last_reply = None
        for p in parts:
            kind = p["part_type"]
            if kind == "close":
                state = "closed"
            elif kind in ("open", "unsnoozed", "assign_and_reopen"):
                state, snoozed_until = "open", None
            elif kind == "snoozed":
                state, snoozed_until = "snoozed", rec.get("_snoozed_until") or p["created_at"] + 3 * DAY
            to = p.get("assigned_to")
            if to is not None:
                if to["type"] == "admin":
                    admin_id = to["id"]
                else:
                    team_id = to["id"]
            if kind == "comment" and p["author"]["type"] in ("user", "lead", "admin"):
                last_reply = p
        waiting = None
        if state != "closed":
            contact_last = last_reply is None or last_reply["author"]["type"] != "admin"
            waiting = (
                (last_reply["created_at"] if last_reply else rec["created_at"]) if contact_last else None
            )
        out["state"], out["open"] = state, state != "closed"
        out["snoozed_until"], out["waiting_since"] = snoozed_until, waiting
        out["admin_assignee_id"] = int(admin_id) if admin_id is not None else None
        out["team_assignee_id"] = int(team_id) if team_id is not None else None
        tags = self.store.ws.tags_by_id
        out["tags"] = {
            "type": "tag.list",
            "tags": [
                {**tags[t], "applied_at": rec["created_at"], "applied_by": {"type": "admin", "id": by}}
                for t, by in rec["_tags"]
                if t in tags
            ],
        }
        teammates = sorted({p["author"]["id"] for p in parts if p["author"]["type"] == "admin"})
        out["teammates"] = {
            "type": "admin.list",
            "teammates": [{"type": "admin", "id": a} for a in teammates],
        }
        out["statistics"] = stats
        rating = rec["_rating"]
        if rating is not None and stats["last_close_at"] is not None:
            at = stats["last_close_at"]
            out["conversation_rating"] = {**rating, "created_at": at, "updated_at": at}
        else:
            out["conversation_rating"] = None
        out["ai_agent_participated"] = rec["_ai"] is not None
        out["ai_agent"] = copy.deepcopy(rec["_ai"])
        if out["ai_agent"] is not None:
            fin = [p["created_at"] for p in parts if p["author"].get("from_ai_agent")] or [rec["created_at"]]
            out["ai_agent"]["created_at"], out["ai_agent"]["updated_at"] = fin[0], fin[-1]
        return out

    def render(self, rec: dict, *, plaintext: bool = False) -> dict:
        """GET /conversations/{id}: the summary plus at most the 500 most recent parts."""
        out = self.summary(rec)
        shown = rec["_parts"][-MAX_PARTS:]
        if plaintext:
            shown = [{**p, "body": strip_html(p["body"])} for p in shown]
        out["conversation_parts"] = {
            "type": "conversation_part.list",
            "conversation_parts": copy.deepcopy(shown),
            "total_count": len(shown),
        }
        return out

    def search_doc(self, rec: dict) -> dict:
        """What a search filter looks at: the summary plus the table's list fields under their own names."""
        doc = self.summary(rec)
        doc["contact_ids"] = [c["id"] for c in doc["contacts"]["contacts"]]
        doc["teammate_ids"] = [t["id"] for t in doc["teammates"]["teammates"]]
        doc["tag_ids"] = [t["id"] for t in doc["tags"]["tags"]]
        doc["channel_initiated"] = doc["channel"]["initial"]
        doc["source"] = {**doc["source"], "body": (strip_html(doc["source"]["body"]) or "").split()}
        rating = doc["conversation_rating"]
        if rating is not None:
            teammate = (rating.get("teammate") or {}).get("id")
            doc["conversation_rating"] = {
                "score": rating["rating"],
                "remark": rating["remark"],
                "requested_at": rating["created_at"],
                "replied_at": rating["created_at"],
                "contact_id": rating["contact"]["id"],
                "admin_d": teammate,
                "admin_id": teammate,
            }
        return doc

    # -- writes ---------------------------------------------------------------------------------------------
    def _mutable(self, i: int) -> dict:
        rec = self.records.get(i)
        if rec is None:
            self._made.pop(i, None)
            rec = self.records[i] = self._generate(i)
        return rec

    def add_part(
        self,
        i: int,
        kind: str,
        author: dict,
        *,
        assigned: dict | None = None,
        body: str | None = None,
        snoozed_until: int | None = None,
    ) -> dict:
        """A write appends a part at the sandbox's now; updated_at moves (never backwards)."""
        self.lag.changing(i, self.record(i), 0, int(self.updated[i]))
        rec = self._mutable(i)
        if snoozed_until is not None:
            rec["_snoozed_until"] = snoozed_until
        at = max(self.store.now(), int(self.updated[i]))
        part = _part(PART_BASE + i * 10_000 + len(rec["_parts"]), kind, author, assigned, body, at)
        rec["_parts"].append(part)
        self._touch(i, rec, at)
        return rec

    def tag(self, i: int, tag_id: str, admin_id: str) -> None:
        self.lag.changing(i, self.record(i), 0, int(self.updated[i]))
        rec = self._mutable(i)
        if tag_id not in [t for t, _ in rec["_tags"]]:
            rec["_tags"].append((tag_id, admin_id))
        self._touch(i, rec, max(self.store.now(), int(self.updated[i])))

    def delete(self, i: int) -> None:
        """ "Deleting a conversation is permanent": GET answers 404, list and search leave it out at once (a
        delete is not delayed, as for contacts)."""
        self.flags[i] |= DELETED
        self.records.pop(i, None)
        self._made.pop(i, None)
        self.lag.forget(i)
        self.version += 1

    def move(self, i: int, created_at: int) -> None:
        """The conversation was created at ``created_at`` (its last part no earlier): a test places one on an
        export window's edge second."""
        self.created[i] = created_at
        self.updated[i] = max(int(self.updated[i]), created_at)
        self._made.pop(i, None)  # regenerated from the columns
        rec = self.records.get(i)
        if rec is not None:  # changed through the API: keep its changes
            rec["created_at"], rec["updated_at"] = created_at, int(self.updated[i])
        self.version += 1

    def _touch(self, i: int, rec: dict, at: int) -> None:
        rec["updated_at"] = at
        self.updated[i] = at
        self.version += 1


def _part(pid: int, kind: str, author: dict, assigned: dict | None, body: str | None, t: int) -> dict:
    return {
        "type": "conversation_part",
        "id": str(pid),
        "part_type": kind,
        "body": body,
        "created_at": t,
        "updated_at": t,
        "notified_at": t,
        "assigned_to": assigned,
        "author": author,
        "attachments": [],
        "external_id": None,
        "redacted": False,
    }


def author_of(person: dict, *, ai: bool = False) -> dict:
    return {
        "type": person["type"],
        "id": person["id"],
        "name": person.get("name"),
        "email": person.get("email") or "",
        "from_ai_agent": ai,
        "is_ai_answer": ai,
    }


def _rating(r: random.Random, admin: dict, contact: dict) -> dict:
    score = (1, 2, 3, 4, 4, 5, 5, 5)[int(r.random() * 8)]
    return {
        "rating": score,
        "remark": ("Slow", "", "OK", "Helpful", "Great, thanks!")[score - 1],
        "contact": {"type": "contact", "id": contact["id"], "external_id": contact.get("external_id")},
        "teammate": {"type": "admin", "id": admin["id"]},
    }


def _steps(
    r: random.Random, who: dict, admin: dict, team: dict | None, big: bool
) -> tuple[list[tuple[str, dict, dict | None, str | None]], dict | None]:
    """The conversation's parts in order: (part_type, author, assigned_to, body). Every real part type the
    contract lists appears in a few hundred conversations."""
    contact = author_of(who)
    person = author_of({**admin, "type": "admin"})
    fin, bot = author_of(FIN, ai=True), author_of(OPERATOR)
    to_admin = {"type": "admin", "id": admin["id"]}
    steps: list[tuple[str, dict, dict | None, str | None]] = []
    ai = None
    closed = False
    if r.random() < 0.2:
        steps.append(("comment", fin, None, "<p>Hi, I'm Fin. Here is what I found.</p>"))
        if r.random() < 0.4:
            steps.append(("quick_reply", fin, None, None))
        resolution = RESOLUTIONS[int(r.random() * len(RESOLUTIONS))]
        ai = {
            "source_type": "workflow",
            "source_title": "Fin over Messenger",
            "last_answer_type": "ai_answer",
            "resolution_state": resolution,
            "rating": 1 + int(r.random() * 5) if r.random() < 0.5 else None,
            "rating_remark": None,
            "content_sources": {"type": "content_source.list", "total_count": 0, "content_sources": []},
        }
        if resolution in ("assumed_resolution", "confirmed_resolution"):
            if resolution == "confirmed_resolution":
                steps.append(("comment", contact, None, "<p>That fixed it, thanks!</p>"))
            steps.append(("close", fin, None, None))
            closed = True
        else:
            steps.append(("comment", contact, None, "<p>I would like to talk to a person.</p>"))
            if team is not None:
                steps.append(("assignment", bot, {"type": "team", "id": team["id"]}, None))
    if not closed:
        if r.random() < 0.85:
            steps.append(("assignment", bot if r.random() < 0.5 else person, to_admin, None))
        rounds = 1 + int(r.random() * 3)
        for k in range(rounds):
            if r.random() < 0.2:
                steps.append(("note", person, None, "<p>Checked the account, looks fine.</p>"))
            if r.random() < 0.85:
                steps.append(("comment", person, None, "<p>Thanks for reaching out! Let me check.</p>"))
            if k < rounds - 1:
                steps.append(("comment", contact, None, "<p>Any news?</p>"))
        if r.random() < 0.15:
            steps.append(("conversation_attribute_updated_by_admin", person, None, None))
        if r.random() < 0.1:
            steps.append(("snoozed", person, None, None))
            steps.append(("unsnoozed", bot, None, None))
        end = r.random()
        if end < 0.7:
            steps.append(("close", person, None, None))
            if r.random() < 0.15:
                steps.append(("comment", contact, None, "<p>Sorry, one more thing.</p>"))
                if r.random() < 0.5:
                    steps.append(("open", person, None, None))
                else:
                    steps.append(("assign_and_reopen", bot, to_admin, None))
                steps.append(("comment", person, None, "<p>Sure, happy to help.</p>"))
                if r.random() < 0.8:
                    steps.append(("close", person, None, None))
        elif end < 0.78:
            steps.append(("snoozed", person, None, None))
    if big:
        filler = [
            ("comment", contact if k % 2 == 0 else person, None, f"<p>Message {k}</p>")
            for k in range(MAX_PARTS + 20 + int(r.random() * 180))
        ]
        cut = len(steps) - 1 if steps and steps[-1][0] == "close" else len(steps)
        steps[cut:cut] = filler
    if not steps:
        steps.append(("assignment", bot, to_admin, None))
    return steps, ai
