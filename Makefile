# Sigma chain exchange — `make help` lists the targets.
# Two commands matter: `make demo` (the main job) and `make test` (the whole suite). Both set up
# everything they need: the virtualenv, Apache Kafka's jars, and (for demo) the embedded broker.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SIGMA := $(VENV)/bin/sigma
NATIVE := native/Cargo.toml native/Cargo.lock native/pyproject.toml native/sigma_native.pyi $(wildcard native/src/*.rs)
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(NATIVE) | sha1sum | cut -c1-12)
export PATH := $(HOME)/.cargo/bin:$(PATH)
DEMO_CASES ?= 10000
DEMO_SEED ?= 2018
DEMO_PROFILE ?= inspectie-2018
BENCH ?=
DEMO_RUN := $(shell date +%Y%m%d%H%M%S)

.PHONY: help venv kafka broker broker-stop topics demo test test-unit lint bench compat docs clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "; printf "Usage: make <target>\n\n"} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml $(NATIVE)
	@command -v cargo >/dev/null || { echo "error: cargo not found: sigma_native (native/) is built with Rust; install it with rustup (https://rustup.rs)" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q ./native
	$(PY) -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP) ## Create the virtualenv and install the project (once)

kafka: venv ## Resolve Apache Kafka's jars from Maven Central (once)
	@$(SIGMA) broker resolve

broker: kafka ## Start the embedded broker (nothing when SIGMA_BOOTSTRAP_SERVERS is set)
	@$(SIGMA) broker start

broker-stop: venv ## Stop the embedded broker (data is kept)
	@$(SIGMA) broker stop

topics: broker ## Create the chain's topics (idempotent)
	@$(SIGMA) topics apply

demo: broker ## The main job: simulate 10,000 cases, validate them, write the completeness report to out/
	@mkdir -p out
	@echo "demo run $(DEMO_RUN): topics under prefix demo-$(DEMO_RUN)."
	@SIGMA_TOPIC_PREFIX=demo-$(DEMO_RUN). $(SIGMA) topics apply > /dev/null
	SIGMA_TOPIC_PREFIX=demo-$(DEMO_RUN). $(SIGMA) simulate --cases $(DEMO_CASES) --seed $(DEMO_SEED) \
		--profile $(DEMO_PROFILE) --truth out/demo-truth.json
	SIGMA_TOPIC_PREFIX=demo-$(DEMO_RUN). $(SIGMA) validate --to-end --group demo-$(DEMO_RUN) \
		--report-json out/demo-report.json --report-html out/demo-report.html
	@echo "report: out/demo-report.html  (json: out/demo-report.json, ground truth: out/demo-truth.json)"

test: kafka lint ## Lint, then the whole test suite against a broker it starts itself (or SIGMA_BOOTSTRAP_SERVERS)
	$(SIGMA) schemas generate --check
	$(PY) -m pytest

test-unit: venv ## Run only the tests that need no broker
	$(PY) -m pytest tests/unit

lint: venv ## ruff and mypy; rustfmt and clippy for native/
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy sigma runtime compat schemas producers consumers validator bench
	cd native && cargo fmt --check && cargo clippy --release -q -- -D warnings

bench: kafka ## Benchmarks: ratios against baselines measured in the same run (one: BENCH=validator)
	$(PY) -m bench.run $(BENCH)

compat: venv ## Check the schema catalogue against origin/main (falls back to HEAD)
	$(SIGMA) schemas check --against $$(git rev-parse --verify -q origin/main >/dev/null && echo origin/main || echo HEAD)

docs: venv ## Regenerate the schema files and the message book
	$(SIGMA) schemas generate
	$(SIGMA) schemas docs --out docs
	$(PY) -m validator.rules_doc > docs/rules.md
	$(PY) -c "import re, pathlib, compat.rules as r; p = pathlib.Path('docs/compat.md'); \
	  p.write_text(re.sub(r'(<!-- rules:begin[^>]*-->\n)(.*?)(<!-- rules:end -->)', lambda m: m[1] + r.markdown_table() + m[3], p.read_text(), flags=re.S))"

clean: ## Stop the broker and remove the virtualenv, Kafka jars, broker data and outputs
	-@test -x $(SIGMA) && $(SIGMA) broker stop
	rm -rf $(VENV) .kafka .sigma out .pytest_cache .mypy_cache .ruff_cache *.egg-info
