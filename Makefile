# The two commands of the README's quick start, plus the checks CI and reviewers run.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint bench faults clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/kaizen demo --if-empty --console-url http://$(HOST):$(PORT)/console/
	$(VENV)/bin/kaizen serve --host $(HOST) --port $(PORT)

test: $(DEV_STAMP)
	.ci/ensure-postgres
	.ci/ensure-chromium
	.ci/ensure-oidc-provider
	$(VENV)/bin/pytest -x -q -n 2 --dist loadgroup

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy domain application interfaces projections adapters tests bench

# make bench [QUICK=1] [ARGS='--only read_side --events 1000000']: figures against same-run baselines (bench/)
bench: $(DEV_STAMP)
	.ci/ensure-postgres
	$(PY) -m bench.run $(if $(QUICK),--quick) $(ARGS)

# make faults [ARGS='--only kill_master,fuzz']: fault drills, PASS/FAIL each; drill 2 restarts the local PostgreSQL
faults: $(DEV_STAMP)
	.ci/ensure-postgres
	$(PY) -m bench.faults.run $(ARGS)

clean:
	rm -rf $(VENV) kaizen.db
