/* test_rules_aggs.c - the rule language's aggregates and suppression: several 'threshold'
 * lines per rule (events, received, distinct exact and HyperLogLog, rate, span, ratio),
 * 'suppress' with held windows and their updates, the conditions direction, card.age,
 * card.outlet, card.range_province, person.province and imei prefix, 'group cell', the parse
 * errors of all these, and reload keeping (or not) the state of rules with thresholds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alert_sink.h"
#include "rules/rules.h"
#include "testutil.h"
#include "util/error.h"

#define SEC 1000000ull
#define MIN (60 * SEC)
#define T0 (1767225600ull * SEC) /* 2026-01-01T00:00:00Z */

/* ---- alerts (kept by tu_alert_keep) ---- */

/* The value of aggregate @p name in alert @p g; fails the test when absent. */
static double agg(const struct tu_alert *g, const char *name)
{
    for (unsigned i = 0; i < g->a.naggs; i++)
        if (!strcmp(g->a.aggs[i].name, name))
            return g->a.aggs[i].value;
    fail_msg("alert of %s/%s has no aggregate %s", g->a.rule, g->a.key, name);
    return 0;
}

/* ---- a ruleset and engine ---- */

struct rig {
    struct cw_ruleset *rs;
    struct cw_engine *e;
    struct tu_alert_sink s;
};

static struct cw_ruleset *parse_as(const char *name, const char *text)
{
    struct cw_ruleset *rs = NULL;
    char err[512] = "";
    int rc = cw_rules_parse_buffer(name, text, strlen(text), &rs, err, sizeof err);
    if (rc)
        fail_msg("unexpected parse error: %s", err);
    return rs;
}

static void rig_open(struct rig *r, const char *text)
{
    memset(r, 0, sizeof *r);
    r->rs = parse_as("t.rules", text);
    struct cw_alert_sink as = {tu_alert_keep, &r->s};
    assert_int_equal(cw_engine_new(r->rs, &as, &r->e), 0);
}

static void rig_close(struct rig *r)
{
    cw_engine_free(r->e);
    cw_rules_free(r->rs);
    tu_alert_sink_free(&r->s);
}

static struct cw_event mkev(uint64_t ts, int kind, const char *calling, const char *called)
{
    static uint64_t frame;
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.ts_us = ts;
    ev.frame = ++frame;
    ev.kind = (uint8_t)kind;
    ev.proto = CW_PROTO_MAP;
    snprintf(ev.calling, sizeof ev.calling, "%s", calling);
    snprintf(ev.called, sizeof ev.called, "%s", called);
    return ev;
}

static struct cw_card mkcard(const char *msisdn)
{
    struct cw_card c;
    memset(&c, 0, sizeof c);
    snprintf(c.msisdn, sizeof c.msisdn, "%s", msisdn);
    c.registered = 1;
    c.status = CW_CARD_ACTIVE;
    return c;
}

static void num(char *out, const char *prefix, unsigned i)
{
    snprintf(out, CW_NUM_MAX, "%s%08u", prefix, i);
}

#define CARD_A "8613800000001"

/* ---- distinct ---- */

/* 40 distinct called numbers among 100 events: exactly 40; '>= 40' fires, '>= 41' not. */
static void test_distinct_exact(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, "rule d40 {\n  category k\n  group card\n  window 1h\n"
                 "  threshold distinct called >= 40\n}\n"
                 "rule d41 {\n  category k\n  group card\n  window 1h\n"
                 "  threshold distinct called >= 41\n}\n");
    struct cw_card c = mkcard(CARD_A);
    for (unsigned i = 0; i < 100; i++) {
        char called[CW_NUM_MAX];
        num(called, "86139", i % 40);
        struct cw_event ev = mkev(T0 + i * SEC, CW_EV_SMS_MO, CARD_A, called);
        cw_engine_event(r.e, &ev, &c);
    }
    cw_engine_flush(r.e);
    assert_int_equal(r.s.n, 1);
    const struct tu_alert *g = tu_alert_find(&r.s, "d40", CARD_A);
    assert_non_null(g);
    assert_int_equal(g->a.events, 100);
    assert_int_equal(g->a.naggs, 1);
    assert_string_equal(g->a.aggs[0].name, "distinct_called");
    assert_string_equal(g->a.aggs[0].threshold, "distinct called >= 40");
    assert_true(g->a.aggs[0].value == 40.0);
    assert_null(tu_alert_find(&r.s, "d41", CARD_A));
    uint64_t per[2];
    struct cw_engine_stats st;
    cw_engine_stats(r.e, &st, per);
    assert_int_equal(per[0], 1);
    assert_int_equal(per[1], 0);
    rig_close(&r);
}

/* Past 64 values the set becomes a HyperLogLog: 1000 and 10000 values are estimated within
 * 20% (about 3 standard errors); the other distinct fields of one rule count independently. */
static void test_distinct_hll(void **state)
{
    (void)state;
    static const unsigned ns[] = {1000, 10000};
    for (size_t k = 0; k < 2; k++) {
        struct rig r;
        rig_open(&r, "rule h {\n  category k\n  group card\n  window 1d\n"
                     "  threshold distinct called >= 0\n  threshold distinct imei >= 0\n"
                     "  threshold distinct cell >= 0\n  threshold distinct outlet >= 0\n}\n");
        struct cw_card c = mkcard(CARD_A);
        snprintf(c.outlet, sizeof c.outlet, "OUT-33-0042");
        for (unsigned i = 0; i < ns[k]; i++) {
            char called[CW_NUM_MAX];
            num(called, "86139", i);
            struct cw_event ev = mkev(T0 + i * 1000, CW_EV_SMS_MO, CARD_A, called);
            snprintf(ev.imei, sizeof ev.imei, "3520990017614%u", i % 7); /* 7 devices */
            /* no cell: not counted */
            cw_engine_event(r.e, &ev, &c);
        }
        cw_engine_flush(r.e);
        assert_int_equal(r.s.n, 1);
        const struct tu_alert *g = &r.s.v[0];
        double est = agg(g, "distinct_called");
        if (est < ns[k] * 0.8 || est > ns[k] * 1.2)
            fail_msg("%u distinct values estimated as %.1f", ns[k], est);
        assert_true(agg(g, "distinct_imei") == 7.0);
        assert_true(agg(g, "distinct_cell") == 0.0);
        assert_true(agg(g, "distinct_outlet") == 1.0);
        rig_close(&r);
    }
}

