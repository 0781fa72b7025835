"""The install's guard (scripts/lockcheck.py): the lock is exact, whole and agrees with pyproject.

The real lock must pass; each way a lock goes wrong (an unpinned line, a dependency left out,
a pin nothing needs, a pin pyproject does not allow, a missing hash, an import of a package
nobody declared) must fail, so the guard cannot pass by saying nothing.
"""

import importlib.util
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement

ROOT = Path(settings.BASE_DIR)


def _load():
    spec = importlib.util.spec_from_file_location("lockcheck", ROOT / "scripts" / "lockcheck.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("lockcheck", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


lockcheck = _load()
LOCK_TEXT = (ROOT / "requirements.lock").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _problems(lock_text: str = LOCK_TEXT, pyproject: dict = PYPROJECT) -> list[str]:
    lock = lockcheck.lock_parse(lock_text)
    direct = lockcheck.project_requirements(pyproject)
    return lock.problems + lockcheck.closure_problems(
        lock, direct, environments=lockcheck.lock_environments(lock_text)
    )


def _without(text: str, name: str) -> str:
    """The lock text with one package's entry (its pin, hashes and 'via' lines) removed."""
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line[:1].isalnum():
            skipping = line.lower().startswith(f"{name}==")
        if not skipping:
            out.append(line)
    assert len(out) < len(text.splitlines()), name
    return "".join(out)


def test_the_real_lock_is_whole_exact_and_agrees_with_pyproject():
    assert lockcheck.check(ROOT) == []


def test_the_lock_pins_what_this_environment_runs():
    # The suite runs in an environment installed from the lock: the guard's metadata is real.
    lock = lockcheck.lock_parse(LOCK_TEXT)
    assert len(lock.pins) > 100
    assert lockcheck.not_in_lock(ROOT) == []


def test_an_unpinned_line_fails():
    # The line that broke the install (issue 16): weasyprint's fonttools[woff]>=4.59.2.
    text = LOCK_TEXT.replace("fonttools==4.68.0", "fonttools>=4.59.2")
    assert text != LOCK_TEXT
    problems = _problems(text)
    assert "fonttools: not pinned with == (fonttools>=4.59.2)" in problems
    # Unpinned, it is not in the set either, so whoever needs it is told too.
    assert any(p.startswith("fonttools[woff]>=4.59.2 (needed by weasyprint)") for p in problems)


def test_a_missing_dependency_fails():
    problems = _problems(_without(LOCK_TEXT, "fonttools"))
    assert any(
        p.startswith("fonttools[woff]>=4.59.2 (needed by weasyprint) is not in the lock")
        for p in problems
    ), problems


def test_a_missing_dependency_of_an_extra_fails():
    # brotli comes only through fonttools' woff extra, which weasyprint asks for.
    problems = _problems(_without(LOCK_TEXT, "brotli"))
    assert any("(needed by fonttools[woff]) is not in the lock" in p for p in problems), problems


def test_a_pin_nothing_needs_fails():
    extra = "left-pad==1.3.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"
    assert _problems(LOCK_TEXT + extra) == ["left-pad==1.3.0 is in the lock but nothing needs it"]


def test_a_direct_dependency_not_in_the_lock_fails():
    pyproject = {**PYPROJECT, "project": dict(PYPROJECT["project"])}
    pyproject["project"]["dependencies"] = [*pyproject["project"]["dependencies"], "left-pad>=1"]
    assert _problems(pyproject=pyproject) == [
        "left-pad>=1 (needed by pyproject.toml) is not in the lock"
    ]


def test_a_pin_outside_the_projects_range_fails():
    pyproject = {**PYPROJECT, "project": dict(PYPROJECT["project"])}
    pyproject["project"]["dependencies"] = [
        "Django>=6" if Requirement(spec).name == "Django" else spec
        for spec in pyproject["project"]["dependencies"]
    ]
    problems = _problems(pyproject=pyproject)
    assert len(problems) == 1
    assert problems[0].startswith("django==5.2.")
    assert problems[0].endswith("does not satisfy Django>=6 (pyproject.toml)")


def test_a_pin_without_a_hash_fails():
    lock = lockcheck.lock_parse("six==1.17.0\n")
    assert lock.problems == ["six: no hash"]


def test_an_option_in_the_lock_fails():
    # An index or a nested file would make the set depend on something outside the lock.
    lock = lockcheck.lock_parse("--extra-index-url https://example.org/simple\n")
    assert lock.problems == ["line 1: an option in the lock (--extra-index-url)"]


def test_the_oldest_python_the_lock_serves_counts():
    # redis needs async-timeout before Python 3.11.3 only; the lock is compiled for 3.11.
    lock = lockcheck.lock_parse(LOCK_TEXT)
    direct = lockcheck.project_requirements(PYPROJECT)
    here_only = lockcheck.closure_problems(lock, direct, environments=None)
    if sys.version_info >= (3, 11, 3):
        assert "async-timeout==5.0.1 is in the lock but nothing needs it" in here_only
    assert "--python-version 3.11" in LOCK_TEXT
    assert len(lockcheck.lock_environments(LOCK_TEXT)) == 2


def test_an_undeclared_import_fails(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "services.py").write_text(
        textwrap.dedent(
            """
            import json
            import yaml
            from django.conf import settings
            from app import models
            """
        )
    )
    problems = lockcheck.import_problems(tmp_path, [Requirement("Django>=5")])
    assert problems == [
        "the code imports yaml (pyyaml), which no dependency in pyproject.toml provides: "
        "app/services.py:3"
    ]
    assert lockcheck.import_problems(tmp_path, [Requirement("Django"), Requirement("PyYAML")]) == []


@pytest.mark.parametrize("target", ["run", "test"])
def test_make_installs_through_the_exact_set_installer(target):
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/install-lock.sh $(VENV)" in makefile
    assert "pip install" not in makefile
    rule = makefile.split(f"\n{target}:", 1)[1].split("\n", 1)[0]
    assert "$(STAMP)" in rule
