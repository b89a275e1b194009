# Two commands for a newcomer: `make run` (set up, build the sample database if missing, serve the
# dashboard on http://127.0.0.1:8501) and `make test` (set up, run the whole test suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB := data/monitor.duckdb
# uv from the PATH if present, else bootstrapped once into .tools/ with pip.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: run test test-fast bench sample clean-data

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra test --extra bench --quiet
	touch $@

$(DB): | $(VENV)/.synced
	$(PY) -m analytics sample --load --db $(DB)
	$(PY) -m analytics searches load sample_data/police_uk_stop_search --db $(DB)

run: $(VENV)/.synced $(DB)
	$(PY) -m streamlit run dashboard.py --server.address 127.0.0.1 --server.port 8501 \
		--server.headless true --browser.gatherUsageStats false

test: $(VENV)/.synced
	$(PY) -m pytest

test-fast: $(VENV)/.synced
	$(PY) -m pytest -m "not slow and not browser"

bench: $(VENV)/.synced
	$(PY) -m benchmarks

sample: $(VENV)/.synced
	$(PY) -m analytics sample --load --db $(DB)
	$(PY) -m analytics searches load sample_data/police_uk_stop_search --db $(DB)

clean-data:
	rm -rf data
