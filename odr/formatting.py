"""How the service writes what a reader reads: dates, moments, amounts, time left, people,
divisions and signers. One place for pages (``{% load formatting %}``), PDFs
(documents/services/render.py), SMS and notices (notifications/services/recording.py) and
the API's display fields, so that the same thing reads the same everywhere.

Every function takes the reader's language ("zh-hans" or "en"; by default the active one)
and gives "" (or "—" where a table needs a mark) for a missing value, never raises on bad
stored text. Moments are shown in Beijing time, the time every clock of the service counts
in, whatever the reader's device says.
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.translation import ngettext

from odr import divisions

BEIJING = ZoneInfo("Asia/Shanghai")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# asn1crypto's human_friendly names: "Common Name: …, Organization: …, Country: CN".
_X500 = re.compile(
    r"(Common Name|Organization|Organizational Unit|Country|State/Province|Locality"
    r"|Email Address|Serial Number): "
)


def language_of(language: str | None = None) -> str:
    """ "zh-hans" or "en": the language given, else the active one; Chinese by default."""
    code = (language or translation.get_language() or "zh-hans").lower()
    return "en" if code.startswith("en") else "zh-hans"


def _day(value) -> dt.date | None:
    if not value:
        return None
    if isinstance(value, dt.datetime):
        return _local(value).date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _moment(value) -> dt.datetime | None:
    if not value:
        return None
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(BEIJING) if moment.tzinfo else moment


def short_date(value) -> str:
    """2026-12-07, in every language: lists, tables, forms."""
    day = _day(value)
    return day.isoformat() if day else ""


def long_date(value, language: str | None = None) -> str:
    """2026年12月7日 / 7 December 2026: sentences, documents, SMS."""
    day = _day(value)
    if day is None:
        return ""
    if language_of(language) == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def moment(value) -> str:
    """2026-12-07 10:01, Beijing time: a moment in a list or a log (ISO text accepted)."""
    when = _moment(value)
    return _local(when).strftime("%Y-%m-%d %H:%M") if when else ""


def long_moment(value, language: str | None = None) -> str:
    """2026年12月7日 10:01 / 7 December 2026, 10:01, Beijing time: in sentences."""
    when = _moment(value)
    if when is None:
        return ""
    local = _local(when)
    separator = ", " if language_of(language) == "en" else " "
    return f"{long_date(local.date(), language)}{separator}{local:%H:%M}"


def amount(value, language: str | None = None, *, formal: bool = False) -> str:
    """1,234.00 元 / CNY 1,234.00; ``formal`` (a document's terms): 人民币1,234.00元."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    if language_of(language) == "en":
        return f"CNY {number:,}"
    return f"人民币{number:,}元" if formal else f"{number:,} 元"


def time_left(n: int, unit: str, language: str | None = None) -> str:
    """What a clock leaves, counted as it counts: working days for a working-day clock,
    days otherwise; never months and weeks."""
    with translation.override(language_of(language)):
        if unit == "working_days":
            return ngettext("%(n)s working day left", "%(n)s working days left", n) % {"n": n}
        return ngettext("%(n)s day left", "%(n)s days left", n) % {"n": n}


def person(user) -> str:
    """A person as the service names them: the name they gave, else their account name."""
    if user is None:
        return ""
    return user.display_name or user.get_full_name() or user.username


def division(code: str) -> str:
    """兰山区, 临沂市 (the short name a list shows), or the code when the list lacks it."""
    return divisions.division_label(code or "")


def division_full(code: str) -> str:
    """山东省临沂市兰山区, or the code when the list does not have it."""
    return divisions.division_full_name(code or "") or (code or "")


def signer(subject: str) -> str:
    """Who signed, from a certificate's subject: the organisation, and the name on the
    certificate when it differs (not the X.500 field names)."""
    parts = _X500.split(subject or "")
    fields = {parts[i]: parts[i + 1].rstrip(", ") for i in range(1, len(parts) - 1, 2)}
    organisation = fields.get("Organization", "")
    common = fields.get("Common Name", "")
    if organisation and common and organisation != common:
        return f"{organisation}（{common}）"
    return organisation or common or subject
