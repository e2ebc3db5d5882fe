/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The kdump-compressed dump format ("KDUMP   ", header version 6) as
 * makedumpfile writes it and crash reads it, x86_64 layout.  Only the writer
 * and the tests' reader include this.  Every field offset is pinned below so a
 * compiler or edit that moves one breaks the build instead of the dump.
 *
 * File layout, in blocks of block_size (= page size, 4096):
 *   block 0                      disk_dump_header
 *   block 1 ..                   kdump_sub_header, then a copy of the ELF notes
 *   1 + sub_hdr_size ..          bitmap 1 ("RAM"), then bitmap 2 ("dumped"),
 *                                bitmap_blocks covers both halves
 *   after the bitmaps            one page_desc per set bit of bitmap 2, pfn order
 *   after the descriptors        page data at the descriptors' absolute offsets
 * A descriptor whose offset is 0 means "never written" (incomplete dump).
 */

#include <stddef.h>
#include <stdint.h>

#if !defined(__x86_64__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the kdump header layout here is the x86_64 one"
#endif

#define KDUMP_SIGNATURE          "KDUMP   "
#define KDUMP_HEADER_VERSION     6
#define KDUMP_UTS_LEN            65

/* disk_dump_header.status and page_desc.flags */
#define KDUMP_COMPRESSED_ZLIB    0x01u
#define KDUMP_COMPRESSED_LZO     0x02u
#define KDUMP_COMPRESSED_SNAPPY  0x04u
#define KDUMP_INCOMPLETE         0x08u
#define KDUMP_EXCLUDED_VMEMMAP   0x10u
#define KDUMP_COMPRESSED_ZSTD    0x20u

struct kdump_utsname {
        char sysname[KDUMP_UTS_LEN];
        char nodename[KDUMP_UTS_LEN];
        char release[KDUMP_UTS_LEN];
        char version[KDUMP_UTS_LEN];
        char machine[KDUMP_UTS_LEN];
        char domainname[KDUMP_UTS_LEN];
};

struct kdump_timeval {
        int64_t tv_sec;
        int64_t tv_usec;
};

struct kdump_disk_dump_header {
        char signature[8];
        int32_t header_version;
        struct kdump_utsname utsname;
        struct kdump_timeval timestamp;
        uint32_t status;
        int32_t block_size;
        int32_t sub_hdr_size;           /* blocks */
        uint32_t bitmap_blocks;         /* both bitmaps together */
        uint32_t max_mapnr;             /* truncated; see max_mapnr_64 */
        uint32_t total_ram_blocks;
        uint32_t device_blocks;
        uint32_t written_blocks;
        uint32_t current_cpu;
        int32_t nr_cpus;
};

struct kdump_sub_header {
        uint64_t phys_base;
        int32_t dump_level;
        int32_t split;
        uint64_t start_pfn;
        uint64_t end_pfn;
        int64_t offset_vmcoreinfo;
        uint64_t size_vmcoreinfo;
        int64_t offset_note;
        uint64_t size_note;
        int64_t offset_eraseinfo;
        uint64_t size_eraseinfo;
        uint64_t start_pfn_64;
        uint64_t end_pfn_64;
        uint64_t max_mapnr_64;
};

struct kdump_page_desc {
        int64_t offset;                 /* absolute file offset of the data */
        uint32_t size;                  /* stored bytes */
        uint32_t flags;                 /* KDUMP_COMPRESSED_* or 0 for raw */
        uint64_t page_flags;
};

_Static_assert(offsetof(struct kdump_disk_dump_header, header_version) == 8, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, utsname) == 12, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, timestamp) == 408, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, status) == 424, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, block_size) == 428, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, sub_hdr_size) == 432, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, bitmap_blocks) == 436, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, max_mapnr) == 440, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, total_ram_blocks) == 444, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, device_blocks) == 448, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, written_blocks) == 452, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, current_cpu) == 456, "kdump header");
_Static_assert(offsetof(struct kdump_disk_dump_header, nr_cpus) == 460, "kdump header");
_Static_assert(sizeof(struct kdump_disk_dump_header) == 464, "kdump header");

_Static_assert(offsetof(struct kdump_sub_header, dump_level) == 8, "kdump sub header");
_Static_assert(offsetof(struct kdump_sub_header, start_pfn) == 16, "kdump sub header");
_Static_assert(offsetof(struct kdump_sub_header, offset_vmcoreinfo) == 32, "kdump sub header");
_Static_assert(offsetof(struct kdump_sub_header, size_vmcoreinfo) == 40, "kdump sub header");
_Static_assert(offsetof(struct kdump_sub_header, offset_note) == 48, "kdump sub header");
_Static_assert(offsetof(struct kdump_sub_header, size_note) == 56, "kdump sub header");
_Static_assert(offsetof(struct kdump_sub_header, offset_eraseinfo) == 64, "kdump sub header");
_Static_assert(offsetof(struct kdump_sub_header, start_pfn_64) == 80, "kdump sub header");
_Static_assert(offsetof(struct kdump_sub_header, max_mapnr_64) == 96, "kdump sub header");
_Static_assert(sizeof(struct kdump_sub_header) == 104, "kdump sub header");

_Static_assert(offsetof(struct kdump_page_desc, size) == 8, "page_desc");
_Static_assert(offsetof(struct kdump_page_desc, flags) == 12, "page_desc");
_Static_assert(offsetof(struct kdump_page_desc, page_flags) == 16, "page_desc");
_Static_assert(sizeof(struct kdump_page_desc) == 24, "page_desc");

/* makedumpfile's flattened format: a 4096-byte header, then big-endian
 * {offset, size} records each followed by size bytes, ending with {-1, -1}. */
#define KDUMP_FLAT_SIGNATURE     "makedumpfile"
#define KDUMP_FLAT_HEADER_SIZE   4096
#define KDUMP_FLAT_TYPE          1
#define KDUMP_FLAT_VERSION       1

struct kdump_flat_record {
        int64_t offset;                 /* big-endian */
        int64_t size;                   /* big-endian */
};
_Static_assert(sizeof(struct kdump_flat_record) == 16, "flat record");