/* ---- rate, span ---- */

static void test_rate(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, "rule r {\n  category k\n  group card\n  window 1h\n"
                 "  threshold rate >= 20\n}\n");
    struct cw_card a = mkcard(CARD_A), b = mkcard("8613800000002");
    for (unsigned i = 0; i < 30; i++) {
        /* A: 30 events in 58 s (the span counts as 1 min): 30/min */
        struct cw_event ev = mkev(T0 + i * 2 * SEC, CW_EV_SMS_MO, CARD_A, "8613900000001");
        cw_engine_event(r.e, &ev, &a);
        /* B: 30 events a minute apart, 29 min: about 1/min */
        ev = mkev(T0 + i * MIN + 1, CW_EV_SMS_MO, "8613800000002", "8613900000001");
        cw_engine_event(r.e, &ev, &b);
    }
    cw_engine_flush(r.e);
    assert_int_equal(r.s.n, 1);
    const struct tu_alert *g = tu_alert_find(&r.s, "r", CARD_A);
    assert_non_null(g);
    assert_string_equal(g->a.aggs[0].name, "rate_per_min");
    assert_true(g->a.aggs[0].value == 30.0);
    rig_close(&r);

    /* a decimal rate, '<': B's 30/29 min holds '< 1.5', A's does not */
    rig_open(&r, "rule r {\n  category k\n  group card\n  window 1h\n"
                 "  threshold rate < 1.5\n}\n");
    for (unsigned i = 0; i < 30; i++) {
        struct cw_event ev = mkev(T0 + i * 2 * SEC, CW_EV_SMS_MO, CARD_A, "8613900000001");
        cw_engine_event(r.e, &ev, &a);
        ev = mkev(T0 + i * MIN + 1, CW_EV_SMS_MO, "8613800000002", "8613900000001");
        cw_engine_event(r.e, &ev, &b);
    }
    cw_engine_flush(r.e);
    assert_int_equal(r.s.n, 1);
    g = tu_alert_find(&r.s, "r", "8613800000002");
    assert_non_null(g);
    double want = 30.0 * 60.0 / (29.0 * 60.0);
    assert_true(g->a.aggs[0].value > want - 1e-9 && g->a.aggs[0].value < want + 1e-9);
    rig_close(&r);
}

static void test_span(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, "rule s {\n  category k\n  group card\n  window 1h\n"
                 "  threshold span >= 5m\n  threshold events >= 2\n}\n");
    struct cw_card a = mkcard(CARD_A), b = mkcard("8613800000002");
    struct cw_event ev = mkev(T0, CW_EV_SMS_MO, CARD_A, "8613900000001");
    cw_engine_event(r.e, &ev, &a);
    ev = mkev(T0 + 4 * MIN, CW_EV_SMS_MO, CARD_A, "8613900000001");
    cw_engine_event(r.e, &ev, &a);
    ev = mkev(T0 + 1, CW_EV_SMS_MO, "8613800000002", "8613900000001");
    cw_engine_event(r.e, &ev, &b);
    ev = mkev(T0 + 1 + 6 * MIN, CW_EV_SMS_MO, "8613800000002", "8613900000001");
    cw_engine_event(r.e, &ev, &b);
    cw_engine_flush(r.e);
    assert_int_equal(r.s.n, 1);
    const struct tu_alert *g = tu_alert_find(&r.s, "s", "8613800000002");
    assert_non_null(g);
    assert_int_equal(g->a.naggs, 2);
    assert_string_equal(g->a.aggs[0].name, "span_s");
    assert_string_equal(g->a.aggs[0].threshold, "span >= 5m");
    assert_true(g->a.aggs[0].value == 360.0);
    assert_string_equal(g->a.aggs[1].name, "events");
    assert_true(g->a.aggs[1].value == 2.0);
    rig_close(&r);
}

/* ---- ratio and received ---- */

static const char ratio_rule[] = "rule r {\n  category k\n  when kind == sms_mo\n  group card\n"
                                 "  window 1h\n  threshold ratio events / received >= 10\n}\n";

/* Card A sends 20 SMS; @p nrecv SMS from B are addressed to A's national number, at
 * @p recv_at (before or after A's first). Returns the sink's alerts. */
static void run_ratio(unsigned nrecv, uint64_t recv_at, struct tu_alert_sink *out)
{
    struct rig r;
    rig_open(&r, ratio_rule);
    cw_engine_set_country(r.e, "86");
    struct cw_card a = mkcard(CARD_A), b = mkcard("8613900000009");
    const uint64_t a_at = T0 + 10 * SEC; /* A's 20 SMS: one a second from here */
    for (int pass = 0; pass < 2; pass++) {
        /* in packet-time order: B's before A's when recv_at is earlier, else after */
        if ((pass == 0) == (recv_at < a_at))
            for (unsigned i = 0; i < nrecv; i++) {
                struct cw_event ev =
                    mkev(recv_at + i, CW_EV_SMS_MO, "8613900000009", "13800000001");
                cw_engine_event(r.e, &ev, &b);
            }
        else
            for (unsigned i = 0; i < 20; i++) {
                char called[CW_NUM_MAX];
                num(called, "86137", 100 + i);
                struct cw_event ev = mkev(a_at + i * SEC, CW_EV_SMS_MO, "13800000001", called);
                cw_engine_event(r.e, &ev, &a);
            }
    }
    cw_engine_flush(r.e);
    *out = r.s;
    memset(&r.s, 0, sizeof r.s); /* the records are the caller's now */
    rig_close(&r);
}

