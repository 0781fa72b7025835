"""Notification delivery: SMS notices through a real Celery worker to a local fake Twilio.

10,000 SMS notices (by default) are written to a fresh PostgreSQL database, queued by the
same function the after-commit handler uses, and sent by a real Celery worker (prefork,
``--concurrency`` processes) on a private Redis, through the real twilio client, to a
fake Twilio on 127.0.0.1. Printed: messages per second, duplicates (notices that reached
the fake more than once; must be 0) and losses (notices that never reached it, or are
not recorded as sent; must be 0).

The baseline, in the same run and through the same worker, Redis and fake: a bare task
that only calls the twilio client (no database, no claim, no look-up). ``ratio`` is the
notices' rate over the bare rate: what sending once, and recording it, costs.

    .venv/bin/python bench/notify.py [--count 10000] [--concurrency 4] [--chaos]

``--chaos`` SIGKILLs the whole worker when half the notices are sent and starts a new
one (the broker hands the dead worker's messages out again after 5 s), and runs the
requeue sweep as beat does in production (``notifications.requeue_due``, here every 2 s
for rows queued more than CHAOS_REQUEUE_AFTER_S ago): a message that went down with the
killed worker and that the broker does not hand out again (seen: 1 in 10,000 still
pending after 600 s without the sweep) is queued again by it, as in production. ``sweep_requeued`` counts what it queued.
Everything runs on 127.0.0.1 and is stopped and dropped at the end, on failure and
on Ctrl-C too; each phase is bounded by ``--timeout``. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BenchDatabase,
    BenchError,
    log,
    marked_json,
    run_python,
    stop_on_sigterm,
)
from notifications.tests.fake_twilio import FakeTwilio
from notifications.tests.harness import (
    CeleryWorker,
    HarnessError,
    RedisServer,
    worker_env,
)

ACCOUNT_SID = "AC" + "5e" * 16
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"  # noqa: S105 - the fake's, not a secret
SERVICE_SID = "MG" + "b0" * 16
BARE_TASK = "bench.bare_sms"
CONN_MAX_AGE = 60
CHAOS_VISIBILITY_TIMEOUT = 5
CHAOS_REQUEUE_AFTER_S = 300

# beat's part in chaos mode: the requeue sweep, every 2 s, until killed.
SWEEPER = r"""
import time

import django

django.setup()
from notifications.services.delivery import notifications_requeue_due

while True:
    print("BENCH_SWEEP", notifications_requeue_due(), flush=True)
    time.sleep(2)
"""

# Runs in a child with django.setup(): one complaint (a real event), then COUNT recipients
# and one SMS notice each, rendered by the real texts in Chinese and English.
SEED = r"""
import datetime as dt, json, sys
from decimal import Decimal

import django

django.setup()

from django.utils import timezone

from accounts.models import Merchant, Role, User
from accounts.validators import uscc_check_character
from cases.services.intake import ComplaintData, case_submit
from notifications.models import Notification, NotificationPreference
from notifications.services.recording import EventValues
from notifications.texts import render

count = int(sys.argv[1])
first17 = "91371300MA0000002"
merchant = Merchant.objects.create(
    name="临沂基准商贸有限公司", uscc=first17 + uscc_check_character(first17),
    division_code="371302", odr_joined_on=dt.date(2020, 1, 1),
)
consumer = User.objects.create_user(username="+8613700000000", phone="+8613700000000")
Role.objects.create(user=consumer, kind=Role.Kind.CONSUMER)
# The complaint's own notices stay in the inbox: only the benchmark's are sent.
NotificationPreference.objects.create(user=consumer, sms=False, email=False)
today = timezone.localdate()
case = case_submit(consumer=consumer, data=ComplaintData(
    complainant_name="王小明", complainant_phone=consumer.phone,
    complainant_address="山东省临沂市兰山区金雀山路 12 号", facts="耳机左耳无声。",
    request="退货退款。", category="goods.electronics", merchant=merchant,
    knew_of_harm_on=today - dt.timedelta(days=3), purchase_date=today - dt.timedelta(days=9),
    amount=Decimal("1299.00"), order_number="BENCH-NOTIFY",
))
event = case.events.get(kind="deadline.started")
users = User.objects.bulk_create([
    User(username=f"+86139{i:08d}", phone=f"+86139{i:08d}",
         language="en" if i % 4 == 0 else "zh-hans")
    for i in range(count)
], batch_size=1000)
texts = {}
for language in ("zh-hans", "en"):
    texts[language] = render(kind=event.kind + ":negotiation_answer", audience="consumer",
                             language=language, values=EventValues(event, language)).sms
