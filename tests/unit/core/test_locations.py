"""Countries, postal codes, places and time zones."""

from __future__ import annotations

import pytest

from regflow.core import locations
from regflow.errors import FieldProblem


def code(fn: object, *args: object) -> str:
    with pytest.raises(FieldProblem) as raised:
        fn(*args)  # type: ignore[operator]
    return raised.value.code


def test_countries() -> None:
    assert locations.normalize_country(" in ") == "IN"
    for bad in ("", "XX", "IND", "I", "12", "ÌN"):
        assert code(locations.normalize_country, bad) == "COUNTRY_INVALID"


@pytest.mark.parametrize(
    ("country", "raw", "stored"),
    [
        ("US", "94105", "94105"),
        ("US", "94105-1234", "94105-1234"),
        ("GB", "sw1a  1aa", "SW1A 1AA"),
        ("CA", "k1a 0b1", "K1A 0B1"),
        ("IN", "411001", "411001"),
        ("NL", "1012 ab", "1012 AB"),
        ("JP", "100-0001", "100-0001"),
        ("BR", "01310-100", "01310-100"),
        ("IE", "D02 X285", "D02 X285"),
        ("KE", "00100", "00100"),  # not in the table: the generic pattern
    ],
)
def test_postal_codes_by_country(country: str, raw: str, stored: str) -> None:
    assert locations.normalize_postal_code(raw, country) == stored


@pytest.mark.parametrize(
    ("country", "raw"),
    [("US", "9410"), ("GB", "12345"), ("IN", "011001"), ("DE", "1234"), ("KE", "#1"), ("FR", "")],
)
def test_wrong_postal_codes(country: str, raw: str) -> None:
    assert code(locations.normalize_postal_code, raw, country) in {
        "POSTAL_CODE_INVALID",
        "REQUIRED",
    }


def test_postal_code_optional_only_where_there_are_none() -> None:
    assert locations.normalize_postal_code(None, "AE") is None
    assert locations.normalize_postal_code("  ", "HK") is None
    assert code(locations.normalize_postal_code, None, "IN") == "REQUIRED"
    assert code(locations.normalize_postal_code, None, None) == "REQUIRED"


def test_places() -> None:
    assert locations.normalize_place("  São   Paulo ", "city") == "São Paulo"
    assert locations.normalize_place("Saint-Étienne", "city") == "Saint-Étienne"
    assert locations.normalize_place("Tamil Nadu", "state") == "Tamil Nadu"
    assert locations.normalize_place("2024-2028", "batch", require_letter=False) == "2024-2028"
    for bad in ("", "12345", "<script>", "Pune\x00", "a\u202eb", "x" * 101):
        assert code(locations.normalize_place, bad, "city") == "CITY_INVALID"


def test_time_zones() -> None:
    assert locations.normalize_timezone("Asia/Kolkata") == "Asia/Kolkata"
    assert locations.normalize_timezone(" america/new_york ") == "America/New_York"
    assert locations.normalize_timezone("UTC") == "UTC"
    for bad in ("", "Mars/Olympus", "../../etc/passwd", "Asia/"):
        assert code(locations.normalize_timezone, bad) == "TIMEZONE_INVALID"
