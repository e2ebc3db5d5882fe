/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <zstd.h>

#include "compress-pool.h"
#include "filter.h"
#include "kdump-format.h"
#include "kdump-writer.h"
#include "log.h"
#include "page-dedup.h"

#define BLOCK                XKD_PAGE_SIZE
#define DESC_BUF_ENTRIES     2048u              /* 48 KiB of descriptors */
#define DATA_BUF_SIZE        (256u << 10)
#define READ_BATCH_PAGES     64u                /* one pread per run of frames */

struct xkd_kdump_writer {
        struct xkd_vmcore *vm;
        struct xkd_sink *sink;
        struct xkd_kdump_options opt;
        struct kdump_disk_dump_header header;
        ZSTD_CCtx *cctx;

        uint64_t desc_offset;           /* first descriptor */
        uint64_t data_offset;           /* first data byte: the shared zero page */

        struct kdump_page_desc *descs;  /* pending descriptors */
        uint64_t *desc_idx;             /* their positions in the table, increasing */
        unsigned n_descs;

        uint8_t *data;                  /* pending page data */
        size_t data_len;
        uint64_t data_pos;              /* file offset of data[0] */

        uint8_t *pages;                 /* READ_BATCH_PAGES frames read */
        uint8_t *cbuf;                  /* one compressed page */
        struct xkd_compress_pool *pool; /* NULL: compress inline */
        uint8_t *pre;                   /* a batch compressed by the pool */
        uint32_t pre_size[READ_BATCH_PAGES];
        bool pre_skip[READ_BATCH_PAGES];
        struct xkd_page_dedup *dedup;   /* NULL: off */
        bool header_final;              /* block 0 written with its final status */
        struct kdump_page_desc zero_desc;
};

static uint64_t div_up(uint64_t a, uint64_t b) {
        return (a + b - 1) / b;
}

static void copy_field(char *dst, const char *src) {
        if (src)
                strncpy(dst, src, KDUMP_UTS_LEN - 1);
}

/* A freed writer's buffers and zstd context wait here for the next writer: over
 * a megabyte, each an mmap, page faults and a munmap, and the context's tables
 * built again.  The collector makes a writer per dump, its tests and the fuzzer
 * thousands; the collector is single-threaded. */
static struct xkd_kdump_writer *kept;

int xkd_kdump_writer_new(struct xkd_vmcore *vm, struct xkd_sink *sink,
                         const struct xkd_kdump_options *opt, struct xkd_kdump_writer **ret) {
        struct xkd_kdump_writer *w = kept;

        if (w) {
                kept = NULL;
                *w = (struct xkd_kdump_writer) { .cctx = w->cctx, .descs = w->descs, .desc_idx = w->desc_idx,
                                                 .data = w->data, .pages = w->pages, .cbuf = w->cbuf };
        } else if (!(w = calloc(1, sizeof(*w))))
                return -ENOMEM;
        w->vm = vm;
        w->sink = sink;
        w->opt = *opt;
        if (w->opt.zstd_level == 0)
                w->opt.zstd_level = XKD_ZSTD_DEFAULT_LEVEL;
        if (!w->descs)
                w->descs = calloc(DESC_BUF_ENTRIES, sizeof(*w->descs));
        if (!w->desc_idx)
                w->desc_idx = calloc(DESC_BUF_ENTRIES, sizeof(*w->desc_idx));
        if (!w->data)
                w->data = malloc(DATA_BUF_SIZE);
        if (!w->pages)
                w->pages = malloc((size_t) READ_BATCH_PAGES * BLOCK);
        if (!w->cbuf)
                w->cbuf = malloc(BLOCK);
        if (!w->descs || !w->desc_idx || !w->data || !w->pages || !w->cbuf)
                goto oom;
        if (!opt->no_dedup) {
                if (xkd_page_dedup_new(opt->dedup_slots_log2 ? opt->dedup_slots_log2
                                                                            : XKD_DEDUP_SLOTS_LOG2_DEFAULT,
                                                     &w->dedup) < 0)
                        goto oom;
        }
        if (!w->opt.page_digest)
                w->opt.page_digest = xkd_page_digest;
        if (opt->compress == XKD_COMPRESS_ZSTD) {
                if (w->cctx && ZSTD_isError(ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_and_parameters))) {
                        ZSTD_freeCCtx(w->cctx);
                        w->cctx = NULL;
                }
                if (!w->cctx)
                        w->cctx = ZSTD_createCCtx();
                if (!w->cctx)
                        goto oom;
                ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->opt.zstd_level);
                /* Every page is 4096 bytes: the frame header need not say so. */
                ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 0);
                ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 0);
        } else {
                ZSTD_freeCCtx(w->cctx);         /* a context means zstd pages */
                w->cctx = NULL;
        }
        if (w->cctx && opt->compress_threads >= 2) {
                unsigned t = opt->compress_threads < XKD_COMPRESS_POOL_MAX_THREADS ? opt->compress_threads
                                                                                    : XKD_COMPRESS_POOL_MAX_THREADS;
                w->pre = malloc((size_t) READ_BATCH_PAGES * BLOCK);
                if (!w->pre || xkd_compress_pool_new(t, w->opt.zstd_level, &w->pool) < 0)
                        goto oom;
        }
        *ret = w;
        return 0;
