# hashwatch: the two commands of the README, and their parts.
#   make demo   install, then build the demo city on the embedded default (SQLite in ./hashwatch-demo)
#   make test   install, then ruff, mypy (strict) and the whole pytest suite
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n auto

.PHONY: install demo test lint typecheck pytest bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

# The demo keeps to a folder of its own, rebuilt each time, so it never touches real data.
DEMO_DIR ?= hashwatch-demo
demo: install
	HASHWATCH_DATA_DIR=$(DEMO_DIR) $(BIN)/hashwatch demo --no-serve --reset

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: install
	$(BIN)/python benchmarks/reporting_throughput.py

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache
