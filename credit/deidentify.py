"""De-identification of consumers in everything public: 张** names, no numbers.

Credit records keep only the masked name (never a phone, an address or an order number),
and free text published (a merchant's reply, a negative-list reason) is scrubbed of the
complainants' own names, phones, addresses and order numbers as the cases hold them, and
of anything that looks like a phone, an order or ID number (whatever separates its
digits, or written in Chinese numerals), a street address or an e-mail address.
"""

import re

MASK = "**"
# Runs of 6 or more digits, allowing the separators people type inside numbers, and
# letter-digit codes of 8 or more (order numbers like JD20260101123456, ID numbers).
_LONG_NUMBER = re.compile(r"\+?\d[\d \-–./_·]{3,}\d")
# A sum of money (1299.00) or a date (2026-01-05, 2026.1.5, 2026/01/05) is not a number
# that identifies anyone.
_AMOUNT = re.compile(r"\d+\.\d{1,2}")
_CHINESE_NUMBER = re.compile(r"[零〇一二三四五六七八九幺]{6,}")
# A street address: a road, street or lane and a house number, with what follows it.
_ADDRESS = re.compile(
    r"[\u4e00-\u9fff]{0,24}(?:路|街|道|巷|弄|胡同|大道)\s*[\d一二三四五六七八九十百零〇]+\s*号"
    r"(?:\s*[\d\-]+\s*(?:栋|幢|楼|单元|室|号))*"
)
_CODE = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{8,}(?![A-Za-z0-9])"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_DATE = re.compile(r"\d{4}[-–./]\d{1,2}[-–./]\d{1,2}")
MIN_DIGITS = 6


def _number(match: re.Match) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    stripped = text.strip()
    if digits < MIN_DIGITS or _DATE.fullmatch(stripped) or _AMOUNT.fullmatch(stripped):
        return text
    return "***"


def mask_name(name: str) -> str:
    """The first character and two stars, whatever the length: 张三 and 张三丰 are both 张**."""
    text = (name or "").strip()
    return (text[0] + MASK) if text else MASK


def _variants(value: str) -> set[str]:
    """A phone as people write it: with and without +86, and its last 11 digits."""
    value = value.strip()
    found = {value}
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) >= 11:
        found.add(digits[-11:])
    return {v for v in found if len(v) >= 4}


def scrub_text(text: str, *, names: tuple[str, ...] = (), exact: tuple[str, ...] = ()) -> str:
    """Public text with personal data taken out: the given names masked, the given exact
    strings (phones, addresses, order numbers) removed, then anything that looks like a
    number, code, street address or e-mail address."""
    out = text or ""
    literal = set()
    for value in exact:
        if value:
            literal |= _variants(value)
    for value in sorted(literal, key=len, reverse=True):
        out = out.replace(value, "***")
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        if len(name) >= 2:
            out = out.replace(name, mask_name(name))
    out = _EMAIL.sub("***@***", out)
    out = _ADDRESS.sub("***", out)
    out = _CHINESE_NUMBER.sub("***", out)
    out = _LONG_NUMBER.sub(_number, out)
    out = _CODE.sub("***", out)
    return out
