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
crd: deps ## regenerate crds/memeexperiment.yaml from the zod schema
	$(MEMEOPS) crd > crds/memeexperiment.yaml

.PHONY: test-unit
test-unit: deps ## unit tests only (no servers)
	npx vitest run --project unit

.PHONY: test
test: deps typecheck ## set up and run every test (starts the control plane and MLflow itself)
	npx vitest run

.PHONY: duplicates
duplicates: ## copy-pasted twins in the tree
	duplicates
