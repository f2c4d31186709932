"""Logo uploads over the API: streaming caps, content checks, re-encoding, claim and expiry."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import update

from regflow.persistence.tables import uploads
from support.harness import Harness
from support.images import HTML_PAYLOAD, SVG, png, png_header
from support.orgs import PREFERENCES, complete, organization_until_complete, unique_email

URL = "/v1/uploads/logo"
MB = 1024 * 1024


async def upload(h: Harness, data: bytes, name: str = "logo.png", field: str = "logo") -> Any:
    return await h.client.post(URL, files={field: (name, data, "image/png")})


def problem_code(r: httpx.Response) -> str:
    body = r.json()
    return str(body["errors"][0]["code"] if "errors" in body else body["code"])


async def test_upload_is_reencoded_and_served_with_nosniff(harness: Harness) -> None:
    r = await upload(harness, png(120, 60) + HTML_PAYLOAD)
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["key"]) == 32
    assert body["content_type"] == "image/png" and (body["width"], body["height"]) == (120, 60)
    served = await harness.client.get(f"{URL}/{body['key']}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["cache-control"] == "private, no-store"  # not claimed yet
    assert HTML_PAYLOAD not in served.content and b"<html" not in served.content
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.size == (120, 60)
    stored = list((harness.runtime.settings.uploads_path).iterdir())
    assert f"{body['key']}.png" in [p.name for p in stored]  # a server-chosen name
    assert not any("logo" in p.name for p in stored)


async def test_refused_files(harness: Harness) -> None:
    cases = [
        (SVG, "logo.svg", "IMAGE_TYPE_UNSUPPORTED"),
        (b"hello, I am text", "logo.png", "IMAGE_TYPE_UNSUPPORTED"),
        (png_header(50_000, 50_000), "bomb.png", "IMAGE_DIMENSIONS_TOO_LARGE"),
        (png(10, 10)[:40], "cut.png", "IMAGE_INVALID"),
    ]
    for data, name, expected in cases:
        r = await upload(harness, data, name)
        assert r.status_code == 422, (name, r.text)
        assert problem_code(r) == expected, (name, r.text)
        assert r.json()["errors"][0]["field"] == "logo"
    r = await upload(harness, png(), field="avatar")
    assert r.status_code == 422 and problem_code(r) == "REQUIRED"
    r = await harness.client.post(URL, content=png(), headers={"Content-Type": "image/png"})
    assert r.status_code == 422 and problem_code(r) == "MULTIPART_REQUIRED"
    folder = harness.runtime.settings.uploads_path
    assert not folder.exists() or not any(folder.iterdir())  # nothing refused was stored


async def test_six_megabytes_get_413_with_or_without_content_length(harness: Harness) -> None:
    big = png() + b"\x00" * (6 * MB)
    r = await upload(harness, big)  # Content-Length known: refused before reading
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"

    boundary = "regflowtestboundary"
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="logo"; '
            f'filename="big.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        for _ in range(6 * 16):  # 6 MiB in 64 KiB pieces, no Content-Length
            sent += 64 * 1024
            yield b"\x00" * (64 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    r = await harness.client.post(
        URL,
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert sent <= 5 * MB + 128 * 1024  # refused while streaming, not after the whole body
    assert (await upload(harness, png())).status_code == 201  # just under is fine


async def test_completion_claims_the_logo_once(harness: Harness) -> None:
    key = (await upload(harness, png(50, 50))).json()["key"]
    rid, auth = await organization_until_complete(
        harness, unique_email("logo"), preferences={**PREFERENCES, "logo": key}
    )
    out = await complete(harness, rid, auth)
    logo_url = out["organization"]["logo_url"]
    assert logo_url.endswith(f"/v1/uploads/logo/{key}")
    served = await harness.client.get(f"{URL}/{key}")
    assert served.status_code == 200 and served.headers["cache-control"].startswith("public")

    rid, auth = await organization_until_complete(harness, unique_email("again"))
    r = await harness.client.post(
        f"/v1/registrations/{rid}/steps/preferences",
        json={**PREFERENCES, "logo": key},
        headers=auth,
    )
    assert r.status_code == 422 and problem_code(r) == "LOGO_INVALID"


async def test_unclaimed_uploads_expire_and_are_swept(harness: Harness) -> None:
    key = (await upload(harness, png())).json()["key"]
    folder: Path = harness.runtime.settings.uploads_path
    async with harness.runtime.engine.begin() as conn:
        await conn.execute(
            update(uploads)
            .where(uploads.c.key == key)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    r = await harness.client.get(f"{URL}/{key}")
    assert r.status_code == 404 and r.json()["code"] == "UPLOAD_NOT_FOUND"
    assert (folder / f"{key}.png").exists()
    await upload(harness, png())  # each upload sweeps a few expired ones
    assert not (folder / f"{key}.png").exists()
    for bad in ("../../etc/passwd", "x" * 32, "%2e%2e"):
        assert (await harness.client.get(f"{URL}/{bad}")).status_code == 404
