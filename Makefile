# The interface: `make demo` and `make test` set everything up on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: demo test bench lint system venv clean lock help

help:
	@echo "make demo   - install what is missing, run the digitise_batch DAG on a sample batch, print a summary"
	@echo "make test   - install what is missing, then lint and the whole test suite"
	@echo "make bench  - performance and accuracy figures (not pass/fail)"
	@echo "make lint   - ruff and mypy (type checks of the stage packages)"
	@echo "make clean  - remove var/ (embedded DB, S3 data, Airflow home) and test artefacts"

system:
	@bash scripts/install-system.sh

# Rebuilt only when requirements or the project metadata change.
$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "venv: installing pinned requirements into $(VENV)"
	@# Progress instead of minutes of silence: one updating line per package pip resolves, then a note
	@# while it installs; errors pass through.
	@total=$$(grep -c '==' requirements.txt); \
	$(BIN)/pip --disable-pip-version-check install -r requirements.txt 2>&1 | grep --line-buffered -v "^WARNING: Location" \
	  | awk -v total="$$total" '/^(Collecting|Requirement already satisfied)/ {n++; printf "\r  venv: gói %d/%d %-50.50s", n, total, ($$1 == "Collecting" ? $$2 : $$4); fflush()} \
	      /^Installing collected/ {printf "\n  venv: đang cài %d gói (có thể mất vài phút)…\n", total; fflush()} \
	      /^(ERROR|error)/ {print; fflush()} END {if (n) printf "\n"}' || true
	@$(PIP) install --no-deps -e . --config-settings editable_mode=compat 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import airflow, airflow.providers.celery, pyhanko, cv2, minio, sohoa"
	@touch $(STAMP)

venv: $(STAMP)

demo: system venv
	$(BIN)/sohoa demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy --cache-dir var/mypy-cache

test: system venv lint
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=25 $(PYTEST_ARGS)

ROADMAP_ROWS ?= 10000000
bench: system venv
	$(BIN)/python -m sohoa.bench --roadmap-rows $(ROADMAP_ROWS)

lock:
	rm -rf /tmp/sohoa-lock && $(PYTHON) -m venv /tmp/sohoa-lock
	/tmp/sohoa-lock/bin/pip install -q -r requirements.in
	{ echo "# Exact pins, tested together on Python 3.11 (pip check clean). Regenerate with: make lock"; \
	  /tmp/sohoa-lock/bin/pip freeze; } > requirements.txt

clean:
	-$(BIN)/python -c "from pathlib import Path; from storage._exec import weed; weed.stop(Path('var/s3'))" 2>/dev/null
	rm -rf var test-artifacts .pytest_cache .ruff_cache
