"""Risk early warning: the rules, run over the cases and credit records.

Each detector returns candidates (subject, window, numbers, cases). ``alert_raise`` turns
a candidate into an alert exactly once: the (rule, subject, window) key is unique, and a
spike that carries on while its alert is still being handled raises nothing new. So the
beat schedule may run detection as often as it likes. Formulas: docs/supervision.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Merchant, store_url_key
from cases.models import Case
from odr.divisions import division_prefix
from supervision.models import Alert, AlertRule, RuleKind
from supervision.services.notices import alert_notices_record

MAX_EVIDENCE_CASES = 50


@dataclass
class Candidate:
    subject: str
    window: str
    division_code: str
    subject_label: str
    evidence: dict = field(default_factory=dict)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def spike_threshold(history: list[int], sigmas: float) -> tuple[float, float, float]:
    """(mean, population standard deviation, mean + sigmas × sd) of the weekly counts."""
    mean = sum(history) / len(history)
    sd = math.sqrt(sum((x - mean) ** 2 for x in history) / len(history))
    return mean, sd, mean + sigmas * sd


def rule_cases(rule: AlertRule, cases: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """The cases a rule watches: its jurisdiction, less the areas with a rule of their own."""
    cases = cases if cases is not None else Case.objects.all()
    prefix = division_prefix(rule.jurisdiction) if rule.jurisdiction else ""
    if prefix:
        cases = cases.filter(division_code__startswith=prefix)
    for other in AlertRule.objects.filter(kind=rule.kind).exclude(pk=rule.pk):
        other_prefix = division_prefix(other.jurisdiction) if other.jurisdiction else ""
        if len(other_prefix) > len(prefix) and other_prefix.startswith(prefix):
            cases = cases.exclude(division_code__startswith=other_prefix)
    return cases


def _local_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end, dt.time.min, tzinfo=tz),
    )


def _weekly_spikes(
    rule: AlertRule, cases: QuerySet[Case], *, keys: tuple[str, ...], today: dt.date
) -> list[tuple[tuple, dt.date, dict]]:
    """For the current week and the one before: each key whose count spiked."""
    current = week_start(today)
    windows = [current - dt.timedelta(days=7), current]
    weeks = rule.weeks
    first = windows[0] - dt.timedelta(days=7 * weeks)
    start, end = _local_range(first, current + dt.timedelta(days=7))
    rows = (
        cases.filter(submitted_at__gte=start, submitted_at__lt=end)
        .order_by()
        .annotate(day=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()))
        .values_list(*keys, "day")
        .annotate(n=Count("id"))
    )
    weekly: dict[tuple, Counter] = defaultdict(Counter)
    for *key, day, n in rows:
        weekly[tuple(key)][week_start(day)] += n
    sigmas = float(rule.sigmas)
    found = []
    for key, counts in weekly.items():
        for window in windows:
            count = counts.get(window, 0)
            if count < rule.min_count:
                continue
            history = [
                counts.get(window - dt.timedelta(days=7 * i), 0) for i in range(weeks, 0, -1)
            ]
            mean, sd, threshold = spike_threshold(history, sigmas)
            if count > threshold:
                found.append(
                    (
                        key,
                        window,
                        {
                            "count": count,
                            "history": history,
                            "mean": round(mean, 2),
                            "sd": round(sd, 2),
                            "threshold": round(max(threshold, rule.min_count), 2),
                            "from": window.isoformat(),
                            "to": (window + dt.timedelta(days=6)).isoformat(),
                        },
                    )
                )
    return found


def _window_cases(cases: QuerySet[Case], condition: Q, window: dt.date) -> tuple[list[str], str]:
    """The references of a spike's cases (the evidence) and their commonest district."""
    start, end = _local_range(window, window + dt.timedelta(days=7))
    rows = list(
        cases.filter(condition, submitted_at__gte=start, submitted_at__lt=end)
        .order_by("submitted_at", "id")
        .values_list("reference", "division_code")
    )
    district = Counter(code for _ref, code in rows).most_common(1)
    return [ref for ref, _code in rows[:MAX_EVIDENCE_CASES]], (district[0][0] if district else "")


