"""regflow's zxcvbn answers what zxcvbn answers, match for match, key for key."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zxcvbn import zxcvbn as reference
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from regflow.core.guesses import guessed_in_fewer, zxcvbn

INPUTS = ("regflow", "ada.lovelace", "lovelace", "analytical engines")
CORPUS = [
    "",
    "a",
    "correct horse battery staple",
    "Tr0ub4dor&3",
    "P@ssw0rd!",
    "p4$$w0rd",
    "drowssap",  # reversed
    "enigne lacitylana",
    "regflow2024",
    "Lovelace1815!",
    "ada.lovelace@example.com",
    "qwertyuiop",
    "1qaz2wsx3edc",
    "zxcvbnm,./",
    "aaaaaaaaaa",
    "abcabcabcabc",
    "abcdefghijk",
    "9876543210",
    "13/12/1815",
    "1815-12-10 lovelace",
    "ZXCVBN 4.5",
    "İstanbul İzmir",  # lower() lengthens
    "straße Größe",
    "пароль123",
    "密码密码密码",
    "𝒫𝒶𝓈𝓈𝓌𝑜𝓇𝒹",
    "j0hn$m1th|l0v3$|m4ry",
    "1|2|3|4|5|6|7|8|9|0",
    "x" * 72,
    "averyveryveryverylongpasswordmadeofwordswithoutspacesthatgoesonandonandon"[:72],
]


def _plain(value: Any) -> Any:
    """``re.Match`` objects (the regex matcher's) compare by identity: by what they found."""
    if isinstance(value, re.Match):
        return ("re.Match", value.span(), value.groups(), value.group(0))
    if isinstance(value, dict):
        return [(k, _plain(v)) for k, v in value.items()]  # keys in order
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _same(password: str, inputs: tuple[str, ...] = INPUTS) -> None:
    try:
        want: dict[str, Any] = dict(reference(password, user_inputs=list(inputs)))
    except Exception as failure:  # the empty password: zxcvbn's scoring has no last index
        with pytest.raises(type(failure)):
            zxcvbn(password, user_inputs=inputs)
        return
    got = zxcvbn(password, user_inputs=inputs)
    del want["calc_time"], got["calc_time"]
    assert _plain(got) == _plain(want)


@pytest.mark.parametrize("password", CORPUS)
def test_the_same_estimate_as_zxcvbn(password: str) -> None:
    _same(password)
    _same(password, ())


def test_the_same_estimate_for_common_words_mangled() -> None:
    rng = random.Random(15)
    words = [w for name in sorted(FREQUENCY_LISTS) for w in FREQUENCY_LISTS[name][:2000]]
    l33t = str.maketrans("aeiost", "431057")
    for _ in range(150):
        picked = rng.sample(words, rng.randint(1, 3))
        password = rng.choice(["", "-", " "]).join(picked)
        variant = rng.randrange(4)
        if variant == 1:
            password = password.translate(l33t)
        elif variant == 2:
            password = password[::-1].title()
        elif variant == 3:
            password += str(rng.randint(1900, 2030))
        _same(password[:72], (*INPUTS, picked[0]))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=30))
def test_the_same_estimate_for_any_text(password: str) -> None:
    _same(password)


def test_a_context_word_longer_than_every_dictionary_word_is_matched() -> None:
    organization = "the analytical engine company of london"  # 39 characters
    _same("The Analytical Engine Company of London!", (*INPUTS, organization))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="aeiorst0134579!@$ -_.", min_size=1, max_size=72))
def test_the_same_estimate_for_passwords_of_words_digits_and_l33t(password: str) -> None:
    _same(password)


def test_too_long_is_refused_as_zxcvbn_refuses_it() -> None:
    with pytest.raises(ValueError, match="max length of 72"):
        zxcvbn("x" * 73)


PASSPHRASES = [
    "correct horse battery staple",
    "the quick brown fox jumps over the lazy dog 1234",
    "Correct-Horse-Battery-Staple-1815",
    "ada lovelace analytical engines 10/12/1815",
    "rrr tttt horse horse horse battery staple staple",
    "mary had a little lamb whose fleece was white as snow 2024!",
    "qwertyuiop asdfghjkl zxcvbnm 123456789 password",
]


@pytest.mark.parametrize("password", PASSPHRASES)
def test_the_same_estimate_for_long_passphrases(password: str) -> None:
    _same(password)
    _same(password, ())


def test_the_same_estimate_for_passphrases_of_many_words() -> None:
    rng = random.Random(28)
    words = [w for name in sorted(FREQUENCY_LISTS) for w in FREQUENCY_LISTS[name][:5000]]
    for _ in range(60):
        picked = rng.sample(words, rng.randint(4, 9))
        password = rng.choice([" ", "-", ".", ""]).join(picked)
        if rng.random() < 0.3:
            password = password.title() + str(rng.randint(0, 9999))
        _same(password[:72], (*INPUTS, picked[-1]))


CAPS = [Decimal(1_005), Decimal(1_000_005), Decimal(100_000_005), Decimal(10_000_000_005)]


def _same_below(password: str, inputs: tuple[str, ...] = INPUTS) -> None:
    """``guessed_in_fewer`` answers what comparing zxcvbn's guesses answers, at each of
    the score's bounds (``time_estimates.guesses_to_score``)."""
    want = reference(password, user_inputs=list(inputs))["guesses"]
    for cap in CAPS:
        assert guessed_in_fewer(password, cap, inputs) == (want < cap), (password, cap)


@pytest.mark.parametrize("password", [p for p in CORPUS if p] + PASSPHRASES)
def test_fewer_guesses_than_a_bound_as_zxcvbn_counts_them(password: str) -> None:
    _same_below(password)
    _same_below(password, ())


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="aeiorst0134579!@$ -_.", min_size=1, max_size=72))
def test_fewer_guesses_than_a_bound_for_any_words_digits_and_l33t(password: str) -> None:
    _same_below(password)


def test_fewer_guesses_than_a_bound_for_common_words_joined() -> None:
    rng = random.Random(6)
    words = [w for name in sorted(FREQUENCY_LISTS) for w in FREQUENCY_LISTS[name][:3000]]
    for _ in range(80):
        password = rng.choice(["", " ", "-"]).join(rng.sample(words, rng.randint(1, 4)))
        _same_below(password[:72] or "x", (*INPUTS, words[0]))


def test_fewer_guesses_than_a_bound_for_a_rare_word_and_a_few_characters() -> None:
    """A word ranked in the thousands and one or two characters after it: guessed in
    well under a million tries, through sequences that are themselves close to it."""
    rng = random.Random(9)
    words = FREQUENCY_LISTS["english_wikipedia"][3000:30000]
    for _ in range(80):
        password = rng.choice(words) + "".join(rng.sample("%#&*q7", rng.randint(1, 2)))
        _same_below(password)
