"""De-identification of consumers in everything public: 张** names, no numbers.

Credit records keep only the masked name (never a phone, an address or an order number),
and free text a merchant publishes (a reply) is scrubbed of anything that looks like a
phone, an order or ID number, an e-mail address, or the complainant's name.
"""

import re

MASK = "**"
# Runs of 6 or more digits, allowing the separators people type inside numbers, and
# letter-digit codes of 8 or more (order numbers like JD20260101123456, ID numbers).
_LONG_NUMBER = re.compile(r"\+?\d[\d \-–]{3,}\d")
_CODE = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{8,}(?![A-Za-z0-9])"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_DATE = re.compile(r"\d{4}[-–]\d{1,2}[-–]\d{1,2}")
MIN_DIGITS = 6


def _number(match: re.Match) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < MIN_DIGITS or _DATE.fullmatch(text.strip()):
        return text
    return "***"


def mask_name(name: str) -> str:
    """The first character and two stars, whatever the length: 张三 and 张三丰 are both 张**."""
    text = (name or "").strip()
    return (text[0] + MASK) if text else MASK


def scrub_text(text: str, *, names: tuple[str, ...] = ()) -> str:
    """Public text with personal data taken out: numbers, codes, e-mails and given names."""
    out = text or ""
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        if len(name) >= 2:
            out = out.replace(name, mask_name(name))
    out = _EMAIL.sub("***@***", out)
    out = _LONG_NUMBER.sub(_number, out)
    out = _CODE.sub("***", out)
    return out
