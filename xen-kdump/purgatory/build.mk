# The purgatory entry stub: freestanding x86_64 code turned into a flat blob
# that libxenkdump embeds ($(BUILD)/purgatory/blob.c).  Always compiled with
# gcc and GNU ld, whatever CC is (fuzz builds use clang): the stub's flags and
# linker script are GNU's, and the blob must not change with the host compiler.

PURGATORY_CC      ?= gcc
PURGATORY_LD      ?= ld
PURGATORY_OBJCOPY ?= objcopy
PURGATORY_OUT     := $(BUILD)/purgatory
PURGATORY_SRC     := xen-kdump/purgatory

# No SSE/MMX/AVX (the kernel owns the FPU state, and CR4 has no OSFXSR), no
# red zone, no stack protector (no TLS), no unwind tables, no builtins turned
# back into libc calls, hidden symbols so every reference is RIP-relative.
PURGATORY_CFLAGS := -std=gnu11 -O2 -g0 -Wall -Wextra -Werror \
	-ffreestanding -fno-builtin -nostdlib -fpie -fvisibility=hidden \
	-fno-stack-protector -fno-stack-clash-protection -fcf-protection=none \
	-mgeneral-regs-only -mno-sse -mno-sse2 -mno-mmx -mno-avx -mno-3dnow -mno-red-zone \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fno-tree-loop-distribute-patterns \
	-fno-jump-tables -fno-common -Ixen-kdump/lib/image -I$(PURGATORY_SRC)

PURGATORY_OBJS := $(PURGATORY_OUT)/entry.o $(PURGATORY_OUT)/main.o \
	$(PURGATORY_OUT)/verify.o $(PURGATORY_OUT)/sha256.o

$(PURGATORY_OUT)/%.o: $(PURGATORY_SRC)/%.S
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AS      $< (purgatory)")
	$(Q)$(PURGATORY_CC) $(PURGATORY_CFLAGS) -MMD -MP -c -o $@ $<

$(PURGATORY_OUT)/%.o: $(PURGATORY_SRC)/%.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $< (purgatory)")
	$(Q)$(PURGATORY_CC) $(PURGATORY_CFLAGS) -MMD -MP -c -o $@ $<

$(PURGATORY_OUT)/sha256.o: xen-kdump/lib/image/sha256.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $< (purgatory)")
	$(Q)$(PURGATORY_CC) $(PURGATORY_CFLAGS) -MMD -MP -c -o $@ $<

# Linked at 0 for the blob, and at another base only to compare the bytes.
purgatory_link = $(PURGATORY_LD) -nostdlib -static -no-pie --no-dynamic-linker -z noexecstack --no-warn-rwx-segments \
	--defsym=PURGATORY_LINK_BASE=$(1) -T $(PURGATORY_SRC)/purgatory.lds -o $@ $(PURGATORY_OBJS)

$(PURGATORY_OUT)/purgatory.elf: $(PURGATORY_OBJS) $(PURGATORY_SRC)/purgatory.lds
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(call purgatory_link,0)

$(PURGATORY_OUT)/purgatory-moved.elf: $(PURGATORY_OBJS) $(PURGATORY_SRC)/purgatory.lds
	$(Q)$(call purgatory_link,0x7fe00000)

$(PURGATORY_OUT)/blob.c: $(PURGATORY_OUT)/purgatory.elf $(PURGATORY_OUT)/purgatory-moved.elf \
		$(PURGATORY_SRC)/mkblob
	$(if $(Q),@echo "  GEN     $@")
	$(Q)OBJCOPY=$(PURGATORY_OBJCOPY) $(PURGATORY_SRC)/mkblob $(PURGATORY_OUT)/purgatory.elf \
		$(PURGATORY_OUT)/purgatory-moved.elf $(PURGATORY_OBJS) > $@.tmp && mv $@.tmp $@

$(PURGATORY_OUT)/blob.o: $(PURGATORY_OUT)/blob.c
	$(Q)$(CC) $(XKD_CFLAGS) $(CFLAGS) -c -o $@ $<

# The embedded blob, and the digest check compiled for the host (unit tests
# run it on host buffers).
LIB_EXTRA_OBJS += $(PURGATORY_OUT)/blob.o $(call obj,$(PURGATORY_SRC)/verify.c)

-include $(PURGATORY_OBJS:.o=.d)
