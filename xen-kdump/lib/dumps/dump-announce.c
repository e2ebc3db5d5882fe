/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dump-announce.h"
#include "log.h"
#include "state.h"

#define ANNOUNCED_FILE  "announced"
#define ANNOUNCED_MAX   (1u << 20)

void xkd_dump_describe(const struct xkd_dump *d, char *buf, size_t size) {
        const char *reason = d->report.reason[0] ? d->report.reason
                           : d->report.dom0_panic[0] ? d->report.dom0_panic : d->dmesg_panic;

        snprintf(buf, size, "%s %s%s%s%s: dump %s %s%s%s%s", d->time, d->what, reason[0] ? " (" : "", reason,
                 reason[0] ? ")" : "", d->path, xkd_dump_state_name(d->state), d->why[0] ? " (" : "", d->why,
                 d->why[0] ? ")" : "");
        xkd_dump_sanitize(buf, false);
}

static const char *socket_path(void) {
        const char *p = getenv("XKD_JOURNAL_SOCKET");
        return p && *p ? p : "/run/systemd/journal/socket";
}

/* Appends "KEY=value\n" with value made one printable line; empty values are left out. */
static void field(char *buf, size_t size, size_t *used, const char *key, const char *value) {
        char v[1024];

        if (!value || !value[0] || *used >= size)
                return;
        snprintf(v, sizeof(v), "%s", value);
        xkd_dump_sanitize(v, false);
        int n = snprintf(buf + *used, size - *used, "%s=%s\n", key, v);
        if (n > 0)
                *used += (size_t) n < size - *used ? (size_t) n : size - *used - 1;
}

/* 0 sent, -ENOENT/-ECONNREFUSED when there is no journald, another -errno otherwise. */
static int journal_send(const char *text, size_t len) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *p = socket_path();
        int fd, r = 0;

        if (strlen(p) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, p, strlen(p));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (sendto(fd, text, len, MSG_NOSIGNAL, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                r = -errno;
        close(fd);
        return r;
}

static int announce_one(const struct xkd_dump *d) {
        char msg[2048], buf[8192], size[32], cpu[16];
        size_t used = 0;

        xkd_dump_describe(d, msg, sizeof(msg));
        snprintf(size, sizeof(size), "%llu", (unsigned long long) d->size);
        snprintf(cpu, sizeof(cpu), "%d", d->report.crashing_cpu);
        field(buf, sizeof(buf), &used, "MESSAGE_ID", XKD_DUMP_MESSAGE_ID);
        field(buf, sizeof(buf), &used, "PRIORITY", "2");
        field(buf, sizeof(buf), &used, "SYSLOG_IDENTIFIER", "xen-kdump");
        char line[2100];
        snprintf(line, sizeof(line), "Crash dump of %s", msg);
        field(buf, sizeof(buf), &used, "MESSAGE", line);
        field(buf, sizeof(buf), &used, "DUMP_DIR", d->path);
        field(buf, sizeof(buf), &used, "DUMP_STATE", xkd_dump_state_name(d->state));
        field(buf, sizeof(buf), &used, "DUMP_WHY", d->why);
        field(buf, sizeof(buf), &used, "DUMP_FILE", d->file);
        if (d->file[0])
                field(buf, sizeof(buf), &used, "DUMP_SIZE", size);
        field(buf, sizeof(buf), &used, "CRASH_TIME", d->time);
        field(buf, sizeof(buf), &used, "CRASH_KIND", d->what);
        field(buf, sizeof(buf), &used, "CRASH_REASON", d->report.reason);
        if (strcmp(d->what, "xen-panic") == 0)
                field(buf, sizeof(buf), &used, "XEN_PANIC", d->report.reason);
        field(buf, sizeof(buf), &used, "DOM0_PANIC", d->report.dom0_panic[0] ? d->report.dom0_panic : d->dmesg_panic);
        field(buf, sizeof(buf), &used, "XEN_VERSION", d->report.xen_version);
        field(buf, sizeof(buf), &used, "DOM0_RELEASE", d->header.release);
        if (d->report.crashing_cpu >= 0)
                field(buf, sizeof(buf), &used, "CRASHING_CPU", cpu);

        int r = journal_send(buf, used);
        if (r == -ENOENT || r == -ECONNREFUSED) {
                printf("%s\n", line);   /* no journald: the terminal or the log it goes to */
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "The journal refused the entry for %s: %m; it is announced at the "
                                       "next 'xen-kdump announce'", d->path);
        log_debug("Announced %s", d->path);
        return 0;
}

/* The announced list, as one malloc'd text ("" when none). */
static char *announced_read(void) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/" ANNOUNCED_FILE, xkd_state_dir());
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        struct stat st;
        char *text;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > ANNOUNCED_MAX) {
                if (fd >= 0)
                        close(fd);
                return calloc(1, 1);
        }
        text = calloc(1, (size_t) st.st_size + 1);
        if (text) {
                ssize_t n = read(fd, text, (size_t) st.st_size);
                text[n > 0 ? n : 0] = '\0';
        }
        close(fd);
        return text;
}

static bool listed(const char *text, const char *path) {
        size_t len = strlen(path);

        for (const char *p = text; (p = strstr(p, path)); p += len)
                if ((p == text || p[-1] == '\n') && p[len] == '\n')
                        return true;
        return false;
}

bool xkd_dump_announced(const char *path) {
        char *text = announced_read();
        bool r = text && listed(text, path);
        free(text);
        return r;
}

/* Rewrites the list: what was there and still exists, then the new paths. */
static int announced_write(const char *old, char **paths, size_t n) {
        char path[4096], tmp[4200];
        int r = xkd_state_dir_make();
        FILE *f;

        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/" ANNOUNCED_FILE, xkd_state_dir());
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
                r = -errno;
                if (fd >= 0)
                        close(fd);
                return r;
        }
        for (const char *p = old; *p;) {
                size_t len = strcspn(p, "\n");
                char line[4096];
                struct stat st;
                snprintf(line, sizeof(line), "%.*s", (int) len, p);
                if (line[0] == '/' && lstat(line, &st) == 0 && S_ISDIR(st.st_mode))
                        fprintf(f, "%s\n", line);
                p += len + (p[len] == '\n');
        }
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s\n", paths[i]);
        r = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -errno;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

int xkd_dumps_announce(const char *dir, unsigned *ret_n) {
        struct xkd_dump *dumps = NULL;
        char **sent = NULL;
        size_t n = 0, n_sent = 0;
        int r, rs = 0;

        *ret_n = 0;
        r = xkd_dumps_scan(dir, &dumps, &n);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return log_error_errno(r, "Cannot read the dump directory %s: %m; nothing announced", dir);
        char *old = announced_read();
        sent = calloc(n ? n : 1, sizeof(*sent));
        if (!old || !sent) {
                free(old);
                free(sent);
                free(dumps);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                if (listed(old, dumps[i].path))
                        continue;
                rs = announce_one(&dumps[i]);
                if (rs < 0)
                        break;
                sent[n_sent++] = dumps[i].path;
        }
        if (n_sent) {
                r = announced_write(old, sent, n_sent);
                if (r < 0)
                        log_error_errno(r, "Cannot record the announced dumps in %s/" ANNOUNCED_FILE ": %m; "
                                        "they may be announced again", xkd_state_dir());
        }
        *ret_n = (unsigned) n_sent;
        free(old);
        free(sent);
        free(dumps);
        return rs < 0 ? rs : r;
}
