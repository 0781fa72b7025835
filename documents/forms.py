from django import forms
from django.utils.translation import gettext_lazy as _


class VerifyForm(forms.Form):
    number = forms.CharField(
        label=_("Document number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "LY-2026-000123-MA1-7KQ2XD"}),
    )
    file = forms.FileField(
        label=_("or the PDF file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean(self):
        data = super().clean()
        if not data.get("number") and not data.get("file"):
            raise forms.ValidationError(_("Enter a document number or choose a PDF file."))
        return data


class ConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
