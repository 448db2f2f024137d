# wealthdesk — every target creates its own virtualenv and installs what it needs.
# Only Python 3.11+, make and the package registries are assumed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
CONSTRAINTS := constraints.txt

CUSTOMERS ?= 20000
SEED ?= 7
DEMO_DIR ?= demo-data
STORE ?= wealthdesk.duckdb
BENCH_CUSTOMERS ?= 1000000
CHROMIUM := /usr/bin/chromium
# Debian's packages the browser tests and the API benchmark need (as root, or through sudo)
SYSTEM_PACKAGES := chromium fonts-wqy-microhei wrk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DEFAULT_GOAL := help
.PHONY: help demo test bench lint docs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP) install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP) install --quiet -c $(CONSTRAINTS) -e '.[test,bench,dev,spark]'
	touch $@ $(VENV)/.installed-base

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES)

demo: $(VENV)/.installed-base ## Generate a demo brokerage, ingest it, print quality report and metrics
	$(BIN)/wealthdesk demo --customers $(CUSTOMERS) --seed $(SEED) --out $(DEMO_DIR) --store $(STORE)

test: $(VENV)/.installed-dev $(CHROMIUM) ## Run the test suite (installs Chromium and a CJK font for the browser tests)
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-dev $(CHROMIUM) ## Benchmarks on a 1M-customer brokerage (BENCH_CUSTOMERS=… to resize)
	$(BIN)/python benchmarks/bench_foundation.py --customers $(BENCH_CUSTOMERS)
	$(BIN)/python benchmarks/bench_chat_tags.py --customers $(BENCH_CUSTOMERS) --keep
	$(BIN)/python benchmarks/bench_api.py --customers $(BENCH_CUSTOMERS) --card  # 360 view and sidebar card vs a trivial endpoint
	$(BIN)/python benchmarks/bench_wecom.py --customers $(BENCH_CUSTOMERS)  # callbacks vs WeCom's budgets; archive into tags
	$(BIN)/python benchmarks/bench_engines.py --customers $(BENCH_CUSTOMERS)
	$(BIN)/python benchmarks/bench_live.py --customers $(BENCH_CUSTOMERS)
	$(BIN)/python benchmarks/bench_clv.py --customers $(BENCH_CUSTOMERS)
	$(BIN)/python benchmarks/bench_reassurance.py --customers 100000  # validated against the generator's truth
	$(BIN)/python benchmarks/bench_matching.py --customers $(BENCH_CUSTOMERS)  # hit rate on planted interests (100k); 1M batch

lint: $(VENV)/.installed-dev ## ruff (lint + format check) and the docs drift check
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

docs: $(VENV)/.installed-base ## Regenerate docs/ from the code (data model, metrics, CLI)
	$(BIN)/wealthdesk docs --out docs

clean: ## Remove the virtualenv, demo data and stores
	rm -rf $(VENV) $(DEMO_DIR) $(STORE) $(STORE).wal benchmarks/out
