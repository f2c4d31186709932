"""An hourly SMS budget, global and per country, against SMS pumping.

SMS pumping (toll fraud) makes a service send many codes to premium numbers,
usually in a few countries. The budget caps what regflow sends in any sliding
hour: ``REGFLOW_SMS_BUDGET_PER_HOUR`` in total and
``REGFLOW_SMS_COUNTRY_BUDGET_PER_HOUR`` per country calling code (``+91``,
``+1``), with ``REGFLOW_SMS_COUNTRY_BUDGETS`` overriding single codes (``0``
blocks a country you never serve).

The count is the SMS the outbox marked sent in the last hour, read from the
database before each SMS, so every worker process shares one budget. Workers
check and send concurrently, so the budget can be overshot by the SMS in flight
at that moment (at most one batch per worker), never more.

An SMS over budget goes ``dead`` at once with the reason as its last error,
instead of being held for later: during an attack a held queue would fill with
the attacker's messages and spend the next hour's budget on them, and a code
held for an hour has expired anyway (codes live minutes). The person asks for
a new code once the hour has passed; an operator sees the dead messages
(``regflow outbox``, the ``regflow_outbox_deliveries{outcome="dead"}`` counter)
and can requeue them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import phonenumbers

from regflow.core.model import OutboxKind, OutboxMessage
from regflow.core.ports import UnitOfWorkFactory
from regflow.delivery.base import DeliveryError, Sender

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)


def calling_code(number: str) -> int | None:
    """The E.164 country calling code of ``number`` (91 for +91...), None if unparsable."""
    try:
        code = phonenumbers.parse(number, None).country_code
    except phonenumbers.NumberParseException:
        return None
    return int(code) if code else None


def parse_country_budgets(raw: Mapping[str, int]) -> dict[int, int]:
    """``{"+91": 500, "1": 0}`` -> ``{91: 500, 1: 0}``; ValueError on a bad key or value."""
    budgets: dict[int, int] = {}
    for key, value in raw.items():
        digits = key.strip().removeprefix("+")
        if not digits.isdigit() or not 1 <= len(digits) <= 3 or digits.startswith("0"):
            raise ValueError(f"{key!r} is not a country calling code such as +91")
        if value < 0:
            raise ValueError(f"the SMS budget of {key!r} must be 0 or more")
        budgets[int(digits)] = value
    return budgets


class SmsBudget:
    """Decides whether one more SMS fits in the last hour's budget."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        per_hour: int,
        per_country_per_hour: int,
        countries: Mapping[int, int] | None = None,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow_factory = uow_factory
        self.per_hour = per_hour
        self.per_country_per_hour = per_country_per_hour
        self.countries = dict(countries or {})
        self._clock = clock

    def country_limit(self, code: int) -> int:
        return self.countries.get(code, self.per_country_per_hour)

    async def refusal(self, recipient: str) -> str | None:
        """Why an SMS to ``recipient`` is over budget now, or None when it may go."""
        since = self._clock() - WINDOW
        code = calling_code(recipient)
        async with self._uow_factory(read_only=True) as uow:
            if code is not None:
                limit = self.country_limit(code)
                sent = await uow.outbox.sms_sent_since(since, f"+{code}")
                if sent >= limit:
                    return (
                        f"SMS budget exceeded for +{code}: "
                        f"{sent} sent in the last hour (limit {limit})"
                    )
            sent = await uow.outbox.sms_sent_since(since)
        if sent >= self.per_hour:
            return f"SMS budget exceeded: {sent} sent in the last hour (limit {self.per_hour})"
        return None


class BudgetedSmsSender:
    """Wraps an SMS sender: over budget, the message goes dead instead of being sent."""

    def __init__(self, inner: Sender, budget: SmsBudget) -> None:
        self.inner = inner
        self.budget = budget

    def __repr__(self) -> str:
        return f"BudgetedSmsSender({self.inner!r})"

    async def send(self, message: OutboxMessage) -> None:
        if message.kind is OutboxKind.SMS:
            reason = await self.budget.refusal(message.recipient)
            if reason is not None:
                log.warning("SMS %s not sent: %s", message.id, reason)
                raise DeliveryError(reason, permanent=True)
        await self.inner.send(message)
