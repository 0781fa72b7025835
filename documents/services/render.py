"""Rendering a document: the facts it states (from the case, its events and its rule set),
the Django template of its kind and language, and WeasyPrint.

The legal texts themselves live in the templates, one per kind and language
(templates/documents/pdf/<language>/<kind>.html); this module gathers what they need as
plain values, so a template never reaches into the database.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from cases.models import Case, CaseEvent, Message, Offer
from cases.rulesets import ground as find_ground
from cases.rulesets import ruleset_by_key
from documents import kinds
from documents.kinds import Kind
from documents.models import Document
from documents.services.artwork import qr_data_uri
from documents.services.fonts import compact_cjk_fonts
from documents.services.masking import mask_person, mask_phone
from odr import formatting

logger = logging.getLogger(__name__)

JOINT_ROOM = "joint"
SEAL_ANCHOR = "seal"
# Where the mediator's own signature mark goes (form 9: the mediator signs, then the seal).
MEDIATOR_ANCHOR = "mediator-signature"
LANGUAGES = ("zh-hans", "en")


def verify_url(number: str) -> str:
    base = settings.DOCUMENTS_PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("documents:verify-number", kwargs={"number": number})


def date_text(day: dt.date | None, language: str) -> str:
    return formatting.long_date(day, language)


def datetime_text(moment: dt.datetime | None, language: str) -> str:
    return formatting.long_moment(moment, language)


def amount_text(value, language: str) -> str:
    return formatting.amount(value, language, formal=True)


def _parse_date(text) -> dt.date | None:
    if not text:
        return None
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        return None


def _person(user) -> str:
    return formatting.person(user)


def _ground(case: Case, code: str, ground_kind: str, language: str) -> dict | None:
    if not code:
        return None
    rules = ruleset_by_key(case.ruleset)
    try:
        g = find_ground(rules, code, ground_kind)
    except (KeyError, ValueError):
        return {"code": code, "article": "", "text": code, "citation": ""}
    english = language == "en"
    return {
        "code": g.code,
        "article": g.article.en if english else g.article.zh,
        "text": g.text_en if english else g.text_zh,
        "citation": rules.cite_en(g) if english else rules.cite_zh(g),
    }


def _clock(rules, key: str, language: str) -> str:
    clock = rules.clocks[key]
    return clock.citation_en if language == "en" else clock.citation_zh


def _terms(case: Case, event: CaseEvent, language: str) -> dict:
    payload = event.payload or {}
    terms = {
        "description": payload.get("description")
        or (case.settlement_terms or {}).get("description", ""),
        "amount": amount_text(payload.get("amount"), language),
        "performance_due": date_text(
            _parse_date(payload.get("performance_due_on")) or case.performance_due_on, language
        ),
        "offer_kind": "",
    }
    if event.kind == "transition.settle" and event.from_state == "negotiation":
        offer = (
            Offer.objects.filter(
                case=case, status=Offer.Status.ACCEPTED, decided_at__lte=event.created_at
            )
            .order_by("-decided_at")
            .first()
        )
        if offer is not None:
            terms["offer_kind"] = kinds.word(kinds.OFFER_KIND_WORDS, offer.kind, language)
    return terms


def _timeline(case: Case, event: CaseEvent, language: str) -> list[dict]:
    rows = []
    events = (
        CaseEvent.objects.filter(case=case, seq__lte=event.seq, visibility="parties")
        .filter(kind__in=list(kinds.EVENT_WORDS))
        .order_by("seq")
    )
    for e in events:
        rows.append(
            {
                "seq": e.seq,
                "when": datetime_text(e.created_at, language),
                "what": kinds.word(kinds.EVENT_WORDS, e.kind, language),
                "by": kinds.word(kinds.ROLE_WORDS, e.actor_role, language) if e.actor_role else "",
                "state": kinds.word(kinds.STATE_WORDS, e.to_state, language) if e.to_state else "",
            }
        )
    return rows


def _other_documents(document: Document, language: str) -> list[dict]:
    rows = []
    for other in (
        Document.objects.filter(case=document.case, status=Document.Status.VALID)
        .exclude(pk=document.pk)
        .order_by("created_at", "id")
    ):
        rows.append(
            {
                "number": other.number,
                "title": other.spec.title(language=language, ruleset=document.case.ruleset),
                "dated": date_text(other.dated, language),
                "sha256": other.sha256,
            }
        )
    return rows


def _message_body(message: Message, language: str) -> str:
    """A message as the transcript prints it: the service's own messages in the document's
    language (mediation keeps both texts, mediation.models.SystemText), people's messages
    as they wrote them."""
    texts = getattr(message, "system_text", None) if message.author_role == "system" else None
    if texts is None:
        return message.body
    return texts.text_en if language == "en" else texts.text_zh


def _transcript(case: Case, language: str) -> list[dict]:
    rows = []
    messages = Message.objects.filter(case=case, room=JOINT_ROOM).select_related("system_text")
    for message in messages.order_by("seq"):
        rows.append(
            {
                "seq": message.seq,
                "when": datetime_text(message.created_at, language),
                "who": kinds.word(kinds.ROLE_WORDS, message.author_role, language),
                "body": _message_body(message, language),
            }
        )
    return rows


_CLOSING_OUTCOMES = {
    "transition.confirm_performance": "performed",
    "transition.report_breach": "breached",
    "transition.withdraw": "withdrawn",
    "transition.close": "mediation_failed",
}

CPL = {
    "zh-hans": "《中华人民共和国消费者权益保护法》",
    "en": "Consumer Rights and Interests Protection Law of the People's Republic of China",
}
# A settlement by negotiation rests on the consumer's right to settle with the merchant.
SETTLEMENT_BASIS = {
    "zh-hans": CPL["zh-hans"] + "第三十九条第一项：消费者和经营者发生消费者权益争议的，"
    "可以通过与经营者协商和解的途径解决",
    "en": CPL["en"] + ", art. 39(1): a dispute between a consumer and a business operator "
    "may be resolved by settlement through negotiation with the business operator",
}


# Form 4 recites the duty it rests on before asking (SAMR form 4, as transcribed).
CPL_REGULATIONS_ART46 = {
    "zh-hans": "《中华人民共和国消费者权益保护法实施条例》第四十六条第一款：消费者和经营者发生消费争议，"
    "请求消费者权益保护组织调解或者向市场监督管理部门或者其他有关行政部门投诉的，应当提供真实身份信息",
    "en": "Regulations for the Implementation of the Consumer Rights and Interests Protection "
    "Law, art. 46(1): a consumer who complains to the market regulation office about a "
    "dispute with a business operator provides true identity information",
}


def _count_text(clock, language: str) -> str:
    """A clock's length as a notice says it: 五个工作日, 3日; 5 working days, 3 days."""
    if language == "en":
        unit = "working day" if clock.unit == "working_days" else "day"
        return f"{clock.amount} {unit}{'' if clock.amount == 1 else 's'}"
    unit = "个工作日" if clock.unit == "working_days" else "日"
    return f"{clock.amount}{unit}"


