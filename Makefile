# Tocsin — build, test and try it.
#   make demo   install what is missing, build, run a drill and a live send against a local receiver
#   make test   the whole test suite (what CI runs)
#   make faults the fault suite at full size (RELIABILITY.md)

SWIFT ?= swift
SWIFT_FLAGS ?=
BIN_DIR = $(shell $(SWIFT) build $(SWIFT_FLAGS) --show-bin-path 2>/dev/null)

# Install layout; `make install PREFIX=/usr/local DESTDIR=/tmp/stage` stages a package.
PREFIX ?= /usr
SYSCONFDIR ?= /etc
DESTDIR ?=
UNITDIR ?= $(PREFIX)/lib/systemd/system
# Release binaries carry the Swift runtime and Foundation inside (--static-swift-stdlib): nothing Swift to install
# on the server, and `tocsinctl` starts in ~5 ms instead of ~8 (no shared Foundation/ICU to load and relocate),
# which is most of the gap to curl in the time-to-notify benchmark (BENCHMARKS.md). They are built in their own
# scratch folder, which `make release`, `make install` and `make bench` share.
#
# The release link (BENCHMARKS.md, "Idle RSS"): every function in a section of its own, and lld placing first the
# ones that start-up, a send and `tocsinctl` run (scripts/release/tocsin.order, written by `make order`), so that the
# code a daemon runs sits together instead of across the binary's 30 MB; no export of every Swift symbol (what the
# static standard library's link asks for: ~45,000 symbols for the loader to hash at each start); the relative
# relocations packed (RELR, glibc 2.36 and later).
RELEASE_SCRATCH = .build-release
ORDER_FILE = $(CURDIR)/scripts/release/tocsin.order
PRIVATE_TEXT_SCRIPT = $(CURDIR)/scripts/release/private-text.ld
# Flags that change the objects (a change rebuilds them all, see `release`), then the link's own.
RELEASE_OBJECT_FLAGS = -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections
RELEASE_FLAGS = -c release --static-swift-stdlib --scratch-path $(RELEASE_SCRATCH) $(RELEASE_OBJECT_FLAGS) \
	-Xswiftc -use-ld=lld -Xlinker --no-export-dynamic -Xlinker -z -Xlinker pack-relative-relocs \
	-Xlinker --symbol-ordering-file=$(ORDER_FILE) -Xlinker --no-warn-symbol-ordering \
	-Xlinker --script=$(PRIVATE_TEXT_SCRIPT)
RELEASE_BIN = $(shell $(SWIFT) build $(RELEASE_FLAGS) --show-bin-path 2>/dev/null)
# What `install-files` copies from: release binaries, unless told otherwise (the tests use debug ones).
INSTALL_BIN_DIR ?= $(RELEASE_BIN)

.PHONY: all deps build test demo completions man release install install-files install-man uninstall clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

# After the run, scripts/run-tests.sh ends every process the tests started and left running (a crashed run leaves
# its daemons). If the test process crashes, the crashed thread's frames come last in the log, where CI's shortened
# copy keeps them: by default its registers and the list of loaded images came after them and pushed them out.
TEST_BACKTRACE ?= enable=yes,threads=crashed,registers=none,images=none,limit=48,top=8

# Imports are checked against Package.swift first (a clean clone's parallel build would fail on one, minutes in).
# The man pages are generated first: HelpTests lints them with `man --warnings -l`.
test: deps
	python3 scripts/check-target-imports.py
	$(SWIFT) build $(SWIFT_FLAGS) --build-tests
	$(MAKE) --no-print-directory man
	SWIFT_BACKTRACE="$(TEST_BACKTRACE)" TOCSIN_BIN_DIR="$(BIN_DIR)" scripts/run-tests.sh $(SWIFT) test $(SWIFT_FLAGS) --skip-build

demo: build
	@TOCSIN_BIN_DIR="$(BIN_DIR)" scripts/demo.sh

# The benchmark (see BENCHMARKS.md): release binaries in their own scratch folder, nginx on 127.0.0.1 as the receiver.
#   make bench                      10 runs each, rewrites the table in BENCHMARKS.md
#   make bench BENCH_ARGS=--tiny    once each with tiny sizes (what the smoke test runs)
BENCH_ARGS ?=
.PHONY: bench
bench: release
	python3 scripts/bench/bench.py --bin-dir "$(RELEASE_BIN)" $(BENCH_ARGS)

# The fault suite's full run (RELIABILITY.md): TOCSIN_FAULTS_FULL=1 makes the crash test kill tocsind ≥ 20 times
# (`make test` runs a reduced pass of 3). TOCSIN_FAULTS_SEED=N replays a crash run's random moments.
#   make faults                          every fault suite, full size
#   make faults FAULTS_FILTER=CrashTests  one suite
FAULTS_FILTER ?= CrashTests|StorageFaultTests|AccessFaultTests|ReceiverFault|HostileSocket|SecretScan|HostileValue
.PHONY: faults
faults: deps
	$(SWIFT) build $(SWIFT_FLAGS) --build-tests
	TOCSIN_FAULTS_FULL=1 TOCSIN_BIN_DIR="$(BIN_DIR)" scripts/run-tests.sh $(SWIFT) test $(SWIFT_FLAGS) --skip-build --filter '$(FAULTS_FILTER)'

