"""A case whose consumer refused publication has no entry of its own on any public page or
feed, while every figure and the index still count it (issue 19).

The reader decides: the public (anonymous, or signed in without being the merchant's staff
or a regulator of it) sees a case's records only where its consumer agreed; the merchant's
staff and its regulators see them all and are told how many the public does not see. The
consumer's change of answer reaches credit as cases sends it: the case's boolean set and a
``case.consent_changed`` event appended in the case's transaction, through the registry.
"""

import io
import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests import factories as af
from cases.models import Case, CaseEvent
from cases.services.events import event_append
from cases.tests import factories as cf
from credit import tasks
from credit.models import CreditOutbox, CreditRecord
from credit.selectors import merchant_summary
from credit.services.export import outbox_push
from credit.services.publication import NOT_PUBLISHED
from credit.services.rollup import credit_rollup_differences
from credit.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rollup_in_step():
    yield
    assert credit_rollup_differences() == []


@pytest.fixture
def world():
    """A merchant with two settled cases: one whose consumer agreed to publication, one
    whose consumer refused (answered, complaint, resolved: three records each)."""
    c = cf.cast()
    agreed = f.settled(c, published=True)
    refused = f.settled(c, published=False)
    return c, agreed, refused


def _page(client, c) -> str:
    return client.get(f"/credit/merchants/{c.merchant.uscc}/").text


def _api(client, c) -> dict:
    return client.get(f"/api/v1/credit/merchants/{c.merchant.uscc}/").json()


def _feed(client) -> list[dict]:
    return client.get("/api/v1/credit/records/", {"limit": 500}).json()["results"]


