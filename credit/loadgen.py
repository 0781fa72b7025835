"""Realistic volume for the credit benchmark: merchants, stores, consumers, cases with their
event chains, and the credit records those events write, in bulk.

Each case follows a path drawn at random through the workflow (ODR negotiation for
enrolled merchants, review, mediation, arbitration, performance), with timestamps that
stop at "now" (recent cases are still open). Events carry real hash chains; records come
from the same rule the live handler uses (``credit.services.records.records_for_event``),
so the data is what the application itself would have written. Case volume per merchant
follows a Zipf-like law (a few merchants get thousands of complaints, most a handful).

Rows are inserted with ids chosen here (after the current maximum), in batches, each batch
in its own transaction: COPY on PostgreSQL, ``bulk_create`` elsewhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Merchant, MerchantStore, Role, User, store_url_key
from accounts.validators import uscc_check_character
from cases.categories import CATEGORY_CHOICES
from cases.models import GENESIS_HASH, Case, CaseEvent, CaseSequence, State
from credit.deidentify import mask_name
from credit.models import CreditDaily, CreditRecord
from credit.services.records import absent_party, records_for_event
from credit.services.rollup import rollup_add_records_of_merchants

CITIES = [
    ("临沂", "371302"),
    ("临沂", "371311"),
    ("临沂", "371312"),
    ("济南", "370102"),
    ("青岛", "370202"),
    ("福州", "350102"),
    ("杭州", "330106"),
    ("深圳", "440305"),
    ("广州", "440106"),
    ("北京", "110105"),
    ("上海", "310115"),
    ("成都", "510107"),
    ("武汉", "420106"),
    ("南京", "320104"),
]
SYLLABLES = [
    "优品",
    "鲜果",
    "云途",
    "华润",
    "金鼎",
    "百川",
    "恒信",
    "星辰",
    "瑞丰",
    "佳和",
    "鸿运",
    "天诚",
    "永盛",
    "宏达",
    "新锐",
    "博雅",
    "汇通",
    "聚源",
    "康泰",
    "海纳",
    "东方",
    "锦程",
    "润泽",
    "德馨",
    "嘉禾",
    "明德",
    "盛世",
    "顺达",
    "腾飞",
    "万家",
    "兴隆",
    "阳光",
    "宇航",
    "卓越",
    "安心",
    "北辰",
    "长青",
    "大华",
    "丰收",
    "光明",
    "和美",
    "惠民",
    "吉祥",
    "江南",
    "乐购",
    "美好",
    "南山",
    "朴实",
    "青松",
    "荣昌",
    "森林",
    "泰和",
    "同心",
    "维康",
    "祥瑞",
    "信达",
    "雅致",
    "一品",
    "智慧",
    "中天",
    "紫荆",
    "尚品",
    "恒久",
    "晨光",
    "蓝海",
    "绿源",
    "金桥",
    "银河",
    "富源",
    "凯旋",
    "联创",
    "龙腾",
    "满堂",
    "农夫",
    "鹏程",
    "启航",
    "仁和",
    "三和",
    "拓展",
    "文华",
    "喜来",
    "鑫源",
    "旭日",
    "远航",
    "致远",
]
INDUSTRIES = [
    "电子商贸",
    "食品",
    "服饰",
    "网络科技",
    "家居用品",
    "数码科技",
    "日用品",
    "母婴用品",
    "生鲜超市",
    "电器",
    "汽车服务",
    "旅行社",
    "教育咨询",
    "餐饮管理",
    "物流",
    "通信器材",
    "医疗器械",
    "装饰工程",
    "文化传媒",
    "健身服务",
]
PLATFORMS = [
    ("淘宝", "taobao.com"),
    ("京东", "jd.com"),
    ("拼多多", "pinduoduo.com"),
    ("抖音", "douyin.com"),
    ("美团", "meituan.com"),
    ("自营", "shop.example.cn"),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国海燕雪梅"
CATEGORIES = [code for code, _label in CATEGORY_CHOICES]
# Termination grounds and the reasons a mediator gives (who stayed away, if anyone).
TERMINATIONS = [
    ("agreement_impossible", "双方分歧较大，无法达成一致", 0.45),
    ("absent_or_refused", "被投诉人明确拒绝调解", 0.2),
    ("absent_or_refused", "投诉人无正当理由不参加调解", 0.1),
    ("time_limit", "期限内未能达成调解协议", 0.2),
    ("withdrawn_or_settled", "双方自行和解", 0.05),
]
ZIPF_EXPONENT = 0.8


def uscc_for(division: str, n: int) -> str:
    first17 = f"91{division}LG{n % 10_000_000:07d}"
    return first17 + uscc_check_character(first17)


@dataclass
class Step:
    kind: str
    actor_role: str
    from_state: str
    to_state: str
    at: dt.datetime
    ground: str = ""
    payload: dict = field(default_factory=dict)


@dataclass
class Path:
    steps: list[Step]
    state: str
    ground: str = ""
    reason: str = ""
    outcome: str = ""
    terms: dict | None = None
    due_on: dt.date | None = None
    answered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None


class _Walk:
    """One case's way through the workflow, stopping at ``now``."""

    def __init__(self, rng: random.Random, start: dt.datetime, now: dt.datetime) -> None:
        self.rng = rng
        self.t = start
        self.now = now
        self.state = State.SUBMITTED
        self.path = Path(steps=[], state=State.SUBMITTED)

    def later(self, low_hours: float, high_hours: float) -> bool:
        """Move the clock on; False if that is in the future (the case stops here)."""
        self.t = self.t + dt.timedelta(hours=self.rng.uniform(low_hours, high_hours))
        return self.t <= self.now

    def go(self, name: str, to: str, role: str, *, ground: str = "", **payload) -> None:
        if ground:
            payload = {"ground": ground, **payload}
        self.path.steps.append(
            Step(f"transition.{name}", role, self.state, to, self.t, ground, payload)
        )
        self.state = to
        self.path.state = to
        if to in (State.CLOSED, State.REJECTED, State.WITHDRAWN):
            self.path.closed_at = self.t

    def event(self, kind: str, **payload) -> None:
        self.path.steps.append(Step(kind, "system", "", "", self.t, "", payload))

    def terms(self, by: str) -> dict:
        due = (timezone.localtime(self.t) + dt.timedelta(days=self.rng.randint(3, 15))).date()
        amount = f"{self.rng.choice([49, 99, 199, 299, 599, 1299, 2999])}.00"
        self.path.terms = {"description": f"{by}：退款{amount}元", "amount": amount}
        self.path.due_on = due
        return {
            "description": self.path.terms["description"],
            "amount": amount,
            "performance_due_on": due.isoformat(),
        }

    def perform(self) -> None:
        due_end = dt.datetime.combine(
            self.path.due_on, dt.time(23, 59, 59), tzinfo=timezone.get_default_timezone()
        )
        roll = self.rng.random()
        if roll < 0.85:
            hours = max(1.0, (due_end - self.t).total_seconds() / 3600)
            if self.later(1, hours):
                self.go("confirm_performance", State.CLOSED, "consumer")
                self.path.outcome = "performed"
        elif roll < 0.90:
            self.t = due_end
            if self.later(2, 24 * 12):
                self.go("confirm_performance", State.CLOSED, "consumer")
                self.path.outcome = "performed"
        else:
            self.t = due_end
            if self.later(24, 24 * 25):
                self.go("report_breach", State.CLOSED, "consumer", reason="商家未按约定退款")
                self.path.outcome = "breached"
                self.path.reason = "商家未按约定退款"

    def review(self) -> None:
        rng = self.rng
        roll = rng.random()
        if not self.later(4, 24 * 7):
            return
        if roll < 0.15:
            self.go(
                "reject",
                State.REJECTED,
                "regulator",
                ground="not_consumer_dispute",
                reason="不属于消费者权益争议",
            )
            self.path.ground, self.path.outcome = "not_consumer_dispute", "rejected"
            return
        if roll < 0.20:
            self.go("withdraw", State.WITHDRAWN, "consumer", reason="")
            self.path.outcome = "withdrawn"
            return
        self.go("accept", State.MEDIATION, "regulator", mediator="")
        if not self.later(24 * 3, 24 * 40):
            return
        roll = rng.random()
        if roll < 0.55:
            self.go("reach_agreement", State.SETTLED, "mediator", **self.terms("调解"))
            self.perform()
            return
        if roll < 0.60:
            self.go("withdraw", State.WITHDRAWN, "consumer", reason="")
            self.path.outcome = "withdrawn"
            return
        ground, reason, _ = rng.choices(TERMINATIONS, weights=[w for *_x, w in TERMINATIONS])[0]
        self.go("terminate", State.MEDIATION_FAILED, "mediator", ground=ground, reason=reason)
        self.path.ground, self.path.reason = ground, reason
        if not self.later(24, 24 * 10):
            return
        if rng.random() < 0.7 or ground == "withdrawn_or_settled":
            self.go("close", State.CLOSED, "consumer")
            self.path.outcome = "mediation_failed"
            return
        self.go("refer_to_arbitration", State.REFERRED, "consumer", body="")
        if not self.later(24, 24 * 5):
            return
        self.go("arbitration_accept", State.ARBITRATING, "arbitration")
        if not self.later(24 * 10, 24 * 60):
            return
        if rng.random() < 0.7:
            payload = self.terms("裁决")
            if rng.random() < 0.1:
                payload["amount"] = "0"
            self.go("record_award", State.AWARDED, "arbitration", **payload)
        else:
            self.go("settle", State.SETTLED, "arbitration", **self.terms("仲裁和解"))
        self.perform()

    def walk(self, enrolled: bool) -> Path:
        rng = self.rng
        if not enrolled:
            self.go("request_review", State.REVIEW, "system")
            self.review()
            return self.path
        self.go("start_negotiation", State.NEGOTIATION, "system")
        if rng.random() < 0.75:
            start = self.t
            if not self.later(1, 24 * 16):
                return self.path
            within = self.t - start <= dt.timedelta(days=14)
            self.path.answered_at = self.t
            self.event(
                "negotiation.merchant_answered",
                answered_at=self.t.isoformat(),
                within_deadline=within,
            )
            roll = rng.random()
            if not self.later(2, 24 * 5):
                return self.path
            if roll < 0.65:
                self.go("settle", State.SETTLED, "consumer", **self.terms("协商"))
                self.perform()
            elif roll < 0.75:
                self.go("withdraw", State.WITHDRAWN, "consumer", reason="")
                self.path.outcome = "withdrawn"
            else:
                self.go("escalate", State.REVIEW, "consumer", reason="协商不成")
                self.review()
            return self.path
        self.t = self.t + dt.timedelta(days=14, hours=1)
        if self.t > self.now:
            return self.path
        self.go("escalate", State.REVIEW, "system")
        self.review()
        return self.path


