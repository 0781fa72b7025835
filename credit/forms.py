"""Forms of the credit pages: parse and show errors next to the fields; the rules are in
the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from credit.services.repair import MAX_TEXT
from credit.services.replies import MAX_REPLY


def _prefixed(form_class, key: str, data=None) -> forms.Form:
    """A form whose field ids are unique on a page that shows one per record."""
    return form_class(data=data, auto_id=f"{key}-%s")


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your public reply"),
        max_length=MAX_REPLY,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Shown to everyone beside this record. Do not write the consumer's name, phone "
            "or order number: they are removed."
        ),
    )


class RepairForm(forms.Form):
    statement = forms.CharField(
        label=_("How you made good"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you did for the consumer, and when. A regulator decides."),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve the repair")), ("refuse", _("Refuse the repair"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConfirmListingForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    review_on = forms.DateField(
        label=_("Review date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class RemoveListingForm(forms.Form):
    removal_reason = forms.CharField(
        label=_("Reason for removal"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )


def reply_form(record_id: int, data=None) -> ReplyForm:
    return _prefixed(ReplyForm, f"reply-{record_id}", data)


def repair_form(record_id: int, data=None) -> RepairForm:
    return _prefixed(RepairForm, f"repair-{record_id}", data)


def decision_form(application_id: int, data=None) -> DecisionForm:
    return _prefixed(DecisionForm, f"decide-{application_id}", data)


def confirm_form(merchant_id: int, data=None) -> ConfirmListingForm:
    return _prefixed(ConfirmListingForm, f"confirm-{merchant_id}", data)


def remove_form(entry_id: int, data=None) -> RemoveListingForm:
    return _prefixed(RemoveListingForm, f"remove-{entry_id}", data)


def add_service_errors(form: forms.Form, fields: dict, message: str) -> None:
    """Put a service's field errors next to the fields (or above the form)."""
    placed = False
    for name, errors in (fields or {}).items():
        if name in form.fields:
            for error in errors:
                form.add_error(name, error)
            placed = True
    if not placed:
        form.add_error(None, message)
