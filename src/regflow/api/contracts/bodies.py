"""The request bodies of the seed contract routes, for ``/openapi.json``: schema and example.

The adapters read their bodies themselves (names, shapes and refusals are each
seed's own), so FastAPI sees no body model; :func:`request_body` gives each
route's ``openapi_extra`` the body a frontend written from the seed sends, with
the seed's own example where the seed has one. The schemas describe and never
validate: the adapters and the engine keep refusing in the contract's words.
Every body also takes the snake_case (or camelCase) names and the other names
of :mod:`regflow.api.contracts.names`; the schema lists the documented ones.
"""

from __future__ import annotations

from typing import Any

_STRING: dict[str, Any] = {"type": "string", "maxLength": 320}
_TYPES: dict[str, dict[str, Any]] = {  # by field name; the rest are strings
    "studentStrength": {"type": "integer", "minimum": 0},
    "yearsOfExperience": {"type": "integer", "minimum": 0},
    "year": {"type": "integer"},
    "governmentRecognition": {"type": "boolean"},
    "addSubAdmins": {"type": "boolean"},
    "twoFactorAuth": {"type": "boolean"},
    "autoMapping": {"type": "boolean"},
    "isVerified": {"type": "boolean"},
    "departments": {"type": "array", "items": _STRING, "maxItems": 50},
    "subjects": {"type": "array", "items": _STRING, "maxItems": 50},
    "email": {"type": "string", "format": "email", "maxLength": 320},
    "password": {"type": "string", "format": "password", "maxLength": 256},
}
HANDLE = "hOeZWcJZw8KqzozMlmzO.0b7d4c5e-2f3a-4a71-9d8e-5c1f0e6a9b21"
EXAMPLE_PASSWORD = "SecureP@ss123"  # noqa: S105 (an OpenAPI example, seed 003's own)


