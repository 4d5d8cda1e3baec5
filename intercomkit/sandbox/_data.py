"""Deterministic fake workspace data, generated lazily from ``(seed, index)``.

Nothing here holds a million dicts: the store keeps three compact columns per contact (created_at, updated_at,
kind) and asks this module to materialise one record when it is needed. Records are the API shape plus three
private keys (``_tags``, ``_notes``, ``_companies``) holding the full lists the API only shows a page of.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Sequence

import numpy as np

__all__ = [
    "DAY",
    "END",
    "START",
    "Workspace",
    "company_created_at",
    "contact_columns",
    "generate_company",
    "generate_contact",
]

DAY = 86_400
# Fixed so that a seed always yields the same data, whatever day the tests run.
END = 1_767_225_600  # 2026-01-01T00:00:00Z
START = END - 5 * 365 * DAY

KIND_USER, KIND_LEAD, KIND_DELETED = 0, 1, 2

FIRST = [
    "ada",
    "alan",
    "grace",
    "linus",
    "barbara",
    "ken",
    "dennis",
    "margaret",
    "edsger",
    "donald",
    "frances",
    "john",
    "radia",
    "tim",
    "vint",
    "hedy",
    "katherine",
    "claude",
    "sophie",
    "guido",
    "anita",
    "jean",
    "leslie",
    "niklaus",
    "annie",
    "carl",
    "yukihiro",
    "rasmus",
    "mary",
    "james",
    "emma",
    "liam",
    "olivia",
    "noah",
    "amara",
    "kofi",
    "mei",
    "wei",
    "priya",
    "arjun",
]
LAST = [
    "lovelace",
    "turing",
    "hopper",
    "torvalds",
    "liskov",
    "thompson",
    "ritchie",
    "hamilton",
    "dijkstra",
    "knuth",
    "allen",
    "mccarthy",
    "perlman",
    "berners",
    "cerf",
    "lamarr",
    "johnson",
    "shannon",
    "wilson",
    "rossum",
    "borg",
    "sammet",
    "lamport",
    "wirth",
    "easley",
    "sagan",
    "matsumoto",
    "lerdorf",
    "keller",
    "gosling",
    "okafor",
    "mensah",
    "chen",
    "zhang",
    "patel",
    "iyer",
    "novak",
    "garcia",
    "silva",
]
DOMAINS = ("example.com", "example.org", "mail.example.net", "acme.test", "globex.test", "initech.test")
PLACES = (
    ("United States", "California", "San Francisco", "US", "NA"),
    ("United States", "New York", "New York", "US", "NA"),
    ("United Kingdom", "England", "London", "GB", "EU"),
    ("Ireland", "Dublin", "Dublin", "IE", "EU"),
    ("Germany", "Berlin", "Berlin", "DE", "EU"),
    ("France", "Ile-de-France", "Paris", "FR", "EU"),
    ("Brazil", "Sao Paulo", "Sao Paulo", "BR", "SA"),
    ("India", "Karnataka", "Bengaluru", "IN", "AS"),
    ("Japan", "Tokyo", "Tokyo", "JP", "AS"),
    ("Australia", "New South Wales", "Sydney", "AU", "OC"),
    ("Nigeria", "Lagos", "Lagos", "NG", "AF"),
    ("Canada", "Ontario", "Toronto", "CA", "NA"),
)
BROWSERS = ("chrome", "firefox", "safari", "edge")
OSES = ("OS X 14.1", "Windows 11", "Linux", "iOS 17.2", "Android 14")
LANGS = ("en", "en-GB", "fr", "de", "pt-BR", "ja")
TAG_NAMES = [
    "vip",
    "beta",
    "churn-risk",
    "trial",
    "enterprise",
    "smb",
    "newsletter",
    "webinar",
    "onboarded",
    "champion",
    "detractor",
    "promoter",
    "partner",
    "reseller",
    "edu",
    "nonprofit",
    "gdpr-export",
    "integration-api",
    "mobile",
    "desktop",
    "high-touch",
    "low-touch",
    "event-2025",
    "survey-q4",
]
SEGMENT_NAMES = ("Active", "New", "Slipping away", "Paying", "Enterprise accounts")
PLANS = ("Starter", "Pro", "Premium", "Enterprise")
INDUSTRIES = ("Software", "Retail", "Finance", "Healthcare", "Education", "Media", "Manufacturing")
SYLLABLES = [
    "zen",
    "lum",
    "ora",
    "vex",
    "tri",
    "nova",
    "cor",
    "byte",
    "data",
    "flux",
    "grid",
    "hex",
    "io",
    "kin",
    "loop",
    "mint",
    "nex",
    "orb",
    "peak",
    "quant",
]
SUFFIXES = ("Labs", "Inc", "GmbH", "Ltd", "Systems", "Works", "Analytics", "Cloud")
NOTE_BODIES = (
    "<p>Asked about SSO pricing.</p>",
    "<p>Renewal call scheduled.</p>",
    "<p>Reported a bug in the export.</p>",
    "<p>Interested in the annual plan.</p>",
)


def _rng(*parts: int) -> random.Random:
    # An int seed keeps construction of one record cheap (no hashing of strings).
    value = 0
    for p in parts:
        value = (value * 1_000_003 + p) & 0xFFFF_FFFF_FFFF_FFFF
    return random.Random(value)


def contact_columns(n: int, seed: int) -> tuple[array, array, bytearray]:
    """created_at (non-decreasing in index order), updated_at and kind for ``n`` generated contacts."""
    rng = random.Random(seed * 7919 + 17)
    span = END - START
    # x**0.7 front-loads time per index: sign-ups grow over the five years, as real workspaces do.
    created = array("q", [START + int(span * ((i + 0.5) / n) ** 0.7) for i in range(n)])
    rand = rng.random
    updated = array("q", [c + int((END - c) * rand() ** 3) for c in created])
    kind = bytearray([KIND_USER if rand() < 0.8 else KIND_LEAD for _ in range(n)])
    return created, updated, kind


def company_created_at(j: int, m: int) -> int:
    return START + int((END - START) * (j + 0.5) / max(m, 1))


class Workspace:
    """The per-seed constants: app, admins, tag and segment catalogues, id salts."""

    def __init__(
        self,
        seed: int,
        admins: int,
        *,
        contacts: int = 0,
        companies: int = 0,
        timezone: str = "Etc/UTC",
        support: tuple[int, int] | None = None,
    ) -> None:
        rng = random.Random(f"workspace:{seed}")
        self.seed = seed
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        for _ in range(8):  # still drawn: the id salts below stay what they were for this seed
            rng.choice(alphabet)
        # Sandboxes with other data are other workspaces: an export checkpoint is bound to ``app.id_code``, so a
        # 1 000-contact sandbox must not pass for a 5 000-contact one with the same seed.
        # ``support``: (conversations, tickets) when not the defaults; the default keeps each workspace's old id.
        extra = "" if support is None else f":{support[0]}:{support[1]}"
        shape = random.Random(f"workspace:{seed}:{contacts}:{companies}:{admins}:{timezone}{extra}")
        self.app_id = "".join(shape.choice(alphabet) for _ in range(8))
        self.contact_salt = rng.getrandbits(32)
        self.company_salt = rng.getrandbits(32)
        self.app = {
            "type": "app",
            "id_code": self.app_id,
            "name": "intercomkit sandbox",
            "region": "US",
            "timezone": "Etc/UTC",
            "created_at": START,
            "identity_verification": False,
        }
        self.admins: list[dict] = []
        for k in range(max(admins, 1)):
            first, last = FIRST[(k * 7) % len(FIRST)], LAST[(k * 11) % len(LAST)]
            self.admins.append(
                {
                    "type": "admin",
                    "id": str(991_267_400 + k * 13 + seed % 10),
                    "name": f"{first.title()} {last.title()}",
                    "email": f"{first}.{last}@sandbox.intercomkit.invalid",
                    "job_title": ("Support lead", "Success manager", "Analyst")[k % 3],
                    "away_mode_enabled": False,
                    "away_mode_reassign": False,
                    "has_inbox_seat": True,
                    "team_ids": [],
                    "avatar": None,
                }
            )
        self.admin_ids = [a["id"] for a in self.admins]
        self.tags = [
            {"type": "tag", "id": str(5_000_000 + k), "name": name} for k, name in enumerate(TAG_NAMES)
        ]
        self.tags_by_id = {t["id"]: t for t in self.tags}
        self.tag_ids = [t["id"] for t in self.tags]
        self.segments = [
            {
                "type": "segment",
                "id": f"{START + k:08x}{self.company_salt:08x}{k:08x}",
                "name": name,
                "created_at": START + k * DAY,
                "updated_at": END - k * DAY,
                "person_type": "user",
                "count": None,
            }
            for k, name in enumerate(SEGMENT_NAMES)
        ]

    def contact_id(self, created_at: int, idx: int) -> str:
        return f"{created_at & 0xFFFFFFFF:08x}{self.contact_salt:08x}{idx:08x}"

    def company_id(self, created_at: int, idx: int) -> str:
        return f"{created_at & 0xFFFFFFFF:08x}{self.company_salt:08x}{idx:08x}"


def _mix(i: int) -> int:
    # splitmix64 finaliser: a cheap, well-spread hash of the index (no Random object needed for names).
    z = (i * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & 0xFFFF_FFFF_FFFF_FFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFF_FFFF_FFFF_FFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFF_FFFF_FFFF_FFFF
    return z ^ (z >> 31)


def _identity(i: int) -> tuple[str, str, str]:
    """(first, last, domain) of generated contact ``i``; independent of the seed so emails are findable."""
    h = _mix(i)
    return FIRST[h % len(FIRST)], LAST[(h >> 16) % len(LAST)], DOMAINS[(h >> 32) % len(DOMAINS)]


def generated_email(i: int) -> str:
    first, last, domain = _identity(i)
    return f"{first}.{last}{i}@{domain}"


def company_without_users(j: int, seed: int) -> bool:
    """~1 generated company in 10 starts with no contacts at all: Intercom's list leaves such companies out
    ("the API does not include companies who have no associated users in list responses"), the scroll does not."""
    return _mix(j * 1_000_003 + seed) % 10 == 0


def attached_company(i: int, seed: int, m: int) -> int | None:
    """The company a generated contact starts attached to (~70 % of them), or None.

    Contact ``i`` only ever starts at company ``i % m`` so a company's contacts are a stride, no scan needed.
    """
    if m <= 0 or ((i * 2_654_435_761 + seed) >> 3) % 10 >= 7 or company_without_users(i % m, seed):
        return None
    return i % m


def attached_companies(n: int, seed: int, m: int) -> np.ndarray:
    """``attached_company`` for generated contacts ``0..n-1`` at once: the company index, or -1."""
    if m <= 0 or n <= 0:
        return np.full(max(n, 0), -1, dtype=np.int64)
    userless = np.array([company_without_users(j, seed) for j in range(m)], dtype=bool)
    i = np.arange(n, dtype=np.int64)
    if 0 <= seed < 1 << 31:
        keep = ((i * 2_654_435_761 + seed) >> 3) % 10 < 7
    else:  # numpy's int64 would overflow where Python's ints do not: same rule, computed one by one
        keep = np.array([((k * 2_654_435_761 + seed) >> 3) % 10 < 7 for k in range(n)], dtype=bool)
    company = i % m
    return np.where(keep & ~userless[company], company, -1)


_ANDROID_IOS_NONE = {
    f"{p}_{f}": None
    for p in ("android", "ios")
    for f in ("app_name", "app_version", "device", "os_version", "sdk_version", "last_seen_at")
}
_UTM_NONE = dict.fromkeys(
    (
        "utm_campaign",
        "utm_content",
        "utm_medium",
        "utm_source",
        "utm_term",
        "referrer",
        "enabled_push_messaging",
    )
)
# The custom attributes generated records carry, with Intercom's data_type for each (GET /data_attributes).
CONTACT_CUSTOM_ATTRIBUTES = {
    "plan_tier": "string",
    "seats": "integer",
    "mrr": "float",
    "beta_tester": "boolean",
    "signup_source": "string",
}
COMPANY_CUSTOM_ATTRIBUTES = {"region": "string", "account_manager": "string", "tier": "string"}
_NOTE_COUNTS = (0, 0, 0, 1, 1, 2, 3)
_TAG_STRIDES = (1, 5, 7, 11, 13, 17, 19, 23)  # coprime to the 24 catalogue tags: k distinct tags from a start
_PLAN_TIERS = ("free", "basic", "pro", "enterprise")
_SOURCES = ("organic", "ads", "referral", "partner")


_DRAWS = 64  # uniform draws reserved per contact (generate_contact uses at most ~55)


def contact_draws(seed: int, indices: Sequence[int]) -> list[list[float]]:
    """``_DRAWS`` uniform floats in [0, 1) per contact index: counter-based (splitmix64 of (seed, index, k)).

    A page of contacts gets its draws in one vectorised pass; the draws of contact ``i`` do not depend on which
    other contacts are on the page, so data is the same whichever endpoint or page size shows it.
    """
    idx = np.asarray(indices, dtype=np.uint64).reshape(-1, 1)
    k = np.arange(_DRAWS, dtype=np.uint64).reshape(1, -1)
    z = idx * np.uint64(_DRAWS) + k + np.uint64((seed * 0x2545F4914F6CDD1D) & 0xFFFF_FFFF_FFFF_FFFF)
    z = z * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))).tolist()


def generate_contact(
    ws: Workspace,
    i: int,
    created_at: int,
    updated_at: int,
    kind: int,
    m: int,
    draws: list[float] | None = None,
) -> dict:
    # Hot path of every list/search page: all randomness comes from ``draws`` (see contact_draws), taken in order;
    # picks are ``seq[int(r() * len(seq))]``.
    r = iter(draws if draws is not None else contact_draws(ws.seed, [i])[0]).__next__
    first, last, domain = _identity(i)
    email = f"{first}.{last}{i}@{domain}"
    user = kind == KIND_USER
    cid = ws.contact_id(created_at, i)
    later = max(END - created_at, 0) + 1  # seconds a "last ... at" can fall after created_at (inclusive)
    admin_ids = ws.admin_ids
    n_admins = len(admin_ids)

    place = PLACES[int(r() * len(PLACES))]
    located = r() < 0.9
    ntags = 11 + int(r() * 5) if r() < 0.03 else int(r() * 5)
    tag_ids = ws.tag_ids
    n_catalogue = len(tag_ids)
    start, stride = int(r() * n_catalogue), _TAG_STRIDES[int(r() * 8)]
    tags = [tag_ids[(start + k * stride) % n_catalogue] for k in range(min(ntags, n_catalogue))]
    notes = [
        {
            "type": "note",
            "id": str(70_000_000 + i * 4 + k),
            "created_at": created_at + int(r() * later),
            "body": NOTE_BODIES[int(r() * 4)],
            "author_id": admin_ids[int(r() * n_admins)],
        }
        for k in range(_NOTE_COUNTS[int(r() * 7)])
    ]
    company = attached_company(i, ws.seed, m)
    custom: dict = {}
    if r() < 0.7:
        custom["plan_tier"] = _PLAN_TIERS[int(r() * 4)]
    if r() < 0.6:
        custom["seats"] = 1 + int(r() * 500)
    if r() < 0.5:
        custom["mrr"] = round(r() * 5000, 2)
    if r() < 0.6:
        custom["beta_tester"] = r() < 0.3
    if r() < 0.5:
        custom["signup_source"] = _SOURCES[int(r() * 4)]
    last_seen = created_at + int(r() * later) if r() < 0.75 else None
    last_replied = created_at + int(r() * later) if r() < 0.2 else None
    last_contacted = created_at + int(r() * later) if r() < 0.4 else None
    last_opened = created_at + int(r() * later) if r() < 0.3 else None
    last_clicked = created_at + int(r() * later) if r() < 0.1 else None
    if last_seen:
        browser = BROWSERS[int(r() * 4)]
        browser_version = f"{90 + int(r() * 42)}.0"
        browser_language = LANGS[int(r() * 6)]
        os_name = OSES[int(r() * 5)]
    else:
        browser = browser_version = browser_language = os_name = None
    return {
        "type": "contact",
        "id": cid,
        "workspace_id": ws.app_id,
        "external_id": f"user-{i:07d}" if user else None,
        "role": "user" if user else "lead",
        "email": email,
        "email_domain": domain,
        "phone": f"+1{2_000_000_000 + int(r() * 8_000_000_000)}" if r() < 0.6 else None,
        "name": f"{first.title()} {last.title()}" if r() < 0.95 else None,
        "avatar": None,
        "owner_id": admin_ids[int(r() * n_admins)] if r() < 0.5 else None,
        "social_profiles": {
            "type": "list",
            "data": (
                [{"type": "social_profile", "name": "Twitter", "url": f"https://twitter.com/{first}{i}"}]
                if r() < 0.2
                else []
            ),
        },
        "has_hard_bounced": r() < 0.02,
        "marked_email_as_spam": r() < 0.01,
        "unsubscribed_from_emails": r() < 0.1,
        "created_at": created_at,
        "updated_at": updated_at,
        "signed_up_at": created_at if user else None,
        "last_seen_at": last_seen,
        "last_replied_at": last_replied,
        "last_contacted_at": last_contacted,
        "last_email_opened_at": last_opened,
        "last_email_clicked_at": last_clicked,
        "language_override": LANGS[int(r() * 6)] if r() < 0.1 else None,
        "browser": browser,
        "browser_version": browser_version,
        "browser_language": browser_language,
        "os": os_name,
        "location": {
            "type": "location",
            "country": place[0] if located else None,
            "region": place[1] if located else None,
            "city": place[2] if located else None,
            "country_code": place[3] if located else None,
            "continent_code": place[4] if located else None,
        },
        **_ANDROID_IOS_NONE,
        "custom_attributes": custom,
        **_UTM_NONE,
        "_tags": tags,
        "_notes": notes,
        "_companies": [company] if company is not None else [],
    }


def new_contact_record(ws: Workspace, idx: int, created_at: int, role: str) -> dict:
    """A blank contact as POST /contacts creates it, before the request's fields are applied."""
    return {
        "type": "contact",
        "id": ws.contact_id(created_at, idx),
        "workspace_id": ws.app_id,
        "external_id": None,
        "role": role,
        "email": "",
        "email_domain": "",
        "phone": None,
        "name": None,
        "avatar": None,
        "owner_id": None,
        "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": False,
        "marked_email_as_spam": False,
        "unsubscribed_from_emails": False,
        "created_at": created_at,
        "updated_at": created_at,
        "signed_up_at": None,
        "last_seen_at": None,
        "last_replied_at": None,
        "last_contacted_at": None,
        "last_email_opened_at": None,
        "last_email_clicked_at": None,
        "language_override": None,
        "browser": None,
        "browser_version": None,
        "browser_language": None,
        "os": None,
        "location": {
            "type": "location",
            "country": None,
            "region": None,
            "city": None,
            "country_code": None,
            "continent_code": None,
        },
        **{
            f"{p}_{f}": None
            for p in ("android", "ios")
            for f in ("app_name", "app_version", "device", "os_version", "sdk_version", "last_seen_at")
        },
        "custom_attributes": {},
        "utm_campaign": None,
        "utm_content": None,
        "utm_medium": None,
        "utm_source": None,
        "utm_term": None,
        "referrer": None,
        "enabled_push_messaging": None,
        "_tags": [],
        "_notes": [],
        "_companies": [],
    }