static void test_ratio_received(void **state)
{
    (void)state;
    struct tu_alert_sink s;
    /* 20 sent, 1 received (national form, normalised with "86"): ratio 20 */
    run_ratio(1, T0 + 30 * SEC, &s);
    assert_int_equal(s.n, 1);
    const struct tu_alert *g = tu_alert_find(&s, "r", CARD_A);
    assert_non_null(g);
    assert_int_equal(g->a.events, 20);
    assert_int_equal(g->a.received, 1);
    assert_string_equal(g->a.aggs[0].name, "ratio_events_received");
    assert_string_equal(g->a.aggs[0].threshold, "ratio events / received >= 10");
    assert_true(g->a.aggs[0].value == 20.0);
    tu_alert_sink_free(&s);

    /* 5 received: ratio 4, no alert (B's own window: 5 sent / 0 received = 5, none either) */
    run_ratio(5, T0 + 30 * SEC, &s);
    assert_int_equal(s.n, 0);
    tu_alert_sink_free(&s);

    /* received before A's window opened: not counted, ratio 20 / max(0, 1) */
    run_ratio(5, T0, &s);
    assert_int_equal(s.n, 1);
    g = tu_alert_find(&s, "r", CARD_A);
    assert_non_null(g);
    assert_int_equal(g->a.received, 0);
    assert_true(g->a.aggs[0].value == 20.0);
    tu_alert_sink_free(&s);
}

/* Without a country code numbers are compared as written: the national form does not reach
 * the international key; 'received' alone, and a kind operand, work. */
static void test_received_forms(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, "rule r {\n  category k\n  when kind in [sms_mo, call]\n  group card\n"
                 "  window 1h\n  threshold received >= 2\n"
                 "  threshold ratio sms_mo / call > 1.5\n}\n");
    struct cw_card a = mkcard(CARD_A), b = mkcard("8613900000009");
    struct cw_event ev = mkev(T0, CW_EV_SMS_MO, CARD_A, "8613900000001");
    cw_engine_event(r.e, &ev, &a);
    ev = mkev(T0 + 1, CW_EV_SMS_MO, CARD_A, "8613900000001");
    cw_engine_event(r.e, &ev, &a);
    ev = mkev(T0 + 2, CW_EV_CALL, CARD_A, "8613900000001");
    cw_engine_event(r.e, &ev, &a);
    ev = mkev(T0 + 3, CW_EV_SMS_MO, "8613900000009", "13800000001"); /* no cc: not A */
    cw_engine_event(r.e, &ev, &b);
    ev = mkev(T0 + 4, CW_EV_CALL, "8613900000009", CARD_A);
    cw_engine_event(r.e, &ev, &b);
    ev = mkev(T0 + 5, CW_EV_REGISTER, "8613900000009", CARD_A); /* not a rule kind */
    cw_engine_event(r.e, &ev, &b);
    cw_engine_flush(r.e);
    assert_int_equal(r.s.n, 0); /* received 1 */
    rig_close(&r);

    rig_open(&r, "rule r {\n  category k\n  when kind in [sms_mo, call]\n  group card\n"
                 "  window 1h\n  threshold received >= 2\n"
                 "  threshold ratio sms_mo / call > 1.5\n}\n");
    ev = mkev(T0, CW_EV_SMS_MO, CARD_A, "8613900000001");
    cw_engine_event(r.e, &ev, &a);
    ev = mkev(T0 + 1, CW_EV_SMS_MO, CARD_A, "8613900000001");
    cw_engine_event(r.e, &ev, &a);
    ev = mkev(T0 + 2, CW_EV_CALL, CARD_A, "8613900000001");
    cw_engine_event(r.e, &ev, &a);
    ev = mkev(T0 + 3, CW_EV_SMS_MO, "8613900000009", CARD_A);
    cw_engine_event(r.e, &ev, &b);
    ev = mkev(T0 + 4, CW_EV_CALL, "8613900000009", CARD_A);
    cw_engine_event(r.e, &ev, &b);
    cw_engine_flush(r.e);
    assert_int_equal(r.s.n, 1);
    const struct tu_alert *g = tu_alert_find(&r.s, "r", CARD_A);
    assert_non_null(g);
    assert_int_equal(g->a.received, 2);
    assert_true(agg(g, "received") == 2.0);
    assert_true(agg(g, "ratio_sms_mo_call") == 2.0);
    rig_close(&r);
}

/* ---- suppress ---- */

static const char suppress_rule[] = "rule s {\n  category k\n  when kind == sms_mo\n  group card\n"
                                    "  window 10m\n  suppress 1h\n  threshold events >= 3\n}\n";

static void feed(struct rig *r, uint64_t ts, const char *card, int kind)
{
    struct cw_card c = mkcard(card);
    struct cw_event ev = mkev(ts, kind, card, "8613900000001");
    cw_engine_event(r->e, &ev, &c);
}

/* ---- sliding windows ---- */

static const char fixed_rule[] = "rule s {\n  category k\n  group card\n  window 10m\n"
                                 "  threshold events >= 5\n}\n";
static const char sliding_rule[] = "rule s {\n  category k\n  group card\n  window 10m sliding\n"
                                   "  threshold events >= 5\n}\n";

/* One event at 0, then a burst of six from 8 to 12.5 minutes: a fixed window (0 to 10 min)
 * holds four of them and the next (from 10 min) three, so neither alerts; with 'sliding' a
 * second window opens at 8 min (half a window after the first) and holds all six. */
static void test_sliding_catches_a_straddling_burst(void **state)
{
    (void)state;
    for (int sliding = 0; sliding < 2; sliding++) {
        struct rig r;
        rig_open(&r, sliding ? sliding_rule : fixed_rule);
        feed(&r, T0, CARD_A, CW_EV_SMS_MO);
        for (unsigned i = 0; i < 6; i++)
            feed(&r, T0 + 8 * MIN + i * 54 * SEC, CARD_A, CW_EV_SMS_MO);
        cw_engine_flush(r.e);
        if (!sliding) {
            assert_int_equal(r.s.n, 0);
        } else {
            assert_int_equal(r.s.n, 1);
            assert_int_equal(r.s.v[0].a.events, 6);
            assert_int_equal(r.s.v[0].a.first_ts_us, T0 + 8 * MIN);
            assert_int_equal(r.s.v[0].a.update, 0);
            assert_int_equal(r.s.v[0].a.sliding, 1);
        }
        rig_close(&r);
    }
}

/* Steady activity: windows open every half window and each meets the threshold; the first
 * alerts, each later overlapping one reports an update of it; after a quiet spell longer
 * than a window the key alerts anew. */
