/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pagescan: count the occurrences of byte patterns in a file read once,
 * sequentially (the capture kernel's /proc/vmcore, 2-3 GB).  The collect-domu
 * scenarios use it to prove the raw vmcore DID hold a domU's marker before
 * asserting the filtered dump does not.
 *
 *   pagescan FILE HEXPATTERN...
 *
 * Patterns come in hex so that their text is not in the caller's memory or
 * in this program's image, which the scan could otherwise find.  Prints one
 * line per pattern: "HEXPATTERN occurrences N pages P" where pages counts
 * the 4 KiB file blocks holding at least one occurrence that starts there,
 * then "bytes B seconds S".  Built static by the harness (tests/vm/scenarios/
 * _domu.py) so it runs in the harness's busybox initramfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (4u << 20)
#define MAX_PATTERNS 8
#define MAX_PATTERN 256

struct pattern {
        const char *hex;
        unsigned char bytes[MAX_PATTERN];
        size_t len;
        uint64_t occurrences, pages, last_page;
};

static int unhex(const char *hex, struct pattern *p) {
        size_t n = strlen(hex);

        if (n == 0 || n % 2 || n / 2 > MAX_PATTERN)
                return -EINVAL;
        for (size_t i = 0; i < n / 2; i++) {
                unsigned v;
                if (sscanf(hex + 2 * i, "%2x", &v) != 1)
                        return -EINVAL;
                p->bytes[i] = (unsigned char) v;
        }
        p->hex = hex;
        p->len = n / 2;
        p->last_page = UINT64_MAX;
        return 0;
}

/* Occurrences starting in buf[0, limit); buf holds limit + len - 1 bytes when
 * more data follows, so a match across a chunk boundary is counted once. */
static void scan(struct pattern *p, const unsigned char *buf, size_t have, size_t limit, uint64_t base) {
        const unsigned char *at = buf, *end = buf + have;

        while ((at = memmem(at, (size_t) (end - at), p->bytes, p->len)) && (size_t) (at - buf) < limit) {
                uint64_t page = (base + (uint64_t) (at - buf)) / 4096;
                p->occurrences++;
                if (page != p->last_page) {
                        p->pages++;
                        p->last_page = page;
                }
                at += p->len;
        }
}

int main(int argc, char **argv) {
        struct pattern pats[MAX_PATTERNS];
        struct timespec t0, t1;
        size_t overlap = 0, have = 0;
        uint64_t base = 0;
        unsigned char *buf;
        int npat = argc - 2, fd;

        if (argc < 3 || npat > MAX_PATTERNS) {
                fprintf(stderr, "usage: pagescan FILE HEXPATTERN... (at most %d patterns)\n", MAX_PATTERNS);
                return 2;
        }
        for (int i = 0; i < npat; i++) {
                memset(&pats[i], 0, sizeof(pats[i]));
                if (unhex(argv[i + 2], &pats[i]) < 0) {
                        fprintf(stderr, "pagescan: %s is not an even-length hex string of at most %d bytes\n",
                                argv[i + 2], MAX_PATTERN);
                        return 2;
                }
                if (pats[i].len - 1 > overlap)
                        overlap = pats[i].len - 1;
        }
        fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "pagescan: cannot open %s: %m\n", argv[1]);
                return 1;
        }
        buf = malloc(CHUNK + overlap);
        if (!buf) {
                fprintf(stderr, "pagescan: out of memory\n");
                return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                ssize_t n = read(fd, buf + have, CHUNK + overlap - have);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        fprintf(stderr, "pagescan: read %s at %llu: %m\n", argv[1],
                                (unsigned long long) (base + have));
                        return 1;
                }
                have += (size_t) n;
                if (n > 0 && have < CHUNK + overlap)
                        continue;
                /* Full buffer, or end of file: matches starting in the first
                 * `limit` bytes are complete; the tail carries over. */
                size_t limit = n == 0 ? have : have - overlap;
                for (int i = 0; i < npat; i++)
                        scan(&pats[i], buf, have, limit, base);
                if (n == 0)
                        break;
                memmove(buf, buf + limit, have - limit);
                base += limit;
                have -= limit;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        for (int i = 0; i < npat; i++)
                printf("%s occurrences %llu pages %llu\n", pats[i].hex,
                       (unsigned long long) pats[i].occurrences, (unsigned long long) pats[i].pages);
        printf("bytes %llu seconds %.2f\n", (unsigned long long) (base + have),
               (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
        return 0;
}