def detect_merchant_spike(
    rule: AlertRule, cases: QuerySet[Case], today: dt.date
) -> list[Candidate]:
    cases = cases.filter(merchant__isnull=False)
    spikes = _weekly_spikes(rule, cases, keys=("merchant_id",), today=today)
    names = dict(
        Merchant.objects.filter(pk__in={key[0] for key, _w, _e in spikes}).values_list("pk", "name")
    )
    result = []
    for (merchant_id,), window, evidence in spikes:
        refs, district = _window_cases(cases, Q(merchant_id=merchant_id), window)
        evidence["cases"] = refs
        result.append(
            Candidate(
                subject=f"merchant:{merchant_id}",
                window=window.isoformat(),
                division_code=district,
                subject_label=names.get(merchant_id, str(merchant_id)),
                evidence=evidence,
            )
        )
    return result


def _detect_district_spike(
    rule: AlertRule, cases: QuerySet[Case], today: dt.date, *, field_name: str
) -> list[Candidate]:
    cases = cases.exclude(**{field_name: ""})
    spikes = _weekly_spikes(rule, cases, keys=("division_code", field_name), today=today)
    result = []
    for (district, value), window, evidence in spikes:
        refs, _ = _window_cases(cases, Q(division_code=district, **{field_name: value}), window)
        evidence["cases"] = refs
        result.append(
            Candidate(
                subject=f"{field_name}:{district}:{value}"[:200],
                window=window.isoformat(),
                division_code=district,
                subject_label=value,
                evidence=evidence,
            )
        )
    return result


def detect_category_spike(rule, cases, today) -> list[Candidate]:
    return _detect_district_spike(rule, cases, today, field_name="category")


def detect_platform_spike(rule, cases, today) -> list[Candidate]:
    return _detect_district_spike(rule, cases, today, field_name="platform")


def detect_repeated_breaches(
    rule: AlertRule, cases: QuerySet[Case], today: dt.date
) -> list[Candidate]:
    """A merchant with at least ``min_count`` unrepaired breaches in the last ``days`` days."""
    from credit.models import CreditRecord

    since, _ = _local_range(today - dt.timedelta(days=rule.days - 1), today)
    records = (
        CreditRecord.objects.filter(
            kind=CreditRecord.Kind.BREACH,
            repaired_at__isnull=True,
            occurred_at__gte=since,
            case__in=cases.order_by().values("pk"),
        )
        .order_by("occurred_at", "id")
        .values_list("id", "merchant_id", "case_reference", "division_code", "occurred_at")
    )
    by_merchant: dict[int, list[tuple]] = defaultdict(list)
    for row in records:
        by_merchant[row[1]].append(row)
    names = dict(
        Merchant.objects.filter(
            pk__in=[m for m, rows in by_merchant.items() if len(rows) >= rule.min_count]
        ).values_list("pk", "name")
    )
    result = []
    for merchant_id, rows in by_merchant.items():
        if len(rows) < rule.min_count:
            continue
        district = Counter(r[3] for r in rows).most_common(1)[0][0]
        result.append(
            Candidate(
                subject=f"merchant:{merchant_id}",
                # The breach that completed the count: a new breach is new evidence.
                window=f"breach:{rows[-1][0]}",
                division_code=district,
                subject_label=names.get(merchant_id, str(merchant_id)),
                evidence={
                    "count": len(rows),
                    "threshold": rule.min_count,
                    "days": rule.days,
                    "cases": [r[2] for r in rows][:MAX_EVIDENCE_CASES],
                },
            )
        )
    return result


def product_key(url: str) -> str:
    """A product page's address without scheme, 'www.', query or fragment; '' for a bare
    shop address (no path), which names a shop rather than a product."""
    key = store_url_key(url).split("#")[0].split("?")[0].rstrip("/")
    return key if "/" in key else ""


