/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsers for what a saved dump holds: the vmcore's header (kdump, ELF or
 * flattened), its ELF notes, and report.json.  The bytes come from a disk a
 * crashing machine wrote: every length and offset is checked against the file
 * before it is used, nesting is bounded, and text is cut to its buffer.
 */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dumplist.h"
#include "kdump-format.h"

#define NOTES_MAX       (4u << 20)      /* a 4096-CPU host's notes fit many times */
#define PHDRS_MAX       8192u
#define FLAT_RECORDS_MAX (1u << 20)
#define JSON_DEPTH_MAX  64
#define BITMAP_MAX      (256u << 20)    /* one bitmap of an 8 TiB host */
#define DESCS_FULL_MAX  (4u << 20)      /* descriptors checked one by one up to here (96 MiB) */
#define CHUNK           (1u << 20)

static int read_exact(xkd_dump_read_fn rd, void *ud, void *buf, size_t n, uint64_t off) {
        ssize_t r = rd(ud, buf, n, off);
        if (r < 0)
                return (int) r;
        return (size_t) r == n ? 0 : -ENODATA;
}

static bool fits(uint64_t off, uint64_t len, uint64_t size) {
        return off <= size && len <= size - off;
}

/* ---- ELF notes ----------------------------------------------------------- */

int xkd_dump_notes_release(const uint8_t *notes, size_t len, char *out, size_t size) {
        size_t pos = 0;

        if (size == 0)
                return -EINVAL;
        out[0] = '\0';
        while (len - pos >= sizeof(Elf64_Nhdr)) {
                Elf64_Nhdr nh;
                memcpy(&nh, notes + pos, sizeof(nh));
                pos += sizeof(nh);
                size_t namesz = nh.n_namesz, descsz = nh.n_descsz;
                size_t name_pad = (namesz + 3) & ~(size_t) 3, desc_pad = (descsz + 3) & ~(size_t) 3;
                if (name_pad < namesz || desc_pad < descsz || name_pad > len - pos || desc_pad > len - pos - name_pad)
                        return -EBADMSG;
                const char *name = (const char *) notes + pos;
                const char *desc = name + name_pad;
                pos += name_pad + desc_pad;
                /* dom0's note is "VMCOREINFO"; Xen's own is "VMCOREINFO_XEN" and names Xen. */
                if (namesz != sizeof("VMCOREINFO") || memcmp(name, "VMCOREINFO", sizeof("VMCOREINFO")) != 0)
                        continue;
                for (size_t i = 0; i < descsz; ) {
                        const char *line = desc + i;
                        const char *nl = memchr(line, '\n', descsz - i);
                        size_t ll = nl ? (size_t) (nl - line) : descsz - i;
                        if (ll > 10 && memcmp(line, "OSRELEASE=", 10) == 0) {
                                size_t n = ll - 10 < size - 1 ? ll - 10 : size - 1;
                                memcpy(out, line + 10, n);
                                out[n] = '\0';
                                /* A NUL inside would hide the rest; keep what precedes it. */
                                xkd_dump_sanitize(out, false);
                                return out[0] ? 0 : -ENOENT;
                        }
                        i += ll + 1;
                }
        }
        return -ENOENT;
}

static void notes_at(xkd_dump_read_fn rd, void *ud, uint64_t size, uint64_t off, uint64_t len,
                     struct xkd_dump_header *h) {
        uint8_t *buf;

        if (h->release[0] || len == 0 || len > NOTES_MAX || !fits(off, len, size))
                return;
        buf = malloc(len);
        if (!buf)
                return;
        if (read_exact(rd, ud, buf, len, off) == 0)
                (void) xkd_dump_notes_release(buf, len, h->release, sizeof(h->release));
        free(buf);
}

/* ---- kdump --------------------------------------------------------------- */

static const char *kdump_compression(uint32_t status) {
        if (status & KDUMP_COMPRESSED_ZSTD)
                return "zstd";
        if (status & KDUMP_COMPRESSED_LZO)
                return "lzo";
        if (status & KDUMP_COMPRESSED_SNAPPY)
                return "snappy";
        if (status & KDUMP_COMPRESSED_ZLIB)
                return "zlib";
        return "none";
}

/* Every page descriptor must point inside the file: a vmcore cut short (a
 * copy interrupted, a damaged filesystem) keeps its headers and bitmaps but
 * loses page data.  Offset 0 is a page the writer never got to.  Above
 * DESCS_FULL_MAX descriptors, evenly spaced chunks and the last one are
 * checked, so a listing stays quick on a huge dump. */
