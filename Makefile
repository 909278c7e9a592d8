# wangge — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test setup db stop migrate lint format bench faults clean-db

## make demo: install what is missing, start the local PostGIS, migrate, load the demo, serve
demo: migrate
	@$(BIN)/wangge demo load
	@echo ""
	@echo "  wangge is running:"
	@echo "    map page     http://$(HOST):$(PORT)/map"
	@echo "    mobile page  http://$(HOST):$(PORT)/m"
	@echo "    API docs     http://$(HOST):$(PORT)/docs"
	@echo "  demo accounts: admin, district, planner, street1, street2, community1, worker1, dept-fire (password: demo)"
	@echo "  Ctrl-C stops the app; 'make stop' stops the local database."
	@echo ""
	@$(BIN)/uvicorn service.main:create_app --factory --host $(HOST) --port $(PORT)

## make test: the same set-up, then lint (ruff, mypy) and the whole test suite; leaves nothing running
test:
	@bash .ci/test.sh

## make faults: crash PostgreSQL during concurrent filings, exhaust the pool (slow, ~2-5 min)
faults:
	@bash .ci/faults.sh

setup:
	@bash .ci/setup.sh

db: setup
	@if [ -z "$$WANGGE_DATABASE_URL" ]; then bash .ci/localdb.sh start; fi

migrate: db
	@$(BIN)/wangge db upgrade

stop:
	@bash .ci/localdb.sh stop

lint: setup
	$(BIN)/ruff check service map_ui gis_data tests bench migrations
	$(BIN)/ruff format --check service map_ui gis_data tests bench migrations
	$(BIN)/mypy service map_ui gis_data
	cd map_ui && node_modules/.bin/eslint --max-warnings 0 .

format: setup
	$(BIN)/ruff format service map_ui gis_data tests bench migrations
	$(BIN)/ruff check --fix service map_ui gis_data tests bench migrations

## make bench: every benchmark in bench/, each printing its table
bench: migrate
	@bash .ci/setup.sh --bench
	@for b in bench/bench_*.py; do [ -e "$$b" ] || continue; echo "== $$b"; $(BIN)/python "$$b" || exit 1; done
