/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <unistd.h>

#include "sha256.h"
#include "test.h"

/* FIPS 180-4 / NIST CSRC example vectors. */
static const char MSG448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char MSG896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                             "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

static void hex_of(const void *data, size_t len, char hex[XKD_SHA256_HEX_SIZE]) {
        uint8_t d[32];

        xkd_sha256(data, len, d);
        xkd_sha256_to_hex(d, hex);
}

TEST(sha256_empty) {
        char hex[XKD_SHA256_HEX_SIZE];

        hex_of("", 0, hex);
        ASSERT_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(sha256_abc) {
        char hex[XKD_SHA256_HEX_SIZE];

        hex_of("abc", 3, hex);
        ASSERT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(sha256_448_bits) {
        char hex[XKD_SHA256_HEX_SIZE];

        ASSERT_EQ(strlen(MSG448) * 8, 448);
        hex_of(MSG448, strlen(MSG448), hex);
        ASSERT_STREQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(sha256_896_bits) {
        char hex[XKD_SHA256_HEX_SIZE];

        ASSERT_EQ(strlen(MSG896) * 8, 896);
        hex_of(MSG896, strlen(MSG896), hex);
        ASSERT_STREQ(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* One million 'a' fed in odd-sized chunks, so every buffering path runs. */
TEST(sha256_million_a_incremental) {
        static const size_t chunks[] = { 1, 63, 64, 65, 127, 3, 1000, 4096, 7, 129 };
        struct xkd_sha256_ctx ctx;
        char a[4096], hex[XKD_SHA256_HEX_SIZE];
        uint8_t d[32];
        size_t left = 1000000, i = 0;

        memset(a, 'a', sizeof(a));
        xkd_sha256_init(&ctx);
        while (left > 0) {
                size_t n = chunks[i++ % (sizeof(chunks) / sizeof(chunks[0]))];
                if (n > left)
                        n = left;
                xkd_sha256_update(&ctx, a, n);
                left -= n;
        }
        xkd_sha256_final(&ctx, d);
        xkd_sha256_to_hex(d, hex);
        ASSERT_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every split point of a 3-block message gives the one-shot digest. */
TEST(sha256_split_anywhere) {
        uint8_t msg[200], whole[32], parts[32];

        for (size_t i = 0; i < sizeof(msg); i++)
                msg[i] = (uint8_t) (i * 37 + 11);
        xkd_sha256(msg, sizeof(msg), whole);
        for (size_t cut = 0; cut <= sizeof(msg); cut++) {
                struct xkd_sha256_ctx ctx;

                xkd_sha256_init(&ctx);
                xkd_sha256_update(&ctx, msg, cut);
                xkd_sha256_update(&ctx, msg + cut, 0);
                xkd_sha256_update(&ctx, msg + cut, sizeof(msg) - cut);
                xkd_sha256_final(&ctx, parts);
                if (memcmp(whole, parts, 32) != 0)
                        TEST_FAIL_("split at %zu differs", cut);
        }
}

/* Lengths around the padding boundaries (55, 56, 63, 64...) against coreutils' sha256sum. */
TEST(sha256_matches_sha256sum) {
        static const size_t lens[] = { 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 65537 };
        static uint8_t buf[65537];

        if (access("/usr/bin/sha256sum", X_OK) != 0) {
                TEST_SKIP("/usr/bin/sha256sum missing (apt-get install coreutils)");
        }
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (uint8_t) ((i * 2654435761u) >> 13);
        for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
                char path[] = "/tmp/xkd-sha256-XXXXXX", cmd[128], theirs[80] = "", ours[XKD_SHA256_HEX_SIZE];
                int fd = mkstemp(path);
                ASSERT_TRUE(fd >= 0);
                ASSERT_EQ(write(fd, buf, lens[k]), (long long) lens[k]);
                close(fd);
                snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
                FILE *f = popen(cmd, "r");
                ASSERT_TRUE(f != NULL);
                ASSERT_TRUE(fgets(theirs, sizeof(theirs), f) != NULL);
                pclose(f);
                unlink(path);
                theirs[64] = '\0';
                hex_of(buf, lens[k], ours);
                ASSERT_STREQ(ours, theirs);
        }
}

TEST_MAIN()
