"""zxcvbn's estimate, with its dictionary matching done once per substring.

``zxcvbn.zxcvbn`` looks every substring of the password up in each of its seven ranked
dictionaries in turn (the 30,000 most common passwords, English words, names, TV and film
words, the user inputs), forwards, reversed and once per l33t substitution: a third of the
estimate's time for a 28-character password. Here the six fixed dictionaries are merged
once into one map from word to its ``(dictionary, rank)`` hits, so each substring is
looked up once, and from each position only as far as the longest word beginning with
its first three characters reaches.

The repeat matcher matches and scores its repeated unit with the matching here (zxcvbn
runs its own, slower, on the same shared dictionaries); the date matcher is not run on a
password with fewer than three digits (no date it finds has fewer), nor a keyboard
graph's spatial matcher on one with no run of three characters adjacent on it. The
search for the most guessable sequence is ``regflow.core.guess_search``: zxcvbn's,
with its Decimal results, minus the arithmetic of candidates that cannot win.

The result is zxcvbn's own, key for key and match for match: the matches come out in the
order zxcvbn sorts them into (by ``i``, ``j``, then dictionary), the other matchers, the
guesses of every match but bruteforce, the crack-time estimates and the feedback are
zxcvbn's functions, and ``user_inputs`` is set in zxcvbn's shared dictionaries as
``zxcvbn.zxcvbn`` sets it. ``tests/unit/core/test_guesses.py`` compares the two on a
corpus (long passphrases included).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from itertools import pairwise
from typing import Any, cast

from zxcvbn import feedback, matching, time_estimates

from regflow.core.guess_search import guessed_below, most_guessable_match_sequence

_USER_INPUTS = "user_inputs"
_STEM = 3  # the words of a dictionary are indexed by their first three characters
_GREEDY = re.compile(r"(.+)\1+")
_LAZY = re.compile(r"(.+?)\1+")
_LAZY_ANCHORED = re.compile(r"^(.+?)\1+$")
_DIGIT = re.compile(r"\d")  # what the date matcher's patterns take for a digit
_Match = dict[str, Any]


def _reaches(words: Iterable[str]) -> dict[str, int]:
    """The length of the longest of ``words`` by their first ``_STEM`` characters: no
    substring starting otherwise is a word (shorter words are always looked up)."""
    reaches: dict[str, int] = {}
    for word in words:
        stem = word[:_STEM]
        if len(stem) == _STEM and reaches.get(stem, 0) < len(word):
            reaches[stem] = len(word)
    return reaches


_last_inputs: tuple[dict[str, int], dict[str, int]] = ({}, {})


def _input_reaches(user_inputs: dict[str, int]) -> dict[str, int]:
    """``_reaches`` of the user inputs, worked out once per estimate (every matcher of
    one estimate, the repeat matcher's inner ones too, gets the same ranked dict)."""
    global _last_inputs
    last = _last_inputs  # read once: another thread's estimate may replace it
    if last[0] is not user_inputs:
        last = _last_inputs = (user_inputs, _reaches(user_inputs))
    return last[1]


@cache
def _merged() -> tuple[dict[str, tuple[tuple[str, int], ...]], dict[str, int]]:
    """Every word of zxcvbn's fixed dictionaries with its hits, in zxcvbn's dictionary
    order, and how far a word starting with a given stem reaches (``_reaches``)."""
    hits: dict[str, list[tuple[str, int]]] = {}
    for name, ranked in matching.RANKED_DICTIONARIES.items():
        if name == _USER_INPUTS:
            continue
        for word, rank in ranked.items():
            hits.setdefault(word, []).append((name, rank))
    return {w: tuple(h) for w, h in hits.items()}, _reaches(hits)


def warm() -> None:
    """Merge the dictionaries now (a tenth of a second) rather than in the first request,
    so that a server builds them before it settles its heap (``regflow.heap``)."""
    _merged()


def _dictionary_match(password: str, user_inputs: dict[str, int]) -> list[_Match]:
    """``matching.dictionary_match`` over the fixed dictionaries and ``user_inputs``
    (last, as zxcvbn adds it last), already in zxcvbn's sorted order."""
    merged, fixed = _merged()
    inputs = _input_reaches(user_inputs)
    length = len(password)
    lower = password.lower()
    matches: list[_Match] = []
    for i in range(length):
        stem = lower[i : i + _STEM]
        reach = max(_STEM - 1, fixed.get(stem, 0), inputs.get(stem, 0))
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


def _repeat_match(password: str, user_inputs: dict[str, int]) -> list[_Match]:
    """``matching.repeat_match``, its repeated unit matched and scored here (zxcvbn runs
    its own ``omnimatch`` and search on it, with the same shared dictionaries)."""
    matches: list[_Match] = []
    last_index = 0
    while last_index < len(password):
        greedy_match = _GREEDY.search(password, pos=last_index)
        lazy_match = _LAZY.search(password, pos=last_index)
        if not greedy_match or not lazy_match:
            break
        if len(greedy_match.group(0)) > len(lazy_match.group(0)):
            match = greedy_match  # greedy beats lazy for 'aabaab'
            anchored = _LAZY_ANCHORED.search(match.group(0))
            base_token = cast(re.Match[str], anchored).group(1)
        else:
            match = lazy_match
            base_token = match.group(1)
        i, j = match.span()[0], match.span()[1] - 1
        base = most_guessable_match_sequence(base_token, _omnimatch(base_token, user_inputs))
        matches.append(
            {
                "pattern": "repeat",
                "i": i,
                "j": j,
                "token": match.group(0),
                "base_token": base_token,
                "base_guesses": base["guesses"],
                "base_matches": base["sequence"],
                "repeat_count": len(match.group(0)) / len(base_token),
            }
        )
        last_index = j + 1
    return matches


@cache
def _adjacent_pairs() -> dict[str, frozenset[str]]:
    """For each of zxcvbn's keyboard graphs: every pair of characters (as a string of two)
    whose second is adjacent to the first, as its spatial matcher sees adjacency."""
    return {
        name: frozenset(
            key + ch
            for key, adjacents in graph.items()
            for adj in adjacents or []
            if adj
            for ch in adj
        )
        for name, graph in matching.GRAPHS.items()
    }


def _spatial_match(password: str) -> list[_Match]:
    """``matching.spatial_match``: a graph's matcher runs only where the password has a
    run of three characters adjacent on it (the shortest pattern it keeps)."""
    pairs = [password[k : k + 2] for k in range(len(password) - 1)]
    adjacent = _adjacent_pairs()
    matches: list[_Match] = []
    for name, graph in matching.GRAPHS.items():
        hits = [pair in adjacent[name] for pair in pairs]
        if any(a and b for a, b in pairwise(hits)):
            matches.extend(cast(list[_Match], matching.spatial_match_helper(password, graph, name)))
    return sorted(matches, key=lambda x: (x["i"], x["j"]))


def _date_match(password: str) -> list[_Match]:
    """``matching.date_match``: every date it finds has three digits or more."""
    if len(_DIGIT.findall(password)) < 3:
        return []
    return cast(list[_Match], matching.date_match(password))


def _omnimatch(password: str, user_inputs: dict[str, int]) -> list[_Match]:
    """``matching.omnimatch`` with zxcvbn's shared dictionaries."""
    shared = matching.RANKED_DICTIONARIES
    matches = [
        *_dictionary_match(password, user_inputs),
        *_reverse_dictionary_match(password, user_inputs),
        *_l33t_match(password, user_inputs),
        *_spatial_match(password),
        *_repeat_match(password, user_inputs),
    ]
    for matcher in (matching.sequence_match, matching.regex_match):
        matches.extend(cast(list[_Match], matcher(password, _ranked_dictionaries=shared)))
    matches.extend(_date_match(password))
    return sorted(matches, key=lambda x: (x["i"], x["j"]))


def zxcvbn(password: str, user_inputs: Sequence[str] = (), max_length: int = 72) -> dict[str, Any]:
    """What ``zxcvbn.zxcvbn(password, user_inputs, max_length)`` answers."""
    if len(password) > max_length:
        raise ValueError(f"Password exceeds max length of {max_length} characters.")
    start = datetime.now()  # noqa: DTZ005 - zxcvbn's own calc_time, a duration
    ranked_inputs = matching.build_ranked_dict([str(word).lower() for word in user_inputs])
    # as zxcvbn.zxcvbn does: the repeat matcher's inner matching reads them there
    matching.RANKED_DICTIONARIES[_USER_INPUTS] = ranked_inputs
    result = most_guessable_match_sequence(password, _omnimatch(password, ranked_inputs))
    result["calc_time"] = datetime.now() - start  # noqa: DTZ005
    result.update(time_estimates.estimate_attack_times(result["guesses"]))
    result["feedback"] = feedback.get_feedback(result["score"], result["sequence"])
    return result


def guessed_in_fewer(
    password: str, guesses: Decimal, user_inputs: Sequence[str] = (), max_length: int = 72
) -> bool:
    """Whether ``zxcvbn(password, user_inputs, max_length)["guesses"] < guesses``, at a
    fraction of its cost when the answer is no: the search drops every sequence that
    costs ``guesses`` already (``guess_search.guessed_below``). Not for the empty
    password (zxcvbn raises on it)."""
    if len(password) > max_length:
        raise ValueError(f"Password exceeds max length of {max_length} characters.")
    ranked_inputs = matching.build_ranked_dict([str(word).lower() for word in user_inputs])
    matching.RANKED_DICTIONARIES[_USER_INPUTS] = ranked_inputs  # as zxcvbn sets it
    return guessed_below(password, _omnimatch(password, ranked_inputs), guesses)
