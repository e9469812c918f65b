/* test_sms_tpdu.c - RP-DATA and SMS-SUBMIT / SMS-DELIVER TPDUs (TS 24.011, TS 23.040): the other
 * party and the text, every address form and alphabet, reports that are not messages, and
 * every truncation of every TPDU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/sms_tpdu.h"

/* The corpus's IMS SMS: SMS-SUBMIT to 122, GSM 7-bit "test". */
static const uint8_t SUBMIT[] = {0x01, 0x00, 0x03, 0x81, 0x21, 0xf2, 0x00,
                                 0x00, 0x04, 0xf4, 0xf2, 0x9c, 0x0e};
/* SMS-SUBMIT with a relative validity period, international DA 8613800000000, UCS-2 "中奖" */
static const uint8_t SUBMIT_VP[] = {0x11, 0x07, 0x0d, 0x91, 0x68, 0x31, 0x08, 0x00, 0x00,
                                    0x00, 0xf0, 0x00, 0x08, 0xa7, 0x04, 0x4e, 0x2d, 0x59, 0x56};
/* SMS-DELIVER from the alphanumeric sender "BANK", UCS-2 "中奖" */
static const uint8_t DELIVER[] = {0x04, 0x07, 0xd0, 0xc2, 0xa0, 0x73, 0x09, 0x00, 0x08,
                                  0x62, 0x11, 0x29, 0x10, 0x00, 0x00, 0x00, 0x04, 0x4e,
                                  0x2d, 0x59, 0x56};
/* SMS-SUBMIT, part 1 of 2 (UDH 8-bit reference 0x2a), GSM 7-bit "hi" after one fill bit */
static const uint8_t SUBMIT_UDH[] = {0x41, 0x00, 0x03, 0x81, 0x21, 0xf2, 0x00, 0x00, 0x09,
                                     0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 0xd0, 0x69};
/* SMS-SUBMIT with 8-bit data (DCS 0x04): no text */
static const uint8_t SUBMIT_BIN[] = {0x01, 0x00, 0x03, 0x81, 0x21, 0xf2, 0x00, 0x04, 0x02, 0xca,
                                     0xfe};

static int parse(const uint8_t *p, size_t n, int m2n, struct cw_sms_tpdu *t, char *text)
{
    uint8_t buf[256];
    int rc = cw_sms_tpdu_parse(cw_slice_make(p, n), m2n, t, buf, sizeof buf - 1);
    size_t l = rc == 0 && t->has_text ? t->text_len : 0;
    memcpy(text, buf, l);
    text[l] = 0;
    return rc;
}

static void test_submit(void **state)
{
    (void)state;
    struct cw_sms_tpdu t;
    char text[256];
    assert_int_equal(parse(SUBMIT, sizeof SUBMIT, 1, &t, text), 0);
    assert_int_equal(t.mti, CW_TPDU_SUBMIT);
    assert_string_equal(t.addr, "122");
    assert_false(t.addr_intl);
    assert_false(t.addr_alnum);
    assert_true(t.has_text);
    assert_string_equal(text, "test");
    assert_int_equal(t.text_flags, 0);

    assert_int_equal(parse(SUBMIT_VP, sizeof SUBMIT_VP, 1, &t, text), 0);
    assert_string_equal(t.addr, "8613800000000");
    assert_true(t.addr_intl);
    assert_string_equal(text, "中奖");

    assert_int_equal(parse(SUBMIT_BIN, sizeof SUBMIT_BIN, 1, &t, text), 0);
    assert_false(t.has_text);
    assert_string_equal(t.addr, "122");

    /* a service code with '*' and '#' (TBCD 0xA, 0xB) is not a number */
    uint8_t code[sizeof SUBMIT];
    memcpy(code, SUBMIT, sizeof SUBMIT);
    code[3] = 0x91;
    code[4] = 0x1a; /* low nibble first: "*1" */
    code[5] = 0xfb;
    assert_int_equal(parse(code, sizeof code, 1, &t, text), 0);
    assert_string_equal(t.addr, "*1#");
    assert_true(t.addr_alnum);
    assert_false(t.addr_intl);
}

static void test_deliver_alnum(void **state)
{
    (void)state;
    struct cw_sms_tpdu t;
    char text[256];
    assert_int_equal(parse(DELIVER, sizeof DELIVER, 0, &t, text), 0);
    assert_int_equal(t.mti, CW_TPDU_DELIVER);
    assert_string_equal(t.addr, "BANK");
    assert_true(t.addr_alnum);
    assert_string_equal(text, "中奖");
}

static void test_udh_concatenation(void **state)
{
    (void)state;
    struct cw_sms_tpdu t;
    char text[256];
    assert_int_equal(parse(SUBMIT_UDH, sizeof SUBMIT_UDH, 1, &t, text), 0);
    assert_true(t.has_udh);
    assert_true(t.udh.concat);
    assert_int_equal(t.udh.ref, 0x2a);
    assert_int_equal(t.udh.total, 2);
    assert_int_equal(t.udh.seq, 1);
    assert_string_equal(text, "hi");
}

