# Two commands matter: `make run` (set up, migrate, load demo data, serve) and `make test`;
# `make dev` serves with Flask's reloader while editing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
INTAKE_PORT ?= 5001
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LIBERATION2 := /usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf

.PHONY: setup run dev intake test test-pg chromium java postgresql nginx libreoffice db site bench lint clean

setup: $(VENV)/.installed static/vendor/htmx.min.js

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

static/vendor/htmx.min.js: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --silent
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

# Apply pending migrations; load the demo data only into an empty database.
db: setup
	$(PY) -m flask --app app migrate
	$(PY) -m flask --app app load-demo --if-empty

# The production server: gunicorn, 2 workers × 4 threads (deploy/gunicorn.conf.py), on the loopback.
run: db
	$(PY) -m gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:$(PORT)

# Development: Flask's server, reloading on every saved change, with the debugger (never in production).
dev: db
	$(PY) -m flask --app app run --debug --host 127.0.0.1 --port $(PORT)

# The citizens' intake service (its own database instance/intake.db) under gunicorn on the loopback, with demo
# fields. Without INTAKE_API_TOKEN a token is generated once into instance/intake_token, which intake-sync reads.
intake: setup
	@mkdir -p instance
	@[ -n "$$INTAKE_API_TOKEN" ] || [ -s instance/intake_token ] || \
	  (umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(32))" > instance/intake_token)
	$(PY) -m flask --app intake:create_intake_app setup --demo-fields
	INTAKE_API_TOKEN="$${INTAKE_API_TOKEN:-$$(cat instance/intake_token)}" \
	  $(PY) -m gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:$(INTAKE_PORT) 'intake:create_intake_app()'

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# The Nu Html Checker (npm vnu-jar) runs on Java.
java:
	@command -v java >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq default-jre-headless; }

# PostgreSQL's server: a throw-away cluster in a temporary folder is started by the tests themselves.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql; }

# nginx (and openssl for a throw-away certificate): tests/test_nginx.py runs deploy/nginx.conf.sample for real.
nginx:
	@{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx openssl; }

# The rendering tests print every DOCX with LibreOffice (Liberation fonts, metric-compatible with Times New
# Roman) and read the PDF back with poppler's pdftotext.
libreoffice:
	@{ command -v soffice && command -v pdftotext && ls $(LIBERATION2); } >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	  libreoffice-writer-nogui fonts-liberation2 poppler-utils; }

# The whole suite on SQLite, then again on PostgreSQL (a throw-away cluster per test worker; the browser
# tests and those marked sqlite_only are skipped there). Each pass prints its own summary; both must pass.
test: setup chromium java postgresql nginx libreoffice
	@echo "== pass 1 of 2: SQLite =="
	$(PY) -m pytest -n 2 -q
	@echo "== pass 2 of 2: PostgreSQL =="
	TEST_DATABASE=postgresql $(PY) -m pytest -n 2 -q

# The PostgreSQL pass alone.
test-pg: setup postgresql
	TEST_DATABASE=postgresql $(PY) -m pytest -n 2 -q

lint: setup
	$(VENV)/bin/ruff check .

# Freeze the public site "Dân biết" into site/ (BASE_URL=https://host/dan-biet/ make site).
site: db
	$(PY) build.py $(if $(BASE_URL),--base-url $(BASE_URL))

bench: setup
	$(PY) bench/register.py
	$(PY) bench/build.py

clean:
	rm -rf $(VENV) node_modules static/vendor site site.builds