@dataclass
class LoadReport:
    merchants: int = 0
    stores: int = 0
    consumers: int = 0
    cases: int = 0
    events: int = 0
    records: int = 0
    seconds: float = 0.0


def _next_id(model) -> int:
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _columns(model) -> list:
    """Every column of the table but those the database fills (``db_default``)."""
    return [
        f for f in model._meta.concrete_fields if not getattr(f, "has_db_default", lambda: False)()
    ]


def _insert(model, rows: list[dict]) -> None:
    """Insert rows given as {attname: value}; a column not given gets the field's default.

    COPY on PostgreSQL (the fastest bulk insert there is), ``bulk_create`` elsewhere.
    """
    if not rows:
        return
    fields = _columns(model)
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=500)
        return
    from psycopg.types.json import Jsonb

    defaults = {f.attname: f.get_default() for f in fields if f.attname not in rows[0]}
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            values = []
            for f in fields:
                value = row[f.attname] if f.attname in row else defaults[f.attname]
                if f.attname in json_fields and value is not None:
                    value = Jsonb(value)
                values.append(value)
            copy.write_row(values)


def _zipf_cumulative(ranked: list) -> list[float]:
    cumulative, total = [], 0.0
    for rank in range(len(ranked)):
        total += 1 / (rank + 1) ** ZIPF_EXPONENT
        cumulative.append(total)
    return cumulative


