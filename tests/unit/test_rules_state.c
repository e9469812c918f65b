/* test_rules_state.c - the rule engine's bounded state (a memory cap, eviction of the stalest
 * windows, alerts of evicted windows) and live reload (cw_engine_reload). */
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
#define T0 (1767225600ull * SEC) /* 2026-01-01T00:00:00Z */

static struct cw_ruleset *parse(const char *text)
{
    struct cw_ruleset *rs = NULL;
    char err[512] = "";
    int rc = cw_rules_parse_buffer("t.rules", text, strlen(text), &rs, err, sizeof err);
    if (rc)
        fprintf(stderr, "unexpected parse error: %s\n", err);
    assert_int_equal(rc, 0);
    return rs;
}

static struct cw_event mk_event(uint64_t ts, const char *calling, uint64_t frame)
{
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.ts_us = ts;
    ev.kind = CW_EV_SMS_MO;
    ev.proto = CW_PROTO_MAP;
    ev.frame = frame;
    snprintf(ev.calling, sizeof ev.calling, "%s", calling);
    snprintf(ev.called, sizeof ev.called, "%s", "10086");
    return ev;
}

static void num(char *out, unsigned i)
{
    snprintf(out, CW_NUM_MAX, "86138%08u", i);
}

static const char rule_t1[] = "rule each {\n  category k\n  group calling\n  window 1h\n"
                              "  threshold events >= 1\n  samples 1\n}\n";
static const char rule_t2[] = "rule pairs {\n  category k\n  group calling\n  window 1h\n"
                              "  threshold events >= 2\n  samples 2\n}\n";

#define CAP (256u << 10)

/* Eviction as the test sees it: which keys have alerted (each key has one event and one window,
 * opened in key order, so a key's number is its age rank), the oldest still open, and how far
 * from the oldest the evicted ones were. */
struct evict_seen {
    unsigned char *gone; /* per key: alerted */
    size_t n, oldest;    /* keys alerted; the oldest key not alerted yet */
    double rank_sum;     /* over evictions: the share of the open keys older than the evicted */
    size_t evictions;
};

/* Take the alerts @p s holds, raised while key @p newest was the newest: each is a key's one
 * event, at most once per key, and (when @p evicting) one of the stalest: older than at least
 * half of the keys open then. Drops them (20000 kept alerts would take 50 MB). */
static void take_stale(struct tu_alert_sink *s, struct evict_seen *es, size_t newest, int evicting)
{
    for (size_t i = 0; i < s->n; i++) {
        unsigned k;
        assert_int_equal(sscanf(s->v[i].a.key, "86138%08u", &k), 1);
        assert_true(k <= newest);
        if (es->gone[k])
            fail_msg("key %u alerted twice", k);
        assert_int_equal(s->v[i].a.events, 1);
        assert_int_equal(s->v[i].a.first_ts_us, T0 + k);
        if (evicting) {
            /* its age rank among the keys open then: how many of them are older */
            size_t older = 0, open = 0;
            for (size_t j = es->oldest; j <= newest; j++)
                if (!es->gone[j]) {
                    open++;
                    older += j < k;
                }
            if (older > open / 2)
                fail_msg("evicted key %u, but %zu of the %zu open keys were older", k, older, open);
            es->rank_sum += (double)older / (double)open;
            es->evictions++;
        }
        es->gone[k] = 1;
        es->n++;
        while (es->gone[es->oldest])
            es->oldest++;
    }
    tu_alert_sink_clear(s);
}

/* Many keys under a small cap: the state never passes it; the stalest windows are evicted
 * (the stalest of a sample: on average within the oldest few percent), each reporting its
 * alert then (threshold 1), so no alert is lost and none is repeated. */
static void test_cap_evicts_stalest(void **state)
{
    (void)state;
    struct cw_ruleset *rs = parse(rule_t1);
    struct tu_alert_sink s = {0};
    struct cw_alert_sink as = {tu_alert_keep, &s};
    struct cw_engine *e = NULL;
    assert_int_equal(cw_engine_new(rs, &as, &e), 0);
    cw_engine_set_limit(e, CAP);
    const unsigned n = 20000;
    struct evict_seen es = {calloc(n + 1, 1), 0, 0, 0, 0};
    assert_non_null(es.gone);
    struct cw_engine_stats st;
    for (unsigned i = 0; i < n; i++) {
        char k[CW_NUM_MAX];
        num(k, i);
        struct cw_event ev = mk_event(T0 + i, k, i + 1);
        cw_engine_event(e, &ev, NULL);
        take_stale(&s, &es, i, 1);
        cw_engine_stats(e, &st, NULL);
        if (st.state_bytes > CAP)
            fail_msg("event %u: state %llu bytes over the cap", i,
                     (unsigned long long)st.state_bytes);
    }
    assert_true(st.state_peak <= CAP);
    assert_true(st.state_peak > CAP / 2); /* the cap is used, not wasted */
    assert_int_equal(st.state_limit, CAP);
    assert_true(st.evicted > 0);
    assert_int_equal(st.evicted_alerted, st.evicted);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(st.keys + st.evicted, n);
    assert_int_equal(es.n, st.evicted); /* evicted windows alerted as they went */
    assert_int_equal(es.evictions, st.evicted);
    double mean = es.rank_sum / (double)es.evictions;
    if (mean > 0.08)
        fail_msg("evicted windows were on average younger than %.3f of the open ones", mean);
    cw_engine_flush(e);
    take_stale(&s, &es, n - 1, 0);
    assert_int_equal(es.n, n);
    free(es.gone);
    cw_engine_free(e);
    cw_rules_free(rs);
    tu_alert_sink_free(&s);
}

