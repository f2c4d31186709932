"""Organizations: names, slugs, join codes, departments and policies, as pure functions.

Slugs are transliterated from the name (``python-slugify`` over
``text-unidecode``: "Université de Montréal" -> ``universite-de-montreal``,
"Московский университет" -> ``moskovskii-universitet``), always lower-case, so
the database's plain unique index makes them unique regardless of case. The
reserved words of seed 003 (and a few paths of regflow's own) are refused.
When a slug is taken, a random suffix is tried (``test-university-k3x9``).

Join codes follow seed 001: ``{COUNTRY}-{ABBREV}-{YEAR}-{RANDOM}``, e.g.
``IN-TES-2025-JDQ7KM``. The random part is drawn from ``secrets`` over an
alphabet without look-alikes (no ``0 O 1 I L``); its length is configurable
and defaults to 6 (31^6 ≈ 8.9e8) rather than the seed's 3 (31^3 ≈ 3e4), since
everything before it is guessable from the organization's country, name and
year.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from slugify import slugify

from regflow.core.identifiers import contains_forbidden_chars
from regflow.core.model import JoinPolicy, MembershipStatus
from regflow.errors import ErrorCode, FieldProblem

NAME_MIN, NAME_MAX = 3, 100  # seed 003's organizationName
SLUG_MAX = 60
SLUG_SUFFIX_LENGTH = 4
SLUG_SUFFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DEFAULT_JOIN_CODE_RANDOM_LENGTH = 6
JOIN_CODE_PATTERN = re.compile(r"[A-Z]{2}-[A-Z]{3}-\d{4}-[A-Z0-9]{3,16}")
DEPARTMENT_MAX, DEPARTMENTS_MAX = 100, 200

RESERVED_SLUGS = frozenset(
    # seed 003's list first, then regflow's own top-level paths and obvious impostors
    """
    api app admin dashboard auth settings
    www static assets docs login logout register signup signin v1 dev healthz readyz metrics
    regflow support help root system
    """.split()
)

JOIN_POLICIES = tuple(policy.value for policy in JoinPolicy)
STRUCTURES = ("single", "multi")
ORG_TYPES = (
    "school",
    "college",
    "university",
    "institute",
    "coaching",
    "training",
    "corporate",
    "government",
    "ngo",
    "other",
)

NEXT_STEPS: tuple[dict[str, str], ...] = (
    # seed 001's nextSteps, with stable ids a UI can translate
    {"id": "complete_profile", "text": "Complete your profile setup"},
    {"id": "add_teachers", "text": "Add your first teachers"},
    {"id": "configure_settings", "text": "Configure your institution settings"},
)


@dataclass(frozen=True)
class OrganizationPolicy:
    """Operator settings for organizations (``REGFLOW_JOIN_CODE_RANDOM_LENGTH``, ...)."""

    join_code_random_length: int = DEFAULT_JOIN_CODE_RANDOM_LENGTH
    unique_attempts: int = 6  # slug and join code tries before ORG_SLUG_EXISTS
    invitation_ttl: timedelta = timedelta(days=7)
    upload_ttl: timedelta = timedelta(days=1)

    def __post_init__(self) -> None:
        if not 3 <= self.join_code_random_length <= 16:
            raise ValueError("join_code_random_length must be within 3..16")


def normalize_name(raw: str, field: str = "name") -> str:
    """An organization name: NFC, single spaces, 3..100 characters, with a letter or digit."""
    if contains_forbidden_chars(raw):
        raise FieldProblem(
            field, ErrorCode.ORG_NAME_INVALID, "The name contains invisible characters."
        )
    value = " ".join(unicodedata.normalize("NFC", raw).split())
    if not NAME_MIN <= len(value) <= NAME_MAX:
        message = f"Use {NAME_MIN} to {NAME_MAX} characters."
        raise FieldProblem(field, ErrorCode.ORG_NAME_INVALID, message)
    if not any(unicodedata.category(ch)[0] in "LN" for ch in value):
        raise FieldProblem(
            field, ErrorCode.ORG_NAME_INVALID, "The name must contain letters or digits."
        )
    return value


def slug_for(name: str, field: str = "name") -> str:
    """The base slug of ``name``; ``RESERVED_SLUG`` or ``ORG_NAME_INVALID`` when unusable."""
    slug = slugify(name, max_length=SLUG_MAX, word_boundary=True, save_order=True)
    if not slug:
        slug = "org"  # a name of symbols only transliterates to nothing
    if slug in RESERVED_SLUGS or slug.replace("-", "") in RESERVED_SLUGS:
        raise FieldProblem(field, ErrorCode.RESERVED_SLUG, "This organization name is reserved.")
    return slug


def slug_candidates(base: str, attempts: int) -> Iterator[str]:
    """``base`` first, then ``base`` with random suffixes: the slugs to try in order, each
    drawn only when the one before it was taken."""
    yield base
    stem = base[: SLUG_MAX - SLUG_SUFFIX_LENGTH - 1].rstrip("-")
    for _ in range(attempts - 1):
        suffix = "".join(secrets.choice(SLUG_SUFFIX_ALPHABET) for _ in range(SLUG_SUFFIX_LENGTH))
        yield f"{stem}-{suffix}"


def abbreviation(name: str) -> str:
    """Three letters for the join code: the first ASCII letters of the transliterated name."""
    letters = [ch for ch in slugify(name, separator="").upper() if "A" <= ch <= "Z"]
    return "".join(letters[:3]).ljust(3, "X")


def new_join_code(country: str, name: str, year: int, random_length: int) -> str:
    """``{COUNTRY}-{ABBREV}-{YEAR}-{RANDOM}`` with a fresh random part from ``secrets``."""
    random_part = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(random_length))
    return f"{country.upper()}-{abbreviation(name)}-{year:04d}-{random_part}"


def normalize_join_code(raw: str, field: str = "org_code") -> str:
    """A join code as typed (any case, spaces around) in stored form, or ``ORG_CODE_INVALID``."""
    value = raw.strip().upper()
    if not JOIN_CODE_PATTERN.fullmatch(value):
        raise FieldProblem(field, ErrorCode.ORG_CODE_INVALID, "No organization has this code.")
    return value


def normalize_departments(raw: Iterable[str], field: str = "departments") -> list[str]:
    """Department names: trimmed, NFC, 1..100 characters, duplicates (any case) dropped."""
    seen: set[str] = set()
    out: list[str] = []
    for item in raw:
        if contains_forbidden_chars(item):
            raise FieldProblem(
                field, ErrorCode.DEPARTMENT_INVALID, "A department name is not valid."
            )
        value = " ".join(unicodedata.normalize("NFC", item).split())
        if not 1 <= len(value) <= DEPARTMENT_MAX:
            message = f"Use 1 to {DEPARTMENT_MAX} characters per department."
            raise FieldProblem(field, ErrorCode.DEPARTMENT_INVALID, message)
        if value.casefold() not in seen:
            seen.add(value.casefold())
            out.append(value)
    if len(out) > DEPARTMENTS_MAX:
        raise FieldProblem(field, ErrorCode.TOO_LONG, f"At most {DEPARTMENTS_MAX} departments.")
    return out


def find_department(departments: Iterable[str], wanted: str) -> str | None:
    """The organization's own spelling of ``wanted`` (compared case-insensitively)."""
    folded = " ".join(wanted.split()).casefold()
    return next((d for d in departments if d.casefold() == folded), None)


def membership_status(join_policy: JoinPolicy, *, invited: bool) -> MembershipStatus | None:
    """The status of a new member joining by code (None: joining by code is refused)."""
    if invited or join_policy is JoinPolicy.OPEN:
        return MembershipStatus.ACTIVE
    if join_policy is JoinPolicy.APPROVAL:
        return MembershipStatus.PENDING
    return None
