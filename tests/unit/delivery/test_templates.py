"""The shipped mail and SMS templates: content, escaping and locale fallback."""

from __future__ import annotations

from typing import Any

import pytest

from regflow.delivery.templates import RenderedEmail, Renderer, RenderError

CODE_CONTEXT: dict[str, Any] = {
    "code": "482915",
    "expires_minutes": 10,
    "flow": "member",
    "link": "https://id.example.test/v1/verify/tok?x=1&y=2",
}
ALREADY_CONTEXT = {
    "sign_in_url": "https://id.example.test/sign-in",
}


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_code_mail_shows_code_expiry_and_link(renderer: Renderer, locale: str) -> None:
    mail = renderer.render_email("verification_code", CODE_CONTEXT, locale)
    assert isinstance(mail, RenderedEmail)
    for body in (mail.text, mail.html):
        assert "482915" in body
        assert "10 minutes" in body
    assert CODE_CONTEXT["link"] in mail.text
    assert 'href="https://id.example.test/v1/verify/tok?x=1&amp;y=2"' in mail.html
    assert "\n" not in mail.subject
    assert "482915" not in mail.subject  # the code stays out of notification previews


def test_code_mail_english_wording(renderer: Renderer) -> None:
    mail = renderer.render_email("verification_code", CODE_CONTEXT, "en")
    assert mail.subject == "Your verification code"
    assert "Or confirm with this link" in mail.text
    assert "If this wasn't you, ignore this mail" in mail.text
    assert "If this wasn't you, ignore this mail" in mail.html
    assert mail.html.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in mail.html


def test_code_mail_without_link_has_no_button(renderer: Renderer) -> None:
    context = {k: v for k, v in CODE_CONTEXT.items() if k != "link"}
    mail = renderer.render_email("verification_code", context, "en")
    assert "confirm with this link" not in mail.text.lower()
    assert "<a " not in mail.html


def test_singular_minute(renderer: Renderer) -> None:
    mail = renderer.render_email("verification_code", {**CODE_CONTEXT, "expires_minutes": 1}, "en")
    assert "1 minute." in mail.text


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_already_registered_mail(renderer: Renderer, locale: str) -> None:
    mail = renderer.render_email("already_registered", ALREADY_CONTEXT, locale)
    for body in (mail.text, mail.html):
        assert ALREADY_CONTEXT["sign_in_url"] in body
        assert "reset" not in body.lower()  # regflow has no password reset
    if locale == "en":
        assert "Someone tried to register with this address" in mail.text
        assert "account already exists" in mail.text
        assert "If this wasn't you, ignore this mail" in mail.text
    else:
        assert "un compte existe déjà" in mail.text


def test_french_is_french(renderer: Renderer) -> None:
    mail = renderer.render_email("verification_code", CODE_CONTEXT, "fr")
    assert mail.subject == "Votre code de vérification"
    assert "Ou confirmez avec ce lien" in mail.text
    assert '<html lang="fr">' in mail.html


@pytest.mark.parametrize(
    ("locale", "subject"),
    [
        ("fr-CA", "Votre code de vérification"),
        ("fr_FR", "Votre code de vérification"),
        ("de", "Your verification code"),
        ("", "Your verification code"),
        ("../../etc", "Your verification code"),
    ],
)
def test_locale_fallback(renderer: Renderer, locale: str, subject: str) -> None:
    assert renderer.render_email("verification_code", CODE_CONTEXT, locale).subject == subject


def test_html_escapes_context(renderer: Renderer) -> None:
    mail = renderer.render_email("verification_code", {**CODE_CONTEXT, "code": "<b>1</b>"}, "en")
    assert "<b>1</b>" not in mail.html
    assert "&lt;b&gt;1&lt;/b&gt;" in mail.html
    assert "<b>1</b>" in mail.text  # plain text is not HTML


@pytest.mark.parametrize("locale", ["en", "fr", "pt"])
def test_sms_is_one_short_line(renderer: Renderer, locale: str) -> None:
    body = renderer.render_sms(
        "verification_code", {"code": "482915", "expires_minutes": 10}, locale
    )
    assert body.startswith("482915 ")
    assert "\n" not in body
    assert len(body) <= 160


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_already_registered_sms(renderer: Renderer, locale: str) -> None:
    body = renderer.render_sms("already_registered", ALREADY_CONTEXT, locale)
    assert ALREADY_CONTEXT["sign_in_url"] in body
    assert "\n" not in body


def test_unknown_template_is_a_render_error(renderer: Renderer) -> None:
    with pytest.raises(RenderError):
        renderer.render_email("no_such_template", {}, "en")
    with pytest.raises(RenderError):
        renderer.render_sms("../email/en/verification_code", CODE_CONTEXT, "en")


def test_missing_variable_is_a_render_error(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match="code"):
        renderer.render_email("verification_code", {"expires_minutes": 5}, "en")
