/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "bzimage.h"
#include "log.h"

static uint16_t get16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint64_t get64(const uint8_t *p) {
        return get32(p) | (uint64_t) get32(p + 4) << 32;
}

#define FIX_KERNEL "use a relocatable 64-bit Linux bzImage (CONFIG_RELOCATABLE=y, x86_64), e.g. /boot/vmlinuz-*"

int xkd_bzimage_parse(const void *data, size_t size, struct xkd_bzimage *ret) {
        const uint8_t *p = data;
        struct xkd_bzimage b = { .data = p, .size = size };

        if (size < 0x270)
                return log_error_errno(-EINVAL, "The kernel file is only %zu bytes, too short for a Linux bzImage; %s.", size, FIX_KERNEL);
        if (memcmp(p + 0x202, "HdrS", 4) != 0)
                return log_error_errno(-EINVAL, "The kernel file has no Linux boot header (no \"HdrS\" at 0x202); %s.", FIX_KERNEL);
        if (get16(p + 0x1fe) != 0xAA55)
                return log_error_errno(-EINVAL, "The kernel file has no boot sector signature (0x%04x, not 0xAA55 at 0x1fe): "
                                       "the file is corrupt; %s.", get16(p + 0x1fe), FIX_KERNEL);

        b.version = get16(p + 0x206);
        if (b.version < XKD_BOOT_PROTO_MIN)
                return log_error_errno(-EINVAL, "The kernel uses boot protocol %u.%02u; at least 2.12 is needed for the 64-bit entry; use a Linux >= 3.8 bzImage.",
                                       b.version >> 8, b.version & 0xff);

        b.setup_sects = p[0x1f1] ? p[0x1f1] : 4;
        b.setup_size = ((size_t) b.setup_sects + 1) * 512;
        b.setup_header_end = 0x202 + p[0x201];
        if (b.setup_header_end > XKD_SETUP_HDR_MAX_END || b.setup_header_end < 0x26c)
                return log_error_errno(-EINVAL, "The kernel's setup header ends at 0x%zx, outside 0x26c..0x290: the file is corrupt; %s.",
                                       b.setup_header_end, FIX_KERNEL);
        if (b.setup_size >= size)
                return log_error_errno(-EINVAL, "The kernel file is truncated: %zu bytes, but its setup alone takes %zu; copy the kernel again (%s).",
                                       size, b.setup_size, FIX_KERNEL);

        if (!(p[0x211] & XKD_LOADED_HIGH))
                return log_error_errno(-EINVAL, "The kernel is a zImage, not a bzImage (LOADED_HIGH not set); %s.", FIX_KERNEL);
        if (!p[0x234])
                return log_error_errno(-EINVAL, "The kernel is not relocatable (built without CONFIG_RELOCATABLE); a crash kernel must run inside the crash region: %s.", FIX_KERNEL);

        b.xloadflags = get16(p + 0x236);
        if (!(b.xloadflags & XKD_XLF_KERNEL_64))
                return log_error_errno(-EINVAL, "The kernel has no 64-bit entry point (XLF_KERNEL_64 not set; 32-bit kernel?); %s.", FIX_KERNEL);

        b.kernel_alignment = get32(p + 0x230);
        if (b.kernel_alignment < 4096 || (b.kernel_alignment & (b.kernel_alignment - 1)) || b.kernel_alignment > (1U << 30))
                return log_error_errno(-EINVAL, "The kernel asks for alignment 0x%x, not a power of two between 4 KiB and 1 GiB: the file is corrupt; %s.",
                                       b.kernel_alignment, FIX_KERNEL);

        b.kernel = p + b.setup_size;
        b.kernel_size = size - b.setup_size;

        uint32_t syssize = get32(p + 0x1f4);
        if ((uint64_t) syssize * 16 > (uint64_t) b.kernel_size + 15)
                return log_error_errno(-EINVAL, "The kernel file is truncated: its header says %llu bytes of kernel, the file holds %zu; copy the kernel again (%s).",
                                       (unsigned long long) syssize * 16, b.kernel_size, FIX_KERNEL);

        b.init_size = get32(p + 0x260);
        if (b.init_size < b.kernel_size || b.init_size > (1U << 30))
                return log_error_errno(-EINVAL, "The kernel's init_size 0x%x is %s: the file is corrupt; %s.", b.init_size,
                                       b.init_size < b.kernel_size ? "smaller than the kernel itself" : "over 1 GiB", FIX_KERNEL);

        b.cmdline_size = get32(p + 0x238);
        if (b.cmdline_size < 255)
                b.cmdline_size = 255;
        if (b.cmdline_size > 65535)
                b.cmdline_size = 65535;
        b.initrd_addr_max = get32(p + 0x22c);
        b.pref_address = get64(p + 0x258);
        b.payload_offset = get32(p + 0x248);
        b.payload_length = get32(p + 0x24c);

        *ret = b;
        return 0;
}
