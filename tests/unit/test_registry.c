#define _GNU_SOURCE
/* test_registry.c - the LMDB registry, for real: import, lookups, ranges,
 * validation, the all-or-nothing import, and the privacy rule (no full ID
 * number stored anywhere). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/csv.h"
#include "store/registry.h"
#include "testutil.h"

static const char good_csv[] =
    "msisdn,imsi,id_number,province,status,verified,outlet,registered_at,name\n"
    "8613800000001,460000000000001,330106199003071236,33,active,1,OUT-33-0001,"
    "2024-05-01T10:22:00Z,Nobody\n"
    "+8613800000002,460000000000002,110105198512310029,11,active,0,OUT-11-0002,"
    "2023-01-02,x\n"
    "13800000003,460000000000003,440305200002294565,44,suspended,1,OUT-44-0003,"
    ",y\n"
    "\"8613800000004\",,330106199003071236,33,active,1,\"OUT,33\",2024-05-01,"
    "z\n";

static const char ranges_csv[] = "prefix,operator,province\n86138,CMCC,\n8613900,CMCC,33\n";

struct fixture {
    char *dir;
    char db[4200], reg[4200], ranges[4200];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp();
    snprintf(f->db, sizeof f->db, "%s/db", f->dir);
    snprintf(f->reg, sizeof f->reg, "%s/registry.csv", f->dir);
    snprintf(f->ranges, sizeof f->ranges, "%s/ranges.csv", f->dir);
    tu_write_file(f->reg, good_csv, strlen(good_csv));
    tu_write_file(f->ranges, ranges_csv, strlen(ranges_csv));
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

static struct cw_registry *import(struct fixture *f, const char *a, const char *b, long max_err,
                                  int *rc, struct cw_import_stats *st)
{
    struct cw_registry *reg;
    char err[1024];
    assert_int_equal(cw_registry_open(f->db, CW_REG_CREATE, &reg, err, sizeof err), 0);
    const char *files[2] = {a, b};
    struct cw_import_opts o = {.demo = 1, .max_errors = max_err, .cc = "86"};
    *rc = cw_registry_import(reg, files, b ? 2 : 1, &o, st, err, sizeof err);
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
    assert_int_equal(st.cards, 4);
    assert_int_equal(st.ranges, 2);
    assert_int_equal(st.bad_rows, 0);

    struct cw_reg_reader *rd;
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    struct cw_card c;

    /* national form finds the international record */
    assert_int_equal(cw_reg_lookup(rd, "13800000001", NULL, &c), 1);
    assert_string_equal(c.msisdn, "8613800000001");
    assert_string_equal(c.imsi, "460000000000001");
    assert_true(c.home);
    assert_true(c.registered);
    assert_true(c.verified);
    assert_int_equal(c.status, CW_CARD_ACTIVE);
    assert_string_equal(c.province, "33");
    assert_string_equal(c.outlet, "OUT-33-0001");
    assert_string_equal(c.id_masked, "330106********1236");
    assert_int_equal(c.registered_at, 1714558920); /* 2024-05-01T10:22:00Z */

    /* unverified registration */
    assert_int_equal(cw_reg_lookup(rd, "+8613800000002", NULL, &c), 1);
    assert_true(c.registered);
    assert_false(c.verified);

    /* invalid ID number (wrong check digit): kept, but not verified */
    assert_int_equal(cw_reg_lookup(rd, "008613800000003", NULL, &c), 1);
    assert_true(c.registered);
    assert_false(c.verified);
    assert_int_equal(c.status, CW_CARD_SUSPENDED);

    /* quoted fields with a comma */
    assert_int_equal(cw_reg_lookup(rd, "8613800000004", NULL, &c), 1);
    assert_string_equal(c.outlet, "OUT,33");
    assert_int_equal(c.registered_at, 1714521600);

    /* the same ID gives the same pseudonym, another ID another */
    struct cw_card c1, c4, c2;
    cw_reg_lookup(rd, "8613800000001", NULL, &c1);
    cw_reg_lookup(rd, "8613800000004", NULL, &c4);
    cw_reg_lookup(rd, "8613800000002", NULL, &c2);
    assert_memory_equal(c1.id_pseudo, c4.id_pseudo, 32);
    assert_memory_not_equal(c1.id_pseudo, c2.id_pseudo, 32);

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
    cw_registry_free(reg);

    /* no full ID number anywhere in the store */
    char path[4300];
    snprintf(path, sizeof path, "%s/data.mdb", f->db);
    size_t n;
    char *data = tu_read_file(path, &n);
    assert_non_null(data);
    assert_true(n > 0);
    assert_null(memmem(data, n, "330106199003071236", 18));
    assert_null(memmem(data, n, "110105198512310029", 18));
    assert_null(memmem(data, n, "Nobody", 6));
    free(data);
}

