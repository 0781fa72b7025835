"""Turning a case event into notices: who is told, in which words, over which channels.

``notifications_record_for_event`` runs inside the transaction that appends the event (an
in-transaction handler, registered in apps.py): it writes one ``Notification`` per
(event, recipient, channel), with the text rendered in the recipient's language (what an
SMS or email says) and the placeholder values in every language (what the inbox renders
again in the reader's language, models.Notification.title / text). The rows
commit or roll back with the event; a second run for the same event writes nothing
(unique constraint, conflicts ignored). ``notifications_enqueue_for_event`` runs after the
commit and queues the SMS and email rows for sending (services/delivery.py).

Who is told (``ROUTES``): the consumer, the merchant's staff, the regulators whose
jurisdiction covers the case (review decisions and overdue clocks), the assigned mediator
and, for a referral, the arbitration body's staff. Never the person who acted, nor the
others on the actor's side (a merchant's colleague does not hear of their own offer), and
only officers hear of staff-only events.
"""

import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent
from cases.rulesets import ground as ruleset_ground
from cases.rulesets import ruleset_by_key
from notifications import selectors
from notifications.models import Notification
from notifications.quiet_hours import sms_not_before
from notifications.selectors import CONSUMER, MEDIATOR, MERCHANT, REGULATOR
from notifications.services.live import inbox_changed
from notifications.texts import (
    FOOTER,
    LINK_LINE,
    Rendered,
    ground_reason,
    language_of,
    render,
    values_for,
)
from odr import formatting

logger = logging.getLogger(__name__)

# Template kind (event kind) -> who is told, in this order. Who is told of a clock's
# start, reminder and expiry is declared with the clock (cases/rulesets.py, Clock.notify):
# a complaint's "received" notice to the consumer rides on the clock that starts, so it
# can say by when.
ROUTES: dict[str, tuple[str, ...]] = {
    "offer.made": (CONSUMER, MERCHANT),
    "offer.rejected": (CONSUMER, MERCHANT),
    "message.posted": (CONSUMER, MERCHANT),
    "case.merchant_linked": (CONSUMER, MERCHANT),
    "transition.escalate": (MERCHANT,),
    "transition.accept": (CONSUMER, MERCHANT),
    "transition.reject": (CONSUMER, MERCHANT),
    "transition.settle": (CONSUMER, MERCHANT),
    "transition.reach_agreement": (CONSUMER, MERCHANT),
    "transition.terminate": (CONSUMER, MERCHANT),
    "transition.refer_to_arbitration": (CONSUMER, MERCHANT, MEDIATOR),
    "transition.arbitration_accept": (CONSUMER, MERCHANT, MEDIATOR),
    "transition.arbitration_decline": (CONSUMER, MERCHANT, MEDIATOR),
    "transition.record_award": (CONSUMER, MERCHANT),
    "transition.close": (CONSUMER, MERCHANT, MEDIATOR),
    "transition.confirm_performance": (MERCHANT, MEDIATOR),
    "transition.report_breach": (MERCHANT, MEDIATOR),
    "transition.withdraw": (MERCHANT, MEDIATOR),  # + regulators when it was under review
    # Appended by apps still to come (mediation, documents); routed and worded already.
    "mediation.session_scheduled": (CONSUMER, MERCHANT, MEDIATOR),
    "mediation.session_reminder": (CONSUMER, MERCHANT, MEDIATOR),
    "document.ready": (CONSUMER, MERCHANT),
    # arbitration/services/actions.py: the body asks the parties for more information.
    "arbitration.info_requested": (CONSUMER, MERCHANT),
    # cases/services/identity.py and recusal.py (SAMR forms 4 and 7). The request for proof
    # of identity is told by its clock's start (Clock.notify), with the due date.
    "identity.provided": (REGULATOR,),
    "recusal.requested": (CONSUMER, MERCHANT, REGULATOR, MEDIATOR),
    "recusal.granted": (CONSUMER, MERCHANT, MEDIATOR),
    "recusal.refused": (CONSUMER, MERCHANT, MEDIATOR),
    "mediation.mediator_assigned": (MEDIATOR,),
    # groups/: a member is told of being grouped, of the representatives, of the terms.
    "group.member_added": (CONSUMER,),
    "group.representatives_confirmed": (CONSUMER,),
    "group.terms_proposed": (CONSUMER,),
    # cases/services/transfers.py: the parties hear where the complaint went and why; the
    # receiving office hears of it by the acceptance clock's start (Clock.notify).
    "case.transferred": (CONSUMER, MERCHANT),
}
# Chatty events go to the inbox only, never by SMS or email.
INAPP_ONLY = frozenset({"message.posted"})
# The event kinds the handlers are registered for (apps.py).
CLOCK_EVENT_KINDS = (
    "deadline.started",
    "deadline.reminder",
    "deadline.overdue",
    "deadline.expired",
    "deadline.moved",
)
EVENT_KINDS = tuple(sorted({kind.split(":", 1)[0] for kind in ROUTES} | set(CLOCK_EVENT_KINDS)))

