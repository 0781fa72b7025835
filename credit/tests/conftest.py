"""Fixtures shared by credit's tests: a real HTTP server on 127.0.0.1 that the push posts to."""

import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records what it is sent."""

    url: str
    requests: list[dict] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give, in order; then 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            state.requests.append(
                {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            )
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/credit/records"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def push(settings, receiver) -> Receiver:
    settings.CREDIT_EXPORT_PUSH_URL = receiver.url
    settings.CREDIT_EXPORT_PUSH_SECRET = "test-secret"
    settings.CREDIT_EXPORT_PUSH_TIMEOUT = 5.0
    settings.CREDIT_EXPORT_PUSH_BACKOFF_SECONDS = 30.0
    settings.CREDIT_EXPORT_PUSH_MAX_ATTEMPTS = 3
    return receiver
