# The two commands of the README. Each installs what it needs first (idempotent), then runs.
#   make run   - the main job: every layer this machine can run, against the embedded moto target
#   make test  - the project's own tests (library + platform), in parallel
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: bootstrap system-tools run test lint bench clean

bootstrap: $(VENV)/.installed system-tools

system-tools:
	@scripts/install-system-tools

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: bootstrap
	$(BIN)/stratatest doctor
	$(BIN)/stratatest run

test: bootstrap
	$(BIN)/pytest -n 2

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: bootstrap
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
