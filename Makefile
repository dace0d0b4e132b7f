# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test install lint typecheck bench clean tools

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
	$(PY) -m pytest -q

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
