"""SMS quiet hours: no notice by SMS between 22:00 and 08:00 Beijing time (configurable).

A notice due in the window waits for its end. Login codes are not notices: they go at once
(accounts/services.py sends them straight through ``odr.sms``).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings


def _hhmm(text: str) -> dt.time:
    hours, minutes = text.strip().split(":")
    return dt.time(int(hours), int(minutes))


def sms_not_before(now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet window if ``now`` (aware) falls in it, otherwise None."""
    zone = ZoneInfo(settings.NOTIFY_QUIET_HOURS_TIME_ZONE)
    start = _hhmm(settings.NOTIFY_QUIET_HOURS_START)
    end = _hhmm(settings.NOTIFY_QUIET_HOURS_END)
    if start == end:
        return None  # no window
    local = now.astimezone(zone)
    time = local.time()
    if start < end:  # within one day, e.g. 01:00–06:00
        if start <= time < end:
            return dt.datetime.combine(local.date(), end, tzinfo=zone)
        return None
    # Across midnight, e.g. 22:00–08:00.
    if time >= start:
        return dt.datetime.combine(local.date() + dt.timedelta(days=1), end, tzinfo=zone)
    if time < end:
        return dt.datetime.combine(local.date(), end, tzinfo=zone)
    return None
