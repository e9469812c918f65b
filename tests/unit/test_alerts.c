/* test_alerts.c - alert JSON lines (docs/alerts.md): the card and its holder ("person"), never
 * the full ID number; and the writer fed by the engine with the default ruleset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/alerts.h"
#include "rules/rules.h"
#include "testutil.h"

#define SEC 1000000ull
#define T0 (1767225600ull * SEC) /* 2026-01-01T00:00:00Z */

static const char *doc(struct cw_json *j)
{
    j->buf[j->len] = 0; /* the writer keeps one spare byte */
    return j->buf;
}

static struct cw_card mk_card(void)
{
    struct cw_card c;
    memset(&c, 0, sizeof c);
    strcpy(c.msisdn, "8613800000006");
    strcpy(c.imsi, "460001234567890");
    c.home = 1;
    c.registered = 1;
    c.verified = 1;
    c.status = CW_CARD_ACTIVE;
    strcpy(c.province, "33");
    strcpy(c.outlet, "OUT-0001");
    c.has_id = 1;
    c.id_valid = 1;
    strcpy(c.id_masked, "330106********1234");
    strcpy(c.id_province, "33");
    for (unsigned i = 0; i < CW_PSEUDO_LEN; i++)
        c.id_pseudo[i] = (uint8_t)(i * 8 + 1);
    c.person_cards_province = 6;
    c.person_cards_total = 8;
    return c;
}

static struct cw_alert mk_alert(const struct cw_card *c)
{
    struct cw_alert a;
    memset(&a, 0, sizeof a);
    a.rule = "over_quota_active";
    a.category = "over_quota";
    a.severity = "medium";
    a.description = "d";
    a.rule_file = "rules/default.rules";
    a.rule_line = 30;
    a.window_us = 3600 * SEC;
    a.threshold = 1;
    a.group = "card";
    a.key = "8613800000006";
    a.ts_us = T0 + 2 * SEC;
    a.card = *c;
    a.first_ts_us = T0;
    a.last_ts_us = T0 + 2 * SEC;
    a.events = 2;
    a.by_kind[CW_EV_SMS_MO] = 1;
    a.by_kind[CW_EV_CALL] = 1;
    a.nsamples = 1;
    a.samples[0].ts_us = T0;
    a.samples[0].frame = 7;
    a.samples[0].file_idx = 0;
    a.samples[0].kind = CW_EV_SMS_MO;
    a.samples[0].proto = CW_PROTO_MAP;
    strcpy(a.samples[0].calling, "8613800000006");
    strcpy(a.samples[0].called, "8613900000000");
    return a;
}

static const char *const files[] = {"traffic.pcap"};

/* The JSON of @p a (a static buffer). */
static const char *alert_json(const struct cw_alert *a)
{
    static char out[4096];
    struct cw_json j;
    memset(&j, 0, sizeof j);
    cw_json_reset(&j);
    cw_alert_json(&j, a, files, 1);
    assert_false(j.oom);
    assert_true(j.len < sizeof out);
    snprintf(out, sizeof out, "%s", doc(&j));
    cw_json_release(&j);
    return out;
}

/* The text of object "KEY":{...} in @p json (no nested objects inside), into @p out. */
static int object_of(const char *json, const char *key, char *out, size_t outlen)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":{", key);
    const char *p = strstr(json, pat);
    if (!p)
        return 0;
    const char *e = strchr(p, '}');
    assert_non_null(e);
    size_t n = (size_t)(e - p) + 1;
    assert_true(n < outlen);
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

