"""Password policies: what a new password must satisfy, with the reason stated when it does not.

Two policies exist. ``nist`` (the native default) follows NIST SP 800-63B: a length range
counted in code points after NFKC, no composition rules, no truncation, and a blocklist of
common, sequential and context-derived passwords. The blocklist is the 30,000 most common
passwords of the maintained ``zxcvbn`` package; its estimator then refuses what it guesses
in under a million tries (``Passw0rd!``, ``regflow2024``: variations of common words, dates,
l33t, keyboard patterns and the context words) and drives the strength meter. ``seed``
reproduces what seeds 002/003 document: at least 8 characters with upper, lower, digit and
special character.

Every refusal is a :class:`regflow.errors.FieldProblem` on the ``password`` field.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Protocol

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from regflow.core import guesses
from regflow.core.guesses import zxcvbn
from regflow.errors import ErrorCode, FieldProblem

PRODUCT_WORDS = ("regflow",)  # context words for every password: the service's own name
_MIN_CONTEXT_WORD = 4
_MIN_SCORE = 2  # zxcvbn's score: 0 and 1 are guessed in under 10**6 tries
# the guesses from which zxcvbn scores 2 (``time_estimates.guesses_to_score``: 1e6 + 5)
_SCORE_2_GUESSES = Decimal(1_000_005)
_ESTIMATE_LENGTH = 72  # zxcvbn's matching grows with length; what follows adds only entropy
# Rows and runs people walk their fingers along; a password inside one is not a secret.
_SEQUENCES = (
    "0123456789",
    "1234567890",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertzuiop",
    "azertyuiop",
    "1qaz2wsx3edc4rfv5tgb",
    "q1w2e3r4t5y6u7i8o9p0",
)
_WORD_SPLIT = re.compile(r"[^\w]+|_")


def _normalize(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


@cache
def _common_passwords() -> frozenset[str]:
    """The blocklist: zxcvbn's 30,000 most common passwords and the shipped list."""
    text = resources.files("regflow.core").joinpath("data/common_passwords.txt").read_text("utf-8")
    shipped = {line.strip().casefold() for line in text.splitlines() if line.strip()}
    return frozenset(shipped | set(FREQUENCY_LISTS["passwords"]))


def estimate(password: str, context: Sequence[str] = ()) -> dict[str, Any]:
    """zxcvbn's estimate of ``password`` knowing the context words and the product name."""
    inputs = [*PRODUCT_WORDS, *sorted(_context_words(context))]
    return dict(zxcvbn(_normalize(password)[:_ESTIMATE_LENGTH], user_inputs=inputs))


def _guessable_quickly(password: str, context: Sequence[str]) -> bool:
    """Whether ``estimate(password, context)`` scores under ``_MIN_SCORE``, found without
    its full work when it does not (the policy's common case); not for an empty one."""
    inputs = [*PRODUCT_WORDS, *sorted(_context_words(context))]
    value = _normalize(password)[:_ESTIMATE_LENGTH]
    return guesses.guessed_in_fewer(value, _SCORE_2_GUESSES, user_inputs=inputs)


def _is_trivial(folded: str) -> bool:
    """A repeated character, a short repeated unit, or a run along a known sequence."""
    if len(set(folded)) <= 1:
        return True
    for unit in range(2, 5):
        if len(folded) % unit == 0 and folded == folded[:unit] * (len(folded) // unit):
            return True
    return any(folded in seq or folded in seq[::-1] for seq in _SEQUENCES)


def is_common(password: str) -> bool:
    """True if the password is on the blocklist or is a trivial pattern (case-insensitive)."""
    folded = _normalize(password).casefold()
    return folded in _common_passwords() or _is_trivial(folded)


def _context_words(context: Sequence[str]) -> set[str]:
    """Words of >= 4 characters taken from emails, usernames, names and organization names."""
    words: set[str] = set()
    for value in context:
        folded = _normalize(value).casefold().strip()
        if "@" in folded:
            folded = folded.rpartition("@")[0]  # the local part says who the person is
        candidates = [folded, *_WORD_SPLIT.split(folded)]
        words.update(w for w in candidates if len(w) >= _MIN_CONTEXT_WORD)
    return words


def _check_chars(password: str) -> None:
    # NUL, other controls and lone surrogates cannot be typed, stored or hashed reliably.
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in password):
        message = "The password contains characters that cannot be used (control characters)."
        raise FieldProblem("password", ErrorCode.PASSWORD_INVALID, message)


class PasswordPolicy(Protocol):
    """What a password policy offers: a name, a check and rules for the UI."""

    name: str

    def check(self, password: str, *, context: Sequence[str] = ()) -> None:
        """Raise ``FieldProblem("password", ...)`` if the password is refused."""
        ...

    def rules(self) -> list[dict[str, str]]:
        """Human-readable rules (``id`` and ``text``) to show next to the field."""
        ...


