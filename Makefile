# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# most tests wait on servers, subprocesses and Chromium: three workers on two cores (see
# tests/conftest.py for how files are grouped); `make test PYTEST_PARALLEL=` runs serially.
# Bytecode is written (even where PYTHONDONTWRITEBYTECODE is set): the tests start ~300
# `scrm` processes, and each would otherwise compile the package again.
PYTEST_PARALLEL ?= -n 3 --dist loadgroup

.PHONY: demo test check install lint typecheck bench clean tools

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

## demo: install, build the sample database, analyze it, print the rankings, serve GraphQL
demo: install
	$(VENV)/bin/scrm demo --force

## test: install everything the tests need (Node tools, Chromium where possible), run them
test: install tools
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -q $(PYTEST_PARALLEL)

## check: the fast lane (under a minute): ruff, mypy and the unit tests; no browser, no server
CHECK_TESTS ?= tests/cli/test_errors.py tests/cli/test_settings.py tests/cli/test_docs.py \
	tests/analytics tests/ingest/test_account_merge.py
check: install
	$(VENV)/bin/ruff check api graph ingest analytics tests bench tools/cli_docs.py
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -m "not slow and not browser and not neo4j" $(CHECK_TESTS)

tools:
	@bash tools/install.sh

lint: install
	$(VENV)/bin/ruff check api graph ingest analytics tests bench
	$(VENV)/bin/mypy

## bench: every benchmark in BENCHMARKS.md, in order (the load run needs the analyze run's database)
bench: install
	$(PY) bench/ingest_bench.py --posts 1000000 --accounts 200000
	$(PY) bench/identity_bench.py
	$(PY) bench/community_quality.py
	$(PY) bench/analyze_bench.py --accounts 1000000 --interactions 10000000 --slice 100000
	$(PY) bench/load_bench.py --db bench/out/analyze-bench.lbdb

clean:
	rm -rf $(VENV) *.lbdb *.lbdb.* .pytest_cache
