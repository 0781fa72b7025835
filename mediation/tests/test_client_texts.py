"""The words the chat client shows come from the page, in its language: never a code."""

from django.utils import translation

from cases.models import State
from mediation.views import client_texts


def test_every_state_has_its_words_for_the_room_badge_in_both_languages():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            texts = client_texts()
            labels = {value: str(label) for value, label in State.choices}
        for value, label in labels.items():
            assert texts[f"state:{value}"] == label and "_" not in label, (language, value)
    with translation.override("zh-hans"):
        texts = client_texts()
    assert texts["state:mediation_failed"] != "mediation_failed"
    assert not any(text.isascii() for key, text in texts.items() if key.startswith("state:"))


def test_the_accepted_by_line_carries_its_own_punctuation():
    with translation.override("zh-hans"):
        texts = client_texts()
    assert texts["accepted_by"] == "已接受：%(who)s" and texts["list_sep"] == "、"
    with translation.override("en"):
        texts = client_texts()
    assert texts["accepted_by"] == "Accepted by: %(who)s" and texts["list_sep"] == ", "