# Shell completions, written by tocsinctl itself (ArgumentParser). Their template ids, incident ids, channel names
# and allowed values are asked from the daemon at each TAB (Sources/tocsinctl/Completion.swift).
# Each shell's script is checked non-empty: a loop's failure in a middle pass would otherwise go unnoticed.
COMPLETIONS_DIR = .build/completions
completions: build
	mkdir -p $(COMPLETIONS_DIR)
	for shell in bash zsh fish; do \
		"$(BIN_DIR)/tocsinctl" --generate-completion-script $$shell > $(COMPLETIONS_DIR)/tocsinctl.$$shell \
			&& [ -s $(COMPLETIONS_DIR)/tocsinctl.$$shell ] || exit 1; done

# Man pages for both programs, by ArgumentParser's generate-manual plugin (it resolves offline: it is part of the
# argument-parser checkout) over the debug build, which it brings up to date itself. The plugin writes into its own
# work folder; the pages are copied to MAN_DIR and the target fails unless both are there and not empty.
MAN_DIR ?= .build/man
MAN_PAGES = tocsinctl.1 tocsind.1
MAN_PLUGIN_OUT = .build/plugins/GenerateManual/outputs
man: deps
	rm -rf "$(MAN_PLUGIN_OUT)"
	@# English pages (tocsinctl's help follows LC_ALL; C names no language): generate-manual drops every non-ASCII character, which
	@# would leave the French help without its accents ("par dfaut").
	LC_ALL=en_US.UTF-8 $(SWIFT) package generate-manual --configuration debug
	mkdir -p "$(MAN_DIR)"
	for page in $(MAN_PAGES); do \
		found=$$(find "$(MAN_PLUGIN_OUT)" -name "$$page" | head -n 1); \
		[ -s "$$found" ] || { echo "man: $$page was not generated (looked in $(MAN_PLUGIN_OUT))" >&2; exit 1; }; \
		cp "$$found" "$(MAN_DIR)/$$page" || exit 1; done
	@# tocsind has no subcommand, yet ArgumentParser's dump lists a `help` one (`tocsind help` is refused): drop it.
	sed -i -e '/^\.Ar subcommand$$/d' -e '/^\.It Em help$$/,/^\.El$$/d' "$(MAN_DIR)/tocsind.1"

# Installs the man pages of MAN_DIR; fails when one is missing, so `make install` never ends without them.
install-man:
	for page in $(MAN_PAGES); do \
		[ -s "$(MAN_DIR)/$$page" ] || { echo "install-man: $(MAN_DIR)/$$page is missing (make man)" >&2; exit 1; }; done
	install -d "$(DESTDIR)$(PREFIX)/share/man/man1"
	for page in $(MAN_PAGES); do install -m 0644 "$(MAN_DIR)/$$page" "$(DESTDIR)$(PREFIX)/share/man/man1/" || exit 1; done

# SwiftPM sees neither a frontend flag change (objects built before are kept, without function sections) nor the
# files the link reads: a stamp of the object flags clears the objects when they change, and binaries older than the
# order file or the linker script go (a link flag change alone only relinks).
release: deps
	@mkdir -p $(RELEASE_SCRATCH)
	@echo '$(RELEASE_OBJECT_FLAGS)' | cmp -s - $(RELEASE_SCRATCH)/release-object-flags || { \
		find $(RELEASE_SCRATCH) -name '*.o' -path '*/release/*' -delete; \
		echo '$(RELEASE_OBJECT_FLAGS)' > $(RELEASE_SCRATCH)/release-object-flags; }
	@bin="$(RELEASE_BIN)"; [ -n "$$bin" ] || { echo "release: swift build --show-bin-path failed" >&2; exit 1; }; \
	for binary in tocsind tocsinctl tocsin-web; do for input in "$(ORDER_FILE)" "$(PRIVATE_TEXT_SCRIPT)"; do \
		[ "$$bin/$$binary" -nt "$$input" ] || rm -f "$$bin/$$binary"; done; done
	$(SWIFT) build $(RELEASE_FLAGS)

# Rewrites scripts/release/tocsin.order from what the release binaries run (valgrind; see scripts/release/order.py).
.PHONY: order
order: release
	python3 scripts/release/order.py --bin-dir "$(RELEASE_BIN)"

# Binaries, units, sysusers/tmpfiles, example config (never over an existing one), completions, man pages, runbooks.
install: release man
	$(MAKE) install-files INSTALL_BIN_DIR="$(RELEASE_BIN)"
	$(MAKE) install-man

