"""Normalization and validation of the identifiers people type: emails, usernames, names, phones.

Every function is pure and raises :class:`regflow.errors.FieldProblem` with a stable code.

Case policy for emails: the whole address is stored and compared lower-case. RFC 5321 lets
a server treat local parts case-sensitively, but no mainstream provider does, and treating
``Jane@x.org`` and ``jane@x.org`` as two accounts invites takeover and support confusion.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from random import Random

import email_validator
import phonenumbers

from regflow.errors import ErrorCode, FieldProblem

MAX_EMAIL_LENGTH = 320
USERNAME_MIN, USERNAME_MAX = 3, 30
NAME_MIN, NAME_MAX = 2, 50

# Categories refused in any identifier: controls (NUL, CR, LF, ...), format characters
# (zero-width joiners/spaces, bidi overrides and isolates, BOM, soft hyphen), lone
# surrogates, private use, unassigned code points, and line/paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Characters that render as nothing but are letters, marks or symbols by category.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0"  # CGJ, fillers, braille blank
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))  # variation selectors
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))  # variation selectors supplement
)

RESERVED_USERNAMES = frozenset(
    """
    about abuse account accounts admin administrator anonymous api app apps auth billing
    blog contact dashboard dev docs everyone help hostmaster info login logout mail
    mailer-daemon me moderator news noreply no-reply null official owner postmaster
    privacy register regflow root security settings signin signout signup staff status
    support sysadmin system team terms test undefined user username users webmaster www
    """.split()
)
_SEPARATORS = "_.-"
# Scripts that are legitimately mixed within one language (Japanese, Korean, Chinese).
_SCRIPT_ALIASES = {
    "CJK": "CJK",
    "HIRAGANA": "CJK",
    "KATAKANA": "CJK",
    "KATAKANA-HIRAGANA": "CJK",
    "IDEOGRAPHIC": "CJK",
    "HANGUL": "CJK",
    "BOPOMOFO": "CJK",
    "ARABIC-INDIC": "ARABIC",
    "EXTENDED": "ARABIC",  # EXTENDED ARABIC-INDIC DIGIT ...
}
_APOSTROPHES = "'\u2019"


def _problem(field: str, code: ErrorCode, message: str) -> FieldProblem:
    return FieldProblem(field, code, message)


def contains_forbidden_chars(s: str) -> bool:
    """True if ``s`` holds a control, format (zero-width, bidi), surrogate or invisible char."""
    return any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES or ch in _INVISIBLE for ch in s)


# The plain addresses most people have: an ASCII dot-atom before the @-sign, and an ASCII
# host name of two labels or more, none holding "--" (no Punycode, no R-LDH label), ending
# in a letter. Every such address that also passes :func:`_plain` is one email-validator
# accepts unchanged but for the domain's case, so its checks are skipped (a third of the
# email step's own work); anything else goes through it (tests/unit/core: both agree).
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z])?"
)
_SPECIAL_USE_DOMAINS = tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES)
_EMAIL_MAX_LENGTH = 254  # email-validator's limit (RFC 5321), below ours


def _plain(value: str) -> bool:
    """Whether ``value`` is a plain address (see ``_PLAIN_EMAIL``) email-validator accepts."""
    if len(value) > _EMAIL_MAX_LENGTH or "--" in value or not _PLAIN_EMAIL.fullmatch(value):
        return False
    domain = value[value.index("@") + 1 :].lower()
    return len(domain) <= 253 and not any(
        domain == d or domain.endswith("." + d) for d in _SPECIAL_USE_DOMAINS
    )


def normalize_email(raw: str) -> str:
    """Return the canonical, lower-case form of an email address or raise ``INVALID_EMAIL``.

    The domain is IDNA-normalized (``xn--`` and Unicode spellings give the same result, in
    Unicode form); deliverability is not checked (no DNS from the core).
    """
    value = raw.strip()
    if _plain(value):
        return value.lower()
    if not value or contains_forbidden_chars(value):
        raise _problem("email", ErrorCode.INVALID_EMAIL, "Enter a valid email address.")
    if len(value) > MAX_EMAIL_LENGTH:
        raise _problem("email", ErrorCode.INVALID_EMAIL, "The email address is too long.")
    try:
        result = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise _problem(
            "email", ErrorCode.INVALID_EMAIL, f"Enter a valid email address: {exc}"
        ) from exc
    normalized = f"{result.local_part}@{result.domain}".lower()
    if len(normalized) > MAX_EMAIL_LENGTH:
        raise _problem("email", ErrorCode.INVALID_EMAIL, "The email address is too long.")
    return normalized


def mask_email(email: str) -> str:
    """Mask an address for responses and logs: ``jane@example.com`` -> ``j***@example.com``.

    A one-character local part is masked entirely so the result never reveals it.
    """
    local, sep, domain = email.rpartition("@")
    if not sep:
        return "***"
    shown = local[0] if len(local) > 1 else ""
    return f"{shown}***@{domain}"


def _script_of(ch: str) -> str | None:
    """The script a character belongs to, or None for script-neutral characters."""
    if ch in _SEPARATORS or "0" <= ch <= "9":
        return None
    name = unicodedata.name(ch, "")
    if not name or name.startswith("COMBINING"):
        return None  # inherited: combining marks take the script of their base letter
    word = name.split(" ", 1)[0]
    return _SCRIPT_ALIASES.get(word, word)


def _username_char(ch: str) -> bool:
    # Marks (M*) are allowed so scripts such as Devanagari can be written at all.
    category = unicodedata.category(ch)
    return category[0] in "LM" or category == "Nd" or ch in _SEPARATORS


def _username_start(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] == "L" or category == "Nd"


def _fold(raw: str) -> str:
    # NFKC, casefold, NFKC again: casefold can un-normalize a few characters, and the
    # second pass makes the result a fixed point (normalizing twice changes nothing).
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw).casefold())


def normalize_username(raw: str) -> str:
    """Return the canonical username (NFKC, case-folded) or raise a ``username`` problem.

    Codes: ``USERNAME_INVALID`` (length, characters, mixed scripts), ``USERNAME_RESERVED``.
    """
    invalid = ErrorCode.USERNAME_INVALID
    if contains_forbidden_chars(raw):
        raise _problem("username", invalid, "The username contains invisible characters.")
    value = _fold(raw.strip())
    if contains_forbidden_chars(value):
        raise _problem("username", invalid, "The username contains invisible characters.")
    if not USERNAME_MIN <= len(value) <= USERNAME_MAX:
        message = f"Use {USERNAME_MIN} to {USERNAME_MAX} characters."
        raise _problem("username", invalid, message)
    if not all(map(_username_char, value)):
        message = "Use only letters, digits, '_', '.' and '-'."
        raise _problem("username", invalid, message)
    if not _username_start(value[0]):
        raise _problem("username", invalid, "Start the username with a letter or a digit.")
    scripts = {s for s in map(_script_of, value) if s is not None}
    if len(scripts) > 1:
        message = "Do not mix alphabets (for example Latin and Cyrillic) in one username."
        raise _problem("username", invalid, message)
    bare = "".join(ch for ch in value if ch not in _SEPARATORS)
    if value in RESERVED_USERNAMES or bare in RESERVED_USERNAMES:
        raise _problem("username", ErrorCode.USERNAME_RESERVED, "This username is reserved.")
    return value


def _stem(base: str) -> str:
    """The usable part of ``base`` for suggestions, short enough to take a suffix."""
    kept = "".join(ch for ch in _fold(base) if _username_char(ch))
    while kept and not _username_start(kept[0]):
        kept = kept[1:]
    return kept[: USERNAME_MAX - 5]


def suggest_usernames(
    base: str,
    taken: Callable[[str], bool] | None = None,
    count: int = 3,
    *,
    rng: Random | None = None,
) -> list[str]:
    """Suggest up to ``count`` valid usernames derived from ``base``, skipping taken ones.

    Candidates look like ``base42`` or ``base_1234``. Pass a seeded ``Random`` to get a
    deterministic list (tests); by default numbers come from ``secrets``. The check against
    ``taken`` is advisory: a suggestion can still be claimed by someone else before use.
    """
    below: Callable[[int], int] = rng.randrange if rng is not None else secrets.randbelow
    stems = [s for s in (_stem(base), "user") if s]
    found: list[str] = []
    for stem in stems:
        for attempt in range(count * 20):
            digits = str(10 + below(90)) if attempt % 2 == 0 else str(1000 + below(9000))
            candidate = f"{stem}{digits}" if attempt % 2 == 0 else f"{stem}_{digits}"
            try:
                candidate = normalize_username(candidate)
            except FieldProblem:
                break  # this stem cannot make a valid username; try the fallback
            if candidate in found or (taken is not None and taken(candidate)):
                continue
            found.append(candidate)
            if len(found) >= count:
                return found
    return found


def validate_person_name(raw: str, field: str) -> str:
    """Return a cleaned person name (NFC, trimmed, single spaces) or raise ``NAME_INVALID``.

    Letters and marks of any script, spaces, hyphens and apostrophes; 2..50 characters.
    """
    if contains_forbidden_chars(raw):
        raise _problem(field, ErrorCode.NAME_INVALID, "The name contains invisible characters.")
    nfc = unicodedata.normalize("NFC", raw)
    # Any run of space separators (including no-break spaces) becomes one plain space.
    value = " ".join("".join(" " if unicodedata.category(c) == "Zs" else c for c in nfc).split())
    if not NAME_MIN <= len(value) <= NAME_MAX:
        message = f"Use {NAME_MIN} to {NAME_MAX} characters."
        raise _problem(field, ErrorCode.NAME_INVALID, message)
    for ch in value:
        if not (unicodedata.category(ch)[0] in "LM" or ch in " -" or ch in _APOSTROPHES):
            message = "Use only letters, spaces, hyphens and apostrophes."
            raise _problem(field, ErrorCode.NAME_INVALID, message)
    if not any(unicodedata.category(ch)[0] == "L" for ch in value):
        raise _problem(field, ErrorCode.NAME_INVALID, "The name must contain letters.")
    return value


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """Parse a phone number to E.164 (``+14155552671``) or raise ``PHONE_INVALID``.

    ``default_region`` (ISO 3166 alpha-2, e.g. ``"FR"``) is used for numbers written
    without the international prefix.
    """
    value = raw.strip()
    if not value or len(value) > 64 or contains_forbidden_chars(value):
        raise _problem("phone", ErrorCode.PHONE_INVALID, "Enter a valid phone number.")
    region = default_region.upper() if default_region else None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise _problem("phone", ErrorCode.PHONE_INVALID, "Enter a valid phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise _problem("phone", ErrorCode.PHONE_INVALID, "This phone number does not exist.")
    formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted
