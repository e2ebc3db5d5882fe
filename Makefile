# xen-kdump — top-level build.
#
# Everything lands under $(BUILD) (default build/).  Sources are found by
# convention so that adding a file never means editing this Makefile:
#   common/*.c               -> $(BUILD)/libxkdcommon.a   (what both programs share: log, files,
#                                                          the dump-directory layout, the kdump format)
#   xen-kdump/lib/*/*.c      -> $(BUILD)/libxenkdump.a   (the loader and admin library)
#   xen-kdump/*.c            -> $(BUILD)/xen-kdump        (CLI: xen-kdump.c + one file per verb)
#   collector/**/*.c         -> $(BUILD)/libxkdcollect.a  (all but xen-kdump-collect.c)
#   collector/xen-kdump-collect.c -> $(BUILD)/xen-kdump-collect
# Headers are included by name: every source folder is on the include path.
#   tests/unit/test-*.c      -> $(BUILD)/tests/test-*     (one binary per file)
#   tests/unit/*.c (others)  -> test support, linked into every unit test
#   tests/fuzz/fuzz-*.c      -> libFuzzer targets (make fuzz)
# Component specifics (the entry-stub blob, install steps) live in */build.mk.

BUILD      ?= build
PREFIX     ?= /usr/local
DESTDIR    ?=
SBINDIR    ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
MANDIR     ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config
SANITIZE   ?=
FUZZ       ?=
FUZZ_SECONDS ?= 60
FUZZERS    ?=
FUZZ_RUNS  ?=
V          ?=

Q := $(if $(V),,@)

PKGS := libelf libzstd zlib liblzma xencontrol xencall
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= -O2 -g
SRC_DIRS   := common $(sort $(dir $(shell find xen-kdump/lib collector -name '*.c' -o -name '*.h')))
XKD_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -D__XEN_TOOLS__ \
	$(addprefix -I,$(patsubst %/,%,$(SRC_DIRS))) -Ixen-kdump -I$(BUILD)/gen $(PKG_CFLAGS)
XKD_LDFLAGS :=
LIBS := $(PKG_LIBS) -lpthread

ifeq ($(SANITIZE),1)
XKD_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
XKD_LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(FUZZ),1)
XKD_CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -DXKD_FUZZING=1
XKD_LDFLAGS += -fsanitize=address,undefined
endif