now = timezone.now()
Notification.objects.bulk_create([
    Notification(event=event, case=case, recipient=user, channel="sms",
                 kind="deadline.started:negotiation_answer", audience="consumer",
                 language=user.language, address=user.phone, subject=case.reference,
                 body=texts[user.language], created_at=now)
    for user in users
], batch_size=1000)
ids = list(Notification.objects.filter(channel="sms", recipient__in=users)
           .order_by("pk").values_list("pk", flat=True))
print("BENCH_SEED " + json.dumps({"ids": [ids[0], ids[-1]], "count": len(ids),
                                   "sample_zh": texts["zh-hans"], "sample_en": texts["en"]}))
"""

# Queues the notices with the function the after-commit handler calls.
ENQUEUE = r"""
import json, sys, time

import django

django.setup()

from notifications.models import Notification
from notifications.services.delivery import notifications_enqueue

first, last = int(sys.argv[1]), int(sys.argv[2])
ids = list(Notification.objects.filter(pk__gte=first, pk__lte=last, channel="sms")
           .values_list("pk", flat=True))
started = time.monotonic()
queued = notifications_enqueue(rows=[(pk, None) for pk in ids])
print("BENCH_ENQUEUE " + json.dumps({"queued": queued, "seconds": time.monotonic() - started}))
"""


def __getattr__(name: str):
    """``celery -A bench.notify:worker_app``: the project's Celery app plus the bare task
    (built on demand, so that importing this module as a script does not load Django)."""
    if name != "worker_app":
        raise AttributeError(name)
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:  # celery imports this module with the project dir on the path
        sys.path.insert(0, root)  # only for that import; the app needs it afterwards too
    from odr.celery import app

    @app.task(name=BARE_TASK, acks_late=True, ignore_result=True)
    def bare_sms(index: int, to: str, body: str) -> None:
        from notifications.backends.twilio import SmsBackend
        from odr.sms import SmsMessage

        SmsBackend().send(SmsMessage(to=to, body=body, meta={"idempotency_token": f"bare-{index}"}))

    return app


# --- measuring -------------------------------------------------------------------------


def _db_counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM notifications_notification "
            "WHERE channel = 'sms' GROUP BY status"
        ).fetchall()
    return dict(rows)


def _db_rows(url: str) -> list[tuple[int, str, str, float | None]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT id, status, provider_id, "
            "EXTRACT(EPOCH FROM (sent_at - claimed_at)) * 1000 "
            "FROM notifications_notification WHERE channel = 'sms' AND recipient_id IN "
            "(SELECT id FROM accounts_user WHERE username LIKE '+86139%')"
        ).fetchall()


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(pct / 100 * len(values)) - 1))]


def _bare_phase(fake: FakeTwilio, redis: RedisServer, count: int, timeout: float) -> dict:
    from celery import Celery

    app = Celery("bench-notify", broker=redis.url)
    app.conf.broker_connection_retry_on_startup = True
    before = len(fake.creates)
    started = time.monotonic()
    with app.producer_or_acquire() as producer:
        for i in range(count):
            app.send_task(
                BARE_TASK,
                args=[i, f"+86138{i:08d}", "【ODR 12315】基准测试短信：您的投诉已收到。"],
                producer=producer,
            )
    enqueue_s = time.monotonic() - started
    deadline = started + timeout
    while len(fake.creates) - before < count:
        if time.monotonic() > deadline:
            raise BenchError(f"bare phase: {len(fake.creates) - before}/{count} in {timeout} s")
        time.sleep(0.05)
    seconds = time.monotonic() - started
    app.close()
    return {"seconds": seconds, "enqueue_s": enqueue_s, "rate": count / seconds}


def _notify_phase(
    *,
    db_url: str,
    env: dict[str, str],
    first_last: list[int],
    count: int,
    timeout: float,
    on_half=None,
) -> dict:

    started = time.monotonic()
    enqueue = subprocess.Popen(
        [sys.executable, "-c", ENQUEUE, str(first_last[0]), str(first_last[1])],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = started + timeout
    halved = False
    done = 0
    try:
        while True:
            counts = _db_counts(db_url)
            done = counts.get("sent", 0) + counts.get("delivered", 0) + counts.get("failed", 0)
            if on_half and not halved and done >= count // 2:
                halved = True
                on_half()
            if done >= count:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"notify phase: {done}/{count} done in {timeout} s: {counts}")
            time.sleep(0.1)
        seconds = time.monotonic() - started
        out, err = enqueue.communicate(timeout=max(5.0, deadline - time.monotonic()))
    finally:
        if enqueue.poll() is None:
            enqueue.kill()
            enqueue.wait(timeout=5)
    if enqueue.returncode != 0:
        raise BenchError(f"enqueue failed:\n{err[-3000:]}")
    queued = marked_json(out, "BENCH_ENQUEUE")
    return {"seconds": seconds, "rate": count / seconds, "enqueue_s": queued["seconds"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="notices (and bare sends)")
    parser.add_argument("--concurrency", type=int, default=4, help="worker pool processes")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per phase, at most")
    parser.add_argument("--chaos", action="store_true", help="SIGKILL the worker halfway")
    parser.add_argument(
        "--db-reuse-max",
        type=int,
        default=0,
        help="CELERY_DB_REUSE_MAX for the worker (0: as configured, a connection per task)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the bar is not met")
    args = parser.parse_args(argv)
    if not (1 <= args.count <= 100_000 and 1 <= args.concurrency <= 32):
        parser.error("--count 1..100000, --concurrency 1..32")
    stop_on_sigterm()
    chaos_kills = 0
    sweep_requeued = 0
    try:
        with (
            BenchDatabase(name=f"odr_bench_notify_{os.getpid()}") as db,
            RedisServer() as redis,
            FakeTwilio(account_sid=ACCOUNT_SID, credentials={ACCOUNT_SID: AUTH_TOKEN}) as fake,
        ):
            log(f"redis on {redis.url}, fake Twilio on {fake.url}")
            env = worker_env(
                database_url=db.url,
                broker_url=redis.url,
                twilio_base_url=fake.url,
                account_sid=ACCOUNT_SID,
                auth_token=AUTH_TOKEN,
                messaging_service_sid=SERVICE_SID,
                DB_CONN_MAX_AGE=str(CONN_MAX_AGE),
                LOG_LEVEL="WARNING",
                NOTIFY_SEND_SETTLE_SECONDS="2",
                NOTIFY_REQUEUE_AFTER_SECONDS=str(CHAOS_REQUEUE_AFTER_S),
                WORKER_VISIBILITY_TIMEOUT=str(CHAOS_VISIBILITY_TIMEOUT if args.chaos else 3600),
                WORKER_RESTORE_INTERVAL="1",
                WORKER_RESTORE_THROTTLE="1",
                WORKER_DB_REUSE_MAX=str(args.db_reuse_max),
            )
            log("migrating")
            run_python(["manage.py", "migrate", "--noinput"], env=env, timeout=300, what="migrate")
            log(f"seeding {args.count} notices")
            seed = marked_json(
                run_python(["-c", SEED, str(args.count)], env=env, timeout=300, what="seed").stdout,
                "BENCH_SEED",
            )
            if seed["count"] != args.count:
                raise BenchError(f"seeded {seed['count']} notices, not {args.count}")
            workers: list[CeleryWorker] = []
            sweepers: list = []

            def start_worker(name: str) -> CeleryWorker:
                worker = CeleryWorker(
                    env=env,
                    name=name,
                    concurrency=args.concurrency,
                    app="bench.notify:worker_app",
                )
                workers.append(worker)
                worker.start().wait_ready(timeout=90)
                return worker

            try:
                start_worker("bench-1")
                warm = min(200, args.count)
                log(f"warm-up: {warm} bare sends")
                _bare_phase(fake, redis, warm, args.timeout)
                log(f"baseline: {args.count} bare sends (twilio client only)")
                bare = _bare_phase(fake, redis, args.count, args.timeout)
                fake_before = len(fake.creates)

                def chaos() -> None:
                    nonlocal chaos_kills
                    log("chaos: SIGKILL the worker, start a new one, and the requeue sweep")
                    workers[-1].kill()
                    chaos_kills += 1
                    start_worker(f"bench-{len(workers) + 1}")
                    sweepers.append(
                        subprocess.Popen(
                            [sys.executable, "-c", SWEEPER],
                            cwd=Path(__file__).resolve().parent.parent,
                            env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL,
                            text=True,
                        )
                    )

                log(f"notices: {args.count} through the worker")
                notify = _notify_phase(
                    db_url=db.url,
                    env=env,
                    first_last=seed["ids"],
                    count=args.count,
                    timeout=args.timeout,
                    on_half=chaos if args.chaos else None,
                )
                time.sleep(1.0)  # anything still in flight would show as a duplicate
            finally:
                for sweeper in sweepers:
                    sweeper.kill()
                    out, _err = sweeper.communicate(timeout=10)
                    sweep_requeued += sum(
                        int(line.split()[1])
                        for line in out.splitlines()
                        if line.startswith("BENCH_SWEEP ")
                    )
                for worker in workers:
                    worker.stop()
                for worker in workers:
                    if "Traceback" in worker.log() and not args.chaos:
                        log(f"worker {worker.name} logged a traceback: {worker.log_path}")
                    else:
                        worker.remove_log()

            rows = _db_rows(db.url)
            with fake.lock:
                creates = fake.creates[fake_before:]
                tokens = [c.headers.get("I-Twilio-Idempotency-Token", "") for c in creates]
                by_token = {}
                for message in fake.messages:
                    if message.token and message.token.startswith("odr-notification-"):
                        by_token.setdefault(message.token, []).append(message.sid)
            ids = {row[0] for row in rows}
            reached = {int(t.rsplit("-", 1)[1]) for t in by_token}
            duplicates = sum(len(sids) - 1 for sids in by_token.values())
            not_sent = sum(1 for row in rows if row[1] not in ("sent", "delivered"))
            losses = len(ids - reached) + sum(
                1 for row in rows if row[0] in reached and row[1] not in ("sent", "delivered")
            )
            wrong_sid = sum(
                1
                for pk, _status, provider_id, _ms in rows
                if provider_id not in by_token.get(f"odr-notification-{pk}", [])
            )
            send_ms = [float(row[3]) for row in rows if row[3] is not None]
    except KeyboardInterrupt:
        log("interrupted; cleaned up")
        return 130
    except (BenchError, HarnessError) as exc:
        log(f"failed: {exc}")
        return 2

    ratio = notify["rate"] / bare["rate"] if bare["rate"] else 0.0
    bar_met = duplicates == 0 and losses == 0 and wrong_sid == 0
    print(
        f"ODR notification delivery: {args.count} SMS notices, 1 Celery worker x "
        f"{args.concurrency} processes, private Redis, fake Twilio, PostgreSQL, "
        f"{os.cpu_count()} CPUs{' , chaos: worker SIGKILLed halfway' if args.chaos else ''}"
    )
    print(
        f"  notices: {notify['rate']:.1f} msg/s ({args.count} in {notify['seconds']:.1f} s, "
        f"queued in {notify['enqueue_s']:.1f} s); claim-to-sent p50 "
        f"{_percentile(send_ms, 50):.1f} ms, p99 {_percentile(send_ms, 99):.1f} ms"
    )
    print(
        f"  bare:    {bare['rate']:.1f} msg/s ({args.count} in {bare['seconds']:.1f} s): "
        f"the twilio client in a task, no database"
    )
    print(
        f"  ratio {ratio:.2f}; duplicates {duplicates}, losses {losses}, rows not sent "
        f"{not_sent}, provider ids not matching {wrong_sid}; create requests to the fake "
        f"{len(creates)} ({len(set(tokens))} distinct tokens); bar "
        f"{'MET' if bar_met else 'NOT MET'}"
    )
    summary = {
        "notices": args.count,
        "notify_msgs_per_s": round(notify["rate"], 1),
        "notify_wall_s": round(notify["seconds"], 2),
        "notify_enqueue_s": round(notify["enqueue_s"], 2),
        "notify_claim_to_sent_p50_ms": round(_percentile(send_ms, 50), 1),
        "notify_claim_to_sent_p99_ms": round(_percentile(send_ms, 99), 1),
        "bare_msgs_per_s": round(bare["rate"], 1),
        "bare_wall_s": round(bare["seconds"], 2),
        "bare_enqueue_s": round(bare["enqueue_s"], 2),
        "ratio": round(ratio, 3),
        "duplicates": duplicates,
        "losses": losses,
        "rows_not_sent": not_sent,
        "provider_id_mismatches": wrong_sid,
        "fake_create_requests": len(creates),
        "chaos_worker_kills": chaos_kills,
        "sweep_requeued": sweep_requeued,
        "bar_duplicates": 0,
        "bar_losses": 0,
        "bar_met": bar_met,
        "worker_concurrency": args.concurrency,
        "db_conn_max_age_s": CONN_MAX_AGE,
        "celery_db_reuse_max": args.db_reuse_max,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(summary), flush=True)
    return 1 if args.check and not bar_met else 0


if __name__ == "__main__":
    sys.exit(main())