static void kdump_check_pages(xkd_dump_read_fn rd, void *ud, uint64_t size, uint64_t bitmap2, uint64_t half,
                              uint64_t desc_start, struct xkd_dump_header *h) {
        uint64_t dumped = 0;
        uint8_t *buf;

        if (half > BITMAP_MAX || !fits(bitmap2, half, size))
                return;
        buf = malloc(CHUNK);
        if (!buf)
                return;
        for (uint64_t o = 0; o < half; o += CHUNK) {
                size_t n = half - o < CHUNK ? (size_t) (half - o) : CHUNK;
                if (read_exact(rd, ud, buf, n, bitmap2 + o) < 0) {
                        h->truncated = true;
                        goto out;
                }
                for (size_t i = 0; i < n; i++)
                        dumped += (uint64_t) __builtin_popcount(buf[i]);
        }
        if (!fits(desc_start, dumped * sizeof(struct kdump_page_desc), size)) {
                h->truncated = true;
                goto out;
        }
        const uint64_t per_chunk = CHUNK / sizeof(struct kdump_page_desc);
        uint64_t chunks = (dumped + per_chunk - 1) / per_chunk;
        uint64_t step = dumped <= DESCS_FULL_MAX ? 1 : chunks / (DESCS_FULL_MAX / per_chunk) + 1;
        for (uint64_t c = 0; c < chunks; c = c + step < chunks ? c + step : chunks - 1) {
                uint64_t first = c * per_chunk, n = dumped - first < per_chunk ? dumped - first : per_chunk;
                struct kdump_page_desc *d = (struct kdump_page_desc *) buf;
                if (read_exact(rd, ud, buf, n * sizeof(*d), desc_start + first * sizeof(*d)) < 0) {
                        h->truncated = true;
                        goto out;
                }
                for (uint64_t i = 0; i < n; i++)
                        if (d[i].offset <= 0 || !fits((uint64_t) d[i].offset, d[i].size, size)) {
                                h->truncated = true;
                                goto out;
                        }
                if (c == chunks - 1)
                        break;
        }
out:
        free(buf);
}

static void parse_kdump(xkd_dump_read_fn rd, void *ud, uint64_t size, struct xkd_dump_header *h) {
        struct kdump_disk_dump_header dh;
        struct kdump_sub_header sh;
        uint64_t bs, data_start;

        h->format = XKD_DUMP_FORMAT_KDUMP;
        if (read_exact(rd, ud, &dh, sizeof(dh), 0) < 0) {
                h->truncated = true;
                return;
        }
        h->compression = kdump_compression(dh.status);
        h->flagged_incomplete = (dh.status & KDUMP_INCOMPLETE) != 0;
        bs = (uint64_t) (int64_t) dh.block_size;
        if (dh.block_size < 512 || dh.block_size > (1 << 20) || (bs & (bs - 1)) || dh.sub_hdr_size < 0) {
                h->truncated = true;    /* a header this wrong cannot describe what follows */
                return;
        }
        data_start = (1 + (uint64_t) dh.sub_hdr_size + dh.bitmap_blocks) * bs;
        if (data_start > size)
                h->truncated = true;
        else {
                uint64_t half = (uint64_t) dh.bitmap_blocks / 2 * bs;
                kdump_check_pages(rd, ud, size, (1 + (uint64_t) dh.sub_hdr_size) * bs + half, half, data_start, h);
        }
        if (read_exact(rd, ud, &sh, sizeof(sh), bs) < 0)
                return;
        if (sh.offset_note > 0)
                notes_at(rd, ud, size, (uint64_t) sh.offset_note, sh.size_note, h);
}

/* ---- ELF ----------------------------------------------------------------- */

