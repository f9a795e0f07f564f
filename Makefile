# trustsurvey — two commands do everything on a fresh machine with Python 3.11:
#   make demo   create .venv, install, run the bundled example study, serve the dashboard
#   make test   create .venv, install, run the whole test suite
#   make screenshots   dashboard screenshots into docs/screenshots (needs chromium)
#   make constraints   refresh constraints.txt (every pinned version) from the current .venv
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo-study
HOST   ?= 127.0.0.1
PORT   ?= 8050

.PHONY: demo test lint format venv clean bench screenshots constraints

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/trustsurvey example $(DEMO) --force
	$(BIN)/trustsurvey run $(DEMO)
	$(BIN)/trustsurvey dashboard $(DEMO)/out/bundle --host $(HOST) --port $(PORT)

# after adding or upgrading a dependency: install it into .venv, then refresh the pins
constraints: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	echo "# every installed version, from 'make constraints' (pip freeze --exclude-editable)" \
		> constraints.txt
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' >> constraints.txt

# one worker per core (pytest-xdist); each test file stays on one worker (module fixtures are
# built once); the browser tests' real-pipeline bundles are built once per run (file lock)
JOBS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests $(wildcard benchmarks)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests $(wildcard benchmarks)
	$(BIN)/ruff check --fix src tests $(wildcard benchmarks)

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# PNG of every dashboard page, both languages, desktop and 390 px phone -> docs/screenshots/
screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