oom:
        xkd_kdump_writer_free(w);
        return -ENOMEM;
}

struct xkd_kdump_writer *xkd_kdump_writer_free(struct xkd_kdump_writer *w) {
        if (!w)
                return NULL;
        /* What depends on this writer's options goes; the buffers and the context wait. */
        xkd_page_dedup_free(w->dedup);
        xkd_compress_pool_free(w->pool);
        free(w->pre);
        w->dedup = NULL;
        w->pool = NULL;
        w->pre = NULL;
        if (!kept) {
                kept = w;
                return NULL;
        }
        ZSTD_freeCCtx(w->cctx);
        free(w->descs);
        free(w->desc_idx);
        free(w->data);
        free(w->pages);
        free(w->cbuf);
        free(w);
        return NULL;
}

/* Where the dump's vmcoreinfo points: dom0's Linux VMCOREINFO when the loader
 * added it (what makedumpfile does, and what `crash --log` and dom0 analysis
 * use), else Xen's VMCOREINFO_XEN. */
static void find_notes_info(struct xkd_vmcore *vm, const void *notes, uint64_t *vmcoreinfo_off,
                            uint64_t *vmcoreinfo_size, int *nr_cpus) {
        struct xkd_note n;
        size_t cursor = 0;
        bool have_linux = false;

        *vmcoreinfo_off = *vmcoreinfo_size = 0;
        *nr_cpus = 0;
        while (xkd_vmcore_next_note(vm, &cursor, &n) > 0) {
                uint64_t desc = (uint64_t) ((const char *) n.desc - (const char *) notes);

                if (n.type == NT_PRSTATUS && strcmp(n.name, "CORE") == 0)
                        (*nr_cpus)++;
                else if (strcmp(n.name, "VMCOREINFO") == 0 && !have_linux) {
                        have_linux = true;
                        *vmcoreinfo_off = desc;
                        *vmcoreinfo_size = n.desc_size;
                } else if (strcmp(n.name, "VMCOREINFO_XEN") == 0 && !have_linux) {
                        *vmcoreinfo_off = desc;
                        *vmcoreinfo_size = n.desc_size;
                }
        }
}

static bool block_is_zero(const uint8_t *p) {
        static const uint8_t zero[BLOCK];
        return memcmp(p, zero, BLOCK) == 0;
}

/* The bitmap's blocks are its chunks; the last block is always written so
 * that the file reaches the end of the bitmaps even with no page after them. */
static int write_bitmap(struct xkd_kdump_writer *w, uint64_t offset, uint64_t blocks, const struct xkd_bitmap *b) {
        static const uint8_t zero[BLOCK];
        bool wrote_last = false;

        for (size_t k = 0; k < b->nchunks; k++) {
                uint64_t no = xkd_bitmap_chunk_no(b, k);
                const uint8_t *c = b->bits + k * XKD_BITMAP_CHUNK_BYTES;
                int r;

                if (no >= blocks)
                        break;
                if (block_is_zero(c) && no != blocks - 1)
                        continue;
                r = xkd_sink_write_at(w->sink, offset + no * BLOCK, c, BLOCK);
                if (r < 0)
                        return r;
                wrote_last = no == blocks - 1;
        }
        return wrote_last || blocks == 0 ? 0 : xkd_sink_write_at(w->sink, offset + (blocks - 1) * BLOCK, zero, BLOCK);
}

