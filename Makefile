# Werkpad: `make run` for the Dutch demo, `make test` for the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
TEST_PACKAGES := $(RUN_PACKAGES) redis-server redis-tools chromium poppler-utils postgresql gettext
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint format demo-db bench

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -c "import django, allauth, guardian, celery, weasyprint, playwright"
	touch $@

run: $(VENV)/.installed
	bin/ensure-system-packages $(RUN_PACKAGES)
	bin/run-demo

test: $(VENV)/.installed
	bin/ensure-system-packages $(TEST_PACKAGES)
	WERKPAD_TEST=1 bin/with-services $(MAKE) --no-print-directory checks

# Issue 10's benchmark, not part of `make test` (about half an hour): seeds N = 1 000 and
# 100 000 clients into throwaway databases, measures, writes bench/results.md.
bench: $(VENV)/.installed
	bin/ensure-system-packages $(TEST_PACKAGES)
	WERKPAD_TEST=1 bin/with-services $(PY) -m bench

# Runs inside bin/with-services (real PostgreSQL and Redis).
checks:
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
