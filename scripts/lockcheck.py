"""The guard of the install: requirements.lock is a complete, exact set that agrees with pyproject.

The install (``scripts/install-lock.sh``) gives the lock to pip as a set, with ``--no-deps``,
so no resolver runs and no upstream release can change what installs. That is only safe if
the lock is whole; this module proves it, from the lock file, ``pyproject.toml`` and the
metadata of the environment it runs in (one installed from the lock):

- every line of the lock pins one version with ``==`` and carries at least one hash;
- every dependency that ``pyproject.toml`` declares (with its extras, the ``dev`` extra
  included) is in the lock, at a version its specifier allows;
- following the installed distributions' own requirements from those, every distribution
  needed is in the lock at an allowed version (nothing missing), and nothing in the lock is
  outside that closure (nothing that nothing needs: ``make lock`` drift);
- every third-party module the project's code imports belongs to a declared dependency;
- ``--imports``: every top-level module of every locked distribution imports, and so does
  every module of the project once Django is set up.

Run ``python scripts/lockcheck.py [--imports]``; it prints each problem and exits 1 if there
is one. ``tests/test_lock.py`` runs the same checks, and shows that they fail on a lock with
an unpinned or a missing dependency.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.metadata as metadata
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
# Folders of the checkout that hold no code of the app's.
SKIP_DIRS = {".venv", "var", "node_modules", ".git", "locale", "static"}


@dataclass
class Lock:
    """What a lock file pins: canonical name -> version, and the lines that pin nothing."""

    pins: dict[str, Version] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def lock_parse(text: str) -> Lock:
    """Reads a pip requirements file with hashes, as ``uv pip compile --generate-hashes`` writes it."""
    lock = Lock()
    # Join continuation lines; drop comments (a '#' that starts a line or follows a space).
    joined = re.sub(r"\\\n", " ", text)
    for number, raw in enumerate(joined.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        if line.startswith("-"):
            lock.problems.append(f"line {number}: an option in the lock ({line.split()[0]})")
            continue
        hashes = re.findall(r"--hash=sha256:[0-9a-f]{64}", line)
        spec = re.sub(r"--hash=\S+", "", line).strip()
        try:
            requirement = Requirement(spec)
        except InvalidRequirement as exc:
            lock.problems.append(f"line {number}: not a requirement: {spec!r} ({exc})")
            continue
        name = canonicalize_name(requirement.name)
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator != "==" or "*" in specifiers[0].version:
            lock.problems.append(f"{requirement.name}: not pinned with == ({spec})")
            continue
        if not hashes:
            lock.problems.append(f"{requirement.name}: no hash")
        if name in lock.pins:
            lock.problems.append(f"{requirement.name}: pinned twice")
        lock.pins[name] = Version(specifiers[0].version)
    return lock


def project_requirements(pyproject: dict) -> list[Requirement]:
    """The direct dependencies: the project's own and every optional group (``dev``)."""
    project = pyproject["project"]
    specs = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        specs.extend(group)
    return [Requirement(spec) for spec in specs]


def _applies(requirement: Requirement, extras: set[str], environment: dict[str, str]) -> bool:
    if requirement.marker is None:
        return True
    # A requirement without an extra marker applies whatever extras were asked for.
    return any(
        requirement.marker.evaluate({**environment, "extra": extra}) for extra in extras | {""}
    )


def lock_environments(text: str) -> list[dict[str, str]]:
    """The environments the lock must serve: this one, and the oldest Python it was compiled for.

    ``uv pip compile --python-version 3.11`` resolves for 3.11.0, so the lock holds what
    3.11.0 needs (async-timeout for redis before 3.11.3) though this interpreter may not.
    """
    here = dict(default_environment())
    environments = [here]
    target = re.search(r"--python-version[ =](\d+\.\d+)", text)
    if target:
        oldest = {**here, "python_version": target[1], "python_full_version": f"{target[1]}.0"}
        environments.append(oldest)
    return environments


def closure_problems(
    lock: Lock,
    direct: list[Requirement],
    requires_of=None,
    environments: list[dict[str, str]] | None = None,
) -> list[str]:
    """Follows the requirements from the direct ones; says what is missing, unpinned or unneeded.

    ``requires_of(name)`` gives a distribution's declared requirements (strings); by default,
    the installed distribution's metadata. The closure is the union over ``environments``.
    """
    if requires_of is None:

        def requires_of(name: str) -> list[str]:
            return metadata.requires(name) or []

    problems: list[str] = []
    needed: set[str] = set()
    for environment in environments or [dict(default_environment())]:
        # (requirement, who asked for it)
        queue: list[tuple[Requirement, str]] = [(r, "pyproject.toml") for r in direct]
        expanded: set[tuple[str, frozenset[str]]] = set()
        while queue:
            requirement, by = queue.pop()
            if by == "pyproject.toml" and not _applies(requirement, set(), environment):
                continue
            name = canonicalize_name(requirement.name)
            if name not in lock.pins:
                problems.append(f"{requirement} (needed by {by}) is not in the lock")
                continue
            needed.add(name)
            if not requirement.specifier.contains(lock.pins[name], prereleases=True):
                problems.append(
                    f"{name}=={lock.pins[name]} in the lock does not satisfy {requirement} ({by})"
                )
            extras = frozenset(requirement.extras)
            if (name, extras) in expanded:
                continue
            expanded.add((name, extras))
            try:
                declared = requires_of(name)
            except metadata.PackageNotFoundError:
                problems.append(f"{name} is in the lock but not installed here")
                continue
            label = f"{name}[{','.join(sorted(extras))}]" if extras else name
            for spec in declared:
                child = Requirement(spec)
                if _applies(child, set(extras), environment):
                    queue.append((child, label))
    for name in sorted(set(lock.pins) - needed):
        problems.append(f"{name}=={lock.pins[name]} is in the lock but nothing needs it")
    return list(dict.fromkeys(problems))


