"""Reads for credit files: a merchant's figures and index, the disclosure search, the export
feed, and the ``access_*`` fetches that check the caller's right.

Every figure is computed from credit records at read time (or, for lists, from the
snapshot the recomputation writes from records): nothing here is a counter that a
concurrent writer could get wrong.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, F, FloatField, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Merchant, MerchantStore, Role, store_url_key
from accounts.validators import USCC_ALPHABET
from credit.index import (
    INDEX_KINDS,
    REPAIRABLE_KINDS,
    IndexResult,
    decay_expression,
    index_compute,
)
from credit.models import (
    CreditDaily,
    CreditRecord,
    MerchantCreditIndex,
    NegativeListEntry,
    RecordKind,
    RepairApplication,
)
from odr.divisions import division_covers, division_prefix
from odr.errors import DomainError, NotAllowed, NotFound

K = RecordKind
WINDOW = relativedelta(months=12)
TIMELINE_LIMIT = 25
FEED_LIMIT_MAX = 500


def window_days(now: dt.datetime) -> tuple[int, int]:
    """'The last 12 months' at ``now`` as day numbers: after the first, up to the second.

    Days are Beijing dates: from the day after the same date a year ago, through today.
    """
    today = timezone.localdate(now)
    return (today - WINDOW).toordinal(), today.toordinal()


def window_start(now: dt.datetime) -> dt.datetime:
    """The first moment of the last 12 months (the start of that Beijing day)."""
    first = dt.date.fromordinal(window_days(now)[0] + 1)
    return dt.datetime.combine(first, dt.time.min, tzinfo=timezone.get_default_timezone())


def window_end(now: dt.datetime) -> dt.datetime:
    """The end of the last 12 months: the start of tomorrow (Beijing)."""
    tomorrow = dt.date.fromordinal(window_days(now)[1] + 1)
    return dt.datetime.combine(tomorrow, dt.time.min, tzinfo=timezone.get_default_timezone())


def _in_window(now: dt.datetime) -> Q:
    first, last = window_days(now)
    return Q(day__gt=first, day__lte=last)


# --- Figures ---------------------------------------------------------------------------


@dataclass
class Figures:
    """A merchant's last 12 months, counted from its records."""

    complaints: int = 0
    accepted: int = 0
    resolved: int = 0
    unresolved: int = 0
    answered: int = 0
    answered_late: int = 0
    answer_missed: int = 0
    refusals_absences: int = 0
    performed_on_time: int = 0
    performed_late: int = 0
    breaches: int = 0
    breaches_repaired: int = 0
    adverse_awards: int = 0
    repaired: int = 0
    median_first_answer_hours: float | None = None

    @property
    def concluded(self) -> int:
        return self.resolved + self.unresolved

    @property
    def resolution_rate(self) -> float | None:
        """Resolved out of the complaints that reached an outcome; None before any did."""
        return self.resolved / self.concluded if self.concluded else None

    @property
    def breaches_unrepaired(self) -> int:
        return self.breaches - self.breaches_repaired

    def as_dict(self) -> dict:
        rate = self.resolution_rate
        return {
            "complaints": self.complaints,
            "accepted": self.accepted,
            "resolved": self.resolved,
            "not_resolved": self.unresolved,
            "resolution_rate": round(rate, 4) if rate is not None else None,
            "median_hours_to_first_answer": self.median_first_answer_hours,
            "answers": {
                "in_time": self.answered,
                "late": self.answered_late,
                "missed": self.answer_missed,
            },
            "refusals_and_absences": self.refusals_absences,
            "performance": {
                "on_time": self.performed_on_time,
                "late": self.performed_late,
                "breached": self.breaches,
                "breaches_repaired": self.breaches_repaired,
            },
            "adverse_awards": self.adverse_awards,
            "records_repaired": self.repaired,
        }


_FIELD_OF_KIND = {
    K.COMPLAINT: "complaints",
    K.ACCEPTED: "accepted",
    K.RESOLVED: "resolved",
    K.UNRESOLVED: "unresolved",
    K.ANSWERED: "answered",
    K.ANSWERED_LATE: "answered_late",
    K.ANSWER_MISSED: "answer_missed",
    K.REFUSAL_OR_ABSENCE: "refusals_absences",
    K.PERFORMED_ON_TIME: "performed_on_time",
    K.PERFORMED_LATE: "performed_late",
    K.BREACH: "breaches",
    K.ADVERSE_AWARD: "adverse_awards",
}


