"""The real-browser harness: the app under real daphne, driven by headless Chromium.

``live_daphne`` serves the app in a subprocess on a free port, against the pytest-django
test database, with the file SMS backend. ``browser``, ``new_page`` and ``page`` drive
Chromium through Playwright's sync API in phone-sized contexts; ``browser_errors``
collects what the browser reported as wrong. A journey is marked
``@pytest.mark.django_db(transaction=True)``: its rows are committed, so the server
process sees them, and the database is flushed after the test.

Why the event-loop juggling below
---------------------------------
Playwright's sync API runs its event loop in a greenlet. Between two sync calls that loop
is suspended but still marked as running in this thread (``wait_for_future`` in
playwright/_impl/_greenlets.py). While it is marked, Django refuses ORM calls
(SynchronousOnlyOperation) and no other event loop may start (pytest-asyncio tests,
``async_to_sync``). So the loop is marked only while a browser test runs: the session
fixture clears the mark after starting Chromium, the function fixture ``browser`` sets
it for the test and clears it at teardown.

During a browser test, Django's own switch DJANGO_ALLOW_ASYNC_UNSAFE lets the test body
use the ORM. That is safe here: the loop is suspended whenever the test's own code runs,
so nothing runs concurrently with it. Two consequences: with a loop marked, Django gives
the test body database connections apart from the ones pytest-django set up (closed by
``browser`` at teardown), so a browser test must be transactional, and
``django_assert_num_queries`` and the like do not see its queries.

Opt-in: signed documents
------------------------
The server has no signing key by default, so no PDF is made behind its transitions
(documents/handlers.py). A journey that needs real documents (an agreement the parties
confirm, a notice they download) requests ``document_signing``: ``live_daphne`` then
starts the server with the DOCUMENTS_* settings of a development PKI (the one
``manage.py odr_dev_pki`` makes), generated once per session in a temporary folder. The
server's Celery is eager, so documents are rendered and signed in the request that calls
for them, after its transaction commits.
"""

import asyncio
import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from documents.services.pki import DevPki, dev_pki_create

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
# Playwright's own default is 30 s; a journey step that takes this long has failed.
ACTION_TIMEOUT_MS = 10_000
SERVER_START_TIMEOUT = 20.0
SERVER_STOP_TIMEOUT = 5.0
SMS_WAIT_TIMEOUT = 5.0

# Chromium logs a CSP violation to the console in its own words; this standard event also
# names the directive and the blocked address (reports only violations, which Chromium
# may not log). Init scripts come through DevTools: the page's CSP does not block them.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(
    "CSP violation: " + event.violatedDirective + " blocked " + (event.blockedURI || "inline")
  );
});
"""

OTP_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


# --- the server ----------------------------------------------------------------------


@dataclass
class LiveDaphne:
    """A daphne process serving the app; ``url`` has no trailing slash."""

    url: str
    sms_dir: Path
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def log(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def sms_messages(self, to: str | None = None) -> list[dict]:
        """Every SMS the server sent, oldest first, as ``{"to", "body"}``."""
        messages = []
        # The file backend names files so that they sort by time, and writes each one
        # under a .tmp name first, so a listed .json file is complete.
        for path in sorted(self.sms_dir.glob("*.json")):
            message = json.loads(path.read_text(encoding="utf-8"))
            if to is None or message["to"] == to:
                messages.append(message)
        return messages

    def latest_sms(self, to: str | None = None, *, timeout: float = SMS_WAIT_TIMEOUT) -> dict:
        """The newest SMS (to one number, if given), waiting a little for the first one.

        The app sends after its transaction commits but before it answers, so a message
        is normally there by the time the browser shows the page that announces it.
        """
        deadline = time.monotonic() + timeout
        while True:
            messages = self.sms_messages(to)
            if messages:
                return messages[-1]
            if time.monotonic() >= deadline:
                sent = [m["to"] for m in self.sms_messages()]
                raise AssertionError(f"no SMS to {to or 'anyone'} within {timeout} s; sent: {sent}")
            time.sleep(0.05)

    @staticmethod
    def code_in(body: str) -> str:
        """The 6-digit login code in an SMS text."""
        found = OTP_CODE.findall(body)
        assert len(found) == 1, f"expected one 6-digit code in the SMS, found {found}: {body!r}"
        return found[0]

    def latest_code(self, to: str | None = None, *, timeout: float = SMS_WAIT_TIMEOUT) -> str:
        return self.code_in(self.latest_sms(to, timeout=timeout)["body"])


def _database_url(settings_dict: dict) -> str:
    """The test database as a DATABASE_URL for the server process."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine == "django.db.backends.sqlite3":
        if name == ":memory:" or "mode=memory" in name:
            pytest.fail("live_daphne needs a file SQLite test database (see odr/settings/test.py)")
        return f"sqlite:///{Path(name).resolve()}"
    if engine == "django.db.backends.postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        host = settings_dict.get("HOST") or ""
        if host.startswith("/"):
            pytest.fail("live_daphne needs PostgreSQL over TCP; DATABASE_URL has a socket path")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}"
    pytest.fail(f"live_daphne cannot hand a {engine} database to the server")


