"""Organization names, slugs, join codes, departments and policies: pure functions."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from regflow.core import organizations as orgs
from regflow.core.model import JoinPolicy, MembershipStatus
from regflow.errors import FieldProblem


def problem(fn: object, *args: object) -> str:
    with pytest.raises(FieldProblem) as raised:
        fn(*args)  # type: ignore[operator]
    return raised.value.code


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Test University", "test-university"),
        ("  Université   de Montréal ", "universite-de-montreal"),
        ("Московский университет", "moskovskii-universitet"),
        ("Straße & Söhne GmbH", "strasse-sohne-gmbh"),
        ("東京大学", "dong-jing-da-xue"),
        ("St. Xavier's College (Autonomous)", "st-xavier-s-college-autonomous"),
        ("!!! ???", "org"),
    ],
)
def test_slugs_are_transliterated_lower_case(name: str, slug: str) -> None:
    assert orgs.slug_for(name) == slug


def test_long_names_cut_on_a_word_boundary() -> None:
    slug = orgs.slug_for("The International Institute of Advanced Research in Pure Mathematics")
    assert len(slug) <= orgs.SLUG_MAX and not slug.endswith("-")
    assert slug.startswith("the-international-institute")


@pytest.mark.parametrize("name", ["API", "Admin", "dash-board", "Settings", "A.P.I.", "WWW"])
def test_reserved_slugs_are_refused(name: str) -> None:
    assert problem(orgs.slug_for, name) == "RESERVED_SLUG"


def test_slug_candidates_start_with_the_base_then_random_suffixes() -> None:
    candidates = list(orgs.slug_candidates("test-university", 6))
    assert candidates[0] == "test-university" and len(candidates) == 6
    assert len(set(candidates)) == 6
    for other in candidates[1:]:
        assert re.fullmatch(r"test-university-[a-z2-9]{4}", other)
    long = list(orgs.slug_candidates("x" * orgs.SLUG_MAX, 3))
    assert all(len(c) <= orgs.SLUG_MAX for c in long)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("ab", "ORG_NAME_INVALID"),
        ("x" * 101, "ORG_NAME_INVALID"),
        ("Acme\u200bCorp", "ORG_NAME_INVALID"),
        ("Acme\tCorp", "ORG_NAME_INVALID"),
        ("---", "ORG_NAME_INVALID"),
    ],
)
def test_names_are_checked(raw: str, code: str) -> None:
    assert problem(orgs.normalize_name, raw) == code


def test_names_are_cleaned() -> None:
    assert orgs.normalize_name("  Test \u00a0  University  ") == "Test University"
    assert orgs.normalize_name("3M India") == "3M India"
    assert orgs.normalize_name("123") == "123"  # digits count as content


def test_join_code_format_and_alphabet() -> None:
    code = orgs.new_join_code("in", "Test University", 2025, 6)
    assert re.fullmatch(r"IN-TES-2025-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{6}", code)
    assert orgs.new_join_code("FR", "Ô", 2026, 3).startswith("FR-OXX-2026-")
    assert orgs.abbreviation("Московский университет") == "MOS"
    assert orgs.abbreviation("42 Academy") == "ACA"
    for ambiguous in "0O1IL":
        assert ambiguous not in orgs.JOIN_CODE_ALPHABET


def test_join_codes_are_random_enough() -> None:
    codes = Counter(orgs.new_join_code("IN", "Test", 2025, 6)[-6:] for _ in range(2000))
    assert len(codes) == 2000  # 31^6 ≈ 8.9e8 values: no repeat expected in 2000 draws
    letters = Counter("".join(codes))
    assert set(letters) == set(orgs.JOIN_CODE_ALPHABET)


def test_join_codes_are_normalized_or_refused() -> None:
    assert orgs.normalize_join_code("  in-tes-2025-jdq ") == "IN-TES-2025-JDQ"
    for bad in ("", "IN-TES-25-JDQ", "INTES2025JDQ", "I1-TES-2025-JDQ", "IN-TES-2025-J!Q"):
        assert problem(orgs.normalize_join_code, bad) == "ORG_CODE_INVALID"


def test_policy_bounds_the_random_length() -> None:
    assert orgs.OrganizationPolicy().join_code_random_length == 6
    with pytest.raises(ValueError, match=r"3\.\.16"):
        orgs.OrganizationPolicy(join_code_random_length=2)


def test_departments() -> None:
    assert orgs.normalize_departments([" Physics ", "physics", "Computer  Science"]) == [
        "Physics",
        "Computer Science",
    ]
    assert problem(orgs.normalize_departments, [""]) == "DEPARTMENT_INVALID"
    assert problem(orgs.normalize_departments, ["a\u202eb"]) == "DEPARTMENT_INVALID"
    too_many = [f"D{i}" for i in range(orgs.DEPARTMENTS_MAX + 1)]
    assert problem(orgs.normalize_departments, too_many) == "TOO_LONG"
    assert orgs.find_department(["Physics", "Chemistry"], " PHYSICS ") == "Physics"
    assert orgs.find_department(["Physics"], "Biology") is None


def test_membership_status_follows_the_join_policy() -> None:
    assert orgs.membership_status(JoinPolicy.OPEN, invited=False) is MembershipStatus.ACTIVE
    assert orgs.membership_status(JoinPolicy.APPROVAL, invited=False) is MembershipStatus.PENDING
    assert orgs.membership_status(JoinPolicy.INVITE_ONLY, invited=False) is None
    for policy in orgs.JOIN_POLICIES:
        assert orgs.membership_status(JoinPolicy(policy), invited=True) is MembershipStatus.ACTIVE
