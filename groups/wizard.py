"""The complaint wizard's offer to join an open group complaint (odr/submission.py).

The review step includes ``groups/_wizard_extra.html``, which lists the open groups on the
same matter (same merchant, same category: ``selectors.open_groups_for``) from the draft in
the page's context. Joining is the consumer's choice, unticked by default; the filed case
joins the group through ``group_join``, which is logged on the case.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from odr.errors import DomainError
from odr.submission import ReviewExtra

REFERENCE = re.compile(r"^QT-\d{4}-\d{4,}$")


def _context(data, user) -> dict:
    return {"chosen": (data or {}).get("join_group", "")}


def _check(data, user) -> str | None:
    reference = (data.get("join_group") or "").strip()
    if not reference:
        return None
    if not REFERENCE.match(reference):
        raise DomainError(
            _("Choose one of the group complaints offered, or none."),
            code="invalid_group",
            fields={"join_group": [_("Choose one of the group complaints offered, or none.")]},
        )
    return reference


def _submitted(*, case, user, values) -> str:
    from groups.models import CaseGroup
    from groups.services.membership import group_join

    group = CaseGroup.objects.filter(reference=values).first()
    if group is None:
        raise DomainError(_("That group complaint no longer exists."), code="unknown_group")
    membership = group_join(group=group, case=case, actor=user)
    return _("Your complaint joined group complaint %(ref)s as member %(n)d.") % {
        "ref": group.reference,
        "n": membership.number,
    }


REVIEW_EXTRA = ReviewExtra(
    name="groups.join",
    template="groups/_wizard_extra.html",
    context=_context,
    check=_check,
    submitted=_submitted,
)
