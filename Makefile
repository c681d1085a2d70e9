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
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO := $(shell PATH="$(PATH)" command -v cargo)
# whether cargo is there is part of the stamp: installing Rust later builds native/ on the next make
STAMP := $(VENV)/.installed-$(shell (cat pyproject.toml $(NATIVE); echo "$(CARGO)") | sha1sum | cut -c1-12)
NO_CARGO := warning: cargo not found, so sigma_native (native/, Rust) is
# the readers' tests once more on the Python path alone (the tests of the native module itself are marked native)
PYTHON_PATH_TESTS := SIGMA_NATIVE=0 $(PY) -m pytest -m "not native" tests/unit/test_schemas_codec.py \
	tests/unit/test_consumers_recording.py tests/unit/test_validator_offline.py
DEMO_CASES ?= 10000
DEMO_SEED ?= 2018
DEMO_PROFILE ?= inspectie-2018
BENCH ?=
SOAK_ROUNDS ?= 5
DEMO_RUN := $(shell date +%Y%m%d%H%M%S)
ENGINE ?= docker
# true when the demo runs on the secured embedded broker (no SIGMA_BOOTSTRAP_SERVERS, no SIGMA_INSECURE): then it
# grants the message book's ACLs, each principal acts as itself, and the ACLs are checked at the end
EMBEDDED_SECURED = [ -z "$$SIGMA_BOOTSTRAP_SERVERS" ] && ! [[ "$${SIGMA_INSECURE,,}" =~ ^(1|true|yes|on)$$ ]]

.PHONY: help venv kafka broker broker-stop topics browser demo demo-clean image test test-unit soak lint bench compat docs clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "; printf "Usage: make <target>\n\n"} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml $(NATIVE)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
ifneq ($(CARGO),)
	$(PY) -m pip install -q ./native
else
	@echo "$(NO_CARGO) not built: everything works, offline validation at about 40% of the speed; install Rust with rustup (https://rustup.rs) and run make again" >&2
	$(PY) -m pip uninstall -qq -y sigma-native
endif
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

browser: ## Debian's chromium and chromium-driver for the report's browser test (installed once, as root)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	    echo "make: error: the report's browser test needs chromium and chromedriver: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver, as root), then run make again" >&2; \
	    exit 1; \
	  fi; \
	  echo "installing Debian's chromium and chromium-driver for the report's browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
	    && command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	    echo "make: error: apt-get could not install chromium and chromium-driver (see above): check the package sources and network, then run make again" >&2; \
	    exit 1; }; }

demo: broker ## The main job: simulate 10,000 cases (each partner as itself), validate them (as validator), write the completeness report to out/
	@mkdir -p out
	@echo "demo run $(DEMO_RUN): topics under prefix demo-$(DEMO_RUN). (the context: next commands use it too)"
	@SIGMA_TOPIC_PREFIX=demo-$(DEMO_RUN). $(SIGMA) topics apply > /dev/null
	@if $(EMBEDDED_SECURED); then set -o pipefail; echo -n "ACLs from the message book: "; \
	  SIGMA_TOPIC_PREFIX=demo-$(DEMO_RUN). $(SIGMA) acl apply | tail -n 1; fi
	@$(SIGMA) context set --topic-prefix demo-$(DEMO_RUN). --set-by "make demo" > /dev/null
	SIGMA_TOPIC_PREFIX=demo-$(DEMO_RUN). $(SIGMA) simulate --cases $(DEMO_CASES) --seed $(DEMO_SEED) \
		--profile $(DEMO_PROFILE) --truth out/demo-truth.json --summary-json out/demo-summary.json
	SIGMA_TOPIC_PREFIX=demo-$(DEMO_RUN). $(SIGMA) validate --to-end --group demo-$(DEMO_RUN) \
		--report-json out/demo-report.json --report-html out/demo-report.html \
		--simulation-summary out/demo-summary.json
	@if $(EMBEDDED_SECURED); then SIGMA_TOPIC_PREFIX=demo-$(DEMO_RUN). $(SIGMA) acl check; fi
	@echo "report: out/demo-report.html, a page per defective case in out/demo-report/  (json: out/demo-report.json, ground truth: out/demo-truth.json, simulation summary: out/demo-summary.json)"
	@echo "next (sigma is $(SIGMA); the prefix is remembered, see \`sigma context\`):"
	@echo "  sigma dossier CASE-KEY                     one case from the report, partner by partner"
	@echo "  sigma dlq list                             the dead letters of this run"
	@echo "  sigma record --out out/demo.jsonl --to-end then: sigma validate --from-file out/demo.jsonl"
	@echo "  make demo-clean                            delete the topics of every demo run"

