# Tocsin — build, test and try it.
#   make demo   install what is missing, build, run a drill and a live send against a local receiver
#   make test   the whole test suite (what CI runs)

SWIFT ?= swift
SWIFT_FLAGS ?=
BIN_DIR = $(shell $(SWIFT) build $(SWIFT_FLAGS) --show-bin-path 2>/dev/null)

.PHONY: all deps build test demo completions man clean

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

# Shell completions and man pages, generated from the CLI definition itself.
completions: build
	mkdir -p .build/completions
	for shell in bash zsh fish; do "$(BIN_DIR)/tocsinctl" --generate-completion-script $$shell > .build/completions/tocsinctl.$$shell; done

man: deps
	$(SWIFT) package --allow-writing-to-directory .build/man generate-manual --product tocsinctl --output-directory .build/man

clean:
	rm -rf .build
