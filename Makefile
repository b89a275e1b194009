# Two commands for a newcomer: `make run` (set up, build the sample database if missing, serve the
# dashboard on http://127.0.0.1:8501; `make run PORT=8600` for another port) and `make test` (set up, run the
# test suite but its slow tier on both cores; `make test-slow` runs that tier, `make test-all` everything). `make lint` checks the house rules (ruff, then mypy).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB := data/monitor.duckdb
# uv from the PATH if present, else bootstrapped once into .tools/ with pip.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PORT ?= 8501
# Test processes (pytest-xdist): each module in one process except a few spread ones, longest first, in the
# order tests/conftest.py sets (so no reordering by group size).
TEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder
PYTEST_ARGS ?=  # e.g. PYTEST_ARGS=--durations=40

.PHONY: run test test-slow test-all test-fast lint bench sample clean-data bytecode

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

# --compile-bytecode: the packages' bytecode is written once, here. Where Python may not write it itself
# (PYTHONDONTWRITEBYTECODE=1, as on the 2-core machine and CI) every process otherwise compiles every module of
# pandas, numpy, plotly, streamlit... it imports: `import pandas` took 2.6-3.2 s there, 0.9 s with the bytecode.
$(VENV)/.synced: pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --frozen --extra test --extra dev --extra bench --quiet --compile-bytecode
	touch $@

$(DB): | $(VENV)/.synced
	$(PY) -m analytics sample --load --db $(DB)
	$(PY) -m analytics searches load sample_data/police_uk_stop_search --db $(DB)
	$(PY) -m analytics partners load sample_data/partners/dfe_exclusions_by_characteristic_norfolk_modelled.csv --layout dfe --db $(DB)
	$(PY) -m analytics partners link data/sample/partner_flags.csv --db $(DB)
	$(PY) -m analytics partners load sample_data/partners/yjb_first_time_entrants_by_ethnicity_norfolk_modelled.csv --db $(DB)

# The project's own bytecode, written before a run (stale files are ignored: Python checks each against its source).
# Where Python may not write it itself (PYTHONDONTWRITEBYTECODE=1, as on the 2-core machine and CI) every process
# (each test worker, command-line child, loader child and dashboard server) otherwise compiles analytics/, ui/ ...
# from source as it imports them: about 0.3 s of CPU a process.
bytecode: $(VENV)/.synced
	$(PY) -m compileall -q -j 0 analytics ui pages sample_data tests benchmarks dashboard.py

run: $(VENV)/.synced $(DB) bytecode
	$(PY) -m streamlit run dashboard.py --server.address 127.0.0.1 --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

# `make test`: every tier but the slow one (unit, data, app, one browser flow). `make test-slow`: the long simulations,
# stress and concurrency tests, the browser sweeps of every page, sign-in and the twenty browser sessions. CI (.ci/run)
# runs both; `make test-all` runs both at once.
test: $(VENV)/.synced bytecode
	$(PY) -m pytest $(PYTEST_PARALLEL) -m "not slow" $(PYTEST_ARGS)

test-slow: $(VENV)/.synced bytecode
	$(PY) -m pytest $(PYTEST_PARALLEL) -m slow $(PYTEST_ARGS)

test-all: $(VENV)/.synced bytecode
	$(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-fast: $(VENV)/.synced bytecode
	$(PY) -m pytest $(PYTEST_PARALLEL) -m "not slow and not browser" $(PYTEST_ARGS)

# ruff's lint rules and mypy, configured in pyproject.toml. No `ruff format`: the code keeps its own layout.
lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(VENV)/.synced
	$(PY) -m benchmarks

sample: $(VENV)/.synced
	$(PY) -m analytics sample --load --db $(DB)
	$(PY) -m analytics searches load sample_data/police_uk_stop_search --db $(DB)
	$(PY) -m analytics partners load sample_data/partners/dfe_exclusions_by_characteristic_norfolk_modelled.csv --layout dfe --db $(DB)
	$(PY) -m analytics partners link data/sample/partner_flags.csv --db $(DB)
	$(PY) -m analytics partners load sample_data/partners/yjb_first_time_entrants_by_ethnicity_norfolk_modelled.csv --db $(DB)

clean-data:
	rm -rf data
