# Two entry points for a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
TEST_HOME ?= $(CURDIR)/var/test-home

.PHONY: install demo test lint

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/campuscard demo

test: install
	CAMPUSCARD_HOME=$(TEST_HOME) $(VENV)/bin/pytest -q

lint: install
	$(VENV)/bin/ruff check src tests bench
