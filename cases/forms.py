"""Forms of the case pages: the complaint wizard, offers, messages, evidence, transitions.

They parse and label input; the rules themselves stay in the services, whose refusals the
views put back on these forms next to the field they concern.
"""

import uuid
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Merchant
from accounts.validators import check_division_code
from cases.categories import CATEGORY_CHOICES
from cases.models import Case, Consent, Offer
from cases.services.consents import QUESTIONS
from cases.services.evidence import MAX_BYTES
from cases.services.intake import REQUIRED_MESSAGES
from cases.services.transitions import TransitionSpec, field_choices

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
EMPTY_CHOICE = [("", "—")]
EVIDENCE_ACCEPT = ".jpg,.jpeg,.png,.pdf,.mp4,image/jpeg,image/png,application/pdf,video/mp4"


def _required(name: str) -> dict:
    """The error a step shows when a detail the rules require is left empty: the words the
    review step uses for it (cases/services/intake.py)."""
    return {"required": REQUIRED_MESSAGES[name]}


def _not_in_future(day):
    if day and day > timezone.localdate():
        raise ValidationError(_("This date is in the future."))
    return day


class MerchantStepForm(forms.Form):
    merchant = forms.IntegerField(required=False, widget=forms.HiddenInput)
    merchant_name = forms.CharField(
        label=_("Merchant's name (if not found above)"), max_length=200, required=False
    )
    merchant_address = forms.CharField(
        label=_("Merchant's address"), max_length=300, required=False
    )
    merchant_store_url = forms.CharField(label=_("Store URL"), max_length=500, required=False)
    merchant_division_code = forms.CharField(
        label=_("Merchant's division code"),
        max_length=6,
        required=False,
        help_text=_("Six digits, like 371302 for Lanshan District, Linyi."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    # Required when the merchant is named here (not chosen above): the step marks them so.
    named_required = ("merchant_name", "merchant_division_code")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.named_required:
            self.fields[name].widget.attrs["aria-required"] = "true"

    def clean(self):
        data = super().clean()
        merchant = data.get("merchant")
        if merchant:
            if not Merchant.objects.filter(pk=merchant).exists():
                raise ValidationError(_("Choose a merchant above, or name it here."))
            return data
        if not (data.get("merchant_name") or "").strip():
            self.add_error("merchant_name", _("Choose a merchant above, or name it here."))
            return data
        try:
            check_division_code(data.get("merchant_division_code") or "")
        except ValidationError:
            self.add_error(
                "merchant_division_code",
                _("Give the merchant's place (administrative division code, like 371302)."),
            )
        return data


class FactsStepForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"),
        choices=EMPTY_CHOICE + CATEGORY_CHOICES,
        error_messages={"required": _("Choose a category from the list.")},
    )
    purchase_date = forms.DateField(label=_("Purchase date"), required=False, widget=DATE)
    knew_of_harm_on = forms.DateField(
        label=_("When you knew of the harm"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty if it is the purchase date."),
    )
    amount = forms.DecimalField(
        label=_("Amount paid (CNY)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    claimed_from_merchant_on = forms.DateField(
        label=_("When you last asked the merchant to put it right"),
        required=False,
        widget=DATE,
        help_text=_(
            "If you did. A complaint is normally made within three years of knowing of the "
            "harm; asking the merchant starts the three years again."
        ),
    )
    order_number = forms.CharField(label=_("Order number"), max_length=100, required=False)
    platform = forms.CharField(label=_("Platform"), max_length=100, required=False)
    facts = forms.CharField(
        label=_("What happened"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages=_required("facts"),
    )

    def clean_purchase_date(self):
        return _not_in_future(self.cleaned_data.get("purchase_date"))

    def clean_knew_of_harm_on(self):
        return _not_in_future(self.cleaned_data.get("knew_of_harm_on"))

    def clean_claimed_from_merchant_on(self):
        return _not_in_future(self.cleaned_data.get("claimed_from_merchant_on"))


class RequestStepForm(forms.Form):
    request = forms.CharField(
        label=_("What you ask the merchant to do"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Be specific: a refund of 199 yuan, a replacement, a repair."),
        error_messages=_required("request"),
    )
    complainant_name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages=_required("complainant_name"),
    )
    complainant_phone = forms.CharField(
        label=_("Your phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages=_required("complainant_phone"),
    )
    complainant_address = forms.CharField(
        label=_("Your address"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        error_messages=_required("complainant_address"),
    )
    # The registration's two questions: unticked unless the consumer ticks them, each with
    # what it means (cases/services/consents.py keeps the same words with the answer).
    agrees_to_publication = forms.BooleanField(
        label=QUESTIONS["publication"].label,
        help_text=QUESTIONS["publication"].explanation,
        required=False,
    )
    agrees_to_delegated_mediation = forms.BooleanField(
        label=QUESTIONS["delegated_mediation"].label,
        help_text=QUESTIONS["delegated_mediation"].explanation,
        required=False,
    )


class ConsentForm(forms.Form):
    """The consumer changes one answer of the registration on the case page."""

    question = forms.ChoiceField(choices=Consent.Question.choices, widget=forms.HiddenInput)
    answer = forms.TypedChoiceField(
        choices=[("yes", _("Yes, I agree")), ("no", _("No, I do not agree"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        label="",
    )


def max_evidence_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", MAX_BYTES)


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Add a file (JPEG, PNG, PDF or MP4, at most 20 MB)"))
    description = forms.CharField(label=_("What it shows"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # For static/js/cases.js: a file too large is refused before it is sent.
        limit = max_evidence_bytes()
        self.fields["file"].widget.attrs.update(
            {
                "accept": EVIDENCE_ACCEPT,
                "data-max-bytes": str(limit),
                "data-too-large": gettext("Files may be at most %(mb)d MB.")
                % {"mb": limit // (1024 * 1024)},
            }
        )


class OfferForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Offer.Kind.choices)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("What you offer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)
    performance_days = forms.IntegerField(
        label=_("Days to carry it out after acceptance"),
        min_value=0,
        max_value=90,
        initial=7,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    counter_to = forms.IntegerField(required=False, widget=forms.HiddenInput)


class OfferRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    # A fresh id per rendered form: sending the same form twice posts one message.
    client_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    @staticmethod
    def new_client_id() -> str:
        return uuid.uuid4().hex


def transition_form(case: Case, spec: TransitionSpec, data=None) -> forms.Form:
    """The form of one transition, with the fields its spec names (choices for this case)."""
    fields: dict[str, forms.Field] = {}
    for f in spec.fields:
        common = {"label": f.label, "required": f.required}
        if f.kind == "choice":
            fields[f.name] = forms.ChoiceField(
                choices=EMPTY_CHOICE + field_choices(case, f), **common
            )
        elif f.kind == "date":
            fields[f.name] = forms.DateField(widget=DATE, **common)
        elif f.kind == "decimal":
            fields[f.name] = forms.DecimalField(
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=2,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                **common,
            )
        elif f.kind == "int":
            fields[f.name] = forms.IntegerField(min_value=0, **common)
        else:
            fields[f.name] = forms.CharField(
                max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), **common
            )
    form_class = type(f"TransitionForm_{spec.name}", (forms.Form,), fields)
    return form_class(data, auto_id=f"t-{spec.name}-%s")
