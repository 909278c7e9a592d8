# wangge — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test setup db stop migrate lint format bench faults failover prod-test serve clean-db

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

## make failover: pg_auto_failover monitor + 2 nodes, primary killed during 1,000 filings (~1 min)
failover:
	@bash .ci/failover.sh

## make prod-test: wangge serve (2 workers, durable cluster, SIGTERM, SIGHUP) and the deploy check (~2 min)
prod-test:
	@bash .ci/prod.sh

## make serve: the production server on the local database (workers from the cores, JSON logs)
serve: migrate
	@WANGGE_LOG_FORMAT=$${WANGGE_LOG_FORMAT:-json} $(BIN)/wangge serve

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

format: setup
	$(BIN)/ruff format service map_ui gis_data tests bench migrations
	$(BIN)/ruff check --fix service map_ui gis_data tests bench migrations

## make bench: every benchmark in bench/, each printing its table
bench: migrate
	@bash .ci/setup.sh --bench
	@for b in bench/bench_*.py; do [ -e "$$b" ] || continue; echo "== $$b"; $(BIN)/python "$$b" || exit 1; done
