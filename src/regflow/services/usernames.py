"""Username availability with suggestions."""

from __future__ import annotations

from typing import Any

from regflow.core import identifiers
from regflow.errors import ErrorCode, FieldProblem
from regflow.services.context import ServiceContext


class Usernames:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def availability(self, raw: str) -> dict[str, Any]:
        try:
            name = identifiers.normalize_username(raw)
        except FieldProblem as problem:
            return {
                "username": raw[:64],
                "available": False,
                "reason": problem.code,
                "suggestions": [],
            }
        async with self.ctx.uow(read_only=True) as uow:
            if not await uow.accounts.username_exists(name):
                return {"username": name, "available": True, "suggestions": []}
            suggestions = [
                candidate
                for candidate in identifiers.suggest_usernames(name, count=6)
                if not await uow.accounts.username_exists(candidate)
            ][:3]
        return {
            "username": name,
            "available": False,
            "reason": ErrorCode.USERNAME_TAKEN,
            "suggestions": suggestions,
        }
