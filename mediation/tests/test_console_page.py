"""The console page shows words and Beijing time, never codes or ISO timestamps: the
state and who is online by name, the next session as 2026-…-… HH:MM in Beijing time."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from mediation.models import MediationSession, Presence

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "state", "online"),
    [("zh-hans", "调解中", "消费者"), ("en", "mediation", "Consumer")],
)
def test_the_console_names_states_and_roles_and_shows_beijing_time(
    client, case, cast, language, state, online
):
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    MediationSession.objects.create(case=case, starts_at=starts, scheduled_by=cast.mediator)
    Presence.objects.create(
        case=case,
        user=cast.consumer,
        role="consumer",
        channel_name="test.console",
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    client.force_login(cast.mediator)
    client.cookies["django_language"] = language
    html = client.get("/mediation/").content.decode()
    row = html[html.index(f'data-case-row="{case.reference}"') :].split("</tr>")[0]
    assert re.search(rf'<span class="state state-mediation">{state}</span>', row)
    assert f'data-online-roles="consumer">{online}</td>' in row
    local = starts.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert local.strftime("%Y-%m-%d %H:%M") + "</time>" in row
    shown = re.findall(r"<time[^>]*>([^<]*)</time>", row)
    assert len(shown) == 2 and not any("T" in text or "+" in text for text in shown)
    # Every cell names its column for the phone layout.
    assert row.count("data-label=") == 6
    assert '<link rel="stylesheet" href="/static/mediation/console.css">' in html
