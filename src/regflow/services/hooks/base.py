"""What a completion hook hands back to completion."""

from __future__ import annotations

from dataclasses import dataclass

from regflow.core.model import Membership, Organization
from regflow.services.completed import NextStep
from regflow.services.organizations import OrganizationView


@dataclass
class Joined:
    """The membership (and organization) a hook made; ``founded`` when it created the
    organization (its owner sees all of it), with what its owner may do next."""

    membership: Membership | None = None
    organization: Organization | None = None
    founded: OrganizationView | None = None
    next_steps: tuple[NextStep, ...] = ()
