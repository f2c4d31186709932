from __future__ import annotations

import unicodedata
from random import Random

import email_validator
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from regflow.core.identifiers import (
    RESERVED_USERNAMES,
    _plain,
    contains_forbidden_chars,
    mask_email,
    normalize_email,
    normalize_phone,
    normalize_username,
    suggest_usernames,
    validate_person_name,
)
from regflow.errors import FieldProblem

FORBIDDEN = [
    "\x00",
    "\r",
    "\n",
    "\t",
    "\x7f",
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\u2028",  # line separator
    "\ud800",  # lone surrogate
    "\ue000",  # private use
    "\u3164",  # hangul filler
    "\ufe0f",  # variation selector
]
forbidden_chars = st.sampled_from(FORBIDDEN) | st.characters(categories=["Cc", "Cf", "Cs"])


def problem(fn: object, *args: object) -> FieldProblem:
    with pytest.raises(FieldProblem) as info:
        fn(*args)  # type: ignore[operator]
    return info.value


# --- contains_forbidden_chars -------------------------------------------------------------


@pytest.mark.parametrize("ch", FORBIDDEN)
def test_forbidden_chars_are_detected(ch: str) -> None:
    assert contains_forbidden_chars(f"ab{ch}cd")


@pytest.mark.parametrize("s", ["", "jane", "Zoë O’Brien", "山田", "a b-c_d.e", "😀"])
def test_ordinary_text_is_not_forbidden(s: str) -> None:
    assert not contains_forbidden_chars(s)


# --- emails --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jane@example.com", "jane@example.com"),
        ("  Jane.Doe@Example.COM \n", "jane.doe@example.com"),
        ("x@MÜNCHEN.de", "x@münchen.de"),
        ("x@xn--mnchen-3ya.de", "x@münchen.de"),
        ("Zoë@example.org", "zoë@example.org"),
        ("user+tag@sub.example.co.uk", "user+tag@sub.example.co.uk"),
    ],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "plainaddress",
        "@example.com",
        "jane@",
        "jane@@example.com",
        "jane@example",
        "jane doe@example.com",
        "jane@example.com\r\nBcc: x@y.z",
        "jane\x00@example.com",
        "ja\u200bne@example.com",
        "jane@exa\u202emple.com",
        "Jane <jane@example.com>",
        '"jane doe"@example.com',
        "a" * 250 + "@example.com",  # over the 254 of RFC 5321 paths
        "a@" + "b" * 320 + ".com",
    ],
)
def test_invalid_emails_are_refused(raw: str) -> None:
    exc = problem(normalize_email, raw)
    assert (exc.field, exc.code) == ("email", "INVALID_EMAIL")


def test_email_idempotent_on_valid_example() -> None:
    once = normalize_email("  Ő.R@Bücher.DE ")
    assert normalize_email(once) == once


@given(st.text(min_size=1, max_size=20), forbidden_chars)
def test_email_with_forbidden_char_is_refused(text: str, bad: str) -> None:
    with pytest.raises(FieldProblem):
        normalize_email(f"jo{bad}{text}@example.com")


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("jane@example.com", "j***@example.com"),
        ("j@example.com", "***@example.com"),
        ("a@b@example.com", "a***@example.com"),
        ("not-an-email", "***"),
    ],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked


@given(st.text(min_size=2, max_size=30).filter(lambda s: "@" not in s), st.text(max_size=20))
def test_mask_email_never_shows_the_local_part(local: str, domain: str) -> None:
    masked_local = mask_email(f"{local}@{domain}").rpartition("@")[0]
    assert local not in masked_local


