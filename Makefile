# Two entry points for a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
TEST_HOME ?= $(CURDIR)/var/test-home
# Optional extras installed with the test tools: CI adds `ldap` and `nfc` (it installs the Debian
# build packages python-ldap and pyscard need); a machine without them keeps the default and
# skips the LDAP and PC/SC tests.
EXTRAS ?= test
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: install demo test lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

install: $(STAMP)

demo: install
	$(VENV)/bin/campuscard demo

test: install
	CAMPUSCARD_HOME=$(TEST_HOME) $(VENV)/bin/pytest -q

lint: install
	$(VENV)/bin/ruff check src tests bench