static int write_headers(struct xkd_kdump_writer *w, const struct xkd_bitmap *ram,
                         const struct xkd_bitmap *dump, uint64_t ndescs) {
        struct kdump_disk_dump_header *h = &w->header;
        struct kdump_sub_header sub = { 0 };
        uint64_t max_mapnr = ram->nbits, bitmap_half, note_size = 0, vi_off, vi_size;
        uint64_t sub_blocks;
        const void *notes = xkd_vmcore_notes(w->vm, &note_size);
        struct timeval tv;
        uint8_t *buf;
        int nr_cpus, r;

        find_notes_info(w->vm, notes, &vi_off, &vi_size, &nr_cpus);
        sub_blocks = div_up(sizeof(sub) + note_size, BLOCK);
        bitmap_half = div_up(div_up(max_mapnr, 8), BLOCK);

        memset(h, 0, sizeof(*h));
        memcpy(h->signature, KDUMP_SIGNATURE, sizeof(h->signature));
        h->header_version = KDUMP_HEADER_VERSION;
        copy_field(h->utsname.sysname, "Xen");
        copy_field(h->utsname.nodename, w->opt.nodename);
        copy_field(h->utsname.release, w->opt.release);
        copy_field(h->utsname.machine, "x86_64");
        gettimeofday(&tv, NULL);
        h->timestamp.tv_sec = tv.tv_sec;
        h->timestamp.tv_usec = tv.tv_usec;
        h->status = KDUMP_INCOMPLETE | (w->opt.compress == XKD_COMPRESS_ZSTD ? KDUMP_COMPRESSED_ZSTD : 0);
        h->block_size = BLOCK;
        h->sub_hdr_size = (int32_t) sub_blocks;
        h->bitmap_blocks = (uint32_t) (2 * bitmap_half);
        h->max_mapnr = (uint32_t) (max_mapnr > UINT32_MAX ? UINT32_MAX : max_mapnr);
        h->nr_cpus = nr_cpus > 0 ? nr_cpus : 1;

        sub.dump_level = (int32_t) w->opt.dump_level;
        sub.offset_note = BLOCK + sizeof(sub);
        sub.size_note = note_size;
        if (vi_size) {
                sub.offset_vmcoreinfo = sub.offset_note + (int64_t) vi_off;
                sub.size_vmcoreinfo = vi_size;
        }
        sub.max_mapnr_64 = max_mapnr;

        w->desc_offset = (1 + sub_blocks + 2 * bitmap_half) * BLOCK;
        w->data_offset = w->desc_offset + ndescs * sizeof(struct kdump_page_desc);

        /* Blocks 0 .. sub header + notes, in one piece.  A stream gets block 0
         * only once, at the end, with its final status (xkd_kdump_set_complete). */
        buf = calloc(1 + sub_blocks, BLOCK);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, h, sizeof(*h));
        memcpy(buf + BLOCK, &sub, sizeof(sub));
        if (note_size)
                memcpy(buf + BLOCK + sizeof(sub), notes, note_size);
        if (w->sink->write_once)
                r = xkd_sink_write_at(w->sink, BLOCK, buf + BLOCK, sub_blocks * BLOCK);
        else
                r = xkd_sink_write_at(w->sink, 0, buf, (1 + sub_blocks) * BLOCK);
        free(buf);
        if (r < 0)
                return r;

        /* The bitmaps: max_mapnr bits each, as the format wants, but only
         * their non-zero blocks are written (the rest are holes in a file,
         * absent from a stream; both read back as zeros).  A host with one
         * page at 8 TiB has two 256 MiB bitmaps of which one block each is
         * data. */
        r = write_bitmap(w, (1 + sub_blocks) * BLOCK, bitmap_half, ram);
        if (r >= 0)
                r = write_bitmap(w, (1 + sub_blocks + bitmap_half) * BLOCK, bitmap_half, dump);
        return r;
}

