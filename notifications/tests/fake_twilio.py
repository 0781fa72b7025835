"""A fake Twilio REST API on 127.0.0.1, for the real twilio client in tests and benchmarks.

It speaks the part of Twilio's API that the backend uses: create a message
(``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded, HTTP Basic auth
with the account SID and auth token or an API key), list a number's messages and fetch
one. It records every create request as it arrived (form fields, auth, headers) and every
message it created, and can be told how to answer the next creates (``plan``: a status
code, or "drop" to close the connection without answering) and to hold the first create
after recording it (``hold_first``), so that a test can kill the sender while it waits.

A held or dropped request still created its message when the plan says 201: like Twilio,
the fake has accepted the message once it has the request, whatever becomes of the answer.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from twilio.request_validator import RequestValidator

API = "/2010-04-01/Accounts/"
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Messages\.json$")
_MESSAGE = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Messages/(?P<sid>SM\w+)\.json$")
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"


@dataclass
class CreateRequest:
    """One POST to the create endpoint, as received."""

    form: dict[str, list[str]]
    auth: tuple[str, str] | None
    headers: dict[str, str]
    at: float

    def field(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class FakeMessage:
    sid: str
    account_sid: str
    to: str
    body: str
    from_: str | None
    messaging_service_sid: str | None
    status_callback: str | None
    token: str | None
    date_created: float = field(default_factory=time.time)
    status: str = "queued"

    def resource(self) -> dict:
        created = format_datetime(dt.datetime.fromtimestamp(self.date_created, dt.UTC))
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": self.body,
            "date_created": created,
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {},
            "to": self.to,
            "uri": f"{API}{self.account_sid}/Messages/{self.sid}.json",
        }


class FakeTwilio:
    """The server; a context manager. ``url`` is its base (``http://127.0.0.1:PORT``)."""

    def __init__(
        self,
        *,
        account_sid: str,
        credentials: dict[str, str],
        honour_idempotency: bool = False,
        hold_timeout: float = 30.0,
    ) -> None:
        self.account_sid = account_sid
        self.credentials = dict(credentials)  # username -> password (auth token or key secret)
        self.honour_idempotency = honour_idempotency
        self.lock = threading.Lock()
        self.creates: list[CreateRequest] = []
        self.messages: list[FakeMessage] = []
        self.lookups = 0
        self.unauthorised = 0
        self.plan: deque[int | str] = deque()
        self.hold_first = False
        self.hold_timeout = hold_timeout
        self.first_create_received = threading.Event()
        self.release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-twilio",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def messages_to(self, to: str) -> list[FakeMessage]:
        with self.lock:
            return [m for m in self.messages if m.to == to]

    @staticmethod
    def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
        """The X-Twilio-Signature Twilio would send for a callback to ``url``."""
        return RequestValidator(auth_token).compute_signature(url, params)

    # --- request handling (called from the handler threads) ----------------------------

    def _authorised(self, header: str | None) -> tuple[str, str] | None:
        if not header or not header.startswith("Basic "):
            return None
        try:
            username, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except ValueError:
            return None
        if self.credentials.get(username) != password:
            return None
        return username, password

    def _create(self, handler: _Handler, form: dict[str, list[str]], auth) -> None:
        request = CreateRequest(
            form=form, auth=auth, headers=dict(handler.headers.items()), at=time.time()
        )
        token = handler.headers.get(IDEMPOTENCY_HEADER)
        with self.lock:
            self.creates.append(request)
            first = len(self.creates) == 1
            planned = self.plan.popleft() if self.plan else 201
            message = None
            if planned == 201:
                problem = _invalid(request)
                if problem:
                    planned = problem
                else:
                    existing = None
                    if self.honour_idempotency and token:
                        existing = next((m for m in self.messages if m.token == token), None)
                    message = existing or self._new_message(request, token)
        if first and self.hold_first:
            self.first_create_received.set()
            self.release.wait(self.hold_timeout)
        if planned == "drop":
            handler.close_connection = True
            return
        if message is not None:
            handler.reply(201, message.resource())
        elif isinstance(planned, tuple):
            handler.reply(planned[0], _error(planned[0], planned[1], planned[2]))
        else:
            handler.reply(int(planned), _error(int(planned), 20500, "Internal server error"))

    def _new_message(self, request: CreateRequest, token: str | None) -> FakeMessage:
        service = request.field("MessagingServiceSid")
        message = FakeMessage(
            sid="SM" + uuid.uuid4().hex,
            account_sid=self.account_sid,
            to=request.field("To") or "",
            body=request.field("Body") or "",
            from_=request.field("From"),
            messaging_service_sid=service,
            status_callback=request.field("StatusCallback"),
            token=token,
            status="accepted" if service else "queued",
        )
        self.messages.append(message)
        return message

    def _list(self, handler: _Handler, query: dict[str, list[str]]) -> None:
        to = (query.get("To") or [None])[0]
        size = int((query.get("PageSize") or ["50"])[0])
        with self.lock:
            self.lookups += 1
            found = [m for m in reversed(self.messages) if to is None or m.to == to][:size]
            page = [m.resource() for m in found]
        uri = f"{API}{self.account_sid}/Messages.json"
        handler.reply(
            200,
            {
                "messages": page,
                "end": max(len(page) - 1, 0),
                "first_page_uri": uri,
                "next_page_uri": None,
                "page": 0,
                "page_size": size,
                "previous_page_uri": None,
                "start": 0,
                "uri": uri,
            },
        )


def _invalid(request: CreateRequest):
    if not request.field("To"):
        return (400, 21604, "A 'To' phone number is required.")
    if not request.field("Body"):
        return (400, 21602, "Message body is required.")
    if not (request.field("MessagingServiceSid") or request.field("From")):
        return (400, 21603, "A 'From' phone number or a Messaging Service is required.")
    if not re.fullmatch(r"\+[1-9]\d{6,14}", request.field("To") or ""):
        return (400, 21211, "The 'To' number is not a valid phone number.")
    return None


def _error(status: int, code: int, message: str) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go in two writes: without this, Nagle's algorithm and the client's
    # delayed ACK add 40 ms to every answer.
    disable_nagle_algorithm = True
    server_fake: FakeTwilio

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client is gone (killed while we held its request)
            self.close_connection = True

    def _read_form(self) -> dict[str, list[str]]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return parse_qs(raw.decode("utf-8"), keep_blank_values=True)

    def _route(self, method: str) -> None:
        fake = self.server_fake
        parts = urlsplit(self.path)
        form = self._read_form() if method == "POST" else {}
        auth = fake._authorised(self.headers.get("Authorization"))
        if auth is None:
            with fake.lock:
                fake.unauthorised += 1
            self.reply(401, _error(401, 20003, "Authenticate"))
            return
        listing = _MESSAGES.match(parts.path)
        single = _MESSAGE.match(parts.path)
        account = (listing or single).group("account") if (listing or single) else None
        if account != fake.account_sid:
            self.reply(404, _error(404, 20404, "The requested resource was not found"))
            return
        if listing and method == "POST":
            fake._create(self, form, auth)
        elif listing and method == "GET":
            fake._list(self, parse_qs(parts.query))
        elif single and method == "GET":
            with fake.lock:
                found = next((m for m in fake.messages if m.sid == single.group("sid")), None)
            if found is None:
                self.reply(404, _error(404, 20404, "The requested resource was not found"))
            else:
                self.reply(200, found.resource())
        else:
            self.reply(405, _error(405, 20004, "Method not allowed"))

    def do_POST(self) -> None:
        self._route("POST")

    def do_GET(self) -> None:
        self._route("GET")
