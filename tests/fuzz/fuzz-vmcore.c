/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Arbitrary bytes as a vmcore: the ELF reader, the note walker, every Xen
 * decoder (translation, frame table, domain list, console ring, dom0's p2m
 * and printk ring), the report writer and the evidence logs (dmesg.txt,
 * xen-console.txt) must refuse or answer, never crash,
 * hang or read outside what they were given.  Seeds: tests/fuzz/corpus/
 * fuzz-vmcore/, small sparse vmcores from tests/unit/vmcore-gen.c
 * (tests/fuzz/make-vmcore-seeds) in the zero-run encoding of vmcore-input.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "vmcore-input.h"
#include "evidence.h"
#include "report.h"
#include "xen.h"

static int report_dir = -1;

static void exercise(struct xkd_vmcore *vm) {
        struct xkd_xen *x = NULL;
        struct xkd_xen_domain doms[16];
        const struct xkd_xen_crash_info *ci;
        char buf[4096];
        const char *how;
        unsigned cpu;
        uint64_t v, ci_word, owner;
        size_t cursor = 0, size;
        struct xkd_note n;

        while (xkd_vmcore_next_note(vm, &cursor, &n) > 0)
                if (n.desc_size && ((const char *) n.desc)[0] == 0x7f)
                        buf[0] = 1;     /* touch the descriptor bytes */
        (void) xkd_vmcore_notes(vm, &size);
        if (xkd_xen_open(vm, &x) < 0)
                return;
        (void) xkd_xen_crash_info(x, &ci);
        (void) xkd_xen_crashing_cpu(x, &cpu, &how);
        (void) xkd_xen_domains(x, doms, 16);
        for (uint64_t mfn = 0; mfn < 64; mfn++)
                (void) xkd_xen_page_info(x, mfn, &ci_word, &owner);
        (void) xkd_xen_max_page(x, &v);
        (void) xkd_xen_console_tail(x, buf, sizeof(buf), NULL);
        char *all = NULL;
        if (xkd_xen_console_all(x, &all, &size) == 0)
                free(all);
        (void) xkd_xen_crash_reason(x, buf, sizeof(buf));
        (void) xkd_xen_dom0_log_tail(x, buf, sizeof(buf), NULL, &how);
        (void) xkd_xen_read_virt(x, XKD_XEN_DIRECTMAP_START + 0x1000, buf, 64);
        (void) xkd_xen_dom0_read_virt(x, 0xffffffff80001000, buf, 64);
        (void) xkd_xen_key_get_string(x, XKD_INFO_LOAD, "HOSTNAME", buf, sizeof(buf));
        xkd_xen_free(x);
}

/* A smaller quarantine than ASan's 256 MiB: with it every allocation of an
 * iteration landed on fresh pages (page faults were a third of the time).
 * Use after free within an iteration is still caught. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "quarantine_size_mb=16";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct xkd_vmcore *vm = NULL;
        char path[64];
        int fd;

        log_set_max_level(LOG_LEVEL_ERROR);
        if (report_dir < 0) {
                char dir[] = "/dev/shm/xkd-fuzz-XXXXXX";
                if (!mkdtemp(dir))
                        abort();
                report_dir = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        }
        fd = vmcore_input_fd(data, size, path, sizeof(path));
        if (fd < 0)
                return 0;
        if (xkd_vmcore_open(path, &vm) == 0) {
                exercise(vm);
                (void) xkd_report_write(vm, report_dir);
                (void) xkd_evidence_write_logs(vm, report_dir);
                xkd_vmcore_free(vm);
        } else
                (void) xkd_report_write_unreadable(report_dir, path, -1);
        return 0;
}
