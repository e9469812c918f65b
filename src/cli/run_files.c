/* run_files.c - the offline reading loop shared by decode and analyze: the command line's
 * files and directories, merged by timestamp through a binary heap of the files (keyed by each
 * file's next packet, ties to the earlier file), files opened lazily, a progress bar. */
#include "cli/run_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Atomic int cw_run_stop = 0;

double cw_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- expanding the command line ---- */

struct list {
    char **v;
    int n, cap;
};

/* Appends @p s (owned from now on; freed when it cannot be added). */
static int list_push(struct list *l, char *s)
{
    if (!s)
        return -1;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v) {
            free(s);
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

void cw_run_list_free(char **files, int nfiles)
{
    if (!files)
        return;
    for (int i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
}

static int is_capture_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (name[0] == '.' || !dot)
        return 0;
    /* tcpdump -C numbers the files after the first: trace.pcap, trace.pcap1, trace.pcap2 */
    size_t n = strlen(dot);
    while (n > 1 && dot[n - 1] >= '0' && dot[n - 1] <= '9')
        n--;
    return (n == 5 && !strncasecmp(dot, ".pcap", 5)) ||
           (n == 7 && !strncasecmp(dot, ".pcapng", 7)) || (n == 4 && !strncasecmp(dot, ".cap", 4));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The capture files directly in @p dir, in name order, appended to @p out. */
static int expand_dir(const char *dir, struct list *out)
{
    DIR *dp = opendir(dir);
    if (!dp) {
        fprintf(stderr, "cardwatch: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct list found = {0};
    size_t dlen = strlen(dir);
    const char *sep = dlen && dir[dlen - 1] == '/' ? "" : "/";
    int rc = 0;
    struct dirent *de;
    for (errno = 0; (de = readdir(dp)) != NULL; errno = 0) {
        if (!is_capture_name(de->d_name))
            continue;
        size_t n = dlen + strlen(de->d_name) + 2;
        char *p = malloc(n);
        if (!p) {
            rc = ENOMEM;
            break;
        }
        snprintf(p, n, "%s%s%s", dir, sep, de->d_name);
        struct stat st;
        /* a subdirectory or a device named x.pcap is not a capture; a dangling link is kept,
         * to be reported when it is opened */
        if (stat(p, &st) == 0 && !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        if (list_push(&found, p) != 0) {
            rc = ENOMEM;
            break;
        }
    }
    if (!rc && errno)
        rc = errno;
    closedir(dp);
    if (!rc && found.n == 0) {
        fprintf(stderr,
                "cardwatch: %s: no capture files (*.pcap, *.pcapng, *.cap) in this directory\n",
                dir);
        return -1;
    }
    if (found.n > 1)
        qsort(found.v, (size_t)found.n, sizeof *found.v, cmp_str);
    for (int i = 0; i < found.n && !rc; i++) {
        if (list_push(out, found.v[i]) != 0)
            rc = ENOMEM;
        found.v[i] = NULL;
    }
    cw_run_list_free(found.v, found.n);
    if (rc) {
        fprintf(stderr, "cardwatch: %s: %s\n", dir, strerror(rc));
        return -1;
    }
    return 0;
}

int cw_run_expand(char *const *args, int nargs, char ***files, int *nfiles)
{
    struct list l = {0};
    int bad = 0;
    *files = NULL;
    *nfiles = 0;
    for (int i = 0; i < nargs; i++) {
        const char *a = args[i];
        struct stat st;
        int is_stdin = strcmp(a, "-") == 0;
        if (!is_stdin && stat(a, &st) != 0) {
            fprintf(stderr, "cardwatch: %s: %s\n", a, strerror(errno));
            bad++;
        } else if (is_stdin || !S_ISDIR(st.st_mode)) {
            if (list_push(&l, strdup(a)) != 0) {
                fprintf(stderr, "cardwatch: %s: %s\n", a, strerror(ENOMEM));
                bad++;
            }
        } else if (expand_dir(a, &l) != 0) {
            bad++;
        }
    }
    if (bad) {
        cw_run_list_free(l.v, l.n);
        return bad;
    }
    *files = l.v;
    *nfiles = l.n;
    return 0;
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

/* ---- the merge ---- */

struct src {
    struct cw_capture *c;  /* NULL until the merge reaches the file's first packet */
    struct cw_raw_pkt pkt; /* its next packet, while c is open */
    uint64_t ts;           /* pkt.ts_us, or before opening the pre-scanned first timestamp */
    uint64_t size;         /* file size, 0 when unknown (standard input) */
    uint32_t idx;
};

struct run {
    char *const *files;
    struct src **heap; /* files with packets still to come, earliest (ts, idx) first */
    int n;
    struct cw_run_result *res;
    /* progress */
    int tty, drawn, total_known;
    int quiet_errors; /* CW_RUN_QUIET */
    double t0, last;
    uint64_t pkts, done, total; /* done: bytes of the files finished */
};

static int earlier(const struct src *a, const struct src *b)
{
    return a->ts < b->ts || (a->ts == b->ts && a->idx < b->idx);
}

static void sift_down(struct src **h, int n, int i)
{
    struct src *s = h[i];
    for (;;) {
        int k = 2 * i + 1;
        if (k >= n)
            break;
        if (k + 1 < n && earlier(h[k + 1], h[k]))
            k++;
        if (!earlier(h[k], s))
            break;
        h[i] = h[k];
        i = k;
    }
    h[i] = s;
}

static void pop(struct run *r)
{
    if (--r->n > 0) {
        r->heap[0] = r->heap[r->n];
        sift_down(r->heap, r->n, 0);
    }
}

static void erase_bar(struct run *r)
{
    if (r->drawn) {
        fputs("\r\033[K", stderr);
        r->drawn = 0;
    }
}

static void report(struct run *r, const char *fmt, ...)
{
    va_list ap;
    if (r->quiet_errors)
        return;
    erase_bar(r);
    fputs("cardwatch: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int open_src(struct run *r, struct src *s)
{
    char err[1024];
    if (cw_capture_open_file(r->files[s->idx], &s->c, err, sizeof err) != 0) {
        report(r, "%s", err);
        r->res->files_unreadable++;
        s->c = NULL;
        return -1;
    }
    return 0;
}

/* The end of a file: @p rc 0 (all read) or negative (damaged). */
static void finish_src(struct run *r, struct src *s, int rc)
{
    if (rc < 0) {
        report(r, "%s (the packets before it were read)", cw_capture_error(s->c));
        r->res->files_damaged++;
    } else {
        r->res->files_ok++;
    }
    r->done += s->size;
    cw_capture_free(s->c);
    s->c = NULL;
}

/* ---- progress ---- */

struct line {
    char b[192];
    size_t n;
};

static void add(struct line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->b + l->n, sizeof l->b - l->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        l->n = (size_t)k < sizeof l->b - l->n ? l->n + (size_t)k : sizeof l->b - 1;
}

static void draw_bar(struct run *r, double now)
{
    uint64_t done = r->done;
    for (int i = 0; i < r->n; i++) {
        uint64_t d, t;
        if (r->heap[i]->c && r->heap[i]->size) {
            cw_capture_progress(r->heap[i]->c, &d, &t);
            done += d;
        }
    }
    double el = now - r->t0;
    double rate = el > 0 ? (double)r->pkts / el : 0;
    struct line l = {.n = 0};
    l.b[0] = '\0';
    if (r->total_known && r->total > 0) {
        uint64_t pct = done >= r->total ? 100 : done * 100 / r->total;
        int fill = (int)(pct / 5);
        add(&l, "[%.*s%.*s] %3u%%  %.1f/%.1f MB", fill, "####################", 20 - fill,
            "....................", (unsigned)pct, (double)done / 1e6, (double)r->total / 1e6);
    } else {
        if (done > 0)
            add(&l, "%.1f MB  ", (double)done / 1e6);
        add(&l, "%llu packets", (unsigned long long)r->pkts);
    }
    if (rate >= 1e6)
        add(&l, "  %.1f Mpps", rate / 1e6);
    else if (rate >= 1e3)
        add(&l, "  %.1f kpps", rate / 1e3);
    else
        add(&l, "  %.0f pps", rate);
    if (r->total_known && done > 0 && done < r->total && el > 0) {
        unsigned long eta = (unsigned long)((double)(r->total - done) * el / (double)done + 0.5);
        if (eta >= 3600)
            add(&l, "  ETA %lu:%02lu:%02lu", eta / 3600, eta / 60 % 60, eta % 60);
        else
            add(&l, "  ETA %lu:%02lu", eta / 60, eta % 60);
    }
    fprintf(stderr, "\r%s\033[K", l.b);
    r->drawn = 1;
}

static void tick(struct run *r)
{
    double now = cw_now_seconds();
    if (now - r->last >= 0.5) {
        r->last = now;
        draw_bar(r, now);
    }
}

/* ---- the loop ---- */

void cw_run_files(char *const *files, int nfiles, int flags, cw_run_pkt_fn fn, void *user,
                  struct cw_run_result *res)
{
    struct run r = {.files = files, .res = res, .total_known = 1};
    r.t0 = r.last = cw_now_seconds();
    r.tty = (flags & CW_RUN_PROGRESS) && isatty(STDERR_FILENO);
    r.quiet_errors = (flags & CW_RUN_QUIET) != 0;
    res->files_ok = res->files_damaged = res->files_unreadable = 0;
    res->stopped = 0;
    struct src *srcs = nfiles > 0 ? calloc((size_t)nfiles, sizeof *srcs) : NULL;
    r.heap = nfiles > 0 ? malloc((size_t)nfiles * sizeof *r.heap) : NULL;
    if (nfiles > 0 && (!srcs || !r.heap)) {
        report(&r, "out of memory");
        res->files_unreadable = (uint64_t)nfiles;
        goto out;
    }

    /* Pre-scan: each file's first timestamp; standard input stays open (it cannot be read
     * twice). */
    int stdin_seen = 0;
    for (int i = 0; i < nfiles; i++) {
        struct src *s = &srcs[i];
        s->idx = (uint32_t)i;
        int is_stdin = strcmp(files[i], "-") == 0;
        if (is_stdin && stdin_seen++) {
            report(&r, "-: standard input given more than once");
            res->files_unreadable++;
            continue;
        }
        if (open_src(&r, s) != 0)
            continue;
        uint64_t done;
        cw_capture_progress(s->c, &done, &s->size);
        if (is_stdin)
            r.total_known = 0;
        r.total += s->size;
        int rc = cw_capture_next(s->c, &s->pkt);
        if (rc != 1) {
            finish_src(&r, s, rc);
            continue;
        }
        s->ts = s->pkt.ts_us;
        if (!is_stdin) {
            cw_capture_free(s->c);
            s->c = NULL;
        }
        r.heap[r.n++] = s;
    }
    for (int i = r.n / 2 - 1; i >= 0; i--)
        sift_down(r.heap, r.n, i);

    while (r.n > 0) {
        if (cw_run_stop) {
            res->stopped = 1;
            break;
        }
        struct src *s = r.heap[0];
        if (!s->c) {
            /* the merge has reached this file's first packet */
            if (open_src(&r, s) != 0) {
                pop(&r);
                continue;
            }
            int rc = cw_capture_next(s->c, &s->pkt);
            if (rc != 1) {
                finish_src(&r, s, rc);
                pop(&r);
                continue;
            }
            s->ts = s->pkt.ts_us; /* as pre-scanned, unless the file has changed since */
            sift_down(r.heap, r.n, 0);
            continue;
        }
        fn(user, &s->pkt, s->idx);
        int rc = cw_capture_next(s->c, &s->pkt);
        if (rc == 1) {
            s->ts = s->pkt.ts_us;
            if (r.n > 1)
                sift_down(r.heap, r.n, 0);
        } else {
            finish_src(&r, s, rc);
            pop(&r);
        }
        if ((++r.pkts & 0xff) == 0 && r.tty)
            tick(&r);
    }

out:
    for (int i = 0; i < r.n; i++)
        cw_capture_free(r.heap[i]->c); /* stopped: the files still open */
    erase_bar(&r);
    free(r.heap);
    free(srcs);
    res->seconds = cw_now_seconds() - r.t0;
}

static void dissect_one(void *user, const struct cw_raw_pkt *pkt, uint32_t file_idx)
{
    cw_dissect_packet(user, pkt, pkt->linktype, file_idx);
}

void cw_run_files_dissect(struct cw_dissector *d, char *const *files, int nfiles, int progress,
                          struct cw_run_result *res)
{
    cw_run_files(files, nfiles, progress, dissect_one, d, res);
}
