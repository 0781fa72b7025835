"""The kinds of suspected violation a report names, after the 12315 classification of
reports (举报): a short coded list, each with its label in both languages (gettext)."""

from django.utils.translation import gettext_lazy as _

VIOLATIONS = [
    ("false_advertising", _("False or misleading advertising")),
    ("counterfeit", _("Fake or substandard goods")),
    ("price_fraud", _("Price fraud or unmarked prices")),
    ("unlicensed", _("Trading without a licence")),
    ("food_safety", _("Food safety")),
    ("unfair_terms", _("Unfair standard terms")),
    ("weights_measures", _("Short weight or false measures")),
    ("other", _("Another suspected violation")),
]
VIOLATION_CHOICES = [(code, label) for code, label in VIOLATIONS]
VIOLATION_CODES = frozenset(code for code, _label in VIOLATIONS)


def violation_label(code: str) -> str:
    return str(dict(VIOLATION_CHOICES).get(code, code))
