/* test_rules_groups.c - the group keys beyond the card: the device (imei), the holder's ID
 * pseudonym (id), the registering outlet (outlet) and the calling>called pair (pair). Each
 * counts the right events together and names its key in the alert; an event without the key's
 * value is not counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alert_sink.h"
#include "rules/rules.h"

#define T0 1772323200000000ull

/* Feed @p n events into a one-rule engine grouped by @p group; returns the alerts. */
static void run(const char *group, const struct cw_event *evs, const struct cw_card *cards,
                size_t n, struct tu_alert_sink *s)
{
    char text[256];
    snprintf(text, sizeof text,
             "rule g {\n  category k\n  group %s\n  window 1h\n  threshold events >= 1\n}\n",
             group);
    struct cw_ruleset *rs = NULL;
    char err[256];
    assert_int_equal(cw_rules_parse_buffer("t.rules", text, strlen(text), &rs, err, sizeof err), 0);
    struct cw_alert_sink as = {tu_alert_keep, s};
    struct cw_engine *e = NULL;
    assert_int_equal(cw_engine_new(rs, &as, &e), 0);
    for (size_t i = 0; i < n; i++)
        cw_engine_event(e, &evs[i], &cards[i]);
    cw_engine_flush(e);
    cw_engine_free(e);
    cw_rules_free(rs);
}

static struct cw_event ev(uint64_t i, const char *calling, const char *called, const char *imei)
{
    struct cw_event x;
    memset(&x, 0, sizeof x);
    x.ts_us = T0 + i;
    x.frame = i + 1;
    x.kind = CW_EV_SMS_MO;
    snprintf(x.calling, sizeof x.calling, "%s", calling);
    snprintf(x.called, sizeof x.called, "%s", called);
    snprintf(x.imei, sizeof x.imei, "%s", imei);
    return x;
}

static struct cw_card card(const char *msisdn, const char *outlet, int id)
{
    struct cw_card c;
    memset(&c, 0, sizeof c);
    snprintf(c.msisdn, sizeof c.msisdn, "%s", msisdn);
    snprintf(c.outlet, sizeof c.outlet, "%s", outlet);
    if (id) {
        c.has_id = 1;
        for (int i = 0; i < CW_PSEUDO_LEN; i++)
            c.id_pseudo[i] = (uint8_t)(id * 16 + i);
    }
    return c;
}

static void test_groups(void **state)
{
    (void)state;
    /* two cards of one holder (id 1) on one device, a third card of another holder (id 2) on
     * another device; a fourth card without an ID number, without an outlet or an IMEI */
    struct cw_event e[5] = {ev(0, "8613800000001", "8613900000009", "35209900176148"),
                            ev(1, "8613800000002", "8613900000009", "35209900176148"),
                            ev(2, "8613800000001", "8613900000009", "35209900176148"),
                            ev(3, "8613800000003", "8613900000008", "35875801234564"),
                            ev(4, "8613800000004", "8613900000009", "")};
    struct cw_card c[5] = {card("8613800000001", "OUT-A", 1), card("8613800000002", "OUT-A", 1),
                           card("8613800000001", "OUT-A", 1), card("8613800000003", "OUT-B", 2),
                           card("8613800000004", "", 0)};
    struct tu_alert_sink s = {0};
    run("imei", e, c, 5, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(tu_alert_find(&s, "g", "35209900176148")->a.events, 3);
    assert_int_equal(tu_alert_find(&s, "g", "35875801234564")->a.events, 1);

    tu_alert_sink_free(&s);
    run("outlet", e, c, 5, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(tu_alert_find(&s, "g", "OUT-A")->a.events, 3);
    assert_int_equal(tu_alert_find(&s, "g", "OUT-B")->a.events, 1);

    tu_alert_sink_free(&s);
    run("id", e, c, 5, &s);
    assert_int_equal(s.n, 2);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", 16 + i);
    /* holder 1: the full pseudonym, in hex */
    const struct tu_alert *g = tu_alert_find(&s, "g", hex);
    assert_non_null(g);
    assert_int_equal(g->a.events, 3);

    tu_alert_sink_free(&s);
    run("pair", e, c, 5, &s);
    assert_int_equal(s.n, 4);
    assert_int_equal(tu_alert_find(&s, "g", "8613800000001>8613900000009")->a.events, 2);
    assert_int_equal(tu_alert_find(&s, "g", "8613800000002>8613900000009")->a.events, 1);
    assert_int_equal(tu_alert_find(&s, "g", "8613800000004>8613900000009")->a.events, 1);
    assert_null(tu_alert_find(&s, "g", "8613800000001"));
    tu_alert_sink_free(&s);
}

/* A pair of two long international numbers still fits the key. */
static void test_long_pair(void **state)
{
    (void)state;
    struct cw_event e[1] = {ev(0, "447700900123456", "861380000000012", "")};
    struct cw_card c[1] = {card("", "", 0)};
    struct tu_alert_sink s = {0};
    run("pair", e, c, 1, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.v[0].a.key, "447700900123456>861380000000012");
    tu_alert_sink_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_long_pair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
