/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "json-escape.h"
#include "report-internal.h"

/* ---- JSON --------------------------------------------------------------- */

static void json_str_or_null(FILE *f, const char *s, bool present) {
        if (present)
                xkd_json_string(f, s);
        else
                fputs("null", f);
}

static void json_hex(FILE *f, uint64_t v) {
        fprintf(f, "\"0x%" PRIx64 "\"", v);
}

static void json_key(FILE *f, const char *indent, const char *key, bool *first) {
        fprintf(f, "%s\n%s", *first ? "" : ",", indent);
        *first = false;
        xkd_json_string(f, key);
        fputs(": ", f);
}

static const char *const taint_names[] = {
        [0] = "C: console output is synchronous (console_to_ring/sync_console)",
        [1] = "M: a machine check was seen",
        [2] = "E: errors were injected",
        [3] = "H: HVM forced emulation prefix is allowed",
        [4] = "I: the platform is insecure (errata)",
        [5] = "S: out-of-spec CPU (mismatched features)",
        [6] = "A: a self-test failed",
};

static void json_xen(const struct xkd_report *rep, FILE *f) {
        const struct xkd_xen_crash_info *ci = rep->ci;
        bool first = true;

        if (!ci) {
                fputs("null", f);
                return;
        }
        fputs("{", f);
        json_key(f, "    ", "version", &first);
        xkd_json_string(f, rep->version);
        json_key(f, "    ", "major", &first);
        fprintf(f, "%" PRIu64, ci->major);
        json_key(f, "    ", "minor", &first);
        fprintf(f, "%" PRIu64, ci->minor);
        const struct { const char *k; const struct xkd_xen_string *s; } strs[] = {
                { "extra_version", &ci->extra_version }, { "changeset", &ci->changeset },
                { "compiler", &ci->compiler }, { "compile_date", &ci->compile_date },
                { "compile_time", &ci->compile_time },
        };
        for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
                json_key(f, "    ", strs[i].k, &first);
                json_str_or_null(f, strs[i].s->text, strs[i].s->error == 0);
        }
        json_key(f, "    ", "tainted", &first);
        json_hex(f, ci->tainted);
        json_key(f, "    ", "tainted_string", &first);
        xkd_json_string(f, rep->tainted_string);
        json_key(f, "    ", "tainted_flags", &first);
        fputs("[", f);
        bool tf = true;
        for (unsigned b = 0; b < 64; b++)
                if (ci->tainted & (UINT64_C(1) << b)) {
                        fputs(tf ? "" : ", ", f);
                        tf = false;
                        if (b < sizeof(taint_names) / sizeof(taint_names[0]))
                                xkd_json_string(f, taint_names[b]);
                        else
                                fprintf(f, "\"bit %u: unknown to this collector\"", b);
                }
        fputs("]", f);
        json_key(f, "    ", "xen_phys_start", &first);
        if (ci->has_xen_phys_start)
                json_hex(f, ci->xen_phys_start);
        else
                fputs("null", f);
        json_key(f, "    ", "dom0_p2m_frame_list_list", &first);
        if (ci->has_dom0_p2m)
                json_hex(f, ci->dom0_pfn_to_mfn_frame_list_list);
        else
                fputs("null", f);
        json_key(f, "    ", "page_tables", &first);
        xkd_json_string(f, xkd_xen_uses_page_tables(rep->xen) ? "walked from SYMBOL(pgd_l4)" : "linear maps only");
        fputs("\n  }", f);
}

/* "idle", "d0v1", or NULL when unknown. */
static const char *running_text(const struct xkd_report *rep, size_t i, char *buf, size_t size) {
        if (!rep->running || !rep->running_error || rep->running_error[i] < 0)
                return NULL;
        if (rep->running[i].idle)
                return "idle";
        snprintf(buf, size, "d%uv%d", rep->running[i].domain_id, rep->running[i].vcpu_id);
        return buf;
}

