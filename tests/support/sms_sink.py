"""A real HTTP server on 127.0.0.1 standing in for an SMS gateway: it keeps every webhook POST.

``with SmsSink() as sink: ... sink.url ... sink.wait_for("+919876543210", 10)``
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.server import free_port


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            payload = json.loads(self.rfile.read(length))
        except ValueError:
            self.send_response(400)
            self.end_headers()
            return
        with self.server.arrived:
            self.server.received.append((dict(self.headers.items()), payload))
            self.server.arrived.notify_all()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.arrived = threading.Condition()


class SmsSink:
    """Receives ``POST {"to", "body"}`` like an SMS gateway's webhook would."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server = _Server(self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    def __enter__(self) -> SmsSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait_for(self, number: str, timeout: float = 10.0, *, nth: int = 1) -> str:
        """The body of the ``nth`` SMS to ``number``; TimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._server.arrived:
            while True:
                bodies = [p["body"] for _, p in self._server.received if p.get("to") == number]
                if len(bodies) >= nth:
                    return str(bodies[nth - 1])
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no SMS for {number} within {timeout}s")
                self._server.arrived.wait(left)

    @property
    def requests(self) -> list[tuple[dict[str, str], dict[str, Any]]]:
        with self._server.arrived:
            return list(self._server.received)
