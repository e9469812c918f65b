/* test_extsort.c - the external merge sort: in memory, spilled runs, intermediate merge passes,
 * stability, odd sizes, invalid calls, a write failure (RLIMIT_FSIZE) and no files left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/extsort.h"
#include "testutil.h"
#include "util/error.h"

#define MIB ((size_t)1 << 20)

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* How the records of a case are made: record seq is a pure function of seq. The key is
 * `common` constant bytes, then bytes drawn from an alphabet of `alpha` letters (few letters:
 * many equal keys); when the record is longer than the key, bytes key..key+3 hold seq
 * (little-endian) and the rest is filler derived from seq. */
struct gen {
    size_t rs, ks, common;
    unsigned alpha;
};

static void gen_rec(const struct gen *g, uint32_t seq, uint8_t *rec)
{
    uint64_t h = mix(seq);
    for (size_t i = 0; i < g->ks; i++) {
        if (i < g->common) {
            rec[i] = (uint8_t)('A' + i % 7);
        } else {
            if (i % 8 == 0)
                h = mix(h + i);
            rec[i] = (uint8_t)('0' + (h >> (8 * (i % 8))) % g->alpha);
        }
    }
    if (g->rs >= g->ks + 4) {
        for (int b = 0; b < 4; b++)
            rec[g->ks + b] = (uint8_t)(seq >> (8 * b));
        for (size_t i = g->ks + 4; i < g->rs; i++)
            rec[i] = (uint8_t)mix(seq * 31u + i);
    } else {
        for (size_t i = g->ks; i < g->rs; i++)
            rec[i] = (uint8_t)mix(seq * 31u + i);
    }
}

static uint32_t rec_seq(const struct gen *g, const uint8_t *rec)
{
    return (uint32_t)rec[g->ks] | (uint32_t)rec[g->ks + 1] << 8 | (uint32_t)rec[g->ks + 2] << 16 |
           (uint32_t)rec[g->ks + 3] << 24;
}

/* An order-independent digest of a multiset of records. */
struct digest {
    uint64_t sum, xsum;
};

static void digest_add(struct digest *d, const uint8_t *rec, size_t rs)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < rs; i++)
        h = (h ^ rec[i]) * 1099511628211ull;
    h = mix(h);
    d->sum += h;
    d->xsum ^= mix(h ^ 0x5555);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static int setup(void **state)
{
    *state = tu_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    tu_rmrf(*state);
    free(*state);
    return 0;
}

/* Sort n generated records and check the output: ordered by key, equal keys in insertion
 * order, each input record exactly once and intact. Returns the runs spilled. */
