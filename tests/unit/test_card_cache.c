/* test_card_cache.c - the registry lookup cache against a real LMDB registry: every answer
 * (result and all bytes of the card) equals cw_reg_lookup's, on a miss and on a hit; hits and
 * misses counted; an update committed by another process is seen after a poll; eviction with a
 * tiny cache; keys sharing a bucket told apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/card_cache.h"
#include "store/registry.h"
#include "testutil.h"
#include "util/error.h"

/* Cards 1, 4 and 5 share an ID (province 33); card 3 is suspended. */
static const char reg_csv[] =
    "msisdn,imsi,id_number,province,status,verified,outlet,registered_at\n"
    "8613800000001,460000000000001,330106199003071236,33,active,1,OUT-33-0001,2024-05-01\n"
    "+8613800000002,460000000000002,110105198512310029,11,active,0,OUT-11-0002,2023-01-02\n"
    "13800000003,460000000000003,440305200002294565,44,suspended,1,OUT-44-0003,\n"
    "8613800000004,,330106199003071236,33,active,1,OUT-33-0001,2024-05-01\n"
    "8613800000005,460000000000005,330106900307123,33,active,1,OUT-33-0001,2020-02-29\n";

static const char ranges_csv[] = "prefix,operator,province\n86138,CMCC,\n8613900,CMCC,33\n";

#define NMANY 1000

struct fixture {
    char *dir;
    char db[4200];
    struct cw_registry *reg;
    struct cw_reg_reader *rd;
};