def _merchants(rng, count: int, now: dt.datetime, batch: int) -> tuple[list[tuple], int]:
    merchant_id, store_id = _next_id(Merchant), _next_id(MerchantStore)
    rows, stores, pool = [], [], []
    for i in range(count):
        pk = merchant_id + i
        city, division = rng.choice(CITIES)
        brand = rng.choice(SYLLABLES) + rng.choice(SYLLABLES)
        name = f"{city}{brand}{rng.choice(INDUSTRIES)}有限公司"
        joined = None
        if rng.random() < 0.4:
            joined = (now - dt.timedelta(days=rng.randint(30, 1500))).date()
        rows.append(
            {
                "id": pk,
                "name": name,
                "uscc": uscc_for(division, pk),
                "division_code": division,
                "address": f"{city}市某区某路{rng.randint(1, 300)}号",
                "odr_joined_on": joined,
                "created_at": now,
            }
        )
        pool.append((pk, division, joined, name))
        if rng.random() < 0.7:
            platform, domain = rng.choice(PLATFORMS)
            url = f"https://shop{pk}.{domain}/"
            stores.append(
                {
                    "id": store_id + len(stores),
                    "merchant_id": pk,
                    "platform": platform,
                    "url": url,
                    "url_key": store_url_key(url),
                }
            )
    for start in range(0, len(rows), batch):
        with transaction.atomic():
            _insert(Merchant, rows[start : start + batch])
    for start in range(0, len(stores), batch):
        with transaction.atomic():
            _insert(MerchantStore, stores[start : start + batch])
    return pool, len(stores)


