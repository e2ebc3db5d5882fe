/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Only regular files are read: a FIFO (or a device) given as kernel, initramfs,
 * config or vmcore is refused at once with one line naming it and the fix,
 * never waited on.  Each call runs in a child with a deadline, so a regression
 * shows as a failed test, not a hung test run. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli-run.h"
#include "config.h"
#include "files.h"
#include "test.h"
#include "vmcore.h"

#define DEADLINE_MS 5000

static char dir[64], fifo[128], regular[128];
static char msg[4096];

static void setup(void) {
        static int done;
        FILE *f;

        if (done)
                return;
        done = 1;
        snprintf(dir, sizeof(dir), "/tmp/xkd-files-XXXXXX");
        if (!mkdtemp(dir))
                abort();
        snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
        if (mkfifo(fifo, 0600) < 0)
                abort();
        snprintf(regular, sizeof(regular), "%s/regular", dir);
        f = fopen(regular, "we");
        fputs("kernel bytes\n", f);
        fclose(f);
}

enum call { READ_KERNEL, OPEN_REGULAR, CONFIG, VMCORE };

static int do_call(enum call c, const char *path) {
        void *buf = NULL;
        size_t size;
        int r;

        switch (c) {
        case READ_KERNEL:
                r = xkd_read_file(path, 1 << 20, "kernel", "pass a Linux bzImage with --kernel", &buf, &size);
                free(buf);
                return r;
        case OPEN_REGULAR:
                r = xkd_open_regular(path, "initramfs", "pass a file", NULL);
                if (r >= 0)
                        close(r);
                return r < 0 ? r : 0;
        case CONFIG: {
                xkd_config *cfg = NULL;
                if (xkd_config_new(&cfg, "6.1.0") < 0)
                        return -ENOMEM;
                r = xkd_config_parse_file(cfg, path);
                xkd_config_free(cfg);
                return r;
        }
        case VMCORE: {
                struct xkd_vmcore *vm = NULL;
                r = xkd_vmcore_open(path, &vm);
                xkd_vmcore_free(vm);
                return r;
        }
        }
        return -EINVAL;
}

/* Runs the call in a child with stderr captured into msg; returns its result,
 * or 1000 when it did not finish within the deadline (the child is killed). */
static int call_with_deadline(enum call c, const char *path) {
        int p[2], status = 0;
        size_t got = 0;
        pid_t pid;

        if (pipe(p) < 0)
                abort();
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                dup2(p[1], STDERR_FILENO);
                close(p[0]);
                int r = do_call(c, path);
                _exit(r < 0 ? -r : 0);
        }
        close(p[1]);
        msg[0] = '\0';
        for (int waited = 0; waited < DEADLINE_MS; ) {
                struct pollfd pfd = { .fd = p[0], .events = POLLIN };
                int n = poll(&pfd, 1, 100);
                if (n > 0) {
                        ssize_t k = read(p[0], msg + got, sizeof(msg) - 1 - got);
                        if (k <= 0)
                                break;  /* child closed stderr: it exited */
                        got += (size_t) k;
                        msg[got] = '\0';
                } else
                        waited += 100;
        }
        close(p[0]);
        if (waitpid(pid, &status, WNOHANG) == 0) {
                struct timespec t = { 0, 200 * 1000 * 1000 };
                nanosleep(&t, NULL);
                if (waitpid(pid, &status, WNOHANG) == 0) {
                        kill(pid, SIGKILL);
                        waitpid(pid, &status, 0);
                        return 1000;
                }
        }
        return WIFEXITED(status) ? -WEXITSTATUS(status) : 1001;
}

TEST(kernel_fifo_refused_not_waited_on) {
        setup();
        ASSERT_EQ(call_with_deadline(READ_KERNEL, fifo), -EINVAL);
        ASSERT_CONTAINS(msg, fifo);
        ASSERT_CONTAINS(msg, "is a FIFO, not a regular file");
        ASSERT_CONTAINS(msg, "pass a Linux bzImage with --kernel");
        ASSERT_EQ(count_lines(msg), 1);
}

TEST(fifo_with_a_writer_refused_too) {
        /* A writer that never writes: open() would not block, read() would. */
        setup();
        int w = open(fifo, O_RDWR | O_CLOEXEC);
        ASSERT_TRUE(w >= 0);
        ASSERT_EQ(call_with_deadline(READ_KERNEL, fifo), -EINVAL);
        ASSERT_CONTAINS(msg, "is a FIFO");
        close(w);
}

TEST(initrd_and_devices_refused) {
        setup();
        ASSERT_EQ(call_with_deadline(OPEN_REGULAR, fifo), -EINVAL);
        ASSERT_CONTAINS(msg, "The initramfs");
        ASSERT_EQ(call_with_deadline(OPEN_REGULAR, "/dev/null"), -EINVAL);
        ASSERT_CONTAINS(msg, "/dev/null is a character device");
        ASSERT_EQ(call_with_deadline(OPEN_REGULAR, dir), -EINVAL);
        ASSERT_CONTAINS(msg, "is a directory");
        /* A regular file passes and reads in blocking mode. */
        ASSERT_EQ(call_with_deadline(OPEN_REGULAR, regular), 0);
        ASSERT_EQ(call_with_deadline(READ_KERNEL, regular), 0);
        int fd = xkd_open_regular(regular, "x", "y", NULL);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
        close(fd);
}

TEST(config_fifo_refused) {
        setup();
        ASSERT_EQ(call_with_deadline(CONFIG, fifo), -EINVAL);
        ASSERT_CONTAINS(msg, "The config");
        ASSERT_CONTAINS(msg, "is a FIFO");
        ASSERT_CONTAINS(msg, "point --config");
}

TEST(vmcore_fifo_refused) {
        setup();
        ASSERT_EQ(call_with_deadline(VMCORE, fifo), -EINVAL);
        ASSERT_CONTAINS(msg, "The vmcore");
        ASSERT_CONTAINS(msg, "is a FIFO");
        ASSERT_CONTAINS(msg, "--vmcore");
        /* /proc/vmcore itself is S_ISREG: the check must not refuse it (it
         * exists only in a capture kernel; /proc/self/stat stands in here). */
        struct stat st;
        ASSERT_EQ(stat("/proc/self/stat", &st), 0);
        ASSERT_TRUE(S_ISREG(st.st_mode));
        ASSERT_EQ(call_with_deadline(OPEN_REGULAR, "/proc/self/stat"), 0);
}

TEST_MAIN()
