"""Authlib's request objects over what a Starlette request carried (query or form, headers)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request

MAX_PARAMETER = 4096


class Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class Request(OAuth2Request):  # type: ignore[misc]
    """One OAuth 2.0 request; ``context`` carries what regflow loaded for it and what the
    grant decided to write (``regflow.services.oidc.Exchange`` or an authorization)."""

    def __init__(
        self,
        method: str,
        uri: str,
        items: Iterable[tuple[str, str]],
        headers: Mapping[str, str],
        context: Any = None,
    ) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self.payload = Payload(items)
        self.context = context

    @property
    def args(self) -> dict[str, str]:
        data: dict[str, str] = self.payload.data
        return data

    @property
    def form(self) -> dict[str, str]:
        data: dict[str, str] = self.payload.data
        return data


def clean_items(items: Iterable[tuple[str, Any]]) -> list[tuple[str, str]] | None:
    """String parameters only, each of a sane length; None when any is not (a 400)."""
    found = []
    for key, value in items:
        if not isinstance(value, str) or len(value) > MAX_PARAMETER or len(key) > 64:
            return None
        if "\x00" in value:
            return None
        found.append((key, value))
    return found
