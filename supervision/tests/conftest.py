import pytest

from supervision.tests.factories import Fixture


@pytest.fixture(autouse=True)
def _default_rules(request):
    """The national default rules, as the data migration seeds them: a transactional test
    elsewhere in the run flushes the tables, migration rows included."""
    if "django_db" not in {m.name for m in request.node.iter_markers()} and not (
        {"db", "transactional_db", "client", "fx"} & set(request.fixturenames)
    ):
        return
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from supervision.services.rules import rules_seed_defaults

    rules_seed_defaults()


@pytest.fixture
def fx(db) -> Fixture:
    return Fixture()


@pytest.fixture
def alert(db):
    """An open merchant-spike alert in district 371302 (Lanshan, Linyi)."""
    from django.utils import timezone

    from supervision.models import Alert, AlertRule

    rule = AlertRule.objects.get(kind="merchant_spike", jurisdiction="")
    return Alert.objects.create(
        rule=rule,
        kind=rule.kind,
        severity="high",
        division_code="371302",
        subject="merchant:1",
        window="2026-11-23",
        subject_label="临沂优品",
        evidence={"count": 6, "threshold": 5, "history": [1] * 8, "mean": 1, "sd": 0, "cases": []},
        created_at=timezone.now(),
    )
