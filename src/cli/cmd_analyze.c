/* cmd_analyze.c - `cardwatch analyze`: packets -> events -> registry join -> rules -> alerts. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cli/cli.h"
#include "cli/pipeline.h"
#include "cli/privdrop.h"
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

static const char usage[] =
    "usage: cardwatch analyze --db DIR [options] FILE|DIR...\n"
    "       cardwatch analyze --db DIR [options] -i IFACE [-f BPF]\n"
    "\n"
    "Read pcap and pcapng captures (files, or directories of them), or capture live on an\n"
    "interface; decode the signalling; join every event's calling card to the real-name registry\n"
    "in DIR; apply the rules; and write one JSON object per alert (docs/alerts.md). Alerts are\n"
    "written and flushed as they are raised: one per key (card, device, outlet, ...) per rule per\n"
    "window, when the window closes or the input ends (with 'suppress', one per period and one\n"
    "update). All times are packet times, so a capture gives the same alerts on every run and\n"
    "with any number of threads (their order in the output may differ), as long as the rule\n"
    "state stays under --state-mem: windows evicted to stay under it depend on each thread's\n"
    "share.\n"
    "\n"
    "Files are read in timestamp order: packets of several files are merged by time (rotated\n"
    "captures one after the other, overlapping ones interleaved). A DIR stands for the *.pcap,\n"
    "*.pcapng and *.cap files in it. A FILE named '-' is standard input, which may be a pipe\n"
    "('tcpdump -w - | cardwatch analyze ... -'); it is read by one thread.\n"
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
    "  -t, --threads N     worker threads (default: one per core, here %ld). Packets are spread\n"
    "                      over them by flow; each keeps the rule state of its share of the\n"
    "                      subscribers (docs/performance.md)\n"
    "      --state-mem MIB cap the rule state (open windows and their key tables) at MIB\n"
    "                      mebibytes in all (default 256), shared equally by the threads; past\n"
    "                      it a rule's least recently updated windows are closed early,\n"
    "                      reporting their alert if they meet its thresholds (docs/rules.md,\n"
    "                      \"Memory\")\n"
    "  -q, --quiet         no summary, no progress and no stats lines on standard error\n"
    "  -h, --help          this text\n"
    "\n"
    "live capture (needs root or CAP_NET_RAW; Linux TPACKET_V3 ring through libpcap):\n"
    "  -i, --interface IFACE  capture on IFACE until SIGINT or SIGTERM; with several threads,\n"
    "                      one capture per thread in one PACKET_FANOUT group, which the kernel\n"
    "                      fills by flow (both directions, and IP fragments reassembled)\n"
    "  -f, --filter BPF    capture only what the filter passes (pcap-filter(7) syntax)\n"
    "      --snaplen N     bytes kept of each packet (default 65535)\n"
    "      --buffer MIB    kernel ring per capture, in MiB (default 64): a larger one rides out\n"
    "                      longer bursts before the kernel drops\n"
    "      --no-promisc    do not put the interface in promiscuous mode\n"
    "      --user USER     after opening the captures, the registry and the output files,\n"
    "                      run as USER (and its groups); rule files read on SIGHUP must then\n"
    "                      be readable by USER\n"
    "      --stats SECS    a stats line on standard error every SECS seconds (default 10 when\n"
    "                      live, none for files, which show a progress bar on a terminal);\n"
    "                      0: none. SIGUSR1 prints one at any time\n"
    "\n"
    "The stats line gives packets (and per second), the drops the kernel reports (pcap_stats),\n"
    "malformed packets, decoder errors, events, alerts, and each worker's share of the packets.\n"
    "The end-of-run summary on standard error gives packets, bytes, malformed packets, flows by\n"
    "nDPI protocol, events by kind, registry lookups (and how many reached LMDB past the cache\n"
    "of hot cards), alerts by rule, the most active alerted cards, the real-name rate in traffic\n"
    "(as --report), the rule state's peak memory and evictions, wall time and packets per\n"
    "second.\n"
    "\n"
    "signals: SIGINT or SIGTERM stops: the packets in hand are finished, open windows closed\n"
    "(their due alerts reported) and the summary printed. On SIGHUP the rules are read again\n"
    "from the same PATH and put in force between two events. A file with an error is refused\n"
    "(its FILE:LINE:COL error is printed) and the old rules stay in force; otherwise rules\n"
    "unchanged keep their open windows, changed and new rules start empty, and the open windows\n"
    "of changed and removed rules are closed, reporting their due alerts. Either way one line\n"
    "on standard error says what happened. SIGUSR1 prints a stats line.\n"
    "\n"
    "exit status: 0 success (a live capture stopped by a signal included); 1 an input could not\n"
    "be read (completely), the reading of files was interrupted, the registry or rules could not\n"
    "be loaded, the capture could not be opened, privileges could not be dropped, or alerts\n"
    "could not be written; 2 usage error.\n";

/* The --report file: what was read and the real-name rate in traffic, as one JSON object. */
static int write_report(FILE *f, const struct cw_summary_in *in, const struct cw_alert_writer *w,
                        char *const *files, int nfiles, const char *iface)
{
    struct cw_json j;
    memset(&j, 0, sizeof j);
    cw_json_obj_begin(&j, NULL);
    if (iface) {
        cw_json_str(&j, "interface", iface);
    } else {
        cw_json_arr_begin(&j, "files");
        for (int i = 0; i < nfiles; i++)
            cw_json_str(&j, NULL, files[i]);
        cw_json_arr_end(&j);
    }
    cw_json_uint(&j, "registry_lookups", in->lookups);
    cw_json_uint(&j, "alerts", w->written);
    if (in->realname)
        cw_realname_json(&j, in->realname);
    cw_json_obj_end(&j);
    int rc = cw_json_write_line(&j, f);
    cw_json_release(&j);
    return rc != 0 || fflush(f) != 0;
}

