"""Username skeletons (UTS #39): look-alikes collide, different names do not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regflow.core.confusables import PROTOTYPES, skeleton
from regflow.core.identifiers import normalize_username
from regflow.errors import FieldProblem

CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у"}


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("paypal", "раураӏ"),  # all Cyrillic
        ("paypal", "paypa1"),
        ("modem", "rnodern"),
        ("wow", "vvovv"),
        ("google", "g00gle"),
        ("apple", "αpple"),
        ("ocean", "осеаn"),
    ],
)
def test_look_alikes_share_a_skeleton(one: str, other: str) -> None:
    assert skeleton(one) == skeleton(other)


@pytest.mark.parametrize(("one", "other"), [("ada", "eda"), ("anna", "anne"), ("bob", "rob")])
def test_different_names_differ(one: str, other: str) -> None:
    assert skeleton(one) != skeleton(other)


@given(st.text(max_size=30))
def test_skeleton_is_a_fixed_point(name: str) -> None:
    assert skeleton(skeleton(name)) == skeleton(name)


@given(st.text(alphabet="aeopcxy", min_size=3, max_size=20))
def test_whole_script_cyrillic_spoofs_collide(latin: str) -> None:
    spoof = "".join(CYRILLIC[ch] for ch in latin)
    try:
        normalize_username(spoof)  # accepted on its own: one script only
    except FieldProblem:
        return  # reserved, etc.
    assert skeleton(normalize_username(spoof)) == skeleton(latin)


def test_prototypes_are_themselves_stable() -> None:
    for prototype in PROTOTYPES.values():
        assert skeleton(prototype) == skeleton(skeleton(prototype))