static int flush_data(struct xkd_kdump_writer *w) {
        int r;

        if (w->data_len == 0)
                return 0;
        r = xkd_sink_write_at(w->sink, w->data_pos, w->data, w->data_len);
        if (r < 0)
                return r;
        w->data_pos += w->data_len;
        w->data_len = 0;
        return 0;
}

/* Data first: a descriptor on disk must never point at bytes that are not.
 * Pending descriptors go out as runs of consecutive table positions. */
static int flush_descs(struct xkd_kdump_writer *w) {
        int r = flush_data(w);

        for (unsigned i = 0, j; r >= 0 && i < w->n_descs; i = j) {
                for (j = i + 1; j < w->n_descs && w->desc_idx[j] == w->desc_idx[j - 1] + 1; j++)
                        ;
                r = xkd_sink_write_at(w->sink, w->desc_offset + w->desc_idx[i] * sizeof(struct kdump_page_desc),
                                      &w->descs[i], (j - i) * sizeof(struct kdump_page_desc));
        }
        if (r < 0)
                return r;
        w->n_descs = 0;
        return 0;
}

static int push_desc(struct xkd_kdump_writer *w, uint64_t idx, const struct kdump_page_desc *d) {
        w->descs[w->n_descs] = *d;
        w->desc_idx[w->n_descs++] = idx;
        return w->n_descs == DESC_BUF_ENTRIES ? flush_descs(w) : 0;
}

/* A hole: the descriptor stays all-zero, which readers take as "not written". */
static int push_missing(struct xkd_kdump_writer *w, uint64_t idx) {
        static const struct kdump_page_desc none = { 0 };
        return push_desc(w, idx, &none);
}

/* Compress when that saves space, else store raw; returns the stored size. */
static size_t encode_page(struct xkd_kdump_writer *w, const uint8_t *page, const uint8_t **out,
                          uint32_t *flags) {
        if (w->cctx) {
                size_t n = ZSTD_compress2(w->cctx, w->cbuf, BLOCK - 1, page, BLOCK);
                if (!ZSTD_isError(n) && n < BLOCK) {
                        *out = w->cbuf;
                        *flags = KDUMP_COMPRESSED_ZSTD;
                        return n;
                }
        }
        *out = page;
        *flags = 0;
        return BLOCK;
}


static int append_data(struct xkd_kdump_writer *w, const void *p, size_t n, uint64_t *offset) {
        int r;

        /* Descriptors go out with every buffer of data, so a dump cut short
         * keeps everything written before the last flush readable. */
        if (w->data_len + n > DATA_BUF_SIZE && (r = flush_descs(w)) < 0)
                return r;
        *offset = w->data_pos + w->data_len;
        memcpy(w->data + w->data_len, p, n);
        w->data_len += n;
        return 0;
}

static bool page_is_zero(const uint8_t *p) {
        const uint64_t *q = (const uint64_t *) p;

        for (size_t i = 0; i < BLOCK / 8; i += 4)
                if (q[i] | q[i + 1] | q[i + 2] | q[i + 3])
                        return false;
        return true;
}

static int write_zero_page(struct xkd_kdump_writer *w) {
        static const uint8_t zero[BLOCK];
        const uint8_t *out;
        uint32_t flags;
        size_t n = encode_page(w, zero, &out, &flags);
        uint64_t off = 0;
        int r = append_data(w, out, n, &off);

        w->zero_desc = (struct kdump_page_desc) { .offset = (int64_t) off, .size = (uint32_t) n, .flags = flags };
        return r;
}

static int read_frame(struct xkd_kdump_writer *w, uint64_t mfn, uint8_t *page);

static int read_frame_for_dedup(void *w, uint64_t mfn, uint8_t *page) {
        return read_frame(w, mfn, page);
}

/* An identical page stored before: its descriptor, after comparing the
 * bytes (the digest only says where to look). */
static bool find_duplicate(struct xkd_kdump_writer *w, uint64_t digest, const uint8_t *page,
                           struct kdump_page_desc *d) {
        const uint8_t *earlier;
        uint64_t mfn;

        if (!w->dedup || !xkd_page_dedup_find(w->dedup, digest, &mfn, d))
                return false;
        earlier = xkd_page_dedup_earlier(w->dedup, mfn, read_frame_for_dedup, w);
        return earlier && memcmp(earlier, page, BLOCK) == 0;
}