_OFFER_KINDS = {
    "refund": ("退款", "refund"),
    "replacement": ("换货", "replacement"),
    "repair": ("维修", "repair"),
    "compensation": ("赔偿", "compensation"),
    "other": ("其他方案", "other proposal"),
}


def template_kind(event: CaseEvent) -> str:
    if event.kind.startswith("deadline."):
        clock = (event.payload or {}).get("clock") or ""
        return f"{event.kind}:{clock}" if clock else event.kind
    return event.kind


def _clock_audiences(event: CaseEvent) -> list[str]:
    """Who hears of a clock event, from the clock's declaration in the case's rule set. A
    moved date is told to the parties and to those its start was told to."""
    clock = ruleset_by_key(event.case.ruleset).clocks.get((event.payload or {}).get("clock", ""))
    if clock is None:
        return []
    notify = clock.notify
    if event.kind == "deadline.started":
        return list(notify.start)
    if event.kind == "deadline.reminder":
        return list(notify.reminder)
    if event.kind in ("deadline.overdue", "deadline.expired"):
        return list(notify.expiry)
    if event.kind == "deadline.moved":
        return list(dict.fromkeys((CONSUMER, MERCHANT, *notify.start)))
    return []


def audiences_for(event: CaseEvent) -> list[str]:
    if event.kind in CLOCK_EVENT_KINDS:
        audiences = _clock_audiences(event)
    else:
        audiences = list(ROUTES.get(template_kind(event), ()))
    if event.kind == "transition.withdraw" and event.from_state == "review":
        audiences.append(REGULATOR)
    if event.visibility == CaseEvent.Visibility.STAFF:
        audiences = [a for a in audiences if a not in (CONSUMER, MERCHANT)]
    # Nobody on the actor's own side hears of what the actor did.
    return [a for a in audiences if a != event.actor_role]


def _zh(language: str) -> bool:
    return language == "zh-hans"


def format_date(value, language: str) -> str:
    return formatting.long_date(value, language) or "—"


def format_amount(value, language: str) -> str:
    return formatting.amount(value, language)


def _sentence(text: str) -> str:
    """A person's words set into a template sentence: without their own final stop."""
    return text.strip().rstrip("。.！!；;，,")