/* Stalest means least recently updated, not first opened: a key counted often survives; an
 * evicted window that met the threshold alerts at eviction with its counts, one that did not
 * is dropped silently. */
static void test_evicted_alert(void **state)
{
    (void)state;
    struct cw_ruleset *rs = parse(rule_t2);
    struct tu_alert_sink s = {0};
    struct cw_alert_sink as = {tu_alert_keep, &s};
    struct cw_engine *e = NULL;
    assert_int_equal(cw_engine_new(rs, &as, &e), 0);
    cw_engine_set_limit(e, CAP);
    uint64_t t = T0, frame = 1, hot = 0;
    /* the first key meets the threshold, then goes quiet */
    struct cw_event ev = mk_event(t++, "8613900000001", frame++);
    cw_engine_event(e, &ev, NULL);
    ev = mk_event(t++, "8613900000001", frame++);
    cw_engine_event(e, &ev, NULL);
    for (unsigned i = 0; i < 20000; i++) {
        char k[CW_NUM_MAX];
        num(k, i);
        ev = mk_event(t++, k, frame++);
        cw_engine_event(e, &ev, NULL);
        if (i % 10 == 0) { /* a hot key, opened early but always fresh */
            ev = mk_event(t++, "8613900000002", frame++);
            cw_engine_event(e, &ev, NULL);
            hot++;
        }
    }
    struct cw_engine_stats st;
    cw_engine_stats(e, &st, NULL);
    assert_true(st.evicted > 0);
    assert_true(st.state_peak <= CAP);
    assert_int_equal(st.evicted_alerted, 1);
    assert_int_equal(s.n, 1); /* the quiet key's alert, at its eviction */
    assert_string_equal(s.v[0].a.key, "8613900000001");
    assert_int_equal(s.v[0].a.events, 2);
    assert_int_equal(s.v[0].a.first_ts_us, T0);
    assert_int_equal(s.v[0].a.last_ts_us, T0 + 1);
    assert_int_equal(s.v[0].a.nsamples, 2);
    cw_engine_flush(e);
    assert_int_equal(s.n, 2); /* the hot key, never evicted: all its events */
    assert_string_equal(s.v[1].a.key, "8613900000002");
    assert_int_equal(s.v[1].a.events, hot);
    cw_engine_free(e);
    cw_rules_free(rs);
    tu_alert_sink_free(&s);
}

/* With the default cap (and with none) nothing is evicted. */
static void test_default_cap(void **state)
{
    (void)state;
    struct cw_ruleset *rs = parse(rule_t1);
    struct cw_engine *e = NULL;
    assert_int_equal(cw_engine_new(rs, NULL, &e), 0);
    struct cw_engine_stats st;
    cw_engine_stats(e, &st, NULL);
    assert_int_equal(st.state_limit, CW_ENGINE_LIMIT_DEFAULT);
    for (unsigned i = 0; i < 50000; i++) {
        char k[CW_NUM_MAX];
        num(k, i);
        struct cw_event ev = mk_event(T0 + i, k, i + 1);
        cw_engine_event(e, &ev, NULL);
    }
    cw_engine_stats(e, &st, NULL);
    assert_int_equal(st.evicted, 0);
    assert_int_equal(st.keys, 50000);
    assert_true(st.state_bytes > 0 && st.state_peak == st.state_bytes);
    cw_engine_set_limit(e, 0);
    cw_engine_stats(e, &st, NULL);
    assert_int_equal(st.state_limit, 0);
    cw_engine_free(e);
    cw_rules_free(rs);
}

static const char reload_v1[] = "rule keep {\n  category k\n  group calling\n  window 1h\n"
                                "  threshold events >= 3\n  samples 2\n}\n"
                                "rule change {\n  category k\n  group calling\n  window 1h\n"
                                "  threshold events >= 1\n}\n"
                                "rule gone {\n  category k\n  group calling\n  window 1h\n"
                                "  threshold events >= 1\n}\n";
