"""Filing a report (举报): check it, number it, record it with its evidence, start the
office's clock. Anyone may report, signed in or not, under their name or anonymously.

An anonymous report keeps nothing that points at the person who filed it: no account, no
name, no phone (and so it cannot be told the outcome: the form says so in plain words).
A named report keeps the reporter's identity in ``ReporterIdentity``, apart from the report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Merchant, RegulatorOffice
from accounts.validators import check_division_code, normalise_phone
from cases.models import Case, CaseEvent
from cases.rulesets import report_ruleset_for
from cases.services.events import event_append
from cases.services.evidence import check_evidence_file
from odr.errors import DomainError
from odr.sequences import sequence_next
from reports.models import (
    Report,
    ReporterIdentity,
    ReportEvidence,
    ReportSequence,
)
from reports.services.clocks import report_clocks_move
from reports.services.events import report_event_append
from reports.violations import VIOLATION_CODES

PREFIX = "JB"
MAX_FACTS = 5000
MAX_FILES = 10
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass
class ReportData:
    violation_kind: str
    facts: str
    merchant: Merchant | None = None
    merchant_name: str = ""
    merchant_address: str = ""
    merchant_store_url: str = ""
    merchant_division_code: str = ""
    anonymous: bool = False
    name: str = ""
    phone: str = ""
    id_number: str = ""
    wants_notice: bool = False
    language: str = "zh-hans"
    uploads: list[UploadedFile] = field(default_factory=list)


def _clean(value: str) -> str:
    return _CONTROL.sub("", value or "").strip()


def check_id_number(value: str) -> str:
    """A resident identity card number (GB 11643-1999): 17 digits and a check character."""
    text = (value or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a digit or X."))
    total = sum(int(c) * w for c, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != text[17]:
        raise ValidationError(_("This ID number's last character does not match: please check it."))
    return text


def check_report(data: ReportData) -> dict[str, str]:
    """The report's values, cleaned; a DomainError naming every field that is wrong."""
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    if data.violation_kind not in VIOLATION_CODES:
        errors["violation_kind"] = [_("Please choose the kind of violation.")]
    facts = _clean(data.facts)
    if not facts:
        errors["facts"] = [_("Please describe what the merchant did.")]
    elif len(facts) > MAX_FACTS:
        errors["facts"] = [_("Please keep it under %(n)d characters.") % {"n": MAX_FACTS}]
    values["facts"] = facts
    if data.merchant is not None:
        values["merchant_name"] = data.merchant.name
        values["division_code"] = data.merchant.division_code
        values["merchant_address"] = data.merchant.address
    else:
        name = _clean(data.merchant_name)
        if not name:
            errors["merchant_name"] = [_("Please name the merchant.")]
        elif len(name) > 200:
            errors["merchant_name"] = [_("Please keep it under %(n)d characters.") % {"n": 200}]
        values["merchant_name"] = name
        code = _clean(data.merchant_division_code)
        try:
            check_division_code(code)
        except ValidationError:
            errors["merchant_division_code"] = [
                _("Please give the six-digit code of the district where the merchant is.")
            ]
        values["division_code"] = code
        values["merchant_address"] = _clean(data.merchant_address)[:300]
    values["merchant_store_url"] = _clean(data.merchant_store_url)[:500]
    if not data.anonymous:
        name = _clean(data.name)
        if not name:
            errors["name"] = [_("Please give your name, or report anonymously.")]
        elif len(name) > 100:
            errors["name"] = [_("Please keep it under %(n)d characters.") % {"n": 100}]
        values["name"] = name
        try:
            values["phone"] = normalise_phone(_clean(data.phone))
        except ValidationError as exc:
            errors["phone"] = list(exc.messages)
        values["id_number"] = ""
        if _clean(data.id_number):
            try:
                values["id_number"] = check_id_number(_clean(data.id_number))
            except ValidationError as exc:
                errors["id_number"] = list(exc.messages)
    if len(data.uploads) > MAX_FILES:
        errors["files"] = [_("At most %(n)d files.") % {"n": MAX_FILES}]
    if errors:
        raise DomainError(
            _("The report is not complete yet: please see the fields marked."),
            code="invalid_report",
            fields=errors,
        )
    return values