static void json_cpus(const struct xkd_report *rep, FILE *f) {
        size_t n = rep->xen ? xkd_xen_nr_cpus(rep->xen) : 0;
        static const char *const regnames[] = {
                "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx",
                "rsi", "rdi", "orig_rax", "rip", "cs", "rflags", "rsp", "ss", "fs_base", "gs_base",
                "ds", "es", "fs", "gs",
        };

        fputs("[", f);
        for (size_t i = 0; i < n; i++) {
                const struct xkd_xen_cpu *c = xkd_xen_cpu(rep->xen, i);
                bool first = true;
                fprintf(f, "%s\n    {", i ? "," : "");
                json_key(f, "      ", "cpu", &first);
                fprintf(f, "%u", c->id);
                json_key(f, "      ", "crashing", &first);
                fputs(rep->has_crashing_cpu ? (rep->crashing_cpu == c->id ? "true" : "false") : "null", f);
                json_key(f, "      ", "saved", &first);
                fputs(c->saved ? "true" : "false", f);
                json_key(f, "      ", "running", &first);
                char run[32];
                json_str_or_null(f, running_text(rep, i, run, sizeof(run)), running_text(rep, i, run, sizeof(run)) != NULL);
                const struct { const char *k; uint64_t v; bool ok; } r[] = {
                        { "rip", c->regs.rip, c->has_regs }, { "rsp", c->regs.rsp, c->has_regs },
                        { "rflags", c->regs.rflags, c->has_regs }, { "cs", c->regs.cs, c->has_regs },
                        { "cr0", c->cr0, c->has_crash_regs }, { "cr2", c->cr2, c->has_crash_regs },
                        { "cr3", c->cr3, c->has_crash_regs }, { "cr4", c->cr4, c->has_crash_regs },
                };
                for (size_t k = 0; k < sizeof(r) / sizeof(r[0]); k++) {
                        json_key(f, "      ", r[k].k, &first);
                        if (r[k].ok)
                                json_hex(f, r[k].v);
                        else
                                fputs("null", f);
                }
                json_key(f, "      ", "regs", &first);
                if (c->has_regs) {
                        const uint64_t *v = (const uint64_t *) &c->regs;
                        fputs("{", f);
                        for (size_t k = 0; k < sizeof(regnames) / sizeof(regnames[0]); k++) {
                                fprintf(f, "%s\"%s\": ", k ? ", " : "", regnames[k]);
                                json_hex(f, v[k]);
                        }
                        fputs("}", f);
                } else
                        fputs("null", f);
                fputs("\n    }", f);
        }
        fputs(n ? "\n  ]" : "]", f);
}

static void json_domains(const struct xkd_report *rep, FILE *f) {
        fputs("[", f);
        for (size_t i = 0; i < rep->nr_domains; i++) {
                const struct xkd_report_domain *d = &rep->domains[i];
                fprintf(f, "%s\n    {\"id\": %u, \"address\": ", i ? "," : "", d->id);
                json_hex(f, d->vaddr);
                if (rep->has_owned_pages)
                        fprintf(f, ", \"owned_pages\": %" PRIu64, d->owned_pages);
                else
                        fputs(", \"owned_pages\": null", f);
                fputs(", \"tot_pages\": null, \"state\": null}", f);
        }
        fputs(rep->nr_domains ? "\n  ]" : "]", f);
}