static void parse_elf(xkd_dump_read_fn rd, void *ud, uint64_t size, struct xkd_dump_header *h) {
        Elf64_Ehdr eh;

        h->format = XKD_DUMP_FORMAT_ELF;
        h->compression = "none";
        if (read_exact(rd, ud, &eh, sizeof(eh), 0) < 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
            eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_phentsize != sizeof(Elf64_Phdr) ||
            !fits(eh.e_phoff, (uint64_t) eh.e_phnum * sizeof(Elf64_Phdr), size)) {
                h->truncated = true;
                return;
        }
        for (unsigned i = 0; i < eh.e_phnum && i < PHDRS_MAX; i++) {
                Elf64_Phdr ph;
                if (read_exact(rd, ud, &ph, sizeof(ph), eh.e_phoff + (uint64_t) i * sizeof(ph)) < 0) {
                        h->truncated = true;
                        return;
                }
                if (ph.p_type == PT_LOAD && !fits(ph.p_offset, ph.p_filesz, size))
                        h->truncated = true;
                else if (ph.p_type == PT_NOTE)
                        notes_at(rd, ud, size, ph.p_offset, ph.p_filesz, h);
        }
}

/* ---- flattened ----------------------------------------------------------- */

/* Records {be64 offset, be64 size} + data after a 4096-byte header; the
 * stream ends with {-1, -1}.  Finds the one record that holds the dump's bytes
 * [want, want + len) and reads them (a stream writer may put the kdump header
 * last, so each lookup walks the records). */
static int flat_read(xkd_dump_read_fn rd, void *ud, uint64_t size, uint64_t want, void *buf, size_t len) {
        uint64_t pos = KDUMP_FLAT_HEADER_SIZE;

        for (unsigned i = 0; i < FLAT_RECORDS_MAX; i++) {
                struct kdump_flat_record rec;
                if (read_exact(rd, ud, &rec, sizeof(rec), pos) < 0)
                        return -ENODATA;
                int64_t off = (int64_t) be64toh((uint64_t) rec.offset), n = (int64_t) be64toh((uint64_t) rec.size);
                if (off < 0 || n < 0 || !fits(pos + sizeof(rec), (uint64_t) n, size))
                        return -ENODATA;        /* the end marker, or damage */
                if ((uint64_t) off <= want && len <= (uint64_t) n && want - (uint64_t) off <= (uint64_t) n - len)
                        return read_exact(rd, ud, buf, len, pos + sizeof(rec) + (want - (uint64_t) off));
                pos += sizeof(rec) + (uint64_t) n;
        }
        return -E2BIG;
}

static void parse_flat(xkd_dump_read_fn rd, void *ud, uint64_t size, struct xkd_dump_header *h) {
        struct kdump_disk_dump_header dh;
        struct kdump_sub_header sh;
        uint8_t end[16], all_ff[16];
        uint64_t bs;

        h->format = XKD_DUMP_FORMAT_FLAT;
        memset(all_ff, 0xff, sizeof(all_ff));
        if (size < KDUMP_FLAT_HEADER_SIZE + sizeof(end) ||
            read_exact(rd, ud, end, sizeof(end), size - sizeof(end)) < 0 || memcmp(end, all_ff, sizeof(end)) != 0)
                h->truncated = true;
        if (flat_read(rd, ud, size, 0, &dh, sizeof(dh)) < 0 || memcmp(dh.signature, KDUMP_SIGNATURE, 8) != 0)
                return;
        h->compression = kdump_compression(dh.status);
        h->flagged_incomplete = (dh.status & KDUMP_INCOMPLETE) != 0;
        bs = (uint64_t) (int64_t) dh.block_size;
        if (dh.block_size < 512 || dh.block_size > (1 << 20) || (bs & (bs - 1)) ||
            flat_read(rd, ud, size, bs, &sh, sizeof(sh)) < 0)
                return;
        if (sh.offset_note > 0 && sh.size_note > 0 && sh.size_note <= NOTES_MAX) {
                uint8_t *notes = malloc(sh.size_note);
                if (notes && flat_read(rd, ud, size, (uint64_t) sh.offset_note, notes, sh.size_note) == 0)
                        (void) xkd_dump_notes_release(notes, sh.size_note, h->release, sizeof(h->release));
                free(notes);
        }
}

int xkd_dump_parse_header(xkd_dump_read_fn rd, void *ud, uint64_t size, struct xkd_dump_header *h) {
        uint8_t magic[16];

        memset(h, 0, sizeof(*h));
        h->compression = "";
        if (size < sizeof(magic) || read_exact(rd, ud, magic, sizeof(magic), 0) < 0) {
                h->format = XKD_DUMP_FORMAT_UNKNOWN;
                h->truncated = true;
                return 0;
        }
        if (memcmp(magic, KDUMP_SIGNATURE, 8) == 0)
                parse_kdump(rd, ud, size, h);
        else if (memcmp(magic, ELFMAG, SELFMAG) == 0)
                parse_elf(rd, ud, size, h);
        else if (memcmp(magic, KDUMP_FLAT_SIGNATURE, strlen(KDUMP_FLAT_SIGNATURE)) == 0)
                parse_flat(rd, ud, size, h);
        else
                h->format = XKD_DUMP_FORMAT_UNKNOWN;
        return 0;
}

