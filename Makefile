# ODR 12315 — two commands: `make run` serves the app, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages: the PDF stack for the app; poppler (pdfsig), NSS's certutil (a trust
# store for pdfsig) and Chromium for the tests.
APP_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext
TEST_DEBS := poppler-utils libnss3-tools chromium
PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: run test lint format lock system-deps test-system-deps messages clean help
.DEFAULT_GOAL := help

help:
	@echo "make run   install what is missing, migrate, load demo data, serve on http://127.0.0.1:$(PORT)"
	@echo "make test  lint and run the whole test suite"

# The lock is installed as an exact set, with no resolver (scripts/install-lock.sh); the
# venv is brought in line again whenever the lock changes.
$(STAMP): requirements.lock scripts/install-lock.sh scripts/lockcheck.py
	PYTHON=$(PYTHON) scripts/install-lock.sh $(VENV)
	touch $(STAMP)

# Installs missing Debian packages when run as root, or prints the exact command.
define ensure_debs
	@missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "Installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Missing Debian packages. Run: sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; fi; \
	fi
endef

system-deps:
	$(call ensure_debs,$(APP_DEBS))

test-system-deps:
	$(call ensure_debs,$(APP_DEBS) $(TEST_DEBS))

# A local .env with a generated secret key; never committed.
.env:
	@echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "Wrote .env with a generated SECRET_KEY."

# Compiled translations are built, not committed.
locale/zh_Hans/LC_MESSAGES/django.mo: locale/zh_Hans/LC_MESSAGES/django.po
	msgfmt --check -o $@ $<

# collectstatic compresses every file: run it only when a static file changed.
STATIC_STAMP := var/static/staticfiles.json
$(STATIC_STAMP): $(STAMP) $(shell find static -type f 2>/dev/null)
	$(BIN)/python manage.py collectstatic --noinput -v0

run: system-deps $(STAMP) .env locale/zh_Hans/LC_MESSAGES/django.mo $(STATIC_STAMP)
	$(BIN)/python manage.py odr_dev_pki --dir var/dev-pki --env-file .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py odr_dev_pki --dir var/dev-pki --seals
	PORT=$(PORT) BIN=$(BIN) scripts/serve.sh

test: test-system-deps $(STAMP) locale/zh_Hans/LC_MESSAGES/django.mo
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=odr.settings.test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate the lock file after changing pyproject.toml, with the uv the lock pins; versions
# already in the lock are kept (add --upgrade-package NAME to move one). Then check it.
lock:
	test -x $(BIN)/uv || PYTHON=$(PYTHON) LOCK_INSTALL_ONLY=1 scripts/install-lock.sh $(VENV)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock
	PYTHON=$(PYTHON) scripts/install-lock.sh $(VENV)
	touch $(STAMP)

messages: $(STAMP)
	cd $(CURDIR) && $(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var
	msgfmt --check -o locale/zh_Hans/LC_MESSAGES/django.mo locale/zh_Hans/LC_MESSAGES/django.po

clean:
	rm -rf var/test-media var/static
