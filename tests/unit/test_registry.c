#define _GNU_SOURCE
/* test_registry.c - the LMDB registry, for real: import (validation, external sort, append),
 * lookups with the holder's card counts, pseudonyms, updates (also against a reader in
 * another process), map growth and a full map, the all-or-nothing rule, and privacy (no full
 * ID number stored anywhere). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "store/csv.h"
#include "store/registry.h"
#include "testutil.h"
#include "util/error.h"

/* Card 1 and card 4 share an ID (province 33), card 5 holds the same ID in its old 15-digit
 * form; card 3's ID has a wrong check character. */
static const char good_csv[] =
    "msisdn,imsi,id_number,province,status,verified,outlet,registered_at,name\n"
    "8613800000001,460000000000001,330106199003071236,33,active,1,OUT-33-0001,"
    "2024-05-01T10:22:00Z,Nobody\n"
    "+8613800000002,460000000000002,110105198512310029,11,active,0,OUT-11-0002,2023-01-02,x\n"
    "13800000003,460000000000003,440305200002294565,44,suspended,1,OUT-44-0003,,y\n"
    "\"8613800000004\",,330106199003071236,33,active,1,\"OUT,33\",2024-05-01,z\n"
    "8613800000005,460000000000005,330106900307123,33,active,1,OUT-33-0001,2020-02-29,w\n";

static const char ranges_csv[] = "prefix,operator,province\n86138,CMCC,\n8613900,CMCC,33\n";

static const char outlets_csv[] = "outlet,province,kind,name\n"
                                  "OUT-33-0001,33,agent,Agent One\n"
                                  "OUT-11-0002,11,own,Shop Two\n";

