"""The dashboard page, its CSVs and the API: figures, jurisdiction, and bad input."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.tests import factories as af

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    """Pages take 'now' from the clock: the overdue figures are for 25 November."""
    import datetime as dt

    from supervision.tests.factories import NOW

    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW.astimezone(dt.UTC))


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))


def test_dashboard_page_shows_figures_and_charts(client, fx):
    client.force_login(fx.regulator)
    response = client.get(reverse("supervision:dashboard"), NOVEMBER)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="total">6<' in html
    assert 'data-figure="settlement_rate">66.7%<' in html
    assert html.count("<svg") == 12  # every figure but the summary has a chart
    assert "350102" not in html  # Fuzhou's district never shows
    # The charts carry their figures as text (for screen readers), the same as the tables.
    assert "<desc>兰山区: 4; 罗庄区: 2</desc>" in html


def test_dashboard_default_period_is_the_last_30_days(client, fx):
    client.force_login(fx.regulator)
    response = client.get(reverse("supervision:dashboard"))
    figures = response.context["figures"]
    # 26 October to 25 November: c1..c6.
    assert (figures.filters.start.isoformat(), figures.filters.end.isoformat()) == (
        "2026-10-27",
        "2026-11-25",
    )
    assert figures.total.cases == 6


def test_district_filter(client, fx):
    client.force_login(fx.regulator)
    response = client.get(reverse("supervision:dashboard"), {**NOVEMBER, "district": "371311"})
    assert response.context["figures"].total.cases == 2


def test_csv_equals_the_figures(client, fx):
    client.force_login(fx.regulator)
    url = reverse("supervision:dashboard_csv", args=["by_district"])
    response = client.get(url, NOVEMBER)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert [r[:5] for r in rows[1:]] == [
        ["371302", "兰山区", "4", "2", "2"],
        ["371311", "罗庄区", "2", "1", "0"],
    ]
    summary = _csv(client.get(reverse("supervision:dashboard_csv", args=["summary"]), NOVEMBER))
    assert summary[1] == ["6", "3", "2", "66.7", "1", "1", "50.0"]


def test_csv_of_every_figure(client, fx):
    from supervision.tables import FIGURES

    client.force_login(fx.regulator)
    for figure in FIGURES:
        response = client.get(reverse("supervision:dashboard_csv", args=[figure]), NOVEMBER)
        assert response.status_code == 200, figure
        assert len(_csv(response)) >= 2, figure


def test_csv_cells_are_not_formulas(client, fx):
    from supervision.tests.factories import at, make_case

    make_case(path=[("submitted", at(11, 12))], merchant_name="=HYPERLINK(1)")
    client.force_login(fx.regulator)
    rows = _csv(client.get(reverse("supervision:dashboard_csv", args=["by_merchant"]), NOVEMBER))
    assert [r[0] for r in rows if "HYPERLINK" in r[0]] == ["'=HYPERLINK(1)"]


def test_unknown_figure_is_404(client, fx):
    client.force_login(fx.regulator)
    assert client.get(reverse("supervision:dashboard_csv", args=["nope"])).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-13-45"},
        {"start": "0001-01-01", "end": "0001-01-02"},
        {"start": "9999-12-31"},
        {"start": "2026-11-30", "end": "2026-11-01"},
        {"start": "2020-01-01", "end": "2026-11-30"},
        {"district": "abc"},
        {"district": "3713021"},
        {"merchant": "x"},
        {"merchant": "99999999999999999999"},
        {"category": "nope"},
        {"platform": "x" * 500},
    ],
)
def test_bad_filters_are_reported_not_errors(client, fx, params):
    client.force_login(fx.regulator)
    response = client.get(reverse("supervision:dashboard"), params)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    csv_response = client.get(reverse("supervision:dashboard_csv", args=["by_state"]), params)
    assert csv_response.status_code == 200
    api = client.get(reverse("api-supervision-dashboard"), params)
    assert api.status_code == 400
    assert api.json()["error"]["code"] == "invalid_filters"


def test_a_district_outside_the_jurisdiction_is_refused_and_not_shown(client, fx):
    client.force_login(fx.regulator)
    response = client.get(reverse("supervision:dashboard"), {**NOVEMBER, "district": "350102"})
    assert response.status_code == 200
    assert response.context["form"].errors["district"]
    assert response.context["figures"].total.cases == 6  # the jurisdiction, not Fuzhou
    rows = _csv(
        client.get(
            reverse("supervision:dashboard_csv", args=["by_district"]),
            {**NOVEMBER, "district": "350102"},
        )
    )
    assert "350102" not in {r[0] for r in rows}
    api = client.get(reverse("api-supervision-dashboard"), {**NOVEMBER, "district": "350102"})
    assert api.status_code == 400


def test_each_regulator_sees_only_their_jurisdiction(client, fx):
    client.force_login(fx.other_regulator)
    response = client.get(reverse("supervision:dashboard"), NOVEMBER)
    assert response.context["figures"].total.cases == 1
    rows = _csv(client.get(reverse("supervision:dashboard_csv", args=["by_district"]), NOVEMBER))
    assert [r[0] for r in rows[1:]] == ["350102"]
    api = client.get(reverse("api-supervision-dashboard"), NOVEMBER).json()
    assert api["figures"]["summary"]["rows"] == [[1, 0, 0, "", 0, 0, ""]]
    client.force_login(fx.district_regulator)
    api = client.get(reverse("api-supervision-dashboard"), NOVEMBER).json()
    assert [r[0] for r in api["figures"]["by_district"]["rows"]] == ["371311"]


@pytest.mark.parametrize(
    "name",
    [
        "supervision:dashboard",
        "supervision:alerts",
        "supervision:rules",
        "supervision:satisfaction",
        "supervision:reports",
    ],
)
def test_pages_are_for_regulators(client, fx, name):
    assert client.get(reverse(name)).status_code == 302  # to the login page
    client.force_login(fx.consumer)
    assert client.get(reverse(name)).status_code == 403
    client.force_login(fx.regulator)
    assert client.get(reverse(name)).status_code == 200


def test_apis_are_for_regulators(client, fx):
    for name in ("api-supervision-dashboard", "api-supervision-alerts"):
        assert client.get(reverse(name)).status_code in (401, 403)
        client.force_login(fx.consumer)
        assert client.get(reverse(name)).status_code == 403
        client.logout()


def test_administrator_sees_everything(client, fx):
    client.force_login(af.administrator())
    response = client.get(reverse("supervision:dashboard"), NOVEMBER)
    assert response.context["figures"].total.cases == 7