def report_reference_next(*, year: int) -> str:
    """The next JB-<year>-<number> (odr/sequences.py, as a case's reference: a filing that
    fails afterwards leaves a gap)."""
    return f"{PREFIX}-{year}-{sequence_next(ReportSequence, prefix=PREFIX, year=year):06d}"


def _evidence_add(report: Report, uploads: list[UploadedFile]) -> None:
    for already, upload in enumerate(uploads):
        kind, sha = check_evidence_file(upload, already=already)
        evidence = ReportEvidence(
            report=report,
            kind=kind,
            original_name=(upload.name or "")[:255],
            size=upload.size or 0,
            sha256=sha,
        )
        evidence.file.save("upload", File(upload), save=False)
        evidence.save()


def report_file(
    *,
    reporter,
    data: ReportData,
    case: Case | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """File a report; ``reporter`` is the signed-in user (or None), kept only for a named
    report. The office's decision clock starts on receipt."""
    values = check_report(data)
    # Files are checked before a number is taken, so a refused file leaves no gap.
    for already, upload in enumerate(data.uploads):
        check_evidence_file(upload, already=already)
    now = now or timezone.now()
    received_on = timezone.localdate(now)
    rules = report_ruleset_for(received_on)
    reference = report_reference_next(year=received_on.year)
    named_account = (
        reporter if (not data.anonymous and getattr(reporter, "is_authenticated", False)) else None
    )
    with transaction.atomic():
        report = Report.objects.create(
            reference=reference,
            ruleset=rules.key,
            language=data.language[:10] or "zh-hans",
            submitted_at=now,
            reporter=named_account,
            anonymous=data.anonymous,
            wants_notice=bool(data.wants_notice) and not data.anonymous,
            merchant=data.merchant,
            merchant_name=values["merchant_name"],
            merchant_address=values["merchant_address"],
            merchant_store_url=values["merchant_store_url"],
            division_code=values["division_code"],
            office=RegulatorOffice.objects.covering(values["division_code"]),
            violation_kind=data.violation_kind,
            facts=values["facts"],
            case=case,
        )
        if not data.anonymous:
            ReporterIdentity.objects.create(
                report=report,
                name=values["name"],
                phone=values["phone"],
                id_number=values["id_number"],
            )
        _evidence_add(report, data.uploads)
        report_event_append(
            report=report,
            kind="report.filed",
            actor=named_account,
            actor_role="reporter" if not data.anonymous else "anonymous",
            to_state=report.state,
            payload={
                "violation_kind": data.violation_kind,
                "anonymous": data.anonymous,
                "wants_notice": report.wants_notice,
                "evidence": len(data.uploads),
            },
        )
        report_clocks_move(report=report, step="report_file", at=now)
        if case is not None:
            _link_case(report, case, named_account)
    return report


def _link_case(report: Report, case: Case, actor) -> None:
    """Name each in the other's log: the report its complaint, the case (staff only) its
    report. The merchant sees the complaint, never that it was also reported."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    report_event_append(
        report=report,
        kind="report.case_linked",
        actor=actor,
        actor_role="reporter",
        payload={"case": locked.reference},
    )
    event_append(
        case=locked,
        kind="case.report_linked",
        actor=actor,
        actor_role="consumer",
        payload={"report": report.reference},
        visibility=CaseEvent.Visibility.STAFF,
    )


def report_file_with_case(
    *, case: Case, reporter, violation_kind: str, wants_notice: bool
) -> Report:
    """The report half of "a complaint and a report in one submission": the complaint's
    merchant, facts and evidence, the complainant as the named reporter."""
    data = ReportData(
        violation_kind=violation_kind,
        facts=case.facts,
        merchant=case.merchant,
        merchant_name=case.merchant_name,
        merchant_address=case.merchant_address,
        merchant_store_url=case.merchant_store_url,
        merchant_division_code=case.division_code,
        anonymous=False,
        name=case.complainant_name,
        phone=case.complainant_phone,
        wants_notice=wants_notice,
        language=case.language,
    )
    report = report_file(reporter=reporter, data=data, case=case)
    # The complaint's files are the report's evidence too: the same stored files.
    ReportEvidence.objects.bulk_create(
        [
            ReportEvidence(
                report=report,
                file=e.file.name,
                kind=e.kind,
                original_name=e.original_name,
                size=e.size,
                sha256=e.sha256,
            )
            for e in case.evidence.all()
        ]
    )
    return report