static uint64_t sort_and_check(const char *dir, const struct gen *g, uint32_t n, size_t mem)
{
    struct cw_xsort *s;
    assert_int_equal(cw_xsort_new(g->rs, g->ks, mem, dir, &s), 0);
    uint8_t *rec = malloc(g->rs), *prev = malloc(g->rs);
    assert_non_null(rec);
    assert_non_null(prev);
    struct digest din = {0}, dout = {0};
    for (uint32_t i = 0; i < n; i++) {
        gen_rec(g, i, rec);
        digest_add(&din, rec, g->rs);
        assert_int_equal(cw_xsort_add(s, rec), 0);
    }
    assert_int_equal(cw_xsort_count(s), n);
    uint64_t runs_before = cw_xsort_runs(s);
    assert_int_equal(cw_xsort_finish(s), 0);
    uint64_t runs = cw_xsort_runs(s);
    assert_true(runs >= runs_before);
    /* the spill files are unlinked as soon as they are made */
    assert_int_equal(count_entries(dir), 0);

    int have_seq = g->rs >= g->ks + 4;
    uint8_t *seen = have_seq ? calloc(n ? n : 1, 1) : NULL;
    uint32_t got = 0;
    const void *out;
    int rc;
    while ((rc = cw_xsort_next(s, &out)) == 1) {
        const uint8_t *r = out;
        digest_add(&dout, r, g->rs);
        if (got > 0) {
            int c = memcmp(prev, r, g->ks);
            assert_true(c <= 0);
            if (c == 0 && have_seq)
                assert_true(rec_seq(g, prev) < rec_seq(g, r)); /* stable */
        }
        if (have_seq) {
            uint32_t seq = rec_seq(g, r);
            assert_true(seq < n);
            assert_int_equal(seen[seq], 0);
            seen[seq] = 1;
            gen_rec(g, seq, rec);
            assert_memory_equal(rec, r, g->rs);
        }
        memcpy(prev, r, g->rs);
        got++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(got, n);
    assert_true(din.sum == dout.sum && din.xsum == dout.xsum);
    assert_int_equal(cw_xsort_next(s, &out), 0); /* stays at the end */
    assert_string_equal(cw_xsort_error(s), "");
    cw_xsort_free(s);
    assert_int_equal(count_entries(dir), 0);
    free(seen);
    free(rec);
    free(prev);
    return runs;
}

static void test_in_memory(void **state)
{
    struct gen g = {.rs = 64, .ks = 16, .common = 3, .alpha = 10};
    assert_int_equal(sort_and_check(*state, &g, 5000, MIB), 0);
    /* tiny: fewer records than the radix sort's insertion-sort cutoff */
    assert_int_equal(sort_and_check(*state, &g, 1, MIB), 0);
    assert_int_equal(sort_and_check(*state, &g, 7, MIB), 0);
    /* a bigger budget holds everything */
    assert_int_equal(sort_and_check(*state, &g, 100000, 32 * MIB), 0);
    /* a budget big enough for the huge-page-aligned arena */
    assert_int_equal(sort_and_check(*state, &g, 1000, 65 * MIB), 0);
}

static void test_many_runs(void **state)
{
    /* 40k x 100 bytes in 1 MiB: a handful of runs, merged in one pass */
    struct gen g = {.rs = 100, .ks = 20, .common = 9, .alpha = 4};
    uint64_t runs = sort_and_check(*state, &g, 40000, MIB);
    assert_true(runs > 1);
    assert_true(runs <= 15);
}

static void test_intermediate_merge(void **state)
{
    /* 200k x 100 bytes in 1 MiB: ~27 runs, more than the 15 that 1 MiB can merge at once
     * (slots of 64 KiB), so one intermediate pass first */
    struct gen g = {.rs = 100, .ks = 20, .common = 9, .alpha = 4};
    uint64_t runs = sort_and_check(*state, &g, 200000, MIB);
    assert_true(runs > 15);
}

static void test_two_intermediate_passes(void **state)
{
    /* 4 KiB records in 1 MiB: ~238 a run, so 60000 make ~252 runs, more than 15 * 15: two
     * passes before the final merge. The key is the whole record. */
    struct gen g = {.rs = 4096, .ks = 4096, .common = 5, .alpha = 16};
    uint64_t runs = sort_and_check(*state, &g, 60000, MIB);
    assert_true(runs > 225);
}

static void test_stability(void **state)
{
    /* 2-byte keys over 3 letters: 9 distinct keys, thousands of records each */
    struct gen g = {.rs = 40, .ks = 2, .common = 0, .alpha = 3};
    assert_int_equal(sort_and_check(*state, &g, 10000, MIB), 0);
    assert_true(sort_and_check(*state, &g, 150000, MIB) > 1);
    /* one key for all: long keys that never differ */
    struct gen same = {.rs = 64, .ks = 40, .common = 40, .alpha = 1};
    assert_int_equal(sort_and_check(*state, &same, 10000, MIB), 0);
    assert_true(sort_and_check(*state, &same, 60000, MIB) > 1);
    /* keys that differ only in their last byte, past several 8-byte chunks */
    struct gen last = {.rs = 48, .ks = 27, .common = 26, .alpha = 5};
    assert_int_equal(sort_and_check(*state, &last, 10000, MIB), 0);
}

static void test_zero_records(void **state)
{
    struct cw_xsort *s;
    const void *rec;
    assert_int_equal(cw_xsort_new(16, 8, 0, *state, &s), 0);
    assert_int_equal(cw_xsort_finish(s), 0);
    assert_int_equal(cw_xsort_next(s, &rec), 0);
    assert_int_equal(cw_xsort_count(s), 0);
    assert_int_equal(cw_xsort_runs(s), 0);
    cw_xsort_free(s);
}

static void test_key_is_record(void **state)
{
    struct gen g8 = {.rs = 8, .ks = 8, .common = 0, .alpha = 200};
    assert_int_equal(sort_and_check(*state, &g8, 20000, MIB), 0);
    assert_true(sort_and_check(*state, &g8, 200000, MIB) > 1);
    struct gen g3 = {.rs = 3, .ks = 3, .common = 0, .alpha = 7}; /* shorter than a chunk */
    assert_int_equal(sort_and_check(*state, &g3, 20000, MIB), 0);
    struct gen g1 = {.rs = 1, .ks = 1, .common = 0, .alpha = 250};
    assert_true(sort_and_check(*state, &g1, 100000, MIB) > 1);
    struct gen g13 = {.rs = 13, .ks = 13, .common = 4, .alpha = 3};
    assert_true(sort_and_check(*state, &g13, 300000, MIB) > 1);
}

static void test_invalid_args(void **state)
{
    const char *dir = *state;
    struct cw_xsort *s = (struct cw_xsort *)1;
    assert_int_equal(cw_xsort_new(0, 0, MIB, dir, &s), CW_EINVAL);
    assert_null(s);
    assert_int_equal(cw_xsort_new(0, 1, MIB, dir, &s), CW_EINVAL);
    assert_int_equal(cw_xsort_new(16, 0, MIB, dir, &s), CW_EINVAL);
    assert_int_equal(cw_xsort_new(16, 17, MIB, dir, &s), CW_EINVAL);
    assert_int_equal(cw_xsort_new(4097, 8, MIB, dir, &s), CW_EINVAL);
    assert_int_equal(cw_xsort_new(16, 8, MIB, NULL, &s), CW_EINVAL);
    assert_int_equal(cw_xsort_new(16, 8, MIB, dir, NULL), CW_EINVAL);
    cw_xsort_free(NULL);

    uint8_t rec[16] = {1};
    const void *out;
    assert_int_equal(cw_xsort_new(16, 8, MIB, dir, &s), 0);
    assert_int_equal(cw_xsort_next(s, &out), CW_EINVAL); /* before finish */
    assert_int_equal(cw_xsort_add(s, rec), 0);
    assert_int_equal(cw_xsort_finish(s), 0);
    assert_int_equal(cw_xsort_add(s, rec), CW_EINVAL);
    assert_int_equal(cw_xsort_finish(s), CW_EINVAL);
    assert_int_equal(cw_xsort_next(s, &out), 1);
    assert_memory_equal(out, rec, sizeof rec);
    assert_int_equal(cw_xsort_next(s, &out), 0);
    assert_int_equal(cw_xsort_count(s), 1);
    cw_xsort_free(s);
}

static void test_add_after_finish_spilled(void **state)
{
    struct gen g = {.rs = 100, .ks = 10, .common = 0, .alpha = 10};
    uint8_t rec[100];
    struct cw_xsort *s;
    assert_int_equal(cw_xsort_new(g.rs, g.ks, MIB, *state, &s), 0);
    for (uint32_t i = 0; i < 30000; i++) {
        gen_rec(&g, i, rec);
        assert_int_equal(cw_xsort_add(s, rec), 0);
    }
    assert_true(cw_xsort_runs(s) > 0);
    assert_int_equal(cw_xsort_finish(s), 0);
    assert_int_equal(cw_xsort_add(s, rec), CW_EINVAL);
    cw_xsort_free(s); /* before reading everything */
    assert_int_equal(count_entries(*state), 0);
}

static void test_tmp_dir_missing(void **state)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/missing", (const char *)*state);
    struct gen g = {.rs = 100, .ks = 10, .common = 0, .alpha = 10};
    uint8_t rec[100];
    struct cw_xsort *s;
    assert_int_equal(cw_xsort_new(g.rs, g.ks, MIB, path, &s), 0);
    int rc = 0;
    for (uint32_t i = 0; i < 30000 && rc == 0; i++) {
        gen_rec(&g, i, rec);
        rc = cw_xsort_add(s, rec);
    }
    if (rc == 0)
        rc = cw_xsort_finish(s);
    assert_int_equal(rc, CW_EIO);
    char want[4300];
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal(cw_xsort_error(s), want);
    /* the error sticks */
    assert_int_equal(cw_xsort_add(s, rec), CW_EIO);
    cw_xsort_free(s);
}

