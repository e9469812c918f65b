/* test_tbcd_imei.c - TBCD digit strings and IMEI normalisation with the Luhn check digit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/imei.h"
#include "util/tbcd.h"

static void test_tbcd(void **state)
{
    (void)state;
    char out[32];
    /* IMSI 460001234567890 (15 digits: filler in the last high nibble) */
    static const uint8_t imsi[] = {0x64, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0xf0};
    assert_int_equal(cw_tbcd_decode(imsi, sizeof imsi, out, sizeof out), 15);
    assert_string_equal(out, "460001234567890");
    /* even number of digits, no filler */
    static const uint8_t even[] = {0x68, 0x31};
    assert_int_equal(cw_tbcd_decode(even, sizeof even, out, sizeof out), 4);
    assert_string_equal(out, "8613");
    /* a whole 0xFF tail is filler too */
    static const uint8_t tail[] = {0x21, 0xff, 0xff};
    assert_int_equal(cw_tbcd_decode(tail, sizeof tail, out, sizeof out), 2);
    assert_string_equal(out, "12");
    /* digits after a filler: not a TBCD string */
    static const uint8_t after[] = {0xf1, 0x32};
    assert_int_equal(cw_tbcd_decode(after, sizeof after, out, sizeof out), -1);
    /* nibbles A-E as tshark shows them */
    static const uint8_t special[] = {0xba, 0xdc, 0xfe};
    assert_int_equal(cw_tbcd_decode(special, sizeof special, out, sizeof out), 5);
    assert_string_equal(out, "*#abc");
    /* does not fit: refused, never cut silently */
    assert_int_equal(cw_tbcd_decode(imsi, sizeof imsi, out, 15), -1);
    assert_int_equal(cw_tbcd_decode(imsi, sizeof imsi, out, 16), 15);
    assert_int_equal(cw_tbcd_decode(imsi, sizeof imsi, out, 0), -1);
    /* empty */
    assert_int_equal(cw_tbcd_decode(imsi, 0, out, sizeof out), 0);
    assert_string_equal(out, "");
}

static void test_imei(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(cw_imei_luhn("49015420323751"), '8');
    /* 15 digits with the right check digit: unchanged */
    assert_int_equal(cw_imei_normalize("490154203237518", 15, out), 0);
    assert_string_equal(out, "490154203237518");
    /* 14 digits: the check digit added */
    assert_int_equal(cw_imei_normalize("49015420323751", 14, out), 0);
    assert_string_equal(out, "490154203237518");
    /* IMEISV (14 + 2-digit software version): the version goes, the check digit comes */
    assert_int_equal(cw_imei_normalize("4901542032375106", 16, out), 0);
    assert_string_equal(out, "490154203237518");
    /* a wrong check digit is replaced: the 14 digits identify the device */
    assert_int_equal(cw_imei_normalize("490154203237510", 15, out), 0);
    assert_string_equal(out, "490154203237518");
    /* the corpus's IMEISV 3520980727163206 */
    assert_int_equal(cw_imei_normalize("3520980727163206", 16, out), 0);
    assert_string_equal(out, "352098072716325");
    /* not an IMEI */
    assert_int_equal(cw_imei_normalize("4901542032375", 13, out), -1);
    assert_int_equal(cw_imei_normalize("49015420323751061", 17, out), -1);
    assert_int_equal(cw_imei_normalize("49015420323751a", 15, out), -1);
}

/* Decimal TBCD numbers of a bounded length: fillers only at the end, no '*' '#' 'a'-'c'. */
static void test_tbcd_digits(void **state)
{
    (void)state;
    char out[16];
    static const uint8_t imsi[] = {0x64, 0x00, 0x10, 0x45, 0x23, 0x01, 0x89, 0xf5};
    assert_int_equal(cw_tbcd_digits(imsi, sizeof imsi, 6, 15, out, sizeof out), 15);
    assert_string_equal(out, "460001543210985");
    assert_int_equal(cw_tbcd_digits(imsi, sizeof imsi, 6, 14, out, sizeof out), -1); /* max */
    assert_int_equal(cw_tbcd_digits(imsi, 2, 6, 15, out, sizeof out), -1);           /* min */
    assert_int_equal(cw_tbcd_digits(imsi, sizeof imsi, 6, 15, out, 15), -1);          /* room */
    assert_int_equal(cw_tbcd_digits(imsi, 0, 1, 15, out, sizeof out), -1);            /* empty */
    static const uint8_t star[] = {0x21, 0xa3}; /* 1 2 3 '*' */
    assert_int_equal(cw_tbcd_digits(star, sizeof star, 1, 15, out, sizeof out), -1);
    static const uint8_t mid[] = {0xf1, 0x32}; /* a filler before more digits */
    assert_int_equal(cw_tbcd_digits(mid, sizeof mid, 1, 15, out, sizeof out), -1);
    static const uint8_t tail[] = {0x21, 0xff}; /* a whole 0xFF tail */
    assert_int_equal(cw_tbcd_digits(tail, sizeof tail, 1, 15, out, sizeof out), 2);
    assert_string_equal(out, "12");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tbcd),
        cmocka_unit_test(test_tbcd_digits),
        cmocka_unit_test(test_imei),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