static void test_sliding_updates_not_floods(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, sliding_rule);
    for (unsigned m = 0; m < 30; m++)
        feed(&r, T0 + m * MIN, CARD_A, CW_EV_SMS_MO);
    for (unsigned m = 0; m < 5; m++)
        feed(&r, T0 + 60 * MIN + m * MIN, CARD_A, CW_EV_SMS_MO);
    cw_engine_flush(r.e);
    unsigned alerts = 0, updates = 0;
    for (size_t i = 0; i < r.s.n; i++) {
        if (r.s.v[i].a.update)
            updates++;
        else
            alerts++;
        assert_true(r.s.v[i].a.events >= 5);
        assert_true(r.s.v[i].a.last_ts_us - r.s.v[i].a.first_ts_us < 10 * MIN);
    }
    /* windows open at 0, 5, 10, 15, 20, 25 min: one alert and five updates; then one at 60 */
    assert_int_equal(alerts, 2);
    assert_int_equal(updates, 5);
    assert_int_equal(r.s.v[r.s.n - 1].a.first_ts_us, T0 + 60 * MIN);
    assert_int_equal(r.s.v[r.s.n - 1].a.update, 0);
    struct cw_engine_stats st;
    cw_engine_stats(r.e, &st, NULL);
    assert_int_equal(st.alerts, 2);
    assert_int_equal(st.updates, 5);
    rig_close(&r);
}

static void test_suppress(void **state)
{
    (void)state;
    const char *B = "8613800000002";
    struct rig r;
    rig_open(&r, suppress_rule);
    for (unsigned i = 0; i < 3; i++) {
        feed(&r, T0 + i * MIN, CARD_A, CW_EV_SMS_MO);
        feed(&r, T0 + i * MIN + 1, B, CW_EV_SMS_MO); /* B: no more events after these */
    }
    feed(&r, T0 + 10 * MIN - 1, CARD_A, CW_EV_REGISTER); /* not counted; nothing due yet */
    assert_int_equal(r.s.n, 0);
    feed(&r, T0 + 10 * MIN, CARD_A, CW_EV_REGISTER); /* A's window ends: its alert */
    assert_int_equal(r.s.n, 1);
    feed(&r, T0 + 10 * MIN + 1, CARD_A, CW_EV_REGISTER); /* B's */
    assert_int_equal(r.s.n, 2);
    const struct tu_alert *g = tu_alert_find(&r.s, "s", CARD_A);
    assert_non_null(g);
    assert_int_equal(g->a.update, 0);
    assert_int_equal(g->a.events, 3);
    assert_int_equal(g->a.suppress_us, 60 * MIN);
    /* 5 more at 20-40 min: counted in the held window, no alert until the period ends */
    for (unsigned i = 0; i < 5; i++)
        feed(&r, T0 + (20 + 5 * i) * MIN, CARD_A, CW_EV_SMS_MO);
    feed(&r, T0 + 60 * MIN - 1, CARD_A, CW_EV_REGISTER);
    assert_int_equal(r.s.n, 2);
    struct cw_engine_stats st;
    cw_engine_stats(r.e, &st, NULL);
    assert_int_equal(st.keys, 2);                        /* both held */
    feed(&r, T0 + 60 * MIN + 2, CARD_A, CW_EV_REGISTER); /* both periods end */
    assert_int_equal(r.s.n, 3);                          /* A's update only */
    g = &r.s.v[2];
    assert_string_equal(g->a.key, CARD_A);
    assert_int_equal(g->a.update, 1);
    assert_int_equal(g->a.events, 8);
    assert_int_equal(g->a.first_ts_us, T0);
    assert_int_equal(g->a.last_ts_us, T0 + 40 * MIN);
    cw_engine_stats(r.e, &st, NULL);
    assert_int_equal(st.keys, 0);
    /* a new window at 70 min, alerting again at its end */
    for (unsigned i = 0; i < 3; i++)
        feed(&r, T0 + (70 + i) * MIN, CARD_A, CW_EV_SMS_MO);
    feed(&r, T0 + 80 * MIN, CARD_A, CW_EV_REGISTER);
    assert_int_equal(r.s.n, 4);
    g = &r.s.v[3];
    assert_string_equal(g->a.key, CARD_A);
    assert_int_equal(g->a.update, 0);
    assert_int_equal(g->a.events, 3);
    assert_int_equal(g->a.first_ts_us, T0 + 70 * MIN);
    cw_engine_flush(r.e); /* held again, nothing more counted: no update */
    assert_int_equal(r.s.n, 4);
    uint64_t per[1];
    cw_engine_stats(r.e, &st, per);
    assert_int_equal(st.alerts, 3);
    assert_int_equal(st.updates, 1);
    assert_int_equal(per[0], 3);
    assert_int_equal(st.keys, 0);
    rig_close(&r);
}

/* A held window still counting at the end of input reports its update at flush; a window that
 * ends under the threshold is not held. */
static void test_suppress_flush(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, suppress_rule);
    for (unsigned i = 0; i < 3; i++)
        feed(&r, T0 + i * MIN, CARD_A, CW_EV_SMS_MO);
    feed(&r, T0 + 2 * MIN, "8613800000002", CW_EV_SMS_MO); /* under the threshold */
    feed(&r, T0 + 15 * MIN, CARD_A, CW_EV_SMS_MO);         /* held: counted */
    assert_int_equal(r.s.n, 1);
    struct cw_engine_stats st;
    cw_engine_stats(r.e, &st, NULL);
    assert_int_equal(st.keys, 1);
    feed(&r, T0 + 16 * MIN, "8613800000002", CW_EV_SMS_MO); /* a new window for it */
    cw_engine_flush(r.e);
    assert_int_equal(r.s.n, 2);
    assert_int_equal(r.s.v[1].a.update, 1);
    assert_int_equal(r.s.v[1].a.events, 4);
    cw_engine_stats(r.e, &st, NULL);
    assert_int_equal(st.alerts, 1);
    assert_int_equal(st.updates, 1);
    rig_close(&r);
}

/* ---- conditions ---- */

/* A locator for the cell conditions: cells "46000-21..." are in 33, "46000-0b..." in 11,
 * "46000-2c..." in 44; others unknown. Counts its calls. */
