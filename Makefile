# anycast-lab: `make lab` and `make test` do all the set-up on a fresh Debian machine.
#
# Invoked by a normal user with sudo, builds run as that user (node_modules and
# dist stay theirs) and only what needs root is elevated: apt-get, and the lab
# and the namespace tests themselves.

SHELL := /bin/bash
ROOT_PREFIX := $(shell [ "$$(id -u)" = 0 ] || echo sudo -E)
NODE := node
TOPOLOGY ?= topologies/anycast-basic.yaml

# Debian packages the project needs (command → package), checked one by one.
APT_PACKAGES := iproute2 ethtool tcpdump tshark bird2 frr iperf3 traceroute \
  netsniff-ng python3 python3-scapy mininet bridge-utils graphviz iputils-ping dnsutils procps psmisc \
  build-essential

.PHONY: setup deps build test test-unit test-e2e lab bench clean lab-clean

setup: deps node_modules/.installed

deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "*** installing Debian packages:" $$missing; \
	  $(ROOT_PREFIX) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(ROOT_PREFIX) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

node_modules/.installed: package.json package-lock.json $(wildcard binding.gyp src/dataplane/native/* src/router/native/*)
	npm ci --no-audit --no-fund
	@touch $@

build: setup
	npx tsc -p tsconfig.json

# Unit tests first, then the namespace tests one file at a time (their time
# bounds must not compete with the unit suite for the two cores).
test: build
	npx vitest run --project unit
	$(ROOT_PREFIX) npx vitest run --project e2e

test-unit: build
	npx vitest run --project unit

test-e2e: build
	$(ROOT_PREFIX) npx vitest run --project e2e

lab: build
	$(ROOT_PREFIX) $(NODE) dist/lab/cli.js up $(TOPOLOGY) --cli

bench: build
	$(ROOT_PREFIX) $(NODE) --expose-gc dist/bench/run.js

lab-clean:
	$(ROOT_PREFIX) $(NODE) dist/lab/cli.js clean

clean:
	rm -rf dist build node_modules/.installed
