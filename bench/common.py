"""Plumbing the benchmarks share: a throwaway PostgreSQL database, a daphne server, and a
load generator that runs in its own process.

Everything binds to or talks to 127.0.0.1 only. Each piece is a context manager that
cleans up after itself on success, failure and Ctrl-C alike, so a benchmark script is a
``with`` block per resource. Run as a module, this file is the fallback load generator
(``python -m bench.common httpx-load CONFIG``) used when wrk is not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The environment running the benchmark (``.venv/bin/python bench/…``) serves it too.
VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable
DAPHNE = str(VENV_BIN / "daphne")

HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"

# Environment variables the app reads that must not leak from the caller's shell into the
# benchmark's server (a developer's .env or exported REDIS_URL would change what is measured).
_APP_ENV = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "DB_CONN_MAX_AGE",
    "DEBUG",
    "SECRET_KEY",
    "STATIC_MANIFEST",
    "WHITENOISE_USE_FINDERS",
    "ODR_BENCH_ENDPOINTS",
    "ODR_SKIP_DOTENV",
    "DJANGO_SETTINGS_MODULE",
    "LOG_LEVEL",
)


class BenchError(RuntimeError):
    """Something the benchmark needs did not start or answer; the message says what."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def stop_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so ``finally`` blocks clean up as on Ctrl-C."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


