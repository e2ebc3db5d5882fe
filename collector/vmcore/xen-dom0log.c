/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen-internal.h"

/* Linux's lockless printk ring buffer (kernel/printk/printk_ringbuffer.h):
 * a descriptor's state_var holds its id in the low 62 bits and its state in
 * the top two; only committed (1) and finalized (2) records are readable. */
#define DESC_STATE_SHIFT 62
#define DESC_ID_MASK ((UINT64_C(1) << DESC_STATE_SHIFT) - 1)
#define DESC_COMMITTED 1
#define DESC_FINALIZED 2
#define RECORD_TEXT_MAX 1024
/* Linux sizes the descriptor ring at log_buf_len / 32: 2^19 for a 16 MiB log. */
#ifdef XKD_FUZZING
#define COUNT_BITS_MAX 12
#else
#define COUNT_BITS_MAX 22
#endif

struct prb {
        uint64_t descs, infos, data;
        uint64_t count, data_size;
        unsigned size_bits;
        uint64_t head_id, tail_id;
        uint64_t desc_size, off_state, off_text_lpos, off_begin, off_next, off_counter;
        uint64_t info_size, off_ts, off_text_len;
};

struct key {
        const char *name;
        uint64_t *dst;
};

static int read_u64(struct xkd_xen *x, uint64_t v, uint64_t *ret) {
        return xkd_xen_dom0_read_virt(x, v, ret, sizeof(*ret));
}

static int read_u32(struct xkd_xen *x, uint64_t v, uint32_t *ret) {
        return xkd_xen_dom0_read_virt(x, v, ret, sizeof(*ret));
}

static int prb_setup(struct xkd_xen *x, struct prb *p, const char **why) {
        uint64_t prb_sym, prb, off_desc_ring, off_text_ring, off_count_bits, off_descs, off_infos,
                 off_head, off_tail, off_size_bits, off_data;
        const struct key keys[] = {
                { "SYMBOL(prb)", &prb_sym },
                { "OFFSET(printk_ringbuffer.desc_ring)", &off_desc_ring },
                { "OFFSET(printk_ringbuffer.text_data_ring)", &off_text_ring },
                { "OFFSET(prb_desc_ring.count_bits)", &off_count_bits },
                { "OFFSET(prb_desc_ring.descs)", &off_descs },
                { "OFFSET(prb_desc_ring.infos)", &off_infos },
                { "OFFSET(prb_desc_ring.head_id)", &off_head },
                { "OFFSET(prb_desc_ring.tail_id)", &off_tail },
                { "SIZE(prb_desc)", &p->desc_size },
                { "OFFSET(prb_desc.state_var)", &p->off_state },
                { "OFFSET(prb_desc.text_blk_lpos)", &p->off_text_lpos },
                { "OFFSET(prb_data_blk_lpos.begin)", &p->off_begin },
                { "OFFSET(prb_data_blk_lpos.next)", &p->off_next },
                { "SIZE(printk_info)", &p->info_size },
                { "OFFSET(printk_info.ts_nsec)", &p->off_ts },
                { "OFFSET(printk_info.text_len)", &p->off_text_len },
                { "OFFSET(prb_data_ring.size_bits)", &off_size_bits },
                { "OFFSET(prb_data_ring.data)", &off_data },
                { "OFFSET(atomic_long_t.counter)", &p->off_counter },
        };
        uint32_t bits;
        int r;

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                r = xkd_xen_key_get(x, XKD_INFO_DOM0, keys[i].name, keys[i].dst);
                if (r < 0) {
                        *why = r == -ENODATA ? "no dom0 VMCOREINFO note"
                                             : "dom0's VMCOREINFO does not describe the printk ring buffer (Linux < 5.10?)";
                        return r;
                }
        }
        if (p->desc_size == 0 || p->desc_size > 4096 || p->info_size == 0 || p->info_size > 4096) {
                *why = "dom0's VMCOREINFO gives implausible printk structure sizes";
                return -EBADMSG;
        }
        *why = "cannot read dom0's printk ring buffer through dom0's p2m and page tables";
        if ((r = read_u64(x, prb_sym, &prb)) < 0)
                return r;
        uint64_t dr = prb + off_desc_ring, tr = prb + off_text_ring;
        if ((r = read_u32(x, dr + off_count_bits, &bits)) < 0)
                return r;
        if (bits > COUNT_BITS_MAX) {
                *why = "dom0's printk descriptor ring size is implausible";
                return -EBADMSG;
        }
        p->count = UINT64_C(1) << bits;
        if ((r = read_u64(x, dr + off_descs, &p->descs)) < 0 ||
            (r = read_u64(x, dr + off_infos, &p->infos)) < 0 ||
            (r = read_u64(x, dr + off_head + p->off_counter, &p->head_id)) < 0 ||
            (r = read_u64(x, dr + off_tail + p->off_counter, &p->tail_id)) < 0 ||
            (r = read_u32(x, tr + off_size_bits, &bits)) < 0 ||
            (r = read_u64(x, tr + off_data, &p->data)) < 0)
                return r;
        if (bits > 30 || bits < 4) {
                *why = "dom0's printk text ring size is implausible";
                return -EBADMSG;
        }
        p->size_bits = bits;
        p->data_size = UINT64_C(1) << bits;
        p->head_id &= DESC_ID_MASK;
        p->tail_id &= DESC_ID_MASK;
        return 0;
}

