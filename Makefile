# Spotcheck: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
VAR := var
HOST ?= 127.0.0.1
PORT ?= 8000
UV_VERSION := 0.13.8

# `make run` uses a local SQLite file and a random secret kept under var/ (made once, reused).
RUN_ENV = SPOTCHECK_ENVIRONMENT=development \
	SPOTCHECK_SECRET_KEY="$$(cat $(VAR)/secret_key)" \
	SPOTCHECK_PUBLIC_BASE_URL=http://$(HOST):$(PORT)

.PHONY: install run test lint format bench migrate demo worker clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

$(VAR)/secret_key:
	mkdir -p $(VAR)
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(48))" > $@

migrate: install $(VAR)/secret_key
	$(RUN_ENV) $(BIN)/spotcheck migrate

demo: migrate
	$(RUN_ENV) $(BIN)/spotcheck demo

run: demo
	@echo
	@echo "Spotcheck API:    http://$(HOST):$(PORT)/api/v1   (OpenAPI: http://$(HOST):$(PORT)/schema)"
	@echo "Try:  curl -s http://$(HOST):$(PORT)/api/v1/auth/login -H 'content-type: application/json' \\"
	@echo "        -d '{\"username\":\"admin\",\"password\":\"admin-demo-2026\",\"device_name\":\"curl\"}'"
	@echo
	$(RUN_ENV) $(BIN)/spotcheck serve --host $(HOST) --port $(PORT)

worker: migrate
	$(RUN_ENV) $(BIN)/spotcheck worker

test: install
	scripts/test-both-engines $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy server checklists mobile_api reports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 --quiet

clean:
	rm -rf $(VENV) $(VAR)
