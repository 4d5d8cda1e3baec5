"""Did each conversation's parts come back whole? The accounting of a parts fetch, pure (no I/O, no clock).

A conversation's parts are one ``GET /conversations/{id}``. Intercom documents two ways an answer holds fewer parts
than the conversation has, and neither may pass silently:

- "The maximum number of conversation parts that can be returned via the API is 500. If you have more than that we
  will return the 500 most recent conversation parts." A conversation answered with ``MAX_PARTS`` parts or more and
  counted higher is *truncated*: named (its id) and counted, not a gap, since nothing can fetch the rest.
- A conversation deleted after it was listed answers 404: *deleted*, counted and named, not a failure (its parts
  are gone from Intercom too).

Any other shortfall against ``statistics.count_conversation_parts`` is a *gap*. The expected count is the larger of
the listing's count (the search page that named the conversation) and the answer's own: a conversation only gains
parts, so the larger count is the later one, and an answer that holds fewer parts than either says is short.
A conversation with neither count cannot be checked; it counts as ``unchecked``, not as complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .numbers import is_int

__all__ = [
    "COMPLETE",
    "GAP",
    "MAX_PARTS",
    "TRUNCATED",
    "UNCHECKED",
    "PartsAccount",
    "PartsCheck",
    "check_parts",
]

MAX_PARTS = 500
COMPLETE, TRUNCATED, GAP, UNCHECKED = "complete", "truncated", "gap", "unchecked"


@dataclass(frozen=True)
class PartsCheck:
    """One conversation's verdict: ``expected`` (None when nothing counted its parts), ``written`` (distinct parts
    the answer held), ``outcome`` (``COMPLETE``, ``TRUNCATED``, ``GAP`` or ``UNCHECKED``)."""

    conversation_id: str
    expected: int | None
    written: int
    outcome: str

    @property
    def short(self) -> int:
        """Parts the conversation has and the answer did not hold."""
        return max((self.expected or 0) - self.written, 0)


def _count(value: Any) -> int | None:
    return value if is_int(value) and value >= 0 else None


def check_parts(conversation_id: str, listed: Any, answered: Any, written: int) -> PartsCheck:
    """The verdict on one answer: ``listed`` is the listing's ``count_conversation_parts`` (None when the caller
    listed only ids), ``answered`` the answer's own, ``written`` the distinct parts it held."""
    counts = [c for c in (_count(listed), _count(answered)) if c is not None]
    expected = max(counts) if counts else None
    if expected is None:
        outcome = UNCHECKED
    elif written >= expected:
        outcome = COMPLETE
    elif written >= MAX_PARTS:
        outcome = TRUNCATED  # "we will return the 500 most recent conversation parts"
    else:
        outcome = GAP
    return PartsCheck(str(conversation_id), expected, written, outcome)


@dataclass
class PartsAccount:
    """What a parts fetch (or a whole export's worth of them) added up to; ``add``/``merge`` sum, ``to_json`` /
    ``from_json`` keep it in a checkpoint.

    ``conversations`` answered, ``parts`` written, ``expected`` the counted parts of the checked ones;
    ``truncated`` ids (and ``truncated_parts`` that Intercom did not return for them); ``deleted`` ids (404);
    ``gaps`` one line per short conversation and ``missing`` their shortfall; ``unchecked`` conversations with no
    count to check against; ``empty`` ids of conversations answered without parts (no part row names them, so
    a recount asking which conversations the export holds needs them here)."""

    conversations: int = 0
    parts: int = 0
    expected: int = 0
    truncated: list[str] = field(default_factory=list)
    truncated_parts: int = 0
    deleted: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    missing: int = 0
    unchecked: int = 0
    empty: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """No gap (truncated and deleted conversations are reported, not gaps)."""
        return not self.gaps

    def add(self, check: PartsCheck) -> None:
        self.conversations += 1
        self.parts += check.written
        self.expected += check.expected or 0
        if not check.written:
            self.empty.append(check.conversation_id)
        if check.outcome == TRUNCATED:
            self.truncated.append(check.conversation_id)
            self.truncated_parts += check.short
        elif check.outcome == GAP:
            self.missing += check.short
            self.gaps.append(
                f"conversation {check.conversation_id}: Intercom counts {check.expected:,} parts, the answer "
                f"held {check.written:,}"
            )
        elif check.outcome == UNCHECKED:
            self.unchecked += 1

    def gone(self, conversation_id: str) -> None:
        """A conversation that answered 404 (deleted since it was listed)."""
        self.deleted.append(str(conversation_id))

    def merge(self, other: PartsAccount) -> None:
        for name in ("conversations", "parts", "expected", "truncated_parts", "missing", "unchecked"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.truncated.extend(other.truncated)
        self.deleted.extend(other.deleted)
        self.gaps.extend(other.gaps)
        self.empty.extend(other.empty)

    def to_json(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "parts": self.parts,
            "expected": self.expected,
            "truncated": list(self.truncated),
            "truncated_parts": self.truncated_parts,
            "deleted": list(self.deleted),
            "gaps": list(self.gaps),
            "missing": self.missing,
            "unchecked": self.unchecked,
            "empty": list(self.empty),
        }

    @classmethod
    def from_json(cls, data: Any) -> PartsAccount:
        """Read back ``to_json`` (an absent or odd checkpoint entry reads as an empty account)."""
        if not isinstance(data, dict):
            return cls()
        ints = {
            k: data[k]
            for k in ("conversations", "parts", "expected", "truncated_parts", "missing", "unchecked")
            if is_int(data.get(k))
        }
        lists = {
            k: [str(v) for v in data[k]]
            for k in ("truncated", "deleted", "gaps", "empty")
            if isinstance(data.get(k), list)
        }
        return cls(**ints, **lists)