def _schema(example: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    properties = {name: _TYPES.get(name, _STRING) for name in example}
    return {"type": "object", "required": list(required), "properties": properties}


def _body(
    example: dict[str, Any], *required: str, optional: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``openapi_extra`` for a JSON body: ``example`` (all of it documented), ``required``."""
    schema = _schema({**example, **(optional or {})}, required)
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema, "example": example}},
        }
    }


def _handle(**fields: Any) -> dict[str, Any]:
    return {"registrationToken": HANDLE, **fields}


_STEP1 = {  # seed 001's organization step 1, its example organization
    "organisationName": "Test University",
    "country": "IN",
    "state": "Maharashtra",
    "city": "Pune",
    "pincode": "411001",
    "organisationType": "university",
    "studentStrength": 1200,
    "governmentRecognition": True,
}
_PERSON = {
    "fullName": "John Doe",
    "email": "teacher@example.com",
    "phone": "+919876543210",
    "country": "IN",
    "city": "Pune",
    "pincode": "411001",
}
_PROFESSIONAL = {
    "subjects": ["Physics"],
    "role": "teacher",
    "affiliationType": "organization",
    "experienceLevel": "experienced",
    "currentInstitution": "Test University",
    "yearsOfExperience": 7,
}
_SECURITY = _handle(
    emailOtp="123456",
    phoneOtp="654321",
    password=EXAMPLE_PASSWORD,
    confirmPassword=EXAMPLE_PASSWORD,
)
_SEED_001 = ("registrationToken",)

BODIES: dict[str, dict[str, Any]] = {
    # 000 phased (docs/contracts/phased.md)
    "/auth/initiate-registration": _body({"email": "user@example.com"}, "email"),
    "/auth/verify-email-code": _body(_handle(code="123456"), "registrationToken", "code"),
    "/auth/resend-verification": _body(_handle(), "registrationToken"),
    "/auth/registration/identity": _body(
        _handle(firstName="Ada", lastName="Lovelace", username="ada"),
        "registrationToken",
        "firstName",
        "lastName",
        "username",
    ),
    "/auth/registration/security": _body(
        _handle(password=EXAMPLE_PASSWORD, passwordConfirmation=EXAMPLE_PASSWORD),
        "registrationToken",
        "password",
        "passwordConfirmation",
        optional={"orgCode": "IN-TES-2025-JDQ"},
    ),
    # 001 evalon
    "/api/organizations/register/step1": _body(
        _STEP1, "organisationName", "country", optional={"registrationToken": HANDLE}
    ),
    "/api/organizations/register/step2": _body(
        _handle(
            adminName="John Doe",
            adminEmail="admin@example.com",
            adminPhone="+919876543210",
            password=EXAMPLE_PASSWORD,
            confirmPassword=EXAMPLE_PASSWORD,
        ),
        *_SEED_001,
        "adminEmail",
        "password",
    ),
    "/api/organizations/auth/send-email-otp": _body(_handle(), *_SEED_001),
    "/api/organizations/auth/send-phone-otp": _body(_handle(), *_SEED_001),
    "/api/organizations/register/verify-email-otp": _body(_handle(otp="123456"), *_SEED_001),
    "/api/organizations/register/verify-phone-otp": _body(_handle(otp="123456"), *_SEED_001),
    "/api/organizations/register/step3": _body(
        _handle(
            institutionStructure="single",
            departments=["Physics", "Chemistry"],
            addSubAdmins=False,
            timeZone="Asia/Kolkata",
            twoFactorAuth=False,
        ),
        *_SEED_001,
        optional={"logoTempKey": "tmp_0123456789abcdef", "joinPolicy": "approval"},
    ),
    "/api/teachers/register/step1": _body(_PERSON, "fullName", "email", "phone"),
    "/api/teachers/register/step2": _body(_handle(**_PROFESSIONAL), *_SEED_001),
    "/api/teachers/register/step3": _body(_handle(orgCode="IN-TES-2025-JDQ"), *_SEED_001),
    "/api/teachers/register/step4": _body(_SECURITY, *_SEED_001, "password"),
    "/api/teachers/register": _body(
        {**_PERSON, **_PROFESSIONAL, "orgCode": "IN-TES-2025-JDQ"}, "fullName", "email"
    ),
    "/api/students/register/step1": _body(
        {**_PERSON, "email": "student@example.com", "dateOfBirth": "2008-04-01", "gender": "f"},
        "fullName",
        "email",
        "phone",
    ),
    "/api/students/register/step2": _body(
        _handle(registrationType="organization", orgCode="IN-TES-2025-JDQ", academicLevel="ug"),
        *_SEED_001,
        optional={"currentInstitution": "Test University"},
    ),
    "/api/students/register/step3": _body(_SECURITY, *_SEED_001, "password"),
    "/api/students/register/step4": _body(
        _handle(department="Physics", batch="2025", year=1, autoMapping=True), *_SEED_001
    ),
    # 002 pending: the seed's request bodies
    "/api/auth/register-pending": _body(
        {"email": "user@example.com", "password": "SecurePass123!"}, "email", "password"
    ),
    "/api/auth/verify-and-create": _body(
        {"email": "user@example.com", "verificationCode": "000000"}, "email", "verificationCode"
    ),
    "/api/users": _body(
        {"email": "user@example.com", "password": "SecurePass123!", "isVerified": True},
        "email",
        optional={"passwordHash": "$2b$12$...", "firstName": "Ada", "lastName": "Lovelace"},
    ),
    # 003 oneshot: the seed's "Example Request"
    "/api/v1/auth/register": _body(
        {
            "email": "user@example.com",
            "password": EXAMPLE_PASSWORD,
            "firstName": "John",
            "lastName": "Doe",
            "organizationName": "Acme Insurance Co",
        },
        "email",
        "password",
        "firstName",
        "lastName",
        "organizationName",
    ),
    "/api/v1/auth/verify-email": _body(
        {"email": "user@example.com", "code": "123456"}, "email", "code"
    ),
    "/api/v1/auth/resend-verification": _body({"email": "user@example.com"}, "email"),
    "/api/v1/auth/login": _body(
        {"email": "user@example.com", "password": EXAMPLE_PASSWORD}, "email", "password"
    ),
    "/api/v1/auth/login/mfa": _body(
        {"mfaToken": "the login answer's mfaToken", "code": "123456"},
        "mfaToken",
        optional={"recoveryCode": "abcde-12345"},
    ),
    "/api/v1/auth/forgot-password": _body({"email": "user@example.com"}, "email"),
    "/api/v1/auth/reset-password": _body(
        {"email": "user@example.com", "code": "123456", "password": "N3w-SecureP@ss"},
        "password",
        optional={"token": "the mail's link token"},
    ),
    # 004 verify_first: the seed's request bodies
    "/auth/send-verification-code": _body({"email": "user@example.com"}, "email"),
    "/auth/verify-email": _body({"email": "user@example.com", "code": "123456"}, "email", "code"),
    "/auth/register": _body(
        {
            "email": "user@example.com",
            "password": "SecurePass123!",
            "name": "John Doe",
            "first_name": "John",
            "last_name": "Doe",
            "company_name": "Acme Corporation",
        },
        "email",
        "password",
        "name",
        "company_name",
        optional={"verification_token": "the verify-email answer's verification_token"},
    ),
}


def request_body(path: str) -> dict[str, Any] | None:
    """The ``openapi_extra`` declaring ``path``'s JSON body (None: the route reads none)."""
    return BODIES.get(path)