def _change_publication(case: Case, answer: bool) -> CaseEvent:
    """What cases' consent service does: in the case's transaction, under its lock, the
    boolean is set and then the event is appended (which dispatches to the registry)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        previous = locked.agrees_to_publication
        locked.agrees_to_publication = answer
        Case.objects.filter(pk=locked.pk).update(agrees_to_publication=answer)
        return event_append(
            case=locked,
            kind="case.consent_changed",
            actor=locked.consumer,
            actor_role="consumer",
            payload={"question": "publication", "answer": answer, "previous": previous},
        )


def _public_readers(client, c):
    """Anonymous, a signed-in stranger, a consumer, and a regulator of elsewhere."""
    yield "anonymous"
    for user in (af.UserFactory(), c.other_consumer, c.other_regulator, c.other_merchant_staff):
        client.force_login(user)
        yield user.username
        client.logout()


# --- The public --------------------------------------------------------------------------


def test_the_public_sees_no_entry_of_a_refused_case_but_every_figure_counts_it(client, world):
    c, agreed, refused = world
    figures, index = merchant_summary(merchant_id=c.merchant.pk)
    assert figures.complaints == 2 and figures.resolved == 2
    for _who in _public_readers(client, c):
        page = _page(client, c)
        assert agreed.reference in page
        assert refused.reference not in page
        assert "data-not-public" not in page  # the public is not told how many
        assert re.search(r'data-figure="complaints">\s*2\s*<', page)
        assert re.search(r'data-figure="resolved">\s*2\s*<', page)
        body = _api(client, c)
        assert {r["case"] for r in body["records"]} == {agreed.reference}
        assert all(r["public"] for r in body["records"])
        assert "records_not_public" not in body
        assert body["figures"]["complaints"] == 2
        assert body["figures"]["resolved"] == 2
        assert body["index"]["score"] == index.as_dict()["score"]
        assert refused.reference not in json.dumps(body, ensure_ascii=False)


def test_older_pages_of_the_public_file_skip_the_refused_entries_too(client):
    c = cf.cast()
    refused = [f.bare_case(c.merchant, agrees_to_publication=False) for _ in range(5)]
    for n in range(30):
        f.make_record(c.merchant, "complaint", days_ago=n + 1)
    for n, case in enumerate(refused):
        f.make_record(c.merchant, "breach", days_ago=n + 0.5, case=case)
    first = _api(client, c)
    assert len(first["records"]) == 25
    older = client.get(first["older_records"]).json()
    shown = [r["case"] for r in first["records"] + older["records"]]
    assert len(shown) == 30 and not {case.reference for case in refused} & set(shown)
    assert first["figures"]["performance"]["breached"] == 5


def test_the_disclosure_page_shows_aggregates_and_no_entry(client, world):
    c, agreed, refused = world
    page = client.get("/disclosure/", {"q": c.merchant.uscc}).text
    assert f'data-merchant="{c.merchant.uscc}"' in page
    assert re.search(r'data-figure="complaints">\s*2\s*<', page)
    assert refused.reference not in page and agreed.reference not in page


# --- The merchant's staff and its regulators --------------------------------------------


@pytest.mark.parametrize("who", ["merchant_staff", "regulator"])
def test_the_merchant_and_its_regulator_see_every_entry_and_how_many_are_hidden(client, world, who):
    c, agreed, refused = world
    af.login(client, getattr(c, who))
    page = _page(client, c)
    assert agreed.reference in page and refused.reference in page
    assert 'data-not-public-count="3"' in page
    assert "因消费者不同意公示，有 3 条记录不向公众展示。" in page
    hidden = set(CreditRecord.objects.filter(case=refused).values_list("pk", flat=True))
    for pk in hidden:
        item = page[page.index(f'<li id="record-{pk}"') :]
        assert "data-not-public" in item[: item.index("</li>")]
    body = _api(client, c)
    assert body["records_not_public"] == 3
    assert {r["id"] for r in body["records"] if not r["public"]} == hidden
    assert {r["case"] for r in body["records"]} == {agreed.reference, refused.reference}


def test_the_note_is_in_english_and_in_chinese(client, world):
    c, _agreed, _refused = world
    af.login(client, c.merchant_staff)
    client.cookies["django_language"] = "en"
    english = _page(client, c)
    client.cookies["django_language"] = "zh-hans"
    chinese = _page(client, c)
    assert (
        "3 entries are not shown to the public because the consumer did not agree to "
        "publication." in english
    )
    assert "因消费者不同意公示，有 3 条记录不向公众展示。" in chinese


def test_no_note_when_every_consumer_agreed(client):
    c = cf.cast()
    f.settled(c, published=True)
    af.login(client, c.merchant_staff)
    assert "data-not-public" not in _page(client, c)
    assert _api(client, c)["records_not_public"] == 0


# --- The feed, the JSON Lines export, the push -------------------------------------------


def _partner():
    system = af.UserFactory(username="credit-system")
    system.user_permissions.add(Permission.objects.get(codename="export_creditrecord"))
    return system


def test_a_partners_feed_carries_only_published_entries(client, world):
    _c, agreed, refused = world
    af.login(client, _partner())
    results = _feed(client)
    assert {r["case"] for r in results} == {agreed.reference}
    assert all(r["public"] for r in results)
    assert refused.reference not in json.dumps(results, ensure_ascii=False)


def test_a_regulator_of_elsewhere_reads_only_published_entries_in_the_feed(client, world):
    c, agreed, _refused = world
    af.login(client, c.other_regulator)
    assert {r["case"] for r in _feed(client)} == {agreed.reference}


@pytest.mark.parametrize("who", ["regulator", "admin"])
def test_the_regulator_of_the_merchant_and_administrators_read_every_entry(client, world, who):
    c, agreed, refused = world
    af.login(client, getattr(c, who))
    results = _feed(client)
    assert {r["case"] for r in results} == {agreed.reference, refused.reference}
    assert {r["public"] for r in results if r["case"] == refused.reference} == {False}


def test_json_lines_leave_out_unpublished_entries_unless_asked(world):
    _c, agreed, refused = world
    out = io.StringIO()
    call_command("export_credit_records", "--since", "2020-01-01", stdout=out, stderr=io.StringIO())
    assert {json.loads(line)["case"] for line in out.getvalue().splitlines()} == {agreed.reference}
    out = io.StringIO()
    call_command(
        "export_credit_records",
        "--since",
        "2020-01-01",
        "--include-unpublished",
        stdout=out,
        stderr=io.StringIO(),
    )
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {r["case"] for r in lines} == {agreed.reference, refused.reference}
    assert {r["public"] for r in lines if r["case"] == refused.reference} == {False}


def test_an_unpublished_record_is_never_pushed_until_the_consumer_agrees(
    push, django_capture_on_commit_callbacks
):
    c = cf.cast()
    with django_capture_on_commit_callbacks(execute=True):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    with django_capture_on_commit_callbacks(execute=True):
        cf.offer(case, c.actor("merchant_staff"))
    answered = CreditRecord.objects.get(case=case, kind="answered")
    assert not answered.published
    assert push.requests == []
    outbox = CreditOutbox.objects.get(record=answered)
    assert (outbox.last_error, outbox.sent_at) == (NOT_PUBLISHED, None)
    assert outbox.gave_up_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        _change_publication(case, True)
    [sent] = push.requests
    assert json.loads(sent["body"])["id"] == answered.pk
    assert CreditOutbox.objects.get(record=answered).sent_at is not None


def test_a_push_still_waiting_when_the_consumer_refuses_is_not_sent(
    push, monkeypatch, django_capture_on_commit_callbacks
):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant, agrees_to_publication=True)
    queued = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: queued.append((task, args)))
    with django_capture_on_commit_callbacks(execute=True):
        cf.offer(case, c.actor("merchant_staff"))
    [(outbox_id,)] = [args for task, args in queued if task is tasks.push_record]
    _change_publication(case, False)
    assert outbox_push(outbox_id=outbox_id).code == "skipped"
    assert push.requests == []
    assert CreditOutbox.objects.get(pk=outbox_id).last_error == NOT_PUBLISHED


# --- The consumer changes the answer ----------------------------------------------------


def test_a_consumer_who_changes_the_answer_flips_the_entries(client, world):
    c, agreed, refused = world
    before = merchant_summary(merchant_id=c.merchant.pk)
    _change_publication(refused, True)
    _change_publication(agreed, False)
    assert set(CreditRecord.objects.filter(case=refused).values_list("published", flat=True)) == {
        True
    }
    assert set(CreditRecord.objects.filter(case=agreed).values_list("published", flat=True)) == {
        False
    }
    page = _page(client, c)
    assert refused.reference in page and agreed.reference not in page
    assert merchant_summary(merchant_id=c.merchant.pk) == before  # the counts do not move
    af.login(client, _partner())
    assert {r["case"] for r in _feed(client)} == {refused.reference}


def test_the_other_question_changes_nothing_here(world):
    _c, _agreed, refused = world
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=refused.pk)
        event_append(
            case=locked,
            kind="case.consent_changed",
            actor_role="consumer",
            payload={"question": "delegated_mediation", "answer": True, "previous": False},
        )
    assert not CreditRecord.objects.filter(case=refused, published=True).exists()


def test_a_rolled_back_change_leaves_the_entries_as_they_were(world):
    _c, _agreed, refused = world
    with pytest.raises(RuntimeError), transaction.atomic():
        _change_publication(refused, True)
        assert CreditRecord.objects.filter(case=refused, published=True).count() == 3
        raise RuntimeError("the transition failed later on")
    assert not CreditRecord.objects.filter(case=refused, published=True).exists()


def test_records_written_after_a_change_take_the_new_answer():
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    _change_publication(case, True)
    cf.offer(case, c.actor("merchant_staff"))
    assert CreditRecord.objects.get(case=case, kind="answered").published


def test_the_consumers_own_service_flips_the_entry():
    """The real path: cases' consent service (under way, issue 19) appends the event."""
    from cases.services.consents import consent_change

    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    cf.offer(case, c.actor("merchant_staff"))
    answered = CreditRecord.objects.get(case=case, kind="answered")
    assert not answered.published
    consent_change(
        case=case,
        actor=c.actor("consumer"),
        question="publication",
        answer=True,
        language="zh-hans",
    )
    assert CreditRecord.objects.get(pk=answered.pk).published