def company_last_request_at(j: int, seed: int, m: int) -> int:
    """A generated company's ``last_request_at``, without building the record (the list is sorted by it)."""
    created_at = company_created_at(j, m)
    return created_at + _mix(j * 7_919 + seed * 104_729 + 1) % (END - created_at + 1)


def generate_company(ws: Workspace, j: int, m: int) -> dict:
    rng = _rng(ws.seed, j, 3)
    created_at = company_created_at(j, m)
    name = f"{rng.choice(SYLLABLES).title()}{rng.choice(SYLLABLES)} {rng.choice(SUFFIXES)}"
    plan_name = rng.choice(PLANS) if rng.random() < 0.8 else None
    custom: dict[str, str] = {}
    if rng.random() < 0.7:
        custom["region"] = rng.choice(("AMER", "EMEA", "APAC"))
    if rng.random() < 0.5:
        custom["account_manager"] = rng.choice(ws.admins)["name"]
    if rng.random() < 0.6:
        custom["tier"] = rng.choice(("gold", "silver", "bronze"))
    return {
        "type": "company",
        "id": ws.company_id(created_at, j),
        "name": name,
        "app_id": ws.app_id,
        "company_id": f"company-{j:06d}",
        "remote_created_at": created_at - rng.randint(0, 400) * DAY,
        "created_at": created_at,
        "updated_at": rng.randint(created_at, END),
        "last_request_at": company_last_request_at(j, ws.seed, m),
        "size": rng.choice((1, 5, 10, 25, 50, 100, 250, 1000, 5000)),
        "website": f"https://{name.split()[0].lower()}{j}.example.com",
        "industry": rng.choice(INDUSTRIES),
        "monthly_spend": rng.choice((0, 0, 49, 99, 299, 999, 4999)),
        "session_count": rng.randint(0, 20_000),
        "user_count": 0,  # the contacts attached to it, counted by the store (Store.user_count)
        "plan": (
            {"type": "plan", "id": str(300 + PLANS.index(plan_name)), "name": plan_name} if plan_name else {}
        ),
        "custom_attributes": custom,
        "tags": {
            "type": "tag.list",
            "tags": [
                {"type": "tag", "id": t["id"], "name": t["name"]}
                for t in rng.sample(ws.tags, rng.randint(0, 3))
            ],
        },
        "segments": {"type": "segment.list", "segments": rng.sample(ws.segments, rng.randint(0, 2))},
    }


def new_company_record(ws: Workspace, idx: int, created_at: int, company_id: str) -> dict:
    return {
        "type": "company",
        "id": ws.company_id(created_at, idx),
        "name": "",
        "app_id": ws.app_id,
        "company_id": company_id,
        "remote_created_at": created_at,
        "created_at": created_at,
        "updated_at": created_at,
        "last_request_at": created_at,
        "size": 0,
        "website": "",
        "industry": "",
        "monthly_spend": 0,
        "session_count": 0,
        "user_count": 0,
        "plan": {},
        "custom_attributes": {},
        "tags": {"type": "tag.list", "tags": []},
        "segments": {"type": "segment.list", "segments": []},
    }