static unsigned locator_calls;
static int locate(void *user, const char *cell, char province[3])
{
    (void)user;
    locator_calls++;
    static const char *const map[][2] = {
        {"46000-21", "33"}, {"46000-0b", "11"}, {"46000-2c", "44"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strncmp(cell, map[i][0], strlen(map[i][0]))) {
            memcpy(province, map[i][1], 3);
            return 1;
        }
    return 0;
}
static int use_locator; /* matched() gives its engine the locator */

/* Events matched by a one-condition rule (group calling) over one event. @p dir: the rule
 * file's directory (its lists), or NULL. */
static uint64_t matched(const char *dir, const char *cond, const struct cw_event *ev,
                        const struct cw_card *c)
{
    char text[512], name[512];
    snprintf(text, sizeof text,
             "%srule r {\n  category k\n  when %s\n  group calling\n  window 1h\n"
             "  threshold events >= 1\n}\n",
             dir ? "list tac \"tac.prefix\"\n" : "", cond);
    snprintf(name, sizeof name, "%s%st.rules", dir ? dir : "", dir ? "/" : "");
    struct cw_ruleset *rs = parse_as(name, text);
    struct cw_engine *e = NULL;
    assert_int_equal(cw_engine_new(rs, NULL, &e), 0);
    if (use_locator)
        cw_engine_set_locator(e, locate, NULL);
    cw_engine_event(e, ev, c);
    struct cw_engine_stats st;
    cw_engine_stats(e, &st, NULL);
    cw_engine_free(e);
    cw_rules_free(rs);
    return st.matched;
}

#define MATCH(cond, ev, c) assert_int_equal(matched(NULL, cond, ev, c), 1)
#define NOMATCH(cond, ev, c) assert_int_equal(matched(NULL, cond, ev, c), 0)

static void test_cond_direction(void **state)
{
    (void)state;
    struct cw_card c = mkcard(CARD_A);
    static const int mo[] = {CW_EV_SMS_MO,   CW_EV_CALL,         CW_EV_CALL_CANCEL,
                             CW_EV_REGISTER, CW_EV_DATA_SESSION, CW_EV_AUTH};
    static const int mt[] = {CW_EV_SMS_MT, CW_EV_LOOKUP};
    for (size_t i = 0; i < sizeof mo / sizeof mo[0]; i++) {
        struct cw_event ev = mkev(T0, mo[i], CARD_A, "8613900000001");
        MATCH("direction == mo", &ev, &c);
        NOMATCH("direction == mt", &ev, &c);
        MATCH("direction != mt", &ev, &c);
    }
    for (size_t i = 0; i < sizeof mt / sizeof mt[0]; i++) {
        struct cw_event ev = mkev(T0, mt[i], CARD_A, "8613900000001");
        NOMATCH("direction == mo", &ev, &c);
        MATCH("direction == mt", &ev, &c);
        MATCH("direction in [mo, mt]", &ev, &c);
    }
}

static void test_cond_age(void **state)
{
    (void)state;
    struct cw_event ev = mkev(T0, CW_EV_SMS_MO, CARD_A, "8613900000001");
    int64_t now = (int64_t)(T0 / SEC);
    struct cw_card c = mkcard(CARD_A);
    c.registered_at = now - 3 * 86400; /* 3 days old */
    MATCH("card.age < 7d", &ev, &c);
    MATCH("card.age <= 72h", &ev, &c);
    NOMATCH("card.age < 72h", &ev, &c);
    NOMATCH("card.age >= 7d", &ev, &c);
    MATCH("card.age > 1d", &ev, &c);
    c.registered_at = now - 10 * 86400;
    NOMATCH("card.age < 7d", &ev, &c);
    MATCH("card.age >= 7d", &ev, &c);
    c.registered_at = now - 7 * 86400; /* exactly 7 days */
    NOMATCH("card.age < 7d", &ev, &c);
    MATCH("card.age <= 7d", &ev, &c);
    MATCH("card.age >= 7d", &ev, &c);
    NOMATCH("card.age > 7d", &ev, &c);
    c.registered_at = 0; /* unknown: never matches, whatever the comparison */
    NOMATCH("card.age < 7d", &ev, &c);
    NOMATCH("card.age >= 7d", &ev, &c);
    NOMATCH("card.age < 7d", &ev, NULL);
}

static void test_cond_outlet(void **state)
{
    (void)state;
    struct cw_event ev = mkev(T0, CW_EV_SMS_MO, CARD_A, "8613900000001");
    struct cw_card c = mkcard(CARD_A);
    snprintf(c.outlet, sizeof c.outlet, "OUT-33-0042");
    MATCH("card.outlet == \"OUT-33-0042\"", &ev, &c);
    MATCH("card.outlet in [\"A\", \"OUT-33-0042\"]", &ev, &c);
    NOMATCH("card.outlet != \"OUT-33-0042\"", &ev, &c);
    NOMATCH("card.outlet not in [\"A\", \"OUT-33-0042\"]", &ev, &c);
    NOMATCH("card.outlet == \"OUT-33-004\"", &ev, &c); /* whole string, not a prefix */
    snprintf(c.outlet, sizeof c.outlet, "OUT-33-0043");
    NOMATCH("card.outlet == \"OUT-33-0042\"", &ev, &c);
    NOMATCH("card.outlet in [\"A\", \"OUT-33-0042\"]", &ev, &c);
    MATCH("card.outlet != \"OUT-33-0042\"", &ev, &c);
    MATCH("card.outlet not in [\"A\", \"B\"]", &ev, &c);
    c.outlet[0] = '\0'; /* no outlet: equal to none */
    NOMATCH("card.outlet == \"OUT-33-0042\"", &ev, &c);
    MATCH("card.outlet != \"OUT-33-0042\"", &ev, &c);
}

static void test_cond_provinces(void **state)
{
    (void)state;
    struct cw_event ev = mkev(T0, CW_EV_SMS_MO, CARD_A, "8613900000001");
    struct cw_card c = mkcard(CARD_A);
    memcpy(c.province, "11", 3);
    memcpy(c.range_province, "33", 3);
    MATCH("card.range_province == 33", &ev, &c);
    MATCH("card.range_province in [11, \"33\"]", &ev, &c);
    NOMATCH("card.range_province == 11", &ev, &c);
    MATCH("card.range_province != 11", &ev, &c);
    c.range_province[0] = '\0';
    NOMATCH("card.range_province == 33", &ev, &c);
    /* the holder's ID region: only when the record names an ID number */
    memcpy(c.id_province, "44", 3);
    c.has_id = 1;
    MATCH("person.province == 44", &ev, &c);
    NOMATCH("person.province == 33", &ev, &c);
    c.has_id = 0;
    NOMATCH("person.province == 44", &ev, &c);
}

/* Where the device is: the cell's province from the locator, against the card's home region
 * (its range's province, else its registration province) and its holder's ID region. */
static void test_cond_cells(void **state)
{
    (void)state;
    struct cw_card c = mkcard(CARD_A);
    memcpy(c.province, "11", 3);
    c.has_id = 1;
    memcpy(c.id_province, "44", 3);
    struct cw_event ev = mkev(T0, CW_EV_SMS_MO, CARD_A, "8613900000001");
    snprintf(ev.cell, sizeof ev.cell, "46000-2100001");
    /* without a locator nothing is located */
    NOMATCH("cell.located", &ev, &c);
    NOMATCH("cell.province == 33", &ev, &c);
    use_locator = 1;
    MATCH("cell.located", &ev, &c);
    MATCH("cell.province == 33", &ev, &c);
    MATCH("cell.province in [11, 33]", &ev, &c);
    NOMATCH("cell.province == 11", &ev, &c);
    NOMATCH("cell.in_home_region", &ev, &c); /* home 11 (registration, no range province) */
    NOMATCH("cell.in_id_region", &ev, &c);   /* ID 44 */
    NOMATCH("person.in_home_region", &ev, &c);
    snprintf(ev.cell, sizeof ev.cell, "46000-0b00001"); /* in 11: home */
    MATCH("cell.in_home_region", &ev, &c);
    NOMATCH("cell.in_id_region", &ev, &c);
    memcpy(c.range_province, "33", 3); /* the range's province comes first */
    NOMATCH("cell.in_home_region", &ev, &c);
    snprintf(ev.cell, sizeof ev.cell, "46000-2100001");
    MATCH("cell.in_home_region", &ev, &c);
    snprintf(ev.cell, sizeof ev.cell, "46000-2c00001"); /* in 44: the ID's region */
    MATCH("cell.in_id_region", &ev, &c);
    MATCH("not cell.in_home_region", &ev, &c);
    memcpy(c.id_province, "33", 3);
    MATCH("person.in_home_region", &ev, &c);
    c.has_id = 0; /* no ID number: no ID region */
    NOMATCH("person.in_home_region", &ev, &c);
    NOMATCH("cell.in_id_region", &ev, &c);
    /* an unknown cell, or none: not located, in no region */
    snprintf(ev.cell, sizeof ev.cell, "46001-2100001");
    NOMATCH("cell.located", &ev, &c);
    MATCH("not cell.in_home_region", &ev, &c);
    NOMATCH("cell.province == 33", &ev, &c);
    ev.cell[0] = '\0';
    locator_calls = 0;
    NOMATCH("cell.located", &ev, &c);
    assert_int_equal(locator_calls, 0); /* no cell: the locator is not asked */
    /* one lookup per event however many conditions ask */
    snprintf(ev.cell, sizeof ev.cell, "46000-2100001");
    locator_calls = 0;
    struct rig r;
    rig_open(&r, "rule a {\n  category k\n  when cell.located\n  when not cell.in_id_region\n"
                 "  when cell.province == 33\n  group calling\n  window 1h\n"
                 "  threshold events >= 1\n}\n"
                 "rule b {\n  category k\n  when cell.in_home_region\n  group calling\n"
                 "  window 1h\n  threshold events >= 1\n}\n");
    cw_engine_set_locator(r.e, locate, NULL);
    cw_engine_event(r.e, &ev, &c);
    cw_engine_flush(r.e);
    assert_int_equal(locator_calls, 1);
    assert_int_equal(r.s.n, 2);
    rig_close(&r);
    use_locator = 0;
}

static void test_cond_imei_prefix(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char path[1024];
    snprintf(path, sizeof path, "%s/tac.prefix", dir);
    static const char tacs[] = "# TACs\n35209900\n35875801\n";
    tu_write_file(path, tacs, strlen(tacs));
    struct cw_card c = mkcard(CARD_A);
    struct cw_event ev = mkev(T0, CW_EV_SMS_MO, CARD_A, "8613900000001");
    snprintf(ev.imei, sizeof ev.imei, "352099001761481");
    assert_int_equal(matched(dir, "imei prefix tac", &ev, &c), 1);
    assert_int_equal(matched(dir, "not imei prefix tac", &ev, &c), 0);
    snprintf(ev.imei, sizeof ev.imei, "490154203237518");
    assert_int_equal(matched(dir, "imei prefix tac", &ev, &c), 0);
    assert_int_equal(matched(dir, "not imei prefix tac", &ev, &c), 1);
    ev.imei[0] = '\0';
    assert_int_equal(matched(dir, "imei prefix tac", &ev, &c), 0);
    tu_rmrf(dir);
    free(dir);
}

/* ---- group cell ---- */

static void test_group_cell(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, "rule c {\n  category k\n  group cell\n  window 1h\n  threshold events >= 1\n"
                 "  samples 8\n}\n");
    static const char *const cells[] = {"46000-0c3d4e5", "46000-0c3d4e6", "46000-0c3d4e5", ""};
    for (unsigned i = 0; i < 4; i++) {
        char calling[CW_NUM_MAX];
        num(calling, "86138", i);
        struct cw_event ev = mkev(T0 + i, CW_EV_SMS_MO, calling, "8613900000001");
        snprintf(ev.cell, sizeof ev.cell, "%s", cells[i]);
        snprintf(ev.imei, sizeof ev.imei, "35209900176148%u", i);
        cw_engine_event(r.e, &ev, NULL);
    }
    struct cw_engine_stats st;
    cw_engine_stats(r.e, &st, NULL);
    assert_int_equal(st.keys, 2); /* the event without a cell opened none */
    assert_int_equal(st.matched, 3);
    cw_engine_flush(r.e);
    assert_int_equal(r.s.n, 2);
    const struct tu_alert *g = tu_alert_find(&r.s, "c", "46000-0c3d4e5");
    assert_non_null(g);
    assert_int_equal(g->a.events, 2);
    assert_int_equal(g->a.nsamples, 2);
    assert_string_equal(g->a.samples[0].cell, "46000-0c3d4e5");
    assert_string_equal(g->a.samples[0].imei, "352099001761480");
    assert_string_equal(g->a.samples[1].imei, "352099001761482");
    g = tu_alert_find(&r.s, "c", "46000-0c3d4e6");
    assert_non_null(g);
    assert_int_equal(g->a.events, 1);
    assert_string_equal(g->a.samples[0].cell, "46000-0c3d4e6");
    rig_close(&r);
}