# --- What the page costs ----------------------------------------------------------------


def _queries(client, c) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/credit/merchants/{c.merchant.uscc}/").status_code == 200
    return len(queries)


def test_the_public_page_costs_the_same_queries_however_many_entries_are_hidden(client):
    c = cf.cast()
    f.make_record(c.merchant, "complaint", days_ago=1)
    _queries(client, c)  # warm the per-process caches (content types, the calendar)
    few = _queries(client, c)
    for n in range(12):
        f.make_record(c.merchant, "complaint", days_ago=n + 2)
        refused = f.bare_case(c.merchant, agrees_to_publication=False)
        f.make_record(c.merchant, "complaint", days_ago=n + 2, case=refused)
    # As before the issue: the merchant (and its stores), the records, the figures, the
    # median, the negative list.
    assert few == _queries(client, c) == 6
    af.login(client, c.merchant_staff)
    staff = _queries(client, c)
    refused = f.bare_case(c.merchant, agrees_to_publication=False)
    f.make_record(c.merchant, "complaint", days_ago=30, case=refused)
    assert _queries(client, c) == staff  # one count of the hidden entries, not one per row


def test_postgres_lets_the_answer_change_and_nothing_else_besides_the_repair_mark(
    on_postgres, world
):
    from django.db.utils import DatabaseError

    _c, _agreed, refused = world
    record = CreditRecord.objects.filter(case=refused).first()
    _change_publication(refused, True)
    assert CreditRecord.objects.get(pk=record.pk).published
    with pytest.raises(DatabaseError), transaction.atomic():
        CreditRecord.objects.filter(pk=record.pk).update(published=False, category="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        CreditRecord.objects.filter(pk=record.pk).update(case_reference="LY-2026-999999")


def test_the_migration_gives_the_records_already_written_their_cases_answer():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("credit.migrations.0005_record_published")
    c = cf.cast()
    agreed = f.make_record(c.merchant, "complaint", published=False)
    refused = f.make_record(
        c.merchant, "complaint", case=f.bare_case(c.merchant, agrees_to_publication=False)
    )
    migration.published_from_cases(apps, None)
    assert CreditRecord.objects.get(pk=agreed.pk).published
    assert not CreditRecord.objects.get(pk=refused.pk).published
