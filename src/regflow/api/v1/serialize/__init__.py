"""The native API's one serializer: typed use-case results to the SPEC's JSON shapes.

Each function renders one result type exactly as the SPEC documents it
(timestamps as RFC 3339 with ``Z``, enums as their values); routes return
what these build and never read a service's internals. One module per
resource; everything is reachable as ``serialize.<name>``.
"""

from __future__ import annotations

from regflow.api.v1.serialize._time import timestamp
from regflow.api.v1.serialize.account import (
    change_code_sent,
    deleted,
    email_changed,
    me,
    password_changed,
)
from regflow.api.v1.serialize.operator import (
    funnel_report,
    mailbox_entry,
    outbox_message,
    outbox_overview,
)
from regflow.api.v1.serialize.organizations import (
    decided,
    invitation,
    invitation_accepted,
    invitation_preview,
    invitation_sent,
    member,
    member_page,
    organization,
    stored_logo,
)
from regflow.api.v1.serialize.registrations import (
    account,
    code_sent,
    completed,
    pending_code,
    registration,
    step,
)
from regflow.api.v1.serialize.sessions import availability, logged_in, token

__all__ = [
    "account",
    "availability",
    "change_code_sent",
    "code_sent",
    "completed",
    "decided",
    "deleted",
    "email_changed",
    "funnel_report",
    "invitation",
    "invitation_accepted",
    "invitation_preview",
    "invitation_sent",
    "logged_in",
    "mailbox_entry",
    "me",
    "member",
    "member_page",
    "organization",
    "outbox_message",
    "outbox_overview",
    "password_changed",
    "pending_code",
    "registration",
    "step",
    "stored_logo",
    "timestamp",
    "token",
]