install-files:
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(PREFIX)/lib/sysusers.d" \
		"$(DESTDIR)$(PREFIX)/lib/tmpfiles.d" "$(DESTDIR)$(PREFIX)/share/doc/tocsin/runbooks" "$(DESTDIR)$(PREFIX)/share/doc/tocsin/monitoring" \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions" "$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions" \
		"$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d" "$(DESTDIR)$(SYSCONFDIR)/tocsin/templates" \
		"$(DESTDIR)$(SYSCONFDIR)/tocsin/recipients"
	install -m 0755 "$(INSTALL_BIN_DIR)/tocsind" "$(INSTALL_BIN_DIR)/tocsinctl" "$(INSTALL_BIN_DIR)/tocsin-web" "$(DESTDIR)$(PREFIX)/bin/"
	for unit in systemd/tocsind.service systemd/tocsind.socket systemd/tocsin-web.service; do \
		sed 's|/usr/bin/|$(PREFIX)/bin/|g' "$$unit" > "$(DESTDIR)$(UNITDIR)/$$(basename $$unit)" && chmod 0644 "$(DESTDIR)$(UNITDIR)/$$(basename $$unit)" || exit 1; done
	install -m 0644 systemd/tocsin.sysusers "$(DESTDIR)$(PREFIX)/lib/sysusers.d/tocsin.conf"
	install -m 0644 systemd/tocsin.tmpfiles "$(DESTDIR)$(PREFIX)/lib/tmpfiles.d/tocsin.conf"
	install -m 0644 runbooks/*.md "$(DESTDIR)$(PREFIX)/share/doc/tocsin/runbooks/"
	install -m 0644 docs/web-console.md "$(DESTDIR)$(PREFIX)/share/doc/tocsin/"
	@# The example alerting rules runbooks/monitoring.md points to, beside it as in the source tree.
	install -m 0644 monitoring/* "$(DESTDIR)$(PREFIX)/share/doc/tocsin/monitoring/"
	@# Completions from the installed binary itself; an empty script (a binary that cannot run here) fails the install.
	"$(INSTALL_BIN_DIR)/tocsinctl" --generate-completion-script bash > "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tocsinctl"
	"$(INSTALL_BIN_DIR)/tocsinctl" --generate-completion-script zsh > "$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_tocsinctl"
	"$(INSTALL_BIN_DIR)/tocsinctl" --generate-completion-script fish > "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/tocsinctl.fish"
	[ -s "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tocsinctl" ] && [ -s "$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_tocsinctl" ] \
		&& [ -s "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/tocsinctl.fish" ]
	@# The example config is a starting point: an administrator's own config is never overwritten.
	[ -e "$(DESTDIR)$(SYSCONFDIR)/tocsin/tocsin.yaml" ] || install -m 0640 config/tocsin.yaml "$(DESTDIR)$(SYSCONFDIR)/tocsin/tocsin.yaml"
	for template in config/templates/*.yaml; do \
		[ -e "$(DESTDIR)$(SYSCONFDIR)/tocsin/templates/$$(basename $$template)" ] || install -m 0644 "$$template" "$(DESTDIR)$(SYSCONFDIR)/tocsin/templates/" || exit 1; done
	@# Example recipients files (personal data once filled in: not world-readable), never over an existing one.
	for list in config/recipients/*; do \
		[ -e "$(DESTDIR)$(SYSCONFDIR)/tocsin/recipients/$$(basename $$list)" ] || install -m 0640 "$$list" "$(DESTDIR)$(SYSCONFDIR)/tocsin/recipients/" || exit 1; done

# Removes what `install` put in place, but never the config, the state or the audit log.
uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/tocsind" "$(DESTDIR)$(PREFIX)/bin/tocsinctl" "$(DESTDIR)$(PREFIX)/bin/tocsin-web" \
		"$(DESTDIR)$(UNITDIR)/tocsind.service" "$(DESTDIR)$(UNITDIR)/tocsind.socket" "$(DESTDIR)$(UNITDIR)/tocsin-web.service" \
		"$(DESTDIR)$(PREFIX)/lib/sysusers.d/tocsin.conf" "$(DESTDIR)$(PREFIX)/lib/tmpfiles.d/tocsin.conf" \
		"$(DESTDIR)$(PREFIX)/share/bash-completion/completions/tocsinctl" "$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_tocsinctl" \
		"$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/tocsinctl.fish" \
		"$(DESTDIR)$(PREFIX)/share/man/man1/tocsinctl.1" "$(DESTDIR)$(PREFIX)/share/man/man1/tocsind.1"
	rm -rf "$(DESTDIR)$(PREFIX)/share/doc/tocsin"
	@echo "Kept: $(SYSCONFDIR)/tocsin (config) and /var/lib/tocsin (state, audit log)."

clean:
	rm -rf .build
