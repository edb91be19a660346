# Two commands do all the set-up on a fresh machine with python3: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export REGISTRY_INSTANCE ?= $(CURDIR)/instance
export FLASK_APP := wsgi

.PHONY: run test lint install init bench clean-instance chromium pdftools gotools aics

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

init: install pdftools
	$(BIN)/flask init --demo

# Local plain http: the session cookie may not be Secure here (it is everywhere else by default).
# Beside the web process: the demo's witness and the worker that sends it each new checkpoint.
run: init
	@echo "Serial Ledger is serving on http://127.0.0.1:5000 (instance: $(REGISTRY_INSTANCE)); sign in with a demo login above"
	@if test -d "$(REGISTRY_INSTANCE)/demo-witness"; then \
		$(BIN)/python -m audit witness serve "$(REGISTRY_INSTANCE)/demo-witness" --listen 127.0.0.1:7380 & witness=$$!; \
		sleep 1; $(BIN)/flask ledger witness >/dev/null & worker=$$!; \
		trap 'kill $$witness $$worker 2>/dev/null' EXIT INT TERM; \
	fi; \
	REGISTRY_INSECURE_COOKIES=1 $(BIN)/flask run --host 127.0.0.1 --port 5000

test: lint chromium pdftools gotools aics
	$(BIN)/python -m pytest -n auto

# Lint and format check over everything; the standalone verifier is type-checked strictly.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict audit/

# The browser tests need Debian's Chromium; Playwright drives it and never downloads a browser.
chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian's chromium for the browser tests"; \
		apt-get install -y chromium >/dev/null || { echo "install it with: sudo apt-get install -y chromium"; exit 1; }; }

# Reports: WeasyPrint subsets fonts with HarfBuzz's subsetter; the report tests read PDFs with poppler
# (pdftotext, pdftoppm, pdfinfo, pdffonts, pdfsig), make pdfsig's NSS database with certutil and decode
# the certificate's QR code with zbar (zbarimg).
pdftools:
	@{ command -v pdftoppm >/dev/null 2>&1 && command -v zbarimg >/dev/null 2>&1 && command -v certutil >/dev/null 2>&1 \
		&& ldconfig -p | grep -q libharfbuzz-subset; } || { \
		echo "installing Debian's poppler-utils, zbar-tools, libnss3-tools and libharfbuzz-subset0 for the reports"; \
		apt-get install -y poppler-utils zbar-tools libnss3-tools libharfbuzz-subset0 >/dev/null || { \
		echo "install them with: sudo apt-get install -y poppler-utils zbar-tools libnss3-tools libharfbuzz-subset0"; exit 1; }; }

# Tools nobody here wrote, that the tests check the log with: Go's golang.org/x/mod/sumdb (tlog, note)
# from Debian, built offline; and aics-witness and aics-tlog from PyPI, which need Python 3.12 and so
# live in a venv of their own.
gotools:
	@{ command -v go >/dev/null 2>&1 && test -d /usr/share/gocode/src/golang.org/x/mod/sumdb; } || { \
		echo "installing Debian's golang-go and golang-golang-x-mod-dev for the tlog tests"; \
		apt-get install -y golang-go golang-golang-x-mod-dev >/dev/null || { \
		echo "install them with: sudo apt-get install -y golang-go golang-golang-x-mod-dev"; exit 1; }; }

AICS := .venv-aics
PYTHON312 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12))

$(AICS)/.installed: requirements-aics.txt
	@test -n "$(PYTHON312)" || { echo "the witness tests need Python 3.12 (pyenv install 3.12, or set PYTHON312)"; exit 1; }
	$(PYTHON312) -m venv $(AICS)
	$(AICS)/bin/python -m pip install --quiet -r requirements-aics.txt
	touch $(AICS)/.installed

aics: $(AICS)/.installed

bench: install
	$(BIN)/python -m bench ledger

clean-instance:
	rm -rf $(REGISTRY_INSTANCE)
