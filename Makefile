# ringscan build.  `make` builds build/ringscan (no test library needed);
# `make test` builds and runs every unit and integration test; `make SANITIZE=1 test` does the same under
# ASan+UBSan in build/san/.  `make WERROR=1` turns warnings into errors (CI).
# `make install` (PREFIX, DESTDIR) installs the binary, man pages and bash
# completion; `make uninstall` removes them.
# `make fuzz` builds the libFuzzer harnesses into build/fuzz/ and
# `make fuzz-run SECS=N` runs each for N seconds (tests/fuzz/run.sh).
# Quiet by default; V=1 shows full commands.

CC ?= cc
CFLAGS ?= -O2 -g
# Libraries through pkg-config (scripts/install-deps.sh installs them);
# the test library only for the tests, so the tool builds without it.
PKG_CONFIG ?= pkg-config
PKGS := liburing libmnl libxdp libbpf libcap-ng zlib sqlite3 openssl
ifneq ($(filter-out clean format format-check uninstall,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell $(PKG_CONFIG) --exists $(PKGS) && echo ok),ok)
$(error missing libraries ($(PKGS)): run scripts/install-deps.sh)
endif
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -iquote include \
	-iquote $(BUILD)/gen -MMD -MP \
	-pthread -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla $(PKG_CFLAGS)
override LDFLAGS += -pthread
LDLIBS_RS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm
LDLIBS_TEST = $(shell $(PKG_CONFIG) --libs cmocka zlib 2>/dev/null || \
	echo -lcmocka -lz)

ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif

ifeq ($(SANITIZE),1)
BUILD := build/san
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
else
BUILD := build
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

