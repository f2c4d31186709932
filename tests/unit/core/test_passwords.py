from __future__ import annotations

from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regflow.core.passwords import (
    NistPolicy,
    SeedPolicy,
    check_confirmation,
    is_common,
    policy_for,
    rules,
    strength,
)
from regflow.errors import FieldProblem

NIST = NistPolicy()
SEED = SeedPolicy()


def code_of(policy: NistPolicy | SeedPolicy, password: str, context: tuple[str, ...] = ()) -> str:
    with pytest.raises(FieldProblem) as info:
        policy.check(password, context=context)
    assert info.value.field == "password"
    assert info.value.message
    return info.value.code


# --- the shipped blocklist -----------------------------------------------------------------


def test_blocklist_is_shipped_lower_case_and_large() -> None:
    text = resources.files("regflow.core").joinpath("data/common_passwords.txt").read_text()
    lines = [line for line in text.splitlines() if line]
    assert len(lines) >= 500
    assert all(line == line.lower() == line.strip() for line in lines)
    assert sum(len(line) >= 8 for line in lines) >= 300  # entries NIST length would not catch


# --- NIST ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "Tr0ub4dor&3x",
        "mot de passe très long",
        "пароль-надёжный-42",
        "🔑🔑🔒🔓🗝️🔐🔏🔒",
        "kx9mzqtr",  # eight random characters: no dictionary, pattern or date
        "\u00a0leading-and-trailing-spaces\u00a0 ",
    ],
)
def test_nist_accepts(password: str) -> None:
    NIST.check(password)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("", "PASSWORD_TOO_SHORT"),
        ("Ab1!xyz", "PASSWORD_TOO_SHORT"),
        ("ｐａｓｓｗｏｒｄ", "PASSWORD_COMMON"),  # full-width folds to "password" under NFKC
        ("x" * 129, "PASSWORD_TOO_LONG"),
        ("password", "PASSWORD_COMMON"),
        ("PassWord123", "PASSWORD_COMMON"),
        ("iloveyou", "PASSWORD_COMMON"),
        ("qwertyuiop", "PASSWORD_COMMON"),
        ("12345678", "PASSWORD_COMMON"),
        ("87654321", "PASSWORD_COMMON"),
        ("abcdefgh", "PASSWORD_COMMON"),
        ("ABCDEFGHIJ", "PASSWORD_COMMON"),
        ("zzzzzzzzzzzz", "PASSWORD_COMMON"),
        ("abababababab", "PASSWORD_COMMON"),
        ("passpasspass", "PASSWORD_COMMON"),
        ("aaaaaaab", "PASSWORD_COMMON"),  # a repeat: zxcvbn guesses it at once
        ("x" * 120 + "yz", "PASSWORD_COMMON"),
        ("Passw0rd!", "PASSWORD_COMMON"),  # l33t and a capital change nothing
        ("monkey2024", "PASSWORD_COMMON"),  # a word and a year
        ("ab\x00cdefgh", "PASSWORD_INVALID"),
        ("ab\ud800cdefgh", "PASSWORD_INVALID"),
    ],
)
def test_nist_refuses(password: str, code: str) -> None:
    assert code_of(NIST, password) == code


def test_nist_counts_code_points_after_nfkc() -> None:
    # Four decomposed accented letters plus four letters: 12 code points raw, 8 after NFKC.
    NistPolicy(8, 64).check("a\u0301e\u0301o\u0301n\u0301wxkz")
    assert code_of(NistPolicy(8, 64), "e\u0301" * 3 + "wxyz") == "PASSWORD_TOO_SHORT"
    # NFKC expands "¼" to three code points; four typed characters still are too short.
    assert code_of(NIST, "00¼¼") == "PASSWORD_TOO_SHORT"
    assert code_of(NistPolicy(8, 64), "x" * 63 + "¼") == "PASSWORD_TOO_LONG"


@pytest.mark.parametrize(
    ("password", "context"),
    [
        ("jane.doe-rocks!", ("jane.doe@example.com",)),
        ("xxJANEDOExx", ("JaneDoe",)),
        ("my-acme-secret", ("Acme Corp",)),
        ("blue-smithson-42", ("Jane", "Smithson")),
        ("ZOÉLLE-rocks-42", ("zoe\u0301lle",)),  # case and composition do not matter
    ],
)
def test_nist_refuses_context_words(password: str, context: tuple[str, ...]) -> None:
    assert code_of(NIST, password, context) == "PASSWORD_CONTEXT"


@pytest.mark.parametrize("password", ["regflow2024", "RegFlow!!2024", "my-regflow-pass"])
def test_nist_refuses_the_product_name_without_context(password: str) -> None:
    assert code_of(NIST, password) == "PASSWORD_CONTEXT"


def test_blocklist_holds_the_maintained_frequency_list() -> None:
    # zxcvbn's 30,000 most common passwords (ASVS 6.2.4 asks for 3,000 at least)
    for common in ("trustno1", "sunshine", "superman", "starwars", "jordan23", "zxcvbnm1"):
        assert is_common(common), common