/* keep moved down (same definition), change's threshold raised, gone removed, fresh added
 * (keeping more samples than any rule before) */
static const char reload_v2[] = "rule fresh {\n  category k\n  group calling\n  window 1h\n"
                                "  threshold events >= 1\n  samples 8\n}\n"
                                "# a comment that moves the next rule\n\n"
                                "rule change {\n  category k\n  group calling\n  window 1h\n"
                                "  threshold events >= 2\n}\n"
                                "rule keep {\n  category k\n  group calling\n  window 1h\n"
                                "  threshold events >= 3\n  samples 2\n}\n";

static void test_reload(void **state)
{
    (void)state;
    struct cw_ruleset *rs1 = parse(reload_v1), *rs2 = parse(reload_v2);
    struct tu_alert_sink s = {0};
    struct cw_alert_sink as = {tu_alert_keep, &s};
    struct cw_engine *e = NULL;
    assert_int_equal(cw_engine_new(rs1, &as, &e), 0);
    const char *x = "8613900000001";
    for (unsigned i = 0; i < 2; i++) {
        struct cw_event ev = mk_event(T0 + i, x, i + 1);
        cw_engine_event(e, &ev, NULL);
    }
    /* other keys too, so the pool is laid out again with states in it */
    for (unsigned i = 0; i < 100; i++) {
        char k[CW_NUM_MAX];
        num(k, i);
        struct cw_event ev = mk_event(T0 + 2, k, 10 + i);
        cw_engine_event(e, &ev, NULL);
    }
    assert_int_equal(s.n, 0);
    assert_int_equal(cw_engine_reload(e, rs2), 0);
    cw_rules_free(rs1); /* the engine must not look at it again */
    struct cw_engine_stats st;
    cw_engine_stats(e, &st, NULL);
    assert_int_equal(st.reloads, 1);
    assert_int_equal(st.reload_kept, 1);
    assert_int_equal(st.reload_fresh, 2);
    assert_int_equal(st.reload_removed, 1);
    /* the removed and the changed rules' windows closed, their due alerts reported */
    assert_int_equal(s.n, 2 * 101);
    size_t gone = 0, change = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (strcmp(s.v[i].a.key, x) == 0)
            assert_int_equal(s.v[i].a.events, 2);
        gone += strcmp(s.v[i].a.rule, "gone") == 0;
        change += strcmp(s.v[i].a.rule, "change") == 0 && s.v[i].a.threshold == 1;
    }
    assert_int_equal(gone, 101);
    assert_int_equal(change, 101);
    assert_int_equal(st.keys, 101); /* keep's windows */
    size_t before = s.n;
    struct cw_event ev = mk_event(T0 + 3, x, 200);
    cw_engine_event(e, &ev, NULL);
    cw_engine_flush(e);
    uint64_t per[3];
    cw_engine_stats(e, &st, per);
    /* fresh: x; change (restarted, threshold 2): nothing; keep: x with the summed count */
    int saw_keep = 0, saw_fresh = 0;
    for (size_t i = before; i < s.n; i++) {
        if (strcmp(s.v[i].a.key, x) != 0) {
            assert_string_equal(s.v[i].a.rule, "keep"); /* the 100 others: under 3 events */
            fail_msg("keep alerted key %s with %llu events", s.v[i].a.key,
                     (unsigned long long)s.v[i].a.events);
        }
        assert_string_not_equal(s.v[i].a.rule, "change");
        if (strcmp(s.v[i].a.rule, "keep") == 0) {
            saw_keep = 1;
            assert_int_equal(s.v[i].a.events, 3);
            assert_int_equal(s.v[i].a.first_ts_us, T0);
            assert_int_equal(s.v[i].a.last_ts_us, T0 + 3);
            assert_int_equal(s.v[i].a.nsamples, 2);
        } else {
            saw_fresh = 1;
            assert_string_equal(s.v[i].a.rule, "fresh");
            assert_int_equal(s.v[i].a.events, 1);
            assert_int_equal(s.v[i].a.first_ts_us, T0 + 3);
        }
    }
    assert_true(saw_keep && saw_fresh);
    assert_int_equal(per[0], 1); /* fresh */
    assert_int_equal(per[1], 0); /* change: a new rule's count */
    assert_int_equal(per[2], 1); /* keep */
    cw_engine_free(e);
    cw_rules_free(rs2);
    tu_alert_sink_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_evicts_stalest),
        cmocka_unit_test(test_evicted_alert),
        cmocka_unit_test(test_default_cap),
        cmocka_unit_test(test_reload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
