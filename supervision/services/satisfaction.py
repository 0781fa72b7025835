"""The consumer's rating after closure, and the regulator's follow-up visits."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseRole, case_roles
from odr.errors import Conflict, NotAllowed
from supervision.models import FollowUpVisit, Rating


def check_may_rate(*, case: Case, user) -> None:
    if CaseRole.CONSUMER not in case_roles(case, user):
        raise NotAllowed(
            _("Only the consumer who complained rates the handling."), code="not_the_consumer"
        )
    if not case.is_terminal:
        raise Conflict(
            _("The handling can be rated once the case is closed."), code="case_not_closed"
        )


def rating_submit(*, case: Case, consumer, score: int, comment: str = "") -> Rating:
    check_may_rate(case=case, user=consumer)
    try:
        with transaction.atomic():
            return Rating.objects.create(
                case=case,
                consumer=consumer,
                score=score,
                comment=comment.strip(),
                created_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise Conflict(_("You have already rated this case."), code="already_rated") from exc


def check_may_visit(*, case: Case, user) -> None:
    if CaseRole.REGULATOR not in case_roles(case, user):
        raise NotAllowed(
            _("Follow-up visits are recorded by the regulators of the case's jurisdiction."),
            code="not_the_regulator",
        )


def visit_record(
    *, case: Case, regulator, visited_on, method: str, reached: bool, score: int | None, note: str
) -> FollowUpVisit:
    check_may_visit(case=case, user=regulator)
    return FollowUpVisit.objects.create(
        case=case,
        regulator=regulator,
        visited_on=visited_on,
        method=method,
        reached=reached,
        score=score if reached else None,
        note=note.strip(),
        created_at=timezone.now(),
    )
