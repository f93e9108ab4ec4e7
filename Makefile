# Kiểu Mẫu — the README's commands. `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python
export DEBUG ?= true
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test install setup demo lint format messages lock clean bench screenshots load faults scale-test \
	units units-check

help: ## List the commands.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock
	@interpreter=$$(PYTHON="$(PYTHON)" scripts/find-python) || exit 1; \
		echo "Using $$interpreter"; \
		[ -x $(PY) ] || "$$interpreter" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

install: $(VENV)/.installed static/vendor/.installed messages .env ## Create the virtualenv and install the locked dependencies.

# Front-end files come from npm (package-lock.json) and are copied into
# static/vendor/, so that no page loads anything from the internet.
FONTS := node_modules/@fontsource/tinos/files
static/vendor/.installed: package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js (apt install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf static/vendor && mkdir -p static/vendor/fonts
	cp node_modules/tus-js-client/dist/tus.min.js node_modules/hash-wasm/dist/sha256.umd.min.js static/vendor/
	cp $(FONTS)/tinos-vietnamese-*-normal.woff2 $(FONTS)/tinos-latin-*-normal.woff2 \
		$(FONTS)/tinos-vietnamese-*-italic.woff2 $(FONTS)/tinos-latin-*-italic.woff2 static/vendor/fonts/
	cp node_modules/@fontsource/tinos/LICENSE static/vendor/fonts/LICENSE-Tinos.txt
	cp node_modules/tus-js-client/LICENSE static/vendor/LICENSE-tus-js-client.txt
	cp node_modules/hash-wasm/LICENSE static/vendor/LICENSE-hash-wasm.txt
	@touch $@

# A development checkout gets development settings, so that plain
# `manage.py` commands work; production sets its variables itself.
.env:
	@printf '# Created by make for development; see .env.example.\nDEBUG=true\n' > $@

messages: $(VENV)/.installed .env ## Compile the translations in locale/ and locale_overrides/.
	@command -v msgfmt >/dev/null || { \
		echo "msgfmt not found: install gettext (apt install gettext)"; exit 1; }
	@$(PY) manage.py compilemessages --verbosity 0

setup: install ## Migrate, load the shipped criteria set and the demo data.
	$(PY) manage.py migrate --no-input --verbosity 0
	$(PY) manage.py setup_demo

# Links in e-mails follow the port served (PORT=8001), unless SITE_URL is set
# in the environment or in .env.
run: setup ## Set up (idempotent); serve on port 8000 (or PORT=8001) with its task worker.
	@if [ -z "$$SITE_URL" ] && ! grep -qs '^ *SITE_URL=' .env; then \
		export SITE_URL="http://$(HOST):$(PORT)"; fi; \
	echo "Links in e-mails start with $${SITE_URL:-SITE_URL of .env}."; \
	$(PY) manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

demo: install ## Reload the demo data from scratch.
	$(PY) manage.py migrate --no-input --verbosity 0
	$(PY) manage.py setup_demo --reset

# On SQLite (no DATABASE_URL) the test database is made from the models, not
# by running every migration in each process; the PostgreSQL run of CI
# applies the migrations.
test: install ## Run the whole test suite.
	$(PY) -m pytest --numprocesses=auto --dist=worksteal \
		$(if $(DATABASE_URL),,--no-migrations) $(PYTEST_ARGS)

lint: install ## Check formatting, lint, the layers, types and migrations.
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m mypy
	$(PY) manage.py makemigrations --check --dry-run --verbosity 0
	$(PY) manage.py api_schema --check --verbosity 0

.PHONY: api-schema
api-schema: install ## Regenerate the API's schema, docs/api/openapi.json.
	$(PY) manage.py api_schema

format: install ## Format the code and fix what ruff can.
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

lock: install ## Re-lock the dependencies after editing pyproject.toml.
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal \
		--python-version 3.12 --generate-hashes --no-header -o requirements.lock

screenshots: setup ## Screenshots of the main pages (desktop, phone) into screenshots/.
	$(PY) scripts/screenshots.py

# The official lists in wards/data/ are generated from a pinned package in a
# throwaway virtualenv under var/; the project's requirements never include it.
UNITS_VENV := var/units-venv
units: ## Regenerate wards/data/ from the pinned vietnamadminunits package.
	@interpreter=$$(PYTHON="$(PYTHON)" scripts/find-python) || exit 1; \
		rm -rf $(UNITS_VENV) && "$$interpreter" -m venv $(UNITS_VENV)
	$(UNITS_VENV)/bin/python -m pip install --quiet --no-deps --require-hashes \
		-r scripts/units-requirements.txt
	$(UNITS_VENV)/bin/python scripts/build_units.py

UNITS_CHECK_VENV := var/units-check-venv
units-check: ## Compare wards/data/ with the vietnam-provinces package (DIFFERENCES.md).
	@interpreter=$$(PYTHON="$(PYTHON)" scripts/find-python) || exit 1; \
		rm -rf $(UNITS_CHECK_VENV) && "$$interpreter" -m venv $(UNITS_CHECK_VENV)
	$(UNITS_CHECK_VENV)/bin/python -m pip install --quiet --no-deps --require-hashes \
		-r scripts/units-check-requirements.txt
	$(UNITS_CHECK_VENV)/bin/python scripts/compare_units.py --write

# SCALE=4: four times the units (copies in their provinces), in a database of
# its own (kieumau_bench_x4); the figures go to var/bench-x4.json too.
SCALE ?= 1
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kieumau_bench$(if $(filter 1,$(SCALE)),,_x$(SCALE))
bench: install ## National-scale benchmark on PostgreSQL (SCALE=4: four times the units).
	@export DATABASE_URL="$(BENCH_DATABASE_URL)" DEBUG=false DEMO_DATA_ALLOWED=true \
		ALLOWED_HOSTS=127.0.0.1 \
		SECRET_KEY=bench-only-secret-key-never-used-in-production SECURE_COOKIES=false \
		SECURE_SSL_REDIRECT=false BEHIND_TLS_PROXY=false \
		PRIVATE_MEDIA_ROOT="$(CURDIR)/var/bench-media"; \
	$(PY) scripts/database.py create && \
	{ $(PY) manage.py generate_national --check --scale $(SCALE); status=$$?; \
	  if [ $$status -eq 3 ]; then echo "Starting again from an empty database."; \
	    $(PY) scripts/database.py drop && $(PY) scripts/database.py create; \
	  elif [ $$status -ne 0 ]; then exit $$status; fi; } && \
	$(PY) manage.py migrate --no-input --verbosity 0 && \
	$(PY) manage.py generate_national --scale $(SCALE) && \
	$(PY) manage.py bench_pages --requests 30 --json var/bench-x$(SCALE).json && \
	$(PY) scripts/bench_memory.py && \
	$(PY) scripts/bench_memory.py --s3

# LOAD_ARGS: more options of scripts/load_test.py, e.g. --think 1 --officers 20.
LOAD_SECONDS ?= 60
LOAD_ARGS ?=
load: install ## Load test (locust, gunicorn as shipped) on a throwaway PostgreSQL database.
	@db=kieumau_load_$$$$; \
	export DATABASE_URL="postgres://$${PGUSER:-postgres}@$${PGHOST:-127.0.0.1}:$${PGPORT:-5432}/$$db" \
		DEBUG=false ALLOWED_HOSTS=127.0.0.1 SECURE_COOKIES=false SECURE_SSL_REDIRECT=false \
		BEHIND_TLS_PROXY=false SECRET_KEY=load-test-only-secret-key-not-for-production \
		PRIVATE_MEDIA_ROOT="$(CURDIR)/var/load-media-$$db" LOGIN_FAILURE_LIMIT=1000; \
	$(PY) scripts/database.py create && \
	$(PY) manage.py migrate --no-input --verbosity 0 && \
	$(PY) scripts/load_test.py --seconds $(LOAD_SECONDS) $(LOAD_ARGS); status=$$?; \
	$(PY) scripts/database.py drop; rm -rf "$$PRIVATE_MEDIA_ROOT"; exit $$status

FAULT_SECONDS ?= 10
faults: install ## Slow fault tests: writers at once, hung mail, a killed upload, a frozen database.
	@dir=$$(mktemp -d); \
	export DATABASE_URL="sqlite:///$$dir/kieumau.sqlite3" PRIVATE_MEDIA_ROOT="$$dir/media" \
		UPLOAD_TEMP_DIR="$$dir/tmp-uploads" DEBUG=false ALLOWED_HOSTS=127.0.0.1 \
		SECURE_COOKIES=false SECURE_SSL_REDIRECT=false BEHIND_TLS_PROXY=false \
		SECRET_KEY=fault-test-only-secret-key-not-for-production LOGIN_FAILURE_LIMIT=1000; \
	echo "Eight officers writing at once on SQLite ($(FAULT_SECONDS) s)"; \
	$(PY) manage.py migrate --no-input --verbosity 0 && \
	$(PY) scripts/load_test.py --seconds $(FAULT_SECONDS) --officers 8 && \
	echo "A mail server that accepts and never answers ($(FAULT_SECONDS) s)" && \
	$(PY) scripts/load_test.py --seconds $(FAULT_SECONDS) --mail hung 2>/dev/null && \
	echo "The web worker is killed in the middle of an upload" && \
	$(PY) scripts/killed_upload.py && \
	echo "The database freezes, then thaws" && \
	$(PY) scripts/frozen_database.py 2>/dev/null; \
	status=$$?; rm -rf "$$dir"; exit $$status

# Two PostgreSQL clusters of its own (a primary, a standby made with
# pg_basebackup -R): the dashboards read the standby when they may. Then two
# app servers and two task workers on the primary and an S3 store, one of
# each killed under load: nothing acknowledged is lost.
scale-test: install ## Scale test: a streaming replica; app servers and workers killed.
	$(PY) scripts/scale_test.py

clean: ## Remove the virtualenv and the local database and files.
	rm -rf $(VENV) var node_modules static/vendor