def _identity_notice(case: Case, event: CaseEvent, rules, language: str) -> dict:
    payload = event.payload or {}
    clock = rules.clocks.get("identity_proof")
    return {
        "materials": payload.get("materials", ""),
        "due": date_text(_parse_date(payload.get("due_on")), language),
        "limit": _count_text(clock, language) if clock else "",
        # Asked after acceptance: the consequence is the end of mediation, not a refusal.
        "in_mediation": payload.get("state") == "mediation",
    }


def _mediation_notice(case: Case, event: CaseEvent, rules, language: str) -> dict:
    """Who mediates (as the assigning event named them) and the window to ask for recusal
    that the assignment opened (the rule set's clock "recusal_window")."""
    from accounts.models import Role, User
    from cases.models import Deadline

    payload = event.payload or {}
    mediator = None
    if str(payload.get("mediator") or "").isdigit():
        mediator = User.objects.filter(pk=int(payload["mediator"])).first()
    mediator = mediator or case.mediator
    role = (
        mediator.roles.filter(kind=Role.Kind.MEDIATOR)
        .select_related("mediation_organisation")
        .first()
        if mediator is not None
        else None
    )
    organisation = role.mediation_organisation.name if role else ""
    clock = rules.clocks.get("recusal_window")
    window = (
        Deadline.objects.filter(
            case=case,
            clock="recusal_window",
            started_at__lte=event.created_at + dt.timedelta(minutes=1),
        )
        .order_by("-started_at")
        .first()
    )
    replaced = None
    if str(payload.get("replaces") or "").isdigit():
        replaced = User.objects.filter(pk=int(payload["replaces"])).first()
    accepted = CaseEvent.objects.filter(case=case, kind="transition.accept").order_by("seq").first()
    return {
        "mediator": _person(mediator),
        "organisation": organisation,
        "window": _count_text(clock, language) if clock else "",
        "window_due": date_text(window.due_on if window else None, language),
        "replaces": _person(replaced) if replaced else "",
        "accepted_on": date_text(
            timezone.localdate(accepted.created_at) if accepted else None, language
        ),
    }


