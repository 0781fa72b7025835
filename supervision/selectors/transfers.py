"""Transfers between offices (转办) as the supervision dashboard counts them.

Per office in the user's scope: the transfers it sent, those it received, and how many of
them went back and forth (back to an office that had sent the case away, or a third
transfer or more: cases/services/transfers.py). A transfer counts in the period in which
it was made, whatever the case's date of filing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from cases.models import CaseTransfer
from supervision.selectors.scope import Scope


@dataclass
class TransferRow:
    office: str  # division code of the office
    sent: int = 0
    received: int = 0
    back_and_forth: int = 0  # sent or received, flagged


def transfers_by_office(*, scope: Scope, start: dt.date, end: dt.date) -> list[TransferRow]:
    """Offices with any transfer from ``start`` to ``end`` (inclusive), most transfers first."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    transfers = CaseTransfer.objects.filter(
        scope.q("from_office") | scope.q("to_office") if not scope.everything else Q(),
        transferred_at__gte=since,
        transferred_at__lt=until,
    ).values_list("from_office", "to_office", "back_and_forth")
    rows: dict[str, TransferRow] = defaultdict(lambda: TransferRow(office=""))
    for sender, receiver, flagged in transfers:
        for code, side in ((sender, "sent"), (receiver, "received")):
            if not scope.covers(code):
                continue
            row = rows[code]
            row.office = code
            setattr(row, side, getattr(row, side) + 1)
            row.back_and_forth += int(flagged)
    return sorted(rows.values(), key=lambda r: (-(r.sent + r.received), r.office))
