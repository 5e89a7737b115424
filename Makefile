# esdr: see DEVELOPERS.md for what each target is for.
SHELL := /usr/bin/env bash
GO ?= go
export ESDR_REPO_ROOT := $(CURDIR)

.PHONY: build install test test-short vet fmt-check demo bench clean

build: ## bin/esdr, bin/testbed and every other command
	@mkdir -p bin
	$(GO) build -o bin/ ./cmd/...

install: ## Debian packages and the test bed's engine jars (idempotent)
	scripts/install.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Test binaries compile in parallel (the first command only builds), then run one at a
# time: packages that start JVM clusters must not compete for the two cores.
test: install vet fmt-check ## every test, against the real peers
	$(GO) test -race -count=1 -run '^$$' ./... >/dev/null
	$(GO) test -race -count=1 -p 1 -timeout 28m ./...

test-short: ## pure unit tests, no peers
	$(GO) test -race -short ./...

demo: install build ## esdr's main job end to end: two local clusters, the proxy, a kill, a report (KEEP=1 leaves them running)
	$(GO) build -o bin/esdr-demo ./demo
	bin/esdr-demo $(if $(KEEP),--keep)

bench:
	@echo "make bench arrives with the proxy issue (#4)"; exit 1

clean: ## build output and the test bed's state (stops its clusters first)
	-@[ -x bin/testbed ] && bin/testbed down --dir .testbed >/dev/null 2>&1; true
	rm -rf bin .testbed
