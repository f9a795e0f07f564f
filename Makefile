# trustsurvey — two commands do everything on a fresh machine with Python 3.11:
#   make demo   create .venv, install, run the bundled example study, serve the dashboard
#   make test   create .venv, install, run the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo-study
HOST   ?= 127.0.0.1
PORT   ?= 8050

.PHONY: demo test lint format venv clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/trustsurvey example $(DEMO) --force
	$(BIN)/trustsurvey run $(DEMO)
	@echo "Serving the dashboard at http://$(HOST):$(PORT) (Ctrl+C to stop)"
	$(BIN)/trustsurvey dashboard $(DEMO)/out/bundle --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests $(wildcard benchmarks)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests $(wildcard benchmarks)
	$(BIN)/ruff check --fix src tests $(wildcard benchmarks)

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