/* pre: the pool's slot for this page (NULL: compress here). */
static int store_page(struct xkd_kdump_writer *w, uint64_t mfn, uint64_t idx, const uint8_t *page,
                      const uint8_t *pre, uint32_t pre_size, struct xkd_kdump_result *res) {
        struct kdump_page_desc d = { 0 };
        const uint8_t *out;
        uint64_t off = 0, digest = 0;
        size_t n;
        int r;

        if (page_is_zero(page)) {
                res->zero_pages++;
                return push_desc(w, idx, &w->zero_desc);
        }
        if (w->dedup) {
                digest = w->opt.page_digest(page);
                if (find_duplicate(w, digest, page, &d)) {
                        res->dup_pages++;
                        return push_desc(w, idx, &d);
                }
                d = (struct kdump_page_desc) { 0 };
        }
        if (pre && pre_size) {
                out = pre;
                n = pre_size;
                d.flags = KDUMP_COMPRESSED_ZSTD;
        } else if (pre) {
                out = page;
                n = BLOCK;
        } else
                n = encode_page(w, page, &out, &d.flags);
        if (d.flags == 0)
                res->raw_pages++;
        r = append_data(w, out, n, &off);
        if (r < 0)
                return r;
        d.offset = (int64_t) off;
        d.size = (uint32_t) n;
        if (w->dedup)
                xkd_page_dedup_add(w->dedup, digest, mfn, &d);
        return push_desc(w, idx, &d);
}

/* One frame; the last frame of a RAM range that ends mid-page (E820 ranges
 * often do, e.g. at 0x9fc00) is read as far as it exists, then zero-filled. */
static int read_frame(struct xkd_kdump_writer *w, uint64_t mfn, uint8_t *page) {
        uint64_t maddr = mfn * BLOCK;
        size_t n = xkd_vmcore_nr_ranges(w->vm);
        int r = xkd_vmcore_read_page(w->vm, mfn, page);

        if (r >= 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                const struct xkd_ram_range *rr = xkd_vmcore_range(w->vm, i);
                if (maddr >= rr->start && maddr < rr->start + rr->size && rr->start + rr->size - maddr < BLOCK) {
                        memset(page, 0, BLOCK);
                        return xkd_vmcore_read(w->vm, maddr, page, (size_t) (rr->start + rr->size - maddr));
                }
        }
        return r;
}

/* Frames [mfn, mfn+run) are all to be dumped, inside one RAM range, and take
 * table positions idx, idx+1, ... */
static int write_run(struct xkd_kdump_writer *w, uint64_t mfn, unsigned run, uint64_t idx,
                     struct xkd_kdump_result *res) {
        bool batch_ok = xkd_vmcore_read(w->vm, mfn * BLOCK, w->pages, (size_t) run * BLOCK) >= 0;
        bool pooled = w->pool && batch_ok;
        int r;

        if (pooled) {
                for (unsigned k = 0; k < run; k++)
                        w->pre_skip[k] = page_is_zero(w->pages + (size_t) k * BLOCK);
                xkd_compress_pool_run(w->pool, w->pages, run, w->pre_skip, w->pre, w->pre_size);
        }

        for (unsigned k = 0; k < run; k++) {
                uint8_t *page = w->pages + (size_t) k * BLOCK;

                /* A failed batch is retried page by page to keep every readable one. */
                if (!batch_ok && read_frame(w, mfn + k, page) < 0) {
                        res->read_errors++;
                        r = push_missing(w, idx + k);
                } else
                        r = store_page(w, mfn + k, idx + k, page, pooled ? w->pre + (size_t) k * BLOCK : NULL,
                                       pooled ? w->pre_size[k] : 0, res);
                if (r < 0)
                        return r;
                res->pages_done++;
        }
        return 0;
}

struct tiers {
        const struct xkd_bitmap *const *maps;
        unsigned n;
};

/* Pass i writes the frames of tiers[i] not in an earlier tier; the last
 * pass (i == n) the frames in none. */