@contextlib.contextmanager
def uninterrupted():
    """Hold off Ctrl-C and SIGTERM while cleaning up, so a second one cannot leave a
    server running or a database behind; cleanup is bounded (at most ~15 s)."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- PostgreSQL ------------------------------------------------------------------------


class BenchDatabase:
    """A fresh database on 127.0.0.1:5432 (trust auth), dropped on exit whatever happened."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"odr_bench_{os.getpid()}"
        self.url = f"postgres://{PG_USER}@{HOST}:{PG_PORT}/{self.name}"

    def _admin(self, sql: str) -> None:
        import psycopg
        from psycopg import sql as pgsql

        with psycopg.connect(
            host=HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(pgsql.SQL(sql).format(pgsql.Identifier(self.name)))

    def __enter__(self) -> BenchDatabase:
        try:
            self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            self._admin("CREATE DATABASE {}")
        except Exception as exc:
            raise BenchError(
                f"cannot create database {self.name} on {HOST}:{PG_PORT} as {PG_USER}: {exc}"
            ) from exc
        log(f"created database {self.name}")
        return self

    def __exit__(self, *exc_info) -> None:
        with uninterrupted():
            try:
                self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                log(f"dropped database {self.name}")
            except Exception as exc:  # cleanup must not hide the original error
                log(f"could not drop database {self.name}: {exc}")


class ReusedDatabase(BenchDatabase):
    """--reuse: an already loaded database, neither created nor dropped."""

    def __enter__(self) -> BenchDatabase:
        return self

    def __exit__(self, *exc_info) -> None:
        return None


class KeptDatabase(BenchDatabase):
    """--keep: created as usual, left in place at the end."""

    def __exit__(self, *exc_info) -> None:
        log(f"kept database {self.name}: dropdb -h {HOST} -U {PG_USER} --force {self.name}")


def bench_database(prefix: str, *, reuse: str = "", keep: bool = False) -> BenchDatabase:
    """The database of a run over generated data: fresh and dropped, fresh and kept
    (--keep), or one loaded before (--reuse NAME)."""
    if reuse:
        return ReusedDatabase(reuse)
    name = f"{prefix}_{os.getpid()}"
    return KeptDatabase(name) if keep else BenchDatabase(name)


def migrate_and_generate(
    env: dict[str, str], *, merchants: int, cases: int, timeout: float, migrate_timeout: float
) -> float:
    """Migrate a fresh database and fill it with ``manage.py generate_load`` (the index is
    recomputed by the caller, timed on its own); the seconds the load took."""
    log("migrating")
    run_python(
        ["manage.py", "migrate", "--noinput"], env=env, timeout=migrate_timeout, what="migrate"
    )
    log(f"generate_load --merchants {merchants} --cases {cases}")
    started = time.perf_counter()
    run_python(
        [
            "manage.py",
            "generate_load",
            "--merchants",
            str(merchants),
            "--cases",
            str(cases),
            "--no-recompute",
        ],
        env=env,
        timeout=timeout,
        what="generate_load",
    )
    return round(time.perf_counter() - started, 1)


class HttpClient:
    """One keep-alive HTTP connection to 127.0.0.1, a request at a time; reconnects once
    if the server closed it. Asks for Chinese, with the session cookie when given."""

    def __init__(self, port: int, *, session: str = "", timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.headers = {"Accept-Language": "zh-hans"}
        if session:
            self.headers["Cookie"] = f"sessionid={session}"
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def get(self, path: str) -> tuple[int, float, bytes]:
        """Status, milliseconds and body of GET path."""
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                body = response.read()
                return response.status, (time.perf_counter() - started) * 1000, body
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        raise BenchError("unreachable")

    def close(self) -> None:
        self.conn.close()


# --- Django processes ------------------------------------------------------------------


def server_env(
    *, database_url: str, redis_url: str = "", conn_max_age: int = 60, **extra: str
) -> dict[str, str]:
    """The environment of every Django process of a run: the same for server and setup."""
    env = {k: v for k, v in os.environ.items() if k not in _APP_ENV}
    env.update(
        DJANGO_SETTINGS_MODULE="odr.settings.base",
        DATABASE_URL=database_url,
        ODR_BENCH_ENDPOINTS="true",
        ODR_SKIP_DOTENV="1",
        SECRET_KEY=secrets.token_urlsafe(50),
        CELERY_TASK_ALWAYS_EAGER="true",
        STATIC_MANIFEST="false",
        DEBUG="false",
        DB_CONN_MAX_AGE=str(conn_max_age),
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def run_python(
    args: list[str], *, env: dict[str, str], timeout: float, what: str
) -> subprocess.CompletedProcess:
    """Run the project's Python in ROOT; raise with the output's tail if it fails."""
    try:
        done = subprocess.run(
            [PYTHON, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what} took longer than {timeout:.0f} s") from exc
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-3000:]
        raise BenchError(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done


def marked_json(output: str, marker: str) -> dict:
    """The JSON that follows ``marker`` on a line of a child's output."""
    for line in output.splitlines():
        if line.startswith(marker + " "):
            return json.loads(line[len(marker) + 1 :])
    raise BenchError(f"no {marker} line in the output:\n{output[-2000:]}")


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """A GET to 127.0.0.1 with no proxy, whatever the environment says."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGKILL it if the benchmark itself is killed."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class DaphneServer:
    """daphne on 127.0.0.1:<free port>, in its own process group; stopped on exit."""

    name = "daphne"

    def __init__(self, *, env: dict[str, str], app: str = "odr.asgi:application") -> None:
        self.env = env
        self.app = app
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._dir = tempfile.mkdtemp(prefix="odr-bench-")
        self.log_path = Path(self._dir) / "daphne.log"

    def __enter__(self) -> DaphneServer:
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [DAPHNE, "-b", HOST, "-p", str(self.port), self.app],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C reaches us, and we stop it in order.
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        log(f"daphne pid {self.proc.pid} on http://{HOST}:{self.port}/")
        return self

    def wait_healthy(self, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise BenchError(f"daphne exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, body = http_get(self.port, "/healthz", timeout=5)
                if status == 200:
                    return json.loads(body)
                last = f"{status} {body[:300]!r}"
            except OSError as exc:
                last = type(exc).__name__
            time.sleep(0.2)
        raise BenchError(f"/healthz not 200 within {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def __exit__(self, *exc_info) -> None:
        with uninterrupted():
            self._stop()

    def _stop(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            # SIGTERM first; daphne may not exit after a run (its request threads hold
            # connections at shutdown), so SIGKILL after a few seconds. Only the process
            # group this object created is signalled, by its id.
            how = "stopped"
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                how = "killed (no exit 5 s after SIGTERM)"
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            log(f"{self.name} pid {proc.pid} {how}")
        self._log.close()
        errors = self.log_tail(20000)
        if "Traceback" in errors or " ERROR " in errors:
            log(f"{self.name} logged errors (tail of {self.log_path}):\n{errors[-2000:]}")
        else:
            shutil.rmtree(self._dir, ignore_errors=True)


# --- Load ------------------------------------------------------------------------------


@dataclass
class Load:
    """One endpoint under load: every request is the same but for ``{seq}`` in the body,
    which becomes a number unique within the run."""

    name: str
    path: str
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


@dataclass
class LoadResult:
    name: str
    tool: str
    clients: int
    seconds: float  # measured duration
    responses: int  # all completed responses
    ok: int  # 2xx only: the successes
    status_4xx: int
    status_5xx: int
    status_other: int  # 1xx/3xx
    socket_errors: int  # connect, read and write errors, and timeouts
    timeouts: int  # of which no answer within the timeout (counted in socket_errors)
    rps: float  # 2xx per second
    p50_ms: float  # latency percentiles over all completed responses
    p90_ms: float
    p99_ms: float
    max_ms: float
    error_sample: str = ""

    @property
    def errors(self) -> int:
        return self.responses - self.ok + self.socket_errors

    def line(self) -> str:
        return (
            f"{self.name:>7}: {self.rps:8.1f} req/s 2xx ({self.ok} in {self.seconds:.1f} s), "
            f"p50 {self.p50_ms:.1f} ms, p90 {self.p90_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, "
            f"max {self.max_ms:.1f} ms, errors {self.errors} "
            f"(4xx {self.status_4xx}, 5xx {self.status_5xx}, other {self.status_other}, "
            f"socket {self.socket_errors} of which timeouts {self.timeouts})"
        )


def load_tool(preferred: str = "auto") -> str:
    if preferred in ("auto", "wrk") and shutil.which("wrk"):
        return "wrk"
    if preferred == "wrk":
        raise BenchError("wrk is not installed (apt-get install -y wrk), use --client httpx")
    return "httpx"


def run_load(
    load: Load,
    *,
    port: int,
    seconds: float,
    clients: int,
    tool: str,
    timeout: float = 10.0,
) -> LoadResult:
    """Drive ``load`` with ``clients`` connections for ``seconds`` from a separate process."""
    if tool == "wrk":
        return _run_wrk(load, port=port, seconds=seconds, clients=clients, timeout=timeout)
    return _run_httpx(load, port=port, seconds=seconds, clients=clients, timeout=timeout)


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    # A long bracket drops a newline right after the opening bracket; none is added here.
    return f"[{eq}[{text}]{eq}]"


_WRK_SCRIPT = """
-- Generated by bench/common.py: one endpoint, counts by status class, unique bodies.
local method = {method}
local path = {path}
local headers = {headers}
local body_a = {body_a}
local body_b = {body_b}
local has_seq = {has_seq}
local threads = {{}}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  n, ok, s4, s5, sother, sample = 0, 0, 0, 0, 0, ""
end

function request()
  n = n + 1
  local body = body_a
  if has_seq then body = body_a .. tid .. "-" .. n .. body_b end
  return wrk.format(method, path, headers, body)
end

function response(status, hdrs, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    if status >= 500 then s5 = s5 + 1
    elseif status >= 400 then s4 = s4 + 1
    else sother = sother + 1 end
    if sample == "" then sample = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

function done(summary, latency, requests)
  local t_ok, t4, t5, tother, smp = 0, 0, 0, 0, ""
  for _, t in ipairs(threads) do
    t_ok = t_ok + t:get("ok")
    t4 = t4 + t:get("s4")
    t5 = t5 + t:get("s5")
    tother = tother + t:get("sother")
    if smp == "" then smp = t:get("sample") or "" end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_WRK {{\\"duration_us\\":%d,\\"responses\\":%d,\\"ok\\":%d,\\"s4\\":%d,"
    .. "\\"s5\\":%d,\\"sother\\":%d,\\"socket\\":%d,\\"timeout\\":%d,\\"p50_us\\":%d,\\"p90_us\\":%d,"
    .. "\\"p99_us\\":%d,\\"max_us\\":%d}}\\n",
    summary.duration, summary.requests, t_ok, t4, t5, tother,
    e.connect + e.read + e.write + e.timeout, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  io.write("BENCH_SAMPLE " .. string.gsub(smp, "[\\r\\n]", " ") .. "\\n")
end
"""


def _run_wrk(load: Load, *, port: int, seconds: float, clients: int, timeout: float) -> LoadResult:
    body_a, _, body_b = load.body.partition("{seq}")
    # "[ [[k]] ]": a space, or "[[[" would open a long string.
    pairs = (f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in load.headers.items())
    headers = "{" + ", ".join(pairs) + "}"
    script = _WRK_SCRIPT.format(
        method=_lua_string(load.method),
        path=_lua_string(load.path),
        headers=headers,
        body_a=_lua_string(body_a),
        body_b=_lua_string(body_b),
        has_seq="true" if "{seq}" in load.body else "false",
    )
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", suffix=".lua", prefix="odr-bench-"
    ) as f:
        f.write(script)
        f.flush()
        # One wrk thread: its event loop easily drives 50 connections, and leaves the
        # most CPU to the server on a small machine.
        cmd = [
            "wrk",
            "-t1",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={timeout:g}s",
            "-s",
            f.name,
            f"http://{HOST}:{port}{load.path}",
        ]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=seconds + timeout + 30, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"wrk did not finish for {load.name}") from exc
    # wrk runs on (with a plain GET) when its script fails to load: treat that as failure.
    if done.returncode != 0 or "BENCH_WRK" not in done.stdout:
        raise BenchError(f"wrk failed for {load.name}:\n{done.stdout}\n{done.stderr}")
    raw = marked_json(done.stdout, "BENCH_WRK")
    sample = ""
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_SAMPLE "):
            sample = line[len("BENCH_SAMPLE ") :].strip()
    duration = raw["duration_us"] / 1e6
    return LoadResult(
        name=load.name,
        tool="wrk",
        clients=clients,
        seconds=duration,
        responses=raw["responses"],
        ok=raw["ok"],
        status_4xx=raw["s4"],
        status_5xx=raw["s5"],
        status_other=raw["sother"],
        socket_errors=raw["socket"],
        timeouts=raw["timeout"],
        rps=raw["ok"] / duration if duration else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        error_sample=sample,
    )


def _run_httpx(
    load: Load, *, port: int, seconds: float, clients: int, timeout: float
) -> LoadResult:
    config = {
        "load": asdict(load),
        "port": port,
        "seconds": seconds,
        "clients": clients,
        "timeout": timeout,
    }
    try:
        done = subprocess.run(
            [PYTHON, "-m", "bench.common", "httpx-load", json.dumps(config)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=seconds + timeout + 60,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"the httpx load generator did not finish for {load.name}") from exc
    if done.returncode != 0:
        raise BenchError(f"the httpx load generator failed:\n{done.stderr[-3000:]}")
    return LoadResult(**marked_json(done.stdout, "BENCH_LOAD"))


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


async def _httpx_load(load: Load, *, port: int, seconds: float, clients: int, timeout: float):
    import httpx

    latencies: list[float] = []
    counts = {"ok": 0, "s4": 0, "s5": 0, "sother": 0, "socket": 0, "timeout": 0}
    sample = ""
    seq = 0
    url = f"http://{HOST}:{port}{load.path}"
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=timeout, trust_env=False) as client:
        start = time.perf_counter()
        end = start + seconds

        async def worker(wid: int) -> None:
            nonlocal seq, sample
            while True:
                seq += 1
                body = load.body.replace("{seq}", f"{wid}-{seq}")
                t0 = time.perf_counter()
                try:
                    r = await client.request(
                        load.method, url, headers=load.headers, content=body.encode()
                    )
                except httpx.HTTPError as exc:
                    counts["socket"] += 1
                    counts["timeout"] += isinstance(exc, httpx.TimeoutException)
                    continue
                if time.perf_counter() > end:
                    return  # finished after the bell: wrk does not count these either
                latencies.append(time.perf_counter() - t0)
                if 200 <= r.status_code < 300:
                    counts["ok"] += 1
                    continue
                key = "s5" if r.status_code >= 500 else "s4" if r.status_code >= 400 else "sother"
                counts[key] += 1
                if not sample:
                    sample = f"{r.status_code} {r.text[:300]}"

        tasks = [asyncio.create_task(worker(i)) for i in range(clients)]
        await asyncio.sleep(seconds)
        duration = time.perf_counter() - start
        for task in tasks:  # requests still in flight at the bell are not counted
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    ms = [x * 1000 for x in latencies]
    return LoadResult(
        name=load.name,
        tool="httpx",
        clients=clients,
        seconds=duration,
        responses=len(latencies),
        ok=counts["ok"],
        status_4xx=counts["s4"],
        status_5xx=counts["s5"],
        status_other=counts["sother"],
        socket_errors=counts["socket"],
        timeouts=counts["timeout"],
        rps=counts["ok"] / duration,
        p50_ms=_percentile(ms, 50),
        p90_ms=_percentile(ms, 90),
        p99_ms=_percentile(ms, 99),
        max_ms=ms[-1] if ms else 0.0,
        error_sample=sample.replace("\n", " "),
    )


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "httpx-load":
        print("usage: python -m bench.common httpx-load CONFIG_JSON", file=sys.stderr)
        return 2
    config = json.loads(argv[1])
    result = asyncio.run(
        _httpx_load(
            Load(**config["load"]),
            port=config["port"],
            seconds=config["seconds"],
            clients=config["clients"],
            timeout=config["timeout"],
        )
    )
    print("BENCH_LOAD " + json.dumps(asdict(result)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
