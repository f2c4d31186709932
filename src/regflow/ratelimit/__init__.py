"""Rate limits: the policy table and the limiter (memory or Redis).

Who the client is (its address behind trusted proxies) is the HTTP edge's
business: ``regflow.api.clientip``.
"""

from regflow.ratelimit.limiter import RateLimiter, storage_for
from regflow.ratelimit.policy import DEFAULT_RULES, Policy, Rule

__all__ = [
    "DEFAULT_RULES",
    "Policy",
    "RateLimiter",
    "Rule",
    "storage_for",
]
