# The purgatory under plain QEMU (no Xen): `make check-purgatory-qemu`.
# Not part of `all` or `check-unit`; tests/purgatory-qemu/run drives it.

PQ_SRC := tests/purgatory-qemu
PQ_OUT := $(BUILD)/purgatory-qemu

$(PQ_OUT)/%.o: $(PQ_SRC)/%.S
	@mkdir -p $(dir $@)
	$(Q)gcc -c -o $@ $<

$(PQ_OUT)/harness.bin: $(PQ_OUT)/harness.o $(PQ_SRC)/harness.lds
	$(Q)ld -nostdlib -static -no-pie -z noexecstack --no-warn-rwx-segments -T $(PQ_SRC)/harness.lds -o $(PQ_OUT)/harness.elf $<
	$(Q)objcopy -O binary $(PQ_OUT)/harness.elf $@

$(PQ_OUT)/fakekernel.bin: $(PQ_OUT)/fakekernel.o
	$(Q)ld -nostdlib -static -no-pie -z noexecstack --no-warn-rwx-segments -Ttext=0x8000000 -e entry64 -o $(PQ_OUT)/fakekernel.elf $<
	$(Q)objcopy -O binary $(PQ_OUT)/fakekernel.elf $@

$(PQ_OUT)/mkimage: $(PQ_SRC)/mkimage.c $(CLI_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(XKD_CFLAGS) $(CFLAGS) -o $@ $< $(CLI_LIBS) $(LIBS)

.PHONY: check-purgatory-qemu
check-purgatory-qemu: $(PQ_OUT)/harness.bin $(PQ_OUT)/fakekernel.bin $(PQ_OUT)/mkimage
	$(Q)$(PQ_SRC)/run $(PQ_OUT)

# A QEMU-tier test: runs with the VM scenarios.
check-vm: check-purgatory-qemu
