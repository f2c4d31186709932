"""Countries and time zones for the pickers: Babel's CLDR data, phone examples from phonenumbers.

Country names come from CLDR (Babel's territory names, in the page's language);
the list holds the ISO 3166-1 alpha-2 regions that ``phonenumbers`` knows, the
same set the engine accepts, so a country chosen here is one a phone number can
default to. A typed name ("India", "inde", "भारत") or code ("in") is turned
into the code the engine expects; anything else is passed on unchanged, for the
engine to refuse with its own code.
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import phonenumbers
from babel import Locale
from babel.core import get_global

from regflow.core.locations import NO_POSTAL_CODE

UTC_ZONE = "UTC"


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    example: str  # a mobile number as written at home there, or ""
    postal: bool  # whether addresses there have postal codes


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def phone_example(code: str) -> str:
    """A mobile number of ``code`` in its national format ("081234 56789"), or ""."""
    number = phonenumbers.example_number_for_type(code, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


@cache
def countries(locale: str = "en") -> tuple[Country, ...]:
    """Every country a phone number can belong to, sorted by its name in ``locale``."""
    names = Locale.parse(locale).territories
    english = Locale("en").territories
    found = [
        Country(
            code,
            names.get(code) or english.get(code) or code,
            phone_example(code),
            code not in NO_POSTAL_CODE,
        )
        for code in phonenumbers.SUPPORTED_REGIONS
        if len(code) == 2 and code.isalpha()
    ]
    return tuple(sorted(found, key=lambda c: _fold(c.name)))


@cache
def _by_name() -> dict[str, str]:
    known: dict[str, str] = {}
    for locale in ("en", "fr", "hi"):
        for country in countries(locale):
            known.setdefault(_fold(country.name), country.code)
            known.setdefault(_fold(f"{country.name} ({country.code})"), country.code)
    return known


def country_code(text: str) -> str:
    """The alpha-2 code ``text`` names (a code or a name in a UI language), else ``text``."""
    folded = _fold(text)
    if len(folded) == 2 and folded.upper() in phonenumbers.SUPPORTED_REGIONS:
        return folded.upper()
    return _by_name().get(folded, text)


def country_name(code: str | None, locale: str = "en") -> str | None:
    """The name shown for a stored code (the code itself when unknown)."""
    if not code:
        return None
    for country in countries(locale):
        if country.code == code:
            return country.name
    return code


@cache
def _all_zones() -> tuple[str, ...]:
    return tuple(
        sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc"))
    )


def zone_groups(country: str | None) -> list[tuple[str, list[str]]]:
    """The time zones as groups: UTC and the country's zones first, then every other one."""
    territory_zones: Mapping[str, list[str]] = get_global("territory_zones")
    own = [z for z in territory_zones.get(country or "", []) if z in set(_all_zones())]
    first = [UTC_ZONE, *sorted(own)]
    rest = [z for z in _all_zones() if z not in first]
    return [("suggested", first), ("all", rest)]