def _server_env(*, database_url: str, sms_dir: Path, static_root: Path) -> dict[str, str]:
    """The server's whole environment: nothing leaks in from the test process but these."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "odr.settings.base",
        "ODR_SKIP_DOTENV": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "STATIC_MANIFEST": "false",
        "WHITENOISE_USE_FINDERS": "true",
        # An empty STATIC_ROOT: files come from the source folders, never a stale collect.
        "STATIC_ROOT": str(static_root),
        # Uploaded files land where the test process's storage looks for them.
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(sms_dir),
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
        # Parallel runs share the Redis: each server gets channel groups and cache keys
        # (rate-limit counts, keyed by user ids that every test database reuses) of its own.
        prefix = f"odr-test-{uuid.uuid4().hex[:8]}"
        env["CHANNEL_LAYER_PREFIX"] = prefix
        env["CACHE_KEY_PREFIX"] = prefix
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Straight to 127.0.0.1, whatever http_proxy says.
_no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _health(url: str) -> tuple[int | None, str]:
    """(HTTP status, detail) of /healthz; no status when nothing answers yet."""
    try:
        with _no_proxy.open(f"{url}/healthz", timeout=2) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read(2000).decode("utf-8", "replace")
    except OSError as exc:  # refused, reset, timed out: not up yet
        return None, repr(exc)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=SERVER_STOP_TIMEOUT)


def _wait_until_healthy(process: subprocess.Popen, url: str, log_path: Path) -> str | None:
    """None once /healthz answers 200; otherwise why not ("port in use" to retry)."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        status, detail = _health(url)
        if status == 200:
            return None
        if process.poll() is not None:
            output = log_path.read_text(encoding="utf-8", errors="replace")
            if "Address already in use" in output:
                return "port in use"
            return f"daphne exited with status {process.returncode}:\n{output}"
        if time.monotonic() >= deadline:
            output = log_path.read_text(encoding="utf-8", errors="replace")
            last = f"HTTP {status}: {detail}" if status else detail
            return (
                f"daphne did not answer /healthz with 200 within {SERVER_START_TIMEOUT} s "
                f"(last: {last}):\n{output}"
            )
        time.sleep(0.1)


@pytest.fixture(scope="session")
def _document_signing_pki(tmp_path_factory) -> DevPki:
    """A throwaway root CA and signing key, made once per session (2048-bit: quick)."""
    return dev_pki_create(
        directory=tmp_path_factory.mktemp("dev-pki"),
        organisation=settings.DOCUMENTS_ISSUER_NAME,
        key_size=2048,
    )


@pytest.fixture
def document_signing(_document_signing_pki) -> DevPki:
    """Opt-in: the live server signs documents with a development PKI.

    Request it in a journey's arguments next to ``live_daphne`` or ``new_page``; the
    server gets the PKI's DOCUMENTS_* settings (``DevPki.env()``, what ``odr_dev_pki``
    writes to dev.env). The test process's own settings are left as they are.
    """
    return _document_signing_pki


