# Every target installs what it needs on first use: a fresh clone needs only
# Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench merchant job clean static package deploy messages messages-extract

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## The pages' third-party scripts (pinned in web-build/package-lock.json), copied
## beside the static files; a file target, so it costs nothing once done.
VENDOR := chalicelib/web/static/vendor
static: $(VENDOR)/jsQR.js

$(VENDOR)/jsQR.js: web-build/package.json web-build/package-lock.json
	cd web-build && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp web-build/node_modules/jsqr/dist/jsQR.js $@

## The compiled catalogues (messages.mo, git-ignored) beside each language's
## messages.po: a file target per language, so it costs nothing once done. Without
## them the service compiles the .po itself, slower (chalicelib/i18n.py).
LOCALES  := chalicelib/locales
CATALOGS := $(patsubst %.po,%.mo,$(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po))
messages: $(CATALOGS)

$(LOCALES)/%/LC_MESSAGES/messages.mo: $(LOCALES)/%/LC_MESSAGES/messages.po | $(STAMP)
	$(VENV)/bin/pybabel compile -D messages -l $* -i $< -o $@

## The service's words, collected from the code and pages into messages.pot and
## merged into every language's messages.po (docs/languages.md).
messages-extract: $(STAMP)
	PYTHONPATH=. $(VENV)/bin/pybabel extract -F babel.cfg -k t -k gettext -k ngettext:1,2 \
		--no-location --sort-output --project wallet-loyalty \
		--copyright-holder "wallet-loyalty contributors" -o $(LOCALES)/messages.pot .
	$(VENV)/bin/pybabel update -D messages -i $(LOCALES)/messages.pot -d $(LOCALES) \
		--no-fuzzy-matching --width 100 --ignore-obsolete

## Serve the API on http://127.0.0.1:$${PORT:-8000} over the embedded DynamoDB.
run: $(STAMP) static messages
	$(PY) -m localrun serve

## Every test: unit, integration (embedded DynamoDB over HTTP) and end-to-end (real port).
test: $(STAMP) static messages
	$(PY) -m pytest -n 2 -q tests

## ruff, and the import contracts of pyproject.toml (imports point one way: README).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) -m bench

## make merchant NAME="Café Blue" OWNER_EMAIL=owner@example.com
merchant: $(STAMP)
	$(PY) -m localrun merchant --name "$(NAME)" --owner-email "$(OWNER_EMAIL)"

## make package STAGE=dev|prod: the deployable template and Lambda zip in
## build/$(STAGE)/, checked by cfn-lint (docs/deploy.md). Needs no AWS account.
STAGE ?= prod
package: $(STAMP) static messages
	$(PY) -m deploy policy --stage $(STAGE) --check
	$(PY) -m deploy resources --stage $(STAGE) --out build/$(STAGE)/resources.json
	rm -f build/$(STAGE)/sam.json build/$(STAGE)/deployment.zip
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-1} $(VENV)/bin/chalice package \
		--stage $(STAGE) --merge-template build/$(STAGE)/resources.json build/$(STAGE)
	$(PY) -m deploy slim --stage $(STAGE)
	$(PY) -m deploy smoke --stage $(STAGE)
	$(VENV)/bin/cfn-lint build/$(STAGE)/sam.json
	@echo "build/$(STAGE)/sam.json and deployment.zip are ready: see docs/deploy.md"

## make deploy STAGE=prod BUCKET=my-artifacts [ALARM_EMAIL=ops@cafe.example]: package,
## upload the zip to S3 and deploy the stack with the AWS CLI (docs/deploy.md).
deploy:
	test -n "$(BUCKET)" || { echo "BUCKET=<an S3 bucket in the stack's region> is required"; exit 2; }
	$(MAKE) package STAGE=$(STAGE)
	aws cloudformation package --template-file build/$(STAGE)/sam.json \
		--s3-bucket $(BUCKET) --output-template-file build/$(STAGE)/packaged.json
	aws cloudformation deploy --template-file build/$(STAGE)/packaged.json \
		--stack-name wallet-loyalty-$(STAGE) --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
		$(if $(ALARM_EMAIL),--parameter-overrides AlarmEmail=$(ALARM_EMAIL))
	aws cloudformation describe-stacks --stack-name wallet-loyalty-$(STAGE) \
		--query 'Stacks[0].Outputs' --output table

## Debian's Chromium and the pinned axe-core for tests/browser (CI runs as root).
.PHONY: browser
browser:
	test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium; }
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error

## make job NAME=expiry|birthday|tiers [TODAY=YYYY-MM-DD]: a scheduled job on the running `make run`'s store.
job: $(STAMP)
	$(PY) -m localrun job --name "$(NAME)" $(if $(TODAY),--today "$(TODAY)")

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(VENDOR) web-build/node_modules build $(CATALOGS)
