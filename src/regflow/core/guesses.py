"""zxcvbn's estimate, with its dictionary matching done once per substring.

``zxcvbn.zxcvbn`` looks every substring of the password up in each of its seven ranked
dictionaries in turn (the 30,000 most common passwords, English words, names, TV and film
words, the user inputs), forwards, reversed and once per l33t substitution: a third of the
estimate's time for a 28-character password. Here the six fixed dictionaries are merged
once into one map from word to its ``(dictionary, rank)`` hits, so each substring is
looked up once, and substrings longer than the longest word are not looked up at all.

The search for the most guessable sequence is zxcvbn's, with the same Decimal arithmetic
in the same order, minus work around it: a bruteforce match's guesses depend only on its
length, so they are worked out once per length, and its dict is made only when a sequence
keeps it (the other half of the estimate's time went there).

The result is zxcvbn's own, key for key and match for match: the matches come out in the
order zxcvbn sorts them into (by ``i``, ``j``, then dictionary), every other matcher,
the guesses of every other match, the crack-time estimates and the feedback are zxcvbn's
functions, and
``user_inputs`` is set in zxcvbn's shared dictionaries as ``zxcvbn.zxcvbn`` sets it (the
repeat matcher's inner matching reads it there). ``tests/unit/core/test_guesses.py``
compares the two on a corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from math import factorial, log
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


def warm() -> None:
    """Merge the dictionaries now (a tenth of a second) rather than in the first request,
    so that a server builds them before it settles its heap (``regflow.heap``)."""
    _merged()


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


def _bruteforce_guesses(length: int, password_length: int) -> tuple[int, float, Decimal]:
    """What ``scoring.estimate_guesses`` sets on a fresh bruteforce match of ``length``
    characters (``guesses``, ``guesses_log10``) and answers (the guesses as a Decimal)."""
    guesses = scoring.BRUTEFORCE_CARDINALITY**length
    if length == 1:
        guesses = max(guesses, scoring.MIN_SUBMATCH_GUESSES_SINGLE_CHAR + 1)
    else:
        guesses = max(guesses, scoring.MIN_SUBMATCH_GUESSES_MULTI_CHAR + 1)
    least = 1
    if length < password_length:
        least = (
            scoring.MIN_SUBMATCH_GUESSES_SINGLE_CHAR
            if length == 1
            else scoring.MIN_SUBMATCH_GUESSES_MULTI_CHAR
        )
    guesses = max(guesses, least)
    return guesses, log(guesses, 10), Decimal(guesses)


def _most_guessable_match_sequence(password: str, matches: list[_Match]) -> dict[str, Any]:
    """``scoring.most_guessable_match_sequence``, the same search with the same Decimal
    arithmetic in the same order; what it saves is work around the arithmetic: a
    bruteforce match's guesses are worked out once per length (they depend on nothing
    else), its dict is made only when a sequence keeps it, and the sequences it may follow
    are listed once per end position (final by then)."""
    n = len(password)
    matches_by_j: list[list[_Match]] = [[] for _ in range(n)]
    for m in matches:
        matches_by_j[m["j"]].append(m)
    for lst in matches_by_j:
        lst.sort(key=lambda m1: m1["i"])
    best_m: list[dict[int, _Match]] = [{} for _ in range(n)]
    best_pi: list[dict[int, Decimal]] = [{} for _ in range(n)]
    best_g: list[dict[int, Decimal]] = [{} for _ in range(n)]
    bruteforce = [_bruteforce_guesses(length, n) if length else None for length in range(n + 1)]
    growing = scoring.MIN_GUESSES_BEFORE_GROWING_SEQUENCE
    # the two terms of the metric by sequence length: factorial(l) and growing ** (l - 1)
    factorials = [factorial(size) for size in range(n + 2)]
    growth = [growing ** (size - 1) if size else 0 for size in range(n + 2)]
    # per end position, once it is final: its sequences a bruteforce match may follow
    # (length, product), in zxcvbn's order
    tails: list[list[tuple[int, Decimal]] | None] = [None] * n

    def better(k: int, size: int, pi: Decimal) -> Decimal | None:
        """The metric of a length-``l`` sequence ending at ``k`` with product ``pi``, or
        None when a sequence of ``l`` or fewer matches covering the prefix is as good."""
        g: Decimal = factorials[size] * pi
        g += growth[size]
        for competing_l, competing_g in best_g[k].items():
            if competing_l > size:
                continue
            if competing_g <= g:
                return None
        return g

    def update(m: _Match, size: int) -> None:
        k = m["j"]
        pi = scoring.estimate_guesses(cast(Any, m), password)
        if size > 1:
            # zxcvbn wraps the product in Decimal() again: a Decimal's copy, the same value
            pi = pi * best_pi[m["i"] - 1][size - 1]
        g = better(k, size, pi)
        if g is not None:
            best_g[k][size], best_m[k][size], best_pi[k][size] = g, m, pi

    def bruteforce_match(i: int, k: int) -> _Match:
        guesses, log10, _ = cast(tuple[int, float, Decimal], bruteforce[k - i + 1])
        return {
            "pattern": "bruteforce",
            "token": password[i : k + 1],
            "i": i,
            "j": k,
            "guesses": guesses,
            "guesses_log10": log10,
        }

    def tail(j: int) -> list[tuple[int, Decimal]]:
        found = tails[j]
        if found is None:
            pis = best_pi[j]
            found = tails[j] = [
                (size, pis[size])
                for size, last_m in best_m[j].items()
                # never a bruteforce match after another: one spanning both is better
                if last_m.get("pattern", False) != "bruteforce"
            ]
        return found

    def bruteforce_update(k: int) -> None:
        # a single bruteforce match spanning the k-prefix
        pi = cast(tuple[int, float, Decimal], bruteforce[k + 1])[2]
        g = better(k, 1, pi)
        if g is not None:
            best_g[k][1], best_m[k][1], best_pi[k][1] = g, bruteforce_match(0, k), pi
        competing = best_g[k]
        for i in range(1, k + 1):
            # a bruteforce match from i to k after each sequence ending at i - 1
            made: _Match | None = None
            guesses = cast(tuple[int, float, Decimal], bruteforce[k - i + 1])[2]
            for size, product in tail(i - 1):
                pi = guesses * product
                size += 1
                g = factorials[size] * pi
                g += growth[size]
                for competing_l, competing_g in competing.items():
                    if competing_l <= size and competing_g <= g:
                        break
                else:
                    made = made or bruteforce_match(i, k)
                    competing[size], best_m[k][size], best_pi[k][size] = g, made, pi

    for k in range(n):
        for m in matches_by_j[k]:
            if m["i"] > 0:
                for size in best_m[m["i"] - 1]:
                    update(m, size + 1)
            else:
                update(m, 1)
        bruteforce_update(k)

    # unwind, as zxcvbn does (an empty password raises its IndexError here)
    sequence: list[_Match] = []
    k, found = n - 1, None
    least: Any = float("inf")
    for candidate, candidate_g in best_g[k].items():
        if candidate_g < least:
            found, least = candidate, candidate_g
    size = cast(int, found)
    while k >= 0:
        m = best_m[k][size]
        sequence.insert(0, m)
        k = m["i"] - 1
        size -= 1
    guesses: Any = 1 if n == 0 else best_g[n - 1][len(sequence)]
    return {
        "password": password,
        "guesses": guesses,
        "guesses_log10": log(guesses, 10),
        "sequence": sequence,
    }


def zxcvbn(password: str, user_inputs: Sequence[str] = (), max_length: int = 72) -> dict[str, Any]:
    """What ``zxcvbn.zxcvbn(password, user_inputs, max_length)`` answers."""
    if len(password) > max_length:
        raise ValueError(f"Password exceeds max length of {max_length} characters.")
    start = datetime.now()  # noqa: DTZ005 - zxcvbn's own calc_time, a duration
    ranked_inputs = matching.build_ranked_dict([str(word).lower() for word in user_inputs])
    # as zxcvbn.zxcvbn does: the repeat matcher's inner matching reads them there
    matching.RANKED_DICTIONARIES[_USER_INPUTS] = ranked_inputs
    result = _most_guessable_match_sequence(password, _omnimatch(password, ranked_inputs))
    result["calc_time"] = datetime.now() - start  # noqa: DTZ005
    result.update(time_estimates.estimate_attack_times(result["guesses"]))
    result["feedback"] = feedback.get_feedback(result["score"], result["sequence"])
    return result