static bool in_pass(const struct xkd_bitmap *dump, const struct tiers *t, unsigned pass, uint64_t mfn) {
        unsigned tier = 0;

        if (!xkd_bitmap_test(dump, mfn))
                return false;
        while (tier < t->n && !xkd_bitmap_test(t->maps[tier], mfn))
                tier++;
        return tier == pass;
}

/* Length of the run of this pass's frames at mfn that stay in mfn's RAM range. */
static unsigned run_length(struct xkd_kdump_writer *w, const struct xkd_bitmap *dump, const struct tiers *t,
                           unsigned pass, uint64_t mfn, uint64_t *range_end) {
        unsigned run = 0;

        if (mfn >= *range_end) {
                size_t n = xkd_vmcore_nr_ranges(w->vm);
                *range_end = mfn + 1;
                for (size_t i = 0; i < n; i++) {
                        const struct xkd_ram_range *r = xkd_vmcore_range(w->vm, i);
                        uint64_t first = r->start / BLOCK, end = div_up(r->start + r->size, BLOCK);
                        if (mfn >= first && mfn < end) {
                                *range_end = end;
                                break;
                        }
                }
        }
        while (run < READ_BATCH_PAGES && mfn + run < *range_end && in_pass(dump, t, pass, mfn + run))
                run++;
        return run ? run : 1;
}

int xkd_kdump_write_ordered(struct xkd_kdump_writer *w, const struct xkd_bitmap *ram,
                            const struct xkd_bitmap *dump, const struct xkd_bitmap *const *tier_maps,
                            unsigned n_tiers, struct xkd_kdump_result *res) {
        struct tiers t = { tier_maps, tier_maps ? n_tiers : 0 };
        int r;

        memset(res, 0, sizeof(*res));
        res->pages = xkd_bitmap_count(dump);

        r = write_headers(w, ram, dump, res->pages);
        if (r < 0)
                return r;
        w->data_pos = w->data_offset;
        r = write_zero_page(w);
        if (r < 0)
                return r;

        for (unsigned pass = 0; pass <= t.n; pass++) {
                uint64_t range_end = 0, idx = 0;        /* idx: table position = dumped frames before */

                for (uint64_t mfn = xkd_bitmap_next_set(dump, 0); mfn < dump->nbits; ) {
                        unsigned run;

                        if (!in_pass(dump, &t, pass, mfn)) {
                                idx++;
                                mfn = xkd_bitmap_next_set(dump, mfn + 1);
                                continue;
                        }
                        if (w->opt.deadline_ns && xkd_monotonic_ns() >= w->opt.deadline_ns) {
                                r = flush_descs(w);
                                res->file_size = w->data_pos;
                                return r < 0 ? r : -ETIMEDOUT;
                        }
                        run = run_length(w, dump, &t, pass, mfn, &range_end);
                        r = write_run(w, mfn, run, idx, res);
                        if (r < 0)
                                return r;
                        mfn = xkd_bitmap_next_set(dump, mfn + run);
                        idx += run;
                        if (w->opt.progress)
                                w->opt.progress(w->opt.progress_userdata, res->pages_done, res->pages);
                }
                /* A pass's descriptors are out before the next pass's data. */
                r = flush_descs(w);
                if (r < 0)
                        return r;
        }
        res->file_size = w->data_pos;
        return 0;
}

int xkd_kdump_write(struct xkd_kdump_writer *w, const struct xkd_bitmap *ram,
                    const struct xkd_bitmap *dump, struct xkd_kdump_result *res) {
        return xkd_kdump_write_ordered(w, ram, dump, NULL, 0, res);
}

int xkd_kdump_set_complete(struct xkd_kdump_writer *w, bool complete) {
        uint8_t block[BLOCK] = { 0 };

        if (w->header.block_size == 0)
                return -ENODATA;        /* nothing written yet */
        if (w->sink->write_once && w->header_final)
                return -EALREADY;
        w->header_final = true;

        if (complete)
                w->header.status &= ~KDUMP_INCOMPLETE;
        else
                w->header.status |= KDUMP_INCOMPLETE;
        memcpy(block, &w->header, sizeof(w->header));
        return xkd_sink_write_at(w->sink, 0, block, sizeof(block));
}