int xkd_report_render_json(const struct xkd_report *rep, FILE *f) {
        bool first = true;

        fputs("{", f);
        json_key(f, "  ", "format", &first);
        xkd_json_string(f, "xen-kdump-report");
        json_key(f, "  ", "format_version", &first);
        fputs("1", f);
        json_key(f, "  ", "vmcore", &first);
        if (rep->unreadable_path) {
                fputs("null", f);
        } else {
                fprintf(f, "{\"truncated\": %s, \"ram_ranges\": %zu, \"ram_bytes\": %" PRIu64 ", \"notes_bytes\": %zu}",
                        rep->truncated ? "true" : "false", rep->nr_ranges, rep->ram_bytes, rep->notes_bytes);
        }
        json_key(f, "  ", "load", &first);
        if (rep->xen && !xkd_report_missing_reason(rep, "load")) {
                fputs("{\"hostname\": ", f);
                json_str_or_null(f, rep->hostname, !xkd_report_missing_reason(rep, "load.hostname"));
                fputs(", \"xen_cmdline\": ", f);
                json_str_or_null(f, rep->xen_cmdline, !xkd_report_missing_reason(rep, "load.xen_cmdline"));
                fputs(", \"load_time\": ", f);
                if (rep->has_load_time)
                        fprintf(f, "%" PRIu64, rep->load_time);
                else
                        fputs("null", f);
                fputs(", \"loader_version\": ", f);
                json_str_or_null(f, rep->loader_version, !xkd_report_missing_reason(rep, "load.loader_version"));
                fputs("}", f);
        } else
                fputs("null", f);
        json_key(f, "  ", "xen", &first);
        json_xen(rep, f);
        json_key(f, "  ", "crash", &first);
        fputs("{\"reason\": ", f);
        json_str_or_null(f, rep->reason, rep->xen && !xkd_report_missing_reason(rep, "crash.reason"));
        fputs(", \"time\": ", f);
        json_str_or_null(f, rep->time, rep->time[0] != '\0');
        fputs(", \"time_source\": ", f);
        json_str_or_null(f, rep->time_source, rep->time[0] != '\0');
        fputs(", \"crashing_cpu\": ", f);
        if (rep->has_crashing_cpu)
                fprintf(f, "%u", rep->crashing_cpu);
        else
                fputs("null", f);
        fputs(", \"crashing_cpu_method\": ", f);
        json_str_or_null(f, rep->crashing_cpu_method ? rep->crashing_cpu_method : "", rep->has_crashing_cpu);
        fputs(", \"dom0_panic\": ", f);
        json_str_or_null(f, rep->dom0_panic, rep->dom0_panic[0] != '\0');
        fputs(", \"crashing_cpu_hint\": ", f);
        if (rep->has_hint)
                fprintf(f, "%u", rep->hint_cpu);
        else
                fputs("null", f);
        fputs(", \"crashing_cpu_hint_basis\": ", f);
        json_str_or_null(f, rep->hint_basis ? rep->hint_basis : "", rep->has_hint);
        fputs("}", f);
        json_key(f, "  ", "cpus", &first);
        json_cpus(rep, f);
        json_key(f, "  ", "domains", &first);
        json_domains(rep, f);
        json_key(f, "  ", "xen_console_tail", &first);
        json_str_or_null(f, rep->console ? rep->console : "", rep->console != NULL);
        json_key(f, "  ", "dom0", &first);
        if (rep->xen && !xkd_report_missing_reason(rep, "dom0")) {
                fputs("{\"osrelease\": ", f);
                json_str_or_null(f, rep->dom0_osrelease, rep->dom0_osrelease[0] != '\0');
                fputs(", \"log_tail\": ", f);
                json_str_or_null(f, rep->dom0_log ? rep->dom0_log : "", rep->dom0_log != NULL);
                fputs("}", f);
        } else
                fputs("null", f);
        if (rep->dump) {
                json_key(f, "  ", "dump", &first);
                fputs("{\"file\": ", f);
                json_str_or_null(f, rep->dump->file ? rep->dump->file : "", rep->dump->file != NULL);
                fputs(", \"status\": ", f);
                json_str_or_null(f, rep->dump->status ? rep->dump->status : "", rep->dump->status != NULL);
                fputs(", \"engine\": ", f);
                json_str_or_null(f, rep->dump->engine ? rep->dump->engine : "", rep->dump->engine != NULL);
                fprintf(f, ", \"level\": %d, \"bytes\": %" PRIu64 ", \"seconds\": %.3f", rep->dump->level,
                        rep->dump->bytes, rep->dump->seconds);
                fputs(", \"filter_note\": ", f);
                json_str_or_null(f, rep->dump->filter_note ? rep->dump->filter_note : "", rep->dump->filter_note != NULL);
                fputs("}", f);
        }
        json_key(f, "  ", "missing", &first);
        fputs("{", f);
        for (size_t i = 0; i < rep->nr_missing; i++) {
                fprintf(f, "%s\n    ", i ? "," : "");
                xkd_json_string(f, rep->missing[i].field);
                fputs(": ", f);
                xkd_json_string(f, rep->missing[i].reason);
        }
        fputs(rep->nr_missing ? "\n  }\n}\n" : "}\n}\n", f);
        return ferror(f) ? -EIO : 0;
}

/* ---- text ---------------------------------------------------------------- */

static void txt_field(const struct xkd_report *rep, FILE *f, const char *label, const char *field,
                      const char *value, bool present) {
        const char *why = xkd_report_missing_reason(rep, field);
        if (present && value)
                fprintf(f, "  %-16s %s\n", label, value[0] ? value : "(empty: Xen recorded an empty string)");
        else
                fprintf(f, "  %-16s (missing: %s)\n", label, why ? why : "not found");
}

