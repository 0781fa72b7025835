"""One world of real data per test module, for the sweeps over every route and operation
(tests/test_api_fuzz.py, tests/test_form_fuzz.py, tests/test_outsiders.py), and a
fingerprint of the database to show that a refused request changed nothing.

Built once, inside a transaction that is rolled back after the module's last test; each
test runs in a savepoint of it (pytest-django's own atomic, nested), so what one request
changes the next does not see.
"""

import contextlib
import hashlib
from collections.abc import Iterator

from django.apps import apps
from django.db import connection, transaction
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


# Rows that requests change by design, whoever sends them: sessions and sign-in records,
# the calendar (static, and large).
NOT_FINGERPRINTED = {
    "sessions.session",
    "axes.accessattempt",
    "axes.accessfailurelog",
    "axes.accessattemptexpiration",
    "axes.accesslog",
    "odr.calendarday",
    "odr.calendaryear",
    "contenttypes.contenttype",
    "auth.permission",
}
# Fields that record use, not change: a token's last use (arbitration/apis.py updates it
# on every call, at most once a minute) and a sign-in.
IGNORED_FIELDS = {"accounts.user": {"last_login"}, "arbitration.apitoken": {"last_used_at"}}


def _fingerprinted():
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in NOT_FINGERPRINTED or model._meta.proxy or not model._meta.managed:
            continue
        ignored = IGNORED_FIELDS.get(label, set())
        yield label, model, [f for f in model._meta.concrete_fields if f.name not in ignored]


def db_fingerprint() -> dict[str, str]:
    """A digest of every table's rows: on PostgreSQL in one query, as this runs after
    every request."""
    if connection.vendor != "postgresql":
        return {
            label: hashlib.sha256(
                repr(
                    list(model._base_manager.order_by("pk").values_list(*(f.attname for f in fs)))
                ).encode()
            ).hexdigest()
            for label, model, fs in _fingerprinted()
        }
    qn = connection.ops.quote_name
    parts, labels = [], []
    for label, model, fields in _fingerprinted():
        columns = ", ".join(qn(f.column) for f in fields)
        order = qn(model._meta.pk.column)
        table = qn(model._meta.db_table)
        rows = f"string_agg(row({columns})::text, ',' ORDER BY {order})"
        parts.append(f"SELECT %s, md5(coalesce({rows}, '')) FROM {table}")  # noqa: S608
        labels.append(label)
    with connection.cursor() as cursor:
        # Names from the models, quoted; the labels are parameters.
        cursor.execute(" UNION ALL ".join(parts), labels)
        return dict(cursor.fetchall())
