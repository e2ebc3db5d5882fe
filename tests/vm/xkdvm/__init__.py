"""xkdvm: the Xen-in-QEMU test harness of xen-kdump (python3 standard library only)."""
