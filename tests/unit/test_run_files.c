/* test_run_files.c - the offline reading loop: expanding directories, the timestamp merge of
 * several files (ties, timestamps going backwards, rotated files opened lazily), damaged and
 * unreadable files, standard input, stopping through cw_run_stop, the progress bar on a
 * terminal, and the dissector wrapper. */
#define _XOPEN_SOURCE 700 /* posix_openpt */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/dissect.h"
#include "cli/run_files.h"
#include "synth/pcapw.h"
#include "testutil.h"

/* ---- helpers ---- */

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Packet k (1-based) of a file tagged @p tag holds "tag:k" (so the data can be checked). */
static size_t payload(char tag, unsigned k, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%c:%u", tag, k);
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

/* A classic pcap named @p name in @p dir with packets at @p ts (microseconds); returns its
 * path (the caller frees). */
static char *write_pcap(const char *dir, const char *name, char tag, const uint64_t *ts, int n)
{
    char *p = path_in(dir, name);
    struct cw_pcapw *w;
    assert_int_equal(cw_pcapw_open(p, 101, &w), 0);
    for (int i = 0; i < n; i++) {
        char data[32];
        size_t len = payload(tag, (unsigned)i + 1, data, sizeof data);
        assert_int_equal(cw_pcapw_write(w, ts[i], data, len), 0);
    }
    assert_int_equal(cw_pcapw_close(w), 0);
    return p;
}

/* Descriptors open in this process (the DIR's own one cancels out between two counts). */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* stderr into a file for the duration of a call */
struct grab {
    int saved;
    char *path;
};

static void grab_begin(struct grab *g, const char *dir)
{
    g->path = path_in(dir, "stderr.txt");
    fflush(stderr);
    g->saved = dup(STDERR_FILENO);
    assert_true(g->saved >= 0);
    int fd = open(g->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    close(fd);
}

/* Returns what was written (the caller frees). */
static char *grab_end(struct grab *g)
{
    fflush(stderr);
    assert_int_equal(dup2(g->saved, STDERR_FILENO), STDERR_FILENO);
    close(g->saved);
    size_t len;
    char *s = tu_read_file(g->path, &len);
    assert_non_null(s);
    unlink(g->path);
    free(g->path);
    return s;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* What the callback saw. */
struct seen {
    uint32_t file;
    uint64_t frame, ts;
};

struct log {
    struct seen v[64];
    int n;
    const char *tags;        /* tags[file_idx]: the tag that file's packets carry */
    int stop_at;             /* set cw_run_stop at this packet (1-based); 0: never */
    int fd_base, fd_max;     /* descriptors open before the run, most seen during it */
    const char *unlink_path; /* removed at the first packet */
};

static void on_pkt(void *user, const struct cw_raw_pkt *pkt, uint32_t file_idx)
{
    struct log *l = user;
    assert_true(l->n < (int)(sizeof l->v / sizeof l->v[0]));
    l->v[l->n].file = file_idx;
    l->v[l->n].frame = pkt->frame;
    l->v[l->n].ts = pkt->ts_us;
    l->n++;
    char want[32];
    size_t len = payload(l->tags[file_idx], (unsigned)pkt->frame, want, sizeof want);
    assert_int_equal(pkt->caplen, len);
    assert_memory_equal(pkt->data, want, len);
    assert_int_equal(pkt->linktype, 101);
    int fds = count_fds() - l->fd_base;
    if (fds > l->fd_max)
        l->fd_max = fds;
    if (l->unlink_path && l->n == 1)
        assert_int_equal(unlink(l->unlink_path), 0);
    if (l->stop_at && l->n == l->stop_at)
        cw_run_stop = 1;
}

static void check_seen(const struct log *l, const struct seen *want, int n)
{
    for (int i = 0; i < n && i < l->n; i++) {
        if (l->v[i].file != want[i].file || l->v[i].frame != want[i].frame ||
            l->v[i].ts != want[i].ts)
            fail_msg("packet %d: got file %u frame %llu ts %llu, want file %u frame %llu ts %llu",
                     i, l->v[i].file, (unsigned long long)l->v[i].frame,
                     (unsigned long long)l->v[i].ts, want[i].file,
                     (unsigned long long)want[i].frame, (unsigned long long)want[i].ts);
    }
    assert_int_equal(l->n, n);
}

static void run(char **files, int n, struct log *l, struct cw_run_result *res)
{
    memset(res, 0xff, sizeof *res); /* every field must be set by the run */
    l->fd_base = count_fds();
    cw_run_files(files, n, 1, on_pkt, l, res);
    assert_int_equal(count_fds(), l->fd_base); /* every file closed */
}

static void free_paths(char **p, int n)
{
    for (int i = 0; i < n; i++)
        free(p[i]);
}

static void touch(const char *dir, const char *name)
{
    char *p = path_in(dir, name);
    tu_write_file(p, "x", 1);
    free(p);
}

/* ---- expanding the command line ---- */

static void test_expand_dir(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *caps = path_in(dir, "caps");
    assert_int_equal(mkdir(caps, 0700), 0);
    static const uint64_t ts[] = {1};
    const char *names[] = {"b.pcap", "a.PCAP", "d.cap", "c.pcapng", "e.PcapNg"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        free(write_pcap(caps, names[i], 'x', ts, 1));
    touch(caps, "notes.txt");
    touch(caps, "old.pcap.gz");
    touch(caps, ".hidden.pcap");
    touch(caps, "pcap");
    char *sub = path_in(caps, "sub.pcap"); /* a directory: not a capture, not recursed into */
    assert_int_equal(mkdir(sub, 0700), 0);
    free(write_pcap(sub, "z.pcap", 'x', ts, 1));
    char *notes = path_in(caps, "notes.txt");
    char caps_slash[4200];
    snprintf(caps_slash, sizeof caps_slash, "%s/", caps);

    char *args[] = {(char *)"-", caps, notes, caps_slash};
    char **files = NULL;
    int n = -1;
    struct grab g;
    grab_begin(&g, dir);
    int rc = cw_run_expand(args, 4, &files, &n);
    char *err = grab_end(&g);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");
    const char *want[] = {"a.PCAP", "b.pcap", "c.pcapng", "d.cap", "e.PcapNg"};
    assert_int_equal(n, 1 + 5 + 1 + 5);
    assert_non_null(files);
    assert_string_equal(files[0], "-");
    for (int i = 0; i < 5; i++) {
        char *p = path_in(caps, want[i]);
        assert_string_equal(files[1 + i], p);
        assert_string_equal(files[7 + i], p); /* "caps/" gives no double slash */
        free(p);
    }
    assert_string_equal(files[6], notes); /* a file named on the command line is kept */
    assert_int_equal(cw_run_check_files(files + 1, 5), 0);
    cw_run_list_free(files, n);
    cw_run_list_free(NULL, 0);

    free(err);
    free(notes);
    free(sub);
    free(caps);
    tu_rmrf(dir);
    free(dir);
}

static void test_expand_errors(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *empty = path_in(dir, "empty");
    char *good = path_in(dir, "good");
    char *missing = path_in(dir, "missing.pcap");
    assert_int_equal(mkdir(empty, 0700), 0);
    assert_int_equal(mkdir(good, 0700), 0);
    touch(empty, "readme.txt");
    static const uint64_t ts[] = {1};
    free(write_pcap(good, "a.pcap", 'x', ts, 1));

    char *args[] = {good, empty, missing};
    char **files = (char **)args; /* must be reset */
    int n = 7;
    struct grab g;
    grab_begin(&g, dir);
    int rc = cw_run_expand(args, 3, &files, &n);
    char *err = grab_end(&g);
    assert_int_equal(rc, 2);
    assert_null(files);
    assert_int_equal(n, 0);
    char line[4300];
    snprintf(line, sizeof line,
             "cardwatch: %s: no capture files (*.pcap, *.pcapng, *.cap) in this directory\n",
             empty);
    assert_non_null(strstr(err, line));
    snprintf(line, sizeof line, "cardwatch: %s: No such file or directory\n", missing);
    assert_non_null(strstr(err, line));
    assert_int_equal(count_lines(err), 2);
    free(err);

    free(empty);
    free(good);
    free(missing);
    tu_rmrf(dir);
    free(dir);
}

/* ---- the merge ---- */

static void test_merge_order(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    static const uint64_t ta[] = {10, 20, 30, 30};
    static const uint64_t tb[] = {5, 20, 25};
    static const uint64_t tc[] = {20, 30, 40};
    char *files[3] = {write_pcap(dir, "a.pcap", 'a', ta, 4), write_pcap(dir, "b.pcap", 'b', tb, 3),
                      write_pcap(dir, "c.pcap", 'c', tc, 3)};
    struct log l = {.tags = "abc"};
    struct cw_run_result res;
    struct grab g;
    grab_begin(&g, dir);
    run(files, 3, &l, &res);
    char *err = grab_end(&g);
    assert_string_equal(err, ""); /* progress asked, but stderr is no terminal */
    free(err);
    /* ties go to the file earlier in the list */
    static const struct seen want[] = {
        {1, 1, 5},  {0, 1, 10}, {0, 2, 20}, {1, 2, 20}, {2, 1, 20},
        {1, 3, 25}, {0, 3, 30}, {0, 4, 30}, {2, 2, 30}, {2, 3, 40},
    };
    check_seen(&l, want, 10);
    assert_int_equal(res.files_ok, 3);
    assert_int_equal(res.files_damaged, 0);
    assert_int_equal(res.files_unreadable, 0);
    assert_int_equal(res.stopped, 0);
    assert_true(res.seconds >= 0 && res.seconds < 60);
    assert_true(l.fd_max <= 3);

    /* the same files in another order: the same packets, ties now to c */
    char *rev[3] = {files[2], files[1], files[0]};
    l = (struct log){.tags = "cba"};
    run(rev, 3, &l, &res);
    static const struct seen want_rev[] = {
        {1, 1, 5},  {2, 1, 10}, {0, 1, 20}, {1, 2, 20}, {2, 2, 20},
        {1, 3, 25}, {0, 2, 30}, {2, 3, 30}, {2, 4, 30}, {0, 3, 40},
    };
    check_seen(&l, want_rev, 10);
    assert_int_equal(res.files_ok, 3);
    free_paths(files, 3);
    tu_rmrf(dir);
    free(dir);
}

static void test_backwards(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    static const uint64_t ta[] = {100, 50, 200};
    static const uint64_t tb[] = {60, 150};
    char *files[2] = {write_pcap(dir, "a.pcap", 'a', ta, 3), write_pcap(dir, "b.pcap", 'b', tb, 2)};
    struct log l = {.tags = "ab"};
    struct cw_run_result res;
    run(files, 2, &l, &res);
    /* a's 50 comes after its 100, as in the file, then the merge goes on from there */
    static const struct seen want[] = {
        {1, 1, 60}, {0, 1, 100}, {0, 2, 50}, {1, 2, 150}, {0, 3, 200},
    };
    check_seen(&l, want, 5);
    assert_int_equal(res.files_ok, 2);

    /* one file alone: its order exactly */
    l = (struct log){.tags = "a"};
    run(files, 1, &l, &res);
    static const struct seen alone[] = {{0, 1, 100}, {0, 2, 50}, {0, 3, 200}};
    check_seen(&l, alone, 3);
    free_paths(files, 2);
    tu_rmrf(dir);
    free(dir);
}

static void test_rotated_lazy(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    /* tcpdump -G: r0 .. r4, one after the other, named on the command line out of order */
    char *r[5];
    for (int i = 0; i < 5; i++) {
        uint64_t ts[3] = {1000u * (unsigned)i + 1, 1000u * (unsigned)i + 2,
                          1000u * (unsigned)i + 999};
        char name[16];
        snprintf(name, sizeof name, "r%d.pcap", i);
        r[i] = write_pcap(dir, name, (char)('0' + i), ts, 3);
    }
    char *files[5] = {r[3], r[1], r[4], r[0], r[2]};
    struct log l = {.tags = "31402"};
    struct cw_run_result res;
    run(files, 5, &l, &res);
    struct seen want[15];
    static const uint32_t pos[5] = {3, 1, 4, 0, 2}; /* r[i] is files[pos[i]] */
    for (int i = 0; i < 15; i++) {
        uint64_t base = 1000u * (unsigned)(i / 3);
        want[i] = (struct seen){pos[i / 3], (uint64_t)(i % 3) + 1,
                                base + (i % 3 == 2 ? 999 : (uint64_t)(i % 3) + 1)};
    }
    check_seen(&l, want, 15);
    assert_int_equal(res.files_ok, 5);
    assert_int_equal(l.fd_max, 1); /* one file open at a time */

    /* r4 is opened only when the merge reaches it: removed at the first packet, it is not
     * read (had it been open since the pre-scan, it would be) */
    l = (struct log){.tags = "31402", .unlink_path = r[4]};
    struct grab g;
    grab_begin(&g, dir);
    run(files, 5, &l, &res);
    char *err = grab_end(&g);
    check_seen(&l, want, 12);
    assert_int_equal(res.files_ok, 4);
    assert_int_equal(res.files_unreadable, 1);
    char line[4300];
    snprintf(line, sizeof line, "cardwatch: %s: No such file or directory\n", r[4]);
    assert_string_equal(err, line);
    free(err);

    /* rotated with an overlap (tcpdump -C cuts by size): two open at the boundary */
    static const uint64_t o0[] = {10, 20, 30}, o1[] = {25, 35, 45}, o2[] = {40, 50, 60};
    char *ov[3] = {write_pcap(dir, "o0.pcap", 'x', o0, 3), write_pcap(dir, "o1.pcap", 'y', o1, 3),
                   write_pcap(dir, "o2.pcap", 'z', o2, 3)};
    l = (struct log){.tags = "xyz"};
    run(ov, 3, &l, &res);
    static const struct seen want_ov[] = {
        {0, 1, 10}, {0, 2, 20}, {1, 1, 25}, {0, 3, 30}, {1, 2, 35},
        {2, 1, 40}, {1, 3, 45}, {2, 2, 50}, {2, 3, 60},
    };
    check_seen(&l, want_ov, 9);
    assert_int_equal(l.fd_max, 2);
    assert_int_equal(res.files_ok, 3);

    free_paths(ov, 3);
    free_paths(r, 4); /* r[4] was removed, its path still allocated */
    free(r[4]);
    tu_rmrf(dir);
    free(dir);
}

/* ---- damaged and unreadable files ---- */

static void cut_file(const char *path, size_t drop)
{
    size_t len;
    char *s = tu_read_file(path, &len);
    assert_non_null(s);
    assert_true(len > drop);
    tu_write_file(path, s, len - drop);
    free(s);
}

static void test_damaged(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    static const uint64_t ta[] = {10, 30, 50};
    static const uint64_t tb[] = {20, 40, 60};
    static const uint64_t tc[] = {25, 45};
    static const uint64_t td[] = {1};
    char *files[4] = {write_pcap(dir, "a.pcap", 'a', ta, 3), write_pcap(dir, "b.pcap", 'b', tb, 3),
                      write_pcap(dir, "c.pcap", 'c', tc, 2), write_pcap(dir, "d.pcap", 'd', td, 1)};
    cut_file(files[1], 2); /* b: its third record cut in its data */
    cut_file(files[3], 2); /* d: its first record cut */
    struct log l = {.tags = "abcd"};
    struct cw_run_result res;
    struct grab g;
    grab_begin(&g, dir);
    run(files, 4, &l, &res);
    char *err = grab_end(&g);
    static const struct seen want[] = {
        {0, 1, 10}, {1, 1, 20}, {2, 1, 25}, {0, 2, 30}, {1, 2, 40}, {2, 2, 45}, {0, 3, 50},
    };
    check_seen(&l, want, 7);
    assert_int_equal(res.files_ok, 2);
    assert_int_equal(res.files_damaged, 2);
    assert_int_equal(res.files_unreadable, 0);
    char line[4300];
    snprintf(line, sizeof line, "cardwatch: %s: after frame 2: ", files[1]);
    assert_non_null(strstr(err, line));
    snprintf(line, sizeof line, "cardwatch: %s: after frame 0: ", files[3]);
    assert_non_null(strstr(err, line));
    assert_non_null(strstr(err, "(the packets before it were read)\n"));
    assert_int_equal(count_lines(err), 2);
    free(err);
    free_paths(files, 4);
    tu_rmrf(dir);
    free(dir);
}

static void test_unreadable(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    static const uint64_t ta[] = {10, 30};
    static const uint64_t tb[] = {20};
    char *a = write_pcap(dir, "a.pcap", 'a', ta, 2);
    char *b = write_pcap(dir, "b.pcap", 'b', tb, 1);
    char *missing = path_in(dir, "missing.pcap");
    char *text = path_in(dir, "text.pcap");
    tu_write_file(text, "msisdn,imsi\n1,2\n3,4\n5,6\n", 24);
    char *files[4] = {a, missing, text, b};

    struct grab g;
    grab_begin(&g, dir);
    assert_int_equal(cw_run_check_files(files, 4), 2);
    char *err = grab_end(&g);
    assert_int_equal(count_lines(err), 2);
    free(err);

    struct log l = {.tags = "a??b"};
    struct cw_run_result res;
    grab_begin(&g, dir);
    run(files, 4, &l, &res);
    err = grab_end(&g);
    static const struct seen want[] = {{0, 1, 10}, {3, 1, 20}, {0, 2, 30}};
    check_seen(&l, want, 3);
    assert_int_equal(res.files_ok, 2);
    assert_int_equal(res.files_damaged, 0);
    assert_int_equal(res.files_unreadable, 2);
    char line[4300];
    snprintf(line, sizeof line, "cardwatch: %s: No such file or directory\n", missing);
    assert_non_null(strstr(err, line));
    snprintf(line, sizeof line, "cardwatch: %s: not a pcap or pcapng capture file", text);
    assert_non_null(strstr(err, line));
    assert_int_equal(count_lines(err), 2);
    free(err);

    /* nothing to read at all */
    l = (struct log){.tags = ""};
    run(NULL, 0, &l, &res);
    assert_int_equal(l.n, 0);
    assert_int_equal(res.files_ok + res.files_damaged + res.files_unreadable, 0);
    assert_int_equal(res.stopped, 0);

    free(a);
    free(b);
    free(missing);
    free(text);
    tu_rmrf(dir);
    free(dir);
}

/* ---- stopping ---- */

static void test_stop(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    static const uint64_t ta[] = {10, 30, 50};
    static const uint64_t tb[] = {20, 40, 60};
    static const uint64_t tc[] = {1000};
    char *files[3] = {write_pcap(dir, "a.pcap", 'a', ta, 3), write_pcap(dir, "b.pcap", 'b', tb, 3),
                      write_pcap(dir, "c.pcap", 'c', tc, 1)};
    struct log l = {.tags = "abc", .stop_at = 3};
    struct cw_run_result res;
    cw_run_stop = 0;
    run(files, 3, &l, &res); /* also checks that the open files were closed */
    static const struct seen want[] = {{0, 1, 10}, {1, 1, 20}, {0, 2, 30}};
    check_seen(&l, want, 3);
    assert_int_equal(res.stopped, 1);
    assert_int_equal(res.files_ok, 0); /* none read to its end */
    assert_int_equal(res.files_damaged, 0);
    assert_int_equal(res.files_unreadable, 0);
    assert_int_equal(cw_run_stop, 1); /* left for the caller */

    /* already set: nothing is read */
    l = (struct log){.tags = "abc"};
    run(files, 3, &l, &res);
    assert_int_equal(l.n, 0);
    assert_int_equal(res.stopped, 1);

    /* at the very last packet: nothing was left, so the run was not cut short */
    cw_run_stop = 0;
    l = (struct log){.tags = "abc", .stop_at = 7};
    run(files, 3, &l, &res);
    assert_int_equal(l.n, 7);
    assert_int_equal(res.files_ok, 3);
    assert_int_equal(res.stopped, 0);
    cw_run_stop = 0;

    free_paths(files, 3);
    tu_rmrf(dir);
    free(dir);
}

/* ---- standard input ---- */

static void test_stdin(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    static const uint64_t ts[] = {15, 35};
    static const uint64_t ta[] = {10, 20, 30, 40};
    char *s = write_pcap(dir, "s.pcap", 's', ts, 2);
    char *a = write_pcap(dir, "a.pcap", 'a', ta, 4);
    int fd = open(s, O_RDONLY);
    assert_true(fd >= 0);
    int saved = dup(STDIN_FILENO);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);

    char *files[3] = {a, (char *)"-", (char *)"-"};
    struct log l = {.tags = "ass"};
    struct cw_run_result res;
    struct grab g;
    grab_begin(&g, dir);
    cw_run_files(files, 3, 0, on_pkt, &l, &res);
    char *err = grab_end(&g);
    static const struct seen want[] = {{0, 1, 10}, {1, 1, 15}, {0, 2, 20},
                                       {0, 3, 30}, {1, 2, 35}, {0, 4, 40}};
    check_seen(&l, want, 6);
    assert_int_equal(res.files_ok, 2);
    assert_int_equal(res.files_unreadable, 1);
    assert_string_equal(err, "cardwatch: -: standard input given more than once\n");
    free(err);

    /* the capture closed stdin's stream; give the process a usable one again */
    if (saved >= 0) {
        dup2(saved, STDIN_FILENO);
        close(saved);
    }
    free(s);
    free(a);
    tu_rmrf(dir);
    free(dir);
}

/* ---- the progress bar ---- */

static void slow_pkt(void *user, const struct cw_raw_pkt *pkt, uint32_t file_idx)
{
    (void)pkt;
    (void)file_idx;
    (*(int *)user)++;
    usleep(2000);
}

/* Runs cw_run_files(progress) in a child whose stderr is a terminal; returns what it wrote
 * there (the caller frees). */
static char *run_on_tty(char **files, int n, int progress)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(m >= 0);
    assert_int_equal(grantpt(m), 0);
    assert_int_equal(unlockpt(m), 0);
    const char *sname = ptsname(m);
    assert_non_null(sname);
    int sfd = open(sname, O_RDWR | O_NOCTTY);
    assert_true(sfd >= 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(m);
        dup2(sfd, STDERR_FILENO);
        close(sfd);
        int count = 0;
        struct cw_run_result res;
        cw_run_files(files, n, progress, slow_pkt, &count, &res);
        _exit(count == 600 && res.files_ok == (uint64_t)n ? 0 : 3);
    }
    close(sfd);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    for (;;) {
        ssize_t k = read(m, out + len, cap - 1 - len);
        if (k <= 0) /* EIO once the child has closed the terminal */
            break;
        len += (size_t)k;
        assert_true(len < cap - 1);
    }
    out[len] = '\0';
    close(m);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    return out;
}

static void test_progress_tty(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    uint64_t ts[300];
    for (int i = 0; i < 300; i++)
        ts[i] = (uint64_t)i * 10;
    char *files[2] = {write_pcap(dir, "a.pcap", 'a', ts, 300),
                      write_pcap(dir, "b.pcap", 'b', ts, 300)};
    struct stat sa, sb;
    assert_int_equal(stat(files[0], &sa), 0);
    assert_int_equal(stat(files[1], &sb), 0);

    /* 600 packets at 2 ms each: drawn at least once (at 0.5 s), erased at the end */
    char *out = run_on_tty(files, 2, 1);
    const char *bar = strstr(out, "\r[");
    assert_non_null(bar);
    char total[32];
    snprintf(total, sizeof total, "/%.1f MB  ", (double)(sa.st_size + sb.st_size) / 1e6);
    assert_non_null(strstr(bar, total));
    char marks[32];
    unsigned pct;
    assert_int_equal(sscanf(bar, "\r[%20[#.]] %u%%", marks, &pct), 2);
    assert_int_equal(strlen(marks), 20);
    assert_true(pct >= 1 && pct <= 99); /* drawn part-way */
    assert_int_equal(strspn(marks, "#"), pct / 5);
    assert_non_null(strstr(bar, " pps  ETA 0:0"));
    size_t len = strlen(out);
    assert_true(len >= 4);
    assert_string_equal(out + len - 4, "\r\033[K"); /* the bar erased */
    free(out);

    /* no progress asked: nothing on the terminal */
    out = run_on_tty(files, 2, 0);
    assert_string_equal(out, "");
    free(out);

    free_paths(files, 2);
    tu_rmrf(dir);
    free(dir);
}

/* ---- the dissector wrapper ---- */

static void no_event(void *user, const struct cw_event *ev)
{
    (void)user;
    (void)ev;
}

static void test_dissect_wrapper(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    static const uint64_t ta[] = {10, 30};
    static const uint64_t tb[] = {20};
    char *files[2] = {write_pcap(dir, "a.pcap", 'a', ta, 2), write_pcap(dir, "b.pcap", 'b', tb, 1)};
    struct cw_event_sink sink = {no_event, NULL, NULL};
    struct cw_dissector *d;
    assert_int_equal(cw_dissect_new(&sink, &d), 0);
    struct cw_run_result res;
    cw_run_files_dissect(d, files, 2, 0, &res);
    cw_dissect_finish(d);
    struct cw_dissect_stats st;
    cw_dissect_stats(d, &st);
    assert_int_equal(st.packets, 3);
    assert_int_equal(res.files_ok, 2);
    cw_dissect_free(d);
    free_paths(files, 2);
    tu_rmrf(dir);
    free(dir);
}

/* a failed test must not leave the flag set for the next */
static int reset_stop(void **state)
{
    (void)state;
    cw_run_stop = 0;
    return 0;
}

#define T(f) cmocka_unit_test_setup(f, reset_stop)

int main(void)
{
    /* test_stdin last: it leaves stdin's stream closed */
    const struct CMUnitTest tests[] = {
        T(test_expand_dir),   T(test_expand_errors),   T(test_merge_order), T(test_backwards),
        T(test_rotated_lazy), T(test_damaged),         T(test_unreadable),  T(test_stop),
        T(test_progress_tty), T(test_dissect_wrapper), T(test_stdin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
