# The two commands of the README's quick start, plus the checks CI and reviewers run.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint bench faults clean catalogues

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
	.ci/ensure-axe
	.ci/ensure-dovecot
	$(VENV)/bin/pytest -x -q -n 2 --dist loadgroup

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy domain application interfaces projections adapters tests bench

# make catalogues: every t("...") and N_("...") into messages.pot, new ones into each language's
# messages.po (to translate; tests/unit/test_catalogues.py fails until they are), then the .mo files
CATALOGUES := interfaces/web/translations
catalogues: $(DEV_STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k t -k N_ --no-default-keywords --sort-by-file \
		--project kaizen-desk --no-location -o $(CATALOGUES)/messages.pot .
	$(VENV)/bin/pybabel update -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) --no-fuzzy-matching --ignore-obsolete
	$(PY) -m interfaces.web.catalogues

# make bench [QUICK=1] [ARGS='--only read_side --events 1000000']: figures against same-run baselines (bench/)
# (signed checkpoints over 1M events: ARGS='--only checkpoints --checkpoint-events 1000000')
bench: $(DEV_STAMP)
	.ci/ensure-postgres
	$(PY) -m bench.run $(if $(QUICK),--quick) $(ARGS)

# make faults [ARGS='--only kill_master,fuzz']: fault drills, PASS/FAIL each; drill 2 restarts the local PostgreSQL
faults: $(DEV_STAMP)
	.ci/ensure-postgres
	.ci/ensure-dovecot
	$(PY) -m bench.faults.run $(ARGS)

clean:
	rm -rf $(VENV) kaizen.db
