"""The native API's one serializer: typed use-case results to the SPEC's JSON shapes.

Each function renders one result type exactly as the SPEC documents it
(timestamps as RFC 3339 with ``Z``, enums as their values); routes return
what these build and never read a service's internals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from regflow.services.codes import CodeSent


def timestamp(value: datetime) -> str:
    """``2026-01-05T09:00:00Z``: UTC, as every native answer writes time."""
    return value.isoformat().replace("+00:00", "Z")


def code_sent(sent: CodeSent) -> dict[str, Any]:
    """``POST /v1/registrations/{id}/verifications/{channel}``'s 202 body."""
    return {
        "channel": sent.channel.value,
        "expires_at": timestamp(sent.expires_at),
        "resend_available_at": timestamp(sent.resend_available_at),
    }