def _project_files(root: Path):
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] in SKIP_DIRS or "migrations" in parts:
            continue
        yield path


def _local_modules(root: Path) -> set[str]:
    names = {p.stem for p in root.glob("*.py")}
    names |= {p.name for p in root.iterdir() if (p / "__init__.py").exists()}
    return names


def import_problems(root: Path, direct: list[Requirement]) -> list[str]:
    """Every third-party module the app's code imports must come from a declared dependency.

    A module reached only through another package's requirements (``yaml`` through
    schemathesis, say) would vanish from the lock when that package drops it.
    """
    declared = {canonicalize_name(r.name) for r in direct}
    owners = metadata.packages_distributions()
    local = _local_modules(root)
    undeclared: dict[str, list[str]] = {}
    for path in _project_files(root):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in local or top == "__future__":
                    continue
                dists = {canonicalize_name(d) for d in owners.get(top, [])}
                if not dists & declared:
                    owner = ", ".join(sorted(dists)) or "not installed"
                    undeclared.setdefault(f"{top} ({owner})", []).append(
                        f"{path.relative_to(root)}:{node.lineno}"
                    )
    return [
        f"the code imports {module}, which no dependency in pyproject.toml provides: "
        f"{', '.join(places[:3])}{' …' if len(places) > 3 else ''}"
        for module, places in sorted(undeclared.items())
    ]


def module_import_problems(lock: Lock, root: Path) -> list[str]:
    """Imports every top-level module of every locked distribution, then every app module."""
    owners = metadata.packages_distributions()
    problems = []
    for module, dists in sorted(owners.items()):
        if module.startswith("_") or not {canonicalize_name(d) for d in dists} & set(lock.pins):
            continue
        try:
            importlib.import_module(module)
        except Exception as exc:
            problems.append(f"import {module} ({', '.join(dists)}) fails: {exc!r}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "odr.settings.test")
    sys.path.insert(0, str(root))
    import django

    django.setup()
    for path in _project_files(root):
        relative = path.relative_to(root)
        if relative.parts[0] in {"tests", "conftest.py"} or "tests" in relative.parts:
            continue
        if relative.parts[0] not in _local_modules(root) or relative.name == "manage.py":
            continue
        if relative.parts[:2] == ("odr", "settings"):
            continue  # django.setup() loaded the test settings; production needs its secrets
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        try:
            importlib.import_module(module)
        except Exception as exc:
            problems.append(f"import {module} fails: {exc!r}")
    return problems


def check(root: Path = ROOT, *, imports: bool = False) -> list[str]:
    text = (root / "requirements.lock").read_text(encoding="utf-8")
    lock = lock_parse(text)
    with (root / "pyproject.toml").open("rb") as fh:
        direct = project_requirements(tomllib.load(fh))
    problems = list(lock.problems)
    problems += closure_problems(lock, direct, environments=lock_environments(text))
    problems += import_problems(root, direct)
    if imports:
        problems += module_import_problems(lock, root)
    return problems


# What a new venv holds before the lock is installed; never removed.
VENV_OWN = {"pip", "setuptools", "wheel"}


def not_in_lock(root: Path = ROOT) -> list[str]:
    """Installed distributions the lock does not pin: left over from an older lock."""
    pins = lock_parse((root / "requirements.lock").read_text(encoding="utf-8")).pins
    installed = {canonicalize_name(d.metadata["Name"]) for d in metadata.distributions()}
    return sorted(installed - set(pins) - VENV_OWN)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imports", action="store_true", help="also import every module")
    parser.add_argument(
        "--not-in-lock", action="store_true", help="print installed packages the lock lacks"
    )
    args = parser.parse_args()
    if args.not_in_lock:
        print("\n".join(not_in_lock()))
        return 0
    problems = check(imports=args.imports)
    for problem in problems:
        print(f"lockcheck: {problem}", file=sys.stderr)
    if problems:
        print(
            f"lockcheck: {len(problems)} problem(s); see `make lock` in README.md", file=sys.stderr
        )
        return 1
    print("lockcheck: requirements.lock is complete, exact and agrees with pyproject.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
