# procview: plain Makefile. `make`, `make check`, `make demo`, `make bench`,
# `make install PREFIX=/usr DESTDIR=...`, `make fmt`.
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
CPPFLAGS += -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Ilib -Ifusefs -Ioci -Ihook \
	-DLIBEXECDIR='"$(LIBEXECDIR)"' -DBINDIR='"$(BINDIR)"' \
	$(shell pkg-config --cflags $(PKGS))
LDLIBS := $(shell pkg-config --libs $(PKGS)) -lpthread

MAINS := fusefs/main.c hook/main.c cli/main.c
CORE_SRC := $(filter-out $(MAINS),$(wildcard lib/*.c fusefs/*.c oci/*.c hook/*.c cli/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(B)/obj/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(B)/bench/%)

BINS := $(B)/procviewd $(B)/procview-hook $(if $(wildcard cli/main.c),$(B)/procview)

all: $(BINS)

$(B)/obj/%.o: %.c $(wildcard lib/*.h fusefs/*.h oci/*.h hook/*.h cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libprocview.a: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/procviewd: $(B)/obj/fusefs/main.o $(B)/libprocview.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/procview-hook: $(B)/obj/hook/main.o $(B)/libprocview.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/procview: $(B)/obj/cli/main.o $(B)/libprocview.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/tap.h $(B)/libprocview.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libprocview.a $(LDLIBS)
$(B)/bench/%: tests/bench/%.c $(B)/libprocview.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libprocview.a $(LDLIBS)

tests: $(TEST_BIN) $(BENCH_BIN)

deps:
	@sh tests/install-deps.sh

check: deps all tests
	B=$(B) sh tests/run.sh

check-asan:
	$(MAKE) B=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -DBUF_MIN=8" LDFLAGS="-fsanitize=address,undefined" check

demo: deps all
	sh scripts/demo.sh

bench: deps all tests
	B=$(B) sh tests/bench/bench.sh

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
	clang-format -i $(wildcard lib/*.[ch] fusefs/*.[ch] oci/*.[ch] hook/*.[ch] cli/*.[ch] tests/unit/*.[ch])

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all tests deps check check-asan demo bench fuzz fmt clean install uninstall FORCE