struct fixture {
    char *dir;
    char db[4200], reg[4200], ranges[4200], outlets[4200], key1[4200], key2[4200];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp();
    snprintf(f->db, sizeof f->db, "%s/db", f->dir);
    snprintf(f->reg, sizeof f->reg, "%s/registry.csv", f->dir);
    snprintf(f->ranges, sizeof f->ranges, "%s/ranges.csv", f->dir);
    snprintf(f->outlets, sizeof f->outlets, "%s/outlets.csv", f->dir);
    snprintf(f->key1, sizeof f->key1, "%s/k1", f->dir);
    snprintf(f->key2, sizeof f->key2, "%s/k2", f->dir);
    tu_write_file(f->reg, good_csv, strlen(good_csv));
    tu_write_file(f->ranges, ranges_csv, strlen(ranges_csv));
    tu_write_file(f->outlets, outlets_csv, strlen(outlets_csv));
    tu_write_file(f->key1, "0123456789abcdef0123", 20);
    tu_write_file(f->key2, "fedcba98765432100123", 20);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static FILE *devnull(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    return f;
}

/* Import @p files (NULL-terminated) into a fresh or existing store; returns the open store. */
static struct cw_registry *import_opts(const char *db, const char **files,
                                       const struct cw_import_opts *o, int *rc,
                                       struct cw_import_stats *st, char *err, size_t errlen)
{
    struct cw_registry *reg;
    assert_int_equal(cw_registry_open(db, CW_REG_CREATE, &reg, err, errlen), 0);
    int n = 0;
    while (files[n])
        n++;
    *rc = cw_registry_import(reg, files, n, o, st, err, errlen);
    return reg;
}

static struct cw_registry *import(struct fixture *f, const char *a, const char *b, long max_err,
                                  int *rc, struct cw_import_stats *st)
{
    char err[1024];
    const char *files[3] = {a, b, NULL};
    struct cw_import_opts o = {.demo = 1, .max_errors = max_err, .report = devnull()};
    struct cw_registry *reg = import_opts(f->db, files, &o, rc, st, err, sizeof err);
    if (*rc)
        fprintf(stderr, "import: %s\n", err);
    return reg;
}

static void test_import_and_lookup(void **state)
{
    struct fixture *f = *state;
    struct cw_import_stats st;
    int rc;
    struct cw_registry *reg = import(f, f->reg, f->ranges, -1, &rc, &st);
    assert_int_equal(rc, 0);
    assert_int_equal(st.rows, 7);
    assert_int_equal(st.cards, 5);
    assert_int_equal(st.ranges, 2);
    assert_int_equal(st.bad_rows, 0);
    assert_int_equal(st.ids_invalid, 1);
    assert_int_equal(st.ids_converted, 1);
    assert_int_equal(st.warnings, 1);
    assert_int_equal(st.ignored_columns, 1);

    struct cw_reg_reader *rd;
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    struct cw_card c;

    /* national form finds the international record; the holder holds 3 cards in 33 */
    assert_int_equal(cw_reg_lookup(rd, "13800000001", NULL, &c), 1);
    assert_string_equal(c.msisdn, "8613800000001");
    assert_string_equal(c.imsi, "460000000000001");
    assert_true(c.home);
    assert_true(c.registered);
    assert_true(c.verified);
    assert_true(c.has_id);
    assert_true(c.id_valid);
    assert_int_equal(c.status, CW_CARD_ACTIVE);
    assert_string_equal(c.province, "33");
    assert_string_equal(c.id_province, "33");
    assert_string_equal(c.outlet, "OUT-33-0001");
    assert_string_equal(c.id_masked, "330106********1236");
    assert_int_equal(c.registered_at, 1714558920); /* 2024-05-01T10:22:00Z */
    assert_int_equal(c.person_cards_province, 3);
    assert_int_equal(c.person_cards_total, 3);

    /* unverified registration */
    assert_int_equal(cw_reg_lookup(rd, "+8613800000002", NULL, &c), 1);
    assert_true(c.registered);
    assert_false(c.verified);
    assert_string_equal(c.id_province, "11");
    assert_int_equal(c.person_cards_province, 1);

    /* invalid ID number (wrong check character): kept, flagged, never verified */
    assert_int_equal(cw_reg_lookup(rd, "008613800000003", NULL, &c), 1);
    assert_true(c.registered);
    assert_true(c.has_id);
    assert_false(c.id_valid);
    assert_false(c.verified);
    assert_string_equal(c.id_province, "");
    assert_int_equal(c.status, CW_CARD_SUSPENDED);
    assert_int_equal(c.person_cards_total, 1);

    /* quoted fields with a comma */
    assert_int_equal(cw_reg_lookup(rd, "8613800000004", NULL, &c), 1);
    assert_string_equal(c.outlet, "OUT,33");
    assert_int_equal(c.registered_at, 1714521600);

    /* the old 15-digit form is converted: the same person, the same pseudonym */
    struct cw_card c1, c4, c5, c2;
    assert_int_equal(cw_reg_lookup(rd, "8613800000005", NULL, &c5), 1);
    assert_true(c5.id_converted);
    assert_true(c5.verified);
    assert_string_equal(c5.id_masked, "330106********1236");
    assert_int_equal(c5.registered_at, 1582934400); /* 2020-02-29 */
    cw_reg_lookup(rd, "8613800000001", NULL, &c1);
    cw_reg_lookup(rd, "8613800000004", NULL, &c4);
    cw_reg_lookup(rd, "8613800000002", NULL, &c2);
    assert_memory_equal(c1.id_pseudo, c4.id_pseudo, 32);
    assert_memory_equal(c1.id_pseudo, c5.id_pseudo, 32);
    assert_memory_not_equal(c1.id_pseudo, c2.id_pseudo, 32);

    /* all cards of that person, in (province, MSISDN) order */
    struct cw_card cards[8];
    size_t n;
    assert_int_equal(cw_reg_person(rd, c1.id_pseudo, cards, 8, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(cards[0].msisdn, "8613800000001");
    assert_string_equal(cards[1].msisdn, "8613800000004");
    assert_string_equal(cards[2].msisdn, "8613800000005");
    assert_int_equal(cards[2].person_cards_province, 3);
    /* a short buffer still says how many */
    assert_int_equal(cw_reg_person(rd, c1.id_pseudo, cards, 1, &n), 0);
    assert_int_equal(n, 3);
    uint8_t nobody[32] = {0};
    assert_int_equal(cw_reg_person(rd, nobody, cards, 8, &n), 0);
    assert_int_equal(n, 0);

    /* by IMSI alone */
    assert_int_equal(cw_reg_lookup(rd, NULL, "460000000000002", &c), 1);
    assert_string_equal(c.msisdn, "8613800000002");

    /* home number without a record: a black card candidate */
    assert_int_equal(cw_reg_lookup(rd, "8613899999999", NULL, &c), 0);
    assert_true(c.home);
    assert_false(c.registered);
    assert_false(c.verified);
    assert_string_equal(c.msisdn, "8613899999999");

    /* longest prefix gives the range's province */
    assert_int_equal(cw_reg_lookup(rd, "8613900123456", NULL, &c), 0);
    assert_true(c.home);
    assert_string_equal(c.range_province, "33");

    /* other operator and foreign numbers are not home */
    assert_int_equal(cw_reg_lookup(rd, "8613012345678", NULL, &c), 0);
    assert_false(c.home);
    assert_int_equal(cw_reg_lookup(rd, "447700900123", NULL, &c), 0);
    assert_false(c.home);
    /* not a number at all */
    assert_int_equal(cw_reg_lookup(rd, "alice", NULL, &c), 0);
    assert_false(c.home);
    assert_string_equal(c.msisdn, "");

    cw_reg_reader_free(rd);

    struct cw_registry_info in;
    assert_int_equal(cw_registry_info(reg, &in), 0);
    assert_int_equal(in.cards, 5);
    assert_int_equal(in.imsis, 4);
    assert_int_equal(in.persons, 3);
    assert_int_equal(in.ranges, 2);
    assert_string_equal(in.schema, "2");
    assert_int_equal(strlen(in.key_id), 16);
    assert_int_equal(in.nhistory, 1);
    assert_non_null(strstr(in.history[0], "import"));
    assert_non_null(strstr(in.history[0], "registry.csv"));
    assert_true(in.map_used > 0 && in.map_used <= in.map_size);
    cw_registry_free(reg);

    /* no full ID number (either form) and no name anywhere in the store */
    char path[4300];
    snprintf(path, sizeof path, "%s/data.mdb", f->db);
    size_t len;
    char *data = tu_read_file(path, &len);
    assert_non_null(data);
    assert_true(len > 0);
    assert_null(memmem(data, len, "330106199003071236", 18));
    assert_null(memmem(data, len, "330106900307123", 15));
    assert_null(memmem(data, len, "110105198512310029", 18));
    assert_null(memmem(data, len, "Nobody", 6));
    free(data);
}

static void test_bad_rows_and_max_errors(void **state)
{
    struct fixture *f = *state;
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/bad.csv", f->dir);
    const char *csv = "msisdn,imsi,verified,province,registered_at,id_number\n"
                      "8613800000010,460000000000010,1,33,2024-01-01,\n"
                      "86138000000xx,,1,,,\n"                  /* not a number */
                      "8613800000011,12345,1,,,\n"             /* bad IMSI */
                      "8613800000012,,maybe,,,\n"              /* bad verified */
                      "8613800000013,\"46000,1,,,\n"           /* unbalanced quote */
                      "8612000000014,,1,,,\n"                  /* 12x is not mobile */
                      "8613800000015,,1,99,,\n"                /* no such province */
                      "8613800000016,,1,33,2023-02-29,\n"      /* no such date */
                      "8613800000010,460000000000099,1,33,,\n" /* the MSISDN again */
                      "8613800000017,460000000000010,1,33,,\n" /* the IMSI again */
                      "8613800000018,,1,33,,12345\n"           /* an ID, but not a number */
                      "8613800000019,,1,33,,\n";
    tu_write_file(bad, csv, strlen(csv));
    char rep[4300];
    snprintf(rep, sizeof rep, "%s/report.txt", f->dir);
    FILE *report = fopen(rep, "w");
    struct cw_import_stats st;
    int rc;
    char err[1024];
    const char *files[2] = {bad, NULL};
    struct cw_import_opts o = {.demo = 1, .max_errors = -1, .report = report};
    /* goes on past bad rows: each reported with its line and reason */
    struct cw_registry *reg = import_opts(f->db, files, &o, &rc, &st, err, sizeof err);
    fclose(report);
    assert_int_equal(rc, 0);
    assert_int_equal(st.rows, 12);
    assert_int_equal(st.bad_rows, 9);
    assert_int_equal(st.cards, 3); /* 10, 18 (ID kept, flagged) and 19 */
    assert_int_equal(st.ids_invalid, 1);
    cw_registry_free(reg);
    size_t n;
    char *r = tu_read_file(rep, &n);
    static const char *const want[] = {
        "bad.csv:3: msisdn '86138000000xx'",
        "bad.csv:4: imsi '12345'",
        "bad.csv:5: verified 'maybe'",
        "bad.csv:6:",
        "bad.csv:7: msisdn '8612000000014'",
        "bad.csv:8: province '99'",
        "bad.csv:9: registered_at '2023-02-29'",
        "bad.csv:10: msisdn 8613800000010 is given again",
        "bad.csv:11: imsi 460000000000010 is already card 8613800000010's",
        "bad.csv:12: warning: id_number of card 8613800000018"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(r, want[i]))
            fail_msg("report lacks '%s':\n%s", want[i], r);
    }
    free(r);

    /* gives up after 2, and changes nothing */
    tu_rmrf(f->db);
    reg = import(f, f->reg, NULL, -1, &rc, &st);
    assert_int_equal(rc, 0);
    cw_registry_free(reg);
    o.max_errors = 2;
    o.report = devnull();
    reg = import_opts(f->db, files, &o, &rc, &st, err, sizeof err);
    assert_int_equal(rc, CW_EFORMAT);
    assert_non_null(strstr(err, "bad.csv:5"));
    assert_non_null(strstr(err, "unchanged"));
    struct cw_reg_reader *rd;
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    struct cw_card c;
    assert_int_equal(cw_reg_lookup(rd, "8613800000010", NULL, &c), 0); /* rolled back */
    assert_int_equal(cw_reg_lookup(rd, "8613800000001", NULL, &c), 1); /* earlier kept */
    cw_reg_reader_free(rd);
    cw_registry_free(reg);
}

static void test_bad_files(void **state)
{
    struct fixture *f = *state;
    struct cw_registry *reg;
    char err[1024], path[4300];
    assert_int_equal(cw_registry_open(f->db, CW_REG_CREATE, &reg, err, sizeof err), 0);
    struct cw_import_opts o = {.demo = 1, .max_errors = -1, .report = devnull()};
    struct cw_import_stats st;

    snprintf(path, sizeof path, "%s/neither.csv", f->dir);
    tu_write_file(path, "a,b,c\n1,2,3\n", 12);
    const char *files[1] = {path};
    assert_int_equal(cw_registry_import(reg, files, 1, &o, &st, err, sizeof err), CW_EFORMAT);
    assert_non_null(strstr(err, "neither.csv:1"));
    assert_non_null(strstr(err, "msisdn"));

    snprintf(path, sizeof path, "%s/empty.csv", f->dir);
    tu_write_file(path, "", 0);
    assert_int_not_equal(cw_registry_import(reg, files, 1, &o, &st, err, sizeof err), 0);
    assert_non_null(strstr(err, "empty.csv"));

    snprintf(path, sizeof path, "%s/missing.csv", f->dir);
    assert_int_not_equal(cw_registry_import(reg, files, 1, &o, &st, err, sizeof err), 0);
    assert_non_null(strstr(err, "missing.csv"));

    /* a short key file is refused; no key and no demo flag is refused */
    char key[4300];
    snprintf(key, sizeof key, "%s/key", f->dir);
    tu_write_file(key, "short", 5);
    o.key_file = key;
    o.demo = 0;
    files[0] = f->reg;
    assert_int_equal(cw_registry_import(reg, files, 1, &o, &st, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "16"));
    o.key_file = NULL;
    assert_int_equal(cw_registry_import(reg, files, 1, &o, &st, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "--key-file"));
    assert_non_null(strstr(err, "--demo"));
    /* ... but a ranges file alone needs no key */
    files[0] = f->ranges;
    assert_int_equal(cw_registry_import(reg, files, 1, &o, &st, err, sizeof err), 0);
    cw_registry_free(reg);

    /* opening a missing registry read-only says how to make one */
    snprintf(path, sizeof path, "%s/nothing-here", f->dir);
    assert_int_not_equal(cw_registry_open(path, CW_REG_RDONLY, &reg, err, sizeof err), 0);
    assert_non_null(strstr(err, "registry import"));
}

/* The pseudonym of card 1's holder in a store imported with @p key (NULL: demo). */
static void pseudonym_under(struct fixture *f, const char *db, const char *key, uint8_t out[32])
{
    int rc;
    char err[1024];
    struct cw_import_stats st;
    const char *files[2] = {f->reg, NULL};
    struct cw_import_opts o = {
        .key_file = key, .demo = !key, .max_errors = -1, .report = devnull()};
    struct cw_registry *reg = import_opts(db, files, &o, &rc, &st, err, sizeof err);
    assert_int_equal(rc, 0);
    struct cw_reg_reader *rd;
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    struct cw_card c;
    assert_int_equal(cw_reg_lookup(rd, "8613800000001", NULL, &c), 1);
    memcpy(out, c.id_pseudo, 32);
    cw_reg_reader_free(rd);
    cw_registry_free(reg);
}

static void test_pseudonyms(void **state)
{
    struct fixture *f = *state;
    char db2[4300], db3[4300], err[256];
    snprintf(db2, sizeof db2, "%s/db2", f->dir);
    snprintf(db3, sizeof db3, "%s/db3", f->dir);
    uint8_t p1[32], p1again[32], p2[32], q[32];
    pseudonym_under(f, f->db, f->key1, p1);
    pseudonym_under(f, db2, f->key1, p1again);
    pseudonym_under(f, db3, f->key2, p2);
    /* the same ID under one key: the same pseudonym, in any store; another key: another */
    assert_memory_equal(p1, p1again, 32);
    assert_memory_not_equal(p1, p2, 32);
    /* ... and it is HMAC-SHA256 as OpenSSL's one-shot HMAC() computes it, also for a key
     * longer than SHA-256's block (hashed first) */
    uint8_t ref[32];
    unsigned int rl = 32;
    HMAC(EVP_sha256(), "0123456789abcdef0123", 20, (const unsigned char *)"330106199003071236", 18,
         ref, &rl);
    assert_memory_equal(p1, ref, 32);
    char key3[4300], db4[4300], longkey[100];
    snprintf(key3, sizeof key3, "%s/k3", f->dir);
    snprintf(db4, sizeof db4, "%s/db4", f->dir);
    for (size_t i = 0; i < sizeof longkey; i++)
        longkey[i] = (char)('a' + i % 26);
    tu_write_file(key3, longkey, sizeof longkey);
    pseudonym_under(f, db4, key3, q);
    HMAC(EVP_sha256(), longkey, (int)sizeof longkey, (const unsigned char *)"330106199003071236",
         18, ref, &rl);
    assert_memory_equal(q, ref, 32);
    /* what `registry get --id-number` computes, from either form of the number */
    assert_int_equal(cw_registry_pseudonym(f->key1, 0, "330106199003071236", q, err, sizeof err),
                     0);
    assert_memory_equal(p1, q, 32);
    assert_int_equal(cw_registry_pseudonym(f->key1, 0, "330106900307123", q, err, sizeof err), 0);
    assert_memory_equal(p1, q, 32);
    assert_int_equal(cw_registry_pseudonym(f->key2, 0, "330106199003071236", q, err, sizeof err),
                     0);
    assert_memory_equal(p2, q, 32);
    assert_int_equal(cw_registry_pseudonym(f->key1, 0, "33010619900307", q, err, sizeof err),
                     CW_EINVAL);
    assert_int_equal(cw_registry_pseudonym(NULL, 0, "330106199003071236", q, err, sizeof err),
                     CW_EINVAL);
}

static int count_card(void *user, const struct cw_card *c)
{
    (void)c;
    ++*(int *)user;
    return 0;
}

struct persons_seen {
    int persons, cards, max_in_province;
};

static int count_person(void *user, const uint8_t pseudo[32], const struct cw_card *cards, size_t n)
{
    struct persons_seen *p = user;
    (void)pseudo;
    p->persons++;
    p->cards += (int)n;
    for (size_t i = 0; i < n; i++)
        if ((int)cards[i].person_cards_province > p->max_in_province)
            p->max_in_province = (int)cards[i].person_cards_province;
    return 0;
}

static int count_outlet(void *user, const struct cw_outlet *o)
{
    int *n = user;
    if (!strcmp(o->id, "OUT-33-0001")) {
        assert_int_equal(o->kind, CW_OUTLET_AGENT);
        assert_string_equal(o->province, "33");
        assert_string_equal(o->name, "Agent One");
    }
    ++*n;
    return 0;
}

static void test_outlets_and_walks(void **state)
{
    struct fixture *f = *state;
    int rc;
    struct cw_import_stats st;
    struct cw_registry *reg = import(f, f->reg, f->outlets, -1, &rc, &st);
    assert_int_equal(rc, 0);
    assert_int_equal(st.outlets, 2);
    struct cw_reg_reader *rd;
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    struct cw_outlet o;
    assert_int_equal(cw_reg_outlet(rd, "OUT-11-0002", &o), 1);
    assert_int_equal(o.kind, CW_OUTLET_OWN);
    assert_string_equal(o.name, "Shop Two");
    assert_int_equal(cw_reg_outlet(rd, "OUT-99-9999", &o), 0);
    cw_reg_reader_free(rd);
    int cards = 0, outlets = 0;
    struct persons_seen ps = {0, 0, 0};
    assert_int_equal(cw_registry_walk_cards(reg, count_card, &cards), 0);
    assert_int_equal(cards, 5);
    assert_int_equal(cw_registry_walk_persons(reg, count_person, &ps), 0);
    assert_int_equal(ps.persons, 3);
    assert_int_equal(ps.cards, 5);
    assert_int_equal(ps.max_in_province, 3);
    assert_int_equal(cw_registry_walk_outlets(reg, count_outlet, &outlets), 0);
    assert_int_equal(outlets, 2);
    cw_registry_free(reg);

    /* importing only an outlets file replaces the outlets and keeps the cards */
    char path[4300];
    snprintf(path, sizeof path, "%s/outlets2.csv", f->dir);
    const char *o2 = "outlet,province,kind\nOUT-44-0003,44,agent\n";
    tu_write_file(path, o2, strlen(o2));
    reg = import(f, path, NULL, -1, &rc, &st);
    assert_int_equal(rc, 0);
    outlets = cards = 0;
    assert_int_equal(cw_registry_walk_outlets(reg, count_outlet, &outlets), 0);
    assert_int_equal(outlets, 1);
    assert_int_equal(cw_registry_walk_cards(reg, count_card, &cards), 0);
    assert_int_equal(cards, 5);
    cw_registry_free(reg);
}

static struct cw_registry *update(struct fixture *f, const char *csv, const char *key, long max_err,
                                  int *rc, struct cw_import_stats *st, char *err, size_t errlen);

/* The cells table: prefixes of cell identities with their province; the longest prefix wins;
 * bad rows are reported and skipped; a cells file replaces the table and keeps the cards; a
 * delta cannot carry cells. */
static void test_cells(void **state)
{
    struct fixture *f = *state;
    int rc;
    struct cw_import_stats st;
    char path[4300], rep[4300], err[1024];
    snprintf(path, sizeof path, "%s/cells.csv", f->dir);
    snprintf(rep, sizeof rep, "%s/report.txt", f->dir);
    const char *cells = "cell_prefix,province,note\n"
                        "46000-21,33\n"
                        "46000-21f,11\n"                  /* a longer prefix inside 33's */
                        "46000-0B,11\n"                   /* upper case hex is kept in lower case */
                        "46000-2g,44\n"                   /* not hex */
                        "46000-22,\n"                     /* no province */
                        "46000-23,99\n"                   /* no such province */
                        "46000-21,44\n"                   /* given twice: the first is kept */
                        "46000-0123456789abcdef012,44\n"; /* 24 characters: too long */
    tu_write_file(path, cells, strlen(cells));
    FILE *report = fopen(rep, "w");
    assert_non_null(report);
    const char *files[3] = {f->reg, path, NULL};
    struct cw_import_opts o = {.demo = 1, .max_errors = -1, .report = report};
    struct cw_registry *reg = import_opts(f->db, files, &o, &rc, &st, err, sizeof err);
    fclose(report);
    assert_int_equal(rc, 0);
    assert_int_equal(st.cells, 3);
    size_t len = 0;
    char *text = tu_read_file(rep, &len);
    assert_non_null(strstr(text, "cells.csv:5: cell prefix '46000-2g' is not 1-23 characters"));
    assert_non_null(strstr(text, "cells.csv:6: cell prefix '46000-22' has no province"));
    assert_non_null(strstr(text, "cells.csv:7: province '99'"));
    assert_non_null(strstr(text, "cells.csv:8: cell prefix '46000-21' is given twice"));
    assert_non_null(strstr(text, "cells.csv:9: cell prefix '46000-0123456789abcdef012'"));
    assert_non_null(strstr(text, "column 'note' is ignored"));
    free(text);
    struct cw_registry_info info;
    assert_int_equal(cw_registry_info(reg, &info), 0);
    assert_int_equal(info.cells, 3);

    struct cw_reg_reader *rd;
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    char prov[3] = "xx";
    assert_int_equal(cw_reg_cell_province(rd, "46000-2100001", prov), 1);
    assert_string_equal(prov, "33");
    assert_int_equal(cw_reg_cell_province(rd, "46000-21f0001", prov), 1);
    assert_string_equal(prov, "11"); /* the longest prefix */
    assert_int_equal(cw_reg_cell_province(rd, "46000-0b00001", prov), 1);
    assert_string_equal(prov, "11");
    assert_int_equal(cw_reg_cell_province(rd, "46000-2200001", prov), 0);
    assert_string_equal(prov, "");
    assert_int_equal(cw_reg_cell_province(rd, "", prov), 0);
    assert_int_equal(cw_reg_cell_province(rd, "46000-2", prov), 0); /* shorter than any prefix */
    cw_reg_reader_free(rd);
    cw_registry_free(reg);

    /* a cells file alone replaces the table and keeps the cards */
    const char *cells2 = "cell_prefix,province\n46001-,44\n";
    tu_write_file(path, cells2, strlen(cells2));
    reg = import(f, path, NULL, -1, &rc, &st);
    assert_int_equal(rc, 0);
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    assert_int_equal(cw_reg_cell_province(rd, "46000-2100001", prov), 0);
    assert_int_equal(cw_reg_cell_province(rd, "46001-2100001", prov), 1);
    assert_string_equal(prov, "44");
    struct cw_card c;
    assert_int_equal(cw_reg_lookup(rd, "8613800000001", NULL, &c), 1);
    cw_reg_reader_free(rd);
    cw_registry_free(reg);

    /* not as a delta */
    reg = update(f, cells2, NULL, -1, &rc, &st, err, sizeof err);
    assert_int_equal(rc, CW_EINVAL);
    assert_non_null(strstr(err, "a cells file cannot be applied as a delta"));
    cw_registry_free(reg);
}

static struct cw_registry *update(struct fixture *f, const char *csv, const char *key, long max_err,
                                  int *rc, struct cw_import_stats *st, char *err, size_t errlen)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/delta.csv", f->dir);
    tu_write_file(path, csv, strlen(csv));
    struct cw_registry *reg;
    assert_int_equal(cw_registry_open(f->db, 0, &reg, err, errlen), 0);
    const char *files[1] = {path};
    struct cw_import_opts o = {
        .key_file = key, .demo = !key, .max_errors = max_err, .report = devnull()};
    *rc = cw_registry_update(reg, files, 1, &o, st, err, errlen);
    return reg;
}

static void test_update(void **state)
{
    struct fixture *f = *state;
    int rc;
    char err[1024];
    struct cw_import_stats st;
    const char *files[2] = {f->reg, NULL};
    struct cw_import_opts o = {.key_file = f->key1, .max_errors = -1, .report = devnull()};
    cw_registry_free(import_opts(f->db, files, &o, &rc, &st, err, sizeof err));
    assert_int_equal(rc, 0);

    /* upsert a new card of the same holder in another province, move card 4 to province 44,
     * cancel card 5, delete card 2, add a card with no ID */
    const char *delta = "op,msisdn,imsi,id_number,province,status,verified,outlet\n"
                        "upsert,8613800000006,460000000000006,330106199003071236,44,active,1,X\n"
                        ",8613800000004,,330106199003071236,44,active,1,Y\n"
                        "upsert,8613800000005,460000000000005,330106900307123,33,cancelled,1,Z\n"
                        "delete,8613800000002,,,,,,\n"
                        ",8613800000007,,,33,active,0,\n";
    struct cw_registry *reg = update(f, delta, f->key1, -1, &rc, &st, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_int_equal(st.cards, 4);
    assert_int_equal(st.deleted, 1);
    assert_int_equal(st.bad_rows, 0);
    struct cw_reg_reader *rd;
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    struct cw_card c;
    assert_int_equal(cw_reg_lookup(rd, "8613800000001", NULL, &c), 1);
    assert_int_equal(c.person_cards_province, 1); /* 4 moved away, 5 cancelled */
    assert_int_equal(c.person_cards_total, 3);    /* 1, 4, 6 */
    assert_int_equal(cw_reg_lookup(rd, "8613800000006", NULL, &c), 1);
    assert_string_equal(c.outlet, "X");
    assert_int_equal(c.person_cards_province, 2); /* 4 and 6 in 44 */
    assert_int_equal(cw_reg_lookup(rd, "8613800000002", NULL, &c), 0);
    assert_int_equal(cw_reg_lookup(rd, NULL, "460000000000002", &c), 0); /* IMSI gone too */
    assert_int_equal(cw_reg_lookup(rd, "8613800000007", NULL, &c), 1);
    assert_false(c.has_id);
    assert_int_equal(c.person_cards_total, 0);
    cw_reg_reader_free(rd);
    struct cw_registry_info in;
    assert_int_equal(cw_registry_info(reg, &in), 0);
    assert_int_equal(in.cards, 6);
    assert_int_equal(in.persons, 2); /* card 2's holder holds nothing now */
    assert_int_equal(in.nhistory, 2);
    assert_non_null(strstr(in.history[1], "update"));
    cw_registry_free(reg);

    /* a delta with more bad rows than allowed changes nothing */
    const char *bad = "op,msisdn,imsi,status\n"
                      "upsert,8613800000008,,active\n"
                      "delete,8613800000099,,\n"                      /* no such card */
                      "upsert,8613800000009,460000000000001,active\n" /* IMSI of card 1 */
                      "frobnicate,8613800000010,,\n";
    reg = update(f, bad, f->key1, 1, &rc, &st, err, sizeof err);
    assert_int_equal(rc, CW_EFORMAT);
    assert_non_null(strstr(err, "delta.csv:4"));
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    assert_int_equal(cw_reg_lookup(rd, "8613800000008", NULL, &c), 0);
    cw_reg_reader_free(rd);
    cw_registry_free(reg);

    /* another key is refused: its pseudonyms would not match */
    reg = update(f, delta, f->key2, -1, &rc, &st, err, sizeof err);
    assert_int_equal(rc, CW_EINVAL);
    assert_non_null(strstr(err, "not the one"));
    cw_registry_free(reg);

    /* a ranges file is not a delta */
    reg = update(f, ranges_csv, f->key1, -1, &rc, &st, err, sizeof err);
    assert_int_equal(rc, CW_EINVAL);
    assert_non_null(strstr(err, "registry import"));
    cw_registry_free(reg);
}

/* N rows of distinct cards (a big enough file to need a few MiB of map and several sort runs
 * with 1 MiB of sort memory). */
static void write_many(const char *path, int n, int first)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("msisdn,imsi,id_number,province,verified,outlet\n", fp);
    for (int i = first; i < first + n; i++)
        fprintf(fp, "86139%08d,46000%010d,330106199003071236,33,1,OUT-33-%04d\n", i, i, i % 97);
    fclose(fp);
}

static void test_scale_sort_and_map_growth(void **state)
{
    struct fixture *f = *state;
    char big[4300], err[1024];
    snprintf(big, sizeof big, "%s/big.csv", f->dir);
    write_many(big, 30000, 0);
    int rc;
    struct cw_import_stats st;
    const char *files[2] = {big, NULL};
    /* 1 MiB of map to start with and 1 MiB of sort memory: the map grows, the sort spills */
    struct cw_import_opts o = {.demo = 1,
                               .max_errors = 0,
                               .report = devnull(),
                               .sort_mem = 1u << 20,
                               .map_initial = 1u << 20};
    struct cw_registry *reg = import_opts(f->db, files, &o, &rc, &st, err, sizeof err);
    if (rc)
        fail_msg("import: %s", err);
    assert_int_equal(st.cards, 30000);
    assert_true(st.sort_runs > 1);
    assert_true(st.map_size > (1u << 20));
    struct cw_reg_reader *rd;
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    struct cw_card c;
    for (int i = 0; i < 30000; i += 997) {
        char num[32];
        snprintf(num, sizeof num, "86139%08d", i);
        assert_int_equal(cw_reg_lookup(rd, num, NULL, &c), 1);
        assert_int_equal(c.person_cards_province, 30000);
    }
    cw_reg_reader_free(rd);
    cw_registry_free(reg);

    /* a map that may not grow enough: a clear error, and the store as it was */
    char db2[4300];
    snprintf(db2, sizeof db2, "%s/db2", f->dir);
    files[0] = f->reg;
    o.map_initial = 0;
    o.map_max = 3u << 20;
    reg = import_opts(db2, files, &o, &rc, &st, err, sizeof err);
    assert_int_equal(rc, 0);
    cw_registry_free(reg);
    files[0] = big;
    reg = import_opts(db2, files, &o, &rc, &st, err, sizeof err);
    assert_int_equal(rc, CW_EFULL);
    assert_non_null(strstr(err, "map is full at 3 MiB"));
    assert_non_null(strstr(err, "nothing"));
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    assert_int_equal(cw_reg_lookup(rd, "8613800000001", NULL, &c), 1);
    assert_int_equal(cw_reg_lookup(rd, "8613900000000", NULL, &c), 0);
    cw_reg_reader_free(rd);
    cw_registry_free(reg);
}

/* The update's progress hook runs inside its write transaction: tell the reader, and wait. */
struct handshake {
    int to_reader, from_reader, done;
};

static void mid_update(void *user, const char *phase, uint64_t done, uint64_t total)
{
    struct handshake *h = user;
    (void)done;
    (void)total;
    if (h->done || strcmp(phase, "read"))
        return;
    h->done = 1;
    char b = 'm';
    if (write(h->to_reader, &b, 1) != 1 || read(h->from_reader, &b, 1) != 1)
        _exit(3);
}

static void test_update_while_reading_in_another_process(void **state)
{
    struct fixture *f = *state;
    int rc;
    char err[1024];
    struct cw_import_stats st;
    const char *files[2] = {f->reg, NULL};
    struct cw_import_opts o = {.demo = 1, .max_errors = -1, .report = devnull()};
    cw_registry_free(import_opts(f->db, files, &o, &rc, &st, err, sizeof err));
    assert_int_equal(rc, 0);
    /* a delta big enough (70,000 rows) that the hook runs mid-transaction, adding card
     * 8613800000099 first */
    char delta[4300];
    snprintf(delta, sizeof delta, "%s/delta.csv", f->dir);
    FILE *fp = fopen(delta, "w");
    fputs("msisdn,province,verified\n8613800000099,33,1\n", fp);
    for (int i = 0; i < 70000; i++)
        fprintf(fp, "86137%08d,33,1\n", i);
    fclose(fp);

    int up[2], down[2];
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the writer: its own process and its own environment */
        close(up[0]);
        close(down[1]);
        struct handshake h = {up[1], down[0], 0};
        struct cw_registry *reg;
        if (cw_registry_open(f->db, 0, &reg, err, sizeof err))
            _exit(2);
        const char *df[1] = {delta};
        struct cw_import_opts uo = {.demo = 1,
                                    .max_errors = 0,
                                    .report = devnull(),
                                    .progress = mid_update,
                                    .progress_user = &h};
        int r = cw_registry_update(reg, df, 1, &uo, &st, err, sizeof err);
        cw_registry_free(reg);
        _exit(r == 0 && h.done ? 0 : 1);
    }
    close(up[1]);
    close(down[0]);
    /* the reader, opened while nothing is being written */
    struct cw_registry *reg;
    assert_int_equal(cw_registry_open(f->db, CW_REG_RDONLY, &reg, err, sizeof err), 0);
    struct cw_reg_reader *rd;
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    char b;
    assert_int_equal(read(up[0], &b, 1), 1); /* the writer's transaction is open now */
    struct cw_card c;
    /* not blocked, and sees the snapshot from before the update, also after a renewal */
    assert_int_equal(cw_reg_lookup(rd, "8613800000001", NULL, &c), 1);
    assert_int_equal(cw_reg_lookup(rd, "8613800000099", NULL, &c), 0);
    assert_int_equal(cw_reg_reader_poll(rd), 0);
    assert_int_equal(cw_reg_reader_refresh(rd), 0);
    assert_int_equal(cw_reg_lookup(rd, "8613800000099", NULL, &c), 0);
    b = 'g';
    assert_int_equal(write(down[1], &b, 1), 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* committed: the same reader sees it after a poll, as analyze does every 64 events */
    assert_int_equal(cw_reg_lookup(rd, "8613800000099", NULL, &c), 0);
    assert_int_equal(cw_reg_reader_poll(rd), 1);
    assert_int_equal(cw_reg_lookup(rd, "8613800000099", NULL, &c), 1);
    assert_int_equal(cw_reg_lookup(rd, "8613700069999", NULL, &c), 1);
    assert_int_equal(cw_reg_reader_poll(rd), 0);
    cw_reg_reader_free(rd);
    cw_registry_free(reg);
    close(up[0]);
    close(down[1]);
}

static void test_msisdn_normalize(void **state)
{
    (void)state;
    char out[CW_NUM_MAX];
    assert_int_equal(cw_msisdn_normalize("+8613800000000", "86", out), 0);
    assert_string_equal(out, "8613800000000");
    assert_int_equal(cw_msisdn_normalize("008613800000000", "86", out), 0);
    assert_string_equal(out, "8613800000000");
    assert_int_equal(cw_msisdn_normalize("13800000000", "86", out), 0);
    assert_string_equal(out, "8613800000000");
    assert_int_equal(cw_msisdn_normalize("447700900123", "86", out), 0);
    assert_string_equal(out, "447700900123");
    assert_int_equal(cw_msisdn_normalize("", "86", out), -1);
    assert_int_equal(cw_msisdn_normalize("+", "86", out), -1);
    assert_int_equal(cw_msisdn_normalize("12a4", "86", out), -1);
    assert_int_equal(cw_msisdn_normalize("1234567890123456789012345678901", "86", out), -1);
}

static void test_csv_split(void **state)
{
    (void)state;
    struct cw_csv_row r;
    int col;
    char l1[] = "a,\"b,c\",\"d\"\"e\",,f\r\n";
    assert_int_equal(cw_csv_split(l1, &r, &col), 0);
    assert_int_equal(r.nfields, 5);
    assert_string_equal(r.field[0], "a");
    assert_string_equal(r.field[1], "b,c");
    assert_string_equal(r.field[2], "d\"e");
    assert_string_equal(r.field[3], "");
    assert_string_equal(r.field[4], "f");
    char l2[] = "a,\"open";
    assert_int_equal(cw_csv_split(l2, &r, &col), -1);
    assert_int_equal(col, 3);
    char l3[] = "a,b\"c";
    assert_int_equal(cw_csv_split(l3, &r, &col), -1);
    assert_int_equal(col, 4);
    char l4[] = "\"x\"y";
    assert_int_equal(cw_csv_split(l4, &r, &col), -1);
    char l5[] = "";
    assert_int_equal(cw_csv_split(l5, &r, &col), 0);
    assert_int_equal(r.nfields, 1);
    assert_string_equal(r.field[0], "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_import_and_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_rows_and_max_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pseudonyms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outlets_and_walks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cells, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scale_sort_and_map_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_while_reading_in_another_process, setup,
                                        teardown),
        cmocka_unit_test(test_msisdn_normalize),
        cmocka_unit_test(test_csv_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
