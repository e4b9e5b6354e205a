# tongban: two commands on a fresh machine with Python 3.11+ and make.
#   make demo   set up and run the demo
#   make test   set up and run every test (SQLite, then a throwaway PostgreSQL)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint test-sqlite test-postgres schema docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tongban demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python scripts/check_schema.py

test-sqlite: $(STAMP)
	$(BIN)/pytest -q

test-postgres: $(STAMP)
	$(BIN)/python scripts/with_postgres.py $(BIN)/pytest -q -m 'not e2e and not nodes'

test: lint test-sqlite test-postgres

schema: $(STAMP)
	$(BIN)/python manage.py spectacular --format openapi-json --file docs/openapi.json

bench: $(STAMP)
	$(BIN)/python bench/search_latency.py
	$(BIN)/python bench/import_excel.py

clean:
	rm -rf $(VENV) var .pytest_cache
