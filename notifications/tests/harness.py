"""Real processes for the delivery tests and the benchmark: a private Redis and Celery
workers, each started on 127.0.0.1, waited for with a bound, and stopped by its own id.

Nothing here touches a shared service: the Redis is a fresh ``redis-server`` on a free
port with no persistence, and each worker runs in its own process group so that it (and
its pool processes) can be killed at once, as a machine losing a worker would.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).parent / "celery")
WORKER_SETTINGS = "notifications.tests.worker_settings"


class HarnessError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for another process, from a Django connection's settings."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine == "django.db.backends.sqlite3":
        if name == ":memory:" or "mode=memory" in name:
            raise HarnessError("a worker needs a file SQLite database, not one in memory")
        return f"sqlite:///{Path(name).resolve()}"
    if engine == "django.db.backends.postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        host = settings_dict.get("HOST") or "127.0.0.1"
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(name, safe='')}"
    raise HarnessError(f"cannot hand a {engine} database to another process")


def wait_for(condition, *, timeout: float, interval: float = 0.05, what: str):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise HarnessError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def _stop_group(process: subprocess.Popen, *, grace: float) -> None:
    """TERM the process group, then KILL it if it has not gone within ``grace``."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # stragglers of the group, if any
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


class RedisServer:
    """``redis-server`` on a free 127.0.0.1 port, no persistence; a context manager."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or shutil.which("redis-server") or ""
        if not self.binary:
            raise HarnessError("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.mkdtemp(prefix="odr-redis-")
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> RedisServer:
        log = open(Path(self._dir) / "redis.log", "wb")
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir,
                "--protected-mode",
                "yes",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        try:
            wait_for(self._ping, timeout=10, what=f"redis-server on port {self.port}")
        except BaseException:
            self.__exit__()
            raise
        return self

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=2)

    def _ping(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise HarnessError(f"redis-server exited: {self.log()}")
        try:
            with self.client() as client:
                return bool(client.ping())
        except Exception:
            return False

    def log(self) -> str:
        return (Path(self._dir) / "redis.log").read_text(errors="replace")[-3000:]

    def __exit__(self, *exc_info) -> None:
        if self.process is not None:
            _stop_group(self.process, grace=5)
        shutil.rmtree(self._dir, ignore_errors=True)


def worker_env(
    *,
    database_url: str,
    broker_url: str,
    twilio_base_url: str,
    account_sid: str,
    auth_token: str,
    messaging_service_sid: str,
    **extra: str,
) -> dict[str, str]:
    """The whole environment of a worker: nothing leaks in from the caller but PATH/HOME."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": WORKER_SETTINGS,
        "ODR_SKIP_DOTENV": "1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": account_sid,
        "TWILIO_AUTH_TOKEN": auth_token,
        "TWILIO_MESSAGING_SERVICE_SID": messaging_service_sid,
        "TWILIO_API_BASE_URL": twilio_base_url,
        "NOTIFY_PUBLIC_BASE_URL": "https://odr.example.cn",
        "NOTIFY_QUIET_HOURS_START": "00:00",
        "NOTIFY_QUIET_HOURS_END": "00:00",
        "EMAIL_URL": "consolemail://",
        "LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


class CeleryWorker:
    """One ``celery worker`` (prefork pool) in its own process group; a context manager."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        name: str,
        concurrency: int = 1,
        app: str = "odr",
        queues: str = "celery",
        log_dir: str | None = None,
    ) -> None:
        self.env = env
        self.name = name
        self.concurrency = concurrency
        self.app = app
        self.queues = queues
        self._own_dir = log_dir is None
        self._dir = log_dir or tempfile.mkdtemp(prefix="odr-worker-")
        self.log_path = Path(self._dir) / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> CeleryWorker:
        return self.start()

    def start(self) -> CeleryWorker:
        log = open(self.log_path, "wb")  # noqa: SIM115 - handed to the process
        self.process = subprocess.Popen(
            [
                CELERY,
                "-A",
                self.app,
                "worker",
                "--loglevel=INFO",
                "--pool=prefork",
                f"--concurrency={self.concurrency}",
                f"--hostname={self.name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                self.queues,
            ],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise HarnessError(f"worker {self.name} exited:\n{self.log()[-4000:]}")
            return " ready." in self.log()

        try:
            wait_for(ready, timeout=timeout, interval=0.1, what=f"worker {self.name}")
        except HarnessError as exc:
            raise HarnessError(f"{exc}\n{self.log()[-4000:]}") from None

    def pool_pids(self) -> list[int]:
        """The pool processes (children of the worker's main process)."""
        assert self.process is not None
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool) at once, and reap it."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def remove_log(self) -> None:
        """Delete the log (and its folder, if this worker made it)."""
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)
        else:
            self.log_path.unlink(missing_ok=True)

    def stop(self, grace: float = 15) -> None:
        if self.process is not None:
            _stop_group(self.process, grace=grace)

    def __exit__(self, *exc_info) -> None:
        self.stop()
