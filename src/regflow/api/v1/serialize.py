"""The native API's one serializer: typed use-case results to the SPEC's JSON shapes.

Each function renders one result type exactly as the SPEC documents it
(timestamps as RFC 3339 with ``Z``, enums as their values); routes return
what these build and never read a service's internals.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from regflow.core.email_change import EmailChanged
from regflow.core.invitations import Invitation
from regflow.core.model import Channel, Membership
from regflow.core.onboarding import MemberView
from regflow.core.recovery import PasswordChanged
from regflow.services.account import AccountView as OwnAccount
from regflow.services.codes import CodeSent
from regflow.services.completed import AccountView, Completed
from regflow.services.email_change import ChangeCodeSent
from regflow.services.funnel import FunnelReport
from regflow.services.invitation_admin import InvitationView
from regflow.services.invitations import InvitationAccepted, InvitationPreview
from regflow.services.mailbox import MailboxEntry
from regflow.services.org_admin import MemberPage
from regflow.services.organizations import OrganizationView
from regflow.services.outbox_admin import MessageView, OutboxOverview
from regflow.services.sessions import LoggedIn, TokenGrant
from regflow.services.uploads import StoredLogo
from regflow.services.usernames import Availability
from regflow.services.views import PendingCode, RegistrationView, StepView


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


def pending_code(code: PendingCode) -> dict[str, Any]:
    return {
        "channel": code.channel.value,
        "target": code.target,
        "expires_at": timestamp(code.expires_at),
        "resend_available_at": timestamp(code.resend_available_at),
    }


def step(view: StepView) -> dict[str, Any]:
    return {
        "name": view.spec.name,
        "title": view.spec.title,
        "phase": view.spec.phase,
        "fields": view.spec.describe_fields(),
        "verifications": [c.value for c in view.spec.verifications],
        "done": view.done,
    }


def registration(view: RegistrationView) -> dict[str, Any]:
    """A registration's state (SPEC section 3): start, state, steps and codes answer it."""
    pending = [pending_code(p) for p in view.pending]
    return {
        "id": view.id,
        "flow": view.flow,
        "status": view.status.value,
        "step": view.step,
        "steps": [step(s) for s in view.steps],
        "progress": {"current": view.progress.current, "total": view.progress.total},
        "verified": {c.value: view.is_verified(c) for c in Channel},
        "pending_verification": pending[0] if pending else None,
        "pending_verifications": pending,
        "variant": view.variant,
        "reserved": dict(view.reserved),
        "expires_at": timestamp(view.expires_at),
    }


def token(grant: TokenGrant, *, amr: bool = False) -> dict[str, Any]:
    """``{access_token, token_type, expires_in}``, ``second_factor_required`` when the
    token speaks for no organization for want of one; ``amr`` after the second step."""
    body: dict[str, Any] = {
        "access_token": grant.access_token,
        "token_type": grant.token_type,
        "expires_in": grant.expires_in,
    }
    if grant.second_factor_required:
        body["second_factor_required"] = True
    if amr:
        body["amr"] = list(grant.amr)
    return body


def logged_in(login: LoggedIn) -> dict[str, Any]:
    """``POST /v1/sessions``: the token and every active membership to choose from."""
    return {
        **token(login.grant),
        "organizations": [
            {"id": o.id, "name": o.name, "role": o.role.value} for o in login.organizations
        ],
    }


def account(view: AccountView) -> dict[str, Any]:
    return {
        "id": view.id,
        "email": view.email,
        "email_verified": view.email_verified,
        "phone": view.phone,
        "phone_verified": view.phone_verified,
        "username": view.username,
        "first_name": view.first_name,
        "last_name": view.last_name,
        "created_at": timestamp(view.created_at),
    }


def organization(view: OrganizationView) -> dict[str, Any]:
    """The organization as its owners and admins see it."""
    return {
        "id": view.id,
        "name": view.name,
        "slug": view.slug,
        "join_code": view.join_code,
        "join_policy": view.join_policy.value,
        "two_factor": view.two_factor,
        "settings": dict(view.settings),
        "logo_url": view.logo_url,
        "created_at": timestamp(view.created_at),
    }


def completed(done: Completed) -> dict[str, Any]:
    """``POST /v1/registrations/{id}/complete``'s 201 body (a replay answers the same,
    with a fresh token); the founder of an organization sees all of it and next steps."""
    org, membership = done.organization, done.membership
    body: dict[str, Any] = {
        "account": account(done.account),
        "organization": {"id": org.id, "name": org.name, "slug": org.slug} if org else None,
        "membership": (
            {"role": membership.role.value, "status": membership.status.value}
            if membership
            else None
        ),
    }
    if done.founded is not None:
        body["organization"] = organization(done.founded)
        body["next_steps"] = [{"id": s.id, "text": s.text} for s in done.made.next_steps]
    return {**body, **token(done.token)}


def invitation_sent(invitation: Invitation) -> dict[str, Any]:
    """``POST /v1/organizations/{id}/invitations``' 201 body."""
    return {
        "id": invitation.id,
        "email": invitation.email,
        "role": invitation.role,
        "expires_at": timestamp(invitation.expires_at),
    }


def invitation_preview(preview: InvitationPreview) -> dict[str, Any]:
    return {
        "organization": {"name": preview.organization_name},
        "role": preview.role,
        "email": preview.masked_email,
        "expires_at": timestamp(preview.expires_at),
    }


