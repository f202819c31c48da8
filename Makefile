# orbitbench: every target creates .venv and installs the project on first use.
# `make help` lists the targets.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Nightly tier: random seeds per configuration (override: make regress SEEDS=200).
SEEDS ?= 50
# make campaign: extra options for python -m orbitbench.apps.nightly (e.g. --count 2000).
CAMPAIGN_ARGS ?=
# make gate: override the checked-in SDC AVF threshold for a trial (e.g. 0.001).
GATE_THRESHOLD ?=

.PHONY: help test rtl check-rtl lint regress bench area venv clean campaign gate \
	bench-campaign bench-noc bench-infer campaign-noc campaign-network thermal mutation-stuck \
	mutation explore

help:
	@echo "make test       create .venv if missing, install, run the CI test tier"
	@echo "make rtl        regenerate rtl/ from hdl_gen (the only writer of rtl/)"
	@echo "make check-rtl  fail if rtl/ differs from what the generators emit now"
	@echo "make lint       Verilator --lint-only on every design in rtl/, the layers contract, ruff"
	@echo "make regress    nightly tier: every regress-marked test, SEEDS=$(SEEDS) GEMM seeds"
	@echo "make bench      performance figures (raw Verilator, cocotb/pyuvm, golden model)"
	@echo "make area       flip-flops, memory bits, Yosys cells per configuration and profile"
	@echo "make campaign   nightly fault campaign, every hardening profile: campaigns/nightly/"
	@echo "make gate       CI gate: small campaign; hardened SDC AVF vs threshold and vs none"
	@echo "make bench-campaign  injection speed vs the raw Verilator bound, levers, scaling"
	@echo "make bench-noc  NoC accepted throughput vs offered load, saturation, zero-load latency"
	@echo "make bench-infer  inferences/s: RTL (cocotb) vs raw Verilator bound vs LiteRT"
	@echo "make campaign-noc  fault campaigns on the mesh and the multi-tile top, every profile"
	@echo "make campaign-network  application-level campaigns: upsets in a network inference"
	@echo "make mutation   source-level mutation of hdl_gen/golden_models (MUTATION_ARGS=--module ...)"
	@echo "make mutation-stuck  grade the tile workloads: stuck-at-0/1 on every flip-flop bit"
	@echo "make thermal    every orbital thermal scenario with its checks; HTML report"
	@echo "make explore    co-design explorer on spaces/default.toml: Pareto front, HTML report"
	@echo "make venv       only create .venv and install the project"
	@echo "make clean      remove simulator builds and benchmark output (keeps .venv)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
		"orbitbench needs Python >= 3.11, found " + sys.version.split()[0] + \
		"; run make PYTHON=python3.11 ...")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

rtl: $(STAMP)
	$(PY) -m hdl_gen.emit

check-rtl: $(STAMP)
	$(PY) -m hdl_gen.emit --check

lint: $(STAMP)
	$(PY) -m orbitbench.apps.lint
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/ruff check orbitbench hdl_gen golden_models testbenches fault_campaigns tests \
		networks

regress: $(STAMP)
	ORBITBENCH_SEEDS=$(SEEDS) $(PY) -m pytest -m regress

bench: $(STAMP)
	$(PY) -m orbitbench.apps.bench.run

area: $(STAMP)
	$(PY) -m orbitbench.apps.area

campaign: $(STAMP)
	$(PY) -m orbitbench.apps.nightly $(CAMPAIGN_ARGS)

gate: $(STAMP)
	$(PY) -m orbitbench.apps.gate $(if $(GATE_THRESHOLD),--threshold $(GATE_THRESHOLD))

bench-campaign: $(STAMP)
	$(PY) -m orbitbench.apps.bench.campaign

bench-noc: $(STAMP)
	$(PY) -m orbitbench.apps.bench.noc

bench-infer: $(STAMP)
	$(PY) -m orbitbench.apps.bench.infer

campaign-noc: $(STAMP)
	$(PY) -m orbitbench.apps.noc_nightly $(CAMPAIGN_ARGS)

campaign-network: $(STAMP)
	$(PY) -m orbitbench.apps.network_nightly $(CAMPAIGN_ARGS)

mutation-stuck: $(STAMP)
	$(PY) -m orbitbench.apps.mutation_stuck $(MUTATION_ARGS)

explore: $(STAMP)
	$(VENV)/bin/orbitbench explore $(or $(SPACE),spaces/default.toml) $(EXPLORE_ARGS)

mutation: $(STAMP)
	nice -n 10 $(PY) -m orbitbench.apps.mutation $(MUTATION_ARGS)

thermal: $(STAMP)
	$(PY) -m orbitbench.cli thermal --all

clean:
	rm -rf sim_build bench/out .pytest_cache campaigns/gate reports
