/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xen-internal.h"
#include "xkd-note.h"

#define NT_PRSTATUS_TYPE        1
#define XEN_ELFNOTE_CRASH_INFO  0x1000001
#define XEN_ELFNOTE_CRASH_REGS  0x1000002
/* struct elf_prstatus on x86_64: pr_reg starts after signal info, pids and times. */
#define PRSTATUS_REG_OFFSET     112
#define PRSTATUS_NREGS          27
#define XKD_CPUS_MAX            XKD_XEN_CPUS_MAX

const char *xkd_xen_strerror(int error) {
        switch (error < 0 ? -error : error) {
        case 0:         return "ok";
        case ENODATA:   return "not in this dump";
        case ENOENT:    return "not exported by this Xen or loader";
        case EBADMSG:   return "malformed";
        case EFAULT:    return "machine address not in the dump";
        case EADDRNOTAVAIL: return "virtual address not mapped";
        case EIO:       return "vmcore truncated there";
        case ELOOP:     return "list loops";
        case ERANGE:    return "value out of range";
        case ENOMSG:    return "no such message";
        case EDOM:      return "this Xen's frame-table index rule (PDX compression) is not in the dump";
        default:        return strerror(error < 0 ? -error : error);
        }
}

static const char *const info_note_name[_XKD_INFO_MAX] = {
        [XKD_INFO_XEN] = "VMCOREINFO_XEN",
        [XKD_INFO_DOM0] = "VMCOREINFO",
        [XKD_INFO_LOAD] = XKD_NOTE_NAME,
};

/* Strings CRASH_INFO points at live in Xen's image; read them byte-safe. */
static void resolve_string(struct xkd_xen *x, struct xkd_xen_string *s) {
        size_t n = 0;

        s->text[0] = '\0';
        s->error = 0;
        while (n + 1 < sizeof(s->text)) {
                char chunk[64];
                size_t want = sizeof(chunk);
                /* Do not cross a page: the next one may be absent. */
                uint64_t a = s->maddr + n;
                if ((a & (XKD_PAGE_SIZE - 1)) + want > XKD_PAGE_SIZE)
                        want = XKD_PAGE_SIZE - (a & (XKD_PAGE_SIZE - 1));
                int r = xkd_vmcore_read(x->vm, a, chunk, want);
                if (r < 0) {
                        s->error = r;
                        s->text[0] = '\0';
                        return;
                }
                for (size_t i = 0; i < want; i++) {
                        if (chunk[i] == '\0' || n + 1 >= sizeof(s->text)) {
                                s->text[n] = '\0';
                                return;
                        }
                        unsigned char c = (unsigned char) chunk[i];
                        s->text[n++] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
                }
        }
        s->text[n] = '\0';
}

static void parse_crash_info(struct xkd_xen *x, const struct xkd_note *note) {
        struct xkd_xen_crash_info *ci = &x->crash_info;
        uint64_t w[10] = { 0 };

        if (x->has_crash_info)
                return; /* Xen writes one, in CPU 0's buffer */
        switch (note->desc_size) {
        case 64: ci->layout = 0; break;
        case 72: ci->layout = 1; break;
        case 80: ci->layout = 2; break;
        default:
                x->crash_info_error = -EBADMSG;
                return;
        }
        memcpy(w, note->desc, note->desc_size);
        ci->major = w[0];
        ci->minor = w[1];
        ci->extra_version.maddr = w[2];
        ci->changeset.maddr = w[3];
        ci->compiler.maddr = w[4];
        ci->compile_date.maddr = w[5];
        ci->compile_time.maddr = w[6];
        ci->tainted = w[7];
        if (ci->layout == 1) {
                ci->has_dom0_p2m = true;
                ci->dom0_pfn_to_mfn_frame_list_list = w[8];
        } else if (ci->layout == 2) {
                ci->has_xen_phys_start = ci->has_dom0_p2m = true;
                ci->xen_phys_start = w[8];
                ci->dom0_pfn_to_mfn_frame_list_list = w[9];
        }
        resolve_string(x, &ci->extra_version);
        resolve_string(x, &ci->changeset);
        resolve_string(x, &ci->compiler);
        resolve_string(x, &ci->compile_date);
        resolve_string(x, &ci->compile_time);
        x->has_crash_info = true;
        x->crash_info_error = 0;
}

/* 1: added; 0: beyond XKD_CPUS_MAX, counted and not decoded (the other
 * notes still are: one CPU too many must not hide CRASH_INFO). */
static int add_cpu(struct xkd_xen *x) {
        if (x->nr_cpus >= XKD_CPUS_MAX) {
                x->nr_cpus_ignored++;
                return 0;
        }
        if (x->nr_cpus == x->cpus_allocated) {
                size_t n = x->cpus_allocated ? 2 * x->cpus_allocated : 16;
                struct xkd_xen_cpu *c = realloc(x->cpus, n * sizeof(*c));
                if (!c)
                        return -ENOMEM;
                x->cpus = c;
                x->cpus_allocated = n;
        }
        x->cpus[x->nr_cpus] = (struct xkd_xen_cpu) { .id = (unsigned) x->nr_cpus };
        x->nr_cpus++;
        return 1;
}

