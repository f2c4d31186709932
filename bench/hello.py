"""The ceiling: a raw ASGI hello-world, served by uvicorn as ``regflow serve`` is.

``python -m uvicorn bench.hello:app`` (``bench.run`` starts it with the flags it gives
regflow: no access log, no server header, httptools; uvloop for the ceiling, asyncio's
loop for the reference line, as ``regflow serve`` runs one process). It
answers every request with a small JSON body and reads no request body, so what it
measures is the server, the loop and the HTTP parser: no framework, no database.
"""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

BODY = b'{"hello":"world"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
