# Two commands do all the set-up on a fresh machine:
#   make demo   create .venv, install gmmmi, run the workflow on the embedded demo dataset
#   make test   create .venv, install gmmmi with test extras, run the test suite
#   make docs   build the documentation site into docs/_build/html (warnings are errors)
#   make lint   ruff with the project's rules (pyproject.toml); CI runs it before the tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export UV_COMPILE_BYTECODE := 1

.PHONY: demo test test-fast lint docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/gmmmi compile
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/snakemake --cores 2

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -rs

lint: $(STAMP)
	$(BIN)/ruff check .

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -rs -m "not slow"

docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -b html -q docs docs/_build/html

clean:
	rm -rf $(VENV) results resources .snakemake .pytest_cache docs/_build docs/_extra \
		docs/auto_examples docs/generated docs/measured docs/sg_execution_times.rst