class EventValues(dict):
    """The placeholder values of one event in one language, computed when a text asks.

    A value that cannot be computed is logged and shown as a dash: a notice with a blank
    is better than a case transition that fails because of a notice.
    """

    def __init__(self, event: CaseEvent, language: str) -> None:
        super().__init__()
        self.event = event
        self.case = event.case
        self.payload = event.payload or {}
        self.language = language

    def __missing__(self, key: str) -> str:
        getter = getattr(self, f"_{key}", None)
        try:
            value = getter() if getter else "—"
        except Exception:
            logger.exception("notice text value %r for event %s", key, self.event.pk)
            value = "—"
        self[key] = value
        return value

    def _ref(self) -> str:
        return self.case.reference

    def _group(self) -> str:
        return self.payload.get("group") or "—"

    def _merchant(self) -> str:
        return self.case.merchant_name

    def _due(self) -> str:
        return format_date(self.payload.get("due_on"), self.language)

    def _performance_due(self) -> str:
        return format_date(self.case.performance_due_on, self.language)

    def _valid_until(self) -> str:
        return format_date(self.payload.get("valid_until"), self.language)

    def _ground_obj(self):
        kind = "termination" if self.event.kind == "transition.terminate" else "refusal"
        code = self.event.ground or self.case.ground
        return ruleset_by_key(self.case.ruleset), ruleset_ground(
            ruleset_by_key(self.case.ruleset), code, kind
        )

    def _ground(self) -> str:
        rules, found = self._ground_obj()
        if _zh(self.language):
            return f"{rules.cite_zh(found)}：{found.text_zh}"
        return f"{rules.cite_en(found)}: {found.text_en}"

    def _ground_reason(self) -> str:
        """The ground in a few plain words (an SMS); its full text when none are written."""
        _rules, found = self._ground_obj()
        kind = "termination" if self.event.kind == "transition.terminate" else "refusal"
        short = ground_reason(kind, found.code, self.language)
        if short:
            return short
        return _sentence(found.text_zh if _zh(self.language) else found.text_en)

    def _ground_article(self) -> str:
        _, found = self._ground_obj()
        return found.article.zh if _zh(self.language) else found.article.en

    def _offer(self) -> str:
        names = _OFFER_KINDS.get(self.payload.get("kind", ""), ("和解方案", "proposal"))
        amount = self.payload.get("amount")
        if _zh(self.language):
            return f"{names[0]} {format_amount(amount, self.language)}" if amount else names[0]
        return f"{names[1]} of {format_amount(amount, self.language)}" if amount else names[1]

    def _description(self) -> str:
        return _sentence(self.payload.get("description") or "") or "—"

    def _reason_line(self) -> str:
        reason = _sentence(self.payload.get("reason") or self.case.reason or "")
        if not reason:
            return ""
        return f"理由：{reason}。" if _zh(self.language) else f"Reason: {reason}. "

    def _terms(self) -> str:
        terms = self.case.settlement_terms or {}
        text = _sentence(terms.get("description") or "") or "—"
        if terms.get("amount"):
            amount = format_amount(terms["amount"], self.language)
            text = f"{text}（{amount}）" if _zh(self.language) else f"{text} ({amount})"
        return text

    def _request_text(self) -> str:
        return _sentence(self.payload.get("message") or "") or "—"

    def _arbitration_body(self) -> str:
        return self.case.arbitration_body.name if self.case.arbitration_body_id else "—"

    def _clock_name(self) -> str:
        """The clock's declared name, set into a sentence."""
        key = self.payload.get("clock", "")
        clock = ruleset_by_key(self.case.ruleset).clocks.get(key)
        if clock is None:
            return "办理" if _zh(self.language) else "the next step"
        if _zh(self.language):
            return clock.label_zh
        return clock.label_en[:1].lower() + clock.label_en[1:]

    def _from(self) -> str:
        return format_date(self.payload.get("from"), self.language)

    def _clock_name_cap(self) -> str:
        name = self._clock_name()
        return name[:1].upper() + name[1:]

    def _when(self) -> str:
        return formatting.long_moment(self.payload.get("starts_at"), self.language) or "—"

    def _mediator(self) -> str:
        return formatting.person(self.case.mediator) if self.case.mediator_id else "—"

    def _new_mediator(self) -> str:
        from accounts.models import User

        found = User.objects.filter(pk=self.payload.get("new_mediator") or 0).first()
        return formatting.person(found) if found else "—"

    def _from_office(self) -> str:
        key = "from_office_zh" if _zh(self.language) else "from_office_en"
        return self.payload.get(key) or self.payload.get("from_office") or "—"

    def _to_office(self) -> str:
        key = "to_office_zh" if _zh(self.language) else "to_office_en"
        return self.payload.get(key) or self.payload.get("to_office") or "—"

    def _transfer_reason(self) -> str:
        key = "reason_zh" if _zh(self.language) else "reason_en"
        return _sentence(self.payload.get(key) or "") or "—"

    def _transfer_basis(self) -> str:
        """The provision on jurisdiction the transfer rests on, cited once."""
        rules = ruleset_by_key(self.case.ruleset)
        if rules.transfer is None:
            return "—"
        try:
            found = rules.transfer.reason(self.payload.get("reason", ""))
        except KeyError:
            found = None
        if _zh(self.language):
            return (found.citation_zh if found else "") or f"《{rules.name_zh}》"
        return (found.citation_en if found else "") or rules.name_en

    def _document(self) -> str:
        if _zh(self.language):
            return self.payload.get("title_zh") or "文书"
        return self.payload.get("title_en") or "document"


