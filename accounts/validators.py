"""Checks for identifiers: mobile numbers, unified social credit codes, division codes."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
DIVISION_CODE_RE = re.compile(r"^[1-9]\d{5}$")


def normalise_phone(raw: str) -> str:
    """Return the E.164 form of a mobile number; numbers without a country code are Chinese."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a mobile number."), code="required")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("This is not a valid mobile number."), code="invalid") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This is not a valid mobile number."), code="invalid")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(_("Enter a mobile number that can receive SMS."), code="not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_phone(value: str) -> None:
    if normalise_phone(value) != value:
        raise ValidationError(_("Store mobile numbers in E.164 form, like +8613800000001."))


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(value: str) -> None:
    """Validate a unified social credit code (GB 32100-2015), saying what is wrong."""
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d.")
            % {"n": len(code)},
            code="length",
        )
    for position, char in enumerate(code, start=1):
        if char not in USCC_ALPHABET:
            raise ValidationError(
                _("Character %(pos)d (“%(char)s”) is not allowed in a unified social credit code.")
                % {"pos": position, "char": char},
                code="character",
            )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The check character (position 18) does not match: it is “%(got)s”, "
                "the other 17 characters give “%(want)s”."
            )
            % {"got": code[17], "want": expected},
            code="checksum",
        )


def check_division_code(value: str) -> None:
    if not DIVISION_CODE_RE.match(value or ""):
        raise ValidationError(
            _("An administrative division code is six digits, like 371300."), code="invalid"
        )
