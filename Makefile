# The documented entry points: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck fmt clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "hybridcx needs Python 3.11+; found %d.%d. Try: make PYTHON=python3.11 ..." % v[:2])'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml requirements/pgvector-test.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[test]'
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps --require-hashes \
		-r requirements/pgvector-test.txt
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/hybridcx demo

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports --no-cache

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

fmt: $(VENV)/.installed-test
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) .hybridcx .pytest_cache .mypy_cache .ruff_cache