def invitation_accepted(accepted: InvitationAccepted) -> dict[str, Any]:
    org, membership = accepted.organization, accepted.membership
    return {
        "account": {"id": accepted.account_id, "email": accepted.email},
        "organization": {"id": org.id, "name": org.name, "slug": org.slug},
        "membership": {
            "id": membership.id,
            "role": membership.role.value,
            "status": membership.status.value,
        },
        **token(accepted.token),
    }


def member(view: MemberView) -> dict[str, Any]:
    return {
        "id": view.id,
        "account_id": view.account_id,
        "email": view.email,
        "first_name": view.first_name,
        "last_name": view.last_name,
        "role": view.role.value,
        "status": view.status.value,
        "details": view.details,
        "created_at": timestamp(view.created_at),
    }


def member_page(page: MemberPage) -> dict[str, Any]:
    return {
        "members": [member(m) for m in page.members],
        "limit": page.limit,
        "offset": page.offset,
    }


def decided(membership: Membership) -> dict[str, Any]:
    """An approved or rejected membership."""
    return {"id": membership.id, "role": membership.role.value, "status": membership.status.value}


def availability(found: Availability) -> dict[str, Any]:
    """``GET /v1/usernames/{name}/availability``: ``reason`` only when it is not free."""
    body: dict[str, Any] = {"username": found.username, "available": found.available}
    if found.reason is not None:
        body["reason"] = found.reason.value
    body["suggestions"] = list(found.suggestions)
    return body


def stored_logo(stored: StoredLogo) -> dict[str, Any]:
    """``POST /v1/uploads/logo``'s 201 body."""
    return {
        "key": stored.key,
        "content_type": stored.content_type,
        "width": stored.width,
        "height": stored.height,
        "size": stored.size,
        "url": stored.url,
        "expires_at": timestamp(stored.expires_at),
    }


def outbox_message(view: MessageView) -> dict[str, Any]:
    return {
        "id": view.id,
        "kind": view.kind.value,
        "template": view.template,
        "status": view.status.value,
        "recipient": view.recipient,
        "locale": view.locale,
        "attempts": view.attempts,
        "created_at": timestamp(view.created_at),
        "available_at": timestamp(view.available_at),
        "last_error": view.last_error,
    }


def outbox_overview(overview: OutboxOverview) -> dict[str, Any]:
    """``GET /v1/admin/outbox`` (and ``regflow outbox --json``)."""
    return {
        "counts": {status.value: count for status, count in overview.counts.items()},
        "statuses": [s.value for s in overview.statuses],
        "messages": [outbox_message(m) for m in overview.messages],
    }


def _optional(value: datetime | None) -> str | None:
    return timestamp(value) if value is not None else None


def invitation(view: InvitationView) -> dict[str, Any]:
    """One of ``GET /v1/organizations/{id}/invitations``' invitations."""
    return {
        "id": view.id,
        "email": view.email,
        "role": view.role,
        "status": view.status.value,
        "created_at": timestamp(view.created_at),
        "expires_at": timestamp(view.expires_at),
        "accepted_at": _optional(view.accepted_at),
    }


def me(view: OwnAccount) -> dict[str, Any]:
    """``GET /v1/account``."""
    return {
        "id": view.id,
        "email": view.email,
        "email_verified": view.email_verified,
        "username": view.username,
        "first_name": view.first_name,
        "last_name": view.last_name,
        "created_at": timestamp(view.created_at),
    }


def change_code_sent(sent: ChangeCodeSent) -> dict[str, Any]:
    """``POST /v1/account/email``'s 202 body. Its ``expires_at`` has always been written
    with ``+00:00`` (not ``Z``); kept so, clients may compare it as a string."""
    return {"status": "code_sent", "target": sent.target, "expires_at": sent.expires_at.isoformat()}


def email_changed(changed: EmailChanged) -> dict[str, Any]:
    return {
        "status": "email_changed",
        "email": changed.email,
        "changed_at": timestamp(changed.changed_at),
    }


def password_changed(changed: PasswordChanged) -> dict[str, Any]:
    return {
        "status": "password_changed",
        "email": changed.email,
        "changed_at": timestamp(changed.changed_at),
    }


def deleted(at: datetime) -> dict[str, Any]:
    """``DELETE /v1/account``."""
    return {"status": "deleted", "deleted_at": timestamp(at)}


def funnel_report(report: FunnelReport) -> dict[str, Any]:
    """``GET /v1/admin/funnel`` (its HTML page and ``regflow funnel --json`` show the same)."""
    return {
        "since": timestamp(report.since),
        "until": timestamp(report.until),
        "generated_at": timestamp(report.generated_at),
        "flow": report.flow,
        "flows": [
            {
                "flow": f.flow,
                "experiment": f.experiment,
                "variants": [asdict(v) for v in f.variants],
                "comparisons": [asdict(c) for c in f.comparisons],
            }
            for f in report.flows
        ],
    }


def mailbox_entry(entry: MailboxEntry) -> dict[str, Any]:
    """One message of ``GET /dev/mailbox.json`` (its times with ``+00:00``, as always)."""
    return {
        "id": entry.id,
        "kind": entry.kind.value,
        "recipient": entry.recipient,
        "template": entry.template,
        "locale": entry.locale,
        "status": entry.status.value,
        "attempts": entry.attempts,
        "last_error": entry.last_error,
        "created_at": entry.created_at.isoformat(),
        "sent_at": entry.sent_at.isoformat() if entry.sent_at else None,
        "subject": entry.subject,
        "text": entry.text,
        "html": entry.html,
        "code": entry.code,
        "link": entry.link,
        "scrubbed": entry.scrubbed,
    }
