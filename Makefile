# Tocsin — build, test and try it.
#   make demo   install what is missing, build, run a drill and a live send against a local receiver
#   make test   the whole test suite (what CI runs)

SWIFT ?= swift
SWIFT_FLAGS ?=
BIN_DIR = $(shell $(SWIFT) build $(SWIFT_FLAGS) --show-bin-path 2>/dev/null)

.PHONY: all deps build test demo clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

test: deps
	$(SWIFT) build $(SWIFT_FLAGS) --build-tests
	TOCSIN_BIN_DIR="$(BIN_DIR)" $(SWIFT) test $(SWIFT_FLAGS) --skip-build

demo: build
	@TOCSIN_BIN_DIR="$(BIN_DIR)" scripts/demo.sh

clean:
	rm -rf .build
