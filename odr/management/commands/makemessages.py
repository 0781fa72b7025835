"""``makemessages`` that leaves a clean catalogue unchanged, and can check it.

Django's command, with three changes (`make messages` runs it):

- no fuzzy matching: a new string is added untranslated, never with a guess taken from a
  similar string (a wrong guess ships unnoticed once someone clears the fuzzy flag);
- lines are not wrapped, and source references name the file only (``#: cases/views.py``), so moving code does not
  rewrite hundreds of line numbers;
- the header's POT-Creation-Date is kept unless a message was added or removed, so running
  it on a clean tree changes nothing (``make messages && git diff --exit-code locale/``).

``--check`` builds the catalogue in a temporary folder instead and fails, naming them, when
a string of the code is missing from the committed catalogue, has no translation, or when
the committed catalogue is not what the command would write.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import makemessages

DOMAIN_FILE = Path("LC_MESSAGES") / "django.po"
_DATE = re.compile(r'^"POT-Creation-Date: [^"]*\\n"$', re.MULTILINE)
_MSGID = re.compile(r'^msgid "', re.MULTILINE)


def _date_line(text: str) -> str | None:
    found = _DATE.search(text)
    return found.group(0) if found else None


def _without_date(text: str) -> str:
    return _DATE.sub('"POT-Creation-Date: \\\\n"', text)


def _messages(path: Path) -> tuple[set[str], set[str]]:
    """(every msgid, the untranslated msgids) of a catalogue, as msgattrib sees them."""

    def ids(*flags: str) -> set[str]:
        # gettext's msgattrib, like the msgmerge and xgettext that makemessages runs.
        result = subprocess.run(  # noqa: S603
            ["msgattrib", *flags, "--no-wrap", "--no-location", str(path)],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
        found = re.findall(r'^msgid "(.*)"$', result.stdout, re.MULTILINE)
        return {m for m in found if m}

    return ids(), ids("--untranslated")


class Command(makemessages.Command):
    msgmerge_options = ["-q", "--backup=none", "--previous", "--update", "--no-fuzzy-matching"]

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--check",
            action="store_true",
            help="Build in a temporary folder; fail if the committed catalogue is not complete "
            "and current.",
        )

    def find_files(self, root):
        files = super().find_files(root)
        target = getattr(self, "_target_locale_dir", None)
        if target is None:
            return files
        if target not in self.locale_paths:
            self.locale_paths.append(target)  # where the .pot is looked for afterwards
        return [self.translatable_file_class(f.dirpath, f.file, target) for f in files]

    def handle(self, *args, **options):
        check = options.pop("check", False)
        options["add_location"] = "file"
        options["no_wrap"] = True
        locale_dir = Path(settings.LOCALE_PATHS[0])
        locales = options.get("locale") or ["zh_Hans"]
        options["locale"] = locales
        if check:
            return self._check(locale_dir, locales, *args, **options)
        before = {loc: self._read(locale_dir / loc / DOMAIN_FILE) for loc in locales}
        super().handle(*args, **options)
        for loc in locales:
            self._keep_date(locale_dir / loc / DOMAIN_FILE, before[loc])
        return None

    @staticmethod
    def _read(path: Path) -> str:
        return path.read_text(encoding="utf-8") if path.exists() else ""

    @staticmethod
    def _keep_date(path: Path, before: str) -> None:
        """The old creation date back, when only the date changed."""
        after = path.read_text(encoding="utf-8")
        old = _date_line(before)
        if old and _without_date(after) == _without_date(before):
            path.write_text(before, encoding="utf-8")
        elif old and len(_MSGID.findall(after)) == len(_MSGID.findall(before)):
            new = _date_line(after)
            if new:
                path.write_text(after.replace(new, old, 1), encoding="utf-8")

    def _check(self, locale_dir: Path, locales, *args, **options) -> None:
        problems: list[str] = []
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "locale"
            for loc in locales:
                committed = locale_dir / loc / DOMAIN_FILE
                (target / loc / DOMAIN_FILE).parent.mkdir(parents=True)
                shutil.copy(committed, target / loc / DOMAIN_FILE)
            self._target_locale_dir = str(target)
            options["verbosity"] = 0
            try:
                super().handle(*args, **options)
            finally:
                self._target_locale_dir = None
            for loc in locales:
                committed = locale_dir / loc / DOMAIN_FILE
                built = target / loc / DOMAIN_FILE
                known, _ = _messages(committed)
                wanted, untranslated = _messages(built)
                for msgid in sorted(wanted - known):
                    problems.append(f"{loc}: not in the catalogue: {msgid!r}")
                for msgid in sorted(untranslated & (wanted & known)):
                    problems.append(f"{loc}: no translation: {msgid!r}")
                if not problems and _without_date(self._read(built)) != _without_date(
                    self._read(committed)
                ):
                    problems.append(
                        f"{loc}: the catalogue is not as `make messages` writes it; run it "
                        "and commit the result"
                    )
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("The catalogue has every string of the code, each translated.")
