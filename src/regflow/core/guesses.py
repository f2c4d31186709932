"""zxcvbn's estimate, with its dictionary matching done once per substring.

``zxcvbn.zxcvbn`` looks every substring of the password up in each of its seven ranked
dictionaries in turn (the 30,000 most common passwords, English words, names, TV and film
words, the user inputs), forwards, reversed and once per l33t substitution: a third of the
estimate's time for a 28-character password. Here the six fixed dictionaries are merged
once into one map from word to its ``(dictionary, rank)`` hits, so each substring is
looked up once, and substrings longer than the longest word are not looked up at all.

The result is zxcvbn's own, key for key and match for match: the matches come out in the
order zxcvbn sorts them into (by ``i``, ``j``, then dictionary), every other matcher,
the scoring, the crack-time estimates and the feedback are zxcvbn's functions, and
``user_inputs`` is set in zxcvbn's shared dictionaries as ``zxcvbn.zxcvbn`` sets it (the
repeat matcher's inner matching reads it there). ``tests/unit/core/test_guesses.py``
compares the two on a corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from zxcvbn import feedback, matching, scoring, time_estimates

_USER_INPUTS = "user_inputs"
_Match = dict[str, Any]


@cache
def _merged() -> tuple[dict[str, tuple[tuple[str, int], ...]], int]:
    """Every word of zxcvbn's fixed dictionaries with its hits, in zxcvbn's dictionary
    order, and the length of the longest word."""
    hits: dict[str, list[tuple[str, int]]] = {}
    for name, ranked in matching.RANKED_DICTIONARIES.items():
        if name == _USER_INPUTS:
            continue
        for word, rank in ranked.items():
            hits.setdefault(word, []).append((name, rank))
    return {w: tuple(h) for w, h in hits.items()}, max(map(len, hits), default=0)


def _dictionary_match(password: str, user_inputs: dict[str, int]) -> list[_Match]:
    """``matching.dictionary_match`` over the fixed dictionaries and ``user_inputs``
    (last, as zxcvbn adds it last), already in zxcvbn's sorted order."""
    merged, longest = _merged()
    reach = max(longest, max(map(len, user_inputs), default=0))
    length = len(password)
    lower = password.lower()
    matches: list[_Match] = []
    for i in range(length):
        for j in range(i, min(length, i + reach)):
            word = lower[i : j + 1]
            found = merged.get(word, ())
            rank = user_inputs.get(word)
            if rank is not None:
                found = (*found, (_USER_INPUTS, rank))
            for name, rank in found:
                matches.append(
                    {
                        "pattern": "dictionary",
                        "i": i,
                        "j": j,
                        "token": password[i : j + 1],
                        "matched_word": word,
                        "rank": rank,
                        "dictionary_name": name,
                        "reversed": False,
                        "l33t": False,
                    }
                )
    return matches


def _reverse_dictionary_match(password: str, user_inputs: dict[str, int]) -> list[_Match]:
    """``matching.reverse_dictionary_match``."""
    matches = _dictionary_match("".join(reversed(password)), user_inputs)
    for match in matches:
        match["token"] = "".join(reversed(match["token"]))
        match["reversed"] = True
        match["i"], match["j"] = len(password) - 1 - match["j"], len(password) - 1 - match["i"]
    return sorted(matches, key=lambda x: (x["i"], x["j"]))


def _l33t_match(password: str, user_inputs: dict[str, int]) -> list[_Match]:
    """``matching.l33t_match``."""
    matches: list[_Match] = []
    table = matching.relevant_l33t_subtable(password, matching.L33T_TABLE)
    for sub in matching.enumerate_l33t_subs(table):
        if not len(sub):
            break
        subbed_password = matching.translate(password, sub)
        for match in _dictionary_match(subbed_password, user_inputs):
            token = password[match["i"] : match["j"] + 1]
            if token.lower() == match["matched_word"]:
                continue  # only the matches that contain an actual substitution
            match_sub = {subbed: ch for subbed, ch in sub.items() if subbed in token}
            match["l33t"] = True
            match["token"] = token
            match["sub"] = match_sub
            match["sub_display"] = ", ".join([f"{k} -> {v}" for k, v in match_sub.items()])
            matches.append(match)
    matches = [match for match in matches if len(match["token"]) > 1]
    return sorted(matches, key=lambda x: (x["i"], x["j"]))


def _omnimatch(password: str, user_inputs: dict[str, int]) -> list[_Match]:
    """``matching.omnimatch`` with zxcvbn's shared dictionaries."""
    shared = matching.RANKED_DICTIONARIES
    matches = [
        *_dictionary_match(password, user_inputs),
        *_reverse_dictionary_match(password, user_inputs),
        *_l33t_match(password, user_inputs),
    ]
    for matcher in (
        matching.spatial_match,
        matching.repeat_match,
        matching.sequence_match,
        matching.regex_match,
        matching.date_match,
    ):
        matches.extend(cast(list[_Match], matcher(password, _ranked_dictionaries=shared)))
    return sorted(matches, key=lambda x: (x["i"], x["j"]))


def zxcvbn(password: str, user_inputs: Sequence[str] = (), max_length: int = 72) -> dict[str, Any]:
    """What ``zxcvbn.zxcvbn(password, user_inputs, max_length)`` answers."""
    if len(password) > max_length:
        raise ValueError(f"Password exceeds max length of {max_length} characters.")
    start = datetime.now()  # noqa: DTZ005 - zxcvbn's own calc_time, a duration
    ranked_inputs = matching.build_ranked_dict([str(word).lower() for word in user_inputs])
    # as zxcvbn.zxcvbn does: the repeat matcher's inner matching reads them there
    matching.RANKED_DICTIONARIES[_USER_INPUTS] = ranked_inputs
    matches: Any = _omnimatch(password, ranked_inputs)
    result = cast(dict[str, Any], scoring.most_guessable_match_sequence(password, matches))
    result["calc_time"] = datetime.now() - start  # noqa: DTZ005
    result.update(time_estimates.estimate_attack_times(result["guesses"]))
    result["feedback"] = feedback.get_feedback(result["score"], result["sequence"])
    return result