def _consumers(rng, count: int, now: dt.datetime, batch: int) -> list[tuple]:
    user_id, role_id = _next_id(User), _next_id(Role)
    people = []
    for start in range(0, count, batch):
        users, roles = [], []
        for i in range(start, min(count, start + batch)):
            pk = user_id + i
            phone = f"+8617{pk % 1_000_000_000:09d}"
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            if rng.random() < 0.6:
                name += rng.choice(GIVEN)
            users.append(
                {
                    "id": pk,
                    "password": "!load",
                    "username": phone,
                    "phone": phone,
                    "display_name": name,
                    "date_joined": now,
                    "is_active": True,
                }
            )
            roles.append(
                {"id": role_id + i, "user_id": pk, "kind": Role.Kind.CONSUMER, "created_at": now}
            )
            people.append((pk, phone, name))
        with transaction.atomic():
            _insert(User, users)
            _insert(Role, roles)
    return people


def _skip_foreign_key_triggers() -> None:
    """In this transaction, on PostgreSQL as a superuser: no per-row foreign-key triggers.

    The rows are consistent by construction (ids assigned here, parents inserted first;
    the tests check it), and the triggers would cost as much as the inserts themselves.
    Without the right to do so, the load runs with the triggers, only slower.
    """
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        pass


class _Ids:
    def __init__(self) -> None:
        self.case = _next_id(Case)
        self.event = _next_id(CaseEvent)
        self.record = _next_id(CreditRecord)


