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

.PHONY: test run lint types arch bench clean

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

test: $(STAMP) $(JS_STAMP) $(NOVNC_STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

arch: $(STAMP)
	$(BIN)/lint-imports

run: $(STAMP) $(NOVNC_STAMP)
	$(BIN)/hostprovider serve

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
