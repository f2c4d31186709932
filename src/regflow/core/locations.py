"""Countries, places, postal codes and time zones, as people type them.

Countries are ISO 3166-1 alpha-2 codes known to ``phonenumbers``' region data
(the same data that parses phone numbers, so a country accepted here is one a
phone number can default to). Postal codes are checked against a small table
of patterns for common countries and a generic pattern elsewhere; countries
without postal codes accept none. Time zones are IANA names (``zoneinfo``,
with the ``tzdata`` package as a fallback database).

Every function is pure and raises :class:`regflow.errors.FieldProblem`.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from functools import cache

import phonenumbers

from regflow.core.identifiers import contains_forbidden_chars
from regflow.errors import ErrorCode, FieldProblem

PLACE_MAX = 100

# Countries whose addresses have no postal code: the field may be left out there.
NO_POSTAL_CODE = frozenset(
    "AE AG AO AW BF BI BJ BO BS BW BZ CD CF CG CI CK CM DJ DM ER FJ GA GD GH GM GQ GY HK HM "
    "KI KM KN KP LY ML MO MR MW NR NU QA RW SB SC SL SR SS ST SY TD TF TG TK TL TO TV TZ UG "
    "VU YE ZW".split()
)

# Postal code patterns of common countries, on the normalized (upper-case, single-spaced) value.
POSTAL_PATTERNS: dict[str, str] = {
    "AR": r"[A-Z]?\d{4}(?:[A-Z]{3})?",
    "AT": r"\d{4}",
    "AU": r"\d{4}",
    "BE": r"\d{4}",
    "BR": r"\d{5}-?\d{3}",
    "CA": r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d",
    "CH": r"\d{4}",
    "CN": r"\d{6}",
    "CZ": r"\d{3} ?\d{2}",
    "DE": r"\d{5}",
    "DK": r"\d{4}",
    "ES": r"\d{5}",
    "FI": r"\d{5}",
    "FR": r"\d{5}",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}",
    "IE": r"[A-Z]\d[\dW](?: ?[A-Z\d]{4})?",
    "IN": r"[1-9]\d{2} ?\d{3}",
    "IT": r"\d{5}",
    "JP": r"\d{3}-?\d{4}",
    "KR": r"\d{5}",
    "MX": r"\d{5}",
    "NG": r"\d{6}",
    "NL": r"\d{4} ?[A-Z]{2}",
    "NO": r"\d{4}",
    "NZ": r"\d{4}",
    "PH": r"\d{4}",
    "PK": r"\d{5}",
    "PL": r"\d{2}-\d{3}",
    "PT": r"\d{4}-\d{3}",
    "RU": r"\d{6}",
    "SE": r"\d{3} ?\d{2}",
    "SG": r"\d{6}",
    "US": r"\d{5}(?:-\d{4})?",
    "ZA": r"\d{4}",
}
_GENERIC_POSTAL = r"[A-Z0-9](?:[A-Z0-9 -]{0,8}[A-Z0-9])?"
_COMPILED = {country: re.compile(pattern) for country, pattern in POSTAL_PATTERNS.items()}
_GENERIC = re.compile(_GENERIC_POSTAL)


def normalize_country(raw: str, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 code, upper-case, or ``COUNTRY_INVALID``."""
    value = raw.strip().upper()
    if len(value) != 2 or not value.isascii() or value not in phonenumbers.SUPPORTED_REGIONS:
        raise FieldProblem(
            field, ErrorCode.COUNTRY_INVALID, "Choose a country (ISO 3166 code, e.g. IN)."
        )
    return value


def has_postal_codes(country: str) -> bool:
    return country not in NO_POSTAL_CODE


def normalize_postal_code(
    raw: str | None, country: str | None, field: str = "postal_code"
) -> str | None:
    """The postal code, upper-case and single-spaced, checked for ``country``.

    ``None`` is accepted only where the country has no postal codes; an unknown
    ``country`` (already refused on its own field) checks against the generic pattern.
    """
    if raw is None or not raw.strip():
        if country is not None and not has_postal_codes(country):
            return None
        raise FieldProblem(field, ErrorCode.REQUIRED, "This field is required.")
    value = " ".join(raw.upper().split())
    if contains_forbidden_chars(value) or len(value) > 12:
        raise FieldProblem(field, ErrorCode.POSTAL_CODE_INVALID, "Enter a valid postal code.")
    pattern = _COMPILED.get(country or "", _GENERIC)
    if not pattern.fullmatch(value):
        raise FieldProblem(field, ErrorCode.POSTAL_CODE_INVALID, "Enter a valid postal code.")
    return value


PLACE_CODES = {
    "state": ErrorCode.STATE_INVALID,
    "city": ErrorCode.CITY_INVALID,
    "current_institution": ErrorCode.CURRENT_INSTITUTION_INVALID,
    "academic_level": ErrorCode.ACADEMIC_LEVEL_INVALID,
    "department": ErrorCode.DEPARTMENT_INVALID,
    "batch": ErrorCode.BATCH_INVALID,
}


def _place_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN" or ch in " -'’.(),&/"


def normalize_place(
    raw: str, field: str, *, max_length: int = PLACE_MAX, require_letter: bool = True
) -> str:
    """A place or institution name (city, state, school): NFC, single spaces, 1..100 chars.

    Letters of any script, digits, spaces and ``- ' . ( ) , & /``; at least one letter
    unless ``require_letter`` is false (a batch such as ``2024-2028``).
    The code is ``<FIELD>_INVALID`` (``CITY_INVALID``, ``STATE_INVALID``, ...), or
    ``INVALID_VALUE`` for a field the catalogue has no such code for.
    """
    code = PLACE_CODES.get(field, ErrorCode.INVALID_VALUE)
    if contains_forbidden_chars(raw):
        raise FieldProblem(field, code, "This value contains invisible characters.")
    value = " ".join(unicodedata.normalize("NFC", raw).split())
    if not 1 <= len(value) <= max_length:
        raise FieldProblem(field, code, f"Use 1 to {max_length} characters.")
    if not all(map(_place_char, value)):
        raise FieldProblem(field, code, "Use letters, digits, spaces and - ' . ( ) , & / only.")
    if require_letter and not any(unicodedata.category(ch)[0] == "L" for ch in value):
        raise FieldProblem(field, code, "This value must contain letters.")
    return value


@cache
def _time_zones() -> dict[str, str]:
    """Every IANA name, keyed by its lower-case form (read once: it scans the database)."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def normalize_timezone(raw: str, field: str = "timezone") -> str:
    """An IANA time zone name (``Asia/Kolkata``), exactly as the database spells it."""
    # the database is case-sensitive: accept any case, store the canonical spelling
    canonical = _time_zones().get(raw.strip().lower())
    if canonical is None:
        raise FieldProblem(field, ErrorCode.TIMEZONE_INVALID, "Choose an IANA time zone.")
    return canonical
