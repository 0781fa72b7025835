"""What live mediation does when something happens to a case (registered in apps.py).

All after commit: system messages in the joint room for state changes and mediation
deadlines, a nudge to every socket of the case to check its access again (a closed case,
another mediator, another merchant), the new state for the rooms, the mediator's console,
the live delivery of negotiation messages posted on the case page, and a nudge to open
case pages to fetch themselves again after any event.
"""

import logging

from django.utils.translation import gettext_noop

from cases import event_kinds, rooms
from cases.models import Case, CaseEvent, State
from cases.rulesets import ground as ruleset_ground
from cases.rulesets import ruleset_by_key
from mediation import selectors
from mediation.services import broadcast
from mediation.services.chat import bilingual, system_message_post

logger = logging.getLogger(__name__)

_TRANSITION_TEXTS = {
    ("accept", "to"): gettext_noop(
        "The complaint was accepted for mediation. This is the joint room of the consumer, "
        "the merchant and the mediator."
    ),
    ("reach_agreement", "from"): gettext_noop(
        "Agreement reached: %(terms)s. The mediation has ended and the rooms are closed."
    ),
    ("terminate", "from"): gettext_noop(
        "The mediator ended the mediation without agreement (%(ground)s). The rooms are closed."
    ),
    ("withdraw", "from"): gettext_noop(
        "The consumer withdrew the complaint. The mediation has ended and the rooms are closed."
    ),
}
_DEADLINE_TEXTS = {
    ("deadline.started", "mediation_limit"): gettext_noop(
        "The mediation is to be concluded by %(due)s."
    ),
    ("deadline.reminder", "mediation_limit"): gettext_noop(
        "Reminder: the mediation is to be concluded by %(due)s."
    ),
    ("deadline.overdue", "mediation_limit"): gettext_noop(
        "The time for mediation (%(due)s) has passed."
    ),
    ("deadline.expired", "mediation_limit"): gettext_noop(
        "The time for mediation (%(due)s) has passed."
    ),
    # Any other clock whose declaration posts in the rooms.
    ("deadline.started", ""): gettext_noop("%(clock)s: due by %(due)s."),
    ("deadline.reminder", ""): gettext_noop("Reminder: %(clock)s is due by %(due)s."),
    ("deadline.overdue", ""): gettext_noop("%(clock)s: the time (%(due)s) has passed."),
    ("deadline.expired", ""): gettext_noop("%(clock)s: the time (%(due)s) has passed."),
    ("deadline.moved", ""): gettext_noop("%(clock)s: the date is now %(due)s."),
}


def on_case_event(event: CaseEvent) -> None:
    """One after-commit handler for every event; never lets a failure reach the caller
    (the event is committed; this is only its echo in the rooms)."""
    try:
        _handle(event)
    except Exception:
        logger.exception(
            "mediation could not react to event %s of case %s", event.kind, event.case_id
        )


def _handle(event: CaseEvent) -> None:
    kind = event.kind
    _tell_pages(event)
    if kind == "message.posted" and event.payload.get("room") == rooms.NEGOTIATION:
        _negotiation_message(event)
        return
    declared = event_kinds.kind(kind)
    changes_state = declared is not None and declared.changes_state
    if kind.startswith("deadline."):
        pass  # told in the rooms if the clock's declaration says so (_deadline_message)
    elif not (changes_state or kind.startswith("case.")):
        return
    case = Case.objects.only(
        "id", "state", "reference", "mediator_id", "language", "ruleset", "ground"
    ).get(pk=event.case_id)
    if changes_state or kind.startswith("case."):
        _tell_sockets(case)
    if changes_state and kind.startswith("transition."):
        _transition_message(case, event)
    elif kind.startswith("deadline."):
        _deadline_message(case, event)


def _tell_pages(event: CaseEvent) -> None:
    """Every committed event of a case changes what its page shows (an offer, a message,
    a document, a deadline, the state): open case pages fetch themselves again. Not for
    what is said in the mediation rooms, which the case page does not show (and a caucus
    must not be seen to be busy by the other side)."""
    room = event.payload.get("room") if isinstance(event.payload, dict) else None
    if event.kind == "message.posted" and room != rooms.NEGOTIATION:
        return
    broadcast.case_update(case_id=event.case_id, data={"type": "changed", "kind": event.kind})


def _tell_sockets(case: Case) -> None:
    """The new state, and a nudge to check access again, for every socket of the case (and
    the mediator's console). Sent whether or not a presence row shows a socket: a socket
    whose row expired (a background tab's late heartbeats) is still open and must hear."""
    broadcast.case_update(
        case_id=case.pk, data={"type": "state", "state": case.state}, mediator_id=case.mediator_id
    )
    broadcast.case_recheck(case_id=case.pk)


def _transition_message(case: Case, event: CaseEvent) -> None:
    name = event.kind.removeprefix("transition.")
    if State.MEDIATION not in (event.from_state, event.to_state):
        return
    direction = "to" if event.to_state == State.MEDIATION else "from"
    text = _TRANSITION_TEXTS.get((name, direction))
    values: dict = {}
    if text is None:
        text = gettext_noop("The case is now: %(state)s.")
        values["state"] = event.to_state
    if name == "reach_agreement":
        terms = event.payload.get("description", "")
        amount = event.payload.get("amount")
        values["terms"] = f"{terms} ¥{amount}" if amount else terms
    if name == "terminate":
        values["ground"] = _ground_article(case, event.ground)
    zh, en = bilingual(text, **values)
    if name == "terminate":
        en = bilingual(text, ground=_ground_article(case, event.ground, english=True))[1]
    system_message_post(case=case, text_zh=zh, text_en=en, key=f"event:{event.pk}")


def _ground_article(case: Case, code: str, *, english: bool = False) -> str:
    try:
        found = ruleset_ground(ruleset_by_key(case.ruleset), code, "termination")
    except (KeyError, ValueError):
        return code
    return found.article.en if english else found.article.zh


def _deadline_message(case: Case, event: CaseEvent) -> None:
    clock = ruleset_by_key(case.ruleset).clocks.get(event.payload.get("clock", ""))
    if clock is None or not clock.room_notices or case.state != State.MEDIATION:
        return
    text = _DEADLINE_TEXTS.get((event.kind, clock.key)) or _DEADLINE_TEXTS.get((event.kind, ""))
    if text is None:
        return
    due = event.payload.get("due_on", "")
    zh = bilingual(text, due=due, clock=clock.label_zh)[0]
    en = bilingual(text, due=due, clock=clock.label_en)[1]
    system_message_post(case=case, text_zh=zh, text_en=en, key=f"event:{event.pk}")


def _negotiation_message(event: CaseEvent) -> None:
    from cases.models import Message

    message = (
        Message.objects.filter(
            case_id=event.case_id, room=rooms.NEGOTIATION, seq=event.payload.get("seq")
        )
        .select_related("case")
        .first()
    )
    if message is None:
        return
    broadcast.message_posted(
        case_id=event.case_id,
        mediator_id=None,
        payload=selectors.message_payload(message, reference=message.case.reference),
    )


def on_logged_out(sender, request, user, **kwargs) -> None:
    """Close the sockets of the session that logged out (user_logged_out signal)."""
    if user is None:
        return
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    broadcast.user_logged_out(user_id=user.pk, session_key=session_key)


def on_access_changed(user_ids: list[int]) -> None:
    """A user's roles or standing changed (odr.access): their sockets check access now."""
    for user_id in user_ids:
        broadcast.user_recheck(user_id=user_id)
