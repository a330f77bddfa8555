# procview: plain Makefile. `make`, `make check`, `make check-vm`, `make demo`,
# `make bench`, `make install PREFIX=/usr DESTDIR=...`, `make fmt`.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=

B ?= build
CC ?= cc
PKGS := fuse3 yajl mount
CFLAGS ?= -O2 -g -Wall -Wextra -Werror=implicit-function-declaration \
	-Wshadow -Wformat=2 -Wmissing-prototypes
CPPFLAGS += -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Ilib -Imodel -Ifusefs -Iseccomp -Idaemon -Ioci -Ihook -Iruntime \
	-DLIBEXECDIR='"$(LIBEXECDIR)"' -DBINDIR='"$(BINDIR)"' \
	$(shell pkg-config --cflags $(PKGS))
LDLIBS := $(shell pkg-config --libs $(PKGS)) -lpthread
# The hook and the runtime shim run on every container start (the shim on
# every runtime call): they link only what they use (no libfuse3, no
# libmount), and statically where yajl's static archive is installed, since
# the dynamic loader's work is most of what a short-lived exec costs
# (make bench shows both). STATIC=0 links them dynamically; sanitizer builds
# always do (ASAN cannot be static).
STATIC ?= 1
YAJL_A := $(wildcard $(shell pkg-config --variable=libdir yajl)/libyajl_s.a)
ifeq ($(and $(filter 1,$(STATIC)),$(YAJL_A),$(if $(findstring sanitize,$(LDFLAGS) $(CFLAGS)),,y)),)
SMALL_LDLIBS := $(shell pkg-config --libs yajl) -lpthread
else
SMALL_LDLIBS := -static $(YAJL_A) -lpthread
endif

MAINS := daemon/main.c hook/main.c cli/main.c runtime/main.c
SRC_DIRS := lib model fusefs seccomp daemon oci hook cli runtime
CORE_SRC := $(filter-out $(MAINS),$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c)))
CORE_OBJ := $(CORE_SRC:%.c=$(B)/obj/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(B)/bench/%)

BINS := $(B)/procviewd $(B)/procview-hook $(B)/procview-runtime $(if $(wildcard cli/main.c),$(B)/procview)

all: $(BINS)

$(B)/obj/%.o: %.c $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.h))
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libprocview.a: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/procviewd: $(B)/obj/daemon/main.o $(B)/libprocview.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/procview-hook: $(B)/obj/hook/main.o $(B)/libprocview.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SMALL_LDLIBS)
# The archive gives the shim just the objects it uses.
$(B)/procview-runtime: $(B)/obj/runtime/main.o $(B)/libprocview.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SMALL_LDLIBS)
$(B)/procview: $(B)/obj/cli/main.o $(B)/libprocview.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/tap.h $(B)/libprocview.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libprocview.a $(LDLIBS)
$(B)/bench/%: tests/bench/%.c $(B)/libprocview.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libprocview.a $(LDLIBS)
$(B)/bench/execwrap: tests/bench/execwrap.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(SMALL_LDLIBS)

# The sysinfo probe runs inside containers: static, once with glibc and
# once with musl (every Alpine program sizes itself through sysinfo).
MUSL_CC ?= musl-gcc
PROBES := $(B)/probe/sysinfo-glibc $(if $(shell command -v $(MUSL_CC)),$(B)/probe/sysinfo-musl)
$(B)/probe/sysinfo-glibc: tests/probe/sysinfo_probe.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -static -o $@ $<
$(B)/probe/sysinfo-musl: tests/probe/sysinfo_probe.c
	@mkdir -p $(dir $@)
	$(MUSL_CC) -O2 -static -o $@ $<

tests: $(TEST_BIN) $(BENCH_BIN) $(PROBES)

deps:
	@sh tests/install-deps.sh

check: deps all tests
	B=$(B) sh tests/run.sh

check-asan:
	PROCVIEW_SANITIZED=1 $(MAKE) --no-print-directory B=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -DBUF_MIN=8" LDFLAGS="-fsanitize=address,undefined" check

# A Debian 12 guest under QEMU (systemd, pure cgroup v2, crun): the suite
# and the operator tests there. The image is cached in /var/cache/procview-vm.
check-vm:
	sh tests/vm/run.sh

demo: deps all
	sh scripts/demo.sh

bench: deps all tests
	B=$(B) sh tests/bench/bench.sh

# Only what procview-runtime costs (make bench runs it too).
bench-shim: deps all
	B=$(B) CSV=$(B)/bench-shim.csv sh tests/bench/shim.sh

# libFuzzer targets, each run for FUZZ_SECONDS on a copy of its seed corpus.
FUZZ_SECONDS ?= 10
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/fuzz/%)
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined

build-fuzz/fuzz/%: tests/fuzz/%.c FORCE
	$(MAKE) B=build-fuzz CC=clang CFLAGS="$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link" build-fuzz/libprocview.a
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< build-fuzz/libprocview.a $(LDLIBS)

