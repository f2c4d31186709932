"""The dev mailbox page speaks the hosted pages' languages (``?lang=``, ``Accept-Language``)."""

from __future__ import annotations

import pytest

from support.harness import Harness


@pytest.mark.parametrize(
    ("lang", "heading", "badge"),
    [
        ("en", "Dev mailbox", "email"),
        ("fr", "Boîte de développement", "e\u2011mail"),
        ("hi", "डेवलपमेंट मेलबॉक्स", "ईमेल"),
    ],
)
async def test_the_dev_mailbox_speaks_the_chosen_language(
    harness: Harness, lang: str, heading: str, badge: str
) -> None:
    rid, auth = await harness.start("member")
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/email", json={"email": "ada@example.com"}, headers=auth
    )
    assert r.status_code == 200, r.text
    page = await harness.client.get("/dev/mailbox", params={"lang": lang})
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text and f"<h1>{heading}</h1>" in page.text
    assert f'<span class="badge">{badge}</span>' in page.text
    assert await harness.last_code("ada@example.com") in page.text
    header = await harness.client.get("/dev/mailbox", headers={"Accept-Language": f"{lang};q=0.9"})
    assert f"<h1>{heading}</h1>" in header.text  # or the browser's language
    if lang != "en":
        assert "Development only" not in page.text
