/* cmd_analyze.c - `cardwatch analyze`: packets -> events -> registry join -> rules -> alerts. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/dissect.h"
#include "cli/cli.h"
#include "cli/run_files.h"
#include "output/alerts.h"
#include "output/realname.h"
#include "output/summary.h"
#include "rules/rules.h"
#include "store/registry.h"
#include "util/error.h"

#ifndef CW_RULES_DIR
#define CW_RULES_DIR "rules"
#endif

/* Look this often (events) whether a registry update was committed, and renew the snapshot
 * then: a cheap check (no system call), so updates are seen within a few events. */
#define POLL_EVERY 64

static const char usage[] =
    "usage: cardwatch analyze --db DIR [--rules PATH] [--alerts FILE] [--report FILE]\n"
    "                         [--state-mem MIB] [--quiet] FILE...\n"
    "\n"
    "Read pcap and pcapng FILEs in the order given, decode their signalling, join every event's\n"
    "calling card to the real-name registry in DIR, apply the rules, and write one JSON object\n"
    "per alert (docs/alerts.md). Alerts are written and flushed as they are raised: one alert\n"
    "per key (card, device, outlet, ...) per rule per window, when the window closes or the\n"
    "input ends (with 'suppress', one per period and one update). All times are packet\n"
    "times, so a capture gives the same alerts on every run. A FILE named '-' is read from\n"
    "standard input, which may be a pipe ('tcpdump -w - | cardwatch analyze ... -').\n"
    "\n"
    "The registry also says where the carrier's cells are (its cells table, from cells.csv):\n"
    "rules on cell.* use it; without it no cell is located (docs/rules.md).\n"
    "\n"
    "options:\n"
    "  -d, --db DIR        registry made by 'cardwatch registry import' (required)\n"
    "  -r, --rules PATH    rule file, or directory of *.rules files (default: " CW_RULES_DIR ")\n"
    "  -o, --alerts FILE   write alerts to FILE (default: standard output)\n"
    "      --report FILE   write the run's report as JSON to FILE: the real-name rate over the\n"
    "                      home cards in use and the black-card share of their SMS, calls and\n"
    "                      data sessions, per registration province and overall\n"
    "      --state-mem MIB cap the rule state (open windows and their key tables) at MIB\n"
    "                      mebibytes (default 256); past it a rule's least recently updated\n"
    "                      windows are closed early, reporting their alert if they meet its\n"
    "                      thresholds (docs/rules.md, \"Memory\")\n"
    "  -q, --quiet         no summary and no progress on standard error\n"
    "  -h, --help          this text\n"
    "\n"
    "The end-of-run summary on standard error gives packets, bytes, malformed packets, flows by\n"
    "nDPI protocol, events by kind, registry lookups, alerts by rule, the most active alerted\n"
    "cards, the real-name rate in traffic (as --report), the rule state's peak memory and\n"
    "evictions, wall time and packets per second.\n"
    "\n"
    "signals: on SIGHUP the rules are read again from the same PATH, between two events. A file\n"
    "with an error is refused (its FILE:LINE:COL error is printed) and the old rules stay in\n"
    "force; otherwise rules unchanged keep their open windows, changed and new rules start\n"
    "empty, and the open windows of changed and removed rules are closed, reporting their due\n"
    "alerts. Either way one line on standard error says what happened.\n"
    "\n"
    "exit status: 0 success; 1 an input could not be read (completely), the registry or rules\n"
    "could not be loaded, or alerts could not be written; 2 usage error.\n";

/* Set by the SIGHUP handler; the event path reloads the rules when it sees it. */
static volatile sig_atomic_t reload_wanted;

static void on_sighup(int sig)
{
    (void)sig;
    reload_wanted = 1;
}

struct analyze_ctx {
    struct cw_reg_reader *rd;
    struct cw_engine *engine;
    struct cw_ruleset *rs; /* the rules in force (owned) */
    const char *rules_path;
    struct cw_realname *realname;
    uint64_t lookups, registered, home, home_unregistered, home_unverified, lookup_errors;
    uint64_t since_refresh, refreshes, over_quota;
};

/* Read the rules again from the same path and switch the engine to them; on any error the old
 * rules stay in force. */
