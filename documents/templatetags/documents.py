"""``{% load documents %}{% case_documents case %}``: the case page's documents panel.

It shows each document with its state; while one is being prepared or signed, the panel
polls /verify/case/<ref>/documents/ with htmx and swaps itself, so the download link
appears without a page reload. The case page has already called ``access_case``.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django import template

from documents.selectors import document_rows

register = template.Library()


@register.inclusion_tag("documents/_panel.html", takes_context=True)
def case_documents(context, case):
    rows = document_rows(case=case, user=context["request"].user)
    return {"case": case, "rows": rows, "polling": any(r.in_progress for r in rows)}


_BEIJING = ZoneInfo("Asia/Shanghai")
# asn1crypto's human_friendly names: "Common Name: …, Organization: …, Country: CN".
_X500 = re.compile(
    r"(Common Name|Organization|Organizational Unit|Country|State/Province|Locality|Email Address|Serial Number): "
)


@register.filter
def beijing_time(value) -> str:
    """A moment (ISO text or datetime) as people read it: 2026-12-07 10:01, Beijing time."""
    if not value:
        return ""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M")


@register.filter
def signer_name(subject: str) -> str:
    """Who signed, from the certificate's subject: the organisation, and the name on the
    certificate when it differs (not the X.500 field names)."""
    parts = _X500.split(subject or "")
    fields = {parts[i]: parts[i + 1].rstrip(", ") for i in range(1, len(parts) - 1, 2)}
    organisation = fields.get("Organization", "")
    common = fields.get("Common Name", "")
    if organisation and common and organisation != common:
        return f"{organisation}（{common}）"
    return organisation or common or subject
