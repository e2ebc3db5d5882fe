/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Feeds the page filter from the Xen decoder (xen.h). */

#include "filter.h"
#include "xen.h"

struct xkd_frame_reader;

/*
 * Fills src (Xen version, dom0, dom_xen/dom_io, a page_info reader that
 * reads the frame table a page at a time).  A negative errno, with a
 * warning printed, when the dump lacks what the Xen filter needs; the
 * caller then filters without it.  *ret must be freed after the filter ran.
 */
int xkd_frame_source_from_xen(struct xkd_xen *x, struct xkd_frame_source *src, struct xkd_frame_reader **ret);
struct xkd_frame_reader *xkd_frame_reader_free(struct xkd_frame_reader *fr);

/*
 * Reads frames whose owner is known some other way (dom0's struct domain:
 * Xen heap; Xen's image: no domain; dom0's p2m page: dom0) through src.
 * 0 when all agree; -EBADMSG with `why` filled when not: then nothing may
 * be excluded by ownership.
 */
int xkd_frame_source_guard(struct xkd_xen *x, const struct xkd_frame_source *src, char *why, size_t size);