def document_context(document: Document) -> dict:
    """Everything the document's template prints, as plain values."""
    from documents.services.seals import signing_plan

    case = (
        Case.objects.select_related(
            "merchant", "mediator", "mediation_organisation", "arbitration_body"
        )
        .filter(pk=document.case_id)
        .get()
    )
    plan = signing_plan(document)
    event = document.event
    language = document.language
    english = language == "en"
    rules = ruleset_by_key(case.ruleset)
    spec = document.spec
    number = document.number
    url = verify_url(number)
    payload = event.payload or {}
    merchant = case.merchant
    context = {
        "language": language,
        "en": english,
        "kind": document.kind,
        "doc": {
            "number": number,
            "title": spec.title(language=language, ruleset=case.ruleset),
            "version": document.version,
            "dated": date_text(document.dated, language),
            "supersedes": document.supersedes.number if document.supersedes_id else "",
            "correction_reason": (
                (document.source_event.payload or {}).get("reason", "")
                if document.supersedes_id
                else ""
            ),
            "needs_confirmation": spec.needs_confirmation,
        },
        # Whose seal the document carries (services/seals.py): the office or organisation
        # that made it, or the platform for its own records.
        "issuer": {
            "name": plan.seal.name(language),
            "name_zh": plan.seal.name_zh,
            "kind": plan.seal.kind,
        },
        "mediator_signs": plan.signer is not None,
        "rules": {"name": rules.name_en if english else f"《{rules.name_zh}》"},
        "cpl": CPL[language],
        "case": {
            "reference": case.reference,
            "submitted": date_text(timezone.localdate(case.submitted_at), language),
            "facts": case.facts,
            "request": case.request,
            "amount": amount_text(case.amount, language),
            "order_number": case.order_number,
            "platform": case.platform,
            "purchase_date": date_text(case.purchase_date, language),
        },
        "complainant": {
            "name": case.complainant_name,
            "phone": mask_phone(case.complainant_phone),
            "masked": mask_person(case.complainant_name),
        },
        "merchant": {
            "name": case.merchant_name,
            "uscc": merchant.uscc if merchant else "",
            "address": case.merchant_address,
        },
        "mediation": {
            "organisation": case.mediation_organisation.name
            if case.mediation_organisation_id
            else "",
            "mediator": _person(case.mediator),
        },
        "event": {
            "date": date_text(timezone.localdate(event.created_at), language),
            "reason": payload.get("reason", ""),
        },
        "verify_url": url,
        "qr": qr_data_uri(url),
        "legal_basis": [],
    }
    if document.kind == Kind.ACCEPTANCE_NOTICE:
        context["legal_basis"] = [
            _clock(rules, "acceptance_decision", language),
            _clock(rules, "mediation_limit", language),
        ]
    elif document.kind == Kind.REFUSAL_NOTICE:
        g = _ground(case, event.ground or case.ground, "refusal", language)
        context["ground"] = g
        context["legal_basis"] = [g["citation"]] if g and g["citation"] else []
    elif document.kind == Kind.TERMINATION_NOTICE:
        g = _ground(case, event.ground or case.ground, "termination", language)
        context["ground"] = g
        context["legal_basis"] = [
            *([g["citation"]] if g and g["citation"] else []),
            _clock(rules, "termination_notice", language),
        ]
    elif document.kind in (Kind.SETTLEMENT_AGREEMENT, Kind.MEDIATION_AGREEMENT):
        context["terms"] = _terms(case, event, language)
        context["legal_basis"] = (
            [SETTLEMENT_BASIS[language]]
            if document.kind == Kind.SETTLEMENT_AGREEMENT
            else [context["rules"]["name"]]
        )
    elif document.kind == Kind.ARBITRATION_REFERRAL:
        context["arbitration"] = {
            "body": case.arbitration_body.name if case.arbitration_body_id else "",
        }
        context["evidence"] = [
            {
                "name": e.original_name,
                "kind": e.kind.upper(),
                "size": e.size,
                "sha256": e.sha256,
            }
            for e in case.evidence.order_by("created_at", "id")
        ]
        context["documents"] = _other_documents(document, language)
        context["timeline"] = _timeline(case, event, language)
        context["legal_basis"] = [_clock(rules, "arbitration_acceptance", language)]
    elif document.kind == Kind.ARBITRATION_AGREEMENT:
        # The body the parties choose is named by the proposing event (arbitration app).
        context["arbitration"] = {"body": payload.get("body_name", "")}
        context["legal_basis"] = [context["cpl"]]
    elif document.kind == Kind.IDENTITY_NOTICE:
        context["identity"] = _identity_notice(case, event, rules, language)
        context["legal_basis"] = [
            CPL_REGULATIONS_ART46[language],
            _clock(rules, "identity_proof", language),
        ]
    elif document.kind == Kind.MEDIATION_NOTICE:
        context["notice"] = _mediation_notice(case, event, rules, language)
        # The mediator this notice assigns, whoever mediates when it is rendered.
        context["mediation"] = {
            "organisation": context["notice"]["organisation"],
            "mediator": context["notice"]["mediator"],
        }
        context["legal_basis"] = [_clock(rules, "recusal_window", language)]
    elif document.kind == Kind.MEDIATION_TRANSCRIPT:
        context["transcript"] = _transcript(case, language)
        context["legal_basis"] = [context["rules"]["name"]]
    elif document.kind == Kind.CLOSURE_REPORT:
        outcome = _CLOSING_OUTCOMES.get(event.kind, case.outcome)
        context["outcome"] = kinds.word(kinds.OUTCOME_WORDS, outcome, language)
        context["final_state"] = kinds.word(kinds.STATE_WORDS, event.to_state, language)
        context["timeline"] = _timeline(case, event, language)
        context["documents"] = _other_documents(document, language)
        context["performance_due"] = date_text(case.performance_due_on, language)
        context["legal_basis"] = [context["rules"]["name"]]
    return context