/* ---- parse ---- */

#define HEAD "rule r {\n  category k\n  group card\n  window 1h\n" /* lines 1-4 */

/* Rule file @p text: expect exactly @p want as the error. */
static void perr_text(const char *text, const char *want)
{
    struct cw_ruleset *rs = NULL;
    char err[512] = "";
    int rc = cw_rules_parse_buffer("t.rules", text, strlen(text), &rs, err, sizeof err);
    if (rc != CW_EFORMAT)
        fail_msg("parsed (rc %d), want error %s\n--\n%s", rc, want, text);
    assert_null(rs);
    if (strcmp(err, want) != 0)
        fail_msg("error\n  %s\nwant\n  %s", err, want);
}

/* @p body after HEAD and before "}": expect exactly @p want as the error. */
static void perr(const char *body, const char *want)
{
    char text[1024];
    snprintf(text, sizeof text, HEAD "%s}\n", body);
    perr_text(text, want);
}

static void pok(const char *body)
{
    char text[1024];
    snprintf(text, sizeof text, HEAD "%s}\n", body);
    cw_rules_free(parse_as("t.rules", text));
}

static void test_parse_errors(void **state)
{
    (void)state;
    perr_text("rule r {\n  category k\n  group card\n  window 10m slide\n"
              "  threshold events >= 1\n}\n",
              "t.rules:4:14: error: expected end of line after the 'window' statement (a "
              "duration, then 'sliding' or nothing), got 'slide'");
    perr("  threshold median >= 3\n",
         "t.rules:5:13: error: expected an aggregate after 'threshold' (events, received, "
         "distinct, rate, span, ratio), got 'median'");
    perr("  threshold distinct colour >= 3\n",
         "t.rules:5:22: error: expected a field to count distinct values of (called, calling, "
         "card, imsi, imei, cell, outlet), got 'colour'");
    perr("  threshold ratio events received >= 3\n",
         "t.rules:5:26: error: expected '/' between the two counts of a ratio (write 'ratio "
         "events / received'), got 'received'");
    perr("  threshold ratio events / events >= 3\n",
         "t.rules:5:28: error: a ratio of a count to itself is always 1");
    perr("  threshold ratio events / nothing >= 3\n",
         "t.rules:5:28: error: expected a count for the ratio: events, received or an event kind "
         "(sms_mo, call, ...), got 'nothing'");
    perr("  threshold distinct called >= 1.5\n",
         "t.rules:5:32: error: expected a whole number after 'threshold distinct called >=', got "
         "'1.5'");
    perr("  threshold events >= 2.0\n",
         "t.rules:5:23: error: expected a whole number after 'threshold events >=', got '2.0'");
    perr("  threshold rate >= 1.\n",
         "t.rules:5:21: error: expected a number (like 10 or 0.5) after 'threshold rate >=', got "
         "'1.'");
    perr("  threshold rate 5\n",
         "t.rules:5:18: error: expected a comparison (>, >=, <, <=, ==, !=) after 'threshold "
         "rate', got '5'");
    perr("  threshold received >= 1000000001\n",
         "t.rules:5:25: error: expected a number of at most 1000000000, got '1000000001'");
    perr("  threshold distinct called >= 1\n  threshold distinct calling >= 1\n"
         "  threshold distinct imei >= 1\n  threshold distinct cell >= 1\n"
         "  threshold distinct imsi >= 1\n",
         "t.rules:9:22: error: too many 'distinct' thresholds in rule 'r' (at most 4)");
    perr("  threshold events >= 1\n  threshold events >= 1\n  threshold events >= 1\n"
         "  threshold events >= 1\n  threshold events >= 1\n  threshold events >= 1\n"
         "  threshold events >= 1\n  threshold events >= 1\n  threshold events >= 1\n",
         "t.rules:13:13: error: too many 'threshold' lines in rule 'r' (at most 8)");
    perr("  threshold events >= 1\n  suppress soon\n",
         "t.rules:6:12: error: expected a duration like 30s, 10m, 1h, 7d, got 'soon'");
    perr("  threshold events >= 1\n  suppress 0m\n",
         "t.rules:6:12: error: expected a suppression period of at least 1s, got '0m'");
    perr("  threshold events >= 1\n  suppress 367d\n",
         "t.rules:6:12: error: expected a suppression period of at most 366d, got '367d'");
    perr("  threshold events >= 1\n  suppress 1h\n  suppress 2h\n",
         "t.rules:7:3: error: 'suppress' given twice in rule 'r' (first at line 6)");
    perr("  threshold span >= 5\n",
         "t.rules:5:21: error: expected a duration like 30s, 10m, 1h, 7d, got '5'");
    perr("  threshold span >= 0s\n",
         "t.rules:5:21: error: expected a span of at least 1s, got '0s'");
    perr("  threshold events >= 1\n  when card.age < 7\n",
         "t.rules:6:19: error: expected a duration like 30s, 10m, 1h, 7d, got '7'");
    perr("  threshold events >= 1\n  when card.age < 1.5d\n",
         "t.rules:6:19: error: expected a duration like 30s, 10m, 1h, 7d, got '1.5d'");
    perr("  threshold events >= 1\n  when card.age == 7d\n",
         "t.rules:6:17: error: expected a comparison (>, >=, <, <=) and a duration after "
         "'card.age', got '=='");
    perr("  threshold events >= 1\n  when not card.age < 7d\n",
         "t.rules:6:12: error: 'not' goes before a boolean field; 'card.age' is a count: write a "
         "comparison such as 'card.age <= 5'");
    perr("  threshold events >= 1\n  when direction == up\n",
         "t.rules:6:21: error: expected a direction (mo, mt), got 'up'");
    perr("  threshold events >= 1\n  when card.outlet == \"\"\n",
         "t.rules:6:23: error: expected a value of 1 to 63 bytes for 'card.outlet', got string "
         "\"\"");
    perr("  threshold events >= 1\n  when card.outlet == "
         "\"0123456789012345678901234567890123456789012345678901234567890123\"\n",
         "t.rules:6:23: error: expected a value of 1 to 63 bytes for 'card.outlet', got string "
         "\"0123456789012345678901234567890123456789...\"");
    perr("  threshold events >= 1\n  when person.province == 3\n",
         "t.rules:6:27: error: expected a 2-digit province code like 33, got '3'");
    perr("  threshold events >= 1\n  when imei prefix nope\n",
         "t.rules:6:20: error: unknown list 'nope' (declare it before the rule: list nope "
         "\"FILE\")");

    /* 'received' (alone, or in a ratio) with group called: refused at the rule */
    perr_text("rule q {\n  category k\n  group called\n  window 1h\n"
              "  threshold received >= 1\n}\n",
              "t.rules:1:1: error: rule 'q' counts 'received', which needs 'group card' or "
              "'group calling' (what the key received is what was addressed to its number)");
    perr_text("rule q {\n  category k\n  group imei\n  window 1h\n"
              "  threshold ratio sms_mo / received > 2\n}\n",
              "t.rules:1:1: error: rule 'q' counts 'received', which needs 'group card' or "
              "'group calling' (what the key received is what was addressed to its number)");

    /* what is fine */
    pok("  threshold distinct called >= 1\n  threshold distinct calling >= 1\n"
        "  threshold distinct imei >= 1\n  threshold distinct cell >= 1\n"
        "  threshold events > 3\n  threshold rate <= 0.25\n  threshold span < 366d\n"
        "  threshold ratio sms_mo / call != 1\n  suppress 1d\n");
    pok("  threshold events >= 1\n  when card.age >= 30d\n  when direction == mt\n"
        "  when card.outlet in [\"OUT-33-0042\",\n    \"OUT-33-0043\"]\n"
        "  when card.range_province != 33\n  when person.province in [11, 33]\n");
    /* distinct calling counts nothing received: fine with any group */
    cw_rules_free(parse_as("t.rules", "rule q {\n  category k\n  group called\n  window 1h\n"
                                      "  threshold distinct calling >= 50\n}\n"));
    cw_rules_free(parse_as("t.rules", "rule q {\n  category k\n  group cell\n  window 1h\n"
                                      "  threshold distinct card >= 50\n}\n"));
}