def merchant_figures(
    *, merchant_ids: Iterable[int], now: dt.datetime | None = None, median: bool = True
) -> dict[int, Figures]:
    """The 12-month figures of several merchants, from the per-day rollup in one query
    (and one more for the medians, from the records)."""
    now = now or timezone.now()
    ids = list(merchant_ids)
    figures = {pk: Figures() for pk in ids}
    if not ids:
        return figures
    rows = (
        CreditDaily.objects.filter(_in_window(now), merchant_id__in=ids)
        .values("merchant_id", "kind")
        .annotate(total=Sum("n"), fixed=Sum("repaired"))
        .order_by()
    )
    for row in rows:
        _count(figures[row["merchant_id"]], row["kind"], row["total"], row["fixed"])
    if median:
        for merchant_id, hours in _medians(ids, now).items():
            figures[merchant_id].median_first_answer_hours = hours
    return figures


def _count(figures: Figures, kind: str, n: int, repaired: int) -> None:
    name = _FIELD_OF_KIND.get(kind)
    if kind not in REPAIRABLE_KINDS:
        # Only a reversal marks a record of a kind that cannot be repaired: the deadline it
        # rested on moved, and the record the new date gave counts instead. A repaired
        # breach stays a breach in the figures; a reversed late answer was never one.
        if name:
            setattr(figures, name, getattr(figures, name) + n - repaired)
        return
    if name:
        setattr(figures, name, getattr(figures, name) + n)
    figures.repaired += repaired
    if kind == K.BREACH:
        figures.breaches_repaired += repaired


class _Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the median computed where the rows are."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _medians(ids: list[int], now: dt.datetime) -> dict[int, float]:
    """The median hours to the merchant's first answer, over the last 12 months."""
    answers = CreditRecord.objects.filter(
        merchant_id__in=ids,
        occurred_at__gte=window_start(now),
        occurred_at__lt=window_end(now),
        kind__in=(K.ANSWERED, K.ANSWERED_LATE),
        response_seconds__isnull=False,
        repaired_at__isnull=True,  # a reversed answer is counted once, by its correction
    )
    if connection.vendor == "postgresql":
        rows = answers.values("merchant_id").annotate(m=_Median("response_seconds")).order_by()
        return {r["merchant_id"]: round(r["m"] / 3600, 1) for r in rows}
    seconds: dict[int, list[int]] = {}
    for merchant_id, value in answers.values_list("merchant_id", "response_seconds"):
        seconds.setdefault(merchant_id, []).append(value)
    return {pk: round(statistics.median(v) / 3600, 1) for pk, v in seconds.items()}


def merchant_summary(
    *, merchant_id: int, now: dt.datetime | None = None, median: bool = True
) -> tuple[Figures, IndexResult]:
    """One merchant's 12-month figures and index from one grouped query over its rollup
    rows (at most one per kind and day, however many records), and the median.
    """
    now = now or timezone.now()
    as_of = timezone.localdate(now)
    window = _in_window(now)
    rows = (
        CreditDaily.objects.filter(merchant_id=merchant_id)
        .values("kind")
        .annotate(
            total=Sum("n", filter=window),
            fixed=Sum("repaired", filter=window),
            weighted=Sum((F("n") - F("repaired")) * decay_expression(as_of)),
        )
        .order_by()
    )
    figures = Figures()
    sums: dict[str, float] = {}
    for row in rows:
        _count(figures, row["kind"], row["total"] or 0, row["fixed"] or 0)
        if row["kind"] in INDEX_KINDS:
            sums[row["kind"]] = float(row["weighted"] or 0.0)
    if median:
        figures.median_first_answer_hours = _medians([merchant_id], now).get(merchant_id)
    return figures, index_compute(sums, as_of=as_of)


def merchant_index(*, merchant: Merchant, as_of: dt.date | None = None) -> IndexResult:
    """The merchant's complaint-handling index (today, or at the end of ``as_of``)."""
    now = timezone.now()
    if as_of is not None and as_of != timezone.localdate(now):
        now = dt.datetime.combine(as_of, dt.time(12), tzinfo=timezone.get_default_timezone())
    return merchant_summary(merchant_id=merchant.pk, now=now, median=False)[1]


# --- The merchant's file ---------------------------------------------------------------


def merchant_by_uscc(*, uscc: str) -> Merchant:
    code = (uscc or "").strip().upper()
    merchant = (
        Merchant.objects.filter(uscc=code).prefetch_related("stores").first()
        if len(code) == 18
        else None
    )
    if merchant is None:
        raise NotFound(_("There is no merchant with the code %(code)s.") % {"code": code[:18]})
    return merchant


