"""Xen booted without crashkernel=: load says which line to add to Xen's command line."""
import _loader

DESCRIPTION = "no crash region: the error names crashkernel= for Xen's command line"
CRASH = "none"
CRASHKERNEL = None

DOM0_SCRIPT, check = _loader.refusal("NO-REGION", "load succeeded without a crash region", [
    ("crashkernel=", "the error does not name crashkernel="),
    ("Xen's command line", "the error does not say where crashkernel= goes"),
])
