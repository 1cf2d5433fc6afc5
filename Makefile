# nlkit: the one place the project's commands live.
MODULES      := core route genl netfilter cmd bench
GO           ?= go
FUZZTIME     ?= 20s
BENCHCOUNT   ?= 6
STATICCHECK  := honnef.co/go/tools/cmd/staticcheck@v0.6.1
# Debian packages the tests compare against or drive.
TEST_PKGS    := iproute2 ethtool conntrack iptables nftables

.PHONY: run test deps vet lint bench fuzz build clean

## run: build the CLI and show the SDK at work in a throwaway namespace
run:
	$(GO) build -o bin/nlkit ./cmd/nlkit
	./bin/nlkit demo

## deps: install the tools the tests need (as root, when missing)
deps:
	@missing=""; \
	command -v ip >/dev/null 2>&1 || missing="$$missing iproute2"; \
	command -v genl >/dev/null 2>&1 || missing="$$missing iproute2"; \
	command -v ethtool >/dev/null 2>&1 || missing="$$missing ethtool"; \
	command -v conntrack >/dev/null 2>&1 || missing="$$missing conntrack"; \
	command -v iptables-legacy >/dev/null 2>&1 || missing="$$missing iptables"; \
	command -v nft >/dev/null 2>&1 || missing="$$missing nftables"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "missing:$$missing (run as root to install)"; fi; \
	fi

## test: install what the tests need, then run every module's tests (race detector, namespace tests, fuzz seeds)
test: deps
	@set -e; for m in $(MODULES); do \
		echo "== $$m"; \
		(cd $$m && $(GO) vet ./... && $(GO) test -race -count=1 ./...); \
	done

## build: compile everything
build:
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) build ./...); done

## lint: gofmt, go vet, staticcheck over every module
lint:
	@test -z "$$(gofmt -l $(MODULES))" || { gofmt -l $(MODULES); exit 1; }
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...); done

## bench: the side-by-side benchmarks (see docs/performance.md)
bench:
	cd bench && $(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) -timeout 60m . | tee bench.out

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for m in $(MODULES); do \
		for pkg in $$(cd $$m && $(GO) list ./...); do \
			for f in $$(cd $$m && $(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
				echo "== $$pkg $$f"; (cd $$m && $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg); \
			done; \
		done; \
	done

clean:
	rm -rf bin bench/bench.out