@dataclass(frozen=True)
class OdrStatus:
    enrolled: bool
    joined_on: dt.date | None
    left_on: dt.date | None

    @property
    def label(self) -> str:
        if self.enrolled:
            return _("Takes part in online dispute resolution (ODR)")
        if self.left_on:
            return _("Left online dispute resolution (ODR)")
        return _("Not in online dispute resolution (ODR)")

    def as_dict(self) -> dict:
        return {
            "enrolled": self.enrolled,
            "joined_on": self.joined_on.isoformat() if self.joined_on else None,
            "left_on": self.left_on.isoformat() if self.left_on else None,
            "label": str(self.label),
        }


def odr_status(merchant: Merchant, *, today: dt.date | None = None) -> OdrStatus:
    today = today or timezone.localdate()
    return OdrStatus(
        enrolled=merchant.odr_enrolled_on(today),
        joined_on=merchant.odr_joined_on,
        left_on=merchant.odr_left_on,
    )


@dataclass
class CreditFile:
    merchant: Merchant
    odr: OdrStatus
    figures: Figures
    index: IndexResult
    records: list[dict]
    older: int | None  # the id to page on from, if there are older records
    negative_list: NegativeListEntry | None
    computed_at: dt.datetime
    stores: list[MerchantStore] = field(default_factory=list)
    # For a reader who sees every entry: how many of them the public does not see (the
    # consumer did not agree to publication). None for the public, who is not told.
    not_public: int | None = None


TIMELINE_FIELDS = (
    "id",
    "kind",
    "occurred_at",
    "case_reference",
    "category",
    "consumer",
    "details",
    "repaired_at",
    "repairs_id",
    "repairs__kind",
    "repairs__occurred_at",
    "corrects_id",
    "published",
    "reply__body",
    "reply__created_at",
)


def kind_labels() -> dict[str, str]:
    """Record kinds in the current language (once per request, not once per record)."""
    return {value: str(label) for value, label in RecordKind.choices}


def category_labels() -> dict[str, str]:
    from cases.categories import CATEGORY_CHOICES

    return {value: str(label) for value, label in CATEGORY_CHOICES}


def merchant_records(
    *,
    merchant: Merchant,
    before: int | None = None,
    limit: int = TIMELINE_LIMIT,
    every_entry: bool = False,
) -> tuple[list[dict], int | None]:
    """The newest records first, as plain rows with their reply and what they repair, and
    the id to ask for the next page from.

    Only the published ones (the consumer agreed to publication) unless ``every_entry``:
    the reader is the merchant's staff or a regulator of it (``sees_every_entry``).
    """
    records = CreditRecord.objects.filter(merchant=merchant)
    if not every_entry:
        records = records.filter(published=True)
    if before:
        anchor = (
            CreditRecord.objects.filter(merchant=merchant, pk=before)
            .values_list("occurred_at", flat=True)
            .first()
        )
        if anchor is not None:
            records = records.filter(
                Q(occurred_at__lt=anchor) | Q(occurred_at=anchor, id__lt=before)
            )
    page = _timeline(records.order_by("-occurred_at", "-id")[: limit + 1])
    older = page[limit - 1]["id"] if len(page) > limit else None
    return page[:limit], older


def merchant_records_by_id(*, merchant: Merchant, ids: Iterable[int]) -> list[dict]:
    """Given records of the merchant as timeline rows (a form to show again with errors)."""
    return _timeline(CreditRecord.objects.filter(merchant=merchant, pk__in=list(ids)))


def _timeline(records: QuerySet[CreditRecord]) -> list[dict]:
    rows = list(records.values(*TIMELINE_FIELDS))
    kinds, categories = kind_labels(), category_labels()
    for row in rows:
        row["label"] = kinds.get(row["kind"], row["kind"])
        row["category_label"] = categories.get(row["category"], row["category"])
        row["counts_in_index"] = row["kind"] in INDEX_KINDS and row["repaired_at"] is None
        # A repair marks only the kinds it can repair; a mark on any other is a reversal's.
        row["reversed"] = row["repaired_at"] is not None and row["kind"] not in REPAIRABLE_KINDS
        row["repairs_label"] = kinds.get(row["repairs__kind"] or "", "")
    return rows


def records_by_id(ids: list[int]) -> dict[int, CreditRecord]:
    return CreditRecord.objects.in_bulk(ids) if ids else {}


