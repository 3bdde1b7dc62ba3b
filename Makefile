# Ruby — the two commands of the README, plus a few helpers.
# `make run`  : virtualenv + install + migrate (SQLite) + demo data + web server and worker on :8000
# `make test` : dev install + ruff + pytest

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Development defaults for `make run` (the Microsoft sandbox is on when no client id is set).
export DEBUG ?= 1

.PHONY: run test bench lint migrate demo worker web install install-dev clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	HOST=$(HOST) PORT=$(PORT) $(PY) manage.py demo_data
	$(PY) manage.py setup_schedules

run: demo
	@echo "Ruby on http://$(HOST):$(PORT)/ — web server and django-q2 worker; Ctrl-C stops both."
	@$(PY) manage.py qcluster & QPID=$$!; \
	trap 'kill $$QPID 2>/dev/null; wait $$QPID 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

web: migrate
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: migrate
	$(PY) manage.py qcluster

lint: install-dev
	$(VENV)/bin/ruff check .

test: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

bench: install-dev
	RUBY_BENCH=1 $(VENV)/bin/pytest tests/bench -p no:randomly -s -q

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
