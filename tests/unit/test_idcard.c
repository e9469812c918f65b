/* test_idcard.c - citizen ID numbers (GB 11643-1999), region and province tables, masking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/idcard.h"
#include "util/error.h"

/* first17 + its computed check character */
static void make_id(const char *first17, char out[19])
{
    memcpy(out, first17, 17);
    out[17] = cw_idcard_check_char(first17);
    out[18] = 0;
}

static int validate(const char *id, struct cw_idcard_info *info)
{
    return cw_idcard_validate(id, strlen(id), info);
}

static void test_check_char_standard_example(void **state)
{
    (void)state;
    /* The worked example of GB 11643-1999. */
    assert_int_equal(cw_idcard_check_char("11010519491231002"), 'X');
    struct cw_idcard_info info;
    assert_int_equal(validate("11010519491231002X", &info), 0);
    assert_string_equal(info.province, "11");
    assert_string_equal(info.province_name, "Beijing");
    assert_string_equal(info.region, "110105");
    assert_string_equal(info.region_name, "Chaoyang");
    assert_int_equal(info.birth_year, 1949);
    assert_int_equal(info.birth_month, 12);
    assert_int_equal(info.birth_day, 31);
    assert_int_equal(info.sex, 'F'); /* sequence 002: even */
    /* lower-case x is accepted */
    assert_int_equal(validate("11010519491231002x", NULL), 0);
}

static void test_check_char_by_hand(void **state)
{
    (void)state;
    /* 3 3 0 1 0 6 1 9 9 0 0 3 0 7 1 2 3 with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2:
     * 21+27+0+5+0+24+2+9+54+0+0+27+0+35+8+8+6 = 226; 226 mod 11 = 6 -> "10X98765432"[6] = '6' */
    assert_int_equal(cw_idcard_check_char("33010619900307123"), '6');
    struct cw_idcard_info info;
    assert_int_equal(validate("330106199003071236", &info), 0);
    assert_string_equal(info.province_name, "Zhejiang");
    assert_string_equal(info.region_name, "Xihu");
    assert_int_equal(info.birth_year, 1990);
    assert_int_equal(info.birth_month, 3);
    assert_int_equal(info.birth_day, 7);
    assert_int_equal(info.sex, 'M');
    /* non-digits and short input give no check character */
    assert_int_equal(cw_idcard_check_char("3301061990030712"), 0);
    assert_int_equal(cw_idcard_check_char("3301061990030712A"), 0);
    assert_int_equal(cw_idcard_check_char(NULL), 0);
}

static void test_every_check_char_value(void **state)
{
    (void)state;
    /* Walk the sequence digits until each of the 11 check characters has shown up, and check
     * that exactly the computed one validates. */
    int seen[11] = {0};
    const char *map = "10X98765432";
    char first17[18], id[19];
    for (int seq = 0; seq < 1000; seq++) {
        snprintf(first17, sizeof first17, "44010619850615%03d", seq);
        make_id(first17, id);
        const char *pos = strchr(map, id[17]);
        assert_non_null(pos);
        seen[pos - map] = 1;
        assert_int_equal(validate(id, NULL), 0);
        char good = id[17];
        for (const char *c = "0123456789X"; *c; c++) {
            if (*c == good)
                continue;
            id[17] = *c;
            assert_int_equal(validate(id, NULL), CW_IDCARD_ECHECK);
        }
    }
    for (int i = 0; i < 11; i++)
        assert_true(seen[i]);
}

static void test_wrong_check_digit(void **state)
{
    (void)state;
    assert_int_equal(validate("330106199003071235", NULL), CW_IDCARD_ECHECK);
    assert_int_equal(validate("110105194912310021", NULL), CW_IDCARD_ECHECK);
    assert_string_equal(cw_idcard_reason(CW_IDCARD_ECHECK), "check digit");
}

