# make test runs everything CI checks, in order, each stage named and timed.
# make wine builds the pieces that run Windows test binaries under Wine.

SHELL := /bin/bash
GO ?= go
REF ?= ../shared/hcs-reference

WINE_DIR := $(CURDIR)/.build/wine
MINGW_CC ?= x86_64-w64-mingw32-gcc
MINGW_CFLAGS := -O2 -Wall -Wextra -Werror -std=c11 -Wl,--no-insert-timestamp
MOCK_SRC := $(sort $(wildcard internal/winetest/mock/*.c))
MOCK_HDR := $(sort $(wildcard internal/winetest/mock/*.h))

# Go tools pinned in go.mod, built for this machine: `go tool X` would build
# them for GOOS=windows when the Windows stages set it.
BIN_DIR := $(CURDIR)/.build/bin
GOTESTSUM := $(BIN_DIR)/gotestsum --format pkgname-and-test-fails --format-hide-empty-pkg
STATICCHECK := $(BIN_DIR)/staticcheck
# stage NAME, COMMAND: run COMMAND, print its duration, stop make on failure.
stage = @printf '\n==> %s\n' '$(1)'; start=$$(date +%s); ( $(2) ) || { printf '==> FAILED: %s\n' '$(1)'; exit 1; }; printf '==> %s: ok in %ss\n' '$(1)' $$(( $$(date +%s) - start ))

WINDOWS_ENV := PATH="$(WINE_DIR):$$PATH" GOOS=windows GOARCH=amd64

.PHONY: test fmt vet staticcheck generate test-linux test-windows test-windows-race wine tools clean

test: fmt vet staticcheck generate test-linux test-windows test-windows-race

fmt:
	$(call stage,gofmt,out=$$(gofmt -l . | grep -v '^.build/' || true); if [ -n "$$out" ]; then echo "not gofmt'd:"; echo "$$out"; exit 1; fi)

vet:
	$(call stage,go vet linux/amd64,GOOS=linux GOARCH=amd64 $(GO) vet ./...)
	$(call stage,go vet windows/amd64,GOOS=windows GOARCH=amd64 $(GO) vet ./...)
	$(call stage,go vet windows/arm64,GOOS=windows GOARCH=arm64 $(GO) vet ./...)

staticcheck: tools
	$(call stage,staticcheck linux,GOOS=linux $(STATICCHECK) ./...)
	$(call stage,staticcheck windows,GOOS=windows $(STATICCHECK) ./...)

# mkwinsyscall only runs on Windows: the second pass runs it under Wine.
generate: wine
	$(call stage,go generate + diff,$(GO) generate ./... && $(WINDOWS_ENV) $(GO) generate ./internal/computecore && git diff --exit-code && test -z "$$(git status --porcelain --untracked-files=all -- . ':!.build')" || { git status --short; exit 1; })

test-linux: tools
	$(call stage,linux tests (-race),$(GOTESTSUM) -- -race -count=1 ./...)

test-windows: wine tools
	$(call stage,windows/amd64 tests under Wine,$(WINDOWS_ENV) $(GOTESTSUM) -- -count=1 ./...)

test-windows-race: wine tools
	$(call stage,windows/amd64 tests under Wine (-race),$(WINDOWS_ENV) CGO_ENABLED=1 CC=$(MINGW_CC) $(GOTESTSUM) -- -race -count=1 ./...)

tools:
	@mkdir -p $(BIN_DIR)
	GOOS= GOARCH= $(GO) build -o $(BIN_DIR)/ honnef.co/go/tools/cmd/staticcheck gotest.tools/gotestsum

wine: $(WINE_DIR)/go_windows_amd64_exec $(WINE_DIR)/bcryptprimitives.dll $(if $(MOCK_SRC),$(WINE_DIR)/computecore.dll) $(WINE_DIR)/decoy/computecore.dll

$(WINE_DIR)/go_windows_amd64_exec: internal/winetest/go_windows_amd64_exec
	@mkdir -p $(@D)
	cp $< $@

$(WINE_DIR)/bcryptprimitives.dll: internal/winetest/shim/bcryptprimitives.c internal/winetest/shim/bcryptprimitives.def
	@mkdir -p $(@D)
	$(MINGW_CC) $(MINGW_CFLAGS) -shared -o $@ $^ -lbcrypt

$(WINE_DIR)/computecore.dll: $(MOCK_SRC) $(MOCK_HDR) internal/winetest/mock/computecore.def
	@mkdir -p $(@D)
	$(MINGW_CC) $(MINGW_CFLAGS) -shared -o $@ $(MOCK_SRC) internal/winetest/mock/computecore.def

# The decoy of the DLL search test (security_windows_test.go). It lives in a
# subfolder: the harness installs only the DLLs at the top of WINE_DIR.
$(WINE_DIR)/decoy/computecore.dll: internal/winetest/decoy/computecore.c
	@mkdir -p $(@D)
	$(MINGW_CC) $(MINGW_CFLAGS) -shared -o $@ $<

clean:
	-PATH="$(WINE_DIR):$$PATH" WINEPREFIX=$(WINE_DIR)/prefix wineserver -k 2>/dev/null
	rm -rf .build

# ---- evidence (issue 9): fuzzing, benchmarks, stress --------------------
# None of these run in make test. Plain go test runs the fuzz seeds and the
# reduced stress tests; these targets run the long versions.

.PHONY: fuzz bench stress

FUZZTIME ?= 60s
FUZZFLAGS ?=
FUZZ_PKGS ?= ./...
FUZZ_LOG := $(CURDIR)/.build/fuzz.log

# fuzz runs every fuzz target of the packages FUZZ_PKGS for FUZZTIME each, then
# prints the last progress line (elapsed time, execs) of each.
fuzz:
	@mkdir -p $(dir $(FUZZ_LOG)); : >$(FUZZ_LOG); set -e; \
	for pkg in $$($(GO) list $(FUZZ_PKGS)); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			printf '\n==> fuzz %s %s for %s\n' $$pkg $$t $(FUZZTIME) | tee -a $(FUZZ_LOG); \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) 2>&1 | tee -a $(FUZZ_LOG); \
			test $${PIPESTATUS[0]} -eq 0; \
		done; \
	done; \
	printf '\n==> fuzz summary\n'; grep -E '^==> fuzz |elapsed: [0-9]' $(FUZZ_LOG) | awk '/^==> fuzz /{if (last) print last; printf "%s %s: ", $$3, $$4; last=""; next} {last=$$0} END{if (last) print last}'

# bench runs the benchmarks of BENCHMARKS.md, BENCH_COUNT times each (the
# thread benchmark once: it takes minutes under Wine), and summarises them
# with benchstat, or prints the raw lines when benchstat cannot be fetched.
BENCH_COUNT ?= 6
BENCH_LOG := $(CURDIR)/.build/bench.txt
BENCHSTAT ?= GOOS= GOARCH= $(GO) run golang.org/x/perf/cmd/benchstat@latest

bench: wine
	@mkdir -p $(dir $(BENCH_LOG)); : >$(BENCH_LOG)
	$(call stage,overhead per operation (hcssim),$(GO) test ./hcssim -run '^$$' -bench '^BenchmarkOverhead$$' -benchmem -count $(BENCH_COUNT) | tee -a $(BENCH_LOG))
	$(call stage,events,$(GO) test . -run '^$$' -bench '^BenchmarkEvent' -benchmem -count $(BENCH_COUNT) | tee -a $(BENCH_LOG))
	$(call stage,schema,$(GO) test ./schema -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) | tee -a $(BENCH_LOG))
	$(call stage,hcs list over 1000 systems,$(GO) test ./cmd/hcs -run '^$$' -bench '^BenchmarkList1000$$' -benchmem -count $(BENCH_COUNT) | tee -a $(BENCH_LOG))
	$(call stage,threads under load (Wine),$(WINDOWS_ENV) $(GO) test . -run '^$$' -bench '^BenchmarkThreads$$' -benchtime 1x -count 1 -v | tee -a $(BENCH_LOG))
	@printf '\n==> summary\n'; $(BENCHSTAT) $(BENCH_LOG) 2>/dev/null || grep -E '^(Benchmark|    bench_)' $(BENCH_LOG)

# stress runs the full stress test (10,000 cycles across 200 goroutines) on
# the simulator with -race and on the mock DLL under Wine with checkptr, and
# the FFI's tests with checkptr.
stress: wine
	$(call stage,stress on the simulator (-race),$(GO) test . -race -run '^TestStress' -count=1 -v -stress.full)
	$(call stage,stress on the mock under Wine (checkptr),$(WINDOWS_ENV) $(GO) test . -gcflags=all=-d=checkptr -run '^TestStress' -count=1 -v -stress.full)
	$(call stage,internal/computecore under Wine (checkptr),$(WINDOWS_ENV) $(GO) test ./internal/computecore -gcflags=all=-d=checkptr -count=1)
