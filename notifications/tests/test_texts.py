"""The words of the notices: every routed kind has them, in Chinese and in English."""

import re

import pytest

from cases.rulesets import ALL_RULESETS
from notifications.services.recording import ROUTES, EventValues
from notifications.texts import (
    GROUND_REASONS,
    LANGUAGES,
    TEXTS,
    placeholders,
    render,
    template_for,
)

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# An article cited without its law (第二十三条第一款第二项, art. 23(1)(2)): no SMS has one.
BARE_ARTICLE = re.compile(r"第[一二三四五六七八九十百]+条|\bart\. ?\d|\barticle \d", re.I)
LINK = "https://odr.example.cn/cases/LY-2026-000123/"
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
    "ground_reason": "REASON",
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
    "mediator": "MEDIATOR",
    "new_mediator": "NEW_MEDIATOR",
    "group": "QT-2026-0001",
    "from_office": "FROM_OFFICE",
    "to_office": "TO_OFFICE",
    "transfer_reason": "TRANSFER_REASON",
    "transfer_basis": "TRANSFER_BASIS",
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


def test_sms_texts_are_short_signed_and_end_with_the_link_to_the_case():
    for kind, by_audience in TEXTS.items():
        for audience in by_audience:
            zh, en = (
                render(kind=kind, audience=audience, language=lang, values=VALUES, link=LINK).sms
                for lang in ("zh-hans", "en")
            )
            assert zh.startswith("【ODR 12315】") and en.startswith("[ODR 12315] ")
            assert zh.endswith(f"。详情：{LINK}"), (kind, audience, zh)
            assert en.endswith(f". Details: {LINK}"), (kind, audience, en)
            # At most three Chinese segments (3 x 67), link included, with typical values;
            # two GSM segments (2 x 153) in English.
            assert len(zh) <= 201, (kind, audience, len(zh), zh)
            assert len(en) <= 306, (kind, audience, len(en), en)


def test_every_sms_names_the_case_and_cites_no_bare_article():
    for kind, by_audience in TEXTS.items():
        for audience in by_audience:
            for language in LANGUAGES:
                sms = render(
                    kind=kind, audience=audience, language=language, values=VALUES, link=LINK
                ).sms
                assert sms.count("LY-2026-000123") >= 2, (kind, audience, sms)  # text + link
                assert not BARE_ARTICLE.search(sms), (kind, audience, sms)
                assert "ground_article" not in placeholders(template_for(kind, audience, language))


@pytest.mark.parametrize("kind", ["refusal", "termination"])
def test_every_ground_has_plain_words_for_an_sms_in_both_languages(kind):
    codes = {
        g.code
        for rules in ALL_RULESETS
        for g in (rules.refusal_grounds if kind == "refusal" else rules.termination_grounds)
    }
    assert set(GROUND_REASONS[kind]) == codes
    for code, words in GROUND_REASONS[kind].items():
        assert CJK.search(words["zh-hans"]) and not CJK.search(words["en"]), code
        assert not BARE_ARTICLE.search(words["zh-hans"] + words["en"]), code


def test_without_a_link_the_sms_has_none():
    rendered = render(
        kind="transition.close", audience="consumer", language="zh-hans", values=VALUES
    )
    assert rendered.sms == "【ODR 12315】案件 LY-2026-000123 已结案，结案情况和文书可在平台查看。"


def test_a_missing_value_shows_as_a_dash_not_an_error():
    rendered = render(kind="offer.made", audience="consumer", language="en", values={})
    assert "—" in rendered.sms


def test_unknown_languages_fall_back_to_chinese():
    rendered = render(kind="transition.close", audience="consumer", language="fr", values=VALUES)
    assert rendered.subject == "案件 LY-2026-000123 已结案"