def render_html(document: Document, context: dict | None = None) -> str:
    context = context if context is not None else document_context(document)
    return render_to_string(f"documents/pdf/{document.language}/{document.kind}.html", context)


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    # Where the organisation's signature draws the seal: page index and box in PDF points
    # (x1, y1, x2, y2 from the bottom left), from the template's #seal element.
    seal_page: int | None
    seal_box: tuple[float, float, float, float] | None
    # The mediator's signature mark, from the template's #mediator-signature element.
    mediator_page: int | None = None
    mediator_box: tuple[float, float, float, float] | None = None

    def seal_position(self) -> dict | None:
        """{"page", "box"} of the seal, and under "mediator" those of the mediator's mark."""
        position = {}
        if self.seal_page is not None:
            position = {"page": self.seal_page, "box": [round(v, 2) for v in self.seal_box]}
        if self.mediator_page is not None:
            position["mediator"] = {
                "page": self.mediator_page,
                "box": [round(v, 2) for v in self.mediator_box],
            }
        return position or None


_PX_TO_PT = 0.75  # CSS pixels (1/96 in) to PDF points (1/72 in)


def html_to_pdf(html: str) -> Rendered:
    """PDF bytes from a document's HTML: A4 (set by the template), CJK fonts subset.

    Documents load nothing from the network or the disk: only inline data: URIs (the QR
    code), so no text in a case can make the renderer fetch anything.

    The PDF is tagged (``pdf_tags``): a structure tree of headings, paragraphs, tables and
    lists, ``/MarkInfo << /Marked true >>``, the language of the ``<html lang>`` and the
    ``<title>`` shown as the window title, so that screen readers read a document in order
    and in its language. It is not declared PDF/UA (``pdf_variant="pdf/ua-1"``): the
    signature's seal that pyHanko adds afterwards is a widget outside the structure tree,
    so the signed file could not keep that promise.
    """
    fetcher = URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    document = HTML(string=html, url_fetcher=fetcher).render()
    found: dict[str, tuple[int, tuple[float, float, float, float]]] = {}
    for index, page in enumerate(document.pages):
        for name in (SEAL_ANCHOR, MEDIATOR_ANCHOR):
            anchor = page.anchors.get(name)
            if anchor:
                x1, y1, x2, y2 = anchor
                found[name] = (
                    index,
                    (
                        x1 * _PX_TO_PT,
                        (page.height - y2) * _PX_TO_PT,
                        x2 * _PX_TO_PT,
                        (page.height - y1) * _PX_TO_PT,
                    ),
                )
    seal_page, seal_box = found.get(SEAL_ANCHOR, (None, None))
    mediator_page, mediator_box = found.get(MEDIATOR_ANCHOR, (None, None))
    return Rendered(
        document.write_pdf(finisher=compact_cjk_fonts, pdf_tags=True),
        seal_page,
        seal_box,
        mediator_page,
        mediator_box,
    )


def render_pdf(document: Document) -> Rendered:
    return html_to_pdf(render_html(document))
