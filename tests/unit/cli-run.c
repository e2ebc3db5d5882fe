/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli-run.h"

void cli_path(char *buf, size_t size) {
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        if (n < 0)
                abort();
        exe[n] = '\0';
        snprintf(buf, size, "%s/../xen-kdump", dirname(exe));
}

int cli_vrun(const char *cli, uid_t run_as, char *out, size_t size, const char *a1, va_list ap) {
        const char *args[32] = { a1 };
        int argc = 1;

        while (a1 && argc < 31 && (args[argc] = va_arg(ap, const char *)))
                argc++;
        args[argc] = NULL;
        return cli_run_argv(cli, run_as, out, size, args);
}

int cli_run_argv(const char *cli, uid_t run_as, char *out, size_t size, const char *const *args) {
        const char *argv[32] = { cli };
        int argc = 1, fd[2], status;

        while (argc < 31 && args[argc - 1]) {
                argv[argc] = args[argc - 1];
                argc++;
        }
        argv[argc] = NULL;
        if (pipe(fd) < 0)
                abort();
        pid_t pid = fork();
        if (pid == 0) {
                dup2(fd[1], 1);
                dup2(fd[1], 2);
                close(fd[0]);
                if (run_as && (setgid(run_as) < 0 || setuid(run_as) < 0))
                        _exit(126);
                execv(cli, (char **) argv);
                _exit(127);
        }
        close(fd[1]);
        size_t got = 0;
        ssize_t n;
        while ((n = read(fd[0], out + got, size - 1 - got)) > 0)
                got += (size_t) n;
        out[got] = '\0';
        close(fd[0]);
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

unsigned count_lines(const char *s) {
        unsigned n = 0;

        for (; *s; s++)
                n += *s == '\n';
        return n;
}