/* Formats one record as dmesg does; 0 with *len 0 when the slot holds none. */
static int prb_record(struct xkd_xen *x, const struct prb *p, uint64_t id, char *out, size_t size, size_t *len) {
        uint64_t slot = id & (p->count - 1), sv, begin, next, ts, blk_id;
        uint16_t text_len;
        char text[RECORD_TEXT_MAX];
        int r;

        *len = 0;
        uint64_t desc = p->descs + slot * p->desc_size;
        if ((r = read_u64(x, desc + p->off_state + p->off_counter, &sv)) < 0)
                return r;
        unsigned state = (unsigned) (sv >> DESC_STATE_SHIFT);
        if ((sv & DESC_ID_MASK) != id || (state != DESC_COMMITTED && state != DESC_FINALIZED))
                return 0;
        if ((r = read_u64(x, desc + p->off_text_lpos + p->off_begin, &begin)) < 0 ||
            (r = read_u64(x, desc + p->off_text_lpos + p->off_next, &next)) < 0)
                return r;
        if ((begin & 1) || (next & 1))
                return 0;       /* a record without text */
        uint64_t idx, blen;
        if ((begin >> p->size_bits) == (next >> p->size_bits)) {
                idx = begin & (p->data_size - 1);
                blen = next - begin;
        } else if ((begin >> p->size_bits) + 1 == (next >> p->size_bits)) {
                idx = 0;        /* the block did not fit before the end: it starts at 0 */
                blen = next & (p->data_size - 1);
        } else
                return 0;
        if (blen < 8 || blen > p->data_size || idx + blen > p->data_size)
                return 0;
        if ((r = read_u64(x, p->data + idx, &blk_id)) < 0)
                return r;
        if ((blk_id & DESC_ID_MASK) != id)
                return 0;
        uint64_t info = p->infos + slot * p->info_size;
        if ((r = read_u64(x, info + p->off_ts, &ts)) < 0 ||
            (r = xkd_xen_dom0_read_virt(x, info + p->off_text_len, &text_len, sizeof(text_len))) < 0)
                return r;
        size_t tlen = text_len;
        if (tlen > blen - 8)
                tlen = blen - 8;
        if (tlen > sizeof(text))
                tlen = sizeof(text);
        if ((r = xkd_xen_dom0_read_virt(x, p->data + idx + 8, text, tlen)) < 0)
                return r;
        int n = snprintf(out, size, "[%5" PRIu64 ".%06" PRIu64 "] ", ts / 1000000000, (ts % 1000000000) / 1000);
        if (n < 0 || (size_t) n >= size)
                return 0;
        size_t o = (size_t) n;
        for (size_t i = 0; i < tlen && o + 2 < size; i++) {
                unsigned char c = (unsigned char) text[i];
                out[o++] = (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) ? (char) c : '?';
        }
        out[o++] = '\n';
        out[o] = '\0';
        *len = o;
        return 0;
}

int xkd_xen_dom0_log_tail(struct xkd_xen *x, char *buf, size_t size, size_t *len, const char **why) {
        struct prb p = { 0 };
        char rec[RECORD_TEXT_MAX + 64];
        size_t n, used = 0;
        uint64_t first, id;
        int r;

        if (size == 0)
                return -EINVAL;
        buf[0] = '\0';
        r = prb_setup(x, &p, why);
        if (r < 0)
                return r;
        uint64_t span = (p.head_id - p.tail_id) & DESC_ID_MASK;
        if (span >= p.count)
                span = p.count - 1;
        /* Newest first, to know where the tail that fits begins. */
        first = p.head_id;
        for (uint64_t k = 0; k <= span; k++) {
                id = (p.head_id - k) & DESC_ID_MASK;
                r = prb_record(x, &p, id, rec, sizeof(rec), &n);
                if (r < 0)
                        break;
                if (used + n >= size)
                        break;
                used += n;
                first = id;
        }
        used = 0;
        for (id = first;; id = (id + 1) & DESC_ID_MASK) {
                if (prb_record(x, &p, id, rec, sizeof(rec), &n) == 0 && used + n < size) {
                        memcpy(buf + used, rec, n);
                        used += n;
                }
                if (id == p.head_id)
                        break;
        }
        buf[used] = '\0';
        if (len)
                *len = used;
        if (used == 0) {
                *why = "dom0's printk ring buffer holds no readable record";
                return -ENOENT;
        }
        return 0;
}
