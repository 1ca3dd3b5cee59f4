# pluck — top-level Makefile.
#
#   make                      libpluck.a, libpluck.so (SONAME libpluck.so.0), pluck.pc, pluck
#   make test                 -Werror build, unit tests (criterion) and end-to-end tests
#   make test SANITIZE=1      the same under ASan + UBSan (CC=clang: clang's, in build/san-clang)
#   make unit | make e2e      only the unit tests or only the end-to-end tests (same build)
#   make demo                 the README's quick-start query over the bundled sample
#   make bench                benchmarks (bench/RESULTS.md); make fuzz FUZZ_SECONDS=N
#   make difftest SEED=N SCALE=K   the differential test against tests/diff/oracle.py, longer
#   make prefilter-long       tests/e2e/t_prefilter.sh at length (2,000 cases); the prefilter's
#                             fuzzer alone: FUZZ_ONLY=prefilter make fuzz FUZZ_SECONDS=N
#   make install PREFIX=/usr/local DESTDIR=
#   make python               the Python package's extension, built in place in python/pluck/
#   make clean
#
# Warnings are errors only in the test builds (as zstd does), never in the default build.

VERSION     := 0.1.0
MAJOR       := 0
PREFIX      ?= /usr/local
prefix      ?= $(PREFIX)
exec_prefix ?= $(prefix)
bindir      ?= $(exec_prefix)/bin
libdir      ?= $(exec_prefix)/lib
includedir  ?= $(prefix)/include
mandir      ?= $(prefix)/share/man
pkgconfigdir ?= $(libdir)/pkgconfig

CC       ?= cc
PKG_CONFIG ?= pkg-config
OPT      ?= -O2
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wvla -Wcast-qual -Wundef -Wpointer-arith -Wno-unused-parameter
CSTD     := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE

# Optional ISA-L igzip for fast inflate (zlib is always there as the fallback).
HAVE_ISAL := $(shell $(PKG_CONFIG) --exists libisal 2>/dev/null && echo 1)
PKGS      := zlib libzstd liblzma $(if $(HAVE_ISAL),libisal)
DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
DEP_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS)) -lbz2 -lpthread -lm
FEATURES   := $(if $(HAVE_ISAL),-DPLUCK_HAVE_ISAL=1)

BUILD ?= build/rel
# gcc's and clang's UBSan catch different things (clang's alone flags NULL + 0: F21 in
# tests/HARDENING.md), so the README's test command runs both; each has its own directory.
SAN_BUILD := build/san$(if $(findstring clang,$(CC)),-clang)
ifeq ($(SANITIZE),1)
  BUILD    := $(SAN_BUILD)
  OPT      := -O1 -g -fno-omit-frame-pointer
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
endif
ifeq ($(WERROR),1)
  WARN += -Werror
endif

CFLAGS_ALL = $(CSTD) $(OPT) $(WARN) $(SANFLAGS) -Iinclude -Isrc $(DEP_CFLAGS) $(FEATURES) $(CFLAGS)
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)

