"""What the calendar-import tests share: the calendar as migrated, and the fictional notice."""

import json
from pathlib import Path

import pytest

from odr.calendar import seed_from_package, store_statutory_years

# A fictional 2027 notice (not the real one, which is not published): it adds 11–12
# February and 6–7 October as days off and makes Saturdays 20 February and 9 October
# working days.
FICTIONAL_NOTICE = Path(__file__).parent / "data" / "fictional-notice-2027.json"


@pytest.fixture
def calendar_2027():
    """2025–2026 from their notices, 2027 from the statute (as a flushed database lacks)."""
    seed_from_package([2025, 2026])
    store_statutory_years([2027])


@pytest.fixture
def notice() -> dict:
    return json.loads(FICTIONAL_NOTICE.read_text(encoding="utf-8"))
