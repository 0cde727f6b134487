# ikev2ref — build, test and measurement entry points. `make help` lists them.
SHELL := /bin/bash
GO ?= go
export PATH := $(PATH):/usr/local/go/bin
FUZZTIME ?= 60s
BENCHTIME ?= 1s
# Every fuzz target in the tree, as dir:Name (fuzz/ holds the codec and SK
# targets; a package may keep a target beside its own internals).
FUZZ_TARGETS = $(shell grep -o '^func Fuzz[A-Za-z0-9_]*' $$(git ls-files '*_test.go' 2>/dev/null || find . -name '*_test.go') | sed -E 's#^(.*)/[^/]*_test.go:func #./\1:#')

.PHONY: help run dump test vet fmt-check unit fuzz bench bench-load bench-tunnel interop trace model conform build deps

help:
	@echo "make run      start the reference server (refserver) on its embedded default config"
	@echo "make test     go vet, gofmt check, unit/property tests, fuzz seed corpora"
	@echo "make fuzz     run every fuzz target for FUZZTIME (default 60s) each"
	@echo "make bench    run the benchmarks (BENCHTIME, default 1s); figures go to docs/perf.md"
	@echo "make bench-load  handshake rate: ikeload against refserver and charon, same run (root)"
	@echo "make bench-tunnel  iperf3 through the tunnel: refserver and charon pairs, same run (root)"
	@echo "make interop  strongSwan charon against cmd/refserver in network namespaces (root, ~7 min)"
	@echo "make trace    regenerate docs/rfc-trace and check every cited requirement ID against spec/catalogue"
	@echo "make conform  the conformance suite against refserver: report in conform-out/report.html"
	@echo "make model    run the model's explorer over every scenario (figures for docs/model.md), regenerate docs/model exports"

build:
	$(GO) build ./...

# The main job: the reference server on its embedded default configuration
# (a PSK responder on 127.0.0.1, UDP 500/4500); it prints how to reach it.
# Ports 500/4500 need root; as another user, pass e.g.
# `make run ARGS="--ike-port 5500 --natt-port 5501"`.
run:
	$(GO) run ./cmd/refserver $(ARGS)

dump:
	$(GO) run ./cmd/ikedump -v --ikev2-keys testdata/captures/wireshark/ikev2_decryption_table \
		testdata/captures/wireshark/ikev2-decrypt-aes256cbc.pcapng

# As root (CI), `make test` also runs the strongSwan interop suite (./interop, part
# of go test ./...) after installing its Debian packages; elsewhere it skips loudly.
test: deps vet fmt-check unit

deps:
	@if [ "$$(id -u)" = 0 ]; then bash interop/install-deps.sh; \
	else echo "make test: not root: interop packages not installed, interop scenarios will SKIP (sudo interop/install-deps.sh)"; fi

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# go test runs every fuzz target's seed corpus (f.Add and fuzz/testdata) too.
unit:
	$(GO) test -count=1 -timeout 25m ./...

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		dir=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name in $$dir ($(FUZZTIME))"; \
		$(GO) test $$dir -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME); \
	done

bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./impl/...

# Responder handshake rates, refserver against strongSwan's charon in the same
# run (network namespaces; root). LOAD_COUNT and LOAD_CONCURRENCY change the run.
bench-load: deps
	IKEV2REF_LOADBENCH=1 IKEV2REF_LOAD_COUNT=$(or $(LOAD_COUNT),2000) IKEV2REF_LOAD_CONCURRENCY=$(or $(LOAD_CONCURRENCY),64) \
		$(GO) test -count=1 -v -timeout 20m -run 'TestLoadBenchmark' ./interop

# TCP throughput through the tunnel (iperf3): refserver <-> refserver (raw ESP
# and ESP in UDP), charon <-> refserver, charon <-> charon, in the same run
# (network namespaces; root). TUNNEL_SECONDS per direction, TUNNEL_ESP the suites.
bench-tunnel: deps
	IKEV2REF_TUNNELBENCH=1 IKEV2REF_TUNNELBENCH_SECONDS=$(or $(TUNNEL_SECONDS),5) \
		IKEV2REF_TUNNELBENCH_ESP=$(or $(TUNNEL_ESP),aes128gcm16,aes256-sha256) \
		$(GO) test -count=1 -v -timeout 20m -run 'TestTunnelBenchmark' ./interop

interop: deps
	$(GO) test -count=1 -v -timeout 20m ./interop/...

# docs/rfc-trace (requirement -> code -> tests -> status) regenerated from
# spec/catalogue, the requirement IDs cited in .go and .feature files and
# spec/status (status, paraphrase and detail of every row); then every cited ID
# checked against the catalogue, spec/status validated and the generated files
# compared with a fresh run.
# The model: every scenario explored (states, depth, seconds: docs/model.md),
# then the DOT and Promela exports regenerated. make test runs the same
# explorer, the seeded bugs, spin and the lockstep test.
model:
	$(GO) run ./model/cmd/explore
	$(GO) run ./model/cmd/modelexport -out docs/model

# The conformance suite (conformance/, cmd/ikeconform) against refserver on
# 127.0.0.1: report.html, report.json, junit.xml and per case pcap, key table
# and log in conform-out/. Against another IUT: go run ./cmd/ikeconform run ...
conform:
	IKEV2REF_CONFORMANCE_OUT=$(CURDIR)/conform-out $(GO) test -count=1 -run '^TestReportRefserver$$' -v ./conformance/ | tail -3
	@echo "make conform: open conform-out/report.html"

trace:
	$(GO) run ./spec/cmd/rfctrace -root . -out docs/rfc-trace
	$(GO) test -count=1 -run 'TestCodeReferencesExist|TestStatusFiles|TestTraceUpToDate' -v ./spec
