"""Every string of the hosted pages and mails has its French and Hindi translation.

Fails on an untranslated string: one marked in a template or module (``_()``,
``N_()``) with no translation in a catalogue, a catalogue whose compiled ``.mo``
is stale, a translation that drops a placeholder, a core title the pages show,
or a mail template without its French or Hindi counterpart.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, meta
from starlette.datastructures import Headers, QueryParams

from regflow.core.flows import member, organization, student, teacher
from regflow.core.passwords import NistPolicy, SeedPolicy
from regflow.ui import i18n

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
TRANSLATED = ("fr", "hi")
PLACEHOLDER = re.compile(r"%\(\w+\)s")
MAILS = SRC / "regflow" / "delivery" / "templates"


def extracted() -> set[str]:
    method_map = [
        ("regflow/ui/**.py", "python"),
        ("regflow/ui/templates/**.html", "jinja2"),
        ("regflow/api/templates/**.html", "jinja2"),  # the operator's pages
    ]
    jinja = {"extensions": "jinja2.ext.i18n"}
    options = {"regflow/ui/templates/**.html": jinja, "regflow/api/templates/**.html": jinja}
    found = extract_from_dir(
        str(SRC), method_map, options_map=options, keywords={"_": None, "N_": None}
    )
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


@pytest.fixture(scope="module")
def marked() -> set[str]:
    ids = extracted()
    assert len(ids) > 300  # the extraction itself works
    return ids


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_marked_string_is_translated(locale: str, marked: set[str]) -> None:
    po = i18n.LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(marked - set(translated))
    assert not missing, f"untranslated in {locale}: {missing[:10]} (see CONTRIBUTING)"
    for msgid in marked:
        wanted = sorted(PLACEHOLDER.findall(msgid))
        assert sorted(PLACEHOLDER.findall(str(translated[msgid]))) == wanted, msgid
    with (po.with_suffix(".mo")).open("rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    stale = [k for k, v in translated.items() if compiled.get(k) != v]
    assert not stale, f"{locale}: messages.mo is older than messages.po: run pybabel compile"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_core_words_the_pages_show_are_translated(locale: str) -> None:
    shown = [
        text
        for flow in (member.FLOW, organization.FLOW, teacher.FLOW, student.FLOW)
        for text in (flow.title, flow.intro, flow.finish_label, *(s.title for s in flow.steps))
        if text
    ]
    shown += [r["text"] for policy in (NistPolicy(), SeedPolicy()) for r in policy.rules()]
    catalog = i18n.translations(locale)
    untranslated = [t for t in shown if catalog.gettext(t) == t]
    assert not untranslated, untranslated


def test_every_mail_has_its_french_and_hindi_version() -> None:
    for kind in ("email", "sms"):
        english = {p.name for p in (MAILS / kind / "en").iterdir()}
        for locale in TRANSLATED:
            there = {p.name for p in (MAILS / kind / locale).iterdir()}
            assert english <= there, f"{kind}/{locale} lacks {sorted(english - there)}"
            for name in english:
                text = (MAILS / kind / locale / name).read_text()
                assert text != (MAILS / kind / "en" / name).read_text(), f"{kind}/{locale}/{name}"


def test_every_mail_uses_only_the_variables_of_its_english_version() -> None:
    """A translated mail that names a variable the sender never gives fails to render
    (a Hindi ``{{ expires_मिनटs }}`` kept a code from ever being sent)."""
    env = Environment(autoescape=True)  # parsed only, never rendered
    for kind in ("email", "sms"):
        for english in (MAILS / kind / "en").iterdir():
            known = meta.find_undeclared_variables(env.parse(english.read_text()))
            for locale in TRANSLATED:
                text = (MAILS / kind / locale / english.name).read_text()
                used = meta.find_undeclared_variables(env.parse(text))
                assert used <= known, f"{kind}/{locale}/{english.name}: {sorted(used - known)}"


def choose(query: str = "", cookie: str = "", accept: str = "") -> tuple[str, bool]:
    headers = Headers({"accept-language": accept} if accept else {})
    cookies = {i18n.COOKIE: cookie} if cookie else {}
    return i18n.choose(QueryParams(query), headers, cookies)


def test_the_language_comes_from_the_query_then_the_cookie_then_the_header() -> None:
    assert choose("lang=hi", "fr", "fr-FR") == ("hi", True)
    assert choose("", "fr", "hi") == ("fr", False)
    assert choose("", "", "de-DE,fr-CA;q=0.8,en;q=0.5") == ("fr", False)
    assert choose("", "", "hi-IN") == ("hi", False)
    assert choose("lang=xx", "zz", "de") == ("en", False)  # nothing supported: English
