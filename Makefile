# `make run` and `make test` work on a fresh machine with Python >= 3.11: they build .venv first. The web app
# (web/, Node.js >= 20.19 with npm) is built into src/modelyard/static/ when npm is there.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM ?= npm
WEB := web
# `npm ci` writes this file last: node_modules is complete and as new as it.
WEB_DEPS := $(WEB)/node_modules/.package-lock.json
STATIC_INDEX := src/modelyard/static/index.html
# What `make run` rebuilds the web app for, when any of it is newer than the build.
WEB_SOURCES := $(WEB)/src $(WEB)/index.html $(WEB)/package-lock.json

.PHONY: install run test lint typecheck pytest web web-deps web-test openapi bench-setup clean lock screenshots

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Modelyard needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Builds the web app first when its build is missing or older than its sources; without npm (or when the
# build fails) it says so and serves the API alone.
run: install
	@if [ ! -f $(STATIC_INDEX) ] || [ -n "$$(find $(WEB_SOURCES) -type f -newer $(STATIC_INDEX) 2>/dev/null | head -1)" ]; then \
		if command -v $(NPM) >/dev/null 2>&1; then \
			$(MAKE) --no-print-directory web || echo "warning: the web app did not build; serving the API only"; \
		else \
			echo "warning: npm not found, so the web app is not built (install Node.js >= 20.19, then make web); serving the API only"; \
		fi; \
	fi
	$(BIN)/modelyard serve

$(WEB_DEPS): $(WEB)/package-lock.json
	cd $(WEB) && $(NPM) ci
	@touch $@

web-deps: $(WEB_DEPS)

# The build checks first that web/src/api/schema.d.ts matches web/openapi.json (npm's prebuild).
web: $(WEB_DEPS)
	cd $(WEB) && $(NPM) run build

web-test: web
	cd $(WEB) && $(NPM) run --silent test:ci

# After an API change: the OpenAPI document the web app's types come from, then the types.
openapi: install $(WEB_DEPS)
	$(BIN)/python -m modelyard.openapi_export
	cd $(WEB) && $(NPM) run gen:api

lint: install
	$(BIN)/ruff format --check src tests
	$(BIN)/ruff check src tests

typecheck: install
	$(BIN)/mypy

# Two workers, each taking whole files (a module's servers and fixtures stay in one process): about 8 minutes
# instead of 13 on two cores. A single test file runs as usual with `.venv/bin/pytest FILE`.
pytest: install
	$(BIN)/pytest -n 2 --dist loadfile

# web-test builds the web app, which the browser tests in pytest use.
test: lint typecheck web-test pytest

# The manuals' pictures (docs/images/, committed): runs the browser tests that take them (whole modules: some
# pages show what earlier tests there made), writing the chosen ones to docs/images/ too (tests/web/conftest.py,
# DOCS_IMAGES). Needs /usr/bin/chromium and a Chinese font (fonts-wqy-zenhei).
SCREENSHOT_TESTS := $(addprefix tests/web/,test_auth_pages.py test_models_pages.py test_home_rankings.py \
	test_credits_keys.py test_activity_settings_playground.py test_admin_pages.py)
screenshots: install web
	WEB_DOCS_IMAGES=1 $(BIN)/pytest -q -p no:cacheprovider $(SCREENSHOT_TESTS)

# Regenerate the lock after changing dependencies in pyproject.toml.
lock:
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements.runtime.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache $(WEB)/node_modules src/modelyard/static
