# regflow: `make run` starts the service, `make test` passes the tests.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint typecheck contracts pytest bench clean chromium client messages screenshots

$(BIN)/regflow: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

install: $(BIN)/regflow ## create .venv with the locked dependencies

run: install ## migrate the embedded database and serve on 127.0.0.1:8000
	REGFLOW_DEV_MAILBOX=$${REGFLOW_DEV_MAILBOX:-true} $(BIN)/regflow db upgrade
	REGFLOW_DEV_MAILBOX=$${REGFLOW_DEV_MAILBOX:-true} $(BIN)/regflow serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: install
	$(BIN)/mypy src tests bench

contracts: install
	$(BIN)/lint-imports

chromium: ## the browser tests drive the system's Chromium (Playwright downloads none), with a Devanagari font for the Hindi pages
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 \
		|| echo "chromium could not be installed: the browser tests will skip"
	@fc-list 2>/dev/null | grep -qi devanagari || (apt-get update -qq && apt-get install -y -qq fonts-noto-core) >/dev/null 2>&1 \
		|| echo "no Devanagari font could be installed: Hindi pages will show boxes in screenshots"

# one test worker per core (PYTEST_WORKERS=0 runs them in this process); a file stays on one
# worker, and files go out in the order tests/conftest.py gives them (the longest first)
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n > 4 ? 4 : n )))
pytest: install chromium
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: lint typecheck contracts pytest ## everything CI runs

# every hosted page in English, French and Hindi at 390x844 and 1280x800, each checked
# (axe, CSP, no sideways scrolling): PNGs in artifacts/screenshots/every-page/<lang>/
screenshots: install chromium
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pytest -q -p no:cacheprovider tests/browser/test_every_page_*.py

bench: install ## start the service on a free port; throughput, latency, enumeration timing
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.events --rounds 2 --duration 5 --registrations 600
	$(BIN)/python -m bench.enumeration
	$(BIN)/python -m bench.imports

messages: install ## the hosted UI's strings: extract, update the fr and hi catalogues, compile
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --project regflow \
		--copyright-holder "regflow contributors" -o src/regflow/locale/messages.pot src
	$(BIN)/pybabel update -i src/regflow/locale/messages.pot -d src/regflow/locale \
		--no-fuzzy-matching --ignore-obsolete --width 100
	$(BIN)/pybabel compile -d src/regflow/locale --statistics

# the TypeScript client's types, from the native API's OpenAPI (defaults, no seed contracts);
# run after changing the API: a test fails while clients/typescript/src/schema.d.ts is stale
client: install
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	env -i PATH="$$PATH" HOME="$$HOME" REGFLOW_CONTRACTS= REGFLOW_DATA_DIR="$$tmp" \
		REGFLOW_DATABASE_URL="sqlite+aiosqlite:///$$tmp/openapi.db" \
		REGFLOW_SECRET_KEY=openapi-generation-only-0123456789 \
		$(BIN)/regflow openapi > "$$tmp/openapi.json" && \
	cd clients/typescript && npm ci --prefer-offline --no-audit --no-fund --silent && \
	REGFLOW_OPENAPI="$$tmp/openapi.json" npm run --silent generate

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
