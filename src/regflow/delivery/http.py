"""One HTTP POST for the HTTP transports (Twilio-compatible SMS, webhooks), outcomes mapped.

``post`` raises ``DeliveryError`` for a timeout or a connection error
(temporary) and returns the response otherwise; ``classify`` turns a status
into delivered (None) or a ``DeliveryError`` whose permanence the transport
decides. Redirects are never followed: a delivery goes where it was configured
to go. Neither the request body nor the full recipient ever reaches an error
text.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import httpx

from regflow.delivery.base import DeliveryError

USER_AGENT = "regflow"
RETRYABLE_4XX = frozenset({408, 425, 429})


async def post(
    url: str,
    *,
    label: str,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
    **request: Any,
) -> httpx.Response:
    """POST ``request`` to ``url``; transport failures become temporary ``DeliveryError``."""
    headers = {"User-Agent": USER_AGENT, **request.pop("headers", {})}
    # one client per message: volume is low and there is no lifecycle to manage
    async with httpx.AsyncClient(
        timeout=timeout, transport=transport, follow_redirects=False
    ) as client:
        try:
            return await client.post(url, headers=headers, **request)
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"{label} timed out", permanent=False) from exc
        except httpx.HTTPError as exc:
            error = f"{label} unavailable: {type(exc).__name__}"
            raise DeliveryError(error, permanent=False) from exc


def check(
    response: httpx.Response, label: str, *, permanent: Collection[int] | None = None
) -> None:
    """Return on 2xx; otherwise raise ``DeliveryError``.

    By default 5xx, 408, 425 and 429 are temporary and any other answer is
    permanent; ``permanent`` names the only statuses that are permanent instead
    (everything else not 2xx is then retried).
    """
    status = response.status_code
    if 200 <= status < 300:
        return
    if permanent is not None:
        is_permanent = status in permanent
    else:
        is_permanent = status < 500 and status not in RETRYABLE_4XX
    raise DeliveryError(f"{label} answered {status}", permanent=is_permanent)
