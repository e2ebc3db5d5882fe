# The CLI tests run the xen-kdump binary of the same build tree (against the
# simulated hypervisor), so it must exist before they do.
$(BUILD)/tests/test-cli: $(BUILD)/xen-kdump
$(BUILD)/tests/test-dumplist-cli: $(BUILD)/xen-kdump
$(BUILD)/tests/test-setup: $(BUILD)/xen-kdump
$(BUILD)/tests/test-verb-test: $(BUILD)/xen-kdump
$(BUILD)/tests/test-announce: $(BUILD)/xen-kdump
