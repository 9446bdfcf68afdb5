# kube-audit-forwarder — every target works on a fresh clone (it installs what it needs).
SHELL := /bin/bash
# Node 24 LTS runs every target (build, tests, bench, run), whatever Node the machine has:
# scripts/node24.sh installs it from the npm registry into ~/.cache, and its bin comes first on PATH.
NODE_BIN := $(shell bash scripts/node24.sh bin-dir)
export PATH := $(NODE_BIN):$(PATH)
NODE := $(NODE_BIN)/node
NODE_MODULES := node_modules/.package-lock.json
IMAGE ?= ghcr.io/kube-audit-forwarder/kube-audit-forwarder
VERSION ?= $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' package.json)
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

.PHONY: all build run test test-unit test-integration test-model soak services services-but-kube-apiserver bench image clean

all: build

$(NODE):
	bash scripts/node24.sh ensure

## Installed again when Node changes too: a native addon is built for one Node ABI. Install
## scripts are skipped because the Kafka client's would download a prebuilt librdkafka from
## GitHub; scripts/kafka-addon.sh builds it from source instead (cached in ~/.cache, minutes cold).
$(NODE_MODULES): $(NODE) package.json package-lock.json scripts/kafka-addon.sh
	npm ci --ignore-scripts --no-audit --no-fund
	bash scripts/kafka-addon.sh install

## Incremental (build state in dist/); outputs of deleted sources are pruned, or their tests would still run.
build: $(NODE_MODULES)
	npm run --silent build
	$(NODE) dist/scripts/prune-dist.js

## A simulated kube-apiserver writes a rotating, gzip-compressing audit log into a temp dir and
## the agent ships it to the file sink, printing progress. Ctrl-C stops both cleanly.
run: build
	bash scripts/run-demo.sh

## The whole suite against real servers, which the tests start and stop through scripts/. The
## kube-apiserver build (tens of minutes cold, instant warm) runs beside the other services and
## the tests; its tests come last and wait for it (the script's lock), so a cold run does not
## wait for it before the first test.
test: build
	@mkdir -p .run
	bash scripts/kube-apiserver.sh build > .run/kube-apiserver-build.log 2>&1 & kube=$$!; \
	$(MAKE) --no-print-directory services-but-kube-apiserver && \
	npx mocha 'dist/test/unit/**/*.test.js' 'dist/test/model/**/*.test.js' \
	  'dist/test/integration/!(kube-apiserver)/**/*.test.js' 'dist/test/integration/kube-apiserver/**/*.test.js'; \
	status=$$?; wait $$kube || tail -20 .run/kube-apiserver-build.log; exit $$status

test-unit: build
	npx mocha 'dist/test/unit/**/*.test.js'

test-integration: build services
	npx mocha 'dist/test/integration/**/*.test.js'

## The file source against a model (test/model): the fixed seeds `make test` runs.
test-model: build
	npx mocha 'dist/test/model/**/*.test.js'

## Many more model sequences: `make soak SEEDS=200` (seeds 1000…1199; FIRST_SEED=S to move), or
## `make soak SEED=S` to replay the one a failure names.
soak: build
	MODEL_SEEDS=$(SEEDS) MODEL_FIRST_SEED=$(FIRST_SEED) MODEL_SEED=$(SEED) npx mocha 'dist/test/model/**/*.test.js'

## Fetch the Kafka jars and build the forward server up front, so no test waits on a download.
## kube-apiserver and etcd take longest to build: their build starts first and runs beside the rest.
services:
	bash scripts/kube-apiserver.sh build > /dev/null & kube=$$!; \
	$(MAKE) --no-print-directory services-but-kube-apiserver; \
	status=$$?; wait $$kube || exit 1; exit $$status

services-but-kube-apiserver:
	bash scripts/kafka.sh fetch --version 3.9.2
	bash scripts/kafka.sh fetch --version 4.4.0
	bash scripts/forward-server.sh build
	bash scripts/alertmanager.sh build
	bash scripts/go-tool.sh helm
	bash scripts/go-tool.sh promtool

## Catch-up speed into the file sink, a real Kafka (each codec) and a real forward server, against
## a plain Node reader of the same files, then a steady-state run; writes bench/results/latest.json.
## Not part of `make test`. Flags through BENCH_ARGS, e.g. BENCH_ARGS="--megabytes 200 --steady-seconds 0".
bench: build
	$(NODE) dist/bench/run-bench.js $(BENCH_ARGS)

## The container image (needs a Docker engine; none runs on the CI machine).
image:
	docker build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(IMAGE):$(VERSION) .

clean:
	rm -rf dist .run