struct mem_vmcore {
        const uint8_t *data;
        size_t size;
};

static ssize_t mem_read(void *userdata, void *buf, size_t n, uint64_t off) {
        const struct mem_vmcore *m = userdata;

        if (off >= m->size)
                return 0;
        if (n > m->size - off)
                n = m->size - (size_t) off;
        memcpy(buf, m->data + off, n);
        return (ssize_t) n;
}

int xkd_dump_parse_header_mem(const void *data, size_t size, struct xkd_dump_header *h) {
        struct mem_vmcore m = { .data = data, .size = size };

        return xkd_dump_parse_header(mem_read, &m, size, h);
}

/* ---- report.json --------------------------------------------------------- */

struct json_cursor {
        const char *p, *end;
        struct xkd_dump_report *r;
        char format[32];
};

static void skip_ws(struct json_cursor *j) {
        while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
                j->p++;
}

static int hexval(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A string into out (cut to size, never overrun); out may be NULL to skip.
 * Non-ASCII escapes become '?': the reader only prints them. */
static int json_string(struct json_cursor *j, char *out, size_t size) {
        size_t n = 0;

        if (j->p >= j->end || *j->p != '"')
                return -EBADMSG;
        j->p++;
        while (j->p < j->end && *j->p != '"') {
                char c = *j->p++;
                if ((unsigned char) c < 0x20)
                        return -EBADMSG;
                if (c == '\\') {
                        if (j->p >= j->end)
                                return -EBADMSG;
                        c = *j->p++;
                        switch (c) {
                        case '"': case '\\': case '/': break;
                        case 'b': c = '\b'; break;
                        case 'f': c = '\f'; break;
                        case 'n': c = '\n'; break;
                        case 'r': c = '\r'; break;
                        case 't': c = '\t'; break;
                        case 'u': {
                                unsigned v = 0;
                                if (j->end - j->p < 4)
                                        return -EBADMSG;
                                for (int i = 0; i < 4; i++) {
                                        int h = hexval(j->p[i]);
                                        if (h < 0)
                                                return -EBADMSG;
                                        v = v << 4 | (unsigned) h;
                                }
                                j->p += 4;
                                c = v >= 0x01 && v < 0x80 ? (char) v : '?';
                                break;
                        }
                        default:
                                return -EBADMSG;
                        }
                }
                if (out && n + 1 < size)
                        out[n++] = c;
        }
        if (j->p >= j->end)
                return -EBADMSG;
        j->p++;
        if (out && size)
                out[n] = '\0';
        return 0;
}

static char *string_slot(struct json_cursor *j, const char *path, size_t *size) {
        struct xkd_dump_report *r = j->r;
        static const struct { const char *path; size_t off, size; } slots[] = {
                { "crash.reason", offsetof(struct xkd_dump_report, reason), sizeof(r->reason) },
                { "crash.time", offsetof(struct xkd_dump_report, crash_time), sizeof(r->crash_time) },
                { "crash.dom0_panic", offsetof(struct xkd_dump_report, dom0_panic), sizeof(r->dom0_panic) },
                { "xen.version", offsetof(struct xkd_dump_report, xen_version), sizeof(r->xen_version) },
                { "dom0.osrelease", offsetof(struct xkd_dump_report, dom0_release), sizeof(r->dom0_release) },
                { "dump.status", offsetof(struct xkd_dump_report, dump_status), sizeof(r->dump_status) },
                { "dump.file", offsetof(struct xkd_dump_report, dump_file), sizeof(r->dump_file) },
        };
        if (strcmp(path, "format") == 0) {
                *size = sizeof(j->format);
                return j->format;
        }
        for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
                if (strcmp(path, slots[i].path) == 0) {
                        *size = slots[i].size;
                        return (char *) r + slots[i].off;
                }
        return NULL;
}

static int json_number(struct json_cursor *j, const char *path) {
        char buf[32];
        size_t n = 0;

        while (j->p < j->end && strchr("+-0123456789.eE", *j->p) && *j->p) {
                if (n + 1 < sizeof(buf))
                        buf[n++] = *j->p;
                j->p++;
        }
        if (n == 0)
                return -EBADMSG;
        buf[n] = '\0';
        if (strcmp(path, "crash.crashing_cpu") == 0) {
                char *e;
                long v = strtol(buf, &e, 10);
                if (*e == '\0' && v >= 0 && v < 65536)
                        j->r->crashing_cpu = (int) v;
        }
        return 0;
}

static int json_literal(struct json_cursor *j, const char *word) {
        size_t n = strlen(word);
        if ((size_t) (j->end - j->p) < n || memcmp(j->p, word, n) != 0)
                return -EBADMSG;
        j->p += n;
        return 0;
}

/* Steps over an opening '{' or '['; true when close follows at once (an empty one, consumed). */
static bool json_open(struct json_cursor *j, char close) {
        j->p++;
        skip_ws(j);
        if (j->p < j->end && *j->p == close) {
                j->p++;
                return true;
        }
        return false;
}

/* After a member or an element: 1 when a ',' says more follow, 0 at close (consumed). */
static int json_next(struct json_cursor *j, char close) {
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
                j->p++;
                return 1;
        }
        if (j->p < j->end && *j->p == close) {
                j->p++;
                return 0;
        }
        return -EBADMSG;
}

