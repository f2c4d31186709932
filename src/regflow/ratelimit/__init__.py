"""Rate limits: the policy table, the limiter (memory or Redis) and the client's address."""

from regflow.ratelimit.clientip import client_address, client_key, parse_networks
from regflow.ratelimit.limiter import RateLimiter, storage_for
from regflow.ratelimit.policy import DEFAULT_RULES, Policy, Rule

__all__ = [
    "DEFAULT_RULES",
    "Policy",
    "RateLimiter",
    "Rule",
    "client_address",
    "client_key",
    "parse_networks",
    "storage_for",
]
