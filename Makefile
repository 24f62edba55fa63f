# loyalty-workbench: `make report` runs every study on the shipped data; `make test` runs the tests.
# Each target creates .venv and installs exactly the locked versions (requirements/*.lock, with
# hashes) on first use; `make lock` refreshes the lock files from pyproject.toml on purpose.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
LOCKS  := requirements
# --require-hashes: every package, dependencies included, must match a hash in the lock file;
# --no-deps on the project itself: its dependencies come from the lock, never from a resolver.
PIP_LOCKED  := $(BIN)/python -m pip install --quiet --require-hashes --no-deps
PIP_PROJECT := $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
# the newest versions pyproject.toml's ranges allow, in their own environment (make test-latest)
LATEST := .venv-latest
UV_COMPILE := $(BIN)/uv pip compile --universal --python-version 3.11 --generate-hashes \
	--quiet --custom-compile-command "make lock"

STAMP       := $(VENV)/.installed-base
# the tests also exercise the Spark path of member analytics (pyspark, ~500 MB)
TEST_STAMP  := $(VENV)/.installed-test
LAB_STAMP   := $(VENV)/.installed-lab
DOCS_STAMP  := $(VENV)/.installed-docs
# the documentation site: sources in docs/, everything built (example reports included) here
DOCS_BUILD  := docs/_build

.PHONY: install report test test-latest test-under-load lint lab bench docs lock clean-venv

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(LOCKS)/base.lock pyproject.toml | $(VENV)/bin/python
	$(PIP_LOCKED) -r $(LOCKS)/base.lock
	$(PIP_PROJECT)
	@touch $@

$(TEST_STAMP): $(LOCKS)/test.lock $(STAMP)
	$(PIP_LOCKED) -r $(LOCKS)/test.lock
	@touch $@

$(LAB_STAMP): $(LOCKS)/lab.lock $(STAMP)
	$(PIP_LOCKED) -r $(LOCKS)/lab.lock
	@touch $@

$(DOCS_STAMP): $(LOCKS)/docs.lock $(STAMP)
	$(PIP_LOCKED) -r $(LOCKS)/docs.lock
	@touch $@

install: $(STAMP)

report: $(STAMP)
	$(BIN)/workbench report

test: $(TEST_STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check workbench tests bench
	$(BIN)/ruff format --check workbench tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

lab: $(LAB_STAMP)
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	$(BIN)/python bench/run.py

# The documentation site in $(DOCS_BUILD)/html (open index.html; no network needed). Each study
# runs once on the shipped data (fewer bootstrap resamples) so that its page shows a real report
# and the results.json schema is read from real runs; they are run again whenever the package,
# the notebooks or the data change. Warnings are errors (-W), every reference must resolve (-n),
# and every page is read afresh (-E): tables and schemas come from the code, not from a cache.
DOCS_SOURCES := $(shell find workbench notebooks data -type f -not -path '*/__pycache__/*' 2>/dev/null)
$(DOCS_BUILD)/examples/.done: $(DOCS_SOURCES) docs/examples.py $(STAMP)
	$(BIN)/python docs/examples.py $(DOCS_BUILD)/examples
	@touch $@

docs: $(DOCS_STAMP) $(DOCS_BUILD)/examples/.done
	$(BIN)/python -m sphinx -b html -E -W --keep-going -n -q docs $(DOCS_BUILD)/html
	@echo "documentation: $(DOCS_BUILD)/html/index.html"

# Refresh the lock files from pyproject.toml (and requirements/build.in, the build backend).
# test.lock, lab.lock and docs.lock are constrained by base.lock, so all agree on every shared
# package.
lock: $(STAMP)
	$(UV_COMPILE) pyproject.toml $(LOCKS)/build.in --extra dev -o $(LOCKS)/base.lock --upgrade
	$(UV_COMPILE) pyproject.toml $(LOCKS)/build.in --extra dev --extra spark \
		-c $(LOCKS)/base.lock -o $(LOCKS)/test.lock --upgrade
	$(UV_COMPILE) pyproject.toml $(LOCKS)/build.in --extra dev --extra lab \
		-c $(LOCKS)/base.lock -o $(LOCKS)/lab.lock --upgrade
	$(UV_COMPILE) pyproject.toml $(LOCKS)/build.in --extra dev --extra docs \
		-c $(LOCKS)/base.lock -o $(LOCKS)/docs.lock --upgrade

# Drift on purpose: the newest versions the ranges in pyproject.toml allow, in .venv-latest,
# then the whole suite. Not part of CI; run it before refreshing the lock.
test-latest:
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev,spark]'
	$(LATEST)/bin/python -m pip freeze --exclude-editable > $(LATEST)/versions.txt
	@echo "versions under test: $(LATEST)/versions.txt"
	WORKBENCH_UNLOCKED=1 $(LATEST)/bin/python -m pytest -p no:cacheprovider

# The suite on a busy machine: two CPU-bound processes beside it, every BLAS single-threaded.
# Nothing may fail or hang (kernel start-up, batch runs and timings must tolerate it).
test-under-load: $(TEST_STAMP)
	@$(BIN)/python -c 'while True: pass' & b1=$$!; \
	$(BIN)/python -c 'while True: pass' & b2=$$!; \
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest; \
	status=$$?; kill $$b1 $$b2; exit $$status

clean-venv:
	rm -rf $(VENV) $(LATEST)