static void test_bad_rows_and_max_errors(void **state)
{
    struct fixture *f = *state;
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/bad.csv", f->dir);
    const char *csv = "msisdn,imsi,verified\n"
                      "8613800000010,460000000000010,1\n"
                      "86138000000xx,,1\n"         /* not a number */
                      "8613800000011,12345,1\n"    /* bad IMSI */
                      "8613800000012,,maybe\n"     /* bad verified */
                      "8613800000013,\"46000,1\n"; /* unbalanced quote */
    tu_write_file(bad, csv, strlen(csv));
    struct cw_import_stats st;
    int rc;
    /* goes on past bad rows */
    struct cw_registry *reg = import(f, bad, NULL, -1, &rc, &st);
    assert_int_equal(rc, 0);
    assert_int_equal(st.cards, 1);
    assert_int_equal(st.bad_rows, 4);
    cw_registry_free(reg);

    /* gives up after 2, and changes nothing */
    tu_rmrf(f->db);
    reg = import(f, f->reg, NULL, -1, &rc, &st);
    assert_int_equal(rc, 0);
    cw_registry_free(reg);
    reg = import(f, bad, NULL, 2, &rc, &st);
    assert_int_not_equal(rc, 0);
    struct cw_reg_reader *rd;
    assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
    struct cw_card c;
    assert_int_equal(cw_reg_lookup(rd, "8613800000010", NULL, &c), 0); /* rolled back */
    assert_int_equal(cw_reg_lookup(rd, "8613800000001", NULL, &c), 1); /* earlier import kept */
    cw_reg_reader_free(rd);
    cw_registry_free(reg);
}

static void test_bad_files(void **state)
{
    struct fixture *f = *state;
    struct cw_registry *reg;
    char err[1024], path[4300];
    assert_int_equal(cw_registry_open(f->db, CW_REG_CREATE, &reg, err, sizeof err), 0);
    struct cw_import_opts o = {.demo = 1, .max_errors = -1, .cc = "86"};
    struct cw_import_stats st;

    snprintf(path, sizeof path, "%s/neither.csv", f->dir);
    tu_write_file(path, "a,b,c\n1,2,3\n", 12);
    const char *files[1] = {path};
    assert_int_equal(cw_registry_import(reg, files, 1, &o, &st, err, sizeof err), -4);
    assert_non_null(strstr(err, "neither.csv:1"));
    assert_non_null(strstr(err, "msisdn"));

    snprintf(path, sizeof path, "%s/empty.csv", f->dir);
    tu_write_file(path, "", 0);
    assert_int_not_equal(cw_registry_import(reg, files, 1, &o, &st, err, sizeof err), 0);
    assert_non_null(strstr(err, "empty.csv"));

    snprintf(path, sizeof path, "%s/missing.csv", f->dir);
    assert_int_not_equal(cw_registry_import(reg, files, 1, &o, &st, err, sizeof err), 0);
    assert_non_null(strstr(err, "missing.csv"));

    /* a short key file is refused */
    char key[4300];
    snprintf(key, sizeof key, "%s/key", f->dir);
    tu_write_file(key, "short", 5);
    o.key_file = key;
    files[0] = f->reg;
    assert_int_not_equal(cw_registry_import(reg, files, 1, &o, &st, err, sizeof err), 0);
    assert_non_null(strstr(err, "16"));
    cw_registry_free(reg);

    /* opening a missing registry read-only says how to make one */
    snprintf(path, sizeof path, "%s/nothing-here", f->dir);
    assert_int_not_equal(cw_registry_open(path, CW_REG_RDONLY, &reg, err, sizeof err), 0);
    assert_non_null(strstr(err, "registry import"));
}

static void test_key_changes_pseudonym(void **state)
{
    struct fixture *f = *state;
    char key1[4300], key2[4300], db2[4300];
    snprintf(key1, sizeof key1, "%s/k1", f->dir);
    snprintf(key2, sizeof key2, "%s/k2", f->dir);
    snprintf(db2, sizeof db2, "%s/db2", f->dir);
    tu_write_file(key1, "0123456789abcdef0123", 20);
    tu_write_file(key2, "fedcba98765432100123", 20);
    uint8_t p[2][32];
    const char *dbs[2] = {f->db, db2};
    const char *keys[2] = {key1, key2};
    for (int i = 0; i < 2; i++) {
        struct cw_registry *reg;
        char err[1024];
        assert_int_equal(cw_registry_open(dbs[i], CW_REG_CREATE, &reg, err, sizeof err), 0);
        struct cw_import_opts o = {
            .key_file = keys[i], .demo = !keys[i], .max_errors = -1, .cc = "86"};
        struct cw_import_stats st;
        const char *files[1] = {f->reg};
        assert_int_equal(cw_registry_import(reg, files, 1, &o, &st, err, sizeof err), 0);
        struct cw_reg_reader *rd;
        assert_int_equal(cw_reg_reader_new(reg, &rd), 0);
        struct cw_card c;
        assert_int_equal(cw_reg_lookup(rd, "8613800000001", NULL, &c), 1);
        memcpy(p[i], c.id_pseudo, 32);
        cw_reg_reader_free(rd);
        cw_registry_free(reg);
    }
    assert_memory_not_equal(p[0], p[1], 32);
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
        cmocka_unit_test_setup_teardown(test_key_changes_pseudonym, setup, teardown),
        cmocka_unit_test(test_msisdn_normalize),
        cmocka_unit_test(test_csv_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