static void test_reports_are_not_messages(void **state)
{
    (void)state;
    struct cw_sms_tpdu t;
    char text[256];
    /* MTI 01 from the network is a SUBMIT-REPORT; MTI 00 from the mobile a DELIVER-REPORT */
    assert_int_equal(parse(SUBMIT, sizeof SUBMIT, 0, &t, text), 1);
    assert_int_equal(parse(DELIVER, sizeof DELIVER, 1, &t, text), 1);
    /* MTI 10: status report / command */
    static const uint8_t cmd[] = {0x02, 0x00};
    assert_int_equal(parse(cmd, sizeof cmd, 1, &t, text), 1);
}

static void test_malformed(void **state)
{
    (void)state;
    struct cw_sms_tpdu t;
    char text[256];
    /* an address of more than 20 digits */
    uint8_t longaddr[sizeof SUBMIT];
    memcpy(longaddr, SUBMIT, sizeof SUBMIT);
    longaddr[2] = 21;
    assert_int_equal(parse(longaddr, sizeof longaddr, 1, &t, text), -1);
    /* user data length past the end */
    uint8_t longud[sizeof SUBMIT];
    memcpy(longud, SUBMIT, sizeof SUBMIT);
    longud[8] = 40;
    assert_int_equal(parse(longud, sizeof longud, 1, &t, text), -1);
    /* a UDH longer than the user data */
    uint8_t badudh[sizeof SUBMIT_UDH];
    memcpy(badudh, SUBMIT_UDH, sizeof SUBMIT_UDH);
    badudh[9] = 30;
    assert_int_equal(parse(badudh, sizeof badudh, 1, &t, text), -1);
    /* empty */
    assert_int_equal(parse(SUBMIT, 0, 1, &t, text), -1);

    /* every truncation of every TPDU, in an exactly-sized buffer: an error, never a read past */
    static const struct {
        const uint8_t *p;
        size_t n;
        int m2n;
    } all[] = {{SUBMIT, sizeof SUBMIT, 1},         {SUBMIT_VP, sizeof SUBMIT_VP, 1},
               {DELIVER, sizeof DELIVER, 0},       {SUBMIT_UDH, sizeof SUBMIT_UDH, 1},
               {SUBMIT_BIN, sizeof SUBMIT_BIN, 1}};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        for (size_t n = 0; n < all[k].n; n++) {
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, all[k].p, n);
            assert_int_equal(parse(copy, n, all[k].m2n, &t, text), -1);
            free(copy);
        }

    /* a text buffer too small: cut at a character boundary and flagged */
    uint8_t small[4];
    assert_int_equal(cw_sms_tpdu_parse(cw_slice_make(SUBMIT_VP, sizeof SUBMIT_VP), 1, &t, small,
                                       sizeof small),
                     0);
    assert_int_equal(t.text_len, 3); /* "中" */
    assert_true(t.text_flags & CW_SMS_TEXT_CUT);
}

static void test_rp(void **state)
{
    (void)state;
    struct cw_slice tpdu;
    int m2n = -1;
    static const uint8_t rpdata[] = {0x00, 0x02, 0x00, 0x02, 0x91, 0xf7, 0x0d, 0x01, 0x00, 0x03,
                                     0x81, 0x21, 0xf2, 0x00, 0x00, 0x04, 0xf4, 0xf2, 0x9c, 0x0e};
    assert_int_equal(cw_sms_rp_parse(cw_slice_make(rpdata, sizeof rpdata), &tpdu, &m2n), 0);
    assert_int_equal(m2n, 1);
    assert_int_equal(tpdu.len, 13);
    assert_memory_equal(tpdu.p, SUBMIT, 13);
    /* network to mobile */
    uint8_t down[sizeof rpdata];
    memcpy(down, rpdata, sizeof rpdata);
    down[0] = 0x01;
    assert_int_equal(cw_sms_rp_parse(cw_slice_make(down, sizeof down), &tpdu, &m2n), 0);
    assert_int_equal(m2n, 0);
    /* RP-ACK, RP-ERROR: no SMS */
    static const uint8_t ack[] = {0x02, 0x05};
    assert_int_equal(cw_sms_rp_parse(cw_slice_make(ack, sizeof ack), &tpdu, &m2n), 1);
    /* an RP address longer than 11 octets; an RP-UD past the end; every truncation */
    uint8_t bad[sizeof rpdata];
    memcpy(bad, rpdata, sizeof rpdata);
    bad[3] = 12;
    assert_int_equal(cw_sms_rp_parse(cw_slice_make(bad, sizeof bad), &tpdu, &m2n), -1);
    memcpy(bad, rpdata, sizeof rpdata);
    bad[6] = 14;
    assert_int_equal(cw_sms_rp_parse(cw_slice_make(bad, sizeof bad), &tpdu, &m2n), -1);
    for (size_t n = 0; n < sizeof rpdata; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, rpdata, n);
        assert_int_equal(cw_sms_rp_parse(cw_slice_make(copy, n), &tpdu, &m2n), -1);
        free(copy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit),
        cmocka_unit_test(test_deliver_alnum),
        cmocka_unit_test(test_udh_concatenation),
        cmocka_unit_test(test_reports_are_not_messages),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_rp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