/* ---- reload ---- */

static const char reload_rule[] = "rule d {\n  category k\n  group card\n  window 1h\n"
                                  "  threshold distinct called >= %u\n  threshold rate < %s\n}\n";

static void reload_run(unsigned n2, const char *rate2, struct tu_alert_sink *out, uint64_t *kept)
{
    char t1[256], t2[256];
    snprintf(t1, sizeof t1, reload_rule, 4u, "100");
    snprintf(t2, sizeof t2, reload_rule, n2, rate2);
    struct rig r;
    rig_open(&r, t1);
    struct cw_card c = mkcard(CARD_A);
    for (unsigned i = 0; i < 4; i++) {
        struct cw_ruleset *rs2 = NULL;
        if (i == 2) {
            rs2 = parse_as("t2.rules", t2);
            assert_int_equal(cw_engine_reload(r.e, rs2), 0);
            cw_rules_free(r.rs);
            r.rs = rs2;
            struct cw_engine_stats st;
            cw_engine_stats(r.e, &st, NULL);
            *kept = st.reload_kept;
            assert_int_equal(st.reload_kept + st.reload_fresh, 1);
            assert_int_equal(st.reload_removed, 0);
        }
        char called[CW_NUM_MAX];
        num(called, "86139", i);
        struct cw_event ev = mkev(T0 + i * SEC, CW_EV_SMS_MO, CARD_A, called);
        cw_engine_event(r.e, &ev, &c);
    }
    cw_engine_flush(r.e);
    *out = r.s;
    memset(&r.s, 0, sizeof r.s); /* the records are the caller's now */
    rig_close(&r);
}

