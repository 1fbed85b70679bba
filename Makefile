# Yakuba — set-up and everyday commands. Everything installs into .venv from PyPI.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
YAKUBA := $(VENV)/bin/yakuba
STAMP := $(VENV)/.installed
SAMPLE_DIR := var/sample-corpus
PYTHON ?= python3

.PHONY: install install-browser run sample-index test lint format bench-ingest clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first: the CPU build on this machine's disk; letting pip resolve it pulls a multi-GB CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Writes the fictional city's sample corpus and indexes it into the default index ($YAKUBA_HOME/index).
sample-index: install
	$(PY) -m ingest.sample $(SAMPLE_DIR)
	$(YAKUBA) ingest $(SAMPLE_DIR) --quiet

# Installs, builds the sample index if missing, creates a demo user on first start (its key is printed once),
# then runs the API and the web UI on localhost until Ctrl-C.
run: install
	@if [ ! -f "$${YAKUBA_INDEX_DIR:-$${YAKUBA_HOME:-var}/index}/CURRENT" ]; then $(MAKE) --no-print-directory sample-index; fi
	$(YAKUBA) up

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .

# Debian's chromium and CJK fonts for the end-to-end browser test (needs root; skipped tests say why otherwise).
install-browser:
	bash scripts/install-browser.sh

test: install install-browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

bench-ingest: install
	$(PY) benchmarks/ingest_egov.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
