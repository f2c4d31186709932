"""The account an access token speaks for: its view, address and password changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from regflow.api.v1.serialize._time import timestamp
from regflow.core.email_change import EmailChanged
from regflow.core.recovery import PasswordChanged
from regflow.services.account import AccountView as OwnAccount
from regflow.services.email_change import ChangeCodeSent


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
