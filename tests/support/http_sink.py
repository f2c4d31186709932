"""A real HTTP server on 127.0.0.1 that keeps every POST (headers and raw body).

It stands in for a Twilio-compatible SMS API or a webhook receiver:
``with HttpSink() as sink: ... sink.url("/path") ... sink.wait(1, 10)``.
``sink.replies`` is a list of statuses to answer, in order (then 201 forever).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.server import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the sink answered


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with self.server.arrived:
            status = self.server.replies.pop(0) if self.server.replies else 201
            headers = {k.lower(): v for k, v in self.headers.items()}
            self.server.received.append(Received(self.path, headers, body, status))
            self.server.arrived.notify_all()
        payload = b'{"sid": "SM0123", "code": 21211}' if status == 400 else b'{"sid": "SM0123"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.received: list[Received] = []
        self.replies: list[int] = []
        self.arrived = threading.Condition()


class HttpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self._server = _Server(self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def replies(self) -> list[int]:
        return self._server.replies

    def __enter__(self) -> HttpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def received(self) -> list[Received]:
        with self._server.arrived:
            return list(self._server.received)

    def wait(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests; TimeoutError when fewer came within ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._server.arrived:
            while len(self._server.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._server.received)} of {count} requests came")
                self._server.arrived.wait(left)
            return list(self._server.received[:count])