def test_a_guessable_password_is_refused_with_the_estimator_s_reason() -> None:
    with pytest.raises(FieldProblem) as info:
        NIST.check("Passw0rd!")
    assert "similar to a commonly used password" in info.value.message


def test_nist_ignores_short_context_words() -> None:
    NIST.check("bob-and-alice-x9", context=("bob", "Al", "", "  "))


@given(st.text(max_size=7))
def test_nist_never_accepts_fewer_than_8_code_points(password: str) -> None:
    with pytest.raises(FieldProblem):
        NIST.check(password)


@given(st.text(min_size=8, max_size=80))
def test_nist_refusals_are_field_problems_with_known_codes(password: str) -> None:
    try:
        NIST.check(password)
    except FieldProblem as exc:
        assert exc.code in {
            "PASSWORD_INVALID",
            "PASSWORD_TOO_SHORT",
            "PASSWORD_COMMON",
            "PASSWORD_CONTEXT",
        }


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=1), st.integers(8, 64))
def test_nist_refuses_any_repeated_character(ch: str, n: int) -> None:
    assert code_of(NIST, ch * n) == "PASSWORD_COMMON"


@pytest.mark.parametrize(("lo", "hi"), [(7, 64), (8, 63), (20, 10)])
def test_nist_bounds_are_validated(lo: int, hi: int) -> None:
    with pytest.raises(ValueError):
        NistPolicy(lo, hi)


def test_nist_custom_bounds() -> None:
    policy = NistPolicy(min_length=12, max_length=64)
    assert code_of(policy, "abc-def-ghi") == "PASSWORD_TOO_SHORT"
    assert code_of(policy, "q" + "w" * 64) == "PASSWORD_TOO_LONG"
    policy.check("abc-def-ghi-j")


# --- seed ----------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Passw0rd!", "Ab1!Ab1!", "Ünïcødé9 ok", "Password123!"])
def test_seed_accepts(password: str) -> None:
    SEED.check(password)  # the seed contracts document no blocklist


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Ab1!", ["at least 8 characters"]),
        ("abcdefg1!", ["an upper-case letter"]),
        ("ABCDEFG1!", ["a lower-case letter"]),
        ("Abcdefgh!", ["a digit"]),
        ("Abcdefgh1", ["a special character"]),
        ("", ["at least 8", "upper-case", "lower-case", "a digit", "a special"]),
    ],
)
def test_seed_lists_what_is_missing(password: str, missing: list[str]) -> None:
    with pytest.raises(FieldProblem) as info:
        SEED.check(password)
    assert (info.value.field, info.value.code) == ("password", "PASSWORD_WEAK")
    for part in missing:
        assert part in info.value.message


@given(st.text(max_size=7))
def test_seed_never_accepts_fewer_than_8_code_points(password: str) -> None:
    with pytest.raises(FieldProblem):
        SEED.check(password)


def test_seed_limits() -> None:
    assert code_of(SEED, "Aa1!" * 33) == "PASSWORD_TOO_LONG"
    assert code_of(SEED, "Aa1!\x00Aa1!") == "PASSWORD_INVALID"


# --- policy selection and rules ------------------------------------------------------------


def test_policy_for() -> None:
    assert isinstance(policy_for("nist"), NistPolicy)
    assert isinstance(policy_for("seed"), SeedPolicy)
    with pytest.raises(ValueError):
        policy_for("lax")


@pytest.mark.parametrize("policy", [NIST, SEED])
def test_rules_are_ids_and_texts(policy: NistPolicy | SeedPolicy) -> None:
    listed = rules(policy)
    assert listed
    assert all(set(rule) == {"id", "text"} and rule["text"] for rule in listed)
    assert len({rule["id"] for rule in listed}) == len(listed)


def test_nist_rules_state_the_bounds() -> None:
    assert "8 to 128" in rules(NIST)[0]["text"]


# --- strength ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("", 0),
        ("abc", 0),
        ("password", 0),
        ("Password1", 0),
        ("12345678", 0),
        ("Passw0rd!", 1),
        ("kx9mzq", 1),
        ("kx9mzqtr", 2),
        ("kx9mzqtrplvw", 4),
        ("correct horse battery staple", 4),
    ],
)
def test_strength(password: str, expected: int) -> None:
    assert strength(password) == expected


@given(st.text(max_size=100))
def test_strength_is_bounded(password: str) -> None:
    assert 0 <= strength(password) <= 4
    if is_common(password):
        assert strength(password) == 0


# --- confirmation --------------------------------------------------------------------------


def test_confirmation_matches() -> None:
    check_confirmation("s3cret-enough", "s3cret-enough")
    check_confirmation("caf\u00e9-latte", "cafe\u0301-latte")  # same after NFKC


@pytest.mark.parametrize("other", ["s3cret-enougH", "", "s3cret-enough ", "\ud800"])
def test_confirmation_mismatch(other: str) -> None:
    with pytest.raises(FieldProblem) as info:
        check_confirmation("s3cret-enough", other)
    assert (info.value.field, info.value.code) == ("password_confirmation", "PASSWORD_MISMATCH")
