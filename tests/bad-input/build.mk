# The bad-input catalogue (tests/bad-input/manifest): generated damaged vmcores,
# kernels, initramfs files, configs and dump directories against the
# ASan/UBSan-built programs.  `make check` runs it.

BAD_INPUT_GEN := $(BUILD)/tests/bad-input-gen
BAD_INPUT_GEN_OBJS := $(call obj,tests/bad-input/gen.c tests/bad-input/gen-loader.c tests/bad-input/gen-xen.c tests/unit/vmcore-gen.c \
	tests/unit/vmcore-gen-dom0.c tests/unit/loader-fixtures.c)

$(BUILD)/obj/tests/bad-input/%.o: XKD_CFLAGS += -Itests/unit

$(BAD_INPUT_GEN): $(BAD_INPUT_GEN_OBJS) $(LINK_LIBS)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(XKD_LDFLAGS) $(LDFLAGS) -o $@ $(BAD_INPUT_GEN_OBJS) $(LINK_LIBS) $(LIBS)

.PHONY: check-bad-input bad-input-bins
bad-input-bins: $(PROGRAMS) $(BAD_INPUT_GEN)

check: check-bad-input
check-bad-input: deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 bad-input-bins
	$(Q)tests/bad-input/run $(BUILD)/asan
