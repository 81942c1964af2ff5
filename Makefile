# The two commands of the README, plus helpers. Everything lives in .venv/ at the repo root.
VENV := .venv
PYTEST_ARGS ?=

.PHONY: quickstart test setup lint bench-archive

quickstart:  ## set up with the embedded model, run a short evolution, show its tree
	scripts/setup --local --view
	$(VENV)/bin/cladist images build --only agent --only python
	$(VENV)/bin/cladist run --preset quickstart
	$(VENV)/bin/cladist tree latest

test:  ## set up with test tools, every extra (embedded model, Ray, viewer, SWE-bench), then run the whole test suite
	scripts/setup --dev --local --ray --view --swebench
	$(VENV)/bin/cladist images build || echo "images not built (no Docker engine?): Docker tests skip"
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

setup:
	scripts/setup --dev --local --ray --view --swebench

lint:
	$(VENV)/bin/ruff check cladist tests bench
	$(VENV)/bin/mypy cladist

bench-archive:
	$(VENV)/bin/python bench/archive_scale.py
