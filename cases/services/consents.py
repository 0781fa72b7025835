"""The consumer's two choices of the registration: publication and delegated mediation.

SAMR's complaint registration asks whether the consumer agrees that the complaint's
information is published and that a delegated body (a consumer association) mediates.
Both are the consumer's choice, unticked by default, and bind what follows (DESIGN.md,
"Consents"): a regulator can choose a consumer association's mediator only where the
consumer agreed (cases/services/transitions.py), and public pages show a case's own entry
only where publication was agreed (credit/). Every answer is kept as a ``Consent`` row
with the words the consumer was shown; the case's two booleans hold the latest answer.
The consumer may change an answer until the regulator decides whether to accept the
complaint, which is when the office acts on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case, Consent, case_roles
from cases.services.actions import ACTIONS, case_act, case_locked
from odr.errors import Conflict, DomainError, NotAllowed


@dataclass(frozen=True)
class Question:
    key: str
    field: str  # the Case boolean that holds the latest answer
    label: Any
    explanation: Any


QUESTIONS: dict[str, Question] = {
    q.key: q
    for q in (
        Question(
            Consent.Question.PUBLICATION,
            "agrees_to_publication",
            gettext_lazy("I agree that the information of this complaint may be published"),
            gettext_lazy(
                "If you agree, the merchant's public credit page may show this complaint's "
                "entry (its category, date and outcome), never your name, phone or address. "
                "If you do not, the public sees it only inside the merchant's totals. The "
                "merchant and the office see your case either way."
            ),
        ),
        Question(
            Consent.Question.DELEGATED_MEDIATION,
            "agrees_to_delegated_mediation",
            gettext_lazy("I agree that a consumer association may mediate"),
            gettext_lazy(
                "The market regulation office may ask a consumer association to mediate "
                "your complaint for it. If you do not agree, the office's own mediators "
                "handle it. Your answer does not change whether the complaint is accepted."
            ),
        ),
    )
}


def consent_wording(question: str, *, language: str) -> str:
    """The words the consumer is shown for `question` in `language`, as they are kept."""
    q = QUESTIONS[question]
    with translation.override(language):
        return f"{q.label}. {q.explanation}"


def consents_record(
    *,
    case: Case,
    answers: dict[str, bool],
    language: str,
    recorded_by,
    channel: str = Consent.Channel.ONLINE,
    at: dt.datetime | None = None,
) -> list[Consent]:
    """Keep the answers given at registration (inside the intake's transaction)."""
    at = at or timezone.now()
    rows = [
        Consent(
            case=case,
            question=key,
            answer=bool(answers[key]),
            wording=consent_wording(key, language=language),
            language=language,
            channel=channel,
            recorded_by=recorded_by,
            recorded_at=at,
        )
        for key in QUESTIONS
    ]
    return Consent.objects.bulk_create(rows)


def consent_changeable(case: Case) -> bool:
    """Whether the answers are still open: before the office's decision on acceptance."""
    return case.state in ACTIONS["consent_change"].states


def consent_change(
    *,
    case: Case,
    actor,
    question: str,
    answer: bool,
    language: str,
    channel: str = Consent.Channel.ONLINE,
) -> Case:
    """The consumer changes one answer: kept with its words and logged.

    Refused once the office has decided on acceptance (it has acted on the answers then),
    and for anyone but the consumer (cases/services/actions.py "consent_change").
    """
    if question not in QUESTIONS:
        raise DomainError(
            _("Choose one of the two questions."),
            code="unknown_question",
            fields={"question": [_("Choose one of the two questions.")]},
        )
    q = QUESTIONS[question]
    now = timezone.now()
    with transaction.atomic():
        locked = case_locked(case)
        if not consent_changeable(locked):
            raise Conflict(
                _(
                    "The office has already decided whether to accept the complaint, so this "
                    "answer can no longer be changed."
                ),
                code="consent_settled",
            )
        previous = getattr(locked, q.field)
        if previous == answer:
            if not ACTIONS["consent_change"].roles & case_roles(locked, actor):
                raise NotAllowed(_("Only the consumer can change this answer."))
            return locked
        setattr(locked, q.field, answer)
        Case.objects.filter(pk=locked.pk).update(**{q.field: answer}, updated_at=now)
        # Refuses anyone but the consumer; credit hears of a changed publication answer
        # from this event, inside the transaction.
        case_act(
            case=locked,
            name="consent_change",
            actor=actor,
            payload={"question": question, "answer": answer, "previous": previous},
            locked=True,
            at=now,
        )
        Consent.objects.create(
            case=locked,
            question=question,
            answer=answer,
            wording=consent_wording(question, language=language),
            language=language,
            channel=channel,
            recorded_by=actor,
            recorded_at=now,
        )
    return locked
