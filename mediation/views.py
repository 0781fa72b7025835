"""Pages: the mediator's console and a case's mediation room.

The room page is the same panel the console opens beside its list (several at once):
the chat with its rooms, and the case's facts, evidence, offers and timeline beside it.
The chat itself is the static client (static/mediation/room.js) over /ws/cases/{ref}/.
"""

import datetime as dt
import functools

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext
from django.views.decorators.http import require_GET

from accounts.models import Role
from cases import rooms
from cases import selectors as case_selectors
from cases.models import CaseRole, Offer, State, case_roles
from cases.rulesets import ruleset_by_key
from cases.selectors import Action, access_case
from mediation import selectors
from odr.errors import NotAllowed, NotFound

ROOM_LABELS = {
    rooms.NEGOTIATION: gettext_noop("Negotiation"),
    rooms.JOINT: gettext_noop("Joint room"),
    rooms.CAUCUS_CONSUMER: gettext_noop("Private room: consumer"),
    rooms.CAUCUS_MERCHANT: gettext_noop("Private room: merchant"),
}


def _refusals_as_pages(view):
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (NotFound, NotAllowed) as exc:
            return render(
                request,
                "mediation/refused.html",
                {"message": exc.message, "status": exc.status},
                status=exc.status,
            )

    return wrapper


def _panel_context(request: HttpRequest, ref: str) -> dict:
    case = access_case(user=request.user, ref=ref, action=Action.VIEW)
    roles = case_roles(case, request.user)
    readable = [r for r in rooms.rooms_readable(roles) if r != rooms.NEGOTIATION]
    if not readable:
        raise NotAllowed(_("This room is not yours."), code="not_your_room")
    is_mediator = CaseRole.MEDIATOR in roles
    party = next((p for p in (CaseRole.CONSUMER, CaseRole.MERCHANT) if p in roles), "")
    grounds = []
    if is_mediator and case.state == State.MEDIATION:
        english = (getattr(request, "LANGUAGE_CODE", "") or "").startswith("en")
        grounds = [
            (g.code, f"{g.article.en} {g.text_en}" if english else f"{g.article.zh} {g.text_zh}")
            for g in ruleset_by_key(case.ruleset).termination_grounds
        ]
    return {
        "case": case,
        "rooms": [(r, _(ROOM_LABELS[r]), rooms.may_write(roles, r)) for r in readable],
        "is_mediator": is_mediator,
        "party": party,
        "in_mediation": case.state == State.MEDIATION,
        "evidence": list(case.evidence.all()),
        "offers": list(case_selectors.case_offers(case=case)),
        "events": list(case_selectors.case_timeline(case=case, user=request.user)),
        "deadlines": list(case_selectors.case_deadlines(case=case)),
        "proposal": selectors.open_proposal(case_id=case.pk),
        "sessions": selectors.sessions(case_id=case.pk),
        "offer_kinds": Offer.Kind.choices,
        "grounds": grounds,
        "parties": [(CaseRole.CONSUMER, _("Consumer")), (CaseRole.MERCHANT, _("Merchant"))],
    }


@login_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    if Role.Kind.MEDIATOR not in request.user.role_kinds():
        return render(
            request,
            "mediation/refused.html",
            {"message": _("The console is for mediators."), "status": 403},
            status=403,
        )
    rows = selectors.console_cases(mediator=request.user)
    texts = client_texts()
    return render(
        request,
        "mediation/console.html",
        {"rows": [_console_row(r.as_dict(), texts) for r in rows], "i18n": texts},
    )


def _console_row(row: dict, texts: dict[str, str]) -> dict:
    """A console row as people read it: the state and who is online by name, the next
    session as a moment the template shows in Beijing time (console.js does the same)."""
    starts = row["next_session"]
    return {
        **row,
        "state_label": texts.get(f"state:{row['state']}", row["state"]),
        "online_labels": [texts.get(role, role) for role in row["online"]],
        "next_session_at": dt.datetime.fromisoformat(starts) if starts else None,
        "deadline_on": dt.date.fromisoformat(row["deadline_due_on"])
        if row["deadline_due_on"]
        else None,
    }


@login_required
@require_GET
@_refusals_as_pages
def room(request: HttpRequest, ref: str) -> HttpResponse:
    return render(
        request, "mediation/room.html", {**_panel_context(request, ref), "i18n": client_texts()}
    )


@login_required
@require_GET
@_refusals_as_pages
def panel(request: HttpRequest, ref: str) -> HttpResponse:
    return render(request, "mediation/_panel.html", _panel_context(request, ref))


def client_texts() -> dict[str, str]:
    """The words the chat client shows, in the page's language (json_script, no inline JS)."""
    return {
        "consumer": _("Consumer"),
        "merchant": _("Merchant"),
        "mediator": _("Mediator"),
        "system": _("Notice"),
        "regulator": _("Regulator"),
        "arbitration": _("Arbitration body"),
        "admin": _("Administrator"),
        "you": _("You"),
        "sending": _("Sending…"),
        "failed": _("Not sent"),
        "retry": _("Send again"),
        "read": _("Read"),
        "typing": _("%(who)s is typing…"),
        "online": _("Online"),
        "nobody": _("Nobody else is here"),
        "connected": _("Connected"),
        "connecting": _("Connecting…"),
        "offline": _("Offline: reconnecting in %(s)s s"),
        "closed": _("The room is closed to you"),
        "muted_until": _("Muted until %(time)s"),
        "in_caucus": _("In a private conversation"),
        "accept": _("Accept these terms"),
        "accepted_by": _("Accepted by: %(who)s"),
        "list_sep": pgettext("list separator", ", "),
        "terms": _("Proposed terms"),
        "within_days": _("to be carried out within %(n)s days"),
        "no_terms": _("No terms proposed yet."),
        "open": _("Open"),
        "close": _("Close"),
        "unread": _("unread"),
        "session": _("Session"),
        "done": _("Done."),
        # The case's state as the badge shows it, never its code.
        **{f"state:{value}": str(label) for value, label in State.choices},
    }
