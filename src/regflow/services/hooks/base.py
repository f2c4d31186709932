"""What a completion hook hands back to completion."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from regflow.core.model import Membership, Organization


@dataclass
class Joined:
    """The membership (and organization) a hook made, plus extra response fields."""

    membership: Membership | None = None
    organization: Organization | None = None
    extra: dict[str, Any] = field(default_factory=dict)
