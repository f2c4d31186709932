"""Username skeletons after UTS #39 section 4: two names that look alike share a skeleton.

``skeleton(x)`` is NFD(x), each character replaced by its prototype, NFD again
(UTS #39 "skeleton"), applied to a username that is already NFKC case-folded.
Usernames whose skeletons are equal are refused as taken, so ``pаypal`` with a
Cyrillic ``а`` (or an all-Cyrillic ``рау``) cannot impersonate ``paypal``.

The full Unicode table (``confusables.txt``) is not shipped: :data:`PROTOTYPES`
holds the entries of that table for the characters that survive our username
rules and matter in practice, the lower-case Latin look-alikes from Cyrillic,
Greek, IPA and Latin extensions, plus the digit/letter and letter-pair
confusions (``0``/``o``, ``1``/``l``, ``rn``/``m``, ``vv``/``w``). Each entry
maps to the prototype the Unicode table gives. Mixed-script names are refused
earlier (``identifiers.normalize_username``), so whole-script look-alikes are
what this table must catch.
"""

from __future__ import annotations

import unicodedata

# character -> prototype (from Unicode confusables.txt, lower-case forms)
PROTOTYPES: dict[str, str] = {
    # Latin digits and letter pairs
    "0": "o",
    "1": "l",
    "m": "rn",
    "w": "vv",
    # Latin extensions and IPA
    "\u0131": "i",  # ı dotless i
    "\u0251": "a",  # ɑ
    "\u0261": "g",  # ɡ script g
    "\u0269": "i",  # ɩ iota
    "\u026a": "i",  # ɪ small capital i
    "\u028f": "y",  # ʏ small capital y
    "\u1d00": "a",  # ᴀ small capital a
    "\u1d04": "c",  # ᴄ
    "\u1d0f": "o",  # ᴏ
    "\u1d1c": "u",  # ᴜ
    "\u1d20": "v",  # ᴠ
    "\u1d21": "vv",  # ᴡ
    "\u1d22": "z",  # ᴢ
    # Cyrillic
    "\u0430": "a",  # а
    "\u0432": "b",  # в (shown as a small capital B in many fonts)
    "\u0433": "r",  # г
    "\u0435": "e",  # е
    "\u0451": "e\u0308",  # ё
    "\u043a": "k",  # к
    "\u043c": "rn",  # м
    "\u043d": "h",  # н
    "\u043e": "o",  # о
    "\u043f": "n",  # п
    "\u0440": "p",  # р
    "\u0441": "c",  # с
    "\u0442": "t",  # т
    "\u0443": "y",  # у
    "\u0445": "x",  # х
    "\u044c": "b",  # ь
    "\u0455": "s",  # ѕ dze
    "\u0456": "i",  # і
    "\u0457": "i\u0308",  # ї
    "\u0458": "j",  # ј
    "\u04bb": "h",  # һ
    "\u04cf": "l",  # ӏ palochka
    "\u0475": "v",  # ѵ izhitsa
    "\u04af": "y",  # ү
    "\u0501": "d",  # ԁ
    "\u050d": "g",  # ԍ
    "\u051b": "q",  # ԛ
    "\u051d": "vv",  # ԝ
    # Greek
    "\u03b1": "a",  # α
    "\u03b3": "y",  # γ
    "\u03b5": "e",  # ε (shown as ɛ; mapped as Latin e by common practice)
    "\u03b9": "i",  # ι
    "\u03ba": "k",  # κ
    "\u03bd": "v",  # ν
    "\u03bf": "o",  # ο
    "\u03c1": "p",  # ρ
    "\u03c4": "t",  # τ
    "\u03c5": "u",  # υ
    "\u03c7": "x",  # χ
    "\u03c9": "vv",  # ω
    "\u03f2": "c",  # ϲ lunate sigma
    "\u03f3": "j",  # ϳ
}


def skeleton(name: str) -> str:
    """The UTS #39 skeleton of a (normalized) username, with :data:`PROTOTYPES`."""
    decomposed = unicodedata.normalize("NFD", name)
    mapped = "".join(PROTOTYPES.get(ch, ch) for ch in decomposed)
    return unicodedata.normalize("NFD", mapped)
