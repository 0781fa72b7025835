"""The case page's forms for proof of identity (SAMR form 4) and for the recusal of the
mediator (form 7). They parse what a person typed; the services (cases/services/identity.py,
recusal.py) decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import EMPTY_CHOICE, EVIDENCE_ACCEPT
from cases.models import Case
from cases.services.recusal import mediator_choices, recusal_rule

MAX_TEXT = 4000


class IdentityRequestForm(forms.Form):
    materials = forms.CharField(
        label=_("Proof of identity asked for"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: both sides of the resident identity card."),
    )


class IdentityProofForm(forms.Form):
    file = forms.FileField(label=_("Proof of identity (JPEG, PNG or PDF)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"accept": EVIDENCE_ACCEPT})


def _ground_choices(case: Case, english: bool) -> list[tuple[str, str]]:
    rule = recusal_rule(case)
    if rule is None:
        return []
    return [(g.code, g.text_en if english else g.text_zh) for g in rule.grounds]


class RecusalRequestForm(forms.Form):
    ground = forms.ChoiceField(label=_("Why the mediator should step aside"))
    reasons = forms.CharField(
        label=_("Your reasons"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, case: Case, **kwargs):
        from django.utils.translation import get_language

        super().__init__(*args, **kwargs)
        english = (get_language() or "").startswith("en")
        self.fields["ground"].choices = EMPTY_CHOICE + _ground_choices(case, english)


class RecusalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("grant", _("Grant: another mediator takes over")),
            ("refuse", _("Refuse: the mediator stays")),
        ],
        widget=forms.RadioSelect,
    )
    new_mediator = forms.ChoiceField(label=_("New mediator (if granted)"), required=False)
    reasons = forms.CharField(
        label=_("Reasons (required when refusing)"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_mediator"].choices = EMPTY_CHOICE + mediator_choices(case=case)