# --- usernames -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("JohnDoe", "johndoe"),
        ("  john_doe  ", "john_doe"),
        ("Ｊｏｈｎ", "john"),  # full-width folds to ASCII
        ("ﬁsh.2", "fish.2"),  # ligature
        ("Straße", "strasse"),
        ("Ελένη", "ελένη"),
        ("Иван-1", "иван-1"),
        ("山田たろう", "山田たろう"),  # Han + Hiragana is one writing system
        ("김철수", "김철수"),
        ("नमस्ते", "नमस्ते"),  # needs combining marks
        ("007", "007"),
        ("a" * 30, "a" * 30),
    ],
)
def test_normalize_username(raw: str, expected: str) -> None:
    assert normalize_username(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "ab",
        "a" * 31,
        "john doe",
        "john@doe",
        "john!",
        "_john",
        ".john",
        "-john",
        "pаypal",  # Cyrillic а inside Latin
        "αpple",  # Greek alpha inside Latin
        "bob١",  # Arabic-Indic digit with Latin
        "jo\u200bhn",
        "jo\u202ehn",
        "john\x00",
        "jo\u3164hn",
        "😀😀😀",
    ],
)
def test_invalid_usernames_are_refused(raw: str) -> None:
    exc = problem(normalize_username, raw)
    assert (exc.field, exc.code) == ("username", "USERNAME_INVALID")


@pytest.mark.parametrize("raw", ["admin", "ADMIN", "Root", "a.d.m.i.n", "support", "ｒｏｏｔ"])
def test_reserved_usernames_are_refused(raw: str) -> None:
    exc = problem(normalize_username, raw)
    assert (exc.field, exc.code) == ("username", "USERNAME_RESERVED")


def test_reserved_list_is_substantial_and_normalized() -> None:
    assert len(RESERVED_USERNAMES) >= 40
    for name in RESERVED_USERNAMES:
        assert name == unicodedata.normalize("NFKC", name).casefold()


@given(st.text(max_size=40))
def test_normalize_username_is_idempotent(raw: str) -> None:
    try:
        once = normalize_username(raw)
    except FieldProblem as exc:
        assert exc.code in {"USERNAME_INVALID", "USERNAME_RESERVED"}
        return
    assert normalize_username(once) == once
    assert 3 <= len(once) <= 30


@given(st.text(max_size=15), forbidden_chars, st.text(max_size=15))
def test_username_with_forbidden_char_is_refused(a: str, bad: str, b: str) -> None:
    with pytest.raises(FieldProblem):
        normalize_username(f"abc{a}{bad}{b}")


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.-", min_size=3, max_size=30))
def test_ascii_usernames_starting_alnum_are_accepted_or_reserved(raw: str) -> None:
    assume(raw[0].isalnum())
    try:
        assert normalize_username(raw) == raw
    except FieldProblem as exc:
        assert exc.code == "USERNAME_RESERVED"


# --- suggestions ---------------------------------------------------------------------------


def test_suggestions_are_valid_unique_and_deterministic() -> None:
    first = suggest_usernames("Jane Doe!", rng=Random(7))
    assert first == suggest_usernames("Jane Doe!", rng=Random(7))
    assert len(first) == 3 == len(set(first))
    for name in first:
        assert name.startswith("janedoe")
        assert normalize_username(name) == name


def test_suggestions_skip_taken_names() -> None:
    taken = {f"janedoe{n}" for n in range(10, 100)}
    result = suggest_usernames("janedoe", taken.__contains__, count=5, rng=Random(1))
    assert len(result) == 5
    assert not taken.intersection(result)
    assert all(name.startswith("janedoe_") for name in result)


@pytest.mark.parametrize("base", ["", "!!", "pаypal", "a" * 60, "admin", "_x"])
def test_suggestions_for_awkward_bases_are_valid(base: str) -> None:
    result = suggest_usernames(base, count=4)
    assert len(result) == 4
    for name in result:
        assert normalize_username(name) == name


def test_suggestions_may_be_empty_when_everything_is_taken() -> None:
    assert suggest_usernames("jane", lambda _: True, rng=Random(0)) == []


# --- person names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jane", "Jane"),
        ("  Jean-Luc   O’Brien ", "Jean-Luc O’Brien"),
        ("D'Angelo", "D'Angelo"),
        ("José\u00a0María", "José María"),
        ("Jose\u0301", "José"),  # decomposed accent composes under NFC
        ("محمد", "محمد"),
        ("李小龙", "李小龙"),
        ("Ng", "Ng"),
        ("'t Hooft", "'t Hooft"),
        ("a" * 50, "a" * 50),
    ],
)
def test_validate_person_name(raw: str, expected: str) -> None:
    assert validate_person_name(raw, "first_name") == expected


