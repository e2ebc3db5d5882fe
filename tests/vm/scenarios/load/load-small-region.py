"""Xen's crash region is too small for the capture image: load names the
region size, the size needed and the crashkernel= to use instead."""
import _loader

DESCRIPTION = "crashkernel=64M is too small: the error says how much is needed"
CRASH = "none"
CRASHKERNEL = "64M"

DOM0_SCRIPT, check = _loader.refusal("SMALL-REGION", "load into a 64 MiB region succeeded", [
    ("crash region is 64 MiB", "the error does not name the region's size"),
    ("crashkernel=", "the error does not name the crashkernel= to use"),
])
