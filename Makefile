# Kopdes: `make run` serves the demo, `make test` runs the whole suite. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint bench seed worker scheduler setup translations browser clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[embedded,dev]'
	touch $@

translations: $(BIN)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d translations 2>/dev/null

setup: $(BIN)/.installed translations

run: setup
	$(BIN)/flask kopdes dev

test: setup browser lint
	$(BIN)/pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(wildcard core tenants erp marketplace bench)

bench: setup
	@for b in $(filter-out bench/common.py,$(wildcard bench/*.py)); do echo "== $$b"; $(BIN)/python $$b || exit 1; done

seed: setup
	$(BIN)/flask kopdes migrate
	$(BIN)/flask kopdes regions import
	$(BIN)/flask kopdes seed demo

worker: setup
	$(BIN)/flask kopdes worker

scheduler: setup
	$(BIN)/flask kopdes scheduler

# Headless Chromium for the browser tests: Debian's package (Playwright's download cannot work here).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium"; exit 1; fi; }

clean:
	rm -rf $(VENV) instance *.egg-info
