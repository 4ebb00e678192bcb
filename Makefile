# hashwatch: the two commands of the README, and their parts.
#   make demo   install, then build the demo city on the embedded default (SQLite in ./hashwatch-demo)
#   make test   install, then ruff, mypy (strict) and the whole pytest suite
# install also fetches the web front-end (htmx, Vega, Vega-Lite, vega-embed) from the npm
# registry, as locked in package-lock.json, into src/hashwatch/web/static/vendor/ (not committed).
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
# loadgroup keeps the browser tests (xdist_group "e2e") on one worker, with one server
PYTEST_ARGS ?= -n auto --dist loadgroup
NPM ?= npm
VENDOR := src/hashwatch/web/static/vendor
# package file -> the name it is served under, /static/vendor/<name>
VENDOR_FILES := \
	htmx.org/dist/htmx.min.js \
	vega/build/vega.min.js \
	vega-lite/build/vega-lite.min.js \
	vega-embed/build/vega-embed.min.js
VENDOR_LICENSES := htmx.org vega vega-lite vega-embed

.PHONY: install system-packages assets demo test lint typecheck pytest bench bench-web i18n docs clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python $(PYTHON)
	touch $@

# The browser's libraries, served by the app itself (the pages work offline, no CDN).
$(VENDOR)/.installed: package.json package-lock.json
	@command -v $(NPM) >/dev/null || { echo "make assets needs Node.js and npm (npm ci)" >&2; exit 1; }
	$(NPM) ci --no-audit --no-fund --ignore-scripts
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/licenses
	for f in $(VENDOR_FILES); do cp node_modules/$$f $(VENDOR)/; done
	for p in $(VENDOR_LICENSES); do cp node_modules/$$p/LICENSE* $(VENDOR)/licenses/$$p.txt; done
	touch $@

assets: $(VENDOR)/.installed

# pango, HarfBuzz and a Chinese font for the PDF report, from apt when missing (a warning, not
# an error, where apt or root rights are not available: only the PDF needs them).
system-packages:
	scripts/system-packages.sh pdf --optional

install: $(VENV)/.installed assets system-packages

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

# 500 reporters filing at once through the API (see docs/benchmarks.md)
bench-web: install
	$(BIN)/python benchmarks/web_load.py --reporters 500

# Extract the pages' strings (babel.cfg) and merge them into both catalogs; then translate
# the new msgids in src/hashwatch/web/i18n/zh/LC_MESSAGES/messages.po (a test fails until done).
I18N := src/hashwatch/web/i18n
i18n: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -o $(I18N)/messages.pot .
	$(BIN)/pybabel update -i $(I18N)/messages.pot -d $(I18N) -D messages --no-fuzzy-matching \
		--ignore-obsolete --width 100
	rm -f $(I18N)/messages.pot

# Regenerate the reference pages (CLI, validation rules) from the code.
docs: $(VENV)/.installed
	$(BIN)/python -m hashwatch.cli.reference

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache node_modules $(VENDOR) test-artifacts