def _site_url(path: str) -> str:
    base = settings.NOTIFY_PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{path}" if base else path


# Where links point when no public address is configured (development, tests).
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"


def public_url(path: str) -> str:
    """An absolute address on the site, for what leaves it (an SMS): the notices' public
    address, else the documents' one, else the development server's."""
    base = (
        settings.NOTIFY_PUBLIC_BASE_URL
        or getattr(settings, "DOCUMENTS_PUBLIC_BASE_URL", "")
        or DEFAULT_PUBLIC_BASE_URL
    )
    return f"{base.rstrip('/')}{path}"


def case_link(case, audience: str) -> str:
    """The page of the case for this recipient: an arbitration body's staff work from the
    referral, everyone else from the case page."""
    if audience == "arbitration":
        return public_url(reverse("arbitration:referral", kwargs={"ref": case.reference}))
    return public_url(reverse("cases:detail", kwargs={"ref": case.reference}))


def email_body(text: Rendered, language: str) -> str:
    parts = [text.body]
    if settings.NOTIFY_PUBLIC_BASE_URL:
        parts.append(LINK_LINE[language].format(link=_site_url(reverse("notifications:inbox"))))
    parts.append(
        FOOTER[language].format(preferences=_site_url(reverse("notifications:preferences")))
    )
    return "\n\n".join(parts)


def notifications_record_for_event(event: CaseEvent) -> int:
    """Write the notices for one event, in its transaction. Returns the rows attempted."""
    audiences = audiences_for(event)
    if not audiences:
        return 0
    kind = template_kind(event)
    case = event.case
    recipients = selectors.case_recipients(case=case, audiences=audiences)
    now = timezone.now()
    quiet_until = sms_not_before(now)
    values: dict[str, EventValues] = {}

    def values_in(language: str) -> EventValues:
        if language not in values:
            values[language] = EventValues(event, language)
        return values[language]

    params: dict[str, dict] = {}
    rows: list[Notification] = []
    seen: set[int] = set()
    for audience in audiences:
        for user in recipients.get(audience, []):
            if user.pk == event.actor_id or user.pk in seen:
                continue
            seen.add(user.pk)
            language = language_of(user.language)
            text = render(
                kind=kind,
                audience=audience,
                language=language,
                values=values_in(language),
                link=case_link(case, audience),
            )
            if audience not in params:
                params[audience] = values_for(kind=kind, audience=audience, values=values_in)
            common = {
                "event": event,
                "case": case,
                "recipient": user,
                "kind": kind,
                "audience": audience,
                "language": language,
                "subject": text.subject,
                "params": params[audience],
                "created_at": now,
            }
            rows.append(
                Notification(
                    channel=Notification.Channel.INAPP,
                    body=text.body,
                    status=Notification.Status.DELIVERED,
                    delivered_at=now,
                    **common,
                )
            )
            if kind in INAPP_ONLY:
                continue
            preference = selectors.preference_of(user)
            if preference.sms and user.phone:
                rows.append(
                    Notification(
                        channel=Notification.Channel.SMS,
                        address=user.phone,
                        body=text.sms,
                        not_before=quiet_until,
                        **common,
                    )
                )
            if preference.email and user.email:
                rows.append(
                    Notification(
                        channel=Notification.Channel.EMAIL,
                        address=user.email,
                        body=email_body(text, language),
                        **common,
                    )
                )
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        inbox_changed(user_ids=seen)
    return len(rows)


def notifications_enqueue_for_event(event: CaseEvent) -> int:
    """After the event's commit: queue its SMS and email rows for sending."""
    from notifications.services.delivery import notifications_enqueue

    ids = list(
        Notification.objects.filter(
            event_id=event.pk,
            channel__in=[Notification.Channel.SMS, Notification.Channel.EMAIL],
            status=Notification.Status.PENDING,
            queued_for__isnull=True,
        ).values_list("pk", "not_before")
    )
    return notifications_enqueue(rows=ids)