COMMON_SRCS   := $(wildcard common/*.c)
LIB_SRCS      := $(shell find xen-kdump/lib -name '*.c')
CLI_SRCS      := $(wildcard xen-kdump/*.c)
COLLECT_MAIN  := collector/xen-kdump-collect.c
COLLECT_SRCS  := $(filter-out $(COLLECT_MAIN),$(shell find collector -name '*.c'))
UNIT_SRCS     := $(wildcard tests/unit/test-*.c)
UNIT_SUPPORT  := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
FUZZ_SRCS     := $(wildcard tests/fuzz/fuzz-*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMMON_OBJS  := $(call obj,$(COMMON_SRCS))
LIB_OBJS     := $(call obj,$(LIB_SRCS))
LIB_EXTRA_OBJS :=
CLI_OBJS     := $(call obj,$(CLI_SRCS))
COLLECT_OBJS := $(call obj,$(COLLECT_SRCS))
SUPPORT_OBJS := $(call obj,$(UNIT_SUPPORT))
UNIT_BINS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

PROGRAMS := $(BUILD)/xen-kdump $(if $(wildcard $(COLLECT_MAIN)),$(BUILD)/xen-kdump-collect)

# Extra install steps appended by component fragments.
INSTALL_STEPS :=

.PHONY: all deps check vm-fetch check-unit unit-tests check-vm check-vm-all fuzz fuzzers fuzz-short \
	bench demo install clean FORCE

all: $(PROGRAMS)

# Keep objects: unit-test and fuzz objects are otherwise deleted as intermediates.
.SECONDARY:

-include $(sort $(wildcard */build.mk */*/build.mk))

deps:
	$(Q)mk/deps

# Everything CI runs, in an order where each step finds what it needs on a fresh
# machine with an empty cache: the programs, then the host-only tests, then the
# VM harness's downloads (the Debian kernel check-appliance's dracut images are
# built against), the minimal capture kernel, and the VM scenarios.  Each step
# also depends on what it needs, so it can be run alone.
# A skipped test proves nothing: make check runs with XKD_REQUIRE_ALL=1, which
# turns every skip (unit tests, check-boot, check-estimate, VM scenarios) into a
# failure; XKD_REQUIRE_ALL=0 make check reports them as skips instead.
check: export XKD_REQUIRE_ALL := $(if $(XKD_REQUIRE_ALL),$(XKD_REQUIRE_ALL),1)
check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory check-unit
	$(Q)$(MAKE) --no-print-directory fuzz-short
	$(Q)$(MAKE) --no-print-directory vm-fetch
	$(Q)$(MAKE) --no-print-directory check-appliance
	$(Q)$(MAKE) --no-print-directory check-crashkernel
	$(Q)$(MAKE) --no-print-directory check-vm

# What every VM run and the dracut checks need, fetched into the cache once
# (${XKD_CACHE:-/var/cache/xen-kdump-tests}): the Debian kernel (apt-get download), Xen's ELF.
vm-fetch: deps
	$(Q)tests/vm/run --fetch

# Unit tests are always built and run under ASan + UBSan in their own tree.
check-unit: deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 unit-tests
	$(Q)tests/unit/run $(BUILD)/asan/tests

unit-tests: $(UNIT_BINS)

check-vm: deps all
	$(Q)tests/vm/run --selftest
	$(Q)bench/min-region --selftest
	$(Q)bench/ratios.py --selftest >/dev/null
	$(Q)tests/vm/run --essential

check-vm-all: deps all
	$(Q)tests/vm/run --all

fuzzers: $(FUZZ_BINS)

fuzz: deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzzbuild CC=clang FUZZ=1 fuzzers
	$(Q)FUZZERS="$(FUZZERS)" FUZZ_RUNS="$(FUZZ_RUNS)" tests/fuzz/run $(BUILD)/fuzzbuild/fuzz $(FUZZ_SECONDS)

fuzz-short:
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

bench: deps all
	$(Q)bench/run $(BENCH_ARGS)

demo: deps all
	$(Q)tests/vm/demo

install: all
	install -d -m 0755 $(DESTDIR)$(SBINDIR)
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(SBINDIR)/
	$(INSTALL_STEPS)

clean:
	rm -rf $(BUILD)

# --- rules ------------------------------------------------------------------

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(XKD_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libxenkdump.a: $(LIB_OBJS) $(LIB_EXTRA_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libxkdcollect.a: $(COLLECT_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/libxkdcommon.a: $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# Each program links its own library and the common one, never the other's:
# the loader does not carry the collector and the collector does not carry the loader.
CLI_LIBS     = $(BUILD)/libxenkdump.a $(BUILD)/libxkdcommon.a
COLLECT_LIBS = $(BUILD)/libxkdcollect.a $(BUILD)/libxkdcommon.a
LINK_LIBS    = $(BUILD)/libxkdcollect.a $(BUILD)/libxenkdump.a $(BUILD)/libxkdcommon.a

$(BUILD)/xen-kdump: $(CLI_OBJS) $(CLI_LIBS)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(XKD_LDFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(CLI_LIBS) $(LIBS)

$(BUILD)/xen-kdump-collect: $(call obj,$(COLLECT_MAIN)) $(COLLECT_LIBS)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(XKD_LDFLAGS) $(LDFLAGS) -o $@ $< $(COLLECT_LIBS) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(SUPPORT_OBJS) $(LINK_LIBS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(XKD_LDFLAGS) $(LDFLAGS) -o $@ $< $(SUPPORT_OBJS) $(LINK_LIBS) $(LIBS)

$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(LINK_LIBS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) -fsanitize=fuzzer $(XKD_LDFLAGS) $(LDFLAGS) -o $@ $< $(LINK_LIBS) $(LIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
