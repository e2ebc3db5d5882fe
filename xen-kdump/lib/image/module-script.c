/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dracut module's helper scripts, run by the loader (module-script.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "initrd.h"
#include "module-script.h"

int xkd_module_script(const char *module_dir, const char *name, char *buf, size_t size) {
        const char *base = getenv("dracutbasedir");
        size_t n;

        if (module_dir)
                n = (size_t) snprintf(buf, size, "%s/%s", module_dir, name);
        else if (base && base[0])
                n = (size_t) snprintf(buf, size, "%s/modules.d/99xen-kdump/%s", base, name);
        else
                n = (size_t) snprintf(buf, size, "%s/%s", XKD_DRACUT_MODULE_DIR, name);
        if (n >= size)
                return -ENAMETOOLONG;
        return access(buf, X_OK) < 0 ? -errno : 0;
}

int xkd_module_script_run(const char *script, const char *arg, char *const env[], size_t max, char **ret) {
        int fds[2], status;
        size_t len = 0;
        char *buf;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid == 0) {
                dup2(fds[1], STDOUT_FILENO);
                for (size_t i = 0; env && env[i]; i++)
                        putenv(env[i]);
                execl(script, script, arg, (char *) NULL);
                _exit(127);
        }
        close(fds[1]);
        buf = malloc(max + 1);
        if (!buf) {
                close(fds[0]);
                waitpid(pid, &status, 0);
                return -ENOMEM;
        }
        for (;;) {
                ssize_t n = read(fds[0], buf + len, max - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t) n;
                if (len == max)
                        break;
        }
        close(fds[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        free(buf);
                        return -errno;
                }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || len == max) {
                free(buf);
                return -EPROTO;
        }
        buf[len] = '\0';
        *ret = buf;
        return 0;
}
