"""Forms of the report pages: filing, and the office's steps. They parse and label input;
the rules stay in the services, whose refusals the views put back next to the field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms import EVIDENCE_ACCEPT
from reports.models import Finding
from reports.violations import VIOLATION_CHOICES

EMPTY = [("", "—")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class ReportForm(forms.Form):
    who = forms.ChoiceField(
        label=_("Who is reporting"),
        choices=[
            ("named", _("I give my name (the office can tell me what it decides)")),
            ("anonymous", _("Anonymously (nobody can tell me what is decided)")),
        ],
        initial="named",
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Your mobile number"), max_length=30, required=False)
    id_number = forms.CharField(
        label=_("Your ID number (optional)"),
        max_length=30,
        required=False,
        help_text=_("Only the office handling the report sees it."),
    )
    wants_notice = forms.BooleanField(
        label=_("Tell me by SMS whether the office opens a case"), required=False, initial=True
    )
    merchant_uscc = forms.CharField(
        label=_("The merchant's unified social credit code (if you know it)"),
        max_length=18,
        required=False,
    )
    merchant_name = forms.CharField(label=_("The merchant's name"), max_length=200, required=False)
    merchant_division_code = forms.CharField(
        label=_("District code of the merchant's place"),
        max_length=6,
        required=False,
        help_text=_("Six digits, for example 371302 for Lanshan District, Linyi."),
    )
    merchant_address = forms.CharField(
        label=_("The merchant's address"), max_length=300, required=False
    )
    merchant_store_url = forms.CharField(
        label=_("The online shop or product page"), max_length=500, required=False
    )
    violation_kind = forms.ChoiceField(
        label=_("What do you report"), choices=EMPTY + VIOLATION_CHOICES, required=True
    )
    facts = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("When and where, what the merchant did, and how you know."),
    )
    files = MultipleFileField(label=_("Evidence (photos, screenshots, PDF or video)"))


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label=_("Why more time is needed (approved by the head of the office)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("open", _("Open a case (立案)")), ("not_open", _("Do not open a case"))],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )


class FindingForm(forms.Form):
    finding = forms.ChoiceField(
        label=_("Finding"),
        choices=[
            (Finding.VIOLATION, _("A violation was found")),
            (Finding.NO_VIOLATION, _("No violation was found")),
        ],
        widget=forms.RadioSelect,
    )
    summary = forms.CharField(
        label=_("What was found"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
