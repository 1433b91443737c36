# wqm-workbench: `make demo` and `make test` bootstrap .venv from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_OUT ?= build/demo

.PHONY: venv test test-fast lint demo sample reference cli-reference lab serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	# rfc3987-syntax (pulled in by jsonschema[format-nongpl]) adds ~2.7 s to every
	# nbformat import; jsonschema works without it, so drop it.
	$(BIN)/pip uninstall --quiet --yes rfc3987-syntax
	touch $@

venv: $(STAMP)

test: $(STAMP)
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest

# Style and types over the whole package (and the tests' style): ruff's rules and format, then mypy.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Everything but the tests marked slow (kernels, browsers, a fresh venv): a quick check while working.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

demo: $(STAMP)
	$(BIN)/wqm batch --data sample_data --out $(DEMO_OUT)

# Regenerate the committed sample data (seeded, reproducible).
sample: $(STAMP)
	$(BIN)/wqm sample --out sample_data

# Regenerate the reference outputs nbval compares against (after a deliberate change to the report).
reference: $(STAMP)
	$(BIN)/python tests/reference/make_reference.py

# Regenerate docs/cli-reference.md from the parser's help (a test checks it is current).
cli-reference: $(STAMP)
	$(BIN)/python -c "from wqm_nb.cli import cli_reference; print(cli_reference())" > docs/cli-reference.md

# The leaders' report app on the sample data: http://127.0.0.1:8866/?token=... (printed)
serve: $(STAMP)
	$(BIN)/wqm serve --data sample_data

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf build reports .pytest_cache
