# linewatch: `make run` starts the main job on the embedded lab, `make test` runs every check.
# Both do their own set-up on a fresh machine: virtual environment, install, Debian packages,
# services that are down.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB    := config/lab/linewatch.yaml

.PHONY: run test lint typecheck pytest deps services setup clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP) deps

deps:
	scripts/debian-deps.sh

services:
	scripts/services.sh postgresql nats

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) deps services
	$(BIN)/python -m pytest

test: lint typecheck pytest

# The embedded demo: the lab network on simulators plus `linewatch run` on it, until Ctrl-C.
run: setup
	$(BIN)/linewatch check-config $(LAB)
	$(BIN)/linewatch db upgrade $(LAB)
	$(BIN)/linewatch inventory import $(LAB)
	$(BIN)/linewatch lab demo --config $(LAB)

clean:
	rm -rf $(VENV) config/lab/state .pytest_cache .mypy_cache .ruff_cache