class NistPolicy:
    """NIST SP 800-63B: length only, plus blocklists. ``max_length`` is at least 64."""

    name = "nist"

    def __init__(self, min_length: int = 8, max_length: int = 128) -> None:
        if min_length < 8 or max_length < 64 or min_length > max_length:
            raise ValueError("NIST policy needs min_length >= 8 and max_length >= 64")
        self.min_length = min_length
        self.max_length = max_length
        # the blocklist and the estimator's dictionaries, built before the first request
        _common_passwords()
        guesses.warm()

    def check(self, password: str, *, context: Sequence[str] = ()) -> None:
        """Raise with ``PASSWORD_TOO_SHORT``, ``_TOO_LONG``, ``_COMMON`` or ``_CONTEXT``."""
        _check_chars(password)
        value = _normalize(password)
        # NFKC can expand ("¼" -> "1⁄4"): the shorter of the two counts, so four typed
        # characters never pass as eight.
        if min(len(password), len(value)) < self.min_length:
            message = f"Use at least {self.min_length} characters."
            raise FieldProblem("password", ErrorCode.PASSWORD_TOO_SHORT, message)
        if len(value) > self.max_length:
            message = f"Use at most {self.max_length} characters."
            raise FieldProblem("password", ErrorCode.PASSWORD_TOO_LONG, message)
        if is_common(value):
            message = "This password is too common or too easy to guess; choose another."
            raise FieldProblem("password", ErrorCode.PASSWORD_COMMON, message)
        folded = value.casefold()
        if any(word in folded for word in _context_words([*PRODUCT_WORDS, *context])):
            message = (
                "The password must not contain your name, username, email, organization "
                "or this service's name."
            )
            raise FieldProblem("password", ErrorCode.PASSWORD_CONTEXT, message)
        if _guessable_quickly(value, context):
            result = estimate(value, context)  # the full estimate, for its reason
            if result["score"] < _MIN_SCORE:
                raise _guessable(result)

    def rules(self) -> list[dict[str, str]]:
        """Rules for the UI, in the order they are checked."""
        return [
            {"id": "length", "text": f"{self.min_length} to {self.max_length} characters."},
            {"id": "common", "text": "Not a common password, a sequence or a repeated character."},
            {"id": "context", "text": "Not containing your name, username, email or organization."},
            {"id": "guessable", "text": "Not a small variation of a common word or date."},
        ]


class SeedPolicy:
    """Seeds 002/003: >= 8 characters with upper, lower, digit and special; at most 128."""

    name = "seed"
    min_length = 8
    max_length = 128

    def check(self, password: str, *, context: Sequence[str] = ()) -> None:
        """Raise ``PASSWORD_WEAK`` listing every missing requirement, or ``_TOO_LONG``."""
        _check_chars(password)
        value = _normalize(password)
        if len(value) > self.max_length:
            message = f"Use at most {self.max_length} characters."
            raise FieldProblem("password", ErrorCode.PASSWORD_TOO_LONG, message)
        missing = []
        if min(len(password), len(value)) < self.min_length:
            missing.append(f"at least {self.min_length} characters")
        categories = [unicodedata.category(ch) for ch in value]
        if "Lu" not in categories:
            missing.append("an upper-case letter")
        if "Ll" not in categories:
            missing.append("a lower-case letter")
        if "Nd" not in categories:
            missing.append("a digit")
        if not any(c[0] not in "LN" for c in categories):
            missing.append("a special character")
        if missing:
            raise FieldProblem(
                "password", ErrorCode.PASSWORD_WEAK, "Password needs " + ", ".join(missing)
            )

    def rules(self) -> list[dict[str, str]]:
        """Rules for the UI, one per requirement."""
        return [
            {"id": "length", "text": f"At least {self.min_length} characters."},
            {"id": "upper", "text": "An upper-case letter."},
            {"id": "lower", "text": "A lower-case letter."},
            {"id": "digit", "text": "A digit."},
            {"id": "special", "text": "A special character (not a letter or digit)."},
        ]


def policy_for(name: str) -> PasswordPolicy:
    """The policy configured by name: ``"nist"`` or ``"seed"``."""
    if name == "nist":
        return NistPolicy()
    if name == "seed":
        return SeedPolicy()
    raise ValueError(f"unknown password policy {name!r}; expected 'nist' or 'seed'")


def rules(policy: PasswordPolicy) -> list[dict[str, str]]:
    """Human-readable rules (``id`` and ``text``) of ``policy`` for a UI."""
    return policy.rules()


def _guessable(result: dict[str, Any]) -> FieldProblem:
    """The refusal for a low zxcvbn score, with zxcvbn's own reason."""
    sequence = result.get("sequence", [])
    if any(m.get("dictionary_name") == "user_inputs" for m in sequence):
        message = (
            "The password is too close to your name, username, email, organization "
            "or this service's name."
        )
        return FieldProblem("password", ErrorCode.PASSWORD_CONTEXT, message)
    feedback = result.get("feedback", {})
    reason = feedback.get("warning") or " ".join(feedback.get("suggestions", []))
    message = "This password is too easy to guess; choose another."
    if reason:
        message = f"This password is too easy to guess. {reason}"
    return FieldProblem("password", ErrorCode.PASSWORD_COMMON, message)


def strength(password: str, context: Sequence[str] = ()) -> int:
    """zxcvbn's 0..4 score, the estimator the policy uses; blocked passwords score 0.

    The hosted UI's meter runs the same estimator (zxcvbn.js, the same lists) in the browser.
    """
    value = _normalize(password)
    if not value or is_common(value):
        return 0
    score: int = estimate(value, context)["score"]
    return score


def check_confirmation(password: str, confirmation: str) -> None:
    """Raise ``PASSWORD_MISMATCH`` on ``password_confirmation`` unless both are the same."""
    a = _normalize(password).encode("utf-8", "surrogatepass")
    b = _normalize(confirmation).encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(a, b):
        message = "The password confirmation does not match."
        raise FieldProblem("password_confirmation", ErrorCode.PASSWORD_MISMATCH, message)
