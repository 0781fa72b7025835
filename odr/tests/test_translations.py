"""Chinese is the default language: every message has a Chinese translation."""

import subprocess
from pathlib import Path

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_catalogue_is_complete_and_valid(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "out.mo"), str(PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr


def _check_catalogue() -> None:
    """`make messages`' command in its checking mode (a temporary copy; nothing written)."""
    from django.core.management import call_command

    call_command(
        "makemessages",
        "--check",
        "-l",
        "zh_Hans",
        "--no-obsolete",
        "--ignore=.venv",
        "--ignore=var",
        verbosity=0,
    )


def test_every_string_of_the_code_is_in_the_catalogue_translated_and_current():
    """`make messages` would change nothing, and no string of the code lacks Chinese."""
    _check_catalogue()


def test_the_check_names_a_string_that_has_no_translation(tmp_path, settings):
    """The check can fail: a catalogue without one of the code's strings is refused."""
    import shutil

    import pytest
    from django.core.management.base import CommandError

    locale = tmp_path / "locale"
    target = locale / "zh_Hans" / "LC_MESSAGES" / "django.po"
    target.parent.mkdir(parents=True)
    shutil.copy(PO, target)
    text = target.read_text(encoding="utf-8")
    entry = 'msgid "For staff"\nmsgstr "工作人员须知"\n'
    assert entry in text
    target.write_text(text.replace(entry, ""), encoding="utf-8")
    settings.LOCALE_PATHS = [locale]
    with pytest.raises(CommandError, match="not in the catalogue: 'For staff'"):
        _check_catalogue()
