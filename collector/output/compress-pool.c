/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <zstd.h>

#include "compress-pool.h"

#define PAGE 4096u

struct job {
        const uint8_t *pages;
        unsigned n;
        const bool *skip;
        uint8_t *out;
        uint32_t *sizes;
};

struct worker {
        struct xkd_compress_pool *pool;
        unsigned index;
        pthread_t thread;
        bool started;
        ZSTD_CCtx *cctx;
};

struct xkd_compress_pool {
        unsigned threads;
        struct worker *workers;
        pthread_mutex_t lock;
        pthread_cond_t go, done;
        uint64_t generation;            /* one per batch */
        unsigned running;               /* workers still on this batch */
        bool quit;
        struct job job;
};

static ZSTD_CCtx *new_cctx(int level) {
        ZSTD_CCtx *c = ZSTD_createCCtx();

        if (c) {
                ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
                ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
                ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0);
        }
        return c;
}

static void compress_share(struct worker *w, const struct job *j) {
        for (unsigned i = w->index; i < j->n; i += w->pool->threads) {
                size_t n;

                j->sizes[i] = 0;
                if (j->skip[i])
                        continue;
                n = ZSTD_compress2(w->cctx, j->out + (size_t) i * PAGE, PAGE - 1, j->pages + (size_t) i * PAGE, PAGE);
                if (!ZSTD_isError(n) && n < PAGE)
                        j->sizes[i] = (uint32_t) n;
        }
}

static void *worker_main(void *arg) {
        struct worker *w = arg;
        struct xkd_compress_pool *p = w->pool;
        uint64_t seen = 0;

        pthread_mutex_lock(&p->lock);
        for (;;) {
                while (!p->quit && p->generation == seen)
                        pthread_cond_wait(&p->go, &p->lock);
                if (p->quit)
                        break;
                seen = p->generation;
                struct job j = p->job;
                pthread_mutex_unlock(&p->lock);
                compress_share(w, &j);
                pthread_mutex_lock(&p->lock);
                if (--p->running == 0)
                        pthread_cond_signal(&p->done);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

int xkd_compress_pool_new(unsigned threads, int level, struct xkd_compress_pool **ret) {
        struct xkd_compress_pool *p;

        if (threads < 2 || threads > XKD_COMPRESS_POOL_MAX_THREADS)
                return -EINVAL;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->threads = threads;
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->go, NULL);
        pthread_cond_init(&p->done, NULL);
        p->workers = calloc(threads, sizeof(*p->workers));
        if (!p->workers)
                goto fail;
        for (unsigned i = 0; i < threads; i++) {
                struct worker *w = &p->workers[i];

                w->pool = p;
                w->index = i;
                w->cctx = new_cctx(level);
                if (!w->cctx)
                        goto fail;
                /* Worker 0 is the calling thread. */
                if (i > 0) {
                        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
                                goto fail;
                        w->started = true;
                }
        }
        *ret = p;
        return 0;
fail:
        xkd_compress_pool_free(p);
        return -ENOMEM;
}

struct xkd_compress_pool *xkd_compress_pool_free(struct xkd_compress_pool *p) {
        if (!p)
                return NULL;
        pthread_mutex_lock(&p->lock);
        p->quit = true;
        pthread_cond_broadcast(&p->go);
        pthread_mutex_unlock(&p->lock);
        for (unsigned i = 0; p->workers && i < p->threads; i++) {
                if (p->workers[i].started)
                        pthread_join(p->workers[i].thread, NULL);
                ZSTD_freeCCtx(p->workers[i].cctx);
        }
        free(p->workers);
        pthread_cond_destroy(&p->go);
        pthread_cond_destroy(&p->done);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
}

void xkd_compress_pool_run(struct xkd_compress_pool *p, const uint8_t *pages, unsigned n, const bool *skip,
                           uint8_t *out, uint32_t *sizes) {
        struct job j = { pages, n, skip, out, sizes };

        pthread_mutex_lock(&p->lock);
        p->job = j;
        p->running = p->threads - 1;
        p->generation++;
        pthread_cond_broadcast(&p->go);
        pthread_mutex_unlock(&p->lock);

        compress_share(&p->workers[0], &j);

        pthread_mutex_lock(&p->lock);
        while (p->running > 0)
                pthread_cond_wait(&p->done, &p->lock);
        pthread_mutex_unlock(&p->lock);
}

unsigned xkd_usable_cpus(void) {
        cpu_set_t set;
        int n;

        if (sched_getaffinity(0, sizeof(set), &set) != 0)
                return 1;
        n = CPU_COUNT(&set);
        return n > 0 ? (unsigned) n : 1;
}
