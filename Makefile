# mofan: two commands. `make demo` installs and serves the demo district; `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install lint typecheck security pytest messages browser-deps serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) messages

messages: $(STAMP)
	cd mofan && ../$(BIN)/mofan compilemessages --ignore '.venv' -v 0

demo: install
	$(BIN)/mofan migrate --noinput -v 0
	$(BIN)/mofan demo
	$(BIN)/mofan runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mofan makemigrations --check --dry-run -v 0

typecheck: $(STAMP)
	$(BIN)/mypy mofan bench tests

browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "The browser tests need Chromium: sudo apt-get install chromium"; exit 1; fi; }

# bandit over mofan/, then pip-audit (skipped, with the reason printed, when no vulnerability list is reachable).
security: $(STAMP)
	$(BIN)/python scripts/security_audit.py

pytest: install browser-deps
	$(BIN)/pytest $(PYTEST_ARGS)

test: install lint typecheck security pytest

clean:
	rm -rf $(VENV) var
