# tagbump — see README.md. Every target works on a fresh machine with Go and git.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X github.com/tagbump/tagbump/internal/cli.version=$(VERSION) \
           -X github.com/tagbump/tagbump/internal/cli.commit=$(COMMIT) \
           -X github.com/tagbump/tagbump/internal/cli.date=$(DATE)
FUZZTIME ?= 20s

.PHONY: build demo test deps lint actionlint mutate fuzz fuzz-short bench bench-go bench-e2e bench-set bench-memory clean docs check-docs image reliability

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/tagbump ./cmd/tagbump

demo:
	@bash scripts/demo.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# test installs what the tests need first (scripts/ci-deps.sh: git, sshd,
# the distribution registry, GnuPG, a Gitea build; quick when all are
# there), then runs every test CI runs: with TAGBUMP_TEST_STRICT=1 a
# missing server fails its tests instead of skipping them.
test: deps lint actionlint
	TAGBUMP_TEST_STRICT=1 $(GO) test -count=1 -timeout 45m ./...

deps:
	@bash scripts/ci-deps.sh

# actionlint checks action.yml's steps and the example workflows in
# ci-templates/github (their tagbump inputs against action.yml).
ACTIONLINT ?= $(GO) run github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
actionlint:
	$(GO) run ./scripts/actionlint $(ACTIONLINT)

# mutate runs gremlins (mutation testing) over the packages whose tests
# must catch broken code and prints the efficacy of each; too slow for CI.
# MUTATE_PKGS narrows it, e.g. MUTATE_PKGS=pkg/values.
GREMLINS ?= $(GO) run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
mutate:
	GREMLINS='$(GREMLINS)' bash scripts/mutate.sh $(MUTATE_PKGS)

# reliability runs the fault, bad-input and secrets suites (50 concurrent
# bumps) and the txtar scripts under the secrets check, then prints the table.
RELTESTS := TestFault.*|TestConcurrentBumpsUnderFaults|TestBumpContention|TestBadInput|TestSecretsCanary|TestLeakScanner|TestScript
reliability:
	@log=$$(mktemp); \
	TAGBUMP_RELIABILITY_LOG=$$log TAGBUMP_RELIABILITY_FULL=1 $(GO) test -count=1 -timeout 30m -run '^($(RELTESTS))$$' ./internal/cli/ ./internal/testenv/; rc=$$?; \
	$(GO) run ./scripts/reliability $$log; rc2=$$?; rm -f $$log; exit $$((rc | rc2))

# fuzz-short runs every fuzz target briefly (CI); fuzz runs them until stopped.
fuzz-short:
	@bash scripts/fuzz.sh $(FUZZTIME)

fuzz:
	@bash scripts/fuzz.sh 0

# bench runs the Go microbenchmarks, `tagbump set` against `yq -i`, then the
# end-to-end harness of issue 7 (scripts/bench: generated repos cached in
# .cache/bench; BENCHFLAGS=-quick for a smoke run).
bench: bench-go bench-set bench-e2e

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-e2e:
	$(GO) run ./scripts/bench $(BENCHFLAGS)

# docs regenerates the CLI reference in docs/cli; check-docs fails when it is
# stale, then runs every sh/bash example of README.md and docs/guides against
# loopback servers (scripts/checkdocs; `<!-- check-docs: skip (reason) -->`
# before a block marks one that needs a real host).
docs:
	$(GO) run ./scripts/gendocs

check-docs: build
	$(GO) run ./scripts/gendocs -check
	$(GO) run ./scripts/checkdocs -bin bin/tagbump

# image assembles the container image as an OCI layout in bin/image (no Docker needed).
image:
	$(GO) run ./scripts/image -out bin/image -version $(VERSION) -commit $(COMMIT) -date $(DATE)

# bench-memory reports peak RSS and time of `tagbump set` and `bump --dry-run`
# on the worst values files the size and node limits let through (issue 29).
bench-memory:
	$(GO) run ./scripts/bench-memory

# bench-set times `tagbump set` against `yq -i` on a 2 MB file (whole processes).
bench-set:
	@bash scripts/bench-set.sh

clean:
	rm -rf bin
