/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A sparse host: a little RAM at the bottom and one page far up.  Memory
 * and the dump's disk use follow the RAM present, not the highest address;
 * the page far up is still in the dump, readable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collect-host.h"
#include "collect.h"
#include "filter.h"
#include "kcheck.h"
#include "save.h"
#include "test.h"
#include "vmcore-gen.h"

#define FAR_ADDR        (UINT64_C(1) << 40)     /* 1 TiB: 32 MiB bitmaps if they followed the address */
#define FAR_PFN         (FAR_ADDR / 4096)

/* Peak RSS (KiB) of a child that collects h's vmcore. */
static long collect_rss_kib(const struct host *h) {
        struct rusage ru;
        int status;
        pid_t pid = fork();

        if (pid == 0) {
                struct xkd_collect_options o = host_opts(h);
                struct xkd_collect_result res;
                _exit(xkd_collect(&o, &res) < 0 ? 1 : 0);
        }
        if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -1;
        return ru.ru_maxrss;
}

TEST(bitmaps_follow_the_ram_present_not_the_highest_address) {
        struct host h;
        struct xkd_vmcore *vm = NULL;
        struct xkd_bitmap ram, dump;
        struct xkd_filter_stats st;

        make_host(&h, 17, FREE_XSA402, (struct vmgen_config) { .extra_loads = { { FAR_ADDR, 4096 } } });
        ASSERT_EQ(xkd_vmcore_open(h.vmcore, &vm), 0);
        ASSERT_EQ(xkd_filter_build(vm, NULL, XKD_DL_ZERO, &ram, &dump, &st), 0);
        ASSERT_U64_EQ(ram.nbits, FAR_PFN + 1);
        /* 8 MiB of RAM and one page: two chunks, not 32 MiB. */
        ASSERT_EQ(xkd_bitmap_bytes(&ram), 2 * XKD_BITMAP_CHUNK_BYTES);
        ASSERT_EQ(xkd_bitmap_bytes(&dump), 2 * XKD_BITMAP_CHUNK_BYTES);
        ASSERT_TRUE(xkd_bitmap_test(&ram, FAR_PFN));
        ASSERT_FALSE(xkd_bitmap_test(&ram, FAR_PFN - 1));
        ASSERT_U64_EQ(xkd_bitmap_next_set(&ram, vmgen_max_pfn(h.g)), FAR_PFN);
        ASSERT_U64_EQ(st.ram_pages, vmgen_max_pfn(h.g) + 1);
        xkd_bitmap_done(&ram);
        xkd_bitmap_done(&dump);
        xkd_vmcore_free(vm);
        free_host(&h);
}

TEST(sparse_host_dump_is_small_on_disk_and_in_memory_and_holds_the_far_page) {
        struct host near, far;
        struct xkd_collect_options o;
        struct xkd_collect_result res;
        char file[PATH_MAX + 16];
        uint8_t page[4096], want[4096];
        struct kcheck k;
        struct stat st;

        make_host(&near, 17, FREE_XSA402, (struct vmgen_config) { 0 });
        make_host(&far, 17, FREE_XSA402, (struct vmgen_config) { .extra_loads = { { FAR_ADDR, 4096 } } });
        long rss_near = collect_rss_kib(&near), rss_far = collect_rss_kib(&far);
        ASSERT_TRUE(rss_near > 0 && rss_far > 0);
        fprintf(stderr, "  # peak RSS without / with a page at 1 TiB: %ld / %ld KiB\n", rss_near, rss_far);
        /* Flat bitmaps: 3 x 32 MiB (RAM, dumped, the writer's copy). */
        ASSERT_TRUE(rss_far - rss_near < 8 * 1024);

        o = host_opts(&far);
        o.now = 1795856400;
        ASSERT_EQ(xkd_collect(&o, &res), 0);
        snprintf(file, sizeof(file), "%s/%s", res.path, XKD_SAVE_VMCORE);
        ASSERT_EQ(stat(file, &st), 0);
        /* The format's two bitmaps span max_mapnr bits (2 x 32 MiB here), but
         * only their non-zero blocks take disk space. */
        ASSERT_TRUE((uint64_t) st.st_size > UINT64_C(64) << 20);
        fprintf(stderr, "  # dump: %lld bytes long, %lld bytes on disk\n", (long long) st.st_size,
                (long long) st.st_blocks * 512);
        ASSERT_TRUE((uint64_t) st.st_blocks * 512 < UINT64_C(4) << 20);
        ASSERT_EQ(kcheck_open(file, &k), 0);
        ASSERT_TRUE(kcheck_is_dumped(&k, FAR_PFN));
        ASSERT_EQ(kcheck_read_page(&k, FAR_PFN, page), 0);
        memset(want, 0x5a, sizeof(want));
        ASSERT_MEMEQ(page, want, 4096);
        ASSERT_FALSE(kcheck_is_dumped(&k, FAR_PFN - 1));
        ASSERT_TRUE(kcheck_is_dumped(&k, 18));     /* a dom0 frame */
        kcheck_close(&k);
        free_host(&near);
        free_host(&far);
}

TEST_MAIN()
