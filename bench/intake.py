"""Complaint intake throughput: POST /api/v1/cases/ against a bare Django JSON view.

Both run on the same daphne server with PostgreSQL, in the same run, under the same load
(50 concurrent keep-alive connections from a separate process, for a bounded time after
a warm-up). The bar, from the issue: intake p99 under 100 ms, and intake at least 40% of
the bare view's rate, with no errors on either. The last line printed is one JSON object
of the figures.

    .venv/bin/python bench/intake.py [--seconds 15] [--clients 50] [--redis-url URL | --eager]
                                     [--conn-max-age 0] [--client auto|wrk|httpx] [--check]

The server runs as in production: with Redis (the channel layer, the cache and the Celery
broker), so the work a complaint sets off after commit (notices, SMS) is queued for a
worker, not done inside the request; no worker runs, so the queue only grows. By default
the script starts a private redis-server on a free port for this; ``--redis-url`` names
another; ``--eager`` runs without Redis, with Celery eager, so the queued work is done
in the request (the embedded mode of ``make run``, not a production set-up).

The script creates and drops its own database (odr_bench_<pid> on 127.0.0.1:5432, trust
auth, user postgres), starts and stops daphne and redis, and cleans up on failure and
Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BenchDatabase,
    BenchError,
    DaphneServer,
    Load,
    LoadResult,
    load_tool,
    log,
    marked_json,
    run_load,
    run_python,
    server_env,
    stop_on_sigterm,
)
from notifications.tests.harness import HarnessError, RedisServer

BAR_P99_MS = 100.0
BAR_RATIO = 0.40
# Under ASGI every request runs its sync code in a thread of its own, so Django's
# persistent connections (CONN_MAX_AGE > 0) are never reused: each request still opens a
# connection, and the old ones stay open until their threads are collected, which
# exhausts PostgreSQL's max_connections under load (Django docs, "Persistent connections":
# disable them under ASGI, use a pool). The server therefore runs as production does, with
# a psycopg pool (DB_POOL); --conn-max-age 60 turns the pool off and shows the effect.
CONN_MAX_AGE = 0
INTAKE_PATH = "/api/v1/cases/"
BARE_PATH = "/bench/bare/"

# Demo data, and the query count of one intake: runs in a child with django.setup().
# argv[1] is one request body. Prints BENCH_SEED {...}.
SEED = r"""
import datetime as dt, json, sys
from collections import Counter

import django

django.setup()

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Merchant, Role, User
from accounts.validators import uscc_check_character
from cases.apis import ComplaintIn
from cases.services.intake import ComplaintData, case_submit

today = timezone.localdate()
first17 = "91371300MA0000001"
merchant = Merchant.objects.create(
    name="临沂基准商贸有限公司",
    uscc=first17 + uscc_check_character(first17),
    division_code="371302",
    address="山东省临沂市兰山区",
    odr_joined_on=today - dt.timedelta(days=365),
)
staff = User.objects.create_user(username="+8613900000002", phone="+8613900000002")
Role.objects.create(user=staff, kind=Role.Kind.MERCHANT_STAFF, merchant=merchant)
consumer = User.objects.create_user(
    username="+8613900000001", phone="+8613900000001", display_name="王小明"
)
Role.objects.create(user=consumer, kind=Role.Kind.CONSUMER)
token = Token.objects.create(user=consumer)

template = sys.argv[1].replace("__MERCHANT__", str(merchant.pk))
client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token.key}")


def post(seq):
    body = template.replace("{seq}", seq)
    return client.post("/api/v1/cases/", data=body, content_type="application/json")


first = post("seed-1")  # warms caches; not counted
assert first.status_code == 201, (first.status_code, first.content[:500])
with CaptureQueriesContext(connection) as request_ctx:
    response = post("seed-2")
assert response.status_code == 201, (response.status_code, response.content[:500])
assert response.json()["state"] == "negotiation", response.json()["state"]

values = ComplaintIn(data=json.loads(template.replace("{seq}", "seed-3")))
values.is_valid(raise_exception=True)
data = ComplaintData(**values.validated_data, language="zh-hans")
with CaptureQueriesContext(connection) as submit_ctx:
    case_submit(consumer=consumer, data=data)


def kinds(ctx):
    return dict(Counter(q["sql"].split(None, 1)[0].upper() for q in ctx.captured_queries))


print("BENCH_SEED " + json.dumps({
    "token": token.key,
    "merchant": merchant.pk,
    "request_queries": len(request_ctx),
    "request_kinds": kinds(request_ctx),
    "submit_queries": len(submit_ctx),
    "submit_kinds": kinds(submit_ctx),
}))
"""

COUNT_CASES = r"""
import django

django.setup()
from cases.models import Case

