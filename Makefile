# cardwatch — every task a person or CI runs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST := $(BIN)/pytest

.DEFAULT_GOAL := help
.PHONY: bench bench-check docs test-fast browser help install install-local checkov-venv synth checkov test-infra terraform-emulator demo up test test-unit test-property test-ops test-e2e test-reliability test-integration test-contract test-concurrency check lint typecheck model worlds backtest trace contract-checks clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[ops,infra,dev]"
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## create .venv and install cardwatch with its ops, infra and dev tools

# The demo and the local stack need far less (no CDKTF, Pulumi, training or test tools).
LOCAL_STAMP := $(VENV)/.local-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
$(LOCAL_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[local]"
	rm -f $(VENV)/.local-* && touch $@

install-local: $(LOCAL_STAMP) ## create .venv with what the demo and the local stack need only

# checkov pins its own boto3 and friends: it lives in a venv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-3.3.30
$(CHECKOV_STAMP):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet "checkov==3.3.30"
	touch $@

checkov-venv: $(CHECKOV_STAMP) ## create .venv-checkov with checkov

# Debian's Chromium and ChromeDriver: the analyst console's test runs in a real browser.
CHROMEDRIVER := /usr/bin/chromedriver
$(CHROMEDRIVER):
	$$([ "$$(id -u)" = 0 ] || echo sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get install -y -qq chromium chromium-driver

browser: $(CHROMEDRIVER) ## install Debian's Chromium and ChromeDriver (the console's browser test)

synth: install ## synthesize the CDKTF stack to cdktf.out/stacks/cardwatch/cdk.tf.json
	$(BIN)/python -m cardwatch.infra.cdktf.app

checkov: synth checkov-venv ## checkov on the synthesized Terraform (findings beyond the allowlist fail)
	$(BIN)/pytest -q tests/infra/test_checkov.py

test-infra: install checkov-venv ## CDKTF synth tests, checkov, Pulumi mock tests, parity
	$(PYTEST) -q tests/infra

TF_PLUGIN_DIR ?= /opt/tf-plugins
export TF_PLUGIN_DIR
terraform-emulator: install ## terraform init -plugin-dir, validate, plan, apply and destroy on moto
	$(PYTEST) -q tests/infra/test_terraform_apply.py

demo: $(LOCAL_STAMP) ## run the pipeline on the embedded emulator with realistic traffic; show alerts
	$(BIN)/cardwatch demo

up: $(LOCAL_STAMP) ## run the local stack until Ctrl-C (API on :8080, see .cardwatch/local.json)
	$(BIN)/cardwatch up

# The tiers run side by side on pytest-xdist workers (most of a run waits on subprocesses:
# moto's server, Terraform, Node.js); TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test: install checkov-venv browser ## every test tier, on $(TEST_WORKERS) workers, then the serial ones (CI runs this)
	$(PYTEST) -q -n $(TEST_WORKERS) -m "not serial"
	$(PYTEST) -q -m serial

test-fast: install ## every tier but the tests marked slow (a quick check while working)
	$(PYTEST) -q -n $(TEST_WORKERS) -m "not slow"

test-unit: install ## domain and blueprint, in memory, no sockets
	$(PYTEST) -q tests/unit

test-property: install ## hypothesis properties of money, cards and the contract
	$(PYTEST) -q tests/property

test-ops: install ## simulator, training export and backtest, on small data
	$(PYTEST) -q tests/ops

test-e2e: install browser ## the local stack over HTTP: gateway, pipeline, alerts, the console in Chromium
	$(PYTEST) -q tests/e2e

test-reliability: install ## bad input, schemathesis, duplicates, throttling, no card data
	$(PYTEST) -q tests/reliability

test-concurrency: install ## the local stack, 16 invocations at once: hot terminal and card, redeliveries, injected failures
	$(PYTEST) -q tests/concurrency

test-contract: install ## every port's tests against its in-memory fake and its boto3 adapter on moto
	$(PYTEST) -q tests/contract

test-integration: install ## adapters and handlers against moto
	$(PYTEST) -q tests/integration

lint: install ## ruff, and import-linter's contracts on the layers (pyproject.toml)
	$(BIN)/ruff check src tests bench deploy
	$(BIN)/ruff format --check src tests bench deploy
	$(BIN)/lint-imports

typecheck: install ## mypy --strict on src/
	$(BIN)/mypy

model: install ## refit the shipped day-one model on many simulated worlds (about 6 minutes here)
	$(BIN)/cardwatch model day-one --out src/cardwatch/domain/data/model.json

worlds: install ## detection on the held-out simulated worlds, each beside a reference fitted on it (about 10 minutes)
	$(BIN)/cardwatch worlds

backtest: install ## simulate the handbook's default data set and backtest it (about 4 minutes here)
	$(BIN)/cardwatch simulate .cardwatch/handbook.csv
	$(BIN)/cardwatch backtest .cardwatch/handbook.csv --label-delay-days 7 --scores-out .cardwatch/scores.csv

contract-checks: install ## rewrite the contract's compiled checks (src/cardwatch/schema/*_check.py) from its schema files
	$(BIN)/python -m cardwatch.cli.contract_checks

bench: install ## speed, scale, memory and cost; writes bench/results.json (a report: not part of test)
	$(BIN)/python -m bench

bench-check: install ## hold the committed bench results to their targets (not part of test)
	$(PYTEST) -q -p no:cacheprovider bench/check_targets.py

trace: install ## rewrite docs/traceability.md from the tests' requirement markers
	$(BIN)/python -m tests.support.traceability

check: lint typecheck docs test ## lint, types, the docs, then every test

clean: ## remove the venv and build leftovers
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info src/*.egg-info

docs: install ## build the documentation site (mkdocs-material, strict) into site/
	$(BIN)/mkdocs build --strict