static void test_person(void **state)
{
    (void)state;
    struct cw_card c = mk_card();
    struct cw_alert a = mk_alert(&c);
    const char *js = alert_json(&a);
    static const char want[] =
        "{\"ts\":\"2026-01-01T00:00:02.000000Z\",\"rule\":\"over_quota_active\","
        "\"category\":\"over_quota\",\"severity\":\"medium\",\"description\":\"d\","
        "\"rule_file\":\"rules/default.rules\",\"rule_line\":30,\"window_s\":3600,"
        "\"threshold\":1,\"key\":{\"group\":\"card\",\"value\":\"8613800000006\"},"
        "\"card\":{\"msisdn\":\"8613800000006\",\"imsi\":\"460001234567890\",\"home\":true,"
        "\"registered\":true,\"verified\":true,\"status\":\"active\",\"province\":\"33\","
        "\"outlet\":\"OUT-0001\"},"
        "\"person\":{\"pseudonym\":"
        "\"0109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f9\","
        "\"id_masked\":\"330106********1234\",\"id_province\":\"33\",\"cards_in_province\":6,"
        "\"cards_total\":8,\"id_valid\":true},"
        "\"evidence\":{\"first_ts\":\"2026-01-01T00:00:00.000000Z\","
        "\"last_ts\":\"2026-01-01T00:00:02.000000Z\",\"events\":2,"
        "\"by_kind\":{\"sms_mo\":1,\"call\":1},"
        "\"samples\":[{\"ts\":\"2026-01-01T00:00:00.000000Z\",\"proto\":\"map\","
        "\"kind\":\"sms_mo\",\"calling\":\"8613800000006\",\"called\":\"8613900000000\","
        "\"file\":\"traffic.pcap\",\"frame\":7}]}}";
    assert_string_equal(js, want);

    char card[512], person[512];
    assert_true(object_of(js, "card", card, sizeof card));
    assert_null(strstr(card, "id_masked"));
    assert_null(strstr(card, "pseudonym"));
    assert_true(object_of(js, "person", person, sizeof person));
    assert_non_null(strstr(person, "\"id_masked\":\"330106********1234\""));

    /* not validated, no region: id_valid false and no id_province */
    c.id_valid = 0;
    c.id_province[0] = '\0';
    c.person_cards_province = 0;
    c.person_cards_total = 4294967295u;
    a = mk_alert(&c);
    js = alert_json(&a);
    assert_true(object_of(js, "person", person, sizeof person));
    assert_string_equal(person,
                        "\"person\":{\"pseudonym\":"
                        "\"0109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f9\","
                        "\"id_masked\":\"330106********1234\",\"cards_in_province\":0,"
                        "\"cards_total\":4294967295,\"id_valid\":false}");
}

static void test_no_person(void **state)
{
    (void)state;
    /* no ID number: no person object, whatever the other fields hold */
    struct cw_card c = mk_card();
    c.has_id = 0;
    struct cw_alert a = mk_alert(&c);
    const char *js = alert_json(&a);
    assert_null(strstr(js, "\"person\""));
    assert_null(strstr(js, "id_masked"));
    assert_null(strstr(js, "pseudonym"));
    assert_null(strstr(js, "cards_in_province"));
    assert_non_null(strstr(js, "\"card\":{\"msisdn\":\"8613800000006\""));
    assert_non_null(strstr(js, "\"outlet\":\"OUT-0001\"},\"evidence\":{"));

    /* no registry record at all */
    memset(&c, 0, sizeof c);
    a = mk_alert(&c);
    js = alert_json(&a);
    assert_null(strstr(js, "\"person\""));
    assert_non_null(strstr(js, "\"card\":{\"home\":false,\"registered\":false,"
                               "\"verified\":false,\"status\":\"unknown\"}"));
}

/* A rule with thresholds, suppression and a group other than the card: the aggregates that
 * fired, the suppression period, an update's flag, the cards it names, the samples' device
 * and cell. */
static void test_aggregates_json(void **state)
{
    (void)state;
    struct cw_card c = mk_card();
    struct cw_alert a = mk_alert(&c);
    a.group = "imei";
    a.key = "35332510123456";
    a.suppress_us = 3600 * SEC;
    a.update = 1;
    a.naggs = 2;
    a.aggs[0].name = "distinct_card";
    a.aggs[0].threshold = "distinct card >= 5";
    a.aggs[0].value = 7;
    a.aggs[1].name = "rate_per_min";
    a.aggs[1].threshold = "rate >= 2.5";
    a.aggs[1].value = 3.25;
    a.nmembers = 2;
    strcpy(a.members[0], "8613800000006");
    memset(a.members[1], '9', sizeof a.members[1]); /* no terminator: stays in its array */
    strcpy(a.samples[0].imei, "353325101234560");
    strcpy(a.samples[0].cell, "46000-0c3d4e5");
    const char *js = alert_json(&a);
    assert_non_null(strstr(js, "\"threshold\":1,\"suppress_s\":3600,\"update\":true,\"key\":"
                               "{\"group\":\"imei\",\"value\":\"35332510123456\"}"));
    assert_non_null(strstr(js, "\"cards\":[\"8613800000006\",\"9999999999999999\"]"));
    assert_non_null(strstr(js, "\"aggregates\":[{\"name\":\"distinct_card\",\"value\":7,"
                               "\"threshold\":\"distinct card >= 5\"},{\"name\":\"rate_per_min\","
                               "\"value\":3.25,\"threshold\":\"rate >= 2.5\"}]"));
    assert_non_null(strstr(js, "\"imei\":\"353325101234560\",\"cell\":\"46000-0c3d4e5\""));
    /* a first alert without suppression or aggregates shows none of them */
    struct cw_alert b = mk_alert(&c);
    js = alert_json(&b);
    assert_null(strstr(js, "suppress_s"));
    assert_null(strstr(js, "\"update\""));
    assert_null(strstr(js, "aggregates"));
    assert_null(strstr(js, "\"cards\""));
}

