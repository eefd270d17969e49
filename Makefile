# Two entry points for a fresh clone (needs only Python 3.11 and make):
#   make run   - set up, run the weekly pipeline on seeds/, print where the warehouse and digest are
#   make test  - set up, run every test (the fast suite and the slow end-to-end ones); CI runs exactly this
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_NO_PROGRESS := 1
# Installed packages get their .pyc written at set-up: with PYTHONDONTWRITEBYTECODE set (as on CI), every process
# (flow, extraction workers, Prefect server) would otherwise compile its imports from source at each start:
# `import newsdigest.extract` 3.6 -> 1.3 CPU s per extraction worker (measured with /usr/bin/time).
export UV_COMPILE_BYTECODE := 1

.PHONY: setup run test test-fast lint bench bench-pipeline clean schedule schedule-stop schedule-status e2e

$(UV):
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 needed, found {sys.version.split()[0]}"'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --quiet
	@touch $@

setup: $(VENV)/.synced

run: setup
	$(VENV)/bin/newsdigest run $(ARGS)

test: setup
	$(VENV)/bin/pytest -m "slow or not slow" $(ARGS)

test-fast: setup
	$(VENV)/bin/pytest $(ARGS)

# Scheduled operation (README "Run it on a schedule"): local Prefect server, work pool, limits, deployments, worker.
schedule: setup
	scripts/schedule.sh start

schedule-stop:
	scripts/schedule.sh stop

schedule-status:
	scripts/schedule.sh status

# Only the slow end-to-end tests (real Prefect server, worker, browser); `make test` runs them too.
e2e: setup
	$(VENV)/bin/pytest -m slow tests/e2e $(ARGS)

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(VENV)/bin/python bench/extraction.py
	$(VENV)/bin/python bench/dates.py

bench-pipeline: setup  ## end-to-end throughput vs bare trafilatura (docs/performance.md); N=2000 by default
	$(VENV)/bin/python bench/pipeline.py --n $(or $(N),2000) $(ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) var
