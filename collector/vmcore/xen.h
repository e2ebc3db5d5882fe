/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Xen decoding on top of vmcore.h: the notes Xen and the loader leave in a
 * whole-machine dump, Xen virtual addresses, the frame table and the domain
 * list.  Contract between the reader (xen*.c, report*.c) and the dump writer
 * (filter*.c, kdump*.c): nothing else in the collector decodes Xen.
 *
 * Conventions: functions return 0 or a negative errno, and nothing here is
 * ever invented.  Errors that mean "this dump does not carry it":
 *   -ENODATA  the note / table is absent from the dump
 *   -ENOENT   the note is there but lacks the key or symbol
 *   -EBADMSG  present but malformed (size, bad number, failed cross-check)
 *   -ELOOP    domain_list loops
 *   -EADDRNOTAVAIL  a virtual address the page tables (or linear maps) do not map
 *   -EFAULT   a machine address no PT_LOAD holds (not RAM, or left out of the dump)
 *   -EIO      the vmcore is truncated at that address
 *   -ENOMSG   readable, but holds nothing of the kind (console ring)
 * xkd_xen_strerror() turns those into the "reason" the report prints.
 *
 * Versions covered: x86_64 Xen >= 4.0 (page_info._domain is the pdx of the
 * owner's struct domain, owner = DIRECTMAP_VIRT_START + pdx * 4 KiB; 32 bits,
 * 64 with CONFIG_BIGMEM, which also moves the direct map from PML4 slot 262
 * to 265: told apart by where the frame table is).  Xen image base
 * 0xffff82d040000000 for Xen >= 4.14, 0xffff82d080000000 for 4.4-4.13; the
 * image linear map is only a fallback: when SYMBOL(pgd_l4) is known every
 * virtual address is translated by walking Xen's 4-level page tables.
 * SYMBOL(frame_table) is the address of a pointer to the table (on x86 a
 * static copy in Xen's kexec code): xkd_xen_page_info() dereferences it.
 * PDX compression (frame-table index != machine frame): mask (<= 4.17, and
 * 4.21+ if so built) and offset (4.21+ x86 default) decoded from Xen's
 * variables, found through the symbols the loader saved in the XEN_KDUMP
 * note (xen-pdx.c says which version does what); when a Xen that may
 * compress left no such variables in the note, xkd_xen_pdx_state() says so
 * and the frame table is not read.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmcore.h"

#define XKD_XEN_DIRECTMAP_START   UINT64_C(0xffff830000000000)
#define XKD_XEN_DIRECTMAP_END     UINT64_C(0xffff880000000000)
#define XKD_XEN_IMAGE_START_414   UINT64_C(0xffff82d040000000)
#define XKD_XEN_IMAGE_START_44    UINT64_C(0xffff82d080000000)
#define XKD_XEN_IMAGE_SIZE        UINT64_C(0x40000000)
#define XKD_XEN_FRAMETABLE_START  UINT64_C(0xffff82e000000000)
/* CONFIG_BIGMEM (xen/arch/x86/include/asm/config.h, 4.17-4.22): the frame
 * table takes slots 262-264, the direct map starts at 265. */
#define XKD_XEN_BIGMEM_FRAMETABLE_START UINT64_C(0xffff830000000000)
#define XKD_XEN_BIGMEM_DIRECTMAP_START  UINT64_C(0xffff848000000000)

struct xkd_xen;

/* Decodes the notes; never fails for missing data (each accessor says what
 * is missing), only for -ENOMEM / -EINVAL.  The vmcore must outlive ctx. */
int xkd_xen_open(struct xkd_vmcore *vm, struct xkd_xen **ret);
struct xkd_xen *xkd_xen_free(struct xkd_xen *x);
struct xkd_vmcore *xkd_xen_vmcore(const struct xkd_xen *x);

/* A short human reason for one of the errors above ("no CRASH_INFO note"). */
const char *xkd_xen_strerror(int error);

/* ---- key=value notes -------------------------------------------------- */

enum xkd_info_source {
        XKD_INFO_XEN,           /* "VMCOREINFO_XEN" written by Xen */
        XKD_INFO_DOM0,          /* "VMCOREINFO" dom0 Linux's, added by the loader */
        XKD_INFO_LOAD,          /* "XEN_KDUMP" load-time info (xkd-note.h) */
        _XKD_INFO_MAX,
};

/* Raw text of the note (not NUL-terminated), or NULL with *size 0. */
const char *xkd_xen_info_text(const struct xkd_xen *x, enum xkd_info_source src, size_t *size);

/* Numbers: SYMBOL(...), KERNELOFFSET, DOM0_VMCOREINFO and CRASH_REGION are hex
 * (with or without 0x), others decimal unless prefixed 0x; for "A B" values
 * the first word.  -ENODATA no such note, -ENOENT no such key. */
int xkd_xen_key_get(const struct xkd_xen *x, enum xkd_info_source src, const char *key, uint64_t *ret);
/* The value text up to the end of line, NUL-terminated, truncated to size. */
int xkd_xen_key_get_string(const struct xkd_xen *x, enum xkd_info_source src, const char *key,
                           char *buf, size_t size);

/* VMCOREINFO_XEN shorthand: xkd_xen_info_get(x, "SYMBOL(frame_table)", &v). */
int xkd_xen_info_get(const struct xkd_xen *x, const char *key, uint64_t *ret);

/* A Xen symbol's address: VMCOREINFO_XEN SYMBOL(name) first, then the
 * loader's XEN_KDUMP note. */
int xkd_xen_symbol(const struct xkd_xen *x, const char *name, uint64_t *ret);

/* ---- CRASH_INFO ------------------------------------------------------- */

#define XKD_XEN_STR_MAX 256

struct xkd_xen_string {
        uint64_t maddr;                 /* as in the note */
        int error;                      /* 0, or why text[] is empty */
        char text[XKD_XEN_STR_MAX];     /* NUL-terminated, non-printables as '?' */
};

struct xkd_xen_crash_info {
        unsigned layout;                /* 0: 8 words, 1: +p2m, 2: +xen_phys_start +p2m */
        uint64_t major, minor;
        struct xkd_xen_string extra_version, changeset, compiler, compile_date, compile_time;
        uint64_t tainted;
        bool has_xen_phys_start, has_dom0_p2m;
        uint64_t xen_phys_start;
        uint64_t dom0_pfn_to_mfn_frame_list_list;       /* an MFN */
};

/* -ENODATA when the note is missing, -EBADMSG when its size is unknown. */
int xkd_xen_crash_info(const struct xkd_xen *x, const struct xkd_xen_crash_info **ret);

/* Xen's print_tainted() letters for a tainted word, e.g. "Tainted: M  C  "
 * as Xen prints it ("Not tainted" when 0); buf >= 64 bytes. */
const char *xkd_xen_tainted_string(uint64_t tainted, char *buf, size_t size);

/* ---- physical CPUs ---------------------------------------------------- */

/* NT_PRSTATUS pr_reg, in the kernel's user_regs_struct order. */
struct xkd_xen_regs {
        uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
        uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, rflags, rsp, ss;
        uint64_t fs_base, gs_base, ds, es, fs, gs;
};

struct xkd_xen_cpu {
        unsigned id;                    /* order of the "CORE" notes = Xen CPU number */
        bool has_regs;                  /* NT_PRSTATUS seen */
        bool has_crash_regs;            /* CRASH_REGS seen */
        bool saved;                     /* registers not all zero: the CPU wrote its note */
        struct xkd_xen_regs regs;
        uint64_t cr0, cr2, cr3, cr4;
};

size_t xkd_xen_nr_cpus(const struct xkd_xen *x);
/* CPUs whose notes were not decoded: beyond the first XKD_XEN_CPUS_MAX. */
#define XKD_XEN_CPUS_MAX 8192u
size_t xkd_xen_nr_cpus_ignored(const struct xkd_xen *x);
const struct xkd_xen_cpu *xkd_xen_cpu(const struct xkd_xen *x, size_t i);

/* Which CPU ran kexec_crash(), from what Xen printed on that CPU before the
 * jump: "Executing kexec image on cpuN" (kexec_common_shutdown()) or "Panic
 * on CPU N", read from the console ring.  -ENODATA when the ring is
 * unavailable or names none; *how (static text) says which line answered or
 * why nothing did.  The CPU numbers are the order of the "CORE" notes. */
int xkd_xen_crashing_cpu(struct xkd_xen *x, unsigned *ret, const char **how);

/* A hint, not proof, for dumps without the console ring: the CPUs Xen stops
 * save their notes in the crash NMI handler, on the NMI IST stack (page 2 of
 * the 8-page per-CPU stack, Xen >= 4.14), so a single CPU whose saved stack
 * pointer is elsewhere is usually the crashing one.  It is wrong when the
 * crash itself came from an NMI in hypervisor context while exactly one
 * other CPU was running a guest (Xen then moves that CPU's NMI frame to its
 * primary stack): never report it as the crashing CPU.  -ENODATA if no
 * single CPU stands out. */
int xkd_xen_crashing_cpu_hint(struct xkd_xen *x, unsigned *ret, const char **how);

/* ---- addresses -------------------------------------------------------- */

/* Xen virtual -> machine address.  Page-table walk from SYMBOL(pgd_l4) when
 * available, else the direct map / Xen image linear maps. */
int xkd_xen_virt_to_maddr(struct xkd_xen *x, uint64_t vaddr, uint64_t *ret);
int xkd_xen_read_virt(struct xkd_xen *x, uint64_t vaddr, void *buf, size_t len);
/* A 4-level x86_64 walk from the machine address of an L4 table whose entries
 * hold machine addresses (Xen's tables, or a PV guest's). */
int xkd_xen_walk(struct xkd_xen *x, uint64_t l4_maddr, uint64_t vaddr, uint64_t *ret);
/* True when translations use Xen's page tables (not the linear fallback). */
bool xkd_xen_uses_page_tables(const struct xkd_xen *x);

/* ---- frame table ------------------------------------------------------ */

/* One past the highest valid MFN per Xen's max_page (-ENODATA if unknown). */
int xkd_xen_max_page(struct xkd_xen *x, uint64_t *ret);
/* False when this Xen may compress frame-table indexes and the dump does not
 * say how (then xkd_xen_pdx_state() gives the reason). */
bool xkd_xen_pdx_known(const struct xkd_xen *x);
/* 0, or -EDOM with *why (one line) as above. */
int xkd_xen_pdx_state(const struct xkd_xen *x, const char **why);
/* "none", "mask", "offset" or "unknown". */
const char *xkd_xen_pdx_scheme_name(const struct xkd_xen *x);
/* The frame-table index of a frame and back (Xen's pfn_to_pdx / pdx_to_pfn). */
uint64_t xkd_xen_pfn_to_pdx(const struct xkd_xen *x, uint64_t pfn);
uint64_t xkd_xen_pdx_to_pfn(const struct xkd_xen *x, uint64_t pdx);
/* Whether the frame has a frame-table entry of its own under the rule (Xen's
 * __mfn_valid() compression check); others alias another frame's entry. */
bool xkd_xen_pfn_has_pdx(const struct xkd_xen *x, uint64_t pfn);
/* Where this Xen's direct map starts (CONFIG_BIGMEM or not), the owner
 * address a page_info._domain value stands for, and that field's width. */
uint64_t xkd_xen_directmap_start(const struct xkd_xen *x);
uint64_t xkd_xen_owner_from_pdx(const struct xkd_xen *x, uint64_t pdx);
unsigned xkd_xen_domain_pdx_bytes(const struct xkd_xen *x);

/* The len bytes of the frame table at vaddr (inside one page) in a window of
 * pages read ahead in one go, valid until the next call; NULL when the
 * window cannot be filled there: then read the entry the way you would
 * without it.  A pointer, not a copy: scans call this for every frame. */
const uint8_t *xkd_xen_frame_table_at(struct xkd_xen *x, uint64_t vaddr, size_t len);
/* A page_info._domain value of `bytes` (4, or 8 with CONFIG_BIGMEM) at p. */
static inline uint64_t xkd_xen_domain_field(const uint8_t *p, unsigned bytes) {
        uint32_t v4;
        uint64_t v8;
        if (bytes == 8) {
                __builtin_memcpy(&v8, p, 8);
                return v8;
        }
        __builtin_memcpy(&v4, p, 4);
        return v4;
}

/* count_info and the owning domain's Xen virtual address (0 = no owner). */
int xkd_xen_page_info(struct xkd_xen *x, uint64_t mfn, uint64_t *count_info, uint64_t *owner);

/* Xen's special owners (the value *dom_xen etc.), 0 when unknown. */
uint64_t xkd_xen_dom_xen(struct xkd_xen *x);
uint64_t xkd_xen_dom_io(struct xkd_xen *x);

/* ---- domains ---------------------------------------------------------- */

struct xkd_xen_domain {
        uint64_t vaddr;                 /* struct domain's Xen virtual address */
        uint16_t id;
};

/* Walks domain_list -> next_in_list; at most max entries.  Returns the
 * number found (>= 0) or an error if not even the head can be read. */
int xkd_xen_domains(struct xkd_xen *x, struct xkd_xen_domain *doms, size_t max);

/* ---- dom0 ------------------------------------------------------------- */

/* dom0 pseudo-physical frame -> MFN through the p2m CRASH_INFO names. */
int xkd_xen_dom0_pfn_to_mfn(struct xkd_xen *x, uint64_t pfn, uint64_t *ret);
/* dom0 kernel virtual -> machine address (kernel image via phys_base + p2m,
 * everything else through dom0's init_top_pgt, whose entries are MFNs). */
int xkd_xen_dom0_virt_to_maddr(struct xkd_xen *x, uint64_t vaddr, uint64_t *ret);
int xkd_xen_dom0_read_virt(struct xkd_xen *x, uint64_t vaddr, void *buf, size_t len);

/* ---- Xen's console ring ---------------------------------------------- */

/* The newest bytes of Xen's console ring (conring, conring_size, conringp:
 * VMCOREINFO_XEN or the loader's symbols), up to size - 1, NUL-terminated,
 * oldest first; non-printable bytes other than '\n' and '\t' become '?'. */
int xkd_xen_console_tail(struct xkd_xen *x, char *buf, size_t size, size_t *len);
/* The whole console ring, oldest first, sanitized like the tail; *ret is malloc'ed. */
int xkd_xen_console_all(struct xkd_xen *x, char **ret, size_t *len);

/* What Xen printed about the crash in the console ring, e.g. the lines
 * between "Panic on CPU N:" and the closing asterisks, "Hardware Dom0
 * crashed", or the 'C' debug key.  -ENOMSG when the ring holds none;
 * other errors (-ENOENT: no conring symbols, ...) mean the ring is unreadable. */
int xkd_xen_crash_reason(struct xkd_xen *x, char *buf, size_t size);

/* ---- dom0's kernel log ------------------------------------------------ */

/* The newest records of dom0 Linux's printk ring buffer (Linux >= 5.10, the
 * lockless "prb" that dom0's VMCOREINFO describes), formatted like dmesg
 * ("[    1.234567] text\n"), up to size - 1 bytes, NUL-terminated.  Reads
 * dom0 virtual memory through the p2m in CRASH_INFO and dom0's init_top_pgt.
 * On error *why (static text) names the step that failed. */
int xkd_xen_dom0_log_tail(struct xkd_xen *x, char *buf, size_t size, size_t *len, const char **why);

/* ---- what each CPU was running ----------------------------------------- */

struct xkd_xen_cpu_vcpu {
        bool idle;              /* per_cpu(curr_vcpu) is idle_vcpu[cpu] */
        uint64_t vcpu;          /* struct vcpu's Xen virtual address */
        uint16_t domain_id;     /* valid unless idle */
        int vcpu_id;
};

/* The vCPU whose register state was loaded on a CPU (Xen switches lazily,
 * so an idle CPU may still hold a guest's).  Needs the loader's symbols
 * (per_cpu__curr_vcpu, __per_cpu_offset, idle_vcpu).  struct vcpu's first
 * fields (vcpu_id, processor, vcpu_info, domain: offsets 0, 4, 8, 16, the same
 * from Xen 3.x to 4.19) are only believed when processor is this CPU and
 * domain is on domain_list; -EBADMSG otherwise. */
int xkd_xen_cpu_vcpu(struct xkd_xen *x, unsigned cpu, struct xkd_xen_cpu_vcpu *ret);
