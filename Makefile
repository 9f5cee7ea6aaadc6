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

wine: $(WINE_DIR)/go_windows_amd64_exec $(WINE_DIR)/bcryptprimitives.dll $(if $(MOCK_SRC),$(WINE_DIR)/computecore.dll)

$(WINE_DIR)/go_windows_amd64_exec: internal/winetest/go_windows_amd64_exec
	@mkdir -p $(@D)
	cp $< $@

$(WINE_DIR)/bcryptprimitives.dll: internal/winetest/shim/bcryptprimitives.c internal/winetest/shim/bcryptprimitives.def
	@mkdir -p $(@D)
	$(MINGW_CC) $(MINGW_CFLAGS) -shared -o $@ $^ -lbcrypt

$(WINE_DIR)/computecore.dll: $(MOCK_SRC) $(MOCK_HDR) internal/winetest/mock/computecore.def
	@mkdir -p $(@D)
	$(MINGW_CC) $(MINGW_CFLAGS) -shared -o $@ $(MOCK_SRC) internal/winetest/mock/computecore.def

clean:
	-PATH="$(WINE_DIR):$$PATH" WINEPREFIX=$(WINE_DIR)/prefix wineserver -k 2>/dev/null
	rm -rf .build
