"""Party data as shown where the full data is not needed: 张**, 138****0001, 临沂**有限公司."""

from __future__ import annotations


def mask_person(name: str) -> str:
    """A person's name: the first character, then two stars, whatever the length."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "**"


def mask_organisation(name: str) -> str:
    """An organisation's name: the first two and last four characters (张记**有限公司)."""
    name = (name or "").strip()
    if len(name) <= 4:
        return mask_person(name)
    if len(name) <= 8:
        return name[:2] + "**" + name[-2:]
    return name[:2] + "**" + name[-4:]


def mask_phone(phone: str) -> str:
    """A phone number: the last four digits only (+86 138****0001 style)."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if len(digits) < 7:
        return "****"
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits[:3] + "****" + digits[-4:]
