/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "test-marker.h"

static void marker_path(char *buf, size_t size) {
        snprintf(buf, size, "%s/test", xkd_state_dir());
}

void xkd_test_marker_free(struct xkd_test_marker *m) {
        for (size_t i = 0; i < m->n_before; i++)
                free(m->before[i]);
        free(m->before);
        m->before = NULL;
        m->n_before = 0;
}

static int add_before(struct xkd_test_marker *m, const char *name) {
        if (m->n_before >= XKD_TEST_MARKER_MAX_BEFORE)
                return 0;       /* the names are only compared against; more do not fit a marker */
        char **nb = realloc(m->before, (m->n_before + 1) * sizeof(*nb));
        if (!nb)
                return -ENOMEM;
        m->before = nb;
        m->before[m->n_before] = strdup(name);
        if (!m->before[m->n_before])
                return -ENOMEM;
        m->n_before++;
        return 0;
}

int xkd_test_marker_set_before(struct xkd_test_marker *m, const struct xkd_dump *dumps, size_t n) {
        for (size_t i = 0; i < n; i++) {
                int r = add_before(m, dumps[i].name);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Names and paths go one per line: refuse what would break the format. */
static bool one_line(const char *s) {
        return !strchr(s, '\n');
}

int xkd_test_marker_write(const struct xkd_test_marker *m) {
        char path[4200], tmp[4300];
        int r = xkd_state_dir_make();
        if (r < 0)
                return r;
        if (!one_line(m->dir) || !one_line(m->boot_id))
                return -EINVAL;
        marker_path(path, sizeof(path));
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        FILE *f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                close(fd);
                unlink(tmp);
                return r;
        }
        fprintf(f, "TIME=%lld\nBOOT_ID=%s\nDIR=%s\n", (long long) m->time, m->boot_id, m->dir);
        for (size_t i = 0; i < m->n_before; i++)
                if (one_line(m->before[i]))
                        fprintf(f, "BEFORE=%s\n", m->before[i]);
        if (fflush(f) != 0 || fsync(fd) < 0) {
                r = -errno;
                fclose(f);
                unlink(tmp);
                return r;
        }
        fclose(f);
        if (rename(tmp, path) < 0) {
                r = -errno;
                unlink(tmp);
                return r;
        }
        return 0;
}

int xkd_test_marker_read(struct xkd_test_marker *ret) {
        char path[4200], line[4200];
        bool have_time = false;
        int r = 0;

        *ret = (struct xkd_test_marker) {};
        marker_path(path, sizeof(path));
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (strncmp(line, "TIME=", 5) == 0) {
                        char *end;
                        errno = 0;
                        long long t = strtoll(line + 5, &end, 10);
                        if (errno || *end || end == line + 5 || t < 0) {
                                r = -EBADMSG;
                                break;
                        }
                        ret->time = (time_t) t;
                        have_time = true;
                } else if (strncmp(line, "BOOT_ID=", 8) == 0)
                        snprintf(ret->boot_id, sizeof(ret->boot_id), "%.63s", line + 8);
                else if (strncmp(line, "DIR=", 4) == 0)
                        snprintf(ret->dir, sizeof(ret->dir), "%.4095s", line + 4);
                else if (strncmp(line, "BEFORE=", 7) == 0) {
                        r = add_before(ret, line + 7);
                        if (r < 0)
                                break;
                }
        }
        fclose(f);
        if (r == 0 && (!have_time || !ret->boot_id[0] || !ret->dir[0]))
                r = -EBADMSG;
        if (r < 0)
                xkd_test_marker_free(ret);
        return r;
}

static bool was_there(const struct xkd_test_marker *m, const char *name) {
        for (size_t i = 0; i < m->n_before; i++)
                if (strcmp(m->before[i], name) == 0)
                        return true;
        return false;
}

void xkd_test_evaluate(const struct xkd_test_marker *m, const char *boot_id,
                       const struct xkd_dump *dumps, size_t n, struct xkd_test_result *ret) {
        *ret = (struct xkd_test_result) { .outcome = XKD_TEST_NO_DUMP };
        /* An unknown boot id cannot prove a reboot; then only a new dump can. */
        bool same_boot = boot_id && boot_id[0] && strcmp(boot_id, m->boot_id) == 0;
        const struct xkd_dump *found = NULL;

        if (strncmp(m->dir, XKD_TEST_REMOTE, strlen(XKD_TEST_REMOTE)) == 0) {
                ret->outcome = same_boot ? XKD_TEST_PENDING : XKD_TEST_REMOTE_TARGET;
                return;
        }
        /* dumps are oldest first: the first new one is the test's (later ones are later crashes). */
        for (size_t i = 0; i < n && !found; i++)
                if (!was_there(m, dumps[i].name))
                        found = &dumps[i];
        if (!found) {
                if (same_boot)
                        ret->outcome = XKD_TEST_PENDING;
                return;
        }
        snprintf(ret->dump, sizeof(ret->dump), "%s", found->name);
        if (found->state == XKD_DUMP_COMPLETE)
                ret->outcome = XKD_TEST_COMPLETE;
        else {
                ret->outcome = XKD_TEST_INCOMPLETE;
                snprintf(ret->why, sizeof(ret->why), "%s", found->why[0] ? found->why : "not complete");
        }
}

void xkd_test_describe(const struct xkd_test_marker *m, const struct xkd_test_result *r,
                       char *buf, size_t size) {
        char when[64];
        struct tm tm;

        gmtime_r(&m->time, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
        switch (r->outcome) {
        case XKD_TEST_PENDING:
                snprintf(buf, size, "last test %s: no crash yet in this boot (the crash did not happen)", when);
                break;
        case XKD_TEST_COMPLETE:
                snprintf(buf, size, "last test %s: dump %s/%s COMPLETE", when, m->dir, r->dump);
                break;
        case XKD_TEST_INCOMPLETE:
                snprintf(buf, size, "last test %s: dump %s/%s INCOMPLETE (%s)", when, m->dir, r->dump, r->why);
                break;
        case XKD_TEST_REMOTE_TARGET:
                snprintf(buf, size, "last test %s: the host crashed and rebooted; the dump went to %s: "
                         "check it there", when, m->dir + strlen(XKD_TEST_REMOTE));
                break;
        case XKD_TEST_NO_DUMP:
                snprintf(buf, size, "last test %s: FAILED: no dump in %s", when, m->dir);
                break;
        }
}

int xkd_test_status_line(char *buf, size_t size) {
        struct xkd_test_marker m;
        struct xkd_test_result res;
        struct xkd_dump *dumps = NULL;
        size_t n = 0;
        char boot_id[64];
        int r = xkd_test_marker_read(&m);

        if (r == -EBADMSG) {
                snprintf(buf, size, "last test: unreadable marker %s/test (remove it)", xkd_state_dir());
                return 0;
        }
        if (r < 0)
                return r;
        xkd_boot_id(boot_id, sizeof(boot_id));
        /* A missing directory is a test without a dump, not an error of status. */
        if (strncmp(m.dir, XKD_TEST_REMOTE, strlen(XKD_TEST_REMOTE)) != 0 && access(m.dir, F_OK) == 0 &&
            xkd_dumps_scan(m.dir, &dumps, &n) < 0)
                n = 0;
        xkd_test_evaluate(&m, boot_id, dumps, n, &res);
        xkd_test_describe(&m, &res, buf, size);
        free(dumps);
        xkd_test_marker_free(&m);
        return 0;
}