static void test_bad_birth_date(void **state)
{
    (void)state;
    char id[19];
    make_id("33010619990230123", id); /* 30 February */
    assert_int_equal(validate(id, NULL), CW_IDCARD_EBIRTH);
    make_id("33010619991301123", id); /* month 13 */
    assert_int_equal(validate(id, NULL), CW_IDCARD_EBIRTH);
    make_id("33010619990100123", id); /* day 0 */
    assert_int_equal(validate(id, NULL), CW_IDCARD_EBIRTH);
    make_id("33010619000229123", id); /* 1900 is not a leap year */
    assert_int_equal(validate(id, NULL), CW_IDCARD_EBIRTH);
    make_id("33010620000229123", id); /* 2000 is */
    assert_int_equal(validate(id, NULL), 0);
    make_id("33010618991231123", id); /* before 1900 */
    assert_int_equal(validate(id, NULL), CW_IDCARD_EBIRTH);
    make_id("33010620270101123", id); /* after the year bound */
    assert_int_equal(validate(id, NULL), CW_IDCARD_EBIRTH);
    make_id("33010620261231123", id);
    assert_int_equal(validate(id, NULL), 0);
    assert_string_equal(cw_idcard_reason(CW_IDCARD_EBIRTH), "birth date");
}

/* An ID number with region @p code6 (and a fixed valid birth date and sequence). */
static void id_for_region(const char *code6, char id[19])
{
    char first17[18];
    snprintf(first17, sizeof first17, "%.6s19900101123", code6);
    make_id(first17, id);
}

