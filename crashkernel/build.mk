# The minimal capture kernel (crashkernel/README.md).
#   make crashkernel        build it once into the cache (installs linux-source-6.1 on demand)
#   make check-crashkernel  boot it in plain QEMU; skipped (not failed) while it is not cached,
#                           so a fresh machine's `make check` does not spend the kernel build
#   make crashkernel-min    also search the smallest memory it captures in
.PHONY: crashkernel check-crashkernel crashkernel-min

crashkernel:
	$(Q)crashkernel/build

check-crashkernel:
	$(Q)crashkernel/check-boot

crashkernel-min:
	$(Q)crashkernel/check-boot --require --find-min
