"""Seed 001 (``evalon``): teacher and student registration, four steps each.

The basic step (``step1``) sends the email and phone codes; they are
confirmed with ``emailOtp`` and ``phoneOtp`` in the security step (teacher
``step4``, student ``step3``) or beforehand with the OTP endpoints. The
teacher's last step completes; the student's security step completes a
standalone student (no mapping), ``step4`` the others. The legacy
``POST /api/teachers/register`` takes the fields of steps 1 to 3 in one body:
since no account exists before its email and phone are proven, it answers
like step 3, and the client finishes with ``step4``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from regflow.api.contracts.base import json_object, pack
from regflow.api.contracts.evalon_common import (
    begin,
    confirm_otps,
    created,
    handle,
    refuse_known_email,
    submit,
    submit_all,
    verification_view,
)
from regflow.services.completed import Completed
from regflow.services.container import Services
from regflow.services.organizations import Organizations
from regflow.services.views import RegistrationView

BASIC = {
    "fullName": "full_name",
    "email": "email",
    "phone": "phone",
    "country": "country",
    "city": "city",
    "pincode": "postal_code",
}
STUDENT_BASIC = {**BASIC, "dateOfBirth": "date_of_birth", "gender": "gender"}
PROFESSIONAL = {
    "subjects": "subjects",
    "role": "role",
    "affiliationType": "affiliation",
    "experienceLevel": "experience_level",
    "currentInstitution": "current_institution",
    "yearsOfExperience": "years_of_experience",
}
TEACHER_ORG = {"orgCode": "org_code"}
STUDENT_ORG = {
    "registrationType": "registration_type",
    "orgCode": "org_code",
    "currentInstitution": "current_institution",
    "academicLevel": "academic_level",
}
SECURITY = {"password": "password", "confirmPassword": "password_confirmation"}
MAPPING = {
    "department": "department",
    "batch": "batch",
    "year": "year",
    "autoMapping": "auto_mapping",
}
NEXT = {  # native step -> evalon nextStep
    "professional": "professional_details",
    "organization": "organization_link",
    "security": "security_verification",
    "mapping": "auto_mapping",
    "complete": "complete",
}
STUDENT_NEXT = {**NEXT, "organization": "organization_verification"}
EXISTS = "User with this email already exists"


def _progress(
    state: RegistrationView, step: int, token: str, names: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "success": True,
        "data": {
            "step": step,
            "nextStep": names.get(state.step, state.step),
            "requiresVerification": verification_view(state),
            "registrationToken": token,
        },
    }


def _finished(kind: str, done: Completed) -> JSONResponse:
    account, org, membership = done.account, done.organization, done.membership
    return created(
        {
            kind: {
                "id": account.id,
                "name": account.full_name,
                "email": account.email,
                "phone": account.phone,
                "organization": {"id": org.id, "name": org.name} if org else None,
                "membershipStatus": membership.status.value if membership else None,
            },
            "user": {
                "id": account.id,
                "email": account.email,
                "role": kind,
                "emailVerified": account.email_verified,
                "phoneVerified": account.phone_verified,
            },
            "token": done.token.access_token,
        }
    )


def people_routes(router: APIRouter, services: Services, lookup: Organizations) -> None:

    async def basic(
        body: Mapping[str, Any], flow: str, names: Mapping[str, str]
    ) -> tuple[str, str, RegistrationView]:
        """Step 1: on the registration the handle names, or a new one in one unit of work."""
        if body.get("registrationToken"):
            rid, token = handle(body)
            return rid, token, await submit(services, rid, token, "basic", body, names)
        await refuse_known_email(services, body.get("email"), EXISTS)
        return await begin(services, flow, "basic", body, names)

    async def secure(body: Mapping[str, Any]) -> tuple[str, str, RegistrationView]:
        rid, token = handle(body)
        await confirm_otps(services, rid, token, body)
        state = await submit(services, rid, token, "security", body, SECURITY)
        return rid, token, state

    # -- teachers --------------------------------------------------------------------------

    @router.post("/api/teachers/register/step1")
    async def teacher_step1(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        rid, token, state = await basic(body, "teacher", BASIC)
        return _progress(state, 1, pack(rid, token), NEXT)

    @router.post("/api/teachers/register/step2")
    async def teacher_step2(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        rid, token = handle(body)
        state = await submit(services, rid, token, "professional", body, PROFESSIONAL)
        return _progress(state, 2, pack(rid, token), NEXT)

    @router.post("/api/teachers/register/step3")
    async def teacher_step3(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        rid, token = handle(body)
        state = await submit(services, rid, token, "organization", body, TEACHER_ORG)
        answer = _progress(state, 3, pack(rid, token), NEXT)
        if state.step != "organization":  # joined: the name the code stands for
            code = str(body.get("orgCode", ""))
            found = await lookup.by_code(code)
            answer["data"]["organization"] = {"name": found, "orgCode": code.upper()}
        return answer

    @router.post("/api/teachers/register/step4", status_code=201)
    async def teacher_step4(request: Request) -> JSONResponse:
        body = await json_object(request)
        rid, token, _ = await secure(body)
        done = await services.completion.complete(rid, token)
        return _finished("teacher", done)

    @router.post("/api/teachers/register")
    async def teacher_legacy(request: Request) -> dict[str, Any]:
        """Steps 1 to 3 in one body; finish with step4 (codes are sent now)."""
        body = await json_object(request)
        then = [("professional", PROFESSIONAL), ("organization", TEACHER_ORG)]
        if body.get("registrationToken"):  # on a registration started before, as one unit
            rid, token = handle(body)  # of work too: a refused step writes nothing
            steps = [("basic", BASIC), *then]
            state = await submit_all(
                services, rid, token, body, steps, when_reached={"organization"}
            )
        else:  # one unit of work: a refused step writes nothing
            await refuse_known_email(services, body.get("email"), EXISTS)
            rid, token, state = await begin(services, "teacher", "basic", body, BASIC, then)
        answer = _progress(state, 3, pack(rid, token), NEXT)
        answer["message"] = "Verification codes sent; finish with /api/teachers/register/step4"
        return answer

    # -- students --------------------------------------------------------------------------

    @router.post("/api/students/register/step1")
    async def student_step1(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        rid, token, state = await basic(body, "student", STUDENT_BASIC)
        return _progress(state, 1, pack(rid, token), STUDENT_NEXT)

    @router.post("/api/students/register/step2")
    async def student_step2(request: Request) -> dict[str, Any]:
        body = await json_object(request)
        rid, token = handle(body)
        state = await submit(services, rid, token, "organization", body, STUDENT_ORG)
        return _progress(state, 2, pack(rid, token), STUDENT_NEXT)

    @router.post("/api/students/register/step3")
    async def student_step3(request: Request) -> JSONResponse:
        body = await json_object(request)
        rid, token, state = await secure(body)
        if state.complete:  # standalone: no mapping step
            done = await services.completion.complete(rid, token)
            return _finished("student", done)
        return JSONResponse(_progress(state, 3, pack(rid, token), STUDENT_NEXT))

    @router.post("/api/students/register/step4", status_code=201)
    async def student_step4(request: Request) -> JSONResponse:
        body = await json_object(request)
        rid, token = handle(body)
        await submit(services, rid, token, "mapping", body, MAPPING)
        done = await services.completion.complete(rid, token)
        return _finished("student", done)
