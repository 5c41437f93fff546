# Each target sets itself up: a virtual environment in .venv with the package installed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat run test lint bench scale reliability load check i18n clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

chat: $(STAMP)
	$(BIN)/lotse chat

run: $(STAMP)
	$(BIN)/lotse run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lotse check knowledge
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/matching.py
	$(BIN)/python benchmarks/danger.py

scale: $(STAMP)
	$(BIN)/python benchmarks/scale.py

reliability: $(STAMP)
	$(BIN)/python benchmarks/reliability.py

check: $(STAMP)
	$(BIN)/lotse check knowledge

# Refresh the message catalogs after changing UI strings (catalogs are compiled at start).
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k t -k N_ -o bot/locales/messages.pot bot
	$(BIN)/pybabel update -i bot/locales/messages.pot -d bot/locales --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

load: $(STAMP)
	$(BIN)/python benchmarks/load.py