def _one_case(rng, ids: _Ids, pick, people, now, span, counters, rows) -> None:
    """Draw one case and append its case, event and record rows."""
    merchant_pk, division, joined, merchant_name = pick
    tz = timezone.get_default_timezone()
    pk = ids.case
    ids.case += 1
    submitted = now - span * rng.random()
    day = submitted.astimezone(tz).date()
    prefix = settings.ODR_REGION_PREFIX
    counters[day.year] = counters.get(day.year, 0) + 1
    reference = f"{prefix}-{day.year}-{counters[day.year]:06d}"
    consumer_pk, phone, person = rng.choice(people)
    ruleset = "samr-order-121" if day >= dt.date(2026, 4, 15) else "samr-order-20"
    path = _Walk(rng, submitted, now).walk(joined is not None and joined <= day)
    category = rng.choice(CATEGORIES)
    submitted_step = Step(
        "case.submitted",
        "consumer",
        "",
        State.SUBMITTED,
        submitted,
        "",
        {"ruleset": ruleset, "merchant_on_platform": True},
    )
    prev = GENESIS_HASH
    ground, party, due_at = "", "", None
    written: set[str] = set()
    masked = mask_name(person)
    first_record = len(rows["records"])
    for seq, step in enumerate([submitted_step, *path.steps], start=1):
        # A plain object with the event's fields: CaseEvent.canonical reads only those,
        # and building a model instance per event would double the time of a load.
        event = SimpleNamespace(
            id=ids.event,
            case_id=pk,
            seq=seq,
            kind=step.kind,
            actor_id=consumer_pk if step.actor_role == "consumer" else None,
            actor_role=step.actor_role,
            from_state=step.from_state,
            to_state=step.to_state,
            ground=step.ground,
            payload=step.payload,
            visibility="parties",
            created_at=step.at.astimezone(dt.UTC),
            prev_hash=prev,
        )
        ids.event += 1
        canonical = CaseEvent.canonical(event, reference=reference)
        event.hash = hashlib.sha256(canonical).hexdigest()
        prev = event.hash
        rows["events"].append({f: getattr(event, f) for f in EVENT_FIELDS})
        if step.kind == "transition.terminate":
            ground, party = step.ground, absent_party(step.payload)
        if "performance_due_on" in step.payload:
            due = dt.date.fromisoformat(step.payload["performance_due_on"])
            due_at = dt.datetime.combine(due, dt.time(23, 59, 59, 999999), tzinfo=tz)
        for draft in records_for_event(
            kind=step.kind,
            actor_role=step.actor_role,
            payload=step.payload,
            occurred_at=event.created_at,
            case_ground=ground,
            answer_started_at=submitted,
            performance_due_at=due_at,
            terminated_by_party=party,
        ):
            if draft.kind in written:
                continue  # one per case and kind, as the constraint says
            written.add(draft.kind)
            rows["records"].append(
                {
                    "id": ids.record,
                    "merchant_id": merchant_pk,
                    "case_id": pk,
                    "source_event_id": event.id,
                    "kind": draft.kind,
                    "occurred_at": event.created_at,
                    "occurred_day": event.created_at.astimezone(tz).date().toordinal(),
                    "recorded_at": event.created_at,
                    "case_reference": reference,
                    "category": category,
                    "consumer": masked,
                    "division_code": division,
                    "details": draft.details,
                    "response_seconds": draft.response_seconds,
                }
            )
            ids.record += 1
    purchase = day - dt.timedelta(days=rng.randint(1, 40))
    amount = Decimal(rng.choice([49, 99, 199, 599, 1299]))
    agrees = rng.random() < 0.5  # drawn in the order they always were
    for record in rows["records"][first_record:]:
        record["published"] = agrees  # the case's answer, as the live handler copies it
    rows["cases"].append(
        {
            "id": pk,
            "reference": reference,
            "state": path.state,
            "ruleset": ruleset,
            "submitted_at": submitted,
            "consumer_id": consumer_pk,
            "complainant_name": person,
            "complainant_phone": phone,
            "complainant_address": "某省某市某区某路1号",
            "merchant_id": merchant_pk,
            "merchant_name": merchant_name,
            "division_code": division,
            "category": category,
            "purchase_date": purchase,
            "knew_of_harm_on": purchase,
            "amount": amount,
            "order_number": f"ORD{pk:012d}",
            "platform": "网店",
            "facts": "商品与描述不符，联系商家未果。",
            "request": "退货退款。",
            "agrees_to_publication": agrees,
            "ground": path.ground,
            "reason": path.reason,
            "outcome": path.outcome,
            "settlement_terms": path.terms,
            "performance_due_on": path.due_on,
            "merchant_answered_at": path.answered_at,
            "closed_at": path.closed_at,
            "updated_at": now,
        }
    )


