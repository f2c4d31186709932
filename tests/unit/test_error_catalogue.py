"""The one error catalogue: every code has a word in every front end."""

from __future__ import annotations

from types import ModuleType

import pytest

from regflow.api import problems
from regflow.api.contracts import catalogue, evalon_common, oneshot, pending, phased, verify_first
from regflow.errors import ErrorCode, FieldProblem, NotFound, RegflowError
from regflow.ui import words

CONTRACTS = (evalon_common, oneshot, pending, phased, verify_first)


def test_every_code_has_a_problem_status() -> None:
    missing = set(ErrorCode) - set(problems.STATUS)
    assert not missing, f"no status in api.problems.STATUS for {sorted(missing)}"
    for code, status in problems.STATUS.items():
        assert status is problems.BY_CLASS or status in problems.TITLES, code


def test_every_code_has_ui_words() -> None:
    missing = [code for code in ErrorCode if code not in words._BY_CODE]
    assert not missing, f"no sentence in ui/words.py for {missing}"
    for code in ErrorCode:
        assert words.say(code, fallback="SERVICE") != "SERVICE"


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_every_code_is_mapped_or_falls_back_in_each_contract(contract: ModuleType) -> None:
    messages, fallback = contract.MESSAGES, contract.FALLBACK
    missing = catalogue.uncovered(messages, fallback)
    assert not missing, f"{contract.__name__}: neither MESSAGES nor FALLBACK has {sorted(missing)}"
    assert all(isinstance(code, ErrorCode) for code in messages), "MESSAGES keyed by ErrorCode"


def test_the_table_decides_the_native_status() -> None:
    assert problems.status_for(NotFound(code=ErrorCode.ORG_CODE_INVALID)) == 404  # BY_CLASS
    assert problems.status_for(RegflowError(code=ErrorCode.ORG_INVITE_ONLY)) == 409
    assert problems.status_for(FieldProblem("x", ErrorCode.LOGO_INVALID, "m")) == 422
    assert problems.status_for(RegflowError(code=ErrorCode.EMAIL_NOT_VERIFIED)) == 403


def test_codes_compare_and_serialise_as_their_names() -> None:
    assert ErrorCode.INVALID_CODE == "INVALID_CODE"
    assert f"{ErrorCode.INVALID_CODE}" == "INVALID_CODE"
    assert b'"INVALID_CODE"' in bytes(problems.problem(400, ErrorCode.INVALID_CODE, "x").body)