@pytest.fixture
def live_daphne(request, transactional_db, tmp_path_factory) -> Iterator[LiveDaphne]:
    """The app under real daphne on a free 127.0.0.1 port, against the test database.

    One server per test: the database is flushed between transactional tests, and a
    fresh process also starts with an empty cache, rate counters and channel layer.
    With ``document_signing`` among the test's fixtures, the server signs documents.
    """
    base = tmp_path_factory.mktemp("daphne")
    sms_dir = base / "sms"
    static_root = base / "static"
    sms_dir.mkdir()
    static_root.mkdir()
    env = _server_env(
        database_url=_database_url(connection.settings_dict),
        sms_dir=sms_dir,
        static_root=static_root,
    )
    if "document_signing" in request.fixturenames:
        env.update(request.getfixturevalue("document_signing").env())
    daphne = str(Path(sys.executable).parent / "daphne")
    for attempt in range(3):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log_path = base / f"server-{attempt}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [daphne, "-b", "127.0.0.1", "-p", str(port), "odr.asgi:application"],
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            problem = _wait_until_healthy(process, url, log_path)
            if problem == "port in use":  # another process took the port meanwhile
                continue
            if problem:
                pytest.fail(problem, pytrace=False)
            yield LiveDaphne(url=url, sms_dir=sms_dir, log_path=log_path, process=process)
            return
        finally:
            _stop(process)
            # pytest shows this under "Captured stdout teardown" when the test fails: the
            # server's tracebacks next to the browser's view of them.
            print(f"--- daphne output ({log_path}), last 8000 characters ---")
            print(log_path.read_text(encoding="utf-8", errors="replace")[-8000:])
    pytest.fail("daphne found no free port in 3 attempts", pytrace=False)


# --- the browser ---------------------------------------------------------------------


@dataclass
class _BrowserSession:
    playwright: Playwright
    browser: Browser
    # Playwright's event loop, marked as running in this thread only during a test.
    loop: asyncio.AbstractEventLoop | None


def _launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@contextlib.contextmanager
def _playwright_loop_marked(loop: asyncio.AbstractEventLoop | None) -> Iterator[None]:
    running = asyncio._get_running_loop()
    if running is not None and running is not loop:
        pytest.fail(
            "the browser fixtures need a sync test; Playwright's sync API runs its own loop"
        )
    if loop is not None:
        asyncio._set_running_loop(loop)
    try:
        yield
    finally:
        asyncio._set_running_loop(None)


@pytest.fixture(scope="session")
def _browser_session() -> Iterator[_BrowserSession]:
    """One headless Chromium for the session (a launch costs about half a second)."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        playwright = sync_playwright().start()
    finally:
        loop = asyncio._get_running_loop()
        asyncio._set_running_loop(None)
    try:
        with _playwright_loop_marked(loop):
            session = _BrowserSession(playwright=playwright, browser=_launch(playwright), loop=loop)
    except BaseException:
        with _playwright_loop_marked(loop):
            playwright.stop()
        raise
    try:
        yield session
    finally:
        with _playwright_loop_marked(loop):
            with contextlib.suppress(Exception):  # already gone if Chromium crashed
                session.browser.close()
            playwright.stop()


@pytest.fixture
def browser(_browser_session, monkeypatch) -> Iterator[Browser]:
    """The session's Chromium, usable (with the ORM) for the duration of one sync test."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with _playwright_loop_marked(_browser_session.loop):
        if not _browser_session.browser.is_connected():  # crashed in an earlier test
            _browser_session.browser = _launch(_browser_session.playwright)
        try:
            yield _browser_session.browser
        finally:
            # While a loop is marked running, Django keeps database connections apart
            # from the thread's usual ones, so ORM calls made during the test opened
            # connections of their own: close them while they can still be reached.
            connections.close_all()


@pytest.fixture
def browser_errors() -> list[str]:
    """What the pages of ``new_page`` reported as wrong: console errors (CSP violations
    included), uncaught exceptions and 5xx responses. A journey asserts it is empty."""
    return []


@pytest.fixture
def new_page(browser, live_daphne, browser_errors) -> Iterator[Callable[..., Page]]:
    """Opens a page in a fresh phone-sized context (its own cookies) on the live server.

    Keyword arguments override the context options, e.g. ``java_script_enabled=False``,
    or ``locale="en-US"``. Several pages make several parties (consumer and merchant).
    """
    contexts = []

    def open_page(**options) -> Page:
        context = browser.new_context(base_url=live_daphne.url, **{**PHONE, **options})
        contexts.append(context)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.add_init_script(CSP_REPORTER)
        page = context.new_page()

        def on_console(message) -> None:
            if message.type == "error":
                source = message.location.get("url") or page.url
                browser_errors.append(f"console error ({source}): {message.text}")

        def on_response(response) -> None:
            if response.status >= 500:
                browser_errors.append(f"HTTP {response.status} for {response.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: browser_errors.append(f"uncaught on {page.url}: {exc}"))
        page.on("response", on_response)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    """A phone-sized page (360x740, zh-CN) whose relative URLs go to ``live_daphne``."""
    return new_page()
