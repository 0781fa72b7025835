"""One world of real data per test module, for the sweeps over every route and operation
(tests/test_api_fuzz.py, tests/test_outsiders.py).

Built once, inside a transaction that is rolled back after the module's last test; each
test runs in a savepoint of it (pytest-django's own atomic, nested), so what one request
changes the next does not see.
"""

import contextlib
from collections.abc import Iterator

from django.db import transaction
from django.test import override_settings

from arbitration.tests import factories as af
from cases.tests import factories as cf

# Limits that a sweep of hundreds of requests by the same few people would trip.
SWEEP_SETTINGS = {
    "ARBITRATION_API_RATE": "100000/min",
    "ARBITRATION_PUBLIC_BASE_URL": "https://odr.example.cn",
    "MEDIATION_RATE_MESSAGES": 100000,
    "DOCUMENTS_VERIFY_PER_MINUTE": 100000,
}


@contextlib.contextmanager
def rolled_back_cast(django_db_blocker, tmp_path_factory) -> Iterator[cf.Cast]:
    """The factories' cast (both arbitration bodies with profiles), with media in a
    temporary folder; everything made inside is rolled back when the block ends."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, **SWEEP_SETTINGS),
        transaction.atomic(),
    ):
        c = cf.cast()
        af.profile(c.body)
        af.profile(c.other_body)
        yield c
        transaction.set_rollback(True)