/* Fixed-size text fields without a terminator stay within their arrays. */
static void test_unterminated_person_fields(void **state)
{
    (void)state;
    struct cw_card c = mk_card();
    memset(c.id_masked, '*', sizeof c.id_masked);
    memset(c.id_province, '4', sizeof c.id_province);
    struct cw_alert a = mk_alert(&c);
    const char *js = alert_json(&a);
    char want[64];
    snprintf(want, sizeof want, "\"id_masked\":\"%.*s\",\"id_province\":\"444\",",
             (int)sizeof c.id_masked, "********************************");
    assert_non_null(strstr(js, want));
}

/* The engine with the default ruleset, writing through the alert writer: the over_quota
 * alert's line carries the person; a card of 5 gives none. */
static void test_writer_over_quota(void **state)
{
    (void)state;
    struct cw_ruleset *rs = NULL;
    char err[512] = "";
    int rc = cw_rules_load(CW_SOURCE_DIR "/rules", &rs, err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    struct cw_alert_writer w;
    memset(&w, 0, sizeof w);
    w.out = mem;
    w.files = files;
    w.nfiles = 1;
    struct cw_alert_sink sink = {cw_alert_writer_emit, &w};
    struct cw_engine *e = NULL;
    assert_int_equal(cw_engine_new(rs, &sink, &e), 0);

    struct cw_card six = mk_card();
    struct cw_card five = mk_card();
    strcpy(five.msisdn, "8613800000005");
    five.person_cards_province = 5;
    five.id_pseudo[0] = 0xff;
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.ts_us = T0;
    ev.kind = CW_EV_CALL;
    ev.proto = CW_PROTO_SIP;
    ev.frame = 1;
    strcpy(ev.calling, "8613800000006");
    strcpy(ev.called, "8613900000000");
    cw_engine_event(e, &ev, &six);
    ev.frame = 2;
    strcpy(ev.calling, "8613800000005");
    cw_engine_event(e, &ev, &five);
    cw_engine_flush(e);
    assert_int_equal(fclose(mem), 0);

    assert_int_equal(w.written, 1);
    assert_int_equal(w.io_error, 0);
    assert_non_null(buf);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    assert_int_equal(lines, 1); /* one alert, one line */
    assert_int_equal(buf[len - 1], '\n');
    assert_non_null(strstr(buf, "\"rule\":\"over_quota_active\",\"category\":\"over_quota\","
                                "\"severity\":\"medium\""));
    assert_non_null(strstr(buf, "\"key\":{\"group\":\"card\",\"value\":\"8613800000006\"}"));
    char card[512], person[512];
    assert_true(object_of(buf, "card", card, sizeof card));
    assert_null(strstr(card, "id_masked"));
    assert_true(object_of(buf, "person", person, sizeof person));
    assert_non_null(strstr(person, "\"cards_in_province\":6,\"cards_total\":8,"));
    assert_non_null(strstr(person, "\"pseudonym\":\"01091119"));
    assert_null(strstr(buf, "8613800000005"));
    assert_int_equal(w.ntop, 1);
    assert_string_equal(w.top[0].msisdn, "8613800000006");

    free(buf);
    cw_json_release(&w.j);
    cw_engine_free(e);
    cw_rules_free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_person),
        cmocka_unit_test(test_no_person),
        cmocka_unit_test(test_aggregates_json),
        cmocka_unit_test(test_unterminated_person_fields),
        cmocka_unit_test(test_writer_over_quota),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