static void test_unknown_region(void **state)
{
    (void)state;
    char id[19];
    static const char *const bad[] = {
        "990101", "100101", "000000", "840000", "720000", "800000", /* no such province */
        "830101",                                                   /* 83 only as 830000 */
        "110000", "330006", "330099", /* a mainland province, but prefecture 00 */
        "710100", "710001", "810100", "820001", "819999", /* 71, 81, 82: only NN0000 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        id_for_region(bad[i], id);
        assert_int_equal(validate(id, NULL), CW_IDCARD_EREGION);
    }
    assert_string_equal(cw_idcard_reason(CW_IDCARD_EREGION), "region code");
}

static void test_plausible_region(void **state)
{
    (void)state;
    char id[19];
    struct cw_idcard_info info;
    /* not in the names table, but of plausible form: valid, without a name */
    id_for_region("330199", id);
    assert_int_equal(validate(id, &info), 0);
    assert_string_equal(info.region, "330199");
    assert_string_equal(info.province, "33");
    assert_string_equal(info.province_name, "Zhejiang");
    assert_null(info.region_name);
    id_for_region("330100", id); /* prefecture-level code (county 00), as on old cards */
    assert_int_equal(validate(id, &info), 0);
    assert_null(info.region_name);
    id_for_region("659001", id); /* Shihezi, a county-level city missing from the table */
    assert_int_equal(validate(id, &info), 0);
    assert_string_equal(info.province_name, "Xinjiang");
    /* in the table: the name is kept */
    id_for_region("440305", id);
    assert_int_equal(validate(id, &info), 0);
    assert_string_equal(info.region_name, "Nanshan");
    /* Taiwan, Hong Kong, Macau: NN0000 */
    id_for_region("710000", id);
    assert_int_equal(validate(id, &info), 0);
    assert_string_equal(info.province, "71");
    assert_string_equal(info.province_name, "Taiwan");
    assert_null(info.region_name);
    id_for_region("810000", id);
    assert_int_equal(validate(id, &info), 0);
    assert_string_equal(info.province, "81");
    assert_string_equal(info.province_name, "Hong Kong");
    id_for_region("820000", id);
    assert_int_equal(validate(id, &info), 0);
    assert_string_equal(info.province, "82");
    assert_string_equal(info.province_name, "Macau");
    /* 830000: residence permit of Taiwan residents, province 71 */
    id_for_region("830000", id);
    assert_int_equal(validate(id, &info), 0);
    assert_string_equal(info.region, "830000");
    assert_string_equal(info.province, "71");
    assert_string_equal(info.province_name, "Taiwan");
    assert_null(info.region_name);
    assert_int_equal(info.birth_year, 1990);
    assert_int_equal(info.sex, 'M'); /* sequence 123 */
}

/* Every 6-digit code against the rule written out independently. */
static int expect_region_ok(int code)
{
    static const int mainland[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41,
                                   42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65};
    int prov = code / 10000, pref = code / 100 % 100;
    if (code == 710000 || code == 810000 || code == 820000 || code == 830000)
        return 1;
    for (size_t i = 0; i < sizeof mainland / sizeof mainland[0]; i++)
        if (prov == mainland[i])
            return pref >= 1;
    return 0;
}

static void test_every_region_code(void **state)
{
    (void)state;
    char code[7], id[19];
    int ok = 0;
    for (int c = 0; c < 1000000; c++) {
        snprintf(code, sizeof code, "%06d", c);
        id_for_region(code, id);
        int want = expect_region_ok(c) ? 0 : CW_IDCARD_EREGION;
        if (validate(id, NULL) != want)
            fail_msg("region %s: got %d, want %d", code, validate(id, NULL), want);
        ok += want == 0;
    }
    assert_int_equal(ok, 31 * 99 * 100 + 4);
}

static void test_length_and_digits(void **state)
{
    (void)state;
    assert_int_equal(validate("", NULL), CW_IDCARD_ELENGTH);
    assert_int_equal(validate("33010619900307123", NULL), CW_IDCARD_ELENGTH);
    assert_int_equal(validate("3301061990030712345", NULL), CW_IDCARD_ELENGTH);
    assert_int_equal(cw_idcard_validate(NULL, 18, NULL), CW_IDCARD_ELENGTH);
    /* 15-digit first-generation numbers are not accepted */
    assert_int_equal(validate("330106900307123", NULL), CW_IDCARD_ELENGTH);
    assert_int_equal(validate("3301061990030A1234", NULL), CW_IDCARD_ENONDIGIT);
    assert_int_equal(validate("33010619900307X234", NULL), CW_IDCARD_ENONDIGIT);
    assert_int_equal(validate("33010619900307123Y", NULL), CW_IDCARD_ENONDIGIT);
    assert_int_equal(validate(" 30106199003071236", NULL), CW_IDCARD_ENONDIGIT);
    assert_string_equal(cw_idcard_reason(CW_IDCARD_ELENGTH), "length");
    assert_string_equal(cw_idcard_reason(CW_IDCARD_ENONDIGIT), "non-digit");
    assert_string_equal(cw_idcard_reason(0), "ok");
    assert_string_equal(cw_idcard_reason(-1), "unknown");
}

static void test_not_nul_terminated(void **state)
{
    (void)state;
    /* only len bytes are read: a valid ID followed by other bytes in the same buffer */
    const char buf[] = "330106199003071236,more,columns";
    assert_int_equal(cw_idcard_validate(buf, 18, NULL), 0);
    assert_int_equal(cw_idcard_validate(buf, 19, NULL), CW_IDCARD_ELENGTH);
    char exact[18];
    memcpy(exact, "330106199003071236", 18); /* no NUL at all */
    assert_int_equal(cw_idcard_validate(exact, sizeof exact, NULL), 0);
}

static void test_mask(void **state)
{
    (void)state;
    char out[20];
    assert_int_equal(cw_idcard_mask("330106199003071234", out), 0);
    assert_string_equal(out, "330106********1234");
    assert_int_equal(cw_idcard_mask("11010519491231002X", out), 0);
    assert_string_equal(out, "110105********002X");
    /* invalid lengths still never show more than region + last 4 */
    assert_int_equal(cw_idcard_mask("330106900307123", out), CW_EINVAL);
    assert_string_equal(out, "330106*****7123");
    assert_int_equal(cw_idcard_mask("12345", out), CW_EINVAL);
    assert_string_equal(out, "*****");
    assert_int_equal(cw_idcard_mask("3301061990030712345678", out), CW_EINVAL);
    assert_string_equal(out, "330106********5678");
    assert_int_equal(cw_idcard_mask("", out), CW_EINVAL);
    assert_string_equal(out, "");
    assert_int_equal(cw_idcard_mask(NULL, out), CW_EINVAL);
    assert_string_equal(out, "");
}

static void test_provinces(void **state)
{
    (void)state;
    static const char *const codes[] = {"11", "12", "13", "14", "15", "21", "22", "23", "31",
                                        "32", "33", "34", "35", "36", "37", "41", "42", "43",
                                        "44", "45", "46", "50", "51", "52", "53", "54", "61",
                                        "62", "63", "64", "65", "71", "81", "82"};
    assert_int_equal(cw_province_count(), 34);
    for (size_t i = 0; i < 34; i++) {
        assert_string_equal(cw_province_code_at(i), codes[i]);
        assert_non_null(cw_province_name(codes[i]));
    }
    assert_null(cw_province_code_at(34));
    assert_string_equal(cw_province_name("33"), "Zhejiang");
    assert_string_equal(cw_province_name("330106"), "Zhejiang");
    assert_string_equal(cw_province_name("15"), "Inner Mongolia");
    assert_string_equal(cw_province_name("54"), "Tibet");
    assert_string_equal(cw_province_name("61"), "Shaanxi");
    assert_string_equal(cw_province_name("14"), "Shanxi");
    assert_string_equal(cw_province_name("71"), "Taiwan");
    assert_string_equal(cw_province_name("81"), "Hong Kong");
    assert_string_equal(cw_province_name("82"), "Macau");
    assert_null(cw_province_name("83")); /* a region code (830000), not a province */
    assert_null(cw_province_name("99"));
    assert_null(cw_province_name("10"));
    assert_null(cw_province_name("7"));
    assert_null(cw_province_name(""));
    assert_null(cw_province_name(NULL));
}

static void test_region_table(void **state)
{
    (void)state;
    size_t n = cw_idcard_region_count();
    int per_province[100] = {0};
    for (size_t i = 0; i < n; i++) {
        const char *c = cw_idcard_region_code_at(i);
        assert_int_equal(strlen(c), 6);
        if (i)
            assert_true(strcmp(cw_idcard_region_code_at(i - 1), c) < 0); /* sorted, unique */
        assert_non_null(cw_province_name(c));
        assert_non_null(cw_idcard_region_name(c));
        per_province[(c[0] - '0') * 10 + (c[1] - '0')]++;
        /* every code in the table makes valid IDs */
        char first17[18], id[19];
        snprintf(first17, sizeof first17, "%s19800101001", c);
        make_id(first17, id);
        assert_int_equal(validate(id, NULL), 0);
    }
    assert_null(cw_idcard_region_code_at(n));
    /* at least three for each mainland province; none for 71, 81, 82 (NN0000 only) */
    for (size_t i = 0; i < cw_province_count(); i++) {
        const char *p = cw_province_code_at(i);
        int count = per_province[(p[0] - '0') * 10 + (p[1] - '0')];
        if (p[0] == '7' || p[0] == '8')
            assert_int_equal(count, 0);
        else
            assert_true(count >= 3);
    }
    assert_string_equal(cw_idcard_region_name("110101"), "Dongcheng");
    assert_string_equal(cw_idcard_region_name("310101"), "Huangpu");
    assert_string_equal(cw_idcard_region_name("440106"), "Tianhe");
    assert_string_equal(cw_idcard_region_name("440305"), "Nanshan");
    assert_null(cw_idcard_region_name("440399"));
    assert_null(cw_idcard_region_name("44030"));
    assert_null(cw_idcard_region_name("830000")); /* valid, but not in the names table */
    assert_null(cw_idcard_region_name("33010x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_char_standard_example),
        cmocka_unit_test(test_check_char_by_hand),
        cmocka_unit_test(test_every_check_char_value),
        cmocka_unit_test(test_wrong_check_digit),
        cmocka_unit_test(test_bad_birth_date),
        cmocka_unit_test(test_unknown_region),
        cmocka_unit_test(test_plausible_region),
        cmocka_unit_test(test_every_region_code),
        cmocka_unit_test(test_length_and_digits),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_provinces),
        cmocka_unit_test(test_region_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