/* In a child: files may not grow past 256 KiB, and SIGXFSZ is ignored so write fails with
 * EFBIG. Exit 0 when add or finish gave CW_EIO naming dir and the cause; 1..5 otherwise. */
static int write_failure_child(const char *dir)
{
    struct rlimit rl = {256 << 10, 256 << 10};
    if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &rl) != 0)
        return 1;
    struct gen g = {.rs = 100, .ks = 20, .common = 0, .alpha = 10};
    uint8_t rec[100];
    struct cw_xsort *s;
    if (cw_xsort_new(g.rs, g.ks, MIB, dir, &s) != 0)
        return 2;
    int rc = 0;
    for (uint32_t i = 0; i < 100000 && rc == 0; i++) {
        gen_rec(&g, i, rec);
        rc = cw_xsort_add(s, rec);
    }
    if (rc == 0)
        rc = cw_xsort_finish(s);
    if (rc != CW_EIO)
        return 3;
    char want[4300];
    snprintf(want, sizeof want, "%s: File too large", dir);
    if (strcmp(cw_xsort_error(s), want) != 0) {
        fprintf(stderr, "error message: \"%s\"\n", cw_xsort_error(s));
        return 4;
    }
    cw_xsort_free(s);
    return 0;
}

static void test_write_failure(void **state)
{
    const char *dir = *state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(write_failure_child(dir));
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(count_entries(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_in_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intermediate_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_intermediate_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stability, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_is_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_after_finish_spilled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmp_dir_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
