"""Seed 001 (``evalon``): organizations, teachers and students on the native flows.

Every endpoint of the seed's API tables, answering ``{"success": true,
"data": {...}}`` with ``registrationToken``, ``step``/``nextStep`` and
``requiresVerification``, and its error bodies (``success: false``,
``message``, ``errors: [{field, message}]``).

Assumed where the seed is silent:

- Request fields are camelCase: organization ``organisationName`` (or
  ``organizationName``), ``country`` (ISO alpha-2), ``state``, ``city``,
  ``pincode``, ``organisationType``, ``studentStrength``,
  ``governmentRecognition``; admin ``adminName``, ``adminEmail``,
  ``adminPhone``, ``password``, ``confirmPassword``; preferences
  ``institutionStructure``, ``departments``, ``addSubAdmins``, ``timeZone``,
  ``twoFactorAuth``, ``logoTempKey``, ``joinPolicy``; people ``fullName``,
  ``email``, ``phone``, ``country``, ``city``, ``pincode`` (students also
  ``dateOfBirth``, ``gender``), ``subjects``, ``role``, ``affiliationType``,
  ``experienceLevel``, ``currentInstitution``, ``yearsOfExperience``,
  ``orgCode``, ``registrationType``, ``academicLevel``, ``emailOtp``,
  ``phoneOtp``, ``department``, ``batch``, ``year``, ``autoMapping``. Fields the
  seed lists but regflow derives (organization name auto-filled, association
  or verification status) are ignored.
- ``registrationToken`` travels in the JSON body of every later call. The OTP
  endpoints take ``{registrationToken}`` (send) and ``{registrationToken, otp}``
  (verify), for organizations, teachers and students alike. Step 2 and the
  people's step 1 send both codes themselves; asking again within the resend
  cooldown keeps the code already sent instead of failing.
- A session that is unknown or expired: 400 ``Registration session not found
  or expired``. Validation: 400. Known email: 409 (as documented: this
  contract tells whether an email is registered). Wrong OTP: 400 ``Invalid
  OTP``. Too many requests: 429.
- The organization code is drawn at step 1 (``{COUNTRY}-{ABBREV}-{YEAR}-{RANDOM}``
  with a 6-character random part by default) and kept for the organization.
- ``GET /api/organizations/code/:orgCode`` answers ``{name, orgCode}`` only,
  throttled like the native lookup; 404 ``Organization not found``.
- Completion answers 201 with the seed's objects plus ``slug``/``logoUrl``.
"""

from __future__ import annotations

from fastapi import APIRouter

from regflow.api.contracts.evalon_common import evalon_router, otp_routes
from regflow.api.contracts.evalon_orgs import LOGO_PATH, organization_routes
from regflow.api.contracts.evalon_people import people_routes
from regflow.services.container import Services

__all__ = ["LOGO_PATH", "evalon_contract"]


def evalon_contract(
    services: Services,
    *,
    max_upload_bytes: int,
) -> APIRouter:
    router = evalon_router()
    lookup = services.organizations
    organization_routes(
        router,
        services,
        uploads=services.uploads,
        lookup=lookup,
        max_upload_bytes=max_upload_bytes,
    )
    otp_routes(router, services)
    people_routes(router, services, lookup)
    return router