/* Each CPU's buffer holds "CORE" NT_PRSTATUS then "Xen" CRASH_REGS, and the
 * buffers are emitted in CPU order: a CRASH_REGS belongs to the last CORE. */
static int parse_notes(struct xkd_xen *x) {
        size_t cursor = 0;
        struct xkd_note n;
        int r;

        bool last_core_ignored = false;

        x->crash_info_error = -ENODATA;
        while ((r = xkd_vmcore_next_note(x->vm, &cursor, &n)) > 0) {
                if (strcmp(n.name, "CORE") == 0 && n.type == NT_PRSTATUS_TYPE) {
                        r = add_cpu(x);
                        if (r < 0)
                                return r;
                        last_core_ignored = r == 0;
                        if (last_core_ignored)
                                continue;
                        struct xkd_xen_cpu *c = &x->cpus[x->nr_cpus - 1];
                        if (n.desc_size >= PRSTATUS_REG_OFFSET + PRSTATUS_NREGS * 8) {
                                uint64_t regs[PRSTATUS_NREGS];
                                memcpy(regs, (const uint8_t *) n.desc + PRSTATUS_REG_OFFSET, sizeof(regs));
                                memcpy(&c->regs, regs, sizeof(c->regs));
                                c->has_regs = true;
                                for (size_t i = 0; i < PRSTATUS_NREGS; i++)
                                        if (regs[i])
                                                c->saved = true;
                        }
                } else if (strcmp(n.name, "Xen") == 0 && n.type == XEN_ELFNOTE_CRASH_REGS) {
                        if (x->nr_cpus == 0 || last_core_ignored || x->cpus[x->nr_cpus - 1].has_crash_regs)
                                continue;       /* no CORE note to attach it to */
                        if (n.desc_size < 32)
                                continue;
                        uint64_t cr[4];
                        memcpy(cr, n.desc, sizeof(cr));
                        struct xkd_xen_cpu *c = &x->cpus[x->nr_cpus - 1];
                        c->cr0 = cr[0];
                        c->cr2 = cr[1];
                        c->cr3 = cr[2];
                        c->cr4 = cr[3];
                        c->has_crash_regs = true;
                        if (cr[0] || cr[2] || cr[3])
                                c->saved = true;
                } else if (strcmp(n.name, "Xen") == 0 && n.type == XEN_ELFNOTE_CRASH_INFO) {
                        parse_crash_info(x, &n);
                } else {
                        for (int s = 0; s < _XKD_INFO_MAX; s++)
                                if (!x->info[s] && strcmp(n.name, info_note_name[s]) == 0) {
                                        x->info[s] = n.desc;
                                        x->info_size[s] = n.desc_size;
                                }
                }
        }
        /* A malformed note ends the walk; what came before stays usable. */
        if (r < 0)
                log_warning("The vmcore's notes are malformed after %zu bytes: using the notes before that", cursor);
        return 0;
}