static void txt_tail(FILE *f, const char *text, size_t max) {
        size_t n = strlen(text);
        const char *p = n > max ? text + n - max : text;
        if (p != text) {
                const char *nl = strchr(p, '\n');
                if (nl)
                        p = nl + 1;
        }
        for (const char *line = p; *line;) {
                const char *eol = strchr(line, '\n');
                size_t len = eol ? (size_t) (eol - line) : strlen(line);
                fprintf(f, "    %.*s\n", (int) len, line);
                line += len + (eol ? 1 : 0);
        }
}

int xkd_report_render_txt(const struct xkd_report *rep, FILE *f) {
        const struct xkd_xen_crash_info *ci = rep->ci;
        char buf[1024];

        fputs("Xen crash report (xen-kdump)\n============================\n\n", f);
        if (rep->unreadable_path) {
                fprintf(f, "The vmcore could not be read: %s\n", xkd_report_missing_reason(rep, "vmcore"));
                return ferror(f) ? -EIO : 0;
        }
        if (rep->truncated)
                fputs("WARNING: the vmcore is truncated: fields below may be missing for that reason.\n\n", f);
        if (rep->dump)
                fprintf(f, "Dump: %s (%s, level %d, %" PRIu64 " bytes, %.1f s): %s\n\n",
                        rep->dump->file ? rep->dump->file : "-", rep->dump->engine ? rep->dump->engine : "-",
                        rep->dump->level, rep->dump->bytes, rep->dump->seconds,
                        rep->dump->status ? rep->dump->status : "-");
        if (rep->dump && rep->dump->filter_note)
                fprintf(f, "Filter: %s\n\n", rep->dump->filter_note);

        fputs("Crash\n", f);
        txt_field(rep, f, "reason", "crash.reason", rep->reason, !xkd_report_missing_reason(rep, "crash.reason"));
        if (rep->dom0_panic[0])
                fprintf(f, "  %-16s %s\n", "dom0 said", rep->dom0_panic);
        if (rep->time[0]) {
                snprintf(buf, sizeof(buf), "%s (%s)", rep->time, rep->time_source);
                txt_field(rep, f, "time", "crash.time", buf, true);
        } else
                txt_field(rep, f, "time", "crash.time", NULL, false);
        if (rep->has_crashing_cpu) {
                snprintf(buf, sizeof(buf), "%u (%s)", rep->crashing_cpu, rep->crashing_cpu_method);
                txt_field(rep, f, "crashing CPU", "crash.crashing_cpu", buf, true);
        } else {
                txt_field(rep, f, "crashing CPU", "crash.crashing_cpu", NULL, false);
                if (rep->has_hint)
                        fprintf(f, "  %-16s CPU%u: %s\n", "hint", rep->hint_cpu, rep->hint_basis);
        }

        fputs("\nXen\n", f);
        if (ci) {
                txt_field(rep, f, "version", "xen.version", rep->version, true);
                txt_field(rep, f, "changeset", "xen.changeset", ci->changeset.text, !ci->changeset.error);
                txt_field(rep, f, "compiler", "xen.compiler", ci->compiler.text, !ci->compiler.error);
                /* Xen's compile date is `date` output and usually holds the time already. */
                bool time_in_date = ci->compile_time.error || strstr(ci->compile_date.text, ci->compile_time.text);
                snprintf(buf, sizeof(buf), "%s%s%s", ci->compile_date.text,
                         time_in_date ? "" : " ", time_in_date ? "" : ci->compile_time.text);
                txt_field(rep, f, "built", "xen.compile_date", buf, !ci->compile_date.error);
                snprintf(buf, sizeof(buf), "%s (%#" PRIx64 ")", rep->tainted_string, ci->tainted);
                txt_field(rep, f, "tainted", "xen.tainted", buf, true);
                for (unsigned b = 0; b < 64; b++)
                        if (ci->tainted & (UINT64_C(1) << b))
                                fprintf(f, "  %-16s %s\n", "",
                                        b < sizeof(taint_names) / sizeof(taint_names[0]) ? taint_names[b] : "unknown bit");
        } else
                txt_field(rep, f, "version", "xen", NULL, false);
        if (!xkd_report_missing_reason(rep, "load")) {
                txt_field(rep, f, "host", "load.hostname", rep->hostname, !xkd_report_missing_reason(rep, "load.hostname"));
                txt_field(rep, f, "command line", "load.xen_cmdline", rep->xen_cmdline,
                          !xkd_report_missing_reason(rep, "load.xen_cmdline"));
                if (rep->has_load_time) {
                        time_t t = (time_t) rep->load_time;
                        struct tm tm;
                        if (gmtime_r(&t, &tm))
                                strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
                        txt_field(rep, f, "image loaded", "load.load_time", buf, true);
                }
        } else
                txt_field(rep, f, "load info", "load", NULL, false);

        fputs("\nPhysical CPUs\n", f);
        size_t n = xkd_xen_nr_cpus(rep->xen);
        if (n == 0)
                txt_field(rep, f, "registers", "cpus", NULL, false);
        for (size_t i = 0; i < n; i++) {
                const struct xkd_xen_cpu *c = xkd_xen_cpu(rep->xen, i);
                bool crashing = rep->has_crashing_cpu && rep->crashing_cpu == c->id;
                bool hinted = !rep->has_crashing_cpu && rep->has_hint && rep->hint_cpu == c->id;
                char run[32];
                const char *running = running_text(rep, i, run, sizeof(run));
                fprintf(f, "  CPU%-3u%s%s%s%s%s%s\n", c->id, crashing ? " <== crashing CPU" : "",
                        hinted ? " <== crashing CPU? (hint only)" : "",
                        running ? "  [vCPU loaded: " : "", running ? running : "", running ? "]" : "",
                        c->saved ? "" : " (registers not saved: the CPU did not answer the crash NMI)");
                if (c->has_regs)
                        fprintf(f, "    RIP %016" PRIx64 "  RSP %016" PRIx64 "  RFLAGS %016" PRIx64 "  CS %04" PRIx64 "\n",
                                c->regs.rip, c->regs.rsp, c->regs.rflags, c->regs.cs);
                if (c->has_crash_regs)
                        fprintf(f, "    CR0 %016" PRIx64 "  CR2 %016" PRIx64 "  CR3 %016" PRIx64 "  CR4 %016" PRIx64 "\n",
                                c->cr0, c->cr2, c->cr3, c->cr4);
                else
                        fputs("    CR0-CR4 (missing: no CRASH_REGS note for this CPU)\n", f);
        }

        fputs("\nDomains\n", f);
        if (xkd_report_missing_reason(rep, "domains"))
                txt_field(rep, f, "domain list", "domains", NULL, false);
        for (size_t i = 0; i < rep->nr_domains; i++) {
                const struct xkd_report_domain *d = &rep->domains[i];
                if (rep->has_owned_pages)
                        fprintf(f, "  dom%-5u at %016" PRIx64 "  %10" PRIu64 " pages owned (%" PRIu64 " KiB)\n",
                                d->id, d->vaddr, d->owned_pages, d->owned_pages * 4);
                else
                        fprintf(f, "  dom%-5u at %016" PRIx64 "\n", d->id, d->vaddr);
        }
        if (rep->nr_domains) {
                const char *why = xkd_report_missing_reason(rep, "domains.owned_pages");
                if (why)
                        fprintf(f, "  pages: missing: %s\n", why);
                fprintf(f, "  state: missing: %s\n", xkd_report_missing_reason(rep, "domains.state"));
        }

        fputs("\nXen console (tail)\n", f);
        if (rep->console)
                txt_tail(f, rep->console, 8192);
        else
                txt_field(rep, f, "console", "xen_console_tail", NULL, false);

        fputs("\ndom0 kernel log (tail)\n", f);
        if (rep->dom0_osrelease[0])
                fprintf(f, "  dom0 Linux %s\n", rep->dom0_osrelease);
        if (rep->dom0_log) {
                txt_tail(f, rep->dom0_log, 8192);
        } else
                txt_field(rep, f, "log", xkd_report_missing_reason(rep, "dom0") ? "dom0" : "dom0.log_tail", NULL, false);

        if (rep->nr_missing) {
                fputs("\nMissing from this dump\n", f);
                for (size_t i = 0; i < rep->nr_missing; i++)
                        fprintf(f, "  %s: %s\n", rep->missing[i].field, rep->missing[i].reason);
        }
        return ferror(f) ? -EIO : 0;
}
