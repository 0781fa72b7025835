"""The workspace names divisions as people read them (兰山区, 临沂市河东区), never by their
codes alone: the dashboard's tables, charts and filter, the CSVs (code and name), the API
(a name beside each code), the alerts, the rules and the reports."""

import csv
import io
import re

import pytest
from django.urls import reverse

from accounts.tests import factories as af
from supervision.tests.factories import at, make_case

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    import datetime as dt

    from supervision.tests.factories import NOW

    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW.astimezone(dt.UTC))


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _options(html: str) -> dict[str, str]:
    """The district select's options: value -> text."""
    select = re.search(r'<select name="district".*?</select>', html, re.S).group(0)
    return dict(re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', select))


def _groups(html: str) -> list[str]:
    select = re.search(r'<select name="district".*?</select>', html, re.S).group(0)
    return re.findall(r'<optgroup label="([^"]*)">', select)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dashboard_names_districts_and_offers_them_by_name(client, fx, language):
    client.force_login(fx.regulator)
    client.cookies["django_language"] = language
    response = client.get(reverse("supervision:dashboard"), NOVEMBER)
    html = response.content.decode()
    table = re.search(r'id="figure-by_district".*?</table>', html, re.S).group(0)
    cells = re.findall(r"<td>([^<]*)</td>", table)
    assert cells[0] == "兰山区" and "罗庄区" in cells
    assert "371302" not in table and "371311" not in table
    assert "<desc>兰山区: 4; 罗庄区: 2</desc>" in html
    # The jurisdiction by name, not 371300.
    assert re.search(r'data-jurisdiction>[^<]*<span title="山东省临沂市">临沂市</span>', html)
    options = _options(html)
    everything = "全部辖区" if language == "zh-hans" else "Whole jurisdiction"
    whole_city = "临沂市（全部）" if language == "zh-hans" else "临沂市 (all)"
    assert options[""] == everything
    assert options["371300"] == whole_city
    assert (options["371302"], options["371311"], options["371312"]) == (
        "兰山区",
        "罗庄区",
        "河东区",
    )
    assert _groups(html) == ["临沂市"]
    assert not any(code.startswith("35") for code in options)  # Fuzhou is not theirs
    label = "区县" if language == "zh-hans" else "District"
    assert f'<label for="id_district">{label}</label>' in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_choosing_a_district_filters_and_stays_chosen(client, fx, language):
    client.force_login(fx.regulator)
    client.cookies["django_language"] = language
    response = client.get(reverse("supervision:dashboard"), {**NOVEMBER, "district": "371311"})
    html = response.content.decode()
    assert response.context["figures"].total.cases == 2
    assert '<option value="371311" selected>罗庄区</option>' in html
    assert 'data-district="371311"' in html and "山东省临沂市罗庄区" in html
    # The whole city is a choice too.
    whole = client.get(reverse("supervision:dashboard"), {**NOVEMBER, "district": "371300"})
    assert whole.context["figures"].total.cases == 6


def test_a_province_regulator_chooses_among_cities_then_counties(client, fx):
    client.force_login(af.regulator("370000"))
    html = client.get(reverse("supervision:dashboard"), NOVEMBER).content.decode()
    groups = _groups(html)
    assert groups[0] == "山东省" and "临沂市" in groups and "青岛市" in groups
    options = _options(html)
    assert options["370000"] == "山东省（全部）"
    assert options["371300"] == "临沂市（全部）" and options["371302"] == "兰山区"


def test_an_administrator_gets_provinces_cities_and_the_districts_with_cases(client, fx):
    client.force_login(af.administrator())
    html = client.get(reverse("supervision:dashboard"), NOVEMBER).content.decode()
    options = _options(html)
    assert options[""] == "全部地区"
    assert options["110000"] == "北京市（全部）" and options["350100"] == "福州市（全部）"
    # Counties only where cases are (Fuzhou's Gulou), not every county of the country.
    assert options["350102"] == "鼓楼区" and "350103" not in options
    assert "福州市" in _groups(html)


def test_a_code_the_list_lacks_is_still_offered_and_shown_as_its_digits(client, fx):
    make_case(path=[("submitted", at(11, 12))], division="371399")
    client.force_login(fx.regulator)
    html = client.get(reverse("supervision:dashboard"), NOVEMBER).content.decode()
    assert _options(html)["371399"] == "371399"
    rows = _csv(client.get(reverse("supervision:dashboard_csv", args=["by_district"]), NOVEMBER))
    assert rows[-1][:2] == ["371399", "371399"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_csv_has_the_code_and_the_name(client, fx, language):
    client.force_login(fx.regulator)
    client.cookies["django_language"] = language
    rows = _csv(client.get(reverse("supervision:dashboard_csv", args=["by_district"]), NOVEMBER))
    header = ["行政区划代码", "区县"] if language == "zh-hans" else ["division code", "district"]
    assert rows[0][:2] == header
    assert [r[:3] for r in rows[1:]] == [["371302", "兰山区", "4"], ["371311", "罗庄区", "2"]]


def test_the_page_shows_state_names_and_the_csv_keeps_the_codes(client, fx):
    client.force_login(fx.regulator)
    html = client.get(reverse("supervision:dashboard"), NOVEMBER).content.decode()
    table = re.search(r'id="figure-by_state".*?</table>', html, re.S).group(0)
    assert "已和解" in table
    assert not re.search(r"<td>(settled|mediation_failed|closed)</td>", table)
    assert '<th scope="col">代码</th>' not in table
    rows = _csv(client.get(reverse("supervision:dashboard_csv", args=["by_state"]), NOVEMBER))
    assert next(r for r in rows if r[1] == "settled")[:2] == ["已和解", "settled"]


def test_the_api_gives_the_name_beside_the_code(client, fx, alert):
    client.force_login(fx.regulator)
    body = client.get(
        reverse("api-supervision-dashboard"), {**NOVEMBER, "district": "371302"}
    ).json()
    assert body["filters"]["district"] == "371302"
    assert body["filters"]["district_name"] == "山东省临沂市兰山区"
    assert body["figures"]["by_district"]["rows"][0][:3] == ["371302", "兰山区", 4]
    everywhere = client.get(reverse("api-supervision-dashboard"), NOVEMBER).json()
    assert everywhere["filters"]["district_name"] == ""
    found = client.get(reverse("api-supervision-alerts")).json()["results"][0]
    assert (found["division_code"], found["division_name"]) == ("371302", "山东省临沂市兰山区")


def test_the_schema_names_the_new_fields(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    assert "district_name" in components["SupervisionFiltersOut"]["properties"]
    assert "division_name" in components["SupervisionAlertOut"]["properties"]


def test_alerts_rules_and_reports_name_their_divisions(client, fx, alert, monkeypatch):
    from supervision.models import MonthlyReport

    client.force_login(fx.regulator)
    listing = client.get(reverse("supervision:alerts")).content.decode()
    assert re.search(r'<span title="山东省临沂市兰山区">兰山区</span>', listing)
    detail = client.get(reverse("supervision:alert", args=[alert.pk])).content.decode()
    assert '<dd title="371302">山东省临沂市兰山区</dd>' in detail
    rules = client.get(reverse("supervision:rules")).content.decode()
    assert "为 临沂市 调整" in rules
    assert "371300" not in re.sub(r'(value|title)="[^"]*"', "", rules)
    monkeypatch.setattr("supervision.services.reports._enqueue", lambda report_id: None)
    client.post(reverse("supervision:reports"), {"month": "2026-10", "jurisdiction": "371300"})
    report = MonthlyReport.objects.get()
    reports = client.get(reverse("supervision:reports")).content.decode()
    assert '<option value="371300" selected>临沂市</option>' in reports
    assert '<td title="371300">临沂市</td>' in reports
    page = client.get(reverse("supervision:report", args=[report.pk])).content.decode()
    assert re.search(r"<h1>[^<]*临沂市 2026-10</h1>", page)


def test_satisfaction_by_district_names_the_districts(client, fx):
    import datetime as dt

    from supervision.models import Rating

    Rating.objects.create(
        case=fx.c1,
        consumer=fx.c1.consumer,
        score=5,
        created_at=dt.datetime(2026, 11, 15, 4, tzinfo=dt.UTC),
    )
    client.force_login(fx.regulator)
    params = {**NOVEMBER, "by": "district"}
    html = client.get(reverse("supervision:satisfaction"), params).content.decode()
    assert "<td>兰山区</td>" in html and "<td>371302</td>" not in html
    rows = _csv(client.get(reverse("supervision:satisfaction_csv"), params))
    assert rows[1][:2] == ["371302", "兰山区"]