demo-clean: venv ## Delete the topics of every demo run (demo-*), their validator snapshots and the context they set
	@$(SIGMA) topics delete --prefix 'demo-*' --yes
	@rm -f "$${SIGMA_HOME:-.sigma}"/validator/demo-*.snapshot

test: kafka lint browser ## Lint, the whole test suite against a broker it starts itself (or SIGMA_BOOTSTRAP_SERVERS), then the readers' tests again with SIGMA_NATIVE=0
	$(SIGMA) schemas generate --check
	$(PY) -m pytest
	$(PYTHON_PATH_TESTS)
	@if $(ENGINE) info >/dev/null 2>&1; then $(MAKE) --no-print-directory image; \
	else echo "note: no container engine answers ($(ENGINE) info): the image is not built here (make image where one runs)"; fi

soak: kafka ## The kill tests (validator group, 3-node cluster; also in make test) SOAK_ROUNDS times (5: about 12 min)
	@for round in $$(seq $(SOAK_ROUNDS)); do echo "soak round $$round of $(SOAK_ROUNDS)"; \
	  $(PY) -m pytest -m soak -p no:cacheprovider || exit 1; done

image: ## Build the container image sigma:local (needs a running container engine; ENGINE=podman for podman)
	$(ENGINE) build -t sigma:local .
	$(ENGINE) run --rm sigma:local --version

test-unit: venv browser ## Run only the tests that need no broker (the readers' again with SIGMA_NATIVE=0)
	$(PY) -m pytest tests/unit
	$(PYTHON_PATH_TESTS)

lint: venv ## ruff and mypy; rustfmt and clippy for native/ (skipped, with a warning, without cargo)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy sigma runtime compat schemas producers consumers validator bench
ifneq ($(CARGO),)
	cd native && cargo fmt --check && cargo clippy --release -q -- -D warnings
else
	@echo "$(NO_CARGO) not checked (rustfmt, clippy)" >&2
endif

bench: kafka ## Benchmarks: ratios against baselines measured in the same run (one: BENCH=validator)
	$(PY) -m bench.run $(BENCH)

compat: venv ## Check the schema catalogue against origin/main (falls back to HEAD)
	$(SIGMA) schemas check --against $$(git rev-parse --verify -q origin/main >/dev/null && echo origin/main || echo HEAD)

docs: venv ## Regenerate the schema files and the message book
	$(SIGMA) schemas generate
	$(SIGMA) schemas docs --out docs
	$(PY) -m validator.rules_doc > docs/rules.md
	$(PY) -m producers.fidelity_doc
	$(PY) -c "import re, pathlib, compat.rules as r; p = pathlib.Path('docs/compat.md'); \
	  p.write_text(re.sub(r'(<!-- rules:begin[^>]*-->\n)(.*?)(<!-- rules:end -->)', lambda m: m[1] + r.markdown_table() + m[3], p.read_text(), flags=re.S))"

clean: ## Stop the broker and remove the virtualenv, Kafka jars, broker data and outputs
	-@test -x $(SIGMA) && $(SIGMA) broker stop
	rm -rf $(VENV) .kafka .sigma out .pytest_cache .mypy_cache .ruff_cache *.egg-info
