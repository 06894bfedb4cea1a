# hoso — the two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# openapi-python-client (for the generated-client test) needs an older typer than hoso: its own environment.
CLIENT_VENV := .venv-openapi-client
CLIENT_STAMP := $(CLIENT_VENV)/.installed-stamp
OPENAPI_PYTHON_CLIENT := openapi-python-client==0.29.1
export HOSO_DATABASE_URL ?= sqlite:///$(CURDIR)/var/hoso.sqlite3
# The suite runs in this many processes (pytest-xdist); each gets its own PostgreSQL database <name>_gwN.
TEST_WORKERS ?= 2

# Debian packages for the signed PDF copies of documents (LibreOffice headless, fonts with every Vietnamese
# letter, pdftoppm/pdftotext for the tests, SoftHSM as the PKCS#11 token the signing tests use). Installed when the set-up runs as root with apt-get; otherwise
# the set-up says what is missing, documents stay .docx with a note, and the PDF tests are skipped.
SYSTEM_PACKAGES := libreoffice-writer-nogui fonts-liberation2 poppler-utils softhsm2

.PHONY: setup system-packages client-generator demo serve test lint typecheck clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) system-packages

system-packages:
	@missing=""; \
	for package in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Cài gói hệ thống cho bản PDF ký số:$$missing"; \
		if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; } >/dev/null 2>&1; then \
			echo "CẢNH BÁO: không cài được$$missing — văn bản chỉ có bản .docx, các kiểm thử PDF sẽ bị bỏ qua."; \
		fi; \
	else \
		echo "LƯU Ý: thiếu gói$$missing (cần quyền root để cài bằng apt-get) — văn bản chỉ có bản .docx," \
			"chưa có bản PDF ký số; các kiểm thử PDF sẽ bị bỏ qua."; \
	fi

$(CLIENT_STAMP): Makefile
	$(PYTHON) -m venv $(CLIENT_VENV)
	$(CLIENT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CLIENT_VENV)/bin/python -m pip install --quiet '$(OPENAPI_PYTHON_CLIENT)'
	touch $(CLIENT_STAMP)

client-generator: $(CLIENT_STAMP)

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
test: lint typecheck client-generator
	$(BIN)/hoso procedures check
	$(BIN)/pytest -q -n $(TEST_WORKERS)

clean:
	rm -rf $(VENV) $(CLIENT_VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
