"""Mounting the hosted UI: its pages and its static files (CSS and small scripts)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from regflow.oidc.provider import Provider
from regflow.services.container import Services
from regflow.services.invitations import Invitations
from regflow.services.uploads import Uploads
from regflow.ui.account_changes import account_changes_router
from regflow.ui.authorize import authorize_router
from regflow.ui.brand import Brand, brand_router
from regflow.ui.console import console_router
from regflow.ui.csrf import CsrfRefused
from regflow.ui.email_undo import email_undo_router
from regflow.ui.i18n import LocaleMiddleware
from regflow.ui.invitations import invitation_router
from regflow.ui.pages import STATIC, Pages
from regflow.ui.recovery import recovery_router
from regflow.ui.second_factor import second_factor_router
from regflow.ui.session import Cookies
from regflow.ui.signin import signin_router
from regflow.ui.steps import steps_router
from regflow.ui.verification import verification_router
from regflow.ui.wizard import Wizard

CONFIRM_PATH = "/register/confirm/"  # where the verification mail's link points
INVITE_PATH = "/invite/"  # where the invitation mail's link points
RESET_PATH = "/reset/"  # where the password reset mail's link points
LOGO_FORM_PATH = "/register/organization/step/preferences"  # a form that carries a file
CONSOLE_LOGO_PATH = "/console/settings"  # the console's settings form carries a logo


def mount_static(app: FastAPI) -> None:
    """The stylesheet and scripts, also used by the dev mailbox page."""
    app.mount(STATIC, StaticFiles(directory=Path(__file__).parent / "static"), name="ui-static")


def mount_ui(
    app: FastAPI,
    services: Services,
    invitations: Invitations,
    *,
    uploads: Uploads | None,
    flows: Sequence[str],
    brand: Brand | None = None,
    provider: Provider | None = None,
) -> None:
    """``/``, ``/register/...``, ``/sign-in``, ``/sign-out``, ``/invite/...``,
    ``/forgot-password`` and ``/reset/...`` over ``services``; cookies keyed to the public
    URL."""
    ctx = services.ctx
    cookies = Cookies.for_public_url(
        ctx.public_url,
        ctx.secret,
        int(ctx.engine.ttl.total_seconds()),
        int(ctx.login_sessions.absolute.total_seconds()),
    )
    brand = brand or Brand()
    origins = provider.redirect_origins() if provider is not None else ()
    wizard = Wizard(services, cookies, Pages(cookies, origins, brand), uploads, flows)
    if provider is not None:
        wizard.client_organizations = {
            c.client_id: c.organization for c in provider.clients.values() if c.organization
        }
    app.add_middleware(LocaleMiddleware, secure=cookies.secure)  # ?lang=, cookie, header
    app.include_router(brand_router(brand))

    async def on_csrf_refused(request: Request, exc: Exception) -> Response:
        return wizard.csrf_failed(request)

    app.add_exception_handler(CsrfRefused, on_csrf_refused)
    app.include_router(verification_router(wizard))
    app.include_router(steps_router(wizard))
    app.include_router(signin_router(wizard))
    app.include_router(invitation_router(wizard, invitations))
    app.include_router(console_router(wizard, invitations))
    app.include_router(recovery_router(wizard))
    app.include_router(second_factor_router(wizard))
    app.include_router(email_undo_router(wizard))
    app.include_router(account_changes_router(wizard))  # the account page's email and leaving
    if provider is not None:  # the OpenID Provider's authorize and logout pages
        app.include_router(authorize_router(wizard, provider))