/* path names the value for the fields we keep; "" inside arrays and deep down. */
static int json_value(struct json_cursor *j, const char *path, int depth) {
        int r;

        if (depth > JSON_DEPTH_MAX)
                return -EBADMSG;
        skip_ws(j);
        if (j->p >= j->end)
                return -EBADMSG;
        switch (*j->p) {
        case '{':
                if (json_open(j, '}'))
                        return 0;
                for (;;) {
                        char key[48], child[112];
                        skip_ws(j);
                        r = json_string(j, key, sizeof(key));
                        if (r < 0)
                                return r;
                        skip_ws(j);
                        if (j->p >= j->end || *j->p != ':')
                                return -EBADMSG;
                        j->p++;
                        if (depth < 2 && (depth == 0 || path[0]))
                                snprintf(child, sizeof(child), "%s%s%s", path, path[0] ? "." : "", key);
                        else
                                child[0] = '\0';
                        r = json_value(j, child, depth + 1);
                        if (r < 0)
                                return r;
                        r = json_next(j, '}');
                        if (r <= 0)
                                return r;
                }
        case '[':
                if (json_open(j, ']'))
                        return 0;
                for (;;) {
                        r = json_value(j, "", depth + 1);
                        if (r < 0)
                                return r;
                        r = json_next(j, ']');
                        if (r <= 0)
                                return r;
                }
        case '"': {
                size_t size = 0;
                char *slot = path[0] ? string_slot(j, path, &size) : NULL;
                return json_string(j, slot, size);
        }
        case 't':
                return json_literal(j, "true");
        case 'f':
                return json_literal(j, "false");
        case 'n':
                return json_literal(j, "null");
        default:
                return json_number(j, path);
        }
}

int xkd_dump_parse_report(const char *text, size_t len, struct xkd_dump_report *r) {
        struct json_cursor j = { .p = text, .end = text + len, .r = r };
        int ret;

        memset(r, 0, sizeof(*r));
        r->present = true;
        r->crashing_cpu = -1;
        skip_ws(&j);
        if (j.p >= j.end || *j.p != '{')
                ret = -EBADMSG;
        else
                ret = json_value(&j, "", 0);
        if (ret == 0) {
                skip_ws(&j);
                if (j.p != j.end || strcmp(j.format, "xen-kdump-report") != 0)
                        ret = -EBADMSG;
        }
        if (ret < 0) {
                /* Half a parse is not believed: a corrupt report says nothing. */
                memset(r, 0, sizeof(*r));
                r->present = true;
                r->crashing_cpu = -1;
                return ret;
        }
        r->valid = true;
        xkd_dump_sanitize(r->reason, false);
        xkd_dump_sanitize(r->crash_time, false);
        xkd_dump_sanitize(r->dom0_panic, false);
        xkd_dump_sanitize(r->xen_version, false);
        xkd_dump_sanitize(r->dom0_release, false);
        xkd_dump_sanitize(r->dump_status, false);
        xkd_dump_sanitize(r->dump_file, false);
        return 0;
}