static void test_reload(void **state)
{
    (void)state;
    struct tu_alert_sink s;
    uint64_t kept = 9;
    /* unchanged (parsed again from another file): the window keeps counting */
    reload_run(4, "100", &s, &kept);
    assert_int_equal(kept, 1);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].a.events, 4);
    assert_true(agg(&s.v[0], "distinct_called") == 4.0);
    tu_alert_sink_free(&s);
    /* a distinct threshold changed: state dropped (the old window, 2 values, did not fire) */
    reload_run(2, "100", &s, &kept);
    assert_int_equal(kept, 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].a.events, 2);
    assert_true(agg(&s.v[0], "distinct_called") == 2.0);
    tu_alert_sink_free(&s);
    /* only a decimal threshold changed: not the same rule either */
    reload_run(4, "100.5", &s, &kept);
    assert_int_equal(kept, 0);
    assert_int_equal(s.n, 0);
    tu_alert_sink_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distinct_exact),
        cmocka_unit_test(test_distinct_hll),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_span),
        cmocka_unit_test(test_ratio_received),
        cmocka_unit_test(test_received_forms),
        cmocka_unit_test(test_sliding_catches_a_straddling_burst),
        cmocka_unit_test(test_sliding_updates_not_floods),
        cmocka_unit_test(test_suppress),
        cmocka_unit_test(test_suppress_flush),
        cmocka_unit_test(test_cond_direction),
        cmocka_unit_test(test_cond_age),
        cmocka_unit_test(test_cond_outlet),
        cmocka_unit_test(test_cond_provinces),
        cmocka_unit_test(test_cond_cells),
        cmocka_unit_test(test_cond_imei_prefix),
        cmocka_unit_test(test_group_cell),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_reload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