static void reload_rules(struct analyze_ctx *a)
{
    char err[1024];
    struct cw_ruleset *nrs = NULL;
    if (cw_rules_load(a->rules_path, &nrs, err, sizeof err) != 0) {
        fprintf(stderr, "%s\ncardwatch: analyze: rules not reloaded; the old rules stay in force\n",
                err);
        return;
    }
    if (cw_engine_reload(a->engine, nrs) != 0) {
        cw_rules_free(nrs);
        cw_cli_err("analyze: out of memory: rules not reloaded; the old rules stay in force");
        return;
    }
    cw_rules_free(a->rs); /* the engine no longer points into it */
    a->rs = nrs;
    struct cw_engine_stats st;
    cw_engine_stats(a->engine, &st, NULL);
    fprintf(stderr,
            "cardwatch: analyze: rules reloaded from %s: %llu unchanged (state kept), %llu "
            "changed or new, %llu removed\n",
            a->rules_path, (unsigned long long)st.reload_kept, (unsigned long long)st.reload_fresh,
            (unsigned long long)st.reload_removed);
}

/* The engine's locator: the registry's cells table, in the reader's current snapshot. */
static int locate_cell(void *user, const char *cell, char province[3])
{
    struct analyze_ctx *a = user;
    return cw_reg_cell_province(a->rd, cell, province);
}

static void on_event(void *user, const struct cw_event *ev)
{
    struct analyze_ctx *a = user;
    if (reload_wanted) {
        reload_wanted = 0;
        reload_rules(a);
    }
    struct cw_card card;
    /* A number sent in global form keeps its digits as they are; only a national number
     * gets the carrier's country code (cw_msisdn_normalize). */
    char num[CW_NUM_MAX + 1] = "";
    if (!(ev->flags & CW_EVF_CALLING_ALNUM) && ev->calling[0])
        snprintf(num, sizeof num, "%s%s", (ev->flags & CW_EVF_CALLING_INTL) ? "+" : "",
                 ev->calling);
    int rc = cw_reg_lookup(a->rd, num, ev->imsi, &card);
    a->lookups++;
    if (rc < 0)
        a->lookup_errors++;
    else if (rc == 1)
        a->registered++;
    if (card.person_cards_province > 5)
        a->over_quota++;
    if (card.home) {
        a->home++;
        if (!card.registered)
            a->home_unregistered++;
        else if (!card.verified)
            a->home_unverified++;
    }
    if (rc >= 0 && cw_realname_event(a->realname, ev, &card) != 0)
        a->lookup_errors++; /* the set of cards in use could not grow */
    cw_engine_event(a->engine, ev, &card);
    if (++a->since_refresh >= POLL_EVERY) {
        a->since_refresh = 0;
        int p = cw_reg_reader_poll(a->rd);
        if (p < 0)
            a->lookup_errors++;
        else
            a->refreshes += (uint64_t)p;
    }
}

/* The --report file: what was read and the real-name rate in traffic, as one JSON object. */
static int write_report(FILE *f, const struct analyze_ctx *a, const struct cw_alert_writer *w,
                        char *const *files, int nfiles)
{
    struct cw_json j;
    memset(&j, 0, sizeof j);
    cw_json_obj_begin(&j, NULL);
    cw_json_arr_begin(&j, "files");
    for (int i = 0; i < nfiles; i++)
        cw_json_str(&j, NULL, files[i]);
    cw_json_arr_end(&j);
    cw_json_uint(&j, "registry_lookups", a->lookups);
    cw_json_uint(&j, "alerts", w->written);
    cw_realname_json(&j, a->realname);
    cw_json_obj_end(&j);
    int rc = cw_json_write_line(&j, f);
    cw_json_release(&j);
    return rc != 0 || fflush(f) != 0;
}

