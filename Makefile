# korczewski.platform — everything runs from this checkout; `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
INVENTORY ?= inventory/local
SCENARIOS ?= docker_engine traefik shared_postgres app_service app_fifth_service named_roles
export PATH := $(abspath $(BIN)):$(PATH)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)

.PHONY: help setup testbed site lint sanity unit molecule molecule-changed test test-here clean-state bench-health bench-converge bench-dashboard bench-update integration adopt-test swarm-test

help: ## List the targets
	@grep -hE '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed ## Create the venv with Ansible, Molecule and the test tools

testbed: setup ## Install and start Docker + Compose v2, build the local images (skips what exists)
	VENV=$(VENV) bash scripts/testbed.sh

site: testbed ## The main job: the whole platform on this machine from inventory/local
	$(BIN)/ansible-playbook -i $(INVENTORY) site.yml

lint: setup ## ansible-lint (production profile) and ansible-test sanity
	$(BIN)/ansible-lint --profile production
	VENV=$(VENV) bash scripts/sanity.sh

unit: setup ## Unit tests: pure logic, no Docker, npm or network (tests/unit mirrors plugins/)
	$(BIN)/pytest tests/unit -q -p no:cacheprovider

integration: testbed ## Integration tests: real processes, sockets, npm, docker compose and Docker (tests/integration mirrors plugins/)
	$(BIN)/pytest tests/integration -q -p no:cacheprovider

swarm-test: testbed ## Multi-node tests: a three-node Docker Swarm of docker-in-docker nodes (tests/swarm; SWARM_PREFIX=kp-swarm)
	@rm -f tests/output/swarm-figures.txt
	$(BIN)/pytest tests/swarm -q -p no:cacheprovider
	@echo "=== swarm figures"; cat tests/output/swarm-figures.txt

adopt-test: testbed ## End to end: a hand-run installation (tests/handrun/build.sh) imported and taken over by adopt.yml, nothing lost
	@rm -f tests/output/adopt-figures.txt
	$(BIN)/pytest tests/e2e -q -p no:cacheprovider
	@echo "=== adoption figures"; cat tests/output/adopt-figures.txt

molecule: testbed ## One Molecule scenario per role on the real engine (SCENARIOS="traefik" to pick)
	@set -e; for s in $(SCENARIOS); do \
	  start=$$(date +%s); echo "=== molecule test -s $$s"; \
	  $(BIN)/molecule test -s $$s; \
	  echo "=== $$s passed in $$(( $$(date +%s) - start ))s"; \
	done

molecule-changed: ## The Molecule scenarios of what changed since the merge base with main, and why (BASE=<branch> to compare with another)
	ORDER="$(SCENARIOS)" MAKE="$(MAKE)" bash scripts/molecule_changed.sh

test: setup ## Everything CI runs (test-here), from a fresh state directory, credential store and dev projects directory
	bash scripts/fresh_state.sh $(MAKE) --no-print-directory test-here

test-here: testbed lint unit integration molecule adopt-test swarm-test ## What make test runs, against the state the environment names (PLATFORM_STATE_DIR, ...)

bench-health: setup ## Benchmark: health check and discovery beside a uri loop and a no-op playbook (after make site)
	VENV=$(VENV) bash benchmarks/health_check.sh

bench-converge: setup ## Benchmark: idempotent, tag and cold site.yml beside plain docker compose (after make site; recreates the containers)
	VENV=$(VENV) bash benchmarks/converge.sh

bench-update: setup ## Benchmark: an image update of auth and l2p under 25 req/s each, the switch beside a recreate in place (after make site)
	VENV=$(VENV) $(VENV)/bin/python benchmarks/update.py

bench-dashboard: setup ## Benchmark: the dashboard's /api/status at 50 req/s (platform + 30 services) with p95 and RSS
	VENV=$(VENV) bash benchmarks/dashboard.sh