def latest_repair_applications(record_ids: list[int]) -> dict[int, RepairApplication]:
    """Per record, its latest repair application: what the merchant's staff see of it
    (pending, or the regulator's decision and reason). Never shown to the public."""
    latest: dict[int, RepairApplication] = {}
    if not record_ids:
        return latest
    applications = RepairApplication.objects.filter(record_id__in=record_ids).order_by(
        "record_id", "-applied_at", "-id"
    )
    for application in applications:
        latest.setdefault(application.record_id, application)
    return latest


def credit_file(
    *,
    merchant: Merchant,
    before: int | None = None,
    now: dt.datetime | None = None,
    every_entry: bool = False,
) -> CreditFile:
    """The merchant's file as ``every_entry`` says the reader may see it: the figures and
    the index count every record either way; the entries are the published ones only,
    unless the reader sees every entry (and is then told how many the public does not)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    records, older = merchant_records(merchant=merchant, before=before, every_entry=every_entry)
    figures, index = merchant_summary(merchant_id=merchant.pk, now=now)
    not_public = None
    if every_entry:
        not_public = CreditRecord.objects.filter(merchant=merchant, published=False).count()
    return CreditFile(
        merchant=merchant,
        odr=odr_status(merchant, today=today),
        figures=figures,
        index=index,
        records=records,
        older=older,
        negative_list=NegativeListEntry.objects.filter(
            merchant=merchant, removed_at__isnull=True
        ).first(),
        computed_at=now,
        stores=list(merchant.stores.all()),
        not_public=not_public,
    )


# --- Public disclosure -----------------------------------------------------------------

DISCLOSURE_LIMIT = 20
_USCC_CHARS = frozenset(USCC_ALPHABET)


def disclosure_search(*, q: str, limit: int = DISCLOSURE_LIMIT) -> list[Merchant]:
    """Merchants by name (part of it), unified social credit code (or its start) or store URL.

    Each branch is one indexed query (trigram indexes on PostgreSQL, see the migration);
    together at most ``limit`` merchants, exact code matches first.
    """
    text = (q or "").strip()[:200]
    if not text:
        return []
    found: dict[int, Merchant] = {}

    def take(queryset: QuerySet[Merchant]) -> None:
        for merchant in queryset.order_by("name", "id")[: limit - len(found)]:
            found.setdefault(merchant.pk, merchant)

    code = text.upper()
    if len(code) >= 6 and set(code) <= _USCC_CHARS:
        take(Merchant.objects.filter(uscc__startswith=code))
    if len(found) < limit:
        take(Merchant.objects.filter(name__icontains=text))
    key = store_url_key(text)
    if len(found) < limit and len(key) >= 4 and not set(code) <= _USCC_CHARS:
        ids = MerchantStore.objects.filter(url_key__contains=key.lower()).values("merchant_id")
        take(Merchant.objects.filter(pk__in=ids))
    merchants = list(found.values())[:limit]
    stores: dict[int, list[MerchantStore]] = {}
    for store in MerchantStore.objects.filter(merchant_id__in=[m.pk for m in merchants]):
        stores.setdefault(store.merchant_id, []).append(store)
    for merchant in merchants:
        merchant.store_list = stores.get(merchant.pk, [])
    return merchants


@dataclass
class DisclosureRow:
    merchant: Merchant
    figures: Figures
    odr: OdrStatus
    on_negative_list: bool


def disclosure_rows(*, merchants: list[Merchant], now: dt.datetime | None = None):
    """Per merchant what SAMR's complaint-information rules publish: 12-month complaints,
    resolution rate, ODR status (and the negative list)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ids = [m.pk for m in merchants]
    figures = merchant_figures(merchant_ids=ids, now=now, median=False)
    listed = set(
        NegativeListEntry.objects.filter(merchant_id__in=ids, removed_at__isnull=True).values_list(
            "merchant_id", flat=True
        )
    )
    return [
        DisclosureRow(m, figures[m.pk], odr_status(m, today=today), m.pk in listed)
        for m in merchants
    ]


def negative_list_public() -> QuerySet[NegativeListEntry]:
    return (
        NegativeListEntry.objects.filter(removed_at__isnull=True)
        .select_related("merchant")
        .order_by("-confirmed_at", "-id")
    )


# --- The export feed -------------------------------------------------------------------


class BadCursor(DomainError):
    code = "bad_cursor"


_CURSOR_CHARS = re.compile(r"[A-Za-z0-9_-]{1,100}")