/* One stats line: counters since the start, the rate since the previous line. */
struct stats_state {
    double t0, last_t;
    uint64_t last_packets;
    int live;
};

static void stats_line(const struct cw_pipe *p, struct stats_state *ss)
{
    struct cw_pipe_progress pr;
    cw_pipe_progress(p, &pr);
    double t = cw_now_seconds(), dt = t - ss->last_t;
    double rate = dt > 0 ? (double)(pr.packets - ss->last_packets) / dt : 0;
    char b[6][32];
    fprintf(stderr, "cardwatch: stats %.0f s: packets %s (%.0f/s)", t - ss->t0,
            cw_summary_grouped(pr.packets, b[0]), rate);
    if (ss->live)
        fprintf(stderr, ", kernel received %s, drops %s",
                cw_summary_grouped(pr.kernel_received, b[1]),
                cw_summary_grouped(pr.kernel_dropped, b[2]));
    else
        fputs(", drops 0 (files)", stderr);
    fprintf(stderr, ", malformed %s, decoder errors %s, events %s, alerts %s",
            cw_summary_grouped(pr.malformed, b[3]), cw_summary_grouped(pr.decode_errors, b[4]),
            cw_summary_grouped(pr.events, b[5]), cw_summary_grouped(pr.alerts, b[0]));
    if (pr.workers > 1) {
        fputs("; workers", stderr);
        for (unsigned i = 0; i < pr.workers; i++)
            fprintf(stderr, " %.0f%%",
                    pr.packets ? 100.0 * (double)pr.worker_packets[i] / (double)pr.packets : 0.0);
    }
    fputc('\n', stderr);
    ss->last_t = t;
    ss->last_packets = pr.packets;
}

/* SIGHUP: read the rules again; on any error the old ones stay in force. */
static void reload_rules(struct cw_pipe *p, const char *path)
{
    char err[1024];
    struct cw_ruleset *nrs = NULL;
    if (cw_rules_load(path, &nrs, err, sizeof err) != 0) {
        fprintf(stderr, "%s\ncardwatch: analyze: rules not reloaded; the old rules stay in force\n",
                err);
        return;
    }
    int rc = cw_pipe_reload(p, nrs, path);
    if (rc == 0)
        return; /* the first worker to switch says so */
    cw_rules_free(nrs);
    if (rc == CW_EFULL)
        cw_cli_err("analyze: the previous reloads are still being put in force: rules not "
                   "reloaded; the old rules stay in force (send SIGHUP again)");
    else
        cw_cli_err("analyze: more than %d rules need --threads 1: rules not reloaded; the old "
                   "rules stay in force",
                   CW_ROUTE_RULES_MAX);
}

