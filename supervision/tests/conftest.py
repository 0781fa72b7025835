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
    from supervision.tests.factories import spike_alert

    return spike_alert(1)
