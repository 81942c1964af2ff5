# The two commands of the README, plus helpers. Everything lives in .venv/ at the repo root.
VENV := .venv
PYTEST_ARGS ?=

.PHONY: quickstart test setup lint bench-archive

quickstart:  ## set up, then create a quickstart run and show its tree
	scripts/setup
	$(VENV)/bin/cladist init --preset quickstart
	$(VENV)/bin/cladist tree latest

test:  ## set up with test tools, then run the whole test suite
	scripts/setup --dev
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

setup:
	scripts/setup --dev

lint:
	$(VENV)/bin/ruff check cladist tests bench

bench-archive:
	$(VENV)/bin/python bench/archive_scale.py
