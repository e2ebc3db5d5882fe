/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A synthetic Xen host for the collection tests (the reader's generator):
 * dom0, one domU and Xen free pages in frames 16..400, each kind with its own
 * page contents; and small helpers to look at the saved directory.
 */

#include <stdbool.h>
#include <stdint.h>

#include "collect.h"
#include "vmcore-gen.h"

#define ALLOCATED     (1ull << 63)
#define FREE_XSA402   (3ull << 58)
#define FREE_OLD      (3ull << 55)

enum kind { K_DOMU, K_FREE, K_DOM0, K_ANON };

struct host {
        char dir[64];
        char vmcore[96];
        char out[96];
        struct vmgen *g;
        uint64_t first, last;           /* the frames this test owns */
};

enum kind kind_of(uint64_t mfn);
void page_content(uint64_t mfn, uint8_t *p);
bool mine(const struct host *h, uint64_t mfn);
void make_host(struct host *h, unsigned minor, uint64_t free_bits, struct vmgen_config cfg);
void rm_rf(const char *path);
void free_host(struct host *h);
struct xkd_collect_options host_opts(const struct host *h);
bool exists_at(const char *dir, const char *name);
unsigned mode_of(const char *dir, const char *name);
bool file_contains(const char *dir, const char *name, const char *needle);
