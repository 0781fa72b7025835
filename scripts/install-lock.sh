#!/usr/bin/env bash
# Installs requirements.lock into a virtual environment as an exact set: pip gets every
# package with its hash and --no-deps, so no resolver runs and no upstream release can
# change what installs (issue 16: a resolver once reached past the lock for fonttools).
# Then it removes what an older lock left, proves the set whole (pip check), and imports
# every module (scripts/lockcheck.py --imports).
#
#   scripts/install-lock.sh [VENV]      (default .venv; PYTHON picks the interpreter;
#                                       LOCK_INSTALL_ONLY=1 skips the removal and checks)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
say() { printf '\n==> %s\n' "$*"; }

if [ ! -x "$venv/bin/python" ]; then
  say "Creating the virtual environment $venv with $("$python" --version)"
  "$python" -m venv "$venv"
fi
py="$venv/bin/python"
count=$(grep -cE '^[A-Za-z0-9]' requirements.lock)
say "Installing the $count packages of requirements.lock into $venv (exact versions and hashes, no resolver; about a minute on a new machine)"
"$py" -m pip install --no-deps --require-hashes --only-binary :all: \
  --no-input --progress-bar off --disable-pip-version-check -r requirements.lock

# make lock installs the old lock only for its uv, before pyproject's change is locked.
[ "${LOCK_INSTALL_ONLY:-0}" = 1 ] && exit 0

stale=$("$py" scripts/lockcheck.py --not-in-lock)
if [ -n "$stale" ]; then
  say "Removing packages the lock no longer has: $(echo $stale)"
  # shellcheck disable=SC2086
  "$py" -m pip uninstall --yes --disable-pip-version-check $stale
fi

say "Checking that the installed set is whole (pip check) and that every module imports"
"$py" -m pip check --disable-pip-version-check
"$py" scripts/lockcheck.py --imports
