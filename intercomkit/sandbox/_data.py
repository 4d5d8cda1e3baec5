"""Deterministic fake workspace data, generated lazily from ``(seed, index)``.

Nothing here holds a million dicts: the store keeps three compact columns per contact (created_at, updated_at,
kind) and asks this module to materialise one record when it is needed. Records are the API shape plus three
private keys (``_tags``, ``_notes``, ``_companies``) holding the full lists the API only shows a page of.
"""

from __future__ import annotations

import random
from array import array

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

    def __init__(self, seed: int, admins: int) -> None:
        rng = random.Random(f"workspace:{seed}")
        self.seed = seed
        self.app_id = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
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


def generated_email(i: int) -> str:
    rng = _rng(i, 1)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return f"{first}.{last}{i}@{rng.choice(DOMAINS)}"


def attached_company(i: int, seed: int, m: int) -> int | None:
    """The company a generated contact starts attached to (~70 % of them), or None.

    Contact ``i`` only ever starts at company ``i % m`` so a company's contacts are a stride, no scan needed.
    """
    if m <= 0 or ((i * 2_654_435_761 + seed) >> 3) % 10 >= 7:
        return None
    return i % m


def generate_contact(ws: Workspace, i: int, created_at: int, updated_at: int, kind: int, m: int) -> dict:
    rng = _rng(ws.seed, i, 2)
    first, last = _name_of(i)
    email = generated_email(i)
    role = "user" if kind == KIND_USER else "lead"
    cid = ws.contact_id(created_at, i)

    def maybe_time(p: float) -> int | None:
        return rng.randint(created_at, max(created_at, END)) if rng.random() < p else None

    country, region, city, cc, cont = rng.choice(PLACES)
    located = rng.random() < 0.9
    ntags = rng.randint(11, 15) if rng.random() < 0.03 else rng.randint(0, 4)
    tags = [t["id"] for t in rng.sample(ws.tags, ntags)]
    notes = [
        {
            "type": "note",
            "id": str(70_000_000 + i * 4 + k),
            "created_at": rng.randint(created_at, max(created_at, END)),
            "body": rng.choice(NOTE_BODIES),
            "author_id": rng.choice(ws.admin_ids),
        }
        for k in range(rng.choice((0, 0, 0, 1, 1, 2, 3)))
    ]
    company = attached_company(i, ws.seed, m)
    custom: dict = {}
    if rng.random() < 0.7:
        custom["plan_tier"] = rng.choice(("free", "basic", "pro", "enterprise"))
    if rng.random() < 0.6:
        custom["seats"] = rng.randint(1, 500)
    if rng.random() < 0.5:
        custom["mrr"] = round(rng.uniform(0, 5000), 2)
    if rng.random() < 0.6:
        custom["beta_tester"] = rng.random() < 0.3
    if rng.random() < 0.5:
        custom["signup_source"] = rng.choice(("organic", "ads", "referral", "partner"))
    last_seen = maybe_time(0.75)
    browser = rng.choice(BROWSERS) if last_seen else None
    return {
        "type": "contact",
        "id": cid,
        "workspace_id": ws.app_id,
        "external_id": f"user-{i:07d}" if role == "user" else None,
        "role": role,
        "email": email,
        "email_domain": email.rsplit("@", 1)[1],
        "phone": f"+1{rng.randint(2_000_000_000, 9_999_999_999)}" if rng.random() < 0.6 else None,
        "name": f"{first.title()} {last.title()}" if rng.random() < 0.95 else None,
        "avatar": None,
        "owner_id": rng.choice(ws.admin_ids) if rng.random() < 0.5 else None,
        "social_profiles": {
            "type": "list",
            "data": (
                [{"type": "social_profile", "name": "Twitter", "url": f"https://twitter.com/{first}{i}"}]
                if rng.random() < 0.2
                else []
            ),
        },
        "has_hard_bounced": rng.random() < 0.02,
        "marked_email_as_spam": rng.random() < 0.01,
        "unsubscribed_from_emails": rng.random() < 0.1,
        "created_at": created_at,
        "updated_at": updated_at,
        "signed_up_at": created_at if role == "user" else None,
        "last_seen_at": last_seen,
        "last_replied_at": maybe_time(0.2),
        "last_contacted_at": maybe_time(0.4),
        "last_email_opened_at": maybe_time(0.3),
        "last_email_clicked_at": maybe_time(0.1),
        "language_override": rng.choice(LANGS) if rng.random() < 0.1 else None,
        "browser": browser,
        "browser_version": f"{rng.randint(90, 131)}.0" if browser else None,
        "browser_language": rng.choice(LANGS) if browser else None,
        "os": rng.choice(OSES) if browser else None,
        "location": {
            "type": "location",
            "country": country if located else None,
            "region": region if located else None,
            "city": city if located else None,
            "country_code": cc if located else None,
            "continent_code": cont if located else None,
        },
        "android_app_name": None,
        "android_app_version": None,
        "android_device": None,
        "android_os_version": None,
        "android_sdk_version": None,
        "android_last_seen_at": None,
        "ios_app_name": None,
        "ios_app_version": None,
        "ios_device": None,
        "ios_os_version": None,
        "ios_sdk_version": None,
        "ios_last_seen_at": None,
        "custom_attributes": custom,
        "utm_campaign": None,
        "utm_content": None,
        "utm_medium": None,
        "utm_source": None,
        "utm_term": None,
        "referrer": None,
        "enabled_push_messaging": None,
        "_tags": tags,
        "_notes": notes,
        "_companies": [company] if company is not None else [],
    }


def _name_of(i: int) -> tuple[str, str]:
    rng = _rng(i, 1)
    return rng.choice(FIRST), rng.choice(LAST)


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
        "last_request_at": rng.randint(created_at, END),
        "size": rng.choice((1, 5, 10, 25, 50, 100, 250, 1000, 5000)),
        "website": f"https://{name.split()[0].lower()}{j}.example.com",
        "industry": rng.choice(INDUSTRIES),
        "monthly_spend": rng.choice((0, 0, 49, 99, 299, 999, 4999)),
        "session_count": rng.randint(0, 20_000),
        "user_count": rng.randint(0, 400),
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
