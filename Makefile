# Setia: `make run` sets up and runs the server on SQLite with the demo café; `make test` sets up and
# runs every test (SQLite and PostgreSQL). Both create .venv and install what they need.
VENV ?= .venv
PYTHON ?= python3
SETIA_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export SETIA_TEST_POSTGRES_URL

.PHONY: setup run test bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[test]"
	touch $@

setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/setia db upgrade
	$(VENV)/bin/setia demo
	$(VENV)/bin/setia serve

test: setup
	SETIA_REQUIRE_POSTGRES=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup
	$(VENV)/bin/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) setia.db setia.db-wal setia.db-shm
