"""Administrative division codes (GB/T 2260): which jurisdiction covers which place.

A code is six digits: province (2), city (2), county (2). A province code ends in 0000
and covers its whole province, a city code ends in 00 and covers its counties.
"""


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
