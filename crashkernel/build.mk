# The minimal capture kernel (crashkernel/README.md).
#   make crashkernel        build it once into the cache (installs linux-source-6.1 on demand)
#   make check-crashkernel  build it when not cached, boot it in plain QEMU, and check that
#                           `xen-kdump estimate` never promises less than the measured minimums
#   make crashkernel-min    also search the smallest memory it captures in
.PHONY: crashkernel check-crashkernel crashkernel-min

crashkernel:
	$(Q)crashkernel/build

# `make check` (CI) builds the kernel when it is not cached: ~13 CPU-minutes at nice 19, -j2
# (7 minutes on an idle 2-core machine, ~22 beside VM tests), once per fragment and
# linux-source version; the essential minimal-kernel VM scenarios need it.
# CRASHKERNEL_IN_CHECK=0 skips the build: check-crashkernel then fails under make check
# (a skip is no pass there) without a cached kernel, and so do the minimal-kernel scenarios,
# saying to run 'make crashkernel'.
CRASHKERNEL_IN_CHECK ?= 1
CRASHKERNEL_BUILD := $(if $(filter 1,$(CRASHKERNEL_IN_CHECK)),crashkernel)

# Under make check (XKD_REQUIRE_ALL=1) neither may skip: no cached kernel fails
# check-boot, nothing measured makes check-estimate play one VM run (vm-fetch first).
CRASHKERNEL_REQUIRE := $(if $(filter 1,$(XKD_REQUIRE_ALL)),--require)
check-crashkernel: $(CRASHKERNEL_BUILD) all $(if $(CRASHKERNEL_REQUIRE),vm-fetch)
	$(Q)crashkernel/check-boot $(CRASHKERNEL_REQUIRE)
	$(Q)BUILD=$(BUILD) crashkernel/check-estimate $(CRASHKERNEL_REQUIRE)

check-vm: $(CRASHKERNEL_BUILD)

crashkernel-min:
	$(Q)crashkernel/check-boot --require --find-min

# `make install` ships the minimal kernel when it has been built (it is never built implicitly);
# xen-kdump's config default then picks it (xen-kdump/lib/kernel/capture-kernel.h).
# Beside it, vmlinuz-minimal.modules: its built-in drivers, one module name a line as the host's
# /sys/module and lsmod spell them (kernel/drivers/md/dm-mod.ko -> dm_mod), sorted, so that the
# loader can tell whether the minimal kernel drives the host's dump disk and NICs.
XKD_MINIMAL := $(DESTDIR)/usr/lib/xen-kdump/vmlinuz-minimal
INSTALL_STEPS += if k=$$(crashkernel/build --path 2>/dev/null); then \
	m=$$(crashkernel/build --modules-path) && \
	install -D -m 0644 "$$k" "$(XKD_MINIMAL)" && \
	sed -e 's|.*/||' -e 's|\.ko$$||' -e 'y/-/_/' "$$m" | LC_ALL=C sort -u >"$(XKD_MINIMAL).modules" && \
	chmod 0644 "$(XKD_MINIMAL).modules" || exit 1; fi;
