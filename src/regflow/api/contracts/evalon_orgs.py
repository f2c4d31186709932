"""Seed 001 (``evalon``): organization registration in three steps, logo, lookup by code.

``step1`` starts an ``organization`` registration (or, with its
``registrationToken``, resubmits it) and answers the join code drawn for the
organization (``orgCode``); ``step2`` takes the administrator and sends the
email and phone codes; ``step3`` takes the preferences and completes:
organization, owner account and membership, token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from regflow.api.contracts.base import iso, json_object, pack
from regflow.api.contracts.evalon_common import (
    begin,
    created,
    handle,
    refuse_known_email,
    submit,
    verification_view,
)
from regflow.api.multipart import read_file_field
from regflow.api.v1.uploads import MULTIPART_OVERHEAD
from regflow.core.model import Channel
from regflow.errors import Conflict, ErrorCode, NotFound
from regflow.services.container import Services
from regflow.services.organizations import Organizations
from regflow.services.uploads import Uploads

LOGO_PATH = "/api/organizations/upload/logo"
ORGANIZATION = {  # evalon -> native
    "organisationName": "name",
    "organizationName": "name",
    "country": "country",
    "state": "state",
    "city": "city",
    "pincode": "postal_code",
    "organisationType": "type",
    "organizationType": "type",
    "studentStrength": "student_strength",
    "governmentRecognition": "government_recognized",
    "governmentRecognized": "government_recognized",
}
ADMIN = {
    "adminName": "name",
    "adminEmail": "email",
    "adminPhone": "phone",
    "password": "password",
    "confirmPassword": "password_confirmation",
}
PREFERENCES = {
    "institutionStructure": "structure",
    "departments": "departments",
    "addSubAdmins": "sub_admins",
    "timeZone": "timezone",
    "twoFactorAuth": "two_factor",
    "joinPolicy": "join_policy",
    "logoTempKey": "logo",
}
NOT_FOUND = "Organization not found"
LOGO_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["logo"],
                    "properties": {"logo": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


def organization_routes(
    router: APIRouter,
    services: Services,
    *,
    uploads: Uploads,
    lookup: Organizations,
    max_upload_bytes: int,
) -> None:
    @router.post("/api/organizations/register/step1")
    async def step1(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        if body.get("registrationToken"):
            rid, token = handle(body)
            state = await submit(services, rid, token, "organization", body, ORGANIZATION)
        else:  # started with its step in one unit of work: a refused step writes nothing
            flow = step = "organization"
            rid, token, state = await begin(services, flow, step, body, ORGANIZATION)
        return {
            "success": True,
            "data": {
                "orgCode": state.reserved["join_code"],
                "step": 1,
                "nextStep": "admin_details",
                "registrationToken": pack(rid, token),
            },
        }

    @router.post("/api/organizations/register/step2")
    async def step2(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        rid, token = handle(body)
        await refuse_known_email(
            services, body.get("adminEmail"), "Admin user with this email already exists"
        )
        await submit(services, rid, token, "admin", body, ADMIN)
        email = await services.codes.request(rid, token, Channel.EMAIL)
        phone = await services.codes.request(rid, token, Channel.PHONE)
        return {
            "success": True,
            "data": {
                "step": 2,
                "nextStep": "otp_verification",
                "email": email.target,
                "phone": phone.target,
                "requiresVerification": {
                    "email": not email.verified,
                    "phone": not phone.verified,
                },
                "registrationToken": body["registrationToken"],
            },
        }

    @router.post("/api/organizations/register/step3", status_code=201)
    async def step3(request: Request) -> JSONResponse:
        body = await json_object(request)
        rid, token = handle(body)
        state = await submit(services, rid, token, "preferences", body, PREFERENCES)
        if not state.complete:  # the codes are not confirmed yet
            return JSONResponse(
                {
                    "success": False,
                    "message": "Please verify your email and phone first",
                    "data": {"requiresVerification": verification_view(state)},
                },
                status_code=400,
            )
        done = await services.completion.complete(rid, token)
        account, org = done.account, done.founded
        if org is None:  # the organization flow founds one; a flow that does not is a bug
            raise Conflict("This registration founds no organization.", code=ErrorCode.CONFLICT)
        return created(
            {
                "organization": {
                    "id": org.id,
                    "name": org.name,
                    "orgCode": org.join_code,
                    "email": account.email,
                    "status": "active",
                    "slug": org.slug,
                    "logoUrl": org.logo_url,
                },
                "admin": {
                    "id": account.id,
                    "name": account.full_name,
                    "email": account.email,
                    "role": "organization_admin",
                    "emailVerified": account.email_verified,
                    "phoneVerified": account.phone_verified,
                },
                "token": done.token.access_token,
                "nextSteps": [step.text for step in done.made.next_steps],
            }
        )

    @router.post(LOGO_PATH, status_code=201, openapi_extra=LOGO_BODY)
    async def upload_logo(request: Request) -> JSONResponse:
        """Multipart with the image in ``logo`` (or ``file``): JPEG, PNG or GIF, <= 5 MB."""
        data = await read_file_field(
            request,
            names=("logo", "file"),
            max_file_bytes=max_upload_bytes,
            max_body_bytes=max_upload_bytes + MULTIPART_OVERHEAD,
        )
        stored = await uploads.logo(data)
        return created(
            {
                "logoTempKey": stored.key,
                "url": stored.url,
                "contentType": stored.content_type,
                "size": stored.size,
                "expiresAt": iso(stored.expires_at),
            }
        )

    @router.get("/api/organizations/code/{org_code}")
    async def by_code(request: Request, org_code: str = Path(max_length=64)) -> dict[str, Any]:
        try:
            found = await lookup.by_code(org_code)
        except NotFound:
            raise NotFound(NOT_FOUND, code=ErrorCode.ORG_NOT_FOUND) from None
        return {
            "success": True,
            "data": {"name": found, "orgCode": org_code.strip().upper()},
        }
