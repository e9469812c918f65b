/* test_validate.c - the registry's field checks: ID numbers in both forms, MSISDNs, IMSIs,
 * province codes and UTC dates, with the reason given for each failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/idcard.h"
#include "store/validate.h"

/* ---- ID numbers ---- */

struct id_case {
    const char *in;
    int rc;
    const char *out; /* what out[] holds afterwards */
    int converted;
    const char *why;
};

static void check_id(const struct id_case *c)
{
    char out[19];
    memset(out, '#', sizeof out);
    int converted = -1;
    const char *why = NULL;
    int rc = cw_id_normalize(c->in, out, &converted, &why);
    if (rc != c->rc || strcmp(out, c->out) != 0 || converted != c->converted || !why ||
        strcmp(why, c->why) != 0)
        fail_msg("'%s': got %d '%s' converted=%d '%s'; want %d '%s' converted=%d '%s'",
                 c->in ? c->in : "(null)", rc, out, converted, why ? why : "(null)", c->rc, c->out,
                 c->converted, c->why);
}

static void test_id_15_to_18(void **state)
{
    (void)state;
    static const struct id_case cases[] = {
        /* 330106 900307 123 -> 330106 19 900307 123 + check: the weighted sum of
         * 33010619900307123 is 226, 226 mod 11 = 6, "10X98765432"[6] = '6' */
        {"330106900307123", 0, "330106199003071236", 1, "ok"},
        /* the GB 11643-1999 example in its 15-digit form: check character X */
        {"110105491231002", 0, "11010519491231002X", 1, "ok"},
        {"440305851231001", 0, "440305198512310018", 1, "ok"},
        /* converted, then found invalid: the 18-character form is still in out */
        {"330106990230123", CW_IDCARD_EBIRTH, "330106199902301234", 1,
         "birth date is not a calendar date"},
        {"330106000229123", CW_IDCARD_EBIRTH, "330106190002291236", 1, /* 1900: not leap */
         "birth date is not a calendar date"},
        {"330106000228123", 0, "330106190002281230", 1, "ok"},
        {"990101900307123", CW_IDCARD_EREGION, "990101199003071237", 1,
         "region code: unknown province"},
        {"330006900307123", CW_IDCARD_EREGION, "330006199003071230", 1,
         "region code: not a valid prefecture or county"},
        /* 15 characters that are not all digits: not converted, kept as given */
        {"33010690030712X", CW_IDCARD_ENONDIGIT, "33010690030712X", 0,
         "15-character number is not all digits"},
        {"3301069003 7123", CW_IDCARD_ENONDIGIT, "3301069003 7123", 0,
         "15-character number is not all digits"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_id(&cases[i]);
}

static void test_id_18(void **state)
{
    (void)state;
    static const struct id_case cases[] = {
        {"330106199003071236", 0, "330106199003071236", 0, "ok"},
        {"11010519491231002X", 0, "11010519491231002X", 0, "ok"},
        {"11010519491231002x", 0, "11010519491231002X", 0, "ok"}, /* x -> X */
        {"330106199003071235", CW_IDCARD_ECHECK, "330106199003071235", 0,
         "check digit does not match"},
        {"110105194912310021", CW_IDCARD_ECHECK, "110105194912310021", 0,
         "check digit does not match"},
        {"3301061990030A1236", CW_IDCARD_ENONDIGIT, "3301061990030A1236", 0,
         "a character is not a digit"},
        {"x10105194912310021", CW_IDCARD_ENONDIGIT, "x10105194912310021", 0,
         "a character is not a digit"},
        {"33010619900307123Y", CW_IDCARD_ENONDIGIT, "33010619900307123Y", 0,
         "last character is not a digit or X"},
        {"830000199912310040", 0, "830000199912310040", 0, "ok"},
        {"810000198001010022", 0, "810000198001010022", 0, "ok"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_id(&cases[i]);
    /* Only the field under test is wrong: the check characters are computed here. */
    char id[19], first17[18];
    static const struct {
        const char *first17;
        int rc;
        const char *why;
    } gen[] = {
        {"33010620230229123", CW_IDCARD_EBIRTH, "birth date is not a calendar date"},
        {"33010619000229123", CW_IDCARD_EBIRTH, "birth date is not a calendar date"},
        {"33010620000229123", 0, "ok"},
        {"33010619991301123", CW_IDCARD_EBIRTH, "birth date is not a calendar date"},
        {"33010618991231123", CW_IDCARD_EBIRTH, "birth year outside 1900..2026"},
        {"33010620270101123", CW_IDCARD_EBIRTH, "birth year outside 1900..2026"},
        {"99010119900101123", CW_IDCARD_EREGION, "region code: unknown province"},
        {"10010119900101123", CW_IDCARD_EREGION, "region code: unknown province"},
        {"11000019900101123", CW_IDCARD_EREGION, "region code: not a valid prefecture or county"},
        {"71010019900101123", CW_IDCARD_EREGION, "region code: not a valid prefecture or county"},
        {"83010019900101123", CW_IDCARD_EREGION, "region code: unknown province"},
        {"71000019900101123", 0, "ok"},
        {"82000019900101123", 0, "ok"},
    };
    for (size_t i = 0; i < sizeof gen / sizeof gen[0]; i++) {
        memcpy(first17, gen[i].first17, 18);
        memcpy(id, first17, 17);
        id[17] = cw_idcard_check_char(first17);
        id[18] = 0;
        struct id_case c = {id, gen[i].rc, id, 0, gen[i].why};
        check_id(&c);
    }
    /* the Taiwan residence permit reports province 71 */
    struct cw_idcard_info info;
    assert_int_equal(cw_idcard_validate("830000199912310040", 18, &info), 0);
    assert_string_equal(info.province, "71");
    assert_string_equal(info.province_name, "Taiwan");
}

static void test_id_length(void **state)
{
    (void)state;
    static const struct id_case cases[] = {
        {"", CW_IDCARD_ELENGTH, "", 0, "empty"},
        {NULL, CW_IDCARD_ELENGTH, "", 0, "empty"},
        {"3", CW_IDCARD_ELENGTH, "3", 0, "not 15 or 18 characters"},
        {"33010690030712", CW_IDCARD_ELENGTH, "33010690030712", 0, "not 15 or 18 characters"},
        {"3301069003071234", CW_IDCARD_ELENGTH, "3301069003071234", 0, "not 15 or 18 characters"},
        {"33010619900307123", CW_IDCARD_ELENGTH, "33010619900307123", 0, "not 15 or 18 characters"},
        /* longer input is truncated to 18 in out */
        {"3301061990030712361", CW_IDCARD_ELENGTH, "330106199003071236", 0,
         "not 15 or 18 characters"},
        {"330106199003071236 and a long tail of text", CW_IDCARD_ELENGTH, "330106199003071236", 0,
         "not 15 or 18 characters"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_id(&cases[i]);
    /* converted and why may be NULL */
    char out[19];
    assert_int_equal(cw_id_normalize("330106900307123", out, NULL, NULL), 0);
    assert_string_equal(out, "330106199003071236");
}

/* Every truncation of a valid 15- and 18-character number: only the full lengths pass. */
static void test_id_truncated(void **state)
{
    (void)state;
    static const char *const full[] = {"330106900307123", "11010519491231002x"};
    for (size_t k = 0; k < 2; k++) {
        size_t n = strlen(full[k]);
        for (size_t len = 0; len <= n; len++) {
            char in[19], out[19];
            memcpy(in, full[k], len);
            in[len] = 0;
            const char *why = NULL;
            int rc = cw_id_normalize(in, out, NULL, &why);
            if (len == n) {
                assert_int_equal(rc, 0);
            } else if (len == 15) {                     /* 15 digits of an 18-character number */
                assert_int_equal(rc, CW_IDCARD_EBIRTH); /* born 1919-49-12 */
            } else {
                assert_int_equal(rc, CW_IDCARD_ELENGTH);
                assert_string_equal(why, len ? "not 15 or 18 characters" : "empty");
                assert_string_equal(out, in);
            }
        }
    }
}

/* ---- MSISDN ---- */

struct str_case {
    const char *s;
    const char *cc;
    int rc;
    const char *why;
};

static void test_msisdn(void **state)
{
    (void)state;
    static const struct str_case cases[] = {
        {"8613800000000", "86", 0, "ok"},
        {"8619912345678", "86", 0, "ok"},
        {"8613000000000", "86", 0, "ok"},
        {"861440000000000", "86", 0, "ok"},                         /* IoT: 14 + 11 digits */
        {"861064123456789", "86", 0, "ok"},                         /* IoT: 1064 + 9 digits */
        {"861380000000", "86", -1, "not 11 or 13 digits after 86"}, /* short */
        {"86138000000000", "86", -1, "not 11 or 13 digits after 86"},
        {"8613800000000000", "86", -1, "not 11 or 13 digits after 86"},
        {"86", "86", -1, "not 11 or 13 digits after 86"},
        {"8612000000000", "86", -1, "not a mobile number (1[3-9] and 9 digits)"},
        {"8610000000000", "86", -1, "not a mobile number (1[3-9] and 9 digits)"},
        {"8623000000000", "86", -1, "not a mobile number (1[3-9] and 9 digits)"},
        {"861380000000000", "86", -1, "13-digit number is not IoT (14 or 1064)"},
        {"861065123456789", "86", -1, "13-digit number is not IoT (14 or 1064)"},
        {"8513800000000", "86", -1, "does not start with the country code"},
        {"13800000000", "86", -1, "does not start with the country code"},
        {"+8613800000000", "86", -1, "not all digits"},
        {"86138 0000000", "86", -1, "not all digits"},
        {"861380000000a", "86", -1, "not all digits"},
        {"", "86", -1, "empty"},
        {NULL, "86", -1, "empty"},
        /* other country codes: 8 to 15 digits in all, starting with the code */
        {"447946000000", "44", 0, "ok"},
        {"12025550123", "1", 0, "ok"},
        {"85291234567", "852", 0, "ok"},
        {"4412345", "44", -1, "fewer than 8 digits"},
        {"44123456", "44", 0, "ok"},
        {"441234567890123", "44", 0, "ok"},
        {"4412345678901234", "44", -1, "more than 15 digits"},
        {"337946000000", "44", -1, "does not start with the country code"},
        /* bad country codes */
        {"8613800000000", "0", -1, "country code is not 1 to 3 digits"},
        {"8613800000000", "0086", -1, "country code is not 1 to 3 digits"},
        {"8613800000000", "8a", -1, "country code is not 1 to 3 digits"},
        /* no country code: any E.164 number */
        {"8613800000000", NULL, 0, "ok"},
        {"8613800000000", "", 0, "ok"},
        {"0123456789", NULL, -1, "starts with 0: not an international number"},
        {"1234567", "", -1, "fewer than 8 digits"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct str_case *c = &cases[i];
        const char *why = NULL;
        int rc = cw_valid_msisdn(c->s, c->cc, &why);
        if (rc != c->rc || !why || strcmp(why, c->why) != 0)
            fail_msg("'%s' cc %s: got %d '%s', want %d '%s'", c->s ? c->s : "(null)",
                     c->cc ? c->cc : "(null)", rc, why ? why : "(null)", c->rc, c->why);
    }
    /* country code 8 is not 86: only the general rule applies */
    const char *why = NULL;
    assert_int_equal(cw_valid_msisdn("8612000000000", "8", &why), 0);
    assert_string_equal(why, "ok");
    assert_int_equal(cw_valid_msisdn("8613800000000", "86", NULL), 0);
}

/* ---- IMSI ---- */

static void test_imsi(void **state)
{
    (void)state;
    static const struct str_case cases[] = {
        {"460001234567890", NULL, 0, "ok"},
        {"46000123456789", NULL, 0, "ok"}, /* 14 digits: tolerated */
        {"200000000000000", NULL, 0, "ok"},
        {"999999999999999", NULL, 0, "ok"},
        {"046000123456789", NULL, -1, "MCC is not 200-999"},
        {"199999999999999", NULL, -1, "MCC is not 200-999"},
        {"001010123456789", NULL, -1, "MCC is not 200-999"},
        {"4600012345678", NULL, -1, "not 14 or 15 digits"},
        {"4600012345678901", NULL, -1, "not 14 or 15 digits"},
        {"4", NULL, -1, "not 14 or 15 digits"},
        {"46000123456789a", NULL, -1, "not all digits"},
        {"46000l23456789O", NULL, -1, "not all digits"},
        {"IMSI46000123456", NULL, -1, "not all digits"},
        {" 46000123456789", NULL, -1, "not all digits"},
        {"", NULL, -1, "empty"},
        {NULL, NULL, -1, "empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct str_case *c = &cases[i];
        const char *why = NULL;
        int rc = cw_valid_imsi(c->s, &why);
        if (rc != c->rc || !why || strcmp(why, c->why) != 0)
            fail_msg("'%s': got %d '%s', want %d '%s'", c->s ? c->s : "(null)", rc,
                     why ? why : "(null)", c->rc, c->why);
    }
    assert_int_equal(cw_valid_imsi("460001234567890", NULL), 0);
}

/* ---- province ---- */

static void test_province(void **state)
{
    (void)state;
    static const struct str_case cases[] = {
        {"11", NULL, 0, "ok"},
        {"65", NULL, 0, "ok"},
        {"71", NULL, 0, "ok"},
        {"81", NULL, 0, "ok"},
        {"82", NULL, 0, "ok"},
        {"99", NULL, -1, "not a provincial-level division code"},
        {"00", NULL, -1, "not a provincial-level division code"},
        {"83", NULL, -1, "not a provincial-level division code"},
        {"10", NULL, -1, "not a provincial-level division code"},
        {"1", NULL, -1, "not 2 digits"},
        {"111", NULL, -1, "not 2 digits"},
        {"330106", NULL, -1, "not 2 digits"},
        {"1a", NULL, -1, "not 2 digits"},
        {" 1", NULL, -1, "not 2 digits"},
        {"", NULL, -1, "empty"},
        {NULL, NULL, -1, "empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct str_case *c = &cases[i];
        const char *why = NULL;
        int rc = cw_valid_province(c->s, &why);
        if (rc != c->rc || !why || strcmp(why, c->why) != 0)
            fail_msg("'%s': got %d '%s', want %d '%s'", c->s ? c->s : "(null)", rc,
                     why ? why : "(null)", c->rc, c->why);
    }
    /* exactly the 34 codes of the province table pass */
    int ok = 0;
    for (int i = 0; i < 100; i++) {
        char code[3] = {(char)('0' + i / 10), (char)('0' + i % 10), 0};
        int rc = cw_valid_province(code, NULL);
        assert_int_equal(rc == 0, cw_province_name(code) != NULL);
        ok += rc == 0;
    }
    assert_int_equal(ok, 34);
}

/* ---- dates ---- */

struct utc_case {
    const char *s;
    int rc;
    int64_t t;
    const char *why;
};

static void test_parse_utc(void **state)
{
    (void)state;
    static const char form[] = "not YYYY-MM-DD[THH:MM:SS[Z]]";
    /* the expected seconds are from date(1): date -u -d '2024-02-29 12:34:56 UTC' +%s */
    static const struct utc_case cases[] = {
        {"1970-01-01", 0, 0, "ok"},
        {"1970-01-01T00:00:00Z", 0, 0, "ok"},
        {"1970-01-01T00:00:01", 0, 1, "ok"},
        {"2000-02-29", 0, 951782400, "ok"}, /* 2000 is a leap year (divisible by 400) */
        {"2024-02-29T12:34:56Z", 0, 1709210096, "ok"},
        {"2024-02-29 12:34:56", 0, 1709210096, "ok"},
        {"2024-02-29 12:34:56Z", 0, 1709210096, "ok"},
        {"2024-01-01 23:59:59", 0, 1704153599, "ok"},
        {"2026-02-28T23:59:59Z", 0, 1772323199, "ok"},
        {"2099-12-31T23:59:59Z", 0, 4102444799, "ok"},
        {"2023-02-29", -1, 0, "not a calendar date"},
        {"2024-02-30", -1, 0, "not a calendar date"},
        {"2024-04-31", -1, 0, "not a calendar date"},
        {"2024-13-01", -1, 0, "not a calendar date"},
        {"2024-00-10", -1, 0, "not a calendar date"},
        {"2024-01-00", -1, 0, "not a calendar date"},
        {"2024-01-32T00:00:00Z", -1, 0, "not a calendar date"},
        {"1900-02-29", -1, 0, "year outside 1970..2099"}, /* (1900 is not leap either) */
        {"1969-12-31T23:59:59Z", -1, 0, "year outside 1970..2099"},
        {"2100-01-01", -1, 0, "year outside 1970..2099"},
        {"0000-01-01", -1, 0, "year outside 1970..2099"},
        {"2024-01-01T24:00:00", -1, 0, "not a time of day (00:00:00-23:59:59)"},
        {"2024-01-01T23:60:00", -1, 0, "not a time of day (00:00:00-23:59:59)"},
        {"2024-01-01T23:59:60Z", -1, 0, "not a time of day (00:00:00-23:59:59)"},
        {"2024-01-01T99:99:99", -1, 0, "not a time of day (00:00:00-23:59:59)"},
        {"2024-01-01x", -1, 0, "trailing characters"},
        {"2024-01-01Z", -1, 0, "trailing characters"}, /* Z only after a time */
        {"2024-01-01t00:00:00", -1, 0, "trailing characters"},
        {"2024-01-01T00:00:00Zjunk", -1, 0, "trailing characters"},
        {"2024-01-01T00:00:00ZZ", -1, 0, "trailing characters"},
        {"2024-01-01T00:00:00.5Z", -1, 0, "trailing characters"},
        {"2024-01-01T00:00:00+08:00", -1, 0, "trailing characters"},
        {"2024-01-01 00:00:00\n", -1, 0, "trailing characters"},
        {"2024-01-01T", -1, 0, form},
        {"2024-01-01 ", -1, 0, form},
        {"2024-01-01T00:00", -1, 0, form},
        {"2024-01-01T0:00:00", -1, 0, form},
        {"2024-01-01T00-00-00", -1, 0, form},
        {"2024-1-01", -1, 0, form},
        {"2024-01-1", -1, 0, form},
        {"24-01-01", -1, 0, form},
        {"2024/01/01", -1, 0, form},
        {"+024-01-01", -1, 0, form},
        {" 2024-01-01", -1, 0, form},
        {"2024-0a-01", -1, 0, form},
        {"20240101", -1, 0, form},
        {"", -1, 0, "empty"},
        {NULL, -1, 0, "empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct utc_case *c = &cases[i];
        const char *why = NULL;
        int64_t t = -12345;
        int rc = cw_parse_utc(c->s, &t, &why);
        int64_t want_t = c->rc == 0 ? c->t : -12345; /* untouched on failure */
        if (rc != c->rc || t != want_t || !why || strcmp(why, c->why) != 0)
            fail_msg("'%s': got %d %lld '%s', want %d %lld '%s'", c->s ? c->s : "(null)", rc,
                     (long long)t, why ? why : "(null)", c->rc, (long long)want_t, c->why);
    }
    assert_int_equal(cw_parse_utc("2024-02-29", NULL, NULL), 0);
}

/* Every day from 1970-01-01 to 2099-12-31, counted by walking the calendar one day at a time,
 * and every proper prefix of a full date-time. */
static void test_parse_utc_every_day(void **state)
{
    (void)state;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t day = 0;
    char s[32];
    for (int y = 1970; y <= 2099; y++) {
        int leap = y % 4 == 0; /* exact for 1901..2099 */
        for (int m = 1; m <= 12; m++) {
            int last = mdays[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= last + 1; d++) {
                snprintf(s, sizeof s, "%04d-%02d-%02dT23:59:59Z", y, m, d);
                int64_t t = -1;
                int rc = cw_parse_utc(s, &t, NULL);
                if (d > last) { /* the day after the month's last */
                    if (rc != -1)
                        fail_msg("%s accepted", s);
                    continue;
                }
                if (rc != 0 || t != day * 86400 + 86399)
                    fail_msg("%s: got %d %lld, want %lld", s, rc, (long long)t,
                             (long long)(day * 86400 + 86399));
                day++;
            }
        }
    }
    assert_int_equal(day, 47482); /* 130 years, 32 of them leap */

    const char full[] = "2024-02-29T12:34:56Z";
    for (size_t len = 0; len < sizeof full - 1; len++) {
        char in[sizeof full];
        memcpy(in, full, len);
        in[len] = 0;
        int64_t t = 0;
        int rc = cw_parse_utc(in, &t, NULL);
        if (len == 10)
            assert_int_equal(t, 1709164800); /* 2024-02-29 */
        else if (len == 19)
            assert_int_equal(t, 1709210096);
        assert_int_equal(rc, len == 10 || len == 19 ? 0 : -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_15_to_18),
        cmocka_unit_test(test_id_18),
        cmocka_unit_test(test_id_length),
        cmocka_unit_test(test_id_truncated),
        cmocka_unit_test(test_msisdn),
        cmocka_unit_test(test_imsi),
        cmocka_unit_test(test_province),
        cmocka_unit_test(test_parse_utc),
        cmocka_unit_test(test_parse_utc_every_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
