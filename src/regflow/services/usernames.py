"""Username availability with suggestions."""

from __future__ import annotations

from dataclasses import dataclass

from regflow.core import identifiers
from regflow.errors import ErrorCode, FieldProblem
from regflow.services.context import ServiceContext


@dataclass(frozen=True)
class Availability:
    """Whether a username is free; why not, and free ones like it, when it is not."""

    username: str  # normalized, or the raw value (cut) when it is not a valid name
    available: bool
    reason: ErrorCode | None = None
    suggestions: tuple[str, ...] = ()


class Usernames:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def availability(self, raw: str) -> Availability:
        try:
            name = identifiers.normalize_username(raw)
        except FieldProblem as problem:
            return Availability(raw[:64], False, problem.code)
        async with self.ctx.uow(read_only=True) as uow:
            if not await uow.accounts.username_exists(name):
                return Availability(name, True)
            suggestions = [
                candidate
                for candidate in identifiers.suggest_usernames(name, count=6)
                if not await uow.accounts.username_exists(candidate)
            ][:3]
        return Availability(name, False, ErrorCode.USERNAME_TAKEN, tuple(suggestions))