int xkd_xen_open(struct xkd_vmcore *vm, struct xkd_xen **ret) {
        struct xkd_xen *x;
        int r;

        if (!vm || !ret)
                return -EINVAL;
        x = calloc(1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        x->vm = vm;
        x->pcache = calloc(XKD_PCACHE_SIZE, sizeof(*x->pcache));
        if (!x->pcache) {
                free(x);
                return -ENOMEM;
        }
        r = parse_notes(x);
        if (r < 0) {
                xkd_xen_free(x);
                return r;
        }
        xkd_xen_mm_setup(x);
        *ret = x;
        return 0;
}

struct xkd_xen *xkd_xen_free(struct xkd_xen *x) {
        if (!x)
                return NULL;
        free(x->cpus);
        free(x->domains);
        free(x->pcache);
        free(x->ft_window);
        free(x);
        return NULL;
}

struct xkd_vmcore *xkd_xen_vmcore(const struct xkd_xen *x) {
        return x->vm;
}

const char *xkd_xen_info_text(const struct xkd_xen *x, enum xkd_info_source src, size_t *size) {
        if ((unsigned) src >= _XKD_INFO_MAX || !x->info[src]) {
                *size = 0;
                return NULL;
        }
        *size = x->info_size[src];
        return x->info[src];
}

/* Finds "KEY=" at a line start; returns the value and its length to EOL. */
static int find_key(const struct xkd_xen *x, enum xkd_info_source src, const char *key,
                    const char **value, size_t *len) {
        size_t size, klen = strlen(key);
        const char *t = xkd_xen_info_text(x, src, &size);
        const char *end;

        if (!t)
                return -ENODATA;
        end = t + size;
        for (const char *p = t; p < end;) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                if (!eol)
                        eol = end;
                if ((size_t) (eol - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
                        *value = p + klen + 1;
                        *len = (size_t) (eol - *value);
                        /* The note's text may carry its terminating NUL. */
                        const char *nul = memchr(*value, '\0', *len);
                        if (nul)
                                *len = (size_t) (nul - *value);
                        return 0;
                }
                p = eol + 1;
        }
        return -ENOENT;
}

int xkd_xen_key_get_string(const struct xkd_xen *x, enum xkd_info_source src, const char *key,
                           char *buf, size_t size) {
        const char *v;
        size_t len;
        int r = find_key(x, src, key, &v, &len);
        if (r < 0)
                return r;
        if (size == 0)
                return -EINVAL;
        if (len >= size)
                len = size - 1;
        memcpy(buf, v, len);
        buf[len] = '\0';
        return 0;
}

int xkd_xen_key_get(const struct xkd_xen *x, enum xkd_info_source src, const char *key, uint64_t *ret) {
        char buf[64], *end;
        int r = xkd_xen_key_get_string(x, src, key, buf, sizeof(buf));
        /* Hex by convention: Linux's and Xen's SYMBOL() and KERNELOFFSET, the
         * loader's machine addresses (xkd-note.h). */
        bool hex = strncmp(key, "SYMBOL(", 7) == 0 || strcmp(key, "KERNELOFFSET") == 0 ||
                   strcmp(key, "DOM0_VMCOREINFO") == 0 || strcmp(key, "CRASH_REGION") == 0;
        const char *p = buf;
        bool neg = false;

        if (r < 0)
                return r;
        if (strncmp(p, "0x", 2) == 0 || strncmp(p, "0X", 2) == 0) {
                hex = true;
                p += 2;
        } else if (!hex && *p == '-') {
                neg = true;     /* NUMBER() may be negative */
                p++;
        }
        if (!((*p >= '0' && *p <= '9') || (hex && ((*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))))
                return -EBADMSG;
        errno = 0;
        unsigned long long v = strtoull(p, &end, hex ? 16 : 10);
        if (errno == ERANGE)
                return -ERANGE;
        /* DOM0_VMCOREINFO carries "<maddr> <size>": the first word counts. */
        if (*end != '\0' && *end != ' ')
                return -EBADMSG;
        *ret = neg ? (uint64_t) -(int64_t) v : (uint64_t) v;
        return 0;
}

int xkd_xen_info_get(const struct xkd_xen *x, const char *key, uint64_t *ret) {
        return xkd_xen_key_get(x, XKD_INFO_XEN, key, ret);
}

int xkd_xen_symbol(const struct xkd_xen *x, const char *name, uint64_t *ret) {
        char key[128];
        int r, r2;

        if (snprintf(key, sizeof(key), "SYMBOL(%s)", name) >= (int) sizeof(key))
                return -EINVAL;
        r = xkd_xen_key_get(x, XKD_INFO_XEN, key, ret);
        if (r == 0)
                return 0;
        r2 = xkd_xen_key_get(x, XKD_INFO_LOAD, key, ret);
        if (r2 == 0)
                return 0;
        /* Say "not exported" rather than "no note" if either note exists. */
        return (r == -ENODATA) ? r2 : r;
}

int xkd_xen_crash_info(const struct xkd_xen *x, const struct xkd_xen_crash_info **ret) {
        if (!x->has_crash_info)
                return x->crash_info_error ? x->crash_info_error : -ENODATA;
        *ret = &x->crash_info;
        return 0;
}

/* Letters as Xen's print_tainted() prints them (xen/common/kernel.c). */
const char *xkd_xen_tainted_string(uint64_t tainted, char *buf, size_t size) {
        static const struct { uint64_t bit; char letter; } letters[] = {
                { 1u << 4, 'I' }, { 1u << 1, 'M' }, { 1u << 0, 'C' },
                { 1u << 2, 'E' }, { 1u << 3, 'H' }, { 1u << 5, 'S' }, { 1u << 6, 'A' },
        };
        size_t n;

        if (size == 0)
                return buf;
        if (tainted == 0) {
                snprintf(buf, size, "Not tainted");
                return buf;
        }
        n = (size_t) snprintf(buf, size, "Tainted: ");
        for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]) && n + 1 < size; i++)
                if (tainted & letters[i].bit)
                        buf[n++] = letters[i].letter;
        buf[n < size ? n : size - 1] = '\0';
        uint64_t unknown = tainted & ~UINT64_C(0x7f);
        if (unknown && n < size)
                snprintf(buf + n, size - n, " (unknown bits %#" PRIx64 ")", unknown);
        return buf;
}

size_t xkd_xen_nr_cpus(const struct xkd_xen *x) {
        return x->nr_cpus;
}

size_t xkd_xen_nr_cpus_ignored(const struct xkd_xen *x) {
        return x->nr_cpus_ignored;
}

const struct xkd_xen_cpu *xkd_xen_cpu(const struct xkd_xen *x, size_t i) {
        return i < x->nr_cpus ? &x->cpus[i] : NULL;
}
