"""The words of the notices: every routed kind has them, in Chinese and in English."""

import re

import pytest

from notifications.services.recording import ROUTES, EventValues
from notifications.texts import LANGUAGES, TEXTS, placeholders, render, template_for

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# What the texts may ask for: each is computed by EventValues (services/recording.py).
KNOWN = {name[1:] for name in vars(EventValues) if name.startswith("_") and name[1] != "_"}
VALUES = {
    "ref": "LY-2026-000123",
    "merchant": "Youpin Trading",
    "due": "DUE",
    "performance_due": "PERFORM",
    "valid_until": "VALID",
    "ground": "GROUND",
    "ground_article": "ART",
    "offer": "OFFER",
    "description": "DESCRIPTION",
    "reason_line": "",
    "terms": "TERMS",
    "arbitration_body": "BODY",
    "clock_name": "clock",
    "clock_name_cap": "Clock",
    "when": "WHEN",
    "document": "DOC",
    "request_text": "REQUEST",
    "from": "FROM",
}


def test_every_route_has_words_for_each_recipient_in_both_languages():
    for kind, audiences in ROUTES.items():
        for audience in audiences:
            for language in LANGUAGES:
                text = template_for(kind, audience, language)
                assert text is not TEXTS["*"]["*"][language], (kind, audience, language)


def test_every_clock_declares_audiences_that_have_words_in_both_languages():
    from cases.rulesets import all_clocks

    for key, clock in all_clocks().items():
        for kind, audiences in (
            ("deadline.started", clock.notify.start),
            ("deadline.reminder", clock.notify.reminder),
            ("deadline.overdue", clock.notify.expiry),
            ("deadline.expired", clock.notify.expiry),
            ("deadline.moved", ("consumer", "merchant", *clock.notify.start)),
        ):
            for audience in audiences:
                for language in LANGUAGES:
                    text = template_for(f"{kind}:{key}", audience, language)
                    assert text is not TEXTS["*"]["*"][language], (kind, key, audience)


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_ask_only_for_known_values_and_fill_completely(language):
    for kind, by_audience in TEXTS.items():
        for audience, by_language in by_audience.items():
            text = by_language[language]
            assert placeholders(text) <= KNOWN, (kind, audience, placeholders(text) - KNOWN)
            rendered = render(kind=kind, audience=audience, language=language, values=VALUES)
            for part in (rendered.subject, rendered.sms, rendered.body):
                assert "{" not in part and "—" not in part, (kind, audience, part)


def test_chinese_texts_are_chinese_and_english_texts_are_english():
    for kind, by_audience in TEXTS.items():
        for audience, by_language in by_audience.items():
            zh, en = by_language["zh-hans"], by_language["en"]
            for part in (zh.subject, zh.sms, zh.body):
                assert CJK.search(part), (kind, audience, part)
            for part in (en.subject, en.sms, en.body):
                assert not CJK.search(part), (kind, audience, part)


def test_sms_texts_are_short_and_signed():
    for kind, by_audience in TEXTS.items():
        for audience in by_audience:
            zh = render(kind=kind, audience=audience, language="zh-hans", values=VALUES).sms
            en = render(kind=kind, audience=audience, language="en", values=VALUES).sms
            assert zh.startswith("【ODR 12315】") and en.startswith("[ODR 12315] ")
            # At most two Chinese segments (2 x 67) with typical values.
            assert len(zh) <= 134, (kind, audience, len(zh), zh)
            assert len(en) <= 200, (kind, audience, len(en), en)


def test_a_missing_value_shows_as_a_dash_not_an_error():
    rendered = render(kind="offer.made", audience="consumer", language="en", values={})
    assert "—" in rendered.sms


def test_unknown_languages_fall_back_to_chinese():
    rendered = render(kind="transition.close", audience="consumer", language="fr", values=VALUES)
    assert rendered.subject == "案件 LY-2026-000123 已结案"
