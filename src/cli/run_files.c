/* run_files.c - the offline reading loop shared by decode and analyze. */
#include "cli/run_files.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"

double cw_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cw_run_check_files(char *const *files, int nfiles)
{
    int bad = 0, stdin_seen = 0;
    for (int i = 0; i < nfiles; i++) {
        struct cw_capture *c;
        char err[1024];
        if (strcmp(files[i], "-") == 0) {
            /* standard input: opening it here would consume it; it is checked when read */
            if (stdin_seen++) {
                fprintf(stderr, "cardwatch: -: standard input given more than once\n");
                bad++;
            }
            continue;
        }
        if (cw_capture_open_file(files[i], &c, err, sizeof err) != 0) {
            fprintf(stderr, "cardwatch: %s\n", err);
            bad++;
        } else {
            cw_capture_free(c);
        }
    }
    return bad;
}

static void show_progress(const struct cw_capture *c, int i, int n, uint64_t pkts, double t0)
{
    uint64_t done, total;
    cw_capture_progress(c, &done, &total);
    double el = cw_now_seconds() - t0;
    double rate = el > 0 ? (double)pkts / el : 0;
    fprintf(stderr, "\r  file %d/%d  %.1f/%.1f MB  %.0f packets/s   ", i + 1, n, (double)done / 1e6,
            (double)total / 1e6, rate);
}

void cw_run_files(struct cw_dissector *d, char *const *files, int nfiles, int progress,
                  struct cw_run_result *res)
{
    double t0 = cw_now_seconds(), last = t0;
    uint64_t pkts = 0;
    int tty = progress && isatty(STDERR_FILENO);
    res->files_ok = res->files_damaged = res->files_unreadable = 0;
    for (int i = 0; i < nfiles; i++) {
        struct cw_capture *c;
        char err[1024];
        if (cw_capture_open_file(files[i], &c, err, sizeof err) != 0) {
            fprintf(stderr, "cardwatch: %s\n", err);
            res->files_unreadable++;
            continue;
        }
        struct cw_raw_pkt pkt;
        int rc;
        while ((rc = cw_capture_next(c, &pkt)) == 1) {
            cw_dissect_packet(d, &pkt, pkt.linktype, (uint32_t)i);
            if (tty && (++pkts & 0xffff) == 0) {
                double now = cw_now_seconds();
                if (now - last >= 0.5) {
                    show_progress(c, i, nfiles, pkts, t0);
                    last = now;
                }
            }
        }
        if (rc < 0) {
            if (tty)
                fputc('\n', stderr);
            fprintf(stderr, "cardwatch: %s (the packets before it were read)\n",
                    cw_capture_error(c));
            res->files_damaged++;
        } else {
            res->files_ok++;
        }
        cw_capture_free(c);
    }
    if (tty && pkts >= 0x10000)
        fputs("\r\033[K", stderr);
    res->seconds = cw_now_seconds() - t0;
}
