"""The merchant's right of reply: one public reply per record, de-identified."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.models import Case
from credit.deidentify import scrub_text
from credit.models import CreditRecord, CreditReply
from credit.selectors import is_merchant_staff
from odr.errors import Conflict, DomainError, NotAllowed

MAX_REPLY = 1000


def check_reply_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise DomainError(_("Write your reply."), fields={"body": [_("Write your reply.")]})
    if len(text) > MAX_REPLY:
        message = _("At most %(n)d characters.") % {"n": MAX_REPLY}
        raise DomainError(message, fields={"body": [message]})
    if "\x00" in text:
        raise DomainError(_("Remove the NUL character."), fields={"body": [_("Invalid text.")]})
    return text


def reply_attach(*, record: CreditRecord, actor, body: str) -> CreditReply:
    """Publish the merchant's reply to a record; one per record, written once.

    Anything that could identify the consumer (their name, numbers, e-mail addresses) is
    taken out before it is stored, since the reply is public.
    """
    text = check_reply_body(body)
    if not is_merchant_staff(actor, record.merchant_id):
        raise NotAllowed(_("Only the merchant's own staff may reply."), code="not_your_merchant")
    if CreditReply.objects.filter(record=record).exists():
        raise Conflict(_("This record already has your reply."), code="already_replied")
    complainant = (
        Case.objects.filter(pk=record.case_id)
        .values_list("complainant_name", "complainant_phone", "complainant_address", "order_number")
        .first()
    ) or ("", "", "", "")
    try:
        with transaction.atomic():
            return CreditReply.objects.create(
                record=record,
                author=actor,
                body=scrub_text(text, names=(complainant[0],), exact=tuple(complainant[1:])),
            )
    except IntegrityError as exc:  # a second reply at the same moment
        raise Conflict(_("This record already has your reply."), code="already_replied") from exc