def cursor_encode(txid: int, pk: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{txid}:{pk}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[int, int]:
    text = (cursor or "").strip()
    if not text:
        return (-1, 0)
    try:
        if not _CURSOR_CHARS.fullmatch(text):
            raise ValueError(text)
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        version, txid, pk = raw.split(":")
        if version != "v1":
            raise ValueError(version)
        values = (int(txid), int(pk))
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise BadCursor(_("This cursor is not one the feed gave out.")) from exc
    if not (0 <= values[0] < 2**63 and 0 <= values[1] < 2**63):
        raise BadCursor(_("This cursor is not one the feed gave out."))
    return values


def records_feed(
    *, cursor: str = "", limit: int = 100, scope: Q | None = None
) -> tuple[list[CreditRecord], str]:
    """Records in a stable order after ``cursor``, and the cursor to continue from.

    ``scope`` is what the reader may read (``feed_scope``); None: every record.

    The order is (writing transaction id, id). On PostgreSQL only records of transactions
    that finished before every transaction still running are served, so one that commits
    late can never fall behind a cursor already handed out (docs/credit.md). An empty
    page returns the same cursor: ask again later.
    """
    txid, pk = cursor_decode(cursor)
    limit = max(1, min(limit, FEED_LIMIT_MAX))
    records = CreditRecord.objects.select_related("merchant").filter(
        Q(txid__gt=txid) | Q(txid=txid, id__gt=pk)
    )
    if scope is not None:
        records = records.filter(scope)
    if connection.vendor == "postgresql":
        # Finished before every transaction still running; or written by this very
        # transaction (which sees its own rows: tests, a script that writes and reads).
        records = records.filter(
            Q(txid__lt=RawSQL("txid_snapshot_xmin(txid_current_snapshot())", []))
            | Q(txid=RawSQL("txid_current_if_assigned()", []))
        )
    page = list(records.order_by("txid", "id")[:limit])
    if not page:
        return [], cursor or cursor_encode(max(txid, 0), pk)
    last = page[-1]
    return page, cursor_encode(last.txid, last.pk)


def record_export(record: CreditRecord) -> dict:
    """A record as the feed, the push and the JSON Lines export give it: de-identified,
    and without anything that changes later (a repair is a record of its own), but for
    ``public``: whether the consumer agrees to publication, as read. It can change only
    until the regulator decides on acceptance; who gets an unpublished record at all is
    decided before (``feed_scope``): a regulator's system, told not to show it."""
    return {
        "id": record.pk,
        "kind": record.kind,
        "merchant": {"uscc": record.merchant.uscc, "name": record.merchant.name},
        "case": record.case_reference,
        "category": record.category,
        "consumer": record.consumer,
        "division_code": record.division_code,
        "occurred_at": record.occurred_at.isoformat(),
        "recorded_at": record.recorded_at.isoformat(),
        "details": record.details,
        "response_seconds": record.response_seconds,
        "repairs": record.repairs_id,
        "corrects": record.corrects_id,
        "public": record.published,
    }


# --- Who may do what -------------------------------------------------------------------


def _roles(user) -> list[Role]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_credit_roles", None)
    if cached is None:
        cached = list(user.roles.all())
        user._credit_roles = cached
    return cached


def is_merchant_staff(user, merchant_id: int) -> bool:
    return any(
        r.kind == Role.Kind.MERCHANT_STAFF and r.merchant_id == merchant_id for r in _roles(user)
    )


def regulator_jurisdictions(user) -> list[str]:
    return [r.jurisdiction for r in _roles(user) if r.kind == Role.Kind.REGULATOR]


def regulates(user, merchant: Merchant) -> bool:
    """A regulator whose jurisdiction covers the merchant's registered place."""
    return any(division_covers(j, merchant.division_code) for j in regulator_jurisdictions(user))


def sees_every_entry(user, merchant: Merchant) -> bool:
    """The merchant's own staff and the regulators of its jurisdiction see every entry of
    its file: they are a party to its cases or supervise them. Everyone else (anonymous or
    signed in) is the public, who sees a case's own entries only where its consumer agreed
    to publication."""
    return is_merchant_staff(user, merchant.pk) or regulates(user, merchant)


def feed_scope(user) -> Q | None:
    """Which records a reader of the feed gets (the caller has checked ``may_read_feed``).

    Administrators (who run the platform and its exports): every record (None). A
    regulator: the published ones and every record of the merchants of its jurisdiction.
    Anyone else with the export permission (a partner's credit system): the published
    ones only; what the consumer did not agree to publish never leaves the platform for a
    partner, not even stripped of its case (docs/credit.md, "Publication").
    """
    if any(r.kind == Role.Kind.ADMINISTRATOR for r in _roles(user)):
        return None
    scope = Q(published=True)
    jurisdiction = _jurisdiction_filter(user, "merchant__division_code")
    if jurisdiction is not None:
        scope |= jurisdiction
    return scope


def may_read_feed(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if any(r.kind in (Role.Kind.ADMINISTRATOR, Role.Kind.REGULATOR) for r in _roles(user)):
        return True
    return user.has_perm("credit.export_creditrecord")


def access_record_for_merchant(*, user, record_id: int, uscc: str | None = None) -> CreditRecord:
    """A record of a merchant the user works for (to reply to it or ask for its repair).

    Unknown record (or not of this merchant): NotFound. Another merchant's: NotAllowed.
    """
    record = CreditRecord.objects.select_related("merchant", "reply").filter(pk=record_id).first()
    if record is None:
        raise NotFound(_("There is no such record."))
    if uscc is not None and record.merchant.uscc != uscc:
        raise NotFound(_("There is no such record."))
    if not is_merchant_staff(user, record.merchant_id):
        raise NotAllowed(_("Only the merchant's own staff may do this."), code="not_your_merchant")
    return record


def access_repair_for_regulator(*, user, application_id: int) -> RepairApplication:
    """A repair application a regulator of the merchant's jurisdiction may decide."""
    application = (
        RepairApplication.objects.select_related("record", "merchant")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise NotFound(_("There is no such application."))
    if not regulator_jurisdictions(user):
        raise NotAllowed(_("Only regulators decide on credit repair."), code="not_a_regulator")
    if not regulates(user, application.merchant):
        raise NotAllowed(
            _("This merchant is outside your jurisdiction."), code="outside_jurisdiction"
        )
    return application


def access_merchant_for_regulator(*, user, uscc: str) -> Merchant:
    merchant = merchant_by_uscc(uscc=uscc)
    if not regulator_jurisdictions(user):
        raise NotAllowed(_("Only regulators keep the negative list."), code="not_a_regulator")
    if not regulates(user, merchant):
        raise NotAllowed(
            _("This merchant is outside your jurisdiction."), code="outside_jurisdiction"
        )
    return merchant


def _jurisdiction_filter(user, field_name: str) -> Q | None:
    prefixes = [division_prefix(j) for j in regulator_jurisdictions(user)]
    if not prefixes:
        return None
    condition = Q()
    for prefix in prefixes:
        condition |= Q(**{f"{field_name}__startswith": prefix})
    return condition


def repairs_pending_for(*, user) -> QuerySet[RepairApplication]:
    condition = _jurisdiction_filter(user, "merchant__division_code")
    if condition is None:
        return RepairApplication.objects.none()
    return (
        RepairApplication.objects.filter(condition, status=RepairApplication.Status.PENDING)
        .select_related("record", "merchant", "applied_by")
        .order_by("applied_at", "id")
    )


@dataclass
class Candidate:
    merchant: Merchant
    grade: str
    score: float
    breaches: int
    entry: NegativeListEntry | None


def negative_list_for(*, user, limit: int = 200) -> list[Candidate]:
    """For a regulator: merchants of the jurisdiction at grade D or with repeated breaches
    (from the latest recomputation), and those already on the list."""
    condition = _jurisdiction_filter(user, "merchant__division_code")
    if condition is None:
        return []
    threshold = settings.CREDIT_NEGATIVE_LIST_BREACHES
    snapshots = (
        MerchantCreditIndex.objects.filter(condition)
        .filter(Q(grade="D") | Q(breaches_12m__gte=threshold))
        .select_related("merchant")
        .order_by("score", "merchant__name")[:limit]
    )
    entries = {
        e.merchant_id: e
        for e in NegativeListEntry.objects.filter(condition, removed_at__isnull=True)
        .select_related("merchant")
        .order_by("review_on")
    }
    out = [
        Candidate(
            s.merchant, s.grade, float(s.score), s.breaches_12m, entries.pop(s.merchant_id, None)
        )
        for s in snapshots
    ]
    for entry in entries.values():
        snapshot = MerchantCreditIndex.objects.filter(merchant_id=entry.merchant_id).first()
        out.append(
            Candidate(
                entry.merchant,
                snapshot.grade if snapshot else "",
                float(snapshot.score) if snapshot else 0.0,
                snapshot.breaches_12m if snapshot else 0,
                entry,
            )
        )
    return out
