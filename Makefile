# hoso — the two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HOSO_DATABASE_URL ?= sqlite:///$(CURDIR)/var/hoso.sqlite3

.PHONY: setup demo serve test lint typecheck clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## Set up, migrate the embedded SQLite database under var/, load demo data, serve on 127.0.0.1:8000.
demo: setup
	$(BIN)/hoso db upgrade
	$(BIN)/hoso demo seed
	$(BIN)/hoso serve --host 127.0.0.1 --port 8000

serve: demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

## Set up and run the whole suite (also on PostgreSQL when HOSO_TEST_POSTGRES_URL is set).
test: lint typecheck
	$(BIN)/hoso procedures check
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