# One folder per subsystem (src/README.md has the map); the XDP program
# is compiled for another target and embedded, not linked.
BPF_SRC := src/syn/xdp_scan.bpf.c
SRCS := $(filter-out $(BPF_SRC),$(wildcard src/*/*.c))
LIB_SRCS := $(filter-out src/cli/main.c,$(SRCS))
# The SYN engine's XDP program, compiled for the BPF target and embedded in
# the binary as a generated C array (afxdp_bpf_obj, see include/afxdp.h): no
# object file to install or find at run time, and unlike `ld -r -b binary`
# the symbol names do not depend on the build directory.
BPF_CC ?= clang
BPF_CFLAGS := -O2 -g -target bpf -Wall -iquote include \
	-I/usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)
BPF_OBJ := $(BUILD)/bpf/xdp_scan.bpf.o
BPF_GEN := $(BUILD)/gen/xdp_scan_obj.c
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/xdp_scan_obj.o
MAIN_OBJ := $(BUILD)/obj/cli/main.o
UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELPERS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(TEST_HELPERS:tests/helpers/%.c=$(BUILD)/helpers/%)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

.PHONY: all tests test unit integration clean format format-check bench \
	bench-quick bench-grid bench-udp bench-banners bench-tools fuzz fuzz-run install uninstall FORCE

all: $(BUILD)/ringscan

tests: all $(UNIT_BINS) $(HELPER_BINS)

bench-tools: $(BENCH_BINS)

# Every object depends on the flags it was built with: a change of CFLAGS
# (WERROR=1, another CC, -O0) rebuilds, instead of linking stale objects.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW := $(CC) $(CFLAGS) $(LDFLAGS) $(BPF_CFLAGS)
$(shell mkdir -p $(BUILD) && \
	{ [ -f $(FLAGS_STAMP) ] && [ "$$(cat $(FLAGS_STAMP))" = '$(FLAGS_NOW)' ] || \
	  printf '%s' '$(FLAGS_NOW)' >$(FLAGS_STAMP); })

$(BUILD)/ringscan: $(MAIN_OBJ) $(LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_RS)

$(BUILD)/obj/%.o: src/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -iquote tests/unit $(LDFLAGS) -o $@ \
		$(filter %.c %.o,$^) $(LDLIBS_RS) $(LDLIBS_TEST)

$(BUILD)/helpers/%: tests/helpers/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o,$^) $(HELPER_LIBS)

# udpprobe sends what the payload module builds, so it links the module.
$(BUILD)/helpers/udpprobe: $(BUILD)/obj/scan/udppayload.o
# bannergrab sends bannerid's probes and judges the answer with it.
$(BUILD)/helpers/bannergrab: $(BUILD)/obj/lib/bannerid.o \
	$(BUILD)/obj/lib/escape.o

# tlsget drives the TLS probe over a real socket: the module and OpenSSL.
$(BUILD)/helpers/tlsget: $(BUILD)/obj/scan/tlsprobe.o
$(BUILD)/helpers/tlsget: HELPER_LIBS = $(shell $(PKG_CONFIG) --libs openssl)

# bench/run.sh and grid.sh build these too (bench/wan.sh) when missing.
$(BUILD)/bench/%: bench/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lm

$(BPF_OBJ): $(BPF_SRC) include/xdp_scan.h $(FLAGS_STAMP)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  BPF     $<")
	$(Q)$(BPF_CC) $(BPF_CFLAGS) -c -o $@ $<

$(BPF_GEN): $(BPF_OBJ)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GEN     $@")
	$(Q){ echo '/* Generated from $< by the Makefile. */'; \
	  echo '#include "afxdp.h"'; \
	  echo 'const unsigned char afxdp_bpf_obj[] __attribute__((aligned(8))) = {'; \
	  od -An -v -tx1 $< | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; \
	  echo 'const size_t afxdp_bpf_obj_len = sizeof(afxdp_bpf_obj);'; } >$@.tmp
	$(Q)mv $@.tmp $@

# The libraries' versions as pkg-config has them, for ringscan --version
# (features.c).  Regenerated on every run but replaced only when a version
# changed, so an upgrade rebuilds features.o and nothing else does.
PKG_VERSIONS_H := $(BUILD)/gen/pkg_versions.h

$(PKG_VERSIONS_H): FORCE
	@mkdir -p $(@D)
	$(Q)for p in $(PKGS); do \
		printf '#define RS_PKG_%s "%s"\n' \
			"$$(printf '%s' "$$p" | tr 'a-z-' 'A-Z_')" \
			"$$($(PKG_CONFIG) --modversion "$$p")" || exit 1; \
	done >$@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/obj/cli/features.o: $(PKG_VERSIONS_H)

$(BUILD)/obj/xdp_scan_obj.o: $(BPF_GEN)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests then integration tests; tests/run.sh prints the closing
# "N passed, N failed" line and fails if anything failed.
test: tests
	$(Q)BUILD=$(BUILD) tests/run.sh

unit: tests
	$(Q)BUILD=$(BUILD) tests/run.sh unit

integration: tests
	$(Q)BUILD=$(BUILD) tests/run.sh integration

bench: all bench-tools $(HELPER_BINS)
	$(Q)BUILD=$(BUILD) bench/run.sh full

bench-quick: all bench-tools $(HELPER_BINS)
	$(Q)BUILD=$(BUILD) bench/run.sh quick

# Banner grabbing and -sV against nmap and masscan (bench/banners.sh, ~25
# min: nmap -sV takes minutes a run); it replaces the Banners section of
# bench/RESULTS.md.  `make bench` runs it too.
bench-banners: all
	$(Q)BUILD=$(BUILD) bench/banners.sh full

# The congestion grid (bench/grid.sh); GRID_MODE=full for every cell.
bench-grid: all bench-tools $(HELPER_BINS)
	$(Q)BUILD=$(BUILD) bench/grid.sh $(or $(GRID_MODE),quick)

# The UDP scenario alone (bench/udp.sh); UDP_MODE=full for 3 runs per row
# and the ~1000 s rows.
bench-udp: all
	$(Q)BUILD=$(BUILD) bench/udp.sh $(or $(UDP_MODE),quick)

# Fuzzing.  The harnesses need clang's libFuzzer, whatever CC is, so the
# library is compiled a second time into build/fuzz/ with clang and the
# fuzzer's coverage hooks plus ASan+UBSan; the normal build is untouched.
# The objects go into an archive so that each harness links only the
# modules it reaches (no XDP program, no io_uring).  fuzz_targets wraps
# getaddrinfo so that host names never reach a resolver.
FUZZ_CC ?= clang
FUZZ_BUILD := build/fuzz
FUZZ_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -iquote include \
	-iquote $(BUILD)/gen -MMD -MP \
	-Wall -Wextra -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_LIB := $(FUZZ_BUILD)/libringscan.a
FUZZ_LIB_OBJS := $(LIB_SRCS:src/%.c=$(FUZZ_BUILD)/obj/%.o)
SECS ?= 10

fuzz: $(FUZZ_BINS)

fuzz-run: fuzz
	$(Q)FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run.sh $(SECS)

$(FUZZ_BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/obj/cli/features.o: $(PKG_VERSIONS_H)

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_targets: FUZZ_LDFLAGS := \
	-Wl,--wrap=getaddrinfo,--wrap=freeaddrinfo

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_LDFLAGS) \
		-o $@ $< $(FUZZ_LIB) $(LDLIBS_RS)

# Installing: the binary, its man pages and its bash completion, under
# PREFIX (default /usr/local) and staged under DESTDIR for packaging.  The
# XDP program is inside the binary (see BPF_GEN above): nothing else is
# needed at run time.  `make uninstall` with the same PREFIX and DESTDIR
# removes exactly these files.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install
MAN_PAGES := $(wildcard docs/man/*.1)

install: $(BUILD)/ringscan
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR)
	$(Q)$(INSTALL) -m 0755 $(BUILD)/ringscan $(DESTDIR)$(BINDIR)/ringscan
	$(Q)$(INSTALL) -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/
	$(Q)$(INSTALL) -m 0644 docs/completion/ringscan \
		$(DESTDIR)$(BASHCOMPDIR)/ringscan

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ringscan \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN_PAGES))) \
		$(DESTDIR)$(BASHCOMPDIR)/ringscan

FORCE:

format:
	$(Q)clang-format -i $(FORMAT_FILES)

FORMAT_FILES = src/*/*.c include/*.h tests/unit/*/*.c tests/unit/*.h \
	tests/helpers/*.c tests/fuzz/*.c tests/fuzz/*.h bench/*.c

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/obj/*/*.d $(BUILD)/tests/*/*.d \
	$(BUILD)/helpers/*.d $(BUILD)/bench/*.d \
	$(FUZZ_BUILD)/obj/*/*.d $(FUZZ_BUILD)/*.d)