static FILE *devnull(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    return f;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char reg[4300], ranges[4300], many[4300], err[1024];
    f->dir = tu_mkdtemp();
    snprintf(f->db, sizeof f->db, "%s/db", f->dir);
    snprintf(reg, sizeof reg, "%s/registry.csv", f->dir);
    snprintf(ranges, sizeof ranges, "%s/ranges.csv", f->dir);
    snprintf(many, sizeof many, "%s/many.csv", f->dir);
    tu_write_file(reg, reg_csv, strlen(reg_csv));
    tu_write_file(ranges, ranges_csv, strlen(ranges_csv));
    /* NMANY more cards, 8613900000000.., each with an IMSI; card 2's holder holds most of them,
     * every tenth has no ID */
    FILE *fp = fopen(many, "w");
    assert_non_null(fp);
    fputs("msisdn,imsi,id_number,province,verified,outlet\n", fp);
    for (int i = 0; i < NMANY; i++)
        fprintf(fp, "86139%08d,46001%010d,%s,33,1,OUT-33-%04d\n", i, i,
                i % 10 ? "110105198512310029" : "", i % 97);
    fclose(fp);
    const char *files[3] = {reg, ranges, many};
    struct cw_import_opts o = {.demo = 1, .max_errors = 0, .report = devnull()};
    struct cw_import_stats st;
    assert_int_equal(cw_registry_open(f->db, CW_REG_CREATE, &f->reg, err, sizeof err), 0);
    int rc = cw_registry_import(f->reg, files, 3, &o, &st, err, sizeof err);
    if (rc)
        fail_msg("import: %s", err);
    assert_int_equal(st.cards, 5 + NMANY);
    assert_int_equal(cw_reg_reader_new(f->reg, &f->rd), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    cw_reg_reader_free(f->rd);
    cw_registry_free(f->reg);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* A cached lookup and a direct one give the same result and the same bytes; returns it. */
static int same(struct cw_card_cache *c, struct cw_reg_reader *rd, const char *msisdn,
                const char *imsi, struct cw_card *out)
{
    struct cw_card got, want;
    memset(&got, 0xa5, sizeof got); /* the cache must write every byte, as cw_reg_lookup does */
    memset(&want, 0, sizeof want);
    int rc = cw_card_cache_lookup(c, msisdn, imsi, &got);
    int wrc = cw_reg_lookup(rd, msisdn, imsi, &want);
    if (rc != wrc || memcmp(&got, &want, sizeof got))
        fail_msg("(%s, %s): cache %d '%s', registry %d '%s'", msisdn ? msisdn : "NULL",
                 imsi ? imsi : "NULL", rc, got.msisdn, wrc, want.msisdn);
    if (out)
        *out = got;
    return rc;
}

static void check_stats(struct cw_card_cache *c, uint64_t lookups, uint64_t hits, uint64_t flushes)
{
    struct cw_card_cache_stats st;
    cw_card_cache_stats(c, &st);
    assert_int_equal(st.lookups, lookups);
    assert_int_equal(st.hits, hits);
    assert_int_equal(st.misses, lookups - hits);
    assert_int_equal(st.flushes, flushes);
}

struct probe {
    const char *msisdn, *imsi;
    int rc;
};

static const char long_num[] = "861380000000186138000000018613800000001"; /* > CW_NUM_MAX */

static const struct probe probes[] = {
    {"13800000001", NULL, 1},                    /* national form of a registered card */
    {"8613800000001", NULL, 1},                  /* international: another key, same card */
    {"+8613800000002", NULL, 1},                 /* + form */
    {"008613800000003", NULL, 1},                /* 00 form, suspended */
    {"8613800000004", NULL, 1},                  /* no IMSI on record */
    {NULL, "460000000000002", 1},                /* IMSI only */
    {"", "460000000000005", 1},                  /* IMSI only, empty msisdn */
    {"8613800000001", "460000000000001", 1},     /* both */
    {"8613800000001", "460000000000999", 1},     /* both, the IMSI not the card's */
    {NULL, "460009999999999", 0},                /* unknown IMSI */
    {"8613899999999", NULL, 0},                  /* home number, no record: black card */
    {"8613900123456", NULL, 0},                  /* home, range with a province */
    {"8613012345678", NULL, 0},                  /* another operator */
    {"447700900123", NULL, 0},                   /* foreign */
    {"alice", NULL, 0},                          /* alphanumeric */
    {"alice", "460000000000001", 1},             /* ... with the IMSI of a card */
    {"sip:bob@example.net", "", 0},              /* not a number */
    {NULL, NULL, 0},                             /* nothing */
    {"", "", 0},                                 /* nothing again: the same key as above */
    {long_num, NULL, 0},                         /* too long for a key: uncached */
    {"8613800000001", "4600000000000010000", 1}, /* IMSI too long for a key: uncached */
    {"86139"
     "00000007",
     "46001"
     "0000000007",
     1}, /* one of the many */
};
#define NPROBES (sizeof probes / sizeof probes[0])
#define NUNCACHED 2 /* the two too long */
#define NDUP 1      /* {"", ""} after {NULL, NULL} */

static void test_same_as_registry(void **state)
{
    struct fixture *f = *state;
    struct cw_card_cache *c;
    assert_int_equal(cw_card_cache_new(f->rd, 14, &c), 0);
    check_stats(c, 0, 0, 0);
    struct cw_card card;
    for (size_t i = 0; i < NPROBES; i++) /* misses */
        assert_int_equal(same(c, f->rd, probes[i].msisdn, probes[i].imsi, NULL), probes[i].rc);
    check_stats(c, NPROBES, NDUP, 0);
    for (int round = 0; round < 2; round++) /* hits */
        for (size_t i = 0; i < NPROBES; i++)
            assert_int_equal(same(c, f->rd, probes[i].msisdn, probes[i].imsi, &card), probes[i].rc);
    check_stats(c, 3 * NPROBES, NDUP + 2 * (NPROBES - NUNCACHED), 0);

    /* what a hit gives is what was looked up: a few fields, to be sure the compare compares */
    assert_int_equal(cw_card_cache_lookup(c, "13800000001", NULL, &card), 1);
    assert_string_equal(card.msisdn, "8613800000001");
    assert_string_equal(card.imsi, "460000000000001");
    assert_int_equal(card.person_cards_total, 3);
    assert_int_equal(cw_card_cache_lookup(c, "8613899999999", NULL, &card), 0);
    assert_string_equal(card.msisdn, "8613899999999");
    assert_true(card.home);
    assert_false(card.registered);
    assert_int_equal(cw_card_cache_lookup(c, "8613900123456", NULL, &card), 0);
    assert_string_equal(card.range_province, "33");
    assert_int_equal(cw_card_cache_lookup(c, NULL, "460000000000002", &card), 1);
    assert_string_equal(card.msisdn, "8613800000002");

    /* nothing committed: polls change nothing */
    assert_int_equal(cw_card_cache_poll(c), 0);
    assert_int_equal(cw_card_cache_poll(c), 0);
    assert_int_equal(cw_card_cache_lookup(c, "13800000001", NULL, &card), 1);
    check_stats(c, 3 * NPROBES + 5, NDUP + 2 * (NPROBES - NUNCACHED) + 5, 0);
    cw_card_cache_free(c);
}

static void test_new_args(void **state)
{
    struct fixture *f = *state;
    struct cw_card_cache *c = (struct cw_card_cache *)1;
    assert_int_equal(cw_card_cache_new(f->rd, 1, &c), CW_EINVAL);
    assert_null(c);
    assert_int_equal(cw_card_cache_new(f->rd, 25, &c), CW_EINVAL);
    assert_int_equal(cw_card_cache_new(NULL, 10, &c), CW_EINVAL);
    assert_int_equal(cw_card_cache_new(f->rd, 2, &c), 0);
    cw_card_cache_free(c);
    cw_card_cache_free(NULL);
}

/* Apply @p delta as an update from another process (its own LMDB environment, as
 * `cardwatch registry update` would), while this one holds its reader. */
static void update_elsewhere(struct fixture *f, const char *delta)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/delta.csv", f->dir);
    tu_write_file(path, delta, strlen(delta));
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[1024];
        struct cw_registry *reg;
        struct cw_import_stats st;
        if (cw_registry_open(f->db, 0, &reg, err, sizeof err))
            _exit(2);
        const char *files[1] = {path};
        struct cw_import_opts o = {.demo = 1, .max_errors = 0, .report = devnull()};
        int rc = cw_registry_update(reg, files, 1, &o, &st, err, sizeof err);
        if (rc)
            fprintf(stderr, "update: %s\n", err);
        cw_registry_free(reg);
        _exit(rc ? 1 : 0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_update_seen_after_poll(void **state)
{
    struct fixture *f = *state;
    struct cw_card_cache *c;
    struct cw_card card;
    assert_int_equal(cw_card_cache_new(f->rd, 10, &c), 0);
    /* warm: card 1 (3 cards held), a black card, an unknown IMSI */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(same(c, f->rd, "8613800000001", NULL, &card), 1);
        assert_int_equal(card.status, CW_CARD_ACTIVE);
        assert_int_equal(card.person_cards_total, 3);
        assert_int_equal(same(c, f->rd, "8613899999999", NULL, &card), 0);
        assert_int_equal(same(c, f->rd, NULL, "460000000000777", &card), 0);
    }
    check_stats(c, 6, 3, 0);

    /* suspend card 1, cancel card 4 (card 1's holder counts change with it), register the
     * black card with that IMSI */
    update_elsewhere(f, "op,msisdn,imsi,id_number,province,status,verified,outlet\n"
                        "upsert,8613800000001,460000000000001,330106199003071236,33,suspended,1,"
                        "OUT-33-0001\n"
                        "upsert,8613800000004,,330106199003071236,33,cancelled,1,OUT-33-0001\n"
                        "upsert,8613899999999,460000000000777,,33,active,0,NEW-1\n");

    /* before the poll: the old snapshot, cached or not */
    assert_int_equal(same(c, f->rd, "8613800000001", NULL, &card), 1);
    assert_int_equal(card.status, CW_CARD_ACTIVE);
    assert_int_equal(same(c, f->rd, "8613899999999", NULL, &card), 0);
    check_stats(c, 8, 5, 0);

    assert_int_equal(cw_card_cache_poll(c), 1);
    check_stats(c, 8, 5, 1);
    for (int i = 0; i < 2; i++) { /* a miss each (all forgotten), then hits */
        assert_int_equal(same(c, f->rd, "8613800000001", NULL, &card), 1);
        assert_int_equal(card.status, CW_CARD_SUSPENDED);
        assert_int_equal(card.person_cards_total, 2);
        assert_int_equal(same(c, f->rd, "8613899999999", NULL, &card), 1);
        assert_true(card.registered);
        assert_string_equal(card.outlet, "NEW-1");
        assert_int_equal(same(c, f->rd, NULL, "460000000000777", &card), 1);
        assert_string_equal(card.msisdn, "8613899999999");
    }
    check_stats(c, 14, 8, 1);
    assert_int_equal(cw_card_cache_poll(c), 0);
    check_stats(c, 14, 8, 1);

    /* a second update, a second flush: a cancelled card, and a deleted one is black again */
    update_elsewhere(f, "op,msisdn,imsi,status\n"
                        "upsert,8613800000001,460000000000001,cancelled\n"
                        "delete,8613899999999,,\n");
    assert_int_equal(cw_card_cache_poll(c), 1);
    assert_int_equal(same(c, f->rd, "8613800000001", NULL, &card), 1);
    assert_int_equal(card.status, CW_CARD_CANCELLED);
    assert_int_equal(same(c, f->rd, "8613899999999", NULL, &card), 0);
    assert_int_equal(same(c, f->rd, NULL, "460000000000777", &card), 0);
    assert_int_equal(same(c, f->rd, "8613899999999", NULL, &card), 0);
    check_stats(c, 18, 9, 2);
    cw_card_cache_free(c);
}

/* The key of lookup i of the eviction mix: registered cards by MSISDN, by IMSI, and black
 * numbers in the same ranges. */
static void mix_key(int i, char msisdn[32], char imsi[16])
{
    msisdn[0] = imsi[0] = 0;
    int n = i % NMANY;
    switch (i % 3) {
    case 0: snprintf(msisdn, 32, "86139%08d", n); break;
    case 1: snprintf(imsi, 16, "46001%010d", n); break;
    default: snprintf(msisdn, 32, "86137%08d", n); break;
    }
}

static void test_eviction(void **state)
{
    struct fixture *f = *state;
    struct cw_card_cache *c;
    char msisdn[32], imsi[16];
    assert_int_equal(cw_card_cache_new(f->rd, 4, &c), 0); /* 16 entries */
    int found = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 3 * NMANY; i++) {
            mix_key(i, msisdn, imsi);
            found += same(c, f->rd, msisdn, imsi, NULL);
        }
    assert_int_equal(found, 2 * 2 * NMANY); /* MSISDN and IMSI lookups find; black ones not */
    struct cw_card_cache_stats st;
    cw_card_cache_stats(c, &st);
    assert_int_equal(st.lookups, 6 * NMANY);
    assert_true(st.misses > 6 * NMANY - 32); /* 3000 keys through 16 entries: nearly all miss */

    /* a hot key survives the cold ones: 2 hot keys looked up between every cold one are
     * referenced again before the CLOCK hand can come back to them, whatever the buckets */
    static const char *hot[2] = {"8613800000001", "8613899999999"};
    for (int i = 0; i < 4; i++) /* in, and referenced */
        same(c, f->rd, hot[i / 2], NULL, NULL);
    cw_card_cache_stats(c, &st);
    uint64_t hits0 = st.hits;
    for (int i = 0; i < 3 * NMANY; i++) {
        mix_key(i, msisdn, imsi);
        same(c, f->rd, msisdn, imsi, NULL);
        same(c, f->rd, hot[i % 2], NULL, NULL);
    }
    cw_card_cache_stats(c, &st);
    assert_int_equal(st.hits - hits0, 3 * NMANY); /* every hot lookup a hit */
    cw_card_cache_free(c);
}

/* One bucket (4 ways): every key shares it, among them keys whose strings differ only in
 * where the MSISDN ends and the IMSI begins. */
static void test_same_bucket(void **state)
{
    struct fixture *f = *state;
    struct cw_card_cache *c;
    assert_int_equal(cw_card_cache_new(f->rd, 2, &c), 0);
    static const struct probe keys[] = {
        {"8613800000001", "", 1},
        {"861380000000", "1", 0},
        {"", "8613800000001", 0},
        {"8613800000001", "460000000000001", 1},
        {"86138000000014", "60000000000001", 0},
        {"13800000001", NULL, 1},
        {"8613800000002", NULL, 1},
    };
    size_t n = sizeof keys / sizeof keys[0];
    /* in and out of the 4 ways: pairs, then all, in both orders */
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < n; i++) {
            size_t j = round == 1 ? n - 1 - i : i;
            assert_int_equal(same(c, f->rd, keys[j].msisdn, keys[j].imsi, NULL), keys[j].rc);
            assert_int_equal(same(c, f->rd, keys[j].msisdn, keys[j].imsi, NULL), keys[j].rc);
            assert_int_equal(same(c, f->rd, keys[0].msisdn, keys[0].imsi, NULL), keys[0].rc);
        }
    }
    struct cw_card_cache_stats st;
    cw_card_cache_stats(c, &st);
    assert_true(st.hits >= 3 * n); /* at least each key's immediate second lookup */
    cw_card_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_as_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_seen_after_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_bucket, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