print("BENCH_COUNT " + str(Case.objects.count()))
"""


def complaint_body(today: dt.date) -> str:
    """One complaint as the phone app sends it; ``{seq}`` makes each order number unique."""
    body = {
        "complainant_name": "王小明",
        "complainant_phone": "+8613900000001",
        "complainant_address": "山东省临沂市兰山区金雀山路 12 号",
        "merchant": "__MERCHANT__",
        "merchant_store_url": "https://shop.example.cn/store/10001",
        "category": "goods.electronics",
        "purchase_date": (today - dt.timedelta(days=20)).isoformat(),
        "knew_of_harm_on": (today - dt.timedelta(days=12)).isoformat(),
        "amount": "1299.00",
        "order_number": "BENCH-{seq}",
        "platform": "网店",
        "facts": (
            "购买的蓝牙耳机收到后左耳无声音，联系客服要求退货，客服以已拆封为由拒绝。"
            "商品页面承诺七天无理由退货，订单截图和聊天记录已保存。"
        )
        * 3,
        "request": "退货退款 1299 元。",
        "agrees_to_publication": False,
        "agrees_to_delegated_mediation": True,
    }
    text = json.dumps(body, ensure_ascii=False)
    return text.replace('"__MERCHANT__"', "__MERCHANT__")


def figures(prefix: str, result: LoadResult) -> dict[str, float | int]:
    return {
        f"{prefix}_rps": round(result.rps, 1),
        f"{prefix}_p50_ms": round(result.p50_ms, 1),
        f"{prefix}_p90_ms": round(result.p90_ms, 1),
        f"{prefix}_p99_ms": round(result.p99_ms, 1),
        f"{prefix}_max_ms": round(result.max_ms, 1),
        f"{prefix}_ok": result.ok,
        f"{prefix}_errors": result.errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per measured phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="per endpoint, not measured")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections")
    parser.add_argument(
        "--redis-url", default="", help="REDIS_URL for the server (default: a private redis)"
    )
    parser.add_argument(
        "--eager", action="store_true", help="no Redis: in-memory layer, Celery eager"
    )
    parser.add_argument("--client", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=CONN_MAX_AGE,
        help="DB_CONN_MAX_AGE for the server, without the pool (default 0: the pool; see "
        "the comment on CONN_MAX_AGE)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the bar is not met")
    args = parser.parse_args(argv)
    if not (1 <= args.seconds <= 120 and 0 <= args.warmup <= 30 and 1 <= args.clients <= 500):
        parser.error("--seconds 1..120, --warmup 0..30, --clients 1..500")
    stop_on_sigterm()
    tool = load_tool(args.client)
    load_before = os.getloadavg()[0]
    today = dt.date.today()

    if args.eager and args.redis_url:
        parser.error("--eager runs without Redis: give one of --eager and --redis-url")
    try:
        with contextlib.ExitStack() as stack:
            redis_url = args.redis_url
            if not args.eager and not redis_url:
                redis_url = stack.enter_context(RedisServer()).url
                log(f"private redis on {redis_url}")
            db = stack.enter_context(BenchDatabase())
            env = server_env(
                database_url=db.url,
                redis_url=redis_url,
                conn_max_age=args.conn_max_age,
                DB_POOL="false" if args.conn_max_age else "true",
                CELERY_TASK_ALWAYS_EAGER="true" if args.eager else "false",
            )
            log("migrating")
            run_python(["manage.py", "migrate", "--noinput"], env=env, timeout=300, what="migrate")
            template = complaint_body(today)
            seed = marked_json(
                run_python(["-c", SEED, template], env=env, timeout=120, what="seed").stdout,
                "BENCH_SEED",
            )
            body = template.replace("__MERCHANT__", str(seed["merchant"]))
            headers = {
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Token {seed['token']}",
            }
            # Same method, headers and body to both: the bare view just ignores them.
            bare = Load(name="bare", path=BARE_PATH, headers=headers, body=body)
            intake = Load(name="intake", path=INTAKE_PATH, headers=headers, body=body)
            with DaphneServer(env=env) as server:
                health = server.wait_healthy()
                log(f"healthy: {json.dumps(health['components'])}")
                run = {"port": server.port, "clients": args.clients, "tool": tool}
                if args.warmup:
                    for load in (bare, intake):
                        log(f"warm-up {load.name} {args.warmup:g} s")
                        warm = run_load(load, seconds=args.warmup, **run)
                        if warm.ok == 0:
                            raise BenchError(f"{load.name}: no 2xx in warm-up: {warm.error_sample}")
                results = {}
                for load in (bare, intake):
                    log(f"measuring {load.name} {args.seconds:g} s")
                    results[load.name] = run_load(load, seconds=args.seconds, **run)
                if "Traceback" in server.log_tail(100000):
                    log("the server logged a traceback (see below)")
            cases = int(
                marked_json(
                    run_python(["-c", COUNT_CASES], env=env, timeout=60, what="count").stdout,
                    "BENCH_COUNT",
                )
            )
    except KeyboardInterrupt:
        log("interrupted; cleaned up")
        return 130
    except (BenchError, HarnessError) as exc:
        log(f"failed: {exc}")
        return 2

    bare_r, intake_r = results["bare"], results["intake"]
    ratio = intake_r.rps / bare_r.rps if bare_r.rps else 0.0
    bar_met = (
        intake_r.p99_ms < BAR_P99_MS
        and ratio >= BAR_RATIO
        and intake_r.errors == 0
        and bare_r.errors == 0
    )
    # Closed loop: each client sends its next request when the last is answered, so the mean
    # latency at a rate R is clients / R (Little's law). Even at the bare view's rate the
    # mean is this floor; a p99 under the bar needs a floor well under it.
    floor_ms = args.clients / bare_r.rps * 1000 if bare_r.rps else 0.0
    p99_reachable = 0 < floor_ms < BAR_P99_MS
    cpus = os.cpu_count() or 0
    load_after = os.getloadavg()[0]
    print(
        f"ODR intake benchmark: daphne + PostgreSQL on 127.0.0.1, {args.clients} concurrent "
        f"clients ({tool}, separate process), {args.seconds:g} s per endpoint after "
        f"{args.warmup:g} s warm-up"
    )
    connections = (
        f"persistent DB connections (CONN_MAX_AGE={args.conn_max_age}; under ASGI each "
        "request's thread opens its own, so they pile up rather than being reused)"
        if args.conn_max_age
        else "DB connections from a psycopg pool (DB_POOL; persistent connections are not "
        "reused under ASGI)"
    )
    print(
        f"server: 1 daphne process, DEBUG off, {connections}, "
        + (
            "no Redis (in-memory layer), Celery eager: after-commit work done in the request"
            if args.eager
            else f"Redis {redis_url}, Celery tasks queued (no worker consumes them)"
        )
    )
    print(
        f"machine: {cpus} CPUs shared by the load generator, daphne and PostgreSQL; "
        f"1-min load average {load_before:.1f} before, {load_after:.1f} after "
        "(other work on the machine lowers both rates)"
    )
    print(bare_r.line())
    print(intake_r.line())
    for r in (bare_r, intake_r):
        if r.error_sample:
            print(f"  first {r.name} error: {r.error_sample}")
    print(
        f"queries: {seed['request_queries']} per intake request "
        f"{seed['request_kinds']}, {seed['submit_queries']} in case_submit "
        f"{seed['submit_kinds']}"
    )
    print(
        f"cases in the database after the run: {cases} (measured and warm-up 2xx, requests "
        "still in flight when a phase ended, and 3 from the set-up)"
    )
    print(
        f"closed-loop floor: {args.clients} clients / {bare_r.rps:.1f} req/s (the bare view) = "
        f"{floor_ms:.1f} ms mean latency for any endpoint no faster than the bare view; "
        + (
            f"a p99 under {BAR_P99_MS:.0f} ms is out of reach on this machine at "
            f"{args.clients} clients"
            if not p99_reachable
            else f"a p99 under {BAR_P99_MS:.0f} ms is possible"
        )
    )
    print(
        f"ratio intake/bare: {ratio:.2f} (bar >= {BAR_RATIO:.2f}); intake p99 "
        f"{intake_r.p99_ms:.1f} ms (bar < {BAR_P99_MS:.0f} ms); "
        f"bar {'MET' if bar_met else 'NOT MET'}"
    )
    summary = {
        **figures("intake", intake_r),
        **figures("bare", bare_r),
        "ratio": round(ratio, 3),
        "bar_p99_ms": BAR_P99_MS,
        "bar_ratio": BAR_RATIO,
        "bar_met": bar_met,
        "closed_loop_floor_ms": round(floor_ms, 1),
        "p99_bar_reachable": p99_reachable,
        "intake_queries_per_request": seed["request_queries"],
        "case_submit_queries": seed["submit_queries"],
        "clients": args.clients,
        "seconds_per_phase": args.seconds,
        "warmup_s": args.warmup,
        "load_tool": tool,
        "db_conn_max_age_s": args.conn_max_age,
        "db_pool": not args.conn_max_age,
        "redis": not args.eager,
        "celery_eager": args.eager,
        "cpus": cpus,
        "loadavg_1m_before": round(load_before, 2),
        "loadavg_1m_after": round(load_after, 2),
    }
    print(json.dumps(summary), flush=True)
    return 1 if args.check and not bar_met else 0


if __name__ == "__main__":
    sys.exit(main())
