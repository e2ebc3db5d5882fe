# The minimal capture kernel (crashkernel/README.md).
#   make crashkernel        build it once into the cache (installs linux-source-6.1 on demand)
#   make check-crashkernel  boot it in plain QEMU; skipped (not failed) while it is not cached,
#                           so a fresh machine's `make check` does not spend the kernel build
#   make crashkernel-min    also search the smallest memory it captures in
.PHONY: crashkernel check-crashkernel crashkernel-min

crashkernel:
	$(Q)crashkernel/build

# CRASHKERNEL_IN_CHECK=1: `make check` builds the kernel when it is not cached (~13 CPU-minutes,
# 7 minutes on an idle 2-core machine, 22 minutes at nice 19 beside VM tests), then boots it.
CRASHKERNEL_IN_CHECK ?= 0

check-crashkernel: $(if $(filter 1,$(CRASHKERNEL_IN_CHECK)),crashkernel)
	$(Q)crashkernel/check-boot

crashkernel-min:
	$(Q)crashkernel/check-boot --require --find-min

# `make install` ships the minimal kernel when it has been built (it is never built implicitly).
INSTALL_STEPS += if k=$$(crashkernel/build --path 2>/dev/null); then \
	install -D -m 0644 "$$k" "$(DESTDIR)/usr/lib/xen-kdump/vmlinuz-minimal"; fi;
