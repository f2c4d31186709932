"""zxcvbn's search for the most guessable sequence of matches, with its Decimal results.

``scoring.most_guessable_match_sequence`` tries, at every end position ``k``, a
bruteforce match from every ``i`` after every sequence kept at ``i - 1``: for a
long passphrase most of the estimate's time, and nearly every candidate loses to a
sequence kept already. Here a candidate is first weighed in floats against a floor
(the least metric kept at ``k`` for its length or fewer, taken when ``k``'s
bruteforce candidates begin; kept metrics only fall, so it never rejects too much):
one that is clearly above the floor is rejected without its Decimal arithmetic; any
other goes through zxcvbn's own arithmetic and comparison, in zxcvbn's order. A
sequence whose product is already past what a single bruteforce match over the same
prefix costs is not followed at all: whatever bruteforce match comes after it loses,
at every position, to the one spanning the whole prefix. What is kept is therefore
exactly what zxcvbn keeps.

Also worked out once rather than per candidate: a match's guesses (zxcvbn asks for
them once per sequence it may end), a bruteforce match's guesses (they depend only on
its length and the password's: kept per length), the metric's factorial and growth
terms (per sequence length), the sequences a bruteforce match may follow (per end
position, final once it is passed), and a bruteforce match's dict (only when a
sequence keeps it).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from math import factorial, inf, log
from typing import Any, cast

from zxcvbn import scoring

_Match = dict[str, Any]
# float estimates are within about 1e-15 of the exact values; apart by more than
# this factor, the comparison's outcome is certain
_MARGIN = 1.000001
_FLOAT_CAP = 1e300  # past this the float estimate proves nothing
# 10**i * (1 + 10**-(k+1)) for every k >= i is under 10**i * 1.01
_HOPELESS = 1.02


def _float(value: int | Decimal) -> float:
    try:
        return float(value)
    except OverflowError:  # an int too large for a float
        return inf


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


@cache
def _bruteforce_terms(n: int) -> tuple[list[tuple[int, float, Decimal]], list[float], list[float]]:
    """For a password of ``n`` characters: a bruteforce match's guesses by its length (as
    ``_bruteforce_guesses``) and as floats; and by the length ``i`` of the prefix a
    sequence covers, the part of its metric (all but the bruteforce guesses and growth
    term) past which a bruteforce match after it loses at every ``k`` to the one
    spanning the whole ``k``-prefix (``10**(k+1) + 1``): ``10**i``, with a margin."""
    terms = [
        _bruteforce_guesses(size, n) if size else (0, 0.0, Decimal(0)) for size in range(n + 1)
    ]
    hopeless = [_float(10**size) * _HOPELESS for size in range(n + 1)]
    return terms, [_float(term[0]) for term in terms], hopeless


@cache
def _metric_terms(n: int) -> tuple[list[Decimal], list[Decimal], list[float], list[float]]:
    """The two terms of the metric by sequence length (up to ``n + 1``): factorial(l) and
    growing ** (l - 1), as Decimals (an int operand is converted exactly: the same
    results) and as floats."""
    growing = scoring.MIN_GUESSES_BEFORE_GROWING_SEQUENCE
    factorials = [factorial(size) for size in range(n + 2)]
    growth = [growing ** (size - 1) if size else 0 for size in range(n + 2)]
    return (
        [Decimal(f) for f in factorials],
        [Decimal(g) for g in growth],
        [_float(f) for f in factorials],
        [_float(g) for g in growth],
    )


def _floors(kept: dict[int, Decimal], top: int) -> list[float]:
    """For each length up to ``top``: the least kept metric of that length or fewer."""
    floors = [inf] * (top + 1)
    for size, g in kept.items():
        if size <= top:
            floors[size] = float(g)
    least = inf
    for size, value in enumerate(floors):
        if value < least:
            least = value
        else:
            floors[size] = least
    return floors


_Kept = tuple[list[dict[int, _Match]], list[dict[int, Decimal]]]


def most_guessable_match_sequence(password: str, matches: list[_Match]) -> dict[str, Any]:
    """``scoring.most_guessable_match_sequence(password, matches)``."""
    best_m, best_g = _search(password, matches, None)
    # unwind, as zxcvbn does (an empty password raises its IndexError here)
    n = len(password)
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


def guessed_below(password: str, matches: list[_Match], cap: Decimal) -> bool:
    """Whether ``most_guessable_match_sequence(password, matches)["guesses"] < cap``
    (``password`` not empty), without the search's work on what costs ``cap`` or more:
    the metric only grows as a sequence does, so nothing past the cap leads under it,
    and what is kept under it is what zxcvbn keeps."""
    return any(size for size in _search(password, matches, cap)[1][-1])


def _search(password: str, matches: list[_Match], cap: Decimal | None) -> _Kept:
    """The search: the last match and the metric of each sequence kept, by end position
    and length; with a ``cap``, only those under it (a competitor of length 0 at every
    position, costing the cap, refuses the rest)."""
    n = len(password)
    matches_by_j: list[list[_Match]] = [[] for _ in range(n)]
    for m in matches:
        matches_by_j[m["j"]].append(m)
    for lst in matches_by_j:
        lst.sort(key=lambda m1: m1["i"])
    best_m: list[dict[int, _Match]] = [{} for _ in range(n)]
    best_pi: list[dict[int, Decimal]] = [{} for _ in range(n)]
    best_g: list[dict[int, Decimal]] = [{} if cap is None else {0: cap} for _ in range(n)]
    bruteforce, bruteforce_f, hopeless = _bruteforce_terms(n)
    if cap is not None:  # nor one that costs the cap already
        hopeless = [min(limit, float(cap)) for limit in hopeless]
    factorials, growth, factorials_f, growth_f = _metric_terms(n)
    # the end positions passed so far whose sequences a bruteforce match may follow, by
    # the match's start i, in zxcvbn's order: (i, [(length with it, product, the float
    # part of its metric before the bruteforce guesses, growth term as a float)])
    followed: list[tuple[int, list[tuple[int, Decimal, float, float]]]] = []
    top = 0  # the longest sequence a bruteforce match may end

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

    def update(m: _Match, size: int, guesses: Decimal) -> None:
        k = m["j"]
        pi = guesses
        if size > 1:
            # zxcvbn wraps the product in Decimal() again: a Decimal's copy, the same value
            pi = pi * best_pi[m["i"] - 1][size - 1]
        g = better(k, size, pi)
        if g is not None:
            best_g[k][size], best_m[k][size], best_pi[k][size] = g, m, pi

    def bruteforce_match(i: int, k: int) -> _Match:
        guesses, log10, _ = bruteforce[k - i + 1]
        return {
            "pattern": "bruteforce",
            "token": password[i : k + 1],
            "i": i,
            "j": k,
            "guesses": guesses,
            "guesses_log10": log10,
        }

    def bruteforce_update(k: int) -> None:
        # a single bruteforce match spanning the k-prefix
        pi = bruteforce[k + 1][2]
        g = better(k, 1, pi)
        if g is not None:
            best_g[k][1], best_m[k][1], best_pi[k][1] = g, bruteforce_match(0, k), pi
        if not followed:
            return
        competing, kept_m, kept_pi = best_g[k], best_m[k], best_pi[k]
        floors = _floors(competing, top)
        for i, tail in followed:
            # a bruteforce match from i to k after each sequence ending at i - 1
            made: _Match | None = None
            guesses = bruteforce[k - i + 1][2]
            guesses_f = bruteforce_f[k - i + 1]
            for size, product, part_f, grow_f in tail:
                estimate = part_f * guesses_f + grow_f
                if estimate > floors[size] * _MARGIN and estimate < _FLOAT_CAP:
                    continue  # a kept sequence of this length or fewer is better
                pi = guesses * product
                g = factorials[size] * pi
                g += growth[size]
                for competing_l, competing_g in competing.items():
                    if competing_l <= size and competing_g <= g:
                        break
                else:
                    made = made or bruteforce_match(i, k)
                    competing[size], kept_m[size], kept_pi[size] = g, made, pi

    for k in range(n):
        for m in matches_by_j[k]:
            # zxcvbn estimates a match once per sequence it may end (the first time sets
            # its guesses, every later time answers them again): once here
            estimated = scoring.estimate_guesses(cast(Any, m), password)
            if m["i"] > 0:
                for size in best_m[m["i"] - 1]:
                    update(m, size + 1, estimated)
            else:
                update(m, 1, estimated)
        bruteforce_update(k)
        # k is final: the sequences a bruteforce match from k + 1 may follow (never one
        # ending in a bruteforce match: a single one spanning both is better)
        tail = [
            (size + 1, best_pi[k][size], part, growth_f[size + 1])
            for size, last_m in best_m[k].items()
            # never after a bruteforce match: a single one spanning both is better
            if last_m.get("pattern", False) != "bruteforce"
            # nor when it cannot beat one bruteforce match from the start at any k
            and (part := factorials_f[size + 1] * _float(best_pi[k][size])) <= hopeless[k + 1]
        ]
        if tail:
            followed.append((k + 1, tail))
            top = max(top, *(entry[0] for entry in tail))

    return best_m, best_g
