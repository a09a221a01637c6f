# The two commands that matter: `make run` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CC := $(BIN)/crosscluster
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in mails, the digest and the thank-you page start with SITE_URL; by default the address `make run` serves.
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test test-dates setup install translations encoder browser-deps lint format openapi-snapshot clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,encoder]'
	touch $(STAMP)

install: $(STAMP)

translations: install
	$(CC) compiletranslations

## The routing encoder's int8 ONNX build (var/models); skipped when the one there matches its inputs.
encoder: install
	$(CC) build-encoder

setup: translations encoder
	$(CC) migrate --noinput
	$(CC) createcachetable

## Serve the site with demo data on SQLite, with the background worker and the periodic jobs beside it.
run: setup
	$(CC) load-demo
	@echo "Crosscluster: http://$(HOST):$(PORT)/  (links in mails: $(SITE_URL); worker and scheduler run alongside; Ctrl-C stops all)"
	@export SITE_URL='$(SITE_URL)'; trap 'kill 0' INT TERM EXIT; \
	  $(CC) db_worker & \
	  $(CC) scheduler & \
	  $(CC) runserver $(HOST):$(PORT)

## Browser-test prerequisites: Debian's Chromium (when root and missing), axe-core and ical.js from npm.
browser-deps:
	@bash tests/browser/install-deps.sh

## Every test: unit, integration and browser journeys, spread over TEST_WORKERS processes (pytest-xdist;
## each has its own test database and live server). TEST_WORKERS=0 runs them in this one process.
TEST_WORKERS ?= 2
test: translations encoder browser-deps
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## The suite again with the clock moved to each hard day (tests/clock.py), or to DAYS="NAME|MOMENT ...".
## Replay the day a run printed with: make test-dates DAYS=2027-03-28T01:30+01:00
DAYS ?=
test-dates: translations encoder browser-deps
	@moments=$$($(BIN)/python -m tests.clock names $(DAYS)) || exit 2; failed=""; \
	for moment in $$moments; do \
	  echo "test-dates: the suite at $$moment"; \
	  CROSSCLUSTER_TEST_NOW=$$moment $(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS) || failed="$$failed $$moment"; \
	done; \
	if [ -n "$$failed" ]; then echo "test-dates: failed at$$failed" >&2; exit 1; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi-snapshot: install
	$(CC) export-openapi > tests/api/openapi.json

clean:
	rm -rf $(VENV) var node_modules
