"""``{% load documents %}{% case_documents case %}``: the case page's documents panel.

It shows each document with its state; while one is being prepared or signed, the panel
polls /verify/case/<ref>/documents/ with htmx and swaps itself, so the download link
appears without a page reload. The case page has already called ``access_case``.
"""

from django import template

from documents.selectors import document_rows

register = template.Library()


@register.inclusion_tag("documents/_panel.html", takes_context=True)
def case_documents(context, case):
    rows = document_rows(case=case, user=context["request"].user)
    return {"case": case, "rows": rows, "polling": any(r.in_progress for r in rows)}
