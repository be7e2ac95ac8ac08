# The two commands a newcomer needs: `make run` (the sandbox) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The seed's JavaScript client (npm socket.io-client), which the e2e suite runs against the API.
JS_STAMP := tests/js/node_modules/.installed
# noVNC for the console page, served by the product from its own origin (entrypoints/console).
NOVNC := entrypoints/console/novnc
NOVNC_STAMP := $(NOVNC)/node_modules/.installed

.PHONY: test run lint types arch bench clean system-packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(JS_STAMP): tests/js/package.json tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
	touch $(JS_STAMP)

$(NOVNC_STAMP): $(NOVNC)/package.json $(NOVNC)/package-lock.json
	npm ci --prefix $(NOVNC) --no-audit --no-fund --loglevel=error
	touch $(NOVNC_STAMP)

# Debian's chromium (the browser tests) and poppler-utils (pdftoppm, to look at the PDFs the product
# makes), installed where missing and apt-get can (root on Debian). Elsewhere the browser tests skip,
# except under CI, where they fail: the build is broken without them.
SYSTEM_PACKAGES := chromium:chromium pdftoppm:poppler-utils
system-packages:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
		command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing$$missing"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
			|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }; \
		else echo "not installed:$$missing (the tests that need them are skipped)"; fi; \
	fi

# The suite runs on parallel workers, each taking whole modules (their live sandboxes and scratch
# databases are per module). Two per core, at most eight: most of the long tests wait on the
# processes they drive rather than compute. TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= $(shell n=$$(( $$(nproc 2>/dev/null || echo 1) * 2 )); echo $$(( n > 8 ? 8 : n )))

# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE): without it
# every worker rewrites every test module's asserts again, and every process an e2e test starts
# compiles the product again, about a minute of the machine's time in all.
test: $(STAMP) $(JS_STAMP) $(NOVNC_STAMP) system-packages
	$(BIN)/lint-imports
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest --numprocesses=$(TEST_WORKERS) --dist=loadscope $(PYTEST_ARGS)

arch: $(STAMP)
	$(BIN)/lint-imports

# ruff and mypy, from the project's own `lint` and `types` extras (tox runs the same checks).
LINT_STAMP := $(VENV)/.lint-installed
$(LINT_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,lint,types]'
	touch $(LINT_STAMP)

lint: $(LINT_STAMP)
	$(BIN)/ruff check domain ports adapters entrypoints simulators tests bench
	$(BIN)/ruff format --check domain ports adapters entrypoints simulators tests bench

types: $(LINT_STAMP)
	$(BIN)/mypy domain ports adapters entrypoints

run: $(STAMP) $(NOVNC_STAMP)
	$(BIN)/hostprovider serve

bench: SYSTEM_PACKAGES += wrk:wrk  # the load generator of bench/http_read.py
bench: $(STAMP) $(JS_STAMP) system-packages
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
