import pytest

from arbitration.tests import factories as f
from cases.tests import factories as cf


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ARBITRATION_PUBLIC_BASE_URL = "https://odr.example.cn"
    # Token ids repeat between tests (rolled back), so the shared rate counters would carry
    # over; the rate limit has its own test, which sets its own rate.
    settings.ARBITRATION_API_RATE = "100000/min"


@pytest.fixture
def c(db):
    cast = cf.cast()
    f.profile(cast.body)
    f.profile(cast.other_body)
    return cast
