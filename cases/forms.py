"""Forms of the case pages: the complaint wizard, offers, messages, evidence."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.categories import CATEGORY_CHOICES
from cases.models import Offer

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


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
    )


class FactsStepForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=CATEGORY_CHOICES)
    purchase_date = forms.DateField(label=_("Purchase date"), required=False, widget=DATE)
    knew_of_harm_on = forms.DateField(
        label=_("When you knew of the harm"), required=False, widget=DATE
    )
    amount = forms.DecimalField(
        label=_("Amount paid (CNY)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
    )
    order_number = forms.CharField(label=_("Order number"), max_length=100, required=False)
    platform = forms.CharField(label=_("Platform"), max_length=100, required=False)
    facts = forms.CharField(
        label=_("What happened"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6})
    )


class RequestStepForm(forms.Form):
    request = forms.CharField(
        label=_("What you ask the merchant to do"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Be specific: a refund of 199 yuan, a replacement, a repair."),
    )
    complainant_name = forms.CharField(label=_("Your name"), max_length=100)
    complainant_phone = forms.CharField(label=_("Your phone"), max_length=20)
    complainant_address = forms.CharField(label=_("Your address"), max_length=300)
    agrees_to_publication = forms.BooleanField(
        label=_("I agree that the complaint may be published without my personal data"),
        required=False,
    )
    agrees_to_delegated_mediation = forms.BooleanField(
        label=_("I agree to mediation by a consumer association"), required=False, initial=True
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Add a file (JPEG, PNG, PDF or MP4, at most 20 MB)"))
    description = forms.CharField(label=_("What it shows"), max_length=300, required=False)


class OfferForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Offer.Kind.choices)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
    )
    description = forms.CharField(
        label=_("What you offer"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)
    performance_days = forms.IntegerField(
        label=_("Days to carry it out after acceptance"), min_value=0, max_value=90, initial=7
    )
    counter_to = forms.IntegerField(required=False, widget=forms.HiddenInput)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    client_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
