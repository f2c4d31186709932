"""The seed contracts: each seed's documented HTTP API as a thin adapter over the services.

One module per seed (``phased`` 000, ``evalon`` 001, ``pending`` 002,
``oneshot`` 003, ``verify_first`` 004), each with its own error mapper to its
documented shape. ``REGFLOW_CONTRACTS`` names the ones to serve (all by
default); :func:`include_contracts` mounts them, and the composition root asks
:func:`flows_for`, :func:`code_ttls` and :func:`link_paths` what the enabled ones
need from the engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from fastapi import FastAPI

from regflow.api.contracts import evalon, oneshot, pending, phased, verify_first
from regflow.services.container import Services
from regflow.settings import Settings

ALL = ("phased", "evalon", "pending", "oneshot", "verify_first")
FLOWS = {
    "phased": ("member",),
    "evalon": ("organization", "teacher", "student"),
    "pending": ("quick",),
    "oneshot": ("owner",),
    "verify_first": ("tenant",),
}
UPLOAD_PATHS = (evalon.LOGO_PATH,)  # routes that take files: their own body cap


def enabled(names: Iterable[str]) -> list[str]:
    wanted = set(names)
    return [name for name in ALL if name in wanted]


def flows_for(names: Iterable[str]) -> list[str]:
    """The flows the enabled contracts run on (served whatever ``REGFLOW_FLOWS`` says)."""
    return [flow for name in enabled(names) for flow in FLOWS[name]]


def code_ttls(names: Iterable[str]) -> dict[str, timedelta]:
    return {"verify_first": verify_first.CODE_TTL} if "verify_first" in enabled(names) else {}


def link_paths(names: Iterable[str]) -> dict[str, str]:
    return {"phased": phased.LINK_PATH} if "phased" in enabled(names) else {}


def include_contracts(app: FastAPI, services: Services, settings: Settings) -> None:
    names = enabled(settings.contracts)
    if "phased" in names:
        app.include_router(phased.phased_router(services))
    if "evalon" in names:
        app.include_router(
            evalon.evalon_contract(
                services,
                max_upload_bytes=settings.upload_max_bytes,
            )
        )
    if "pending" in names:
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        app.include_router(pending.pending_router(services, admin_token=token))
    if "oneshot" in names:
        app.include_router(oneshot.oneshot_router(services))
    if "verify_first" in names:
        app.include_router(verify_first.verify_first_router(services))