fuzz: deps $(FUZZ_BIN)
	B=build-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ_BIN)

FORCE:

fmt:
	clang-format -i $(foreach d,$(SRC_DIRS) tests/unit,$(wildcard $(d)/*.[ch]))

# ---- install ----
# BINDIR and LIBEXECDIR are compiled in (the hook's default --daemon is
# $(BINDIR)/procviewd), so every object depends on a stamp holding them:
# `make install PREFIX=/usr` after a plain `make` rebuilds for /usr instead
# of installing binaries that point into /usr/local. The stamp only changes
# when the paths do, so an ordinary `make` rebuilds nothing.
# Not a knob: procviewd and the hook have it compiled in as their default.
PV_MOUNTPOINT := /var/lib/procview
HOOKDIR := $(LIBEXECDIR)/procview
HOOKSDDIR := $(DATADIR)/containers/oci/hooks.d
PATHS_STAMP := $(B)/paths.stamp
PATHS_TEXT := BINDIR=$(BINDIR) LIBEXECDIR=$(LIBEXECDIR)
HOOKS_JSON := $(notdir $(wildcard hooks.d/*.json))
MAN1 := $(notdir $(wildcard man/*.1))
MAN8 := $(notdir $(wildcard man/*.8))
# podman's default seccomp profile plus sysinfo sent to procviewd, for
# containers.conf's seccomp_profile; made from the one containers-common
# installs, so only where that exists.
PODMAN_SECCOMP_BASE ?= /usr/share/containers/seccomp.json
SECCOMP_PROFILE := $(DATADIR)/procview/seccomp.json
# The profile's listenerPath: procviewd's --seccomp-socket.
SECCOMP_SOCKET ?= /run/procview/seccomp.sock
INSTALL_FILES = $(BINDIR)/procviewd $(BINDIR)/procview $(BINDIR)/procview-runtime \
	$(HOOKDIR)/procview-hook \
	$(if $(wildcard $(PODMAN_SECCOMP_BASE)),$(SECCOMP_PROFILE)) \
	$(HOOKS_JSON:%=$(HOOKSDDIR)/%) $(UNITDIR)/procview.service \
	$(MAN1:%=$(MANDIR)/man1/%) $(MAN8:%=$(MANDIR)/man8/%)

$(PATHS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(PATHS_TEXT)' | cmp -s - $@ || echo '$(PATHS_TEXT)' >$@
$(CORE_OBJ) $(MAINS:%.c=$(B)/obj/%.o): $(PATHS_STAMP)

install: all
	install -D -m 0755 $(B)/procviewd $(DESTDIR)$(BINDIR)/procviewd
	install -D -m 0755 $(B)/procview $(DESTDIR)$(BINDIR)/procview
	install -D -m 0755 $(B)/procview-runtime $(DESTDIR)$(BINDIR)/procview-runtime
	install -D -m 0755 $(B)/procview-hook $(DESTDIR)$(HOOKDIR)/procview-hook
	install -d -m 0755 $(DESTDIR)$(HOOKSDDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	for f in $(HOOKS_JSON); do \
		sed 's|"path": *"[^"]*"|"path": "$(HOOKDIR)/procview-hook"|' hooks.d/$$f \
			>$(DESTDIR)$(HOOKSDDIR)/$$f && chmod 0644 $(DESTDIR)$(HOOKSDDIR)/$$f || exit 1; \
	done
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@MOUNTPOINT@|$(PV_MOUNTPOINT)|g' \
		deploy/systemd/procview.service.in >$(DESTDIR)$(UNITDIR)/procview.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/procview.service
	for f in $(MAN1); do install -m 0644 man/$$f $(DESTDIR)$(MANDIR)/man1/$$f || exit 1; done
	for f in $(MAN8); do install -m 0644 man/$$f $(DESTDIR)$(MANDIR)/man8/$$f || exit 1; done
	if [ -r $(PODMAN_SECCOMP_BASE) ]; then \
		install -d -m 0755 $(DESTDIR)$(dir $(SECCOMP_PROFILE)) && \
		$(B)/procview seccomp --podman --base $(PODMAN_SECCOMP_BASE) \
			--socket $(SECCOMP_SOCKET) -o $(DESTDIR)$(SECCOMP_PROFILE) || exit 1; \
	else \
		echo "make install: no $(PODMAN_SECCOMP_BASE) (containers-common): seccomp profile for podman not written"; \
	fi

uninstall:
	rm -f $(INSTALL_FILES:%=$(DESTDIR)%)
	rmdir $(DESTDIR)$(HOOKDIR) $(DESTDIR)$(dir $(SECCOMP_PROFILE)) 2>/dev/null || true

# The layout, one path a line, for tests and packagers: what install writes
# and uninstall removes.
list-install:
	@printf '%s\n' $(INSTALL_FILES)

.PHONY: list-install

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all tests deps check check-asan check-vm demo bench bench-shim fuzz fmt clean install uninstall FORCE
