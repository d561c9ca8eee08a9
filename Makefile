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
# Notification targets on this machine (a local webhook) are allowed for the demo only.
RUN_ENV = SPOTCHECK_ENVIRONMENT=development \
	SPOTCHECK_SECRET_KEY="$$(cat $(VAR)/secret_key)" \
	SPOTCHECK_NOTIFY_ALLOWED_HOSTS=127.0.0.1,localhost \
	SPOTCHECK_PUBLIC_BASE_URL=http://$(HOST):$(PORT)

# The web app (mobile_app/): npm ci from the lock file, then a Vite build into mobile_app/dist,
# redone only when a source is newer than the build.
APP := mobile_app
APP_DEPS := $(APP)/node_modules/.installed-stamp
APP_BUILD := $(APP)/dist/index.html
APP_SOURCES := $(shell find $(APP)/src $(APP)/public -type f 2>/dev/null) \
	$(APP)/index.html $(APP)/vite.config.ts $(APP)/tsconfig.json $(APP)/package.json

.PHONY: install run test lint format bench migrate demo worker clean app app-types app-test check-node

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	# The lock pins every package with its hashes; a download that does not match them fails.
	$(BIN)/uv pip sync --quiet --require-hashes --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	# Byte-compiled once here: with PYTHONDONTWRITEBYTECODE set (as on our machines) every CLI
	# process would otherwise compile ~600 modules again, ~1.5 s each time.
	$(BIN)/python -m compileall -q -j 0 server checklists mobile_api reports >/dev/null
	touch $(STAMP)

install: $(STAMP)

check-node:
	@command -v node >/dev/null 2>&1 || { echo "The web app needs Node.js 20.19+ and npm (Debian: apt-get install nodejs npm)." >&2; exit 1; }
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || { echo "Node.js $$(node --version) is too old: Vite 8 needs 20.19+." >&2; exit 1; }

$(APP_DEPS): $(APP)/package.json $(APP)/package-lock.json | check-node
	cd $(APP) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(APP_BUILD): $(APP_DEPS) $(APP_SOURCES)
	cd $(APP) && npm run build --silent
	touch $@

app: $(APP_BUILD)

# Regenerate the app's API types after a change to the HTTP contract (a test checks they match).
app-types: install $(APP_DEPS)
	$(BIN)/spotcheck openapi --output $(VAR)/openapi.json
	cd $(APP) && npx openapi-typescript ../$(VAR)/openapi.json -o src/api/schema.d.ts

app-test: $(APP_DEPS)
	cd $(APP) && npx vitest run

$(VAR)/secret_key:
	mkdir -p $(VAR)
	umask 077 && $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(48))" > $@

migrate: install $(VAR)/secret_key
	$(RUN_ENV) $(BIN)/spotcheck migrate

demo: migrate
	$(RUN_ENV) $(BIN)/spotcheck demo

run: demo app
	@echo
	@echo "Spotcheck app:    http://$(HOST):$(PORT)/app/   (inspector: kiemtra1 / inspector-demo-2026)"
	@echo "Spotcheck API:    http://$(HOST):$(PORT)/api/v1   (OpenAPI: http://$(HOST):$(PORT)/schema)"
	@echo "Try:  curl -s http://$(HOST):$(PORT)/api/v1/auth/login -H 'content-type: application/json' \\"
	@echo "        -d '{\"username\":\"admin\",\"password\":\"admin-demo-2026\",\"device_name\":\"curl\"}'"
	@echo
	$(RUN_ENV) $(BIN)/spotcheck serve --host $(HOST) --port $(PORT)

worker: migrate
	$(RUN_ENV) $(BIN)/spotcheck worker

test: install app
	scripts/test-both-engines $(ARGS)

lint: install $(APP_DEPS)
	cd $(APP) && npx tsc --noEmit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy server checklists mobile_api reports
	# The layers (composition > phone API and reports > domain > checklists > kernel), no loops.
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 --generate-hashes --quiet

clean:
	rm -rf $(VENV) $(VAR) $(APP)/node_modules $(APP)/dist
