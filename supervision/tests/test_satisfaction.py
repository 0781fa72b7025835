"""Ratings after closure, follow-up visits, and the satisfaction index."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests import factories as af
from supervision.models import FollowUpVisit, Rating
from supervision.selectors.satisfaction import satisfaction_index, satisfaction_table, scores_in
from supervision.selectors.scope import Scope
from supervision.tests.factories import CHINA

pytestmark = pytest.mark.django_db

LINYI = Scope(jurisdictions=("371300",))


def _rating(case, score, day):
    return Rating.objects.create(
        case=case,
        consumer=case.consumer,
        score=score,
        created_at=dt.datetime.combine(day, dt.time(12), tzinfo=CHINA),
    )


def _visit(case, regulator, score, day, reached=True):
    return FollowUpVisit.objects.create(
        case=case,
        regulator=regulator,
        visited_on=day,
        method="phone",
        reached=reached,
        score=score,
        note="回访",
        created_at=dt.datetime.combine(day, dt.time(12), tzinfo=CHINA),
    )


def test_formula():
    assert satisfaction_index(5 * 3, 3) == 100.0
    assert satisfaction_index(1 * 3, 3) == 0.0
    assert satisfaction_index(4 + 3, 2) == 62.5
    assert satisfaction_index(0, 0) is None


def test_index_per_dimension_by_hand(fx):
    nov = dt.date(2026, 11, 15)
    _rating(fx.c1, 5, nov)  # 371302, 临沂优品, 淘宝
    _rating(fx.c2, 2, nov)  # 371302, 临沂优品, 淘宝
    _rating(fx.c4, 4, dt.date(2026, 12, 1))  # 371311, 兰陵电器, 京东, December
    _visit(fx.c4, fx.regulator, 1, nov)  # ignored: the consumer rated c4 themselves
    _visit(fx.c6, fx.regulator, 3, dt.date(2026, 11, 20))  # 某小店, no platform
    _visit(fx.c6, fx.regulator, 4, dt.date(2026, 11, 25))  # the latest visit counts
    _visit(fx.c3, fx.regulator, None, nov, reached=False)  # no score
    _rating(fx.c8, 1, nov)  # Fuzhou: outside
    scores = scores_in(scope=LINYI, start=dt.date(2026, 11, 1), end=dt.date(2026, 12, 31))
    assert sorted((s.case_id, s.score, s.source) for s in scores) == sorted(
        [
            (fx.c1.pk, 5, "rating"),
            (fx.c2.pk, 2, "rating"),
            (fx.c4.pk, 4, "rating"),
            (fx.c6.pk, 4, "visit"),
        ]
    )
    by_month = {
        r.key: (r.responses, r.index) for r in satisfaction_table(scores=scores, dimension="month")
    }
    # November: 5, 2, 4 → mean 11/3 → 100 × (11/3 − 1)/4 = 66.7; December: 4 → 75.0
    assert by_month == {"2026-11": (3, 66.7), "2026-12": (1, 75.0)}
    by_district = {r.key: r.index for r in satisfaction_table(scores=scores, dimension="district")}
    assert by_district == {"371302": 66.7, "371311": 75.0}  # c1, c2, c6: (5+2+4)/3
    by_merchant = {r.key: r.index for r in satisfaction_table(scores=scores, dimension="merchant")}
    assert by_merchant == {"临沂优品": 62.5, "兰陵电器": 75.0, "某小店": 75.0}
    by_platform = {r.key: r.index for r in satisfaction_table(scores=scores, dimension="platform")}
    assert by_platform == {"淘宝": 62.5, "京东": 75.0, "": 75.0}


def test_consumer_rates_once_after_closure(client, fx):
    url = reverse("supervision:rate", args=[fx.c1.reference])
    client.force_login(fx.c1.consumer)
    assert client.get(url).status_code == 200
    assert client.post(url, {"score": "9"}).status_code == 400
    assert client.post(url, {"score": "4", "comment": "处理及时"}).status_code == 302
    assert client.post(url, {"score": "1"}).status_code == 302
    rating = Rating.objects.get(case=fx.c1)
    assert (rating.score, rating.comment) == (4, "处理及时")
    assert 'data-rated="4"' in client.get(url).content.decode()


def test_only_the_consumer_rates_and_only_after_closure(client, fx):
    client.force_login(fx.c3.consumer)  # c3 is in mediation
    assert (
        client.post(reverse("supervision:rate", args=[fx.c3.reference]), {"score": "5"}).status_code
        == 409
    )
    client.force_login(af.consumer())
    assert (
        client.post(reverse("supervision:rate", args=[fx.c1.reference]), {"score": "5"}).status_code
        == 403
    )
    client.force_login(fx.regulator)
    assert (
        client.post(reverse("supervision:rate", args=[fx.c1.reference]), {"score": "5"}).status_code
        == 403
    )
    assert client.get(reverse("supervision:rate", args=["LY-0000-000000"])).status_code == 404
    assert not Rating.objects.exists()


def test_regulator_records_a_visit(client, fx):
    url = reverse("supervision:visits", args=[fx.c1.reference])
    client.force_login(fx.regulator)
    data = {
        "visited_on": "2026-11-20",
        "method": "phone",
        "reached": "on",
        "score": "4",
        "note": "满意",
    }
    assert client.post(url, {**data, "visited_on": "2999-01-01"}).status_code == 400
    assert client.post(url, {**data, "score": "7"}).status_code == 400
    assert client.post(url, data).status_code == 302
    visit = FollowUpVisit.objects.get()
    assert (visit.case, visit.regulator, visit.score) == (fx.c1, fx.regulator, 4)
    assert "满意" in client.get(url).content.decode()


def test_visits_are_for_the_regulators_of_the_case(client, fx):
    client.force_login(fx.other_regulator)
    assert client.get(reverse("supervision:visits", args=[fx.c1.reference])).status_code == 403
    client.force_login(fx.c1.consumer)
    assert client.post(reverse("supervision:visits", args=[fx.c1.reference]), {}).status_code == 403
    assert not FollowUpVisit.objects.exists()


def test_index_page_and_csv_are_scoped(client, fx):
    _rating(fx.c1, 5, dt.date(2026, 11, 15))
    _rating(fx.c8, 1, dt.date(2026, 11, 15))
    params = {"start": "2026-11-01", "end": "2026-11-30", "by": "district"}
    client.force_login(fx.regulator)
    response = client.get(reverse("supervision:satisfaction"), params)
    assert response.status_code == 200
    assert [r.key for r in response.context["rows"]] == ["371302"]
    text = client.get(reverse("supervision:satisfaction_csv"), params).content.decode("utf-8-sig")
    assert "371302,兰山区,1,1,0,5.0,100.0" in text
    assert "350102" not in text
    client.force_login(fx.other_regulator)
    text = client.get(reverse("supervision:satisfaction_csv"), params).content.decode("utf-8-sig")
    assert "350102,福州市鼓楼区,1,1,0,1.0,0.0" in text
    assert "371302" not in text
    bad = client.get(
        reverse("supervision:satisfaction"), {"start": "x", "by": "nope", "end": "0001-01-01"}
    )
    assert bad.status_code == 200
