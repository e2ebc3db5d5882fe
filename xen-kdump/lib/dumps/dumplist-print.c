/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Printing saved dumps for list/info: JSON is built by hand, every string escaped. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "dumplist.h"
#include "json-escape.h"

void xkd_human_size(uint64_t b, char *buf, size_t size) {
        static const char units[] = "BKMGTP";
        double v = (double) b;
        unsigned u = 0;

        while (v >= 1024 && u + 1 < sizeof(units) - 1) {
                v /= 1024;
                u++;
        }
        if (u == 0)
                snprintf(buf, size, "%" PRIu64 "B", b);
        else
                snprintf(buf, size, "%.1f%c", v, units[u]);
}

static void json_opt_string(FILE *f, const char *key, const char *s) {
        fprintf(f, ", \"%s\": ", key);
        if (s && s[0])
                xkd_json_string(f, s);
        else
                fputs("null", f);
}

void xkd_dump_print_json(FILE *f, const struct xkd_dump *d) {
        char fmt[32];

        xkd_dump_format_name(&d->header, fmt, sizeof(fmt));
        fprintf(f, "{\"index\": %u, \"name\": ", d->index);
        xkd_json_string(f, d->name);
        fputs(", \"path\": ", f);
        xkd_json_string(f, d->path);
        fprintf(f, ", \"state\": \"%s\", \"complete\": %s", xkd_dump_state_name(d->state),
                d->state == XKD_DUMP_COMPLETE ? "true" : "false");
        json_opt_string(f, "incomplete_reason", d->why);
        fputs(", \"time\": ", f);
        xkd_json_string(f, d->time);
        fprintf(f, ", \"time_source\": \"%s\", \"what\": \"%s\"", d->time_source, d->what);
        json_opt_string(f, "reason", d->report.reason);
        json_opt_string(f, "dom0_panic", d->report.dom0_panic[0] ? d->report.dom0_panic : d->dmesg_panic);
        json_opt_string(f, "xen_version", d->report.xen_version);
        fputs(", \"crashing_cpu\": ", f);
        if (d->report.crashing_cpu >= 0)
                fprintf(f, "%d", d->report.crashing_cpu);
        else
                fputs("null", f);
        json_opt_string(f, "dom0_release", d->header.release);
        json_opt_string(f, "file", d->file);
        fprintf(f, ", \"size\": %" PRIu64 ", \"format\": ", d->size);
        xkd_json_string(f, fmt);
        json_opt_string(f, "compression", d->header.compression);
        fprintf(f, ", \"report\": %s}", d->report.valid ? "true" : "false");
}

int xkd_dumps_dir_option(const char *opt, char *buf, size_t size) {
        if (opt) {
                snprintf(buf, size, "%s", opt);
                return 0;
        }
        return xkd_dumps_default_dir(buf, size);
}

int xkd_dumps_pick(const char *dir_opt, const char *spec, struct xkd_dump *ret) {
        char dir[PATH_MAX] = "";
        int r;

        /* A path names its dump on its own: no need for a dumps directory (or a config). */
        if (!spec || !strchr(spec, '/')) {
                r = xkd_dumps_dir_option(dir_opt, dir, sizeof(dir));
                if (r < 0)
                        return r;
        }
        return xkd_dumps_find(dir, spec, ret);
}