@pytest.mark.parametrize(
    "raw",
    ["", " ", "J", "a" * 51, "Jane3", "Jane\nDoe", "Jane\r", "Ja\x00ne", "Ja\u200bne",
     "Ja\u202ene", "Jane!", "Jane_Doe", "--", "' '", "Jane.Doe", "😀😀"],
)  # fmt: skip
def test_invalid_person_names_are_refused(raw: str) -> None:
    exc = problem(validate_person_name, raw, "last_name")
    assert (exc.field, exc.code) == ("last_name", "NAME_INVALID")


@given(st.text(max_size=15), forbidden_chars)
def test_name_with_forbidden_char_is_refused(text: str, bad: str) -> None:
    with pytest.raises(FieldProblem):
        validate_person_name(f"Jo{bad}{text}", "first_name")


@given(st.text(max_size=60))
def test_valid_names_are_stable(raw: str) -> None:
    try:
        once = validate_person_name(raw, "first_name")
    except FieldProblem:
        return
    assert validate_person_name(once, "first_name") == once
    assert not any(ch.isdigit() for ch in once)


# --- phones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 415 555 2671", None, "+14155552671"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("06 12 34 56 78", "fr", "+33612345678"),
        ("+44 20 7946 0958", "DE", "+442079460958"),
    ],
)
def test_normalize_phone(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("", None),
        ("hello", None),
        ("06 12 34 56 78", None),  # national format without a region
        ("+1 000 000 0000", None),  # parses but does not exist
        ("+1 415 555 2671\x00", None),
        ("+1" + "2" * 80, None),
        ("12", "US"),
    ],
)
def test_invalid_phones_are_refused(raw: str, region: str | None) -> None:
    exc = problem(normalize_phone, raw, region)
    assert (exc.field, exc.code) == ("phone", "PHONE_INVALID")


@given(st.text(max_size=30))
def test_normalize_phone_never_raises_anything_else(raw: str) -> None:
    try:
        result = normalize_phone(raw, "US")
    except FieldProblem:
        return
    assert result.startswith("+") and result[1:].isdigit()


def _validated(value: str) -> str | None:
    """What email-validator alone makes of ``value`` (lower-cased), None when it refuses."""
    try:
        found = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return None
    return f"{found.local_part}@{found.domain}".lower()


_PLAINISH = st.text(alphabet="aZz09_+-.", min_size=1, max_size=12)
_LABELS = st.sampled_from(
    [
        *("com", "org", "x", "a1", "1a", "-a", "a-", "a--b", "xn--bcher-kva", "xn--a", "c0m"),
        *("local", "test", "invalid", "arpa", "localhost", "onion", "in-addr", "home", "COM"),
        *("Example", "a" * 63, "a" * 64),
    ]
)


@given(
    local=_PLAINISH,
    labels=st.lists(st.one_of(_LABELS, _PLAINISH), min_size=0, max_size=5),
    padding=st.sampled_from(["", " ", "\n", "\t "]),
)
def test_the_fast_path_for_plain_addresses_agrees_with_email_validator(
    local: str, labels: list[str], padding: str
) -> None:
    raw = f"{padding}{local}@{'.'.join(labels)}{padding}"
    expected = _validated(raw.strip())
    if _plain(raw.strip()):
        assert expected is not None and normalize_email(raw) == expected
    elif expected is None:
        with pytest.raises(FieldProblem):
            normalize_email(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "jane.doe+tag@example.com",
        "U1@Mail.Example.CO.uk",
        "a_b-c@sub-domain.example.org",
        f"{'a' * 64}@example.com",
        f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 55}.com",
    ],
)
def test_plain_addresses_take_the_fast_path_with_the_same_result(raw: str) -> None:
    assert _plain(raw)
    assert normalize_email(raw) == _validated(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "jane@example.local",
        "jane@x.invalid",
        "jane@xn--bcher-kva.de",
        "jane@ab--cd.com",
        "jane@example",
        "jane..doe@example.com",
        ".jane@example.com",
        "jane@-example.com",
        f"{'a' * 200}@{'b' * 60}.com",
        "jane@example.com\n",
    ],
)
def test_addresses_off_the_fast_path_go_through_email_validator(raw: str) -> None:
    assert not _plain(raw)
