"""The organization mails: invitation and approval decisions, in every shipped locale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from regflow.api.links import Links
from regflow.core.invitations import issue
from regflow.core.model import Organization
from regflow.delivery.templates import Renderer
from regflow.services.org_mail import decision_message, invitation_message

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
ORG = Organization("o1", "Smith & <Sons> School", "smith", "IN-SMI-2026-ABCDEF", NOW)


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_invitation_mail(locale: str) -> None:
    issued = issue(
        organization_id="o1",
        email="ina@example.com",
        role="sub_admin",
        invited_by="a1",
        now=NOW,
        ttl=timedelta(days=7),
    )
    message = invitation_message(
        issued.invitation, issued.token, ORG, links=Links("https://id.example.test/"), now=NOW
    )
    assert message.recipient == "ina@example.com" and message.template == "invitation"
    assert message.context["link"] == f"https://id.example.test/v1/invitations/{issued.token}"
    hosted = invitation_message(
        issued.invitation,
        issued.token,
        ORG,
        links=Links("https://id.example.test/", invitation_path="/invite/"),
        now=NOW,
    )
    assert hosted.context["link"] == f"https://id.example.test/invite/{issued.token}"
    mail = Renderer().render_email(message.template, message.context, locale)
    assert "\n" not in mail.subject and issued.token not in mail.subject
    assert message.context["link"] in mail.text and "7" in mail.text
    assert "Smith &amp; &lt;Sons&gt; School" in mail.html  # escaped in HTML
    assert "Smith & <Sons> School" in mail.text
    assert f'href="{message.context["link"]}"' in mail.html
    role = {"en": "as a sub-administrator", "fr": "(rôle : sous-administrateur)"}[locale]
    assert role in mail.text and role in mail.html


@pytest.mark.parametrize("locale", ["en", "fr"])
@pytest.mark.parametrize("approved", [True, False])
def test_decision_mails(locale: str, approved: bool) -> None:
    message = decision_message(
        "s@example.com",
        ORG,
        approved=approved,
        role="student",
        links=Links("https://id.example.test"),
        now=NOW,
        locale=locale,
    )
    expected = "membership_approved" if approved else "membership_rejected"
    assert message.template == expected and message.locale == locale
    mail = Renderer().render_email(message.template, message.context, message.locale)
    assert "Smith & <Sons> School" in mail.subject
    assert ("https://id.example.test/sign-in" in mail.text) is approved
    role = {"en": "as a student", "fr": "(rôle : étudiant)"}[locale]
    assert role in mail.text and role in mail.html
