# The two commands of the README's Quick start, and a few helpers.
#   make run   installs what is missing and serves the app on http://localhost:8501
#   make test  installs the test dependencies and runs the whole test suite
# Everything goes into .venv; the machine's Python 3.11+ is the only prerequisite.
# An install is redone only when pyproject.toml changes (the stamp carries its hash).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HASH   := $(shell sha256sum pyproject.toml | cut -c1-12)

SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run school test bench eval clean engines

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.app-$(HASH): | $(BIN)/python
	$(BIN)/python -m pip install --quiet --progress-bar off -e .
	rm -f $(VENV)/.app-*; touch $@

$(VENV)/.test-$(HASH): $(VENV)/.app-$(HASH)
	$(BIN)/python -m pip install --quiet --progress-bar off -e ".[test]"
	rm -f $(VENV)/.test-*; touch $@

run: $(VENV)/.app-$(HASH)
	$(BIN)/streamlit run streamlit_app.py

# The multi-process set on this machine (docs/deployment.md): a Chroma server, a job worker,
# two app processes behind HAProxy on :8501.
school: $(VENV)/.app-$(HASH)
	@command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq haproxy; }
	$(BIN)/tutor school --apps 2 --workers 1

# Engines the tests start on loopback, from Debian: Chromium for the browser tests (Playwright
# must not download its own), redis-server for the job queue on Redis, HAProxy for the
# multi-process deployment. Only the missing ones are installed.
engines:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing="$$missing haproxy"; \
	[ -z "$$missing" ] || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; }

test: $(VENV)/.test-$(HASH) engines
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(VENV)/.test-$(HASH)
	$(BIN)/python -m pytest tests/bench --benchmark-enable -s

eval: $(VENV)/.test-$(HASH)
	$(BIN)/python -m pytest tests/evals -s

clean:
	rm -rf $(VENV) data .pytest_cache .benchmarks
