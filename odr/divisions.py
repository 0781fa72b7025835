"""Administrative division codes (GB/T 2260): which jurisdiction covers which place.

A code is six digits: province (2), city (2), county (2). A province code ends in 0000
and covers its whole province, a city code ends in 00 and covers its counties. The names come
from ``divisions.tsv`` beside this module.
"""

import functools
from collections import Counter
from pathlib import Path


def division_covers(jurisdiction: str, code: str) -> bool:
    if not jurisdiction or not code or len(jurisdiction) != 6 or len(code) != 6:
        return False
    if jurisdiction.endswith("0000"):
        return code[:2] == jurisdiction[:2]
    if jurisdiction.endswith("00"):
        return code[:4] == jurisdiction[:4]
    return code == jurisdiction


def division_prefix(jurisdiction: str) -> str:
    """The prefix every covered code starts with, for a database ``startswith`` filter."""
    if jurisdiction.endswith("0000"):
        return jurisdiction[:2]
    if jurisdiction.endswith("00"):
        return jurisdiction[:4]
    return jurisdiction


# --- Names ---------------------------------------------------------------------------------
# The list (odr/divisions.tsv) is the Ministry of Civil Affairs' one down to county level;
# a code not in it (made up, or newer than the list) is shown as its digits.

_TABLE = Path(__file__).with_name("divisions.tsv")


@functools.cache
def _names() -> dict[str, str]:
    names = {}
    for line in _TABLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t")
            names[code] = name
    return names


@functools.cache
def _label_counts() -> tuple[Counter, Counter]:
    """How often each name, and each name with its parent's, occurs in the country."""
    names = _names()
    return (
        Counter(names.values()),
        Counter(_name_with_parent(code) for code in names),
    )


def _parents(code: str) -> list[str]:
    """The codes above ``code`` that the list has, province first (a county of Beijing or
    one directly under its province has no city)."""
    names = _names()
    above = []
    if not code.endswith("0000"):
        above.append(code[:2] + "0000")
        if not code.endswith("00"):
            above.append(code[:4] + "00")
    return [c for c in above if c in names]


def _name_with_parent(code: str) -> str:
    names = _names()
    parents = _parents(code)
    return (names[parents[-1]] if parents else "") + names.get(code, code)


def division_name(code: str) -> str:
    """The division's own name (兰山区), or '' for a code the list does not have."""
    return _names().get(code or "", "")


def division_full_name(code: str) -> str:
    """Province, city and county (山东省临沂市兰山区; 北京市朝阳区), or '' if unknown."""
    names = _names()
    if code not in names:
        return ""
    return "".join(names[c] for c in [*_parents(code), code])


def division_label(code: str) -> str:
    """The shortest name that says which division it is, anywhere in the country: the own
    name when no other division has it (兰山区), else with its city (临沂市河东区), else in
    full; the code itself when the list does not have it."""
    name = division_name(code)
    if not name:
        return code or ""
    names, with_parent = _label_counts()
    if names[name] == 1:
        return name
    if with_parent[_name_with_parent(code)] == 1:
        return _name_with_parent(code)
    return division_full_name(code)


def division_group(code: str) -> str:
    """The code a division is listed under in a choice: its city, or its province when it
    has no city in the list (a county of a municipality), or itself."""
    if code.endswith("0000"):
        return code
    city = code[:4] + "00"
    if city in _names() or code.endswith("00"):
        return city
    return code[:2] + "0000"


def divisions_under(jurisdiction: str | None, *, depth: str = "county") -> list[str]:
    """The listed codes a jurisdiction covers, itself included, in code order (None: the
    whole country); with ``depth="city"`` only provinces and cities."""
    codes = [c for c in _names() if jurisdiction is None or division_covers(jurisdiction, c)]
    if depth == "city":
        codes = [c for c in codes if c.endswith("00")]
    return sorted(codes)