int cw_cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},     {"rules", required_argument, 0, 'r'},
        {"alerts", required_argument, 0, 'o'}, {"quiet", no_argument, 0, 'q'},
        {"report", required_argument, 0, 'R'}, {"state-mem", required_argument, 0, 'M'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *db = NULL, *rules_path = CW_RULES_DIR, *alerts_path = NULL, *report_path = NULL;
    FILE *report = NULL;
    int quiet = 0, ch;
    size_t state_mem = CW_ENGINE_LIMIT_DEFAULT;
    while ((ch = getopt_long(argc, argv, "d:r:o:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': db = optarg; break;
        case 'r': rules_path = optarg; break;
        case 'o': alerts_path = optarg; break;
        case 'R': report_path = optarg; break;
        case 'M': {
            char *end;
            errno = 0;
            unsigned long long mib = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' || mib == 0 ||
                mib > ((size_t)-1 >> 20)) {
                cw_cli_err("analyze: --state-mem: '%s' is not a number of MiB from 1 up", optarg);
                return 2;
            }
            state_mem = (size_t)mib << 20;
            break;
        }
        case 'q': quiet = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!db) {
        cw_cli_err("analyze: --db DIR is required (the registry to join cards to)");
        fputs(usage, stderr);
        return 2;
    }
    if (optind >= argc) {
        cw_cli_err("analyze: no input file given");
        fputs(usage, stderr);
        return 2;
    }
    char *const *files = argv + optind;
    int nfiles = argc - optind;
    char err[1024];
    int status = 1;
    struct cw_registry *reg = NULL;
    struct cw_dissector *d = NULL;
    struct analyze_ctx a;
    memset(&a, 0, sizeof a);
    struct cw_alert_writer w;
    memset(&w, 0, sizeof w);
    w.files = (const char *const *)files;
    w.nfiles = (unsigned)nfiles;
    w.out = stdout;

    a.rules_path = rules_path;
    /* from here on SIGHUP only asks for a reload: a read from a pipe goes on (SA_RESTART) and
     * the flag is seen at the next event */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sighup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    if (cw_rules_load(rules_path, &a.rs, err, sizeof err) != 0) {
        fprintf(stderr, "%s\ncardwatch: analyze: rules not loaded, nothing analyzed\n", err);
        goto out;
    }
    if (cw_registry_open(db, CW_REG_RDONLY, &reg, err, sizeof err) != 0 ||
        cw_reg_reader_new(reg, &a.rd) != 0) {
        cw_cli_err("analyze: %s", err);
        goto out;
    }
    if (cw_run_check_files(files, nfiles) != 0) {
        cw_cli_err("analyze: input files missing or not captures, nothing analyzed");
        goto out;
    }
    if (alerts_path && !(w.out = fopen(alerts_path, "w"))) {
        cw_cli_err("analyze: %s: %s", alerts_path, strerror(errno));
        w.out = NULL;
        goto out;
    }
    if (report_path && !(report = fopen(report_path, "w"))) {
        cw_cli_err("analyze: %s: %s", report_path, strerror(errno));
        goto out;
    }
    if (cw_realname_new(&a.realname) != 0) {
        cw_cli_err("analyze: out of memory");
        goto out;
    }
    struct cw_alert_sink asink = {cw_alert_writer_emit, &w};
    if (cw_engine_new(a.rs, &asink, &a.engine) != 0) {
        cw_cli_err("analyze: cannot set up the rule engine (out of memory)");
        goto out;
    }
    cw_engine_set_limit(a.engine, state_mem);
    {
        /* what a card received is found by its number in the registry's form */
        struct cw_registry_info info;
        if (cw_registry_info(reg, &info) == 0)
            cw_engine_set_country(a.engine, info.cc);
    }
    cw_engine_set_locator(a.engine, locate_cell, &a);
    struct cw_event_sink esink = {on_event, &a, NULL};
    if (cw_dissect_new(&esink, &d) != 0) {
        cw_cli_err("analyze: cannot set up the packet decoder (out of memory)");
        goto out;
    }
    struct cw_run_result res;
    cw_run_files(d, files, nfiles, !quiet, &res);
    cw_dissect_finish(d);
    cw_engine_flush(a.engine);
    if (!quiet) {
        struct cw_summary_in in;
        memset(&in, 0, sizeof in);
        in.d = d;
        in.run = res;
        in.rules = a.rs;
        in.engine = a.engine;
        in.alerts = &w;
        in.lookups = a.lookups;
        in.registered = a.registered;
        in.home = a.home;
        in.home_unregistered = a.home_unregistered;
        in.home_unverified = a.home_unverified;
        in.lookup_errors = a.lookup_errors;
        in.over_quota = a.over_quota;
        in.refreshes = a.refreshes;
        in.realname = a.realname;
        cw_summary_print(stderr, &in);
    }
    status = (res.files_damaged || res.files_unreadable) ? 1 : 0;
    if (report && write_report(report, &a, &w, files, nfiles) != 0) {
        cw_cli_err("analyze: writing the report to %s failed", report_path);
        status = 1;
    }
    if (w.io_error) {
        cw_cli_err("analyze: writing alerts to %s failed", alerts_path ? alerts_path : "stdout");
        status = 1;
    }
out:
    if (report && fclose(report) != 0) {
        cw_cli_err("analyze: %s: %s", report_path, strerror(errno));
        status = 1;
    }
    if (w.out && w.out != stdout && fclose(w.out) != 0) {
        cw_cli_err("analyze: %s: %s", alerts_path, strerror(errno));
        status = 1;
    }
    cw_dissect_free(d);
    cw_engine_free(a.engine);
    cw_realname_free(a.realname);
    cw_reg_reader_free(a.rd);
    cw_registry_free(reg);
    cw_rules_free(a.rs);
    cw_json_release(&w.j);
    return status;
}
