/* test_realname.c - the real-name rate in traffic: cards in use counted once, by registration
 * province (else the number range's, else unknown), verified or black, and the black share of
 * SMS, calls and data sessions; the JSON report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/realname.h"

static struct cw_card card(const char *msisdn, int home, int verified, const char *prov,
                           const char *range_prov)
{
    struct cw_card c;
    memset(&c, 0, sizeof c);
    snprintf(c.msisdn, sizeof c.msisdn, "%s", msisdn);
    c.home = (uint8_t)home;
    c.registered = verified;
    c.verified = (uint8_t)verified;
    snprintf(c.province, sizeof c.province, "%s", prov);
    snprintf(c.range_province, sizeof c.range_province, "%s", range_prov);
    return c;
}

static void feed(struct cw_realname *r, unsigned kind, const struct cw_card *c)
{
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = (uint8_t)kind;
    assert_int_equal(cw_realname_event(r, &ev, c), 0);
}

struct rows {
    struct cw_realname_row row[8];
    int n;
};

static void keep(void *user, const struct cw_realname_row *row)
{
    struct rows *rs = user;
    assert_true(rs->n < 8);
    rs->row[rs->n++] = *row;
}

static void test_counts(void **state)
{
    (void)state;
    struct cw_realname *r;
    assert_int_equal(cw_realname_new(&r), 0);
    struct cw_card a = card("8613800000001", 1, 1, "33", ""); /* verified, Zhejiang */
    struct cw_card b = card("8613800000002", 1, 0, "33", ""); /* black (unverified), Zhejiang */
    struct cw_card c = card("8613800000003", 1, 0, "", "11"); /* no record: range's Beijing */
    struct cw_card d = card("8613800000004", 1, 0, "", "");   /* no record, no province */
    struct cw_card o = card("8613000000005", 0, 0, "", "");   /* another operator's: ignored */
    feed(r, CW_EV_SMS_MO, &a);
    feed(r, CW_EV_SMS_MO, &a);
    feed(r, CW_EV_CALL, &a);
    feed(r, CW_EV_SMS_MO, &b);
    feed(r, CW_EV_DATA_SESSION, &b);
    feed(r, CW_EV_CALL, &c);
    feed(r, CW_EV_SMS_MO, &d);
    feed(r, CW_EV_SMS_MO, &o);
    feed(r, CW_EV_SMS_MT, &a);   /* received: not "in use" by this count */
    feed(r, CW_EV_REGISTER, &d); /* signalling only */
    struct rows rs = {.n = 0};
    cw_realname_rows(r, keep, &rs);
    assert_int_equal(rs.n, 4); /* 11, 33, unknown, all */
    assert_string_equal(rs.row[0].province, "11");
    assert_int_equal(rs.row[0].cards, 1);
    assert_int_equal(rs.row[0].verified, 0);
    assert_int_equal(rs.row[0].calls, 1);
    assert_int_equal(rs.row[0].calls_black, 1);
    assert_string_equal(rs.row[1].province, "33");
    assert_int_equal(rs.row[1].cards, 2);
    assert_int_equal(rs.row[1].verified, 1);
    assert_int_equal(rs.row[1].sms, 3);
    assert_int_equal(rs.row[1].sms_black, 1);
    assert_int_equal(rs.row[1].calls, 1);
    assert_int_equal(rs.row[1].calls_black, 0);
    assert_int_equal(rs.row[1].data, 1);
    assert_int_equal(rs.row[1].data_black, 1);
    assert_string_equal(rs.row[2].province, "");
    assert_int_equal(rs.row[2].cards, 1);
    const struct cw_realname_row *all = &rs.row[3];
    assert_true(all->all);
    assert_int_equal(all->cards, 4);
    assert_int_equal(all->verified, 1);
    assert_int_equal(all->sms, 4);
    assert_int_equal(all->sms_black, 2);
    assert_int_equal(all->calls, 2);
    assert_int_equal(all->calls_black, 1);
    assert_int_equal(all->data, 1);
    assert_int_equal(all->data_black, 1);

    /* the JSON report */
    struct cw_json j;
    memset(&j, 0, sizeof j);
    cw_json_obj_begin(&j, NULL);
    cw_realname_json(&j, r);
    cw_json_obj_end(&j);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_int_equal(cw_json_write_line(&j, mem), 0);
    fclose(mem);
    assert_non_null(strstr(buf, "\"province\":\"33\",\"name\":\"Zhejiang\",\"cards_in_use\":2,"
                                "\"verified\":1,\"real_name_rate\":0.5"));
    assert_non_null(strstr(buf, "\"province\":\"unknown\""));
    assert_non_null(strstr(buf, "\"overall\":{\"cards_in_use\":4,\"verified\":1"));
    free(buf);
    cw_json_release(&j);
    cw_realname_free(r);
}

/* Many distinct cards: the set grows and still counts each card once. */
static void test_many_cards(void **state)
{
    (void)state;
    struct cw_realname *r;
    assert_int_equal(cw_realname_new(&r), 0);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 20000; i++) {
            char num[20];
            snprintf(num, sizeof num, "86139%08d", i);
            struct cw_card c = card(num, 1, i % 10 != 0, "44", "");
            feed(r, CW_EV_SMS_MO, &c);
        }
    struct rows rs = {.n = 0};
    cw_realname_rows(r, keep, &rs);
    assert_int_equal(rs.n, 2);
    assert_int_equal(rs.row[1].cards, 20000);
    assert_int_equal(rs.row[1].verified, 18000);
    assert_int_equal(rs.row[1].sms, 40000);
    assert_int_equal(rs.row[1].sms_black, 4000);
    cw_realname_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_many_cards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
