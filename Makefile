# casetrail: thin wrapper over Meson and Ninja.
#
#   make          build build/casetrail
#   make run      create ./var/casetrail if missing and serve it on 127.0.0.1:8080
#   make test     build and run every test
#   make soak     long crash campaign (kill -9 rounds)
#   make bench    ledger, HTTP API, media and access benchmarks (print figures)
#
# Every target first installs missing Debian packages (scripts/install-deps).

BUILD ?= build
STORE ?= var/casetrail
LISTEN ?= 127.0.0.1:8080
SOAK_ROUNDS ?= 2000

.PHONY: all deps run test soak bench clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD)

run: all
	@if [ ! -f $(STORE)/config.json ]; then \
		mkdir -p $(dir $(STORE)) && \
		$(BUILD)/casetrail init --dir $(STORE); \
	fi
	$(BUILD)/casetrail serve --dir $(STORE) --listen $(LISTEN)

test: all
	@scripts/run-tests $(BUILD)

soak: all
	CASETRAIL_BUILD=$(CURDIR)/$(BUILD) tests/crash/soak $(SOAK_ROUNDS)

bench: all
	bench/ledger --build $(BUILD)
	bench/api --build $(BUILD)
	bench/media --build $(BUILD)
	bench/access --build $(BUILD)

clean:
	rm -rf $(BUILD)