EVENT_FIELDS = (
    "id",
    "case_id",
    "seq",
    "kind",
    "actor_id",
    "actor_role",
    "from_state",
    "to_state",
    "ground",
    "payload",
    "visibility",
    "created_at",
    "prev_hash",
    "hash",
)


def generate_load(
    *,
    merchants: int,
    cases: int,
    consumers: int | None = None,
    months: int = 24,
    seed: int = 12315,
    batch: int = 20000,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> LoadReport:
    """Insert ``merchants`` merchants and ``cases`` cases (with events and records)."""
    say = progress or (lambda message: None)
    rng = random.Random(seed)
    now = now or timezone.now()
    started = time.monotonic()
    report = LoadReport()
    if merchants < 1 or cases < 0:
        raise ValueError("at least one merchant, and no negative number of cases")

    pool, report.stores = _merchants(rng, merchants, now, batch)
    report.merchants = len(pool)
    say(f"{report.merchants} merchants, {report.stores} stores")
    consumers = consumers or max(1, cases // 5)
    people = _consumers(rng, consumers, now, batch)
    report.consumers = consumers
    say(f"{consumers} consumers")

    rng.shuffle(pool)  # which merchants are the big ones: at random
    cumulative = _zipf_cumulative(pool)
    ids = _Ids()
    prefix = settings.ODR_REGION_PREFIX
    counters = {s.year: s.last for s in CaseSequence.objects.filter(prefix=prefix)}
    span = dt.timedelta(days=int(months * 30.44))
    done = 0
    while done < cases:
        size = min(batch, cases - done)
        rows: dict[str, list[dict]] = {"cases": [], "events": [], "records": []}
        for pick in rng.choices(pool, cum_weights=cumulative, k=size):
            _one_case(rng, ids, pick, people, now, span, counters, rows)
        with transaction.atomic():
            _skip_foreign_key_triggers()
            _insert(Case, rows["cases"])
            _insert(CaseEvent, rows["events"])
            _insert(CreditRecord, rows["records"])
        done += size
        report.events += len(rows["events"])
        report.records += len(rows["records"])
        say(f"{done}/{cases} cases, {report.events} events, {report.records} records")
    report.cases = done
    say("counting the records per merchant and day (the rollup)")
    with transaction.atomic():
        rollup_add_records_of_merchants(first_merchant_id=min(p[0] for p in pool))

    with transaction.atomic():
        for year, last in counters.items():
            CaseSequence.objects.update_or_create(prefix=prefix, year=year, defaults={"last": last})
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Merchant, MerchantStore, User, Role, Case, CaseEvent, CreditRecord]
            ):
                cursor.execute(sql)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        say("VACUUM ANALYZE")
        with connection.cursor() as cursor:
            for model in (
                Merchant,
                MerchantStore,
                User,
                Role,
                Case,
                CaseEvent,
                CreditRecord,
                CreditDaily,
            ):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"VACUUM ANALYZE {table}")
    report.seconds = time.monotonic() - started
    return report