LIB_SRC := $(sort $(wildcard src/common/*.c src/codec/*.c src/source/*.c src/scan/*.c \
                             src/sql/*.c src/exec/*.c src/out/*.c src/commit/*.c src/run/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
# `pluck serve` runs the pluck-serve executable (src/server/), which alone links
# libmicrohttpd, expat and libcrypto: the library and the pluck filter stay free of them.
SERVE_SRC := $(sort $(wildcard src/server/*.c))
SERVER_PKGS := libmicrohttpd expat libcrypto
SERVER_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(SERVER_PKGS) 2>/dev/null)
SERVER_LIBS := $(shell $(PKG_CONFIG) --libs $(SERVER_PKGS) 2>/dev/null)
# The S3 client (src/s3client/: SigV4-signed streamed GETs over libcurl, signing with the
# server's sigv4.c) is linked into both executables, for s3:// sources and --upstream.
S3C_SRC := $(sort $(wildcard src/s3client/*.c)) src/server/sigv4.c src/server/sbuf.c
S3C_PKGS := libcurl libcrypto
S3C_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(S3C_PKGS) 2>/dev/null)
S3C_LIBS := $(shell $(PKG_CONFIG) --libs $(S3C_PKGS) 2>/dev/null)
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
SERVE_OBJ := $(SERVE_SRC:%.c=$(BUILD)/%.o)
S3C_OBJ := $(S3C_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)

STATIC := $(BUILD)/libpluck.a
SHARED := $(BUILD)/libpluck.so.$(VERSION)
BIN    := $(BUILD)/pluck
SERVE  := $(BUILD)/pluck-serve
UNIT   := $(BUILD)/unit-tests

.PHONY: all lib test unit e2e demo bench difftest fuzz install uninstall clean help python \
        print-deplibs
all: $(STATIC) $(SHARED) $(BUILD)/pluck.pc $(BIN) $(SERVE)
	@ln -sf $(BIN:build/%=%) build/pluck 2>/dev/null || true
lib: $(STATIC) $(SHARED)

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -fvisibility=hidden -DPLUCK_BUILDING_LIBRARY -MMD -MP -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(if $(findstring tests/unit,$<),$(shell $(PKG_CONFIG) --cflags criterion)) \
	    $(if $(findstring src/server,$<),$(SERVER_CFLAGS)) \
	    $(if $(findstring src/s3client,$<),$(S3C_CFLAGS)) \
	    $(if $(findstring src/cli,$<),$(CLI_CFLAGS)) -MMD -MP -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libpluck.so.$(MAJOR) $(LDFLAGS_ALL) -o $@ $^ $(DEP_LIBS)
	ln -sf libpluck.so.$(VERSION) $(BUILD)/libpluck.so.$(MAJOR)
	ln -sf libpluck.so.$(VERSION) $(BUILD)/libpluck.so

# the pluck filter alone links libarchive (zip and tar members: src/cli/archive.c)
CLI_CFLAGS := $(shell $(PKG_CONFIG) --cflags libarchive 2>/dev/null)
CLI_LIBS := $(shell $(PKG_CONFIG) --libs libarchive 2>/dev/null)
$(BIN): $(CLI_OBJ) $(S3C_OBJ) $(STATIC)
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(S3C_OBJ) $(STATIC) $(DEP_LIBS) $(S3C_LIBS) $(CLI_LIBS)

$(SERVE): $(SERVE_OBJ) $(S3C_OBJ) $(STATIC)
	$(CC) $(LDFLAGS_ALL) -o $@ $(sort $(SERVE_OBJ) $(S3C_OBJ)) $(STATIC) $(DEP_LIBS) $(SERVER_LIBS) \
	    $(S3C_LIBS)

# pluck.pc names the prefix of the `make` or `make install` that writes it: install writes
# its own copy, so `make install PREFIX=/opt/x` after a plain `make` names /opt/x.
make_pc = sed -e 's|@prefix@|$(prefix)|' -e 's|@libdir@|$(libdir)|' \
    -e 's|@includedir@|$(includedir)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@REQUIRES@|$(PKGS)|' \
    pluck.pc.in > $(1)
$(BUILD)/pluck.pc: pluck.pc.in Makefile
	@mkdir -p $(BUILD)
	$(call make_pc,$@)

# examples/*.c built against the static library, run by tests/e2e/t_examples.sh
EXAMPLES := $(BUILD)/examples/select $(BUILD)/examples/feed
$(BUILD)/examples/%: examples/%.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(OPT) $(WARN) $(SANFLAGS) -Iinclude $(CFLAGS) -o $@ $< $(STATIC) $(DEP_LIBS)

TOOLS := $(BUILD)/tools/gencsv $(BUILD)/tools/rssof
$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -O2 $(WARN) $(CFLAGS) -o $@ $<

# the conformance runner decodes option escapes with the CLI's own escape.c
$(UNIT): $(UNIT_OBJ) $(BUILD)/src/cli/escape.o $(STATIC)
	$(CC) $(LDFLAGS_ALL) -o $@ $(UNIT_OBJ) $(BUILD)/src/cli/escape.o $(STATIC) $(DEP_LIBS) \
	    $(shell $(PKG_CONFIG) --libs criterion) -lcsv

# ---- Python ----------------------------------------------------------------------------
# python/setup.py builds libpluck.a in build/python with this Makefile and links it with
# the libraries print-deplibs names.  Debian's interpreter: its python3-dev, -distributed.
PYTHON ?= /usr/bin/python3
python:
	cd python && env -u MAKEFLAGS -u MFLAGS WERROR=$(WERROR) $(PYTHON) setup.py -q build_ext --inplace
print-deplibs:
	@echo $(DEP_LIBS)

# ---- tests ------------------------------------------------------------------------------
# `make test` always builds with -Werror in its own directory so it never mixes objects
# with the default build.
ifeq ($(SANITIZE),1)
TEST_BUILD := $(SAN_BUILD)
else
TEST_BUILD := build/test
endif
test:
	$(MAKE) --no-print-directory BUILD=$(TEST_BUILD) WERROR=1 SANITIZE=$(SANITIZE) \
	    $(TEST_BUILD)/pluck $(TEST_BUILD)/pluck-serve $(TEST_BUILD)/unit-tests \
	    $(TEST_BUILD)/tools/gencsv \
	    $(TEST_BUILD)/tools/rssof \
	    $(TEST_BUILD)/examples/select $(TEST_BUILD)/examples/feed
	$(MAKE) --no-print-directory WERROR=1 python
	PLUCK_BUILD=$(TEST_BUILD) SANITIZE=$(SANITIZE) sh tests/run-all.sh

# the two halves of `make test`, for a quicker loop while developing
TEST_BINS = $(TEST_BUILD)/pluck $(TEST_BUILD)/pluck-serve $(TEST_BUILD)/unit-tests \
            $(TEST_BUILD)/tools/gencsv $(TEST_BUILD)/tools/rssof
unit:
	$(MAKE) --no-print-directory BUILD=$(TEST_BUILD) WERROR=1 SANITIZE=$(SANITIZE) $(TEST_BINS)
	$(TEST_BUILD)/unit-tests -j2
e2e:
	$(MAKE) --no-print-directory BUILD=$(TEST_BUILD) WERROR=1 SANITIZE=$(SANITIZE) $(TEST_BINS)
	sh tests/e2e/run.sh $(TEST_BUILD)

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' Makefile

demo: all
	sh scripts/demo.sh $(BIN)

bench: all
	sh bench/run.sh $(BIN)

# The generative differential test (tests/diff/): `make test` runs seed 12 at scale 1 (about
# 40,000 checks); SCALE=K draws K times as many, SEED=N other ones.
SEED  ?= 1
SCALE ?= 10
difftest: all
	nice python3 tests/diff/difftest.py $(BIN) --seed $(SEED) --scale $(SCALE)

# The literal prefilter against Python's csv module and against its own absence
# (tests/e2e/prefilter_diff.py): `make test` runs 82 cases, this 2,020 (PREFILTER_SEED=N others).
.PHONY: prefilter-long
prefilter-long:
	$(MAKE) --no-print-directory BUILD=$(TEST_BUILD) WERROR=1 SANITIZE=$(SANITIZE) $(TEST_BINS)
	PREFILTER_LONG=1 E2E_ONLY=t_prefilter nice sh tests/e2e/run.sh $(TEST_BUILD)

# libFuzzer harnesses (clang), each run for FUZZ_SECONDS: see tests/fuzz/ and tests/HARDENING.md
FUZZ_SECONDS ?= 60
fuzz:
	sh scripts/fuzz.sh $(FUZZ_SECONDS)

# ---- install ----------------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(libdir) $(DESTDIR)$(includedir) \
	    $(DESTDIR)$(pkgconfigdir) $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man3 \
	    $(DESTDIR)$(mandir)/man5
	install -m 755 $(BIN) $(DESTDIR)$(bindir)/pluck
	install -m 755 $(SERVE) $(DESTDIR)$(bindir)/pluck-serve
	install -m 644 $(STATIC) $(DESTDIR)$(libdir)/libpluck.a
	install -m 755 $(SHARED) $(DESTDIR)$(libdir)/libpluck.so.$(VERSION)
	ln -sf libpluck.so.$(VERSION) $(DESTDIR)$(libdir)/libpluck.so.$(MAJOR)
	ln -sf libpluck.so.$(VERSION) $(DESTDIR)$(libdir)/libpluck.so
	install -m 644 include/pluck.h $(DESTDIR)$(includedir)/pluck.h
	$(call make_pc,$(DESTDIR)$(pkgconfigdir)/pluck.pc)
	install -m 644 man/pluck.1 $(DESTDIR)$(mandir)/man1/pluck.1
	install -m 644 man/pluck-serve.1 $(DESTDIR)$(mandir)/man1/pluck-serve.1
	install -m 644 man/libpluck.3 $(DESTDIR)$(mandir)/man3/libpluck.3
	install -m 644 man/pluck-partial.5 $(DESTDIR)$(mandir)/man5/pluck-partial.5
	install -m 644 man/pluck-index.5 $(DESTDIR)$(mandir)/man5/pluck-index.5

uninstall:
	rm -f $(DESTDIR)$(bindir)/pluck $(DESTDIR)$(bindir)/pluck-serve $(DESTDIR)$(libdir)/libpluck.a \
	    $(DESTDIR)$(libdir)/libpluck.so* $(DESTDIR)$(includedir)/pluck.h \
	    $(DESTDIR)$(pkgconfigdir)/pluck.pc $(DESTDIR)$(mandir)/man1/pluck.1 \
	    $(DESTDIR)$(mandir)/man1/pluck-serve.1 \
	    $(DESTDIR)$(mandir)/man3/libpluck.3 $(DESTDIR)$(mandir)/man5/pluck-partial.5 \
	    $(DESTDIR)$(mandir)/man5/pluck-index.5

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SERVE_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(S3C_OBJ:.o=.d)
