"""Request bodies of the native API (responses are the documented dict shapes)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1024)


class StartRequest(Strict):
    flow: str = Field(max_length=32)
    variant: str | None = Field(default=None, max_length=64)
    locale: str = Field(default="en", max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class ConfirmRequest(Strict):
    code: str = Field(max_length=32)


class LoginRequest(Strict):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    # which organization the token speaks for, for a person in several (default: the oldest)
    organization_id: str | None = Field(default=None, min_length=1, max_length=64)
