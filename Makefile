# Two commands on a fresh machine: `make run` and `make test`. Each builds .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Not root (a developer's machine): apt-get through sudo. CI runs as root.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench clean browser postgres property

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: one full service cycle on the embedded data (assess, alerts, mail to var/outbox), then history
run: $(STAMP)
	$(BIN)/fragwatch run-once
	$(BIN)/fragwatch alerts list
	$(BIN)/fragwatch history --from 2005-01-01

## browser: Debian's Chromium and ChromeDriver, for the report's browser test (make test only)
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

## postgres: Debian's PostgreSQL server binaries, for the store's PostgreSQL tests (make test only;
## the tests start their own throwaway server on 127.0.0.1, never the packaged one)
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends postgresql; \
	fi

## test: lint, then the whole test suite
test: $(STAMP) browser postgres
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/pytest -q

## property: the readers' property tests at full size (10,000 generated inputs each)
property: $(STAMP)
	FRAGWATCH_PROPERTY_EXAMPLES=10000 $(BIN)/pytest -q tests/test_bad_input_properties.py

## bench: the benchmarks recorded in docs/benchmarks.md
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	cd bench && ../$(BIN)/python bench_scoring.py
	cd bench && ../$(BIN)/python bench_scaling.py --chart ../docs/scaling.png
	cd bench && ../$(BIN)/python bench_startup.py
	cd bench && ../$(BIN)/python bench_scenarios.py
	cd bench && ../$(BIN)/python bench_uncertainty.py
	cd bench && ../$(BIN)/python bench_acled.py
	cd bench && ../$(BIN)/python bench_validate.py
	cd bench && ../$(BIN)/python bench_rank.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
