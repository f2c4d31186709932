"""The rate-limit policy: one table of named rules, each a ``limits`` string.

A rule names what it counts and what it is keyed by; its value is one or more
limits in the ``limits`` notation, separated by ``;`` (``"5/hour;10/day"``):
every one of them must allow the request. Operators override any rule with
``REGFLOW_RATE_LIMITS`` (JSON, rule name -> limits string); unknown names are
refused at start-up so a typo does not silently leave a default in place.

The defaults follow django-allauth and Supabase Auth: sign-up starts 20 per
minute per client, one code per address per 60 s with hourly and daily caps,
failed codes capped per address and day, logins limited per client and failed
logins per account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from limits import RateLimitItem, parse_many


@dataclass(frozen=True)
class Rule:
    key: str  # what the counter is keyed by: ip, registration, address, account, join_code
    limits: str  # the default, in the ``limits`` notation
    counts: str  # what one hit is (README wording)


DEFAULT_RULES: dict[str, Rule] = {
    "start": Rule("ip", "20/minute;200/hour", "registration started (also by invitation)"),
    "registration_ip": Rule("ip", "120/minute", "call on /v1/registrations/{id}/..."),
    "registration": Rule("registration", "60/minute;1000/day", "call on one registration"),
    "confirm_ip": Rule("ip", "30/minute", "code or link confirmation"),
    "code_send": Rule("address", "1/minute;5/hour;10/day", "code sent to one email or phone"),
    "verify_failures": Rule("address", "20/day", "wrong code for one email or phone"),
    "login_ip": Rule("ip", "30/minute;300/hour", "login attempt"),
    "login_failures": Rule("account", "10/15 minutes;50/day", "failed login for one email"),
    "account_ip": Rule("ip", "120/minute", "call on /v1/account (an access token's account)"),
    "reset_ip": Rule("ip", "10/minute;100/hour", "password reset asked for or confirmed"),
    "reset_send": Rule("address", "5/hour;10/day", "password reset mail to one address"),
    "username_ip": Rule("ip", "60/minute", "username availability check"),
    "lookup_ip": Rule("ip", "10/minute", "organization lookup by join code"),
    "join_code": Rule("join_code", "30/hour", "lookup or use of one join code"),
    "upload_ip": Rule("ip", "30/hour", "logo upload"),
    "invitation_ip": Rule("ip", "30/minute", "invitation link opened or accepted"),
    "admin_ip": Rule("ip", "120/minute", "organization admin call"),
    "pending_signup_ip": Rule(
        "ip", "5/15 minutes", "seed 002 register-pending (its documented limit)"
    ),
    "authorize_ip": Rule("ip", "60/minute;600/hour", "OpenID authorization request"),
    "token_ip": Rule("ip", "60/minute;1000/hour", "OpenID token or revocation request"),
    "default_ip": Rule("ip", "300/minute", "any other call"),
}


class Policy:
    """The parsed rules: ``policy["start"]`` is the list of limits of that rule."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(DEFAULT_RULES))
        if unknown:
            raise ValueError(f"unknown rate-limit rules: {', '.join(unknown)}")
        self.text = {name: overrides.get(name, rule.limits) for name, rule in DEFAULT_RULES.items()}
        self._items: dict[str, list[RateLimitItem]] = {}
        for name, text in self.text.items():
            try:
                self._items[name] = list(parse_many(text))
            except ValueError as exc:
                raise ValueError(f"rate-limit rule {name}: {exc}") from exc

    def __getitem__(self, name: str) -> list[RateLimitItem]:
        return self._items[name]

    def __contains__(self, name: object) -> bool:
        return name in self._items
