/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * An independent reader of kdump-compressed files for the tests: follows
 * the same rules crash uses (descriptor found by counting set bits of the
 * second bitmap; offset 0 = never written) so a dump can be compared page
 * by page with its source vmcore.
 */

#include <stdbool.h>
#include <stdint.h>

#include "kdump-format.h"

struct kcheck {
        int fd;
        struct kdump_disk_dump_header header;
        struct kdump_sub_header sub;
        uint64_t max_mapnr;
        uint64_t bitmap_half_bytes;
        uint8_t *ram, *dumped;
        uint64_t desc_offset;
        uint64_t *rank;                 /* set bits of "dumped" before each 4096-frame section */
};

int kcheck_open(const char *path, struct kcheck *k);
void kcheck_close(struct kcheck *k);
bool kcheck_is_ram(const struct kcheck *k, uint64_t pfn);
bool kcheck_is_dumped(const struct kcheck *k, uint64_t pfn);
/* 0 and the page; -ENOENT not dumped; -ENODATA descriptor never written;
 * -EBADMSG bad descriptor or data. */
int kcheck_read_page(struct kcheck *k, uint64_t pfn, uint8_t *page);
int kcheck_read_desc(struct kcheck *k, uint64_t pfn, struct kdump_page_desc *d);
