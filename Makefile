# loyalty-workbench: `make report` runs every study on the shipped data; `make test` runs the tests.
# Each target creates .venv and installs what it needs on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the tests also exercise the Spark path of member analytics (pyspark, ~500 MB)
SPARK_STAMP := $(VENV)/.installed-spark

.PHONY: install report test lint lab bench clean-venv

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $(SPARK_STAMP)

install: $(STAMP)

report: $(STAMP)
	$(BIN)/workbench report

test: $(SPARK_STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check workbench tests bench
	$(BIN)/ruff format --check workbench tests bench

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	$(BIN)/jupyter lab notebooks/

clean-venv:
	rm -rf $(VENV)

bench: $(STAMP)
	$(BIN)/python bench/run.py