def detect_same_product(rule: AlertRule, cases: QuerySet[Case], today: dt.date) -> list[Candidate]:
    """At least ``min_count`` complaints in the last ``days`` days naming one product page."""
    since, until = _local_range(
        today - dt.timedelta(days=rule.days - 1), today + dt.timedelta(days=1)
    )
    rows = (
        cases.filter(submitted_at__gte=since, submitted_at__lt=until)
        .exclude(merchant_store_url="")
        .order_by("submitted_at", "id")
        .values_list("reference", "division_code", "merchant_store_url")
    )
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for reference, district, url in rows.iterator(chunk_size=5000):
        key = product_key(url)
        if key:
            groups[key].append((reference, district))
    window = week_start(today).isoformat()
    result = []
    for key, found in groups.items():
        if len(found) < rule.min_count:
            continue
        result.append(
            Candidate(
                subject=f"product:{key}"[:200],
                window=window,
                division_code=Counter(d for _r, d in found).most_common(1)[0][0],
                subject_label=key[:300],
                evidence={
                    "count": len(found),
                    "threshold": rule.min_count,
                    "days": rule.days,
                    "cases": [r for r, _d in found][:MAX_EVIDENCE_CASES],
                },
            )
        )
    return result


def detect_report_surge(rule: AlertRule, cases: QuerySet[Case], today: dt.date) -> list[Candidate]:
    """A merchant's weekly reports of suspected violations spike, as a merchant's complaints
    do (the same formula), among the reports of the rule's area. The evidence lists the
    reports' references, never who reported."""
    from reports.models import Report

    reports = rule_cases(rule, Report.objects.filter(merchant__isnull=False))
    spikes = _weekly_spikes(rule, reports, keys=("merchant_id",), today=today)
    names = dict(
        Merchant.objects.filter(pk__in={key[0] for key, _w, _e in spikes}).values_list("pk", "name")
    )
    result = []
    for (merchant_id,), window, evidence in spikes:
        refs, district = _window_cases(reports, Q(merchant_id=merchant_id), window)
        evidence["reports"] = refs
        evidence["cases"] = []
        result.append(
            Candidate(
                subject=f"reports:merchant:{merchant_id}",
                window=window.isoformat(),
                division_code=district,
                subject_label=names.get(merchant_id, str(merchant_id)),
                evidence=evidence,
            )
        )
    return result


DETECTORS = {
    RuleKind.MERCHANT_SPIKE: detect_merchant_spike,
    RuleKind.CATEGORY_SPIKE: detect_category_spike,
    RuleKind.PLATFORM_SPIKE: detect_platform_spike,
    RuleKind.REPEATED_BREACHES: detect_repeated_breaches,
    RuleKind.SAME_PRODUCT: detect_same_product,
    RuleKind.REPORT_SURGE: detect_report_surge,
}


def alert_raise(*, rule: AlertRule, candidate: Candidate, now: dt.datetime) -> Alert | None:
    """The new alert for a candidate, or None when it was raised before (same window, or
    an alert on the same subject is still being handled)."""
    if (
        Alert.objects.filter(rule=rule, subject=candidate.subject)
        .filter(Q(window=candidate.window) | ~Q(status=Alert.Status.CLOSED))
        .exists()
    ):
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                kind=rule.kind,
                severity=rule.severity,
                division_code=candidate.division_code,
                subject=candidate.subject,
                window=candidate.window,
                subject_label=candidate.subject_label[:300],
                evidence=candidate.evidence,
                created_at=now,
            )
            alert_notices_record(alert=alert, now=now)
    except IntegrityError:  # raised meanwhile by a concurrent run
        return None
    return alert


def alerts_detect(*, now: dt.datetime | None = None) -> list[Alert]:
    """Run every enabled rule once; the alerts raised by this run."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    raised = []
    for rule in AlertRule.objects.filter(enabled=True).order_by("pk"):
        cases = rule_cases(rule)
        for candidate in DETECTORS[rule.kind](rule, cases, today):
            alert = alert_raise(rule=rule, candidate=candidate, now=now)
            if alert is not None:
                raised.append(alert)
    return raised
