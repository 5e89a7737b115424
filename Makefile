# esdr: see DEVELOPERS.md for what each target is for.
SHELL := /usr/bin/env bash
GO ?= go
export ESDR_REPO_ROOT := $(CURDIR)

.PHONY: build install test test-short vet tidy-check staticcheck fmt-check demo bench chaos clean lambda-zip

build: ## bin/esdr, bin/testbed and every other command
	@mkdir -p bin
	$(GO) build -o bin/ ./cmd/...

install: ## Debian packages and the test bed's engine jars (idempotent)
	scripts/install.sh

vet:
	$(GO) vet ./...

tidy-check: ## fails when go.mod/go.sum are not what `go mod tidy` would write
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum untidy: run go mod tidy"; exit 1; }

staticcheck: ## staticcheck at the version scripts/install-tools.sh pins
	scripts/install-tools.sh
	.cache/bin/staticcheck ./...

fmt-check:
	@out=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Test binaries compile in parallel (the first command only builds), then run one at a
# time: packages that start JVM clusters must not compete for the two cores.
test: install vet tidy-check staticcheck fmt-check ## every test, against the real peers
	$(GO) test -race -count=1 -run '^$$' ./... >/dev/null
	$(GO) test -race -count=1 -p 1 -timeout 28m ./...
	@# Once without -race: its sockets make raw system calls there (rawsock_norace.go).
	$(GO) test -count=1 ./internal/route/proxy
	$(GO) test -race -count=1 ./internal/route/proxy -args -upstream=net/http
	$(GO) test -race -count=1 ./internal/route/proxy -args -server=net/http
	$(GO) test -race -count=1 ./internal/route/proxy -args -server=net/http -upstream=net/http
	@# Fuzz budgets are counts, not durations: a -fuzztime duration races Go's fuzz
	@# coordinator at its deadline (golang/go#75804, unfixed in 1.26) and fails with
	@# "context deadline exceeded" and no crasher. 150000 runs is 5–12 s on two cores.
	$(GO) test -run '^$$' -fuzz FuzzAcceptedRequestsReadTheSameInNetHTTP -fuzztime 150000x ./internal/route/proxy/h1
	$(GO) test -run '^$$' -fuzz FuzzAcceptedResponsesReadTheSameInNetHTTP -fuzztime 150000x ./internal/route/proxy/h1
	$(GO) test -run '^$$' -fuzz FuzzAcceptedChunkedBodiesReadTheSameInNetHTTP -fuzztime 150000x ./internal/route/proxy/h1
	$(GO) test -run '^$$' -fuzz FuzzParseActionReadsAsStepByStep -fuzztime 100000x ./internal/mirror
	$(GO) test -run '^$$' -fuzz FuzzScanItemAnswersReadsAsEncodingJSON -fuzztime 100000x ./internal/mirror

test-short: ## pure unit tests, no peers
	$(GO) test -race -short ./...

demo: install build ## esdr's main job end to end: two local clusters, the proxy, a kill, a report (KEEP=1 leaves them running)
	$(GO) build -o bin/esdr-demo ./demo
	bin/esdr-demo $(if $(KEEP),--keep)

bench: install build ## benchmarks on real clusters, written to docs/benchmarks.md (about 30 min; run on a quiet machine)
	@echo "== make bench: load average $$(cut -d' ' -f1-3 /proc/loadavg) (numbers are noisy above ~2 per core)"
	@echo "== 1/5 bench/proxy: direct vs HAProxy vs esdr's proxy, wrk at 16/64/256 connections"
	$(GO) run ./bench/proxy -d 5s -warmup 1s
	@echo "== 2/5 bench/failover: kill -9 and SIGSTOP of the primary, esdr vs HAProxy, 5 runs each"
	$(GO) run ./bench/failover
	@echo "== 3/5 bench/detect: kill -9, a hung master (no failover wanted), 2 of 3 nodes hung (quorum lost) → esdr's decision, 5 runs each"
	$(GO) run ./bench/detect
	@echo "== 4/5 bench/fleet: three esdr members over etcd: leader kill -9 → takeover, switchover skew between proxies, session TTL 3s and 10s"
	$(GO) run ./bench/fleet
	@echo "== 5/5 bench/mirror: indexing direct vs esdr mirror off vs on (single and _bulk, 8 and 32 workers), replication lag under load"
	$(GO) run ./bench/mirror
	@echo "== make bench: done, results in docs/benchmarks.md"

# The fault campaign. SEED=N replays that one run (its history kept, docs untouched);
# otherwise RUNS runs from a clock seed, written to docs/reliability.md. ENGINE, FAMILIES,
# TOPOLOGY (embedded, or fleet: three members over a 3-member etcd), MIRROR=1 (mirror mode).
ENGINE ?= opensearch2
TOPOLOGY ?= embedded
RUNS ?= 105
chaos: install build ## the fault campaign on real clusters, checked against six invariants, written to docs/reliability.md (SEED=N replays one run)
	$(GO) run ./bench/chaos -engine $(ENGINE) -topology $(TOPOLOGY) $(if $(MIRROR),-mirror) $(if $(FAMILIES),-families $(FAMILIES)) \
		$(if $(SEED),-seed $(SEED) -runs 1 -keep -o '',-runs $(RUNS))

lambda-zip: ## bin/esdr-lambda-{x86_64,arm64}.zip: the Lambda's bootstrap for provided.al2023 (see docs/aws.md)
	@set -e; for arch in x86_64:amd64 arm64:arm64; do \
		dir=bin/lambda/$${arch%%:*}; mkdir -p $$dir; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$${arch##*:} $(GO) build -trimpath -tags lambda.norpc -ldflags='-s -w' -o $$dir/bootstrap ./cmd/esdr-lambda; \
		rm -f bin/esdr-lambda-$${arch%%:*}.zip; (cd $$dir && zip -q -X ../../esdr-lambda-$${arch%%:*}.zip bootstrap); \
		echo "bin/esdr-lambda-$${arch%%:*}.zip"; \
	done

clean: ## build output and the test bed's state (stops its clusters first)
	-@[ -x bin/testbed ] && bin/testbed down --dir .testbed >/dev/null 2>&1; true
	rm -rf bin .testbed
