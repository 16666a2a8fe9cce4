# Set-up on a fresh machine needs only Python 3.11+, pip, make (and npm for GraphiQL's assets).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never

# uv from the PATH, or brought with pip into .tools/ (outside .venv, so `uv sync` keeps it).
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := .tools/bin/uv
UV_DEP := .tools/bin/uv
endif

.PHONY: install run test lint schema clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check 'uv==0.13.9'

install: $(UV_DEP)
	$(UV) sync --frozen --python $(PYTHON) --quiet
	bash web/graphiql/install.sh

run: install
	$(BIN)/gql-portal serve

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy gql_portal

schema: install
	$(BIN)/gql-portal export-schema > schema.graphql
	$(BIN)/python -m gql_portal.permissions.document > docs/permissions.md
	for role in PUBLIC COMPANY_ADMIN EMPLOYEE PARTNER_PORTAL; do \
	  $(BIN)/gql-portal export-schema --role $$role > tests/golden/schema.$$role.graphql; done

clean:
	rm -rf $(VENV) .tools web/graphiql/node_modules gql_portal/graphiql/static
