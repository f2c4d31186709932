"""Every seed contract route that reads a body declares it in ``/openapi.json``, with an
example that fits its own schema; the seeds' own examples are the ones shown."""

from __future__ import annotations

from typing import Any

from support.harness import Harness

TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}


def contract_posts(openapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        path: operations["post"]
        for path, operations in openapi["paths"].items()
        if "post" in operations
        and any(tag.startswith("contract:") for tag in operations["post"].get("tags", []))
    }


async def test_every_contract_body_is_declared_with_a_fitting_example(
    sqlite_harness: Harness,
) -> None:
    openapi = (await sqlite_harness.client.get("/openapi.json")).json()
    posts = contract_posts(openapi)
    assert len(posts) >= 30
    for path, operation in posts.items():
        if path == "/auth/verify-email/{link_token}":  # the mail's link: no body
            assert "requestBody" not in operation
            continue
        content = operation["requestBody"]["content"]
        if path.endswith("/upload/logo"):
            assert "multipart/form-data" in content
            continue
        declared = content["application/json"]
        schema, example = declared["schema"], declared["example"]
        assert set(schema["required"]) <= set(example), path
        for name, value in example.items():
            expected = TYPES[schema["properties"][name]["type"]]
            assert isinstance(value, expected), f"{path} {name}"


async def test_the_seeds_own_examples_are_shown(sqlite_harness: Harness) -> None:
    openapi = (await sqlite_harness.client.get("/openapi.json")).json()
    posts = contract_posts(openapi)

    def example(path: str) -> dict[str, Any]:
        found: dict[str, Any] = posts[path]["requestBody"]["content"]["application/json"]
        return dict(found["example"])

    assert example("/api/v1/auth/register") == {  # seed 003's "Example Request"
        "email": "user@example.com",
        "password": "SecureP@ss123",
        "firstName": "John",
        "lastName": "Doe",
        "organizationName": "Acme Insurance Co",
    }
    assert example("/api/auth/register-pending") == {  # seed 002's request body
        "email": "user@example.com",
        "password": "SecurePass123!",
    }
    assert example("/auth/register")["company_name"] == "Acme Corporation"  # seed 004
