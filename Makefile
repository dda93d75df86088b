# Member Center. `make run` serves the site with demo data; `make test` runs the whole suite.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000

.PHONY: run worker beat test test-fast bench setup migrate demo lint typecheck security dast messages clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@touch $(STAMP)

setup: $(STAMP)

migrate: setup
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

run: demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@$(BIN)/python manage.py demo_logins
	$(BIN)/python manage.py serve --addr $(HOST)

# With REDIS_URL set, jobs run on Celery: one or more workers and exactly one beat.
worker: migrate
	$(BIN)/celery -A membercenter worker --loglevel INFO -Q celery,evidence

beat: setup
	@mkdir -p var
	$(BIN)/celery -A membercenter beat --loglevel INFO --schedule var/celerybeat-schedule

test: setup
	@mkdir -p var && rm -f var/test-db-*
	TESTING=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup
	@mkdir -p var
	TESTING=1 $(BIN)/python -m pytest -m "not browser" -x $(PYTEST_ARGS)

# BENCH_ARGS go to the serial import bench, REWARDS_BENCH_ARGS to the code allocation bench,
# EVIDENCE_BENCH_ARGS to the evidence-check accuracy bench (e.g. "--seed 6 --save var/bench-samples")
# (e.g. REWARDS_BENCH_ARGS="--database-url postgres://postgres@127.0.0.1:5432/bench_rewards").
bench: setup
	$(BIN)/python bench/bench_import.py $(BENCH_ARGS)
	$(BIN)/python bench/bench_rewards.py $(REWARDS_BENCH_ARGS)
	$(BIN)/python bench/bench_evidence.py $(EVIDENCE_BENCH_ARGS)

# The production stack on this machine under load (PostgreSQL mc_g_loadtest, Redis db 2, loopback only),
# under 5 minutes; writes docs/performance.md. LOADTEST_ARGS go to bench/loadtest/run.py.
loadtest: setup
	$(BIN)/python bench/loadtest/run.py $(LOADTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	@mkdir -p var
	TESTING=1 $(BIN)/mypy membercenter security --cache-dir var/mypy-cache

# The code checkers as the test suite runs them (bandit, pip-audit with security/pip-audit-waivers.toml,
# ruff, mypy; tests/security/test_tooling.py), each printing what it found.
security: setup
	@mkdir -p var
	TESTING=1 $(BIN)/python -m pytest -m tooling -ra -s tests/security/test_tooling.py $(PYTEST_ARGS)

# A time-boxed wapiti scan of the app on loopback, logged in as the demo member (installs Debian's
# wapiti if missing); fails on any finding. Report in var/dast/report.json. DAST_ARGS: e.g. "--max-scan-time 300".
dast: setup
	$(BIN)/python security/dast.py $(DAST_ARGS)

messages: setup
	$(BIN)/python manage.py makemessages -l id -l en --ignore=.venv --ignore=var --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf var .venv
