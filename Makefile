# pkgdriver. `make test` is what CI runs (through .ci/run); `make run` runs the main job.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin/pkgdriver
# The toolchain's base image: made locally with debootstrap (no registry needed).
BASE_IMAGE ?= pkgdriver/debian:bookworm
# Built-in default job: the built-in recipes against a local OSv checkout (OSV_SRC) or, when it
# is empty, OSv cloned from its upstream repository.
OSV_SRC   ?=
RUN_ARGS  ?=

.PHONY: all build test unit vet docs fuzz engine base-image kubernetes kubernetes-down run bench clean

all: build

# A static binary: the same file runs on the host and, as `capstan`, in any Linux container.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

# Unit and integration tests; the integration tests need an engine (make engine base-image).
test: vet
	$(GO) test -count=1 -timeout 60m ./...

unit:
	$(GO) test -count=1 -short ./...

# docs/cli.md, docs/pkgdriver.1 and the README's environment table, made from the command
# definitions; TestGeneratedDocs (in make test and make unit) fails when they are stale.
docs:
	$(GO) test -count=1 -run '^TestGeneratedDocs$$' . -update

# Brief fuzzing of every target with its seed corpus.
fuzz:
	./scripts/fuzz.sh 10s

engine:
	./scripts/ensure-engine.sh

base-image: engine
	./images/base/make-base-image.sh bookworm

# A real single-node Kubernetes cluster on this machine for the Kubernetes runner and its tests
# (scripts/ensure-kubernetes.sh; the first start builds its binaries, minutes; later ones take
# seconds), with the base image imported into it. kubernetes-down stops it and leaves nothing.
kubernetes: engine base-image
	./scripts/ensure-kubernetes.sh up $(BASE_IMAGE)

kubernetes-down:
	./scripts/ensure-kubernetes.sh down

run: build engine base-image
	./$(BIN) run --base-image $(BASE_IMAGE) $(if $(OSV_SRC),--osv-src $(OSV_SRC)) $(RUN_ARGS)

# Benchmarks against baselines measured in the same run (issue 7): prints the table and writes
# bench/results.json. About 20 minutes; BENCH_ARGS=-quick for a smoke run of a few minutes.
BENCH_ARGS ?=
bench: engine base-image
	$(GO) run ./bench -out bench/results.json $(BENCH_ARGS)

clean:
	rm -rf bin
