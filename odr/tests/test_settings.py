"""Production settings refuse to start without their secrets and pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "SECRET_KEY": "k" * 20 + "-production-test-key-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "odr.example.org",
    "DATABASE_URL": "postgres://odr@127.0.0.1:5432/odr",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        k: v for k, v in os.environ.items() if k not in REQUIRED and k != "DJANGO_SETTINGS_MODULE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--settings=odr.settings.production"],
        cwd=ROOT,
        env={**base, **env, "ODR_SKIP_DOTENV": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in REQUIRED.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_refuses_wildcard_hosts():
    result = _manage("check", env={**REQUIRED, "ALLOWED_HOSTS": "*"})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_check_deploy_is_clean():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=REQUIRED)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_seed_demo_is_refused_in_production():
    result = _manage("seed_demo", env=REQUIRED)
    assert result.returncode != 0
    assert "refused under production" in result.stderr


@pytest.mark.parametrize(
    ("module", "seen"),
    [("odr.settings.base", "/from/the/dot-env/signer.p12"), ("odr.settings.test", "")],
)
def test_the_tests_do_not_read_the_developers_env_file(tmp_path, module, seen):
    """`make run` writes a .env with the development signing key; `make test` in the same
    checkout must not pick it up (tests that expect no key, or their own, would fail)."""
    env_file = tmp_path / ".env"
    env_file.write_text("DOCUMENTS_SIGNING_PKCS12=/from/the/dot-env/signer.p12\n")
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "ODR_SKIP_DOTENV", "DOCUMENTS_SIGNING_PKCS12")
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(repr(settings.DOCUMENTS_SIGNING_PKCS12))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": module,
            "ODR_ENV_FILE": str(env_file),
            "SECRET_KEY": "settings-test-key-not-a-secret-0123456789-abcdef",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == repr(seen)
