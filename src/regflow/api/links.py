"""Where the links regflow hands out lead: decided at the edge, given to services as a port.

A verification mail links to the hosted UI's confirmation page when the UI is
on, else to the API's ``/v1/verify/``; a seed contract may serve its own link
path (seed 000: ``/auth/verify-email/``). Invitations lead to the UI's
``/invite/`` page or the API's ``/v1/invitations/``. Services only ask
:class:`regflow.core.ports.PublicLinks` for a URL, so no front-end path lives in
them or in their context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

API_VERIFY_PATH = "/v1/verify/"
API_INVITATION_PATH = "/v1/invitations/"
SIGN_IN_PATH = "/sign-in"
PASSWORD_RESET_PATH = "/forgot-password"  # noqa: S105 - a path, not a secret
LOGO_PATH = "/v1/uploads/logo/"
EMAIL_UNDO_PATH = "/account/email/undo/"  # the hosted page of an email change's notice


@dataclass(frozen=True)
class Links:
    """``PublicLinks`` over the public URL and the paths the enabled front ends serve."""

    public_url: str
    verify_path: str = API_VERIFY_PATH
    invitation_path: str = API_INVITATION_PATH
    sign_in_path: str = SIGN_IN_PATH
    password_reset_path: str = PASSWORD_RESET_PATH
    contract_verify_paths: Mapping[str, str] = field(default_factory=dict)
    reset_path: str | None = None  # the hosted UI's page for a reset mail's link, when on
    email_undo_path: str = EMAIL_UNDO_PATH

    @property
    def _base(self) -> str:
        return self.public_url.rstrip("/")

    def verification(self, contract: str, link_token: str) -> str:
        path = self.contract_verify_paths.get(contract, self.verify_path)
        return f"{self._base}{path}{link_token}"

    def invitation(self, link_token: str) -> str:
        return f"{self._base}{self.invitation_path}{link_token}"

    def sign_in(self) -> str:
        return f"{self._base}{self.sign_in_path}"

    def password_reset(self) -> str:
        return f"{self._base}{self.password_reset_path}"

    def email_undo(self, undo_token: str) -> str:
        return f"{self._base}{self.email_undo_path}{undo_token}"

    def reset(self, link_token: str) -> str | None:
        return None if self.reset_path is None else f"{self._base}{self.reset_path}{link_token}"

    def logo(self, key: str) -> str:
        return f"{self._base}{LOGO_PATH}{key}"