/* A number option: @p min .. @p max, else a usage error naming the option. */
static int num_opt(const char *name, const char *arg, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max) {
        cw_cli_err("analyze: %s: '%s' is not a number from %ld to %ld", name, arg, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Open one capture per worker on the interface (a fanout group for several); falls back to
 * one capture when the kernel cannot fan out. Returns 0, or -1 with the error printed. */
static int open_live(struct cw_live_opts *lo, unsigned *nworkers, struct cw_capture **caps)
{
    char err[1024];
    lo->fanout_group = *nworkers > 1 ? (int)(getpid() & 0xffff) | 1 : 0;
    for (unsigned i = 0; i < *nworkers; i++) {
        int rc = cw_capture_open_live(lo, &caps[i], err, sizeof err);
        if (rc == CW_EUNSUPPORTED && i == 0) {
            cw_cli_err("analyze: %s; capturing with one thread", err);
            *nworkers = 1;
            lo->fanout_group = 0;
            rc = cw_capture_open_live(lo, &caps[i], err, sizeof err);
        }
        if (rc != 0) {
            cw_cli_err("analyze: %s", err);
            return -1;
        }
        if (i == 0 && err[0])
            cw_cli_err("analyze: %s (warning)", err);
    }
    return 0;
}

int cw_cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, 0, 'd'},      {"rules", required_argument, 0, 'r'},
        {"alerts", required_argument, 0, 'o'},  {"quiet", no_argument, 0, 'q'},
        {"report", required_argument, 0, 'R'},  {"state-mem", required_argument, 0, 'M'},
        {"threads", required_argument, 0, 't'}, {"interface", required_argument, 0, 'i'},
        {"filter", required_argument, 0, 'f'},  {"snaplen", required_argument, 0, 'S'},
        {"buffer", required_argument, 0, 'B'},  {"no-promisc", no_argument, 0, 'P'},
        {"user", required_argument, 0, 'U'},    {"stats", required_argument, 0, 'T'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *db = NULL, *rules_path = CW_RULES_DIR, *alerts_path = NULL, *report_path = NULL;
    const char *user = NULL;
    FILE *report = NULL;
    int quiet = 0, ch, threads_given = 0;
    long v, ncpu = sysconf(_SC_NPROCESSORS_ONLN), stats_secs = -1;
    if (ncpu < 1)
        ncpu = 1;
    if (ncpu > CW_PIPE_WORKERS_MAX)
        ncpu = CW_PIPE_WORKERS_MAX;
    unsigned nworkers = (unsigned)ncpu;
    struct cw_live_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.promisc = 1;
    size_t state_mem = CW_ENGINE_LIMIT_DEFAULT;
    while ((ch = getopt_long(argc, argv, "d:r:o:qt:i:f:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': db = optarg; break;
        case 'r': rules_path = optarg; break;
        case 'o': alerts_path = optarg; break;
        case 'R': report_path = optarg; break;
        case 'M':
            if (num_opt("--state-mem", optarg, 1, 1L << 30, &v) != 0)
                return 2;
            state_mem = (size_t)v << 20;
            break;
        case 't':
            if (num_opt("--threads", optarg, 1, CW_PIPE_WORKERS_MAX, &v) != 0)
                return 2;
            nworkers = (unsigned)v;
            threads_given = 1;
            break;
        case 'i': lo.iface = optarg; break;
        case 'f': lo.bpf = optarg; break;
        case 'S':
            if (num_opt("--snaplen", optarg, 64, 262144, &v) != 0)
                return 2;
            lo.snaplen = (int)v;
            break;
        case 'B':
            if (num_opt("--buffer", optarg, 1, 2047, &v) != 0)
                return 2;
            lo.buffer_mib = (int)v;
            break;
        case 'P': lo.promisc = 0; break;
        case 'U': user = optarg; break;
        case 'T':
            if (num_opt("--stats", optarg, 0, 86400, &stats_secs) != 0)
                return 2;
            break;
        case 'q': quiet = 1; break;
        case 'h': printf(usage, ncpu); return 0;
        default: fprintf(stderr, usage, ncpu); return 2;
        }
    }
    if (!db) {
        cw_cli_err("analyze: --db DIR is required (the registry to join cards to)");
        fprintf(stderr, usage, ncpu);
        return 2;
    }
    if (lo.iface && optind < argc) {
        cw_cli_err("analyze: give either -i IFACE or input files, not both");
        return 2;
    }
    if (!lo.iface && optind >= argc) {
        cw_cli_err("analyze: no input file given (or -i IFACE for a live capture)");
        fprintf(stderr, usage, ncpu);
        return 2;
    }
    if (!lo.iface && (lo.bpf || lo.snaplen || lo.buffer_mib || !lo.promisc)) {
        cw_cli_err("analyze: -f, --snaplen, --buffer and --no-promisc are for a live capture "
                   "(-i IFACE)");
        return 2;
    }
    if (stats_secs < 0)
        stats_secs = lo.iface ? 10 : 0;
    char **files = NULL;
    int nfiles = 0;
    if (!lo.iface) {
        if (cw_run_expand(argv + optind, argc - optind, &files, &nfiles) != 0) {
            cw_cli_err("analyze: inputs missing, nothing analyzed");
            return 1;
        }
        for (int i = 0; i < nfiles && nworkers > 1; i++)
            if (strcmp(files[i], "-") == 0) {
                if (threads_given)
                    cw_cli_err("analyze: standard input is read by one thread");
                nworkers = 1;
            }
    }
    char err[1024];
    int status = 1;
    struct cw_registry *reg = NULL;
    struct cw_ruleset *rs = NULL;
    struct cw_pipe *pipe = NULL;
    struct cw_capture *caps[CW_PIPE_WORKERS_MAX] = {0};
    struct cw_alert_writer w;
    memset(&w, 0, sizeof w);
    w.files = (const char *const *)files;
    w.nfiles = (unsigned)nfiles;
    w.out = stdout;

    if (cw_rules_load(rules_path, &rs, err, sizeof err) != 0) {
        fprintf(stderr, "%s\ncardwatch: analyze: rules not loaded, nothing analyzed\n", err);
        goto out;
    }
    if (nworkers > 1 && cw_rules_count(rs) > CW_ROUTE_RULES_MAX) {
        cw_cli_err("analyze: %zu rules: more than %d are analyzed by one thread",
                   cw_rules_count(rs), CW_ROUTE_RULES_MAX);
        nworkers = 1;
    }
    if (cw_registry_open(db, CW_REG_RDONLY, &reg, err, sizeof err) != 0) {
        cw_cli_err("analyze: %s", err);
        goto out;
    }
    if (!lo.iface && cw_run_check_files(files, nfiles) != 0) {
        cw_cli_err("analyze: input files missing or not captures, nothing analyzed");
        goto out;
    }
    if (lo.iface && open_live(&lo, &nworkers, caps) != 0)
        goto out;
    if (alerts_path && !(w.out = fopen(alerts_path, "w"))) {
        cw_cli_err("analyze: %s: %s", alerts_path, strerror(errno));
        w.out = NULL;
        goto out;
    }
    if (report_path && !(report = fopen(report_path, "w"))) {
        cw_cli_err("analyze: %s: %s", report_path, strerror(errno));
        goto out;
    }
    struct cw_pipe_opts po;
    memset(&po, 0, sizeof po);
    po.workers = nworkers;
    po.files = files;
    po.nfiles = nfiles;
    po.progress = !quiet;
    po.caps = lo.iface ? caps : NULL;
    po.reg = reg;
    po.rs = rs;
    po.state_mem = state_mem;
    po.sink = (struct cw_alert_sink){cw_alert_writer_emit, &w};
    if (cw_pipe_new(&po, &pipe, err, sizeof err) != 0) {
        cw_cli_err("analyze: %s", err);
        goto out;
    }
    if (user && cw_drop_privileges(user, err, sizeof err) != 0) {
        cw_cli_err("analyze: --user %s: %s", user, err);
        goto out;
    }
    /* the workers run with these blocked; this thread takes them one by one */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    if (cw_pipe_start(pipe) != 0) {
        cw_cli_err("analyze: cannot start %u worker threads", nworkers);
        goto out;
    }
    if (lo.iface)
        fprintf(stderr, "cardwatch: analyze: capturing on %s (%u worker%s%s)%s\n", lo.iface,
                nworkers, nworkers > 1 ? "s, " : "", nworkers > 1 ? "fanout by flow" : "",
                user ? "" : "");
    struct stats_state ss = {cw_now_seconds(), 0, 0, lo.iface != NULL};
    ss.last_t = ss.t0;
    double next_stats = ss.t0 + (double)stats_secs;
    int interrupted = 0;
    while (cw_pipe_running(pipe) > 0) {
        struct timespec tmo = {0, 200 * 1000 * 1000};
        int sig = sigtimedwait(&sigs, NULL, &tmo);
        if (sig == SIGINT || sig == SIGTERM) {
            if (!interrupted++)
                fprintf(stderr, "cardwatch: analyze: %s: stopping\n",
                        sig == SIGINT ? "SIGINT" : "SIGTERM");
            cw_pipe_stop(pipe);
        } else if (sig == SIGHUP) {
            reload_rules(pipe, rules_path);
        } else if (sig == SIGUSR1) {
            stats_line(pipe, &ss);
        }
        if (stats_secs && !quiet && cw_now_seconds() >= next_stats) {
            stats_line(pipe, &ss);
            next_stats += (double)stats_secs;
        }
    }
    cw_pipe_join(pipe);
    struct cw_summary_in in;
    memset(&in, 0, sizeof in);
    cw_pipe_summary(pipe, &in);
    in.alerts = &w;
    in.interface = lo.iface;
    if (!quiet) {
        if (lo.iface)
            stats_line(pipe, &ss);
        cw_summary_print(stderr, &in);
    }
    if (lo.iface)
        status = in.run.files_damaged ? 1 : 0;
    else
        status = (in.run.files_damaged || in.run.files_unreadable || in.run.stopped) ? 1 : 0;
    if (!lo.iface && in.run.stopped)
        cw_cli_err("analyze: interrupted: the input was not read to its end");
    if (report && write_report(report, &in, &w, files, nfiles, lo.iface) != 0) {
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
    cw_pipe_free(pipe);
    for (unsigned i = 0; i < CW_PIPE_WORKERS_MAX; i++)
        cw_capture_free(caps[i]);
    cw_registry_free(reg);
    cw_rules_free(rs);
    cw_json_release(&w.j);
    cw_run_list_free(files, nfiles);
    return status;
}
