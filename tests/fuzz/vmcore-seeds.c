/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes the fuzz-vmcore seeds: small sparse synthetic Xen vmcores
 * (tests/unit/vmcore-gen.c), one per shape the decoders branch on.
 * Built and run by tests/fuzz/make-vmcore-seeds. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmcore-gen.h"
#include "vmcore-input.h"

static int seed(const char *dir, const char *name, struct vmgen_config cfg, bool extras) {
        char path[512];
        /* Small machines: under 128 KiB an input stays out of the sanitizer's
         * mmap-per-allocation path, which was most of an iteration's cost. */
        cfg.sparse = true;
        if (cfg.pdx == VMGEN_PDX_NONE)
                cfg.ram_size = 5u << 20;
        else
                cfg.ram_size = 12u << 20, cfg.hole_size = 10u << 20;    /* vmgen's PDX layout */
        cfg.conring_size = 4096;
        cfg.dom0_pages = 16;
        struct vmgen *g = vmgen_new(&cfg);
        if (extras) {
                uint64_t d = vmgen_add_domain(g, 1);
                for (uint64_t m = 300; m < 304; m++)
                        vmgen_set_page_info(g, m, 0x8000000000000001ull, d);
                if (cfg.dom0) {
                        vmgen_dom0_printk(g, 1000000, "Linux version 6.1.0-fuzz");
                        vmgen_dom0_printk(g, 2000000, "Kernel panic - not syncing: fuzz");
                }
                vmgen_console_write(g, "(XEN) Panic on CPU 1:\n(XEN) FATAL TRAP\n(XEN) ****************\n");
        }
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        int r = vmgen_write(g, path);
        vmgen_free(g);
        if (r < 0)
                return r;
        /* Stored encoded (vmcore-input.h): the fuzzers decode every input. */
        FILE *f = fopen(path, "rb");
        static uint8_t raw[8 << 20], enc[(16 << 20) + 3];
        size_t n = f ? fread(raw, 1, sizeof(raw), f) : 0;
        if (f)
                fclose(f);
        f = fopen(path, "wb");
        if (!f || n == 0)
                return -1;
        size_t e = vmcore_input_encode(raw, n, enc);
        r = fwrite(enc, 1, e, f) == e ? 0 : -1;
        return fclose(f) == 0 ? r : -1;
}

int main(int argc, char **argv) {
        const char *dir = argc > 1 ? argv[1] : ".";
        int r = 0;
        r |= seed(dir, "full", (struct vmgen_config) { .nr_cpus = 2, .crashing_cpu = 1, .dom0 = true, .loadinfo = true }, true);
        r |= seed(dir, "plain", (struct vmgen_config) { .nr_cpus = 1 }, false);
        r |= seed(dir, "old-crash-info", (struct vmgen_config) { .crash_info_size = 64, .old_image_base = true, .loadinfo = true }, true);
        r |= seed(dir, "no-notes", (struct vmgen_config) { .no_crash_info = true, .no_vmcoreinfo_xen = true, .no_cpu_notes = true }, false);
        r |= seed(dir, "dom0-only", (struct vmgen_config) { .dom0 = true, .no_console_message = true }, true);
        /* Frame table and direct map indexed by pdx (collector/xen-pdx.c), BIGMEM's layout. */
        r |= seed(dir, "pdx-offset-bigmem", (struct vmgen_config) { .xen_major = 4, .xen_minor = 21, .dom0 = true,
                  .loadinfo = true, .pdx = VMGEN_PDX_OFFSET, .bigmem = true }, true);
        r |= seed(dir, "pdx-mask", (struct vmgen_config) { .xen_major = 4, .xen_minor = 17, .loadinfo = true,
                  .pdx = VMGEN_PDX_MASK }, true);
        return r ? 1 : 0;
}
