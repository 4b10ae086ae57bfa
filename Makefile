# Two commands for a fresh clone: `make run` and `make test`. Only python3 and make needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install install-dev migrate demo bench screenshots messages clean

# DEBUG is off unless set (chatsite/settings.py): the development targets turn it on.
migrate demo run bench: export DEBUG ?= 1

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.dev-installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py create_demo_users

## Serve on http://127.0.0.1:8000 (HTTP and WebSockets through daphne's runserver).
run: demo
	$(PY) manage.py runserver $(HOST):$(PORT)

## The layers (import-linter, .importlinter), then the whole suite; browser tests run when
## /usr/bin/chromium exists.
test: install-dev
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest $(PYTEST_ARGS)

## Desktop and phone pictures of the main pages, light and dark, in docs/screenshots/ (the
## browser harness of the tests: a scratch database, daphne, /usr/bin/chromium).
screenshots: install-dev
	$(PY) -m pytest -q chatsite/tests/screenshots.py

## The zh_Hans catalogues: every marked string in locale/zh_Hans/LC_MESSAGES, then the .mo
## files (commit both). Needs gettext (apt-get install gettext).
messages: install-dev
	$(PY) -m chatsite.catalogues

bench: install-dev
	$(PY) bench/queries.py

clean:
	rm -rf $(VENV) .test-db.sqlite3* db.sqlite3*
