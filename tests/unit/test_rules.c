/* test_rules.c - the rule language (parse, errors with file:line:col) and the detection engine
 * (windows, thresholds, grouping, state table growth, deterministic alert order). */
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
#include "rules/rules_int.h"
#include "testutil.h"
#include "util/error.h"

#define SEC 1000000ull
#define T0 (1767225600ull * SEC) /* 2026-01-01T00:00:00Z */

/* ---- alert collection: tu_alert_keep (alert_sink.h) ---- */

/* A compact record for the tests that raise 100k alerts (a kept cw_alert is 2.6 KB). */
struct lite {
    char key[80];
    uint64_t events, first_ts, last_ts, frame0, frame1, by_sms, by_call;
    unsigned nsamples;
};

struct lite_sink {
    struct lite *v;
    size_t n, cap;
};

static void on_alert_lite(void *user, const struct cw_alert *a)
{
    struct lite_sink *s = user;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        assert_non_null(s->v);
    }
    struct lite *l = &s->v[s->n++];
    assert_non_null(a->key);
    assert_true(strlen(a->key) < sizeof l->key);
    strcpy(l->key, a->key);
    l->events = a->events;
    l->first_ts = a->first_ts_us;
    l->last_ts = a->last_ts_us;
    l->frame0 = a->nsamples > 0 ? a->samples[0].frame : 0;
    l->frame1 = a->nsamples > 1 ? a->samples[1].frame : 0;
    l->by_sms = a->by_kind[CW_EV_SMS_MO];
    l->by_call = a->by_kind[CW_EV_CALL];
    l->nsamples = a->nsamples;
}

struct fixture {
    struct cw_ruleset *rs;
    struct cw_engine *e;
    struct tu_alert_sink sink;
    struct lite_sink lite;
    int use_lite;
};

static void fx_open_rs(struct fixture *f, struct cw_ruleset *rs)
{
    int use_lite = f->use_lite;
    memset(f, 0, sizeof *f);
    f->use_lite = use_lite;
    f->rs = rs;
    struct cw_alert_sink as = {tu_alert_keep, &f->sink};
    if (use_lite) {
        as.alert = on_alert_lite;
        as.user = &f->lite;
    }
    assert_int_equal(cw_engine_new(rs, &as, &f->e), 0);
    assert_non_null(f->e);
}

static void fx_open_text(struct fixture *f, const char *text)
{
    struct cw_ruleset *rs = NULL;
    char err[512] = "";
    int rc = cw_rules_parse_buffer("t.rules", text, strlen(text), &rs, err, sizeof err);
    if (rc)
        fprintf(stderr, "unexpected parse error: %s\n", err);
    assert_int_equal(rc, 0);
    fx_open_rs(f, rs);
}

/* The real-name rules of the default ruleset (rules/default.rules; the usage rules of
 * rules/usage.rules have their own tests and are scored by tests/e2e/score.sh). */
static void fx_open_default(struct fixture *f)
{
    struct cw_ruleset *rs = NULL;
    char err[512] = "";
    int rc = cw_rules_load(CW_SOURCE_DIR "/rules/default.rules", &rs, err, sizeof err);
    if (rc)
        fprintf(stderr, "unexpected load error: %s\n", err);
    assert_int_equal(rc, 0);
    fx_open_rs(f, rs);
}

/* The kept alerts' names fit the engine's bounds; then they are dropped. */
static void fx_clear_alerts(struct fixture *f)
{
    for (size_t i = 0; i < f->sink.n; i++) {
        const struct cw_alert *a = &f->sink.v[i].a;
        assert_true(strlen(a->rule) <= CW_RULE_NAME_MAX);
        assert_true(strlen(a->category) <= CW_RULE_NAME_MAX);
        assert_true(strlen(a->severity) < 16);
        assert_true(strlen(a->group) < 16);
        assert_true(strlen(a->key) < 80);
        assert_true(strlen(a->description) < 256);
    }
    tu_alert_sink_clear(&f->sink);
}

static void fx_close(struct fixture *f)
{
    cw_engine_free(f->e);
    cw_rules_free(f->rs);
    fx_clear_alerts(f);
    tu_alert_sink_free(&f->sink);
    free(f->lite.v);
}

static struct cw_event mk_event(uint64_t ts, unsigned kind, unsigned proto, const char *calling,
                                const char *called, uint64_t frame)
{
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.ts_us = ts;
    ev.kind = (uint8_t)kind;
    ev.proto = (uint8_t)proto;
    ev.frame = frame;
    ev.file_idx = 0;
    snprintf(ev.calling, sizeof ev.calling, "%s", calling);
    snprintf(ev.called, sizeof ev.called, "%s", called);
    return ev;
}

static struct cw_card mk_card(const char *msisdn, int home, int registered, int verified)
{
    struct cw_card c;
    memset(&c, 0, sizeof c);
    snprintf(c.msisdn, sizeof c.msisdn, "%s", msisdn);
    c.home = (uint8_t)home;
    c.registered = (uint8_t)registered;
    c.verified = (uint8_t)verified;
    c.status = registered ? CW_CARD_ACTIVE : CW_CARD_UNKNOWN;
    if (registered) {
        strcpy(c.province, "33");
        strcpy(c.outlet, "OUT-0001");
    }
    return c;
}

/* ---- parsing ---- */

static void test_default_ruleset(void **state)
{
    (void)state;
    struct cw_ruleset *rs = NULL;
    char err[512] = "";
    /* the whole directory: default.rules first, then usage.rules (name order) */
    assert_int_equal(cw_rules_load(CW_SOURCE_DIR "/rules", &rs, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_true(cw_rules_count(rs) > 2);
    assert_string_equal(cw_rules_name(rs, 0), "black_card_active");
    assert_string_equal(cw_rules_name(rs, 1), "over_quota_active");
    static const char *const cats[] = {"spam",         "fraud_content", "simbox",
                                       "imei_hopping", "agent_batch",   "wangiri"};
    for (size_t k = 0; k < sizeof cats / sizeof cats[0]; k++) {
        size_t n = 0;
        for (size_t i = 0; i < rs->n; i++)
            n += strcmp(rs->rules[i].category, cats[k]) == 0;
        if (!n)
            fail_msg("no default rule of category %s", cats[k]);
    }
    cw_rules_free(rs);
    rs = NULL;
    assert_int_equal(cw_rules_load(CW_SOURCE_DIR "/rules/default.rules", &rs, err, sizeof err), 0);
    assert_int_equal(cw_rules_count(rs), 2);
    assert_null(cw_rules_name(rs, 2));
    const struct cw_rule *r = &rs->rules[0];
    assert_string_equal(r->category, "black_card");
    assert_int_equal(r->severity, CW_RS_HIGH);
    assert_int_equal(r->group, CW_RG_CARD);
    assert_int_equal(r->window_us, 3600 * SEC);
    assert_int_equal(r->threshold, 1);
    assert_int_equal(r->samples, 3);
    assert_string_equal(r->description, "Home-range card without verified real-name "
                                        "registration is sending SMS or placing calls");
    assert_int_equal(r->nconds, 3);
    assert_int_equal(r->conds[0].field, CW_RF_KIND);
    assert_int_equal(r->conds[0].negate, 0);
    assert_int_equal(r->conds[0].set[0], (1ull << CW_EV_SMS_MO) | (1ull << CW_EV_CALL));
    assert_int_equal(r->conds[0].set[1], 0);
    assert_int_equal(r->conds[1].field, CW_RF_CARD_HOME);
    assert_int_equal(r->conds[1].negate, 0);
    assert_int_equal(r->conds[2].field, CW_RF_CARD_VERIFIED);
    assert_int_equal(r->conds[2].negate, 1);
    assert_non_null(strstr(r->file, "default.rules"));
    assert_int_equal(r->line, 12);
    assert_int_equal(r->col, 1);

    const struct cw_rule *q = &rs->rules[1];
    assert_string_equal(q->category, "over_quota");
    assert_int_equal(q->severity, CW_RS_MEDIUM);
    assert_int_equal(q->group, CW_RG_CARD);
    assert_int_equal(q->window_us, 3600 * SEC);
    assert_int_equal(q->threshold, 1);
    assert_non_null(strstr(q->description, "more than 5 cards"));
    assert_non_null(strstr(q->description, "2015"));
    assert_int_equal(q->nconds, 4);
    assert_int_equal(q->conds[0].field, CW_RF_KIND);
    assert_int_equal(q->conds[0].set[0],
                     (1ull << CW_EV_SMS_MO) | (1ull << CW_EV_CALL) | (1ull << CW_EV_DATA_SESSION));
    assert_int_equal(q->conds[1].field, CW_RF_CARD_REGISTERED);
    assert_int_equal(q->conds[1].negate, 0);
    assert_int_equal(q->conds[2].field, CW_RF_CARD_HOME);
    assert_int_equal(q->conds[3].field, CW_RF_PERSON_CARDS_IN_PROVINCE);
    assert_int_equal(q->conds[3].op, CW_RCMP_GT);
    assert_int_equal(q->conds[3].num, 5);
    assert_int_equal(q->conds[3].negate, 0);
    assert_int_equal(q->conds[3].set[0], 0);
    assert_int_equal(q->conds[3].set[1], 0);
    cw_rules_free(rs);

    /* the file itself, not only the directory */
    assert_int_equal(cw_rules_load(CW_SOURCE_DIR "/rules/default.rules", &rs, err, sizeof err), 0);
    assert_int_equal(cw_rules_count(rs), 2);
    cw_rules_free(rs);
    cw_rules_free(NULL);
}

static void test_parse_features(void **state)
{
    (void)state;
    static const char text[] = "# header\n"
                               "\n"
                               "rule a_1 {   # trailing comment\n"
                               "  category  test\n"
                               "  group calling\n"
                               "  window 90s\n"
                               "  threshold events >= 5\n"
                               "}\n"
                               "rule b {\r\n"
                               "\tdescription \"say \\\"hi\\\"\\tnow\"\r\n"
                               "  category x\n"
                               "  severity critical\n"
                               "  when proto != sip\n"
                               "  when kind not in [\n"
                               "      register,\n"
                               "      \"data_session\"\n"
                               "  ]\n"
                               "  when card.status in [active, suspended]\n"
                               "  when card.province == \"33\"\n"
                               "  when not event.has_text\n"
                               "  when card.registered\n"
                               "  group imsi\n"
                               "  window 2d\n"
                               "  threshold events >= 1000000000\n"
                               "  samples 8\n"
                               "}";
    struct cw_ruleset *rs = NULL;
    char err[512] = "";
    assert_int_equal(cw_rules_parse_buffer("f.rules", text, strlen(text), &rs, err, sizeof err), 0);
    assert_int_equal(cw_rules_count(rs), 2);
    const struct cw_rule *a = &rs->rules[0], *b = &rs->rules[1];
    assert_string_equal(a->name, "a_1");
    assert_string_equal(a->description, "");
    assert_int_equal(a->severity, CW_RS_MEDIUM); /* default */
    assert_int_equal(a->samples, CW_RULE_SAMPLES_DEFAULT);
    assert_int_equal(a->group, CW_RG_CALLING);
    assert_int_equal(a->window_us, 90 * SEC);
    assert_int_equal(a->threshold, 5);
    assert_int_equal(a->nconds, 0);
    assert_int_equal(a->line, 3);

    assert_string_equal(b->description, "say \"hi\"\tnow");
    assert_int_equal(b->severity, CW_RS_CRITICAL);
    assert_int_equal(b->group, CW_RG_IMSI);
    assert_int_equal(b->window_us, 2 * 86400 * SEC);
    assert_int_equal(b->threshold, 1000000000);
    assert_int_equal(b->samples, 8);
    assert_int_equal(b->nconds, 6);
    assert_int_equal(b->conds[0].field, CW_RF_PROTO);
    assert_int_equal(b->conds[0].negate, 1);
    assert_int_equal(b->conds[0].set[0], 1ull << CW_PROTO_SIP);
    assert_int_equal(b->conds[1].field, CW_RF_KIND);
    assert_int_equal(b->conds[1].negate, 1);
    assert_int_equal(b->conds[1].set[0], (1ull << CW_EV_REGISTER) | (1ull << CW_EV_DATA_SESSION));
    assert_int_equal(b->conds[2].set[0], (1ull << CW_CARD_ACTIVE) | (1ull << CW_CARD_SUSPENDED));
    assert_int_equal(b->conds[3].field, CW_RF_CARD_PROVINCE);
    assert_int_equal(b->conds[3].set[0], 1ull << 33);
    assert_int_equal(b->conds[4].field, CW_RF_EVENT_HAS_TEXT);
    assert_int_equal(b->conds[4].negate, 1);
    assert_int_equal(b->conds[5].field, CW_RF_CARD_REGISTERED);
    assert_int_equal(b->conds[5].negate, 0);
    cw_rules_free(rs);
}

#define RULE_HEAD "rule r {\n    category c\n    group card\n    window 1h\n"
#define RULE_OK RULE_HEAD "    threshold events >= 1\n}\n"

/* Parse @p text and expect an error that starts with "t.rules:LINE:COL: error: " and holds
 * @p fragment. */
static void expect_error_at(const char *text, size_t len, unsigned line, unsigned col,
                            const char *fragment)
{
    struct cw_ruleset *rs = (struct cw_ruleset *)(uintptr_t)1;
    char err[512] = "";
    char prefix[64];
    int rc = cw_rules_parse_buffer("t.rules", text, len, &rs, err, sizeof err);
    snprintf(prefix, sizeof prefix, "t.rules:%u:%u: error: ", line, col);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, fragment))
        fprintf(stderr, "for input:\n%.*s\nwanted \"%s...%s\"\ngot    \"%s\"\n", (int)len, text,
                prefix, fragment, err);
#ifdef PRINT_ONLY
    if (rs)
        cw_rules_free(rs);
    return;
#endif
    assert_int_equal(rc, CW_EFORMAT);
    assert_null(rs);
    assert_memory_equal(err, prefix, strlen(prefix));
    assert_non_null(strstr(err, fragment));
}

static void expect_error(const char *text, unsigned line, unsigned col, const char *fragment)
{
    expect_error_at(text, strlen(text), line, col, fragment);
}

static void test_parse_errors(void **state)
{
    (void)state;
    /* sanity: the template itself is valid */
    struct cw_ruleset *rs = NULL;
    char err[256];
    assert_int_equal(
        cw_rules_parse_buffer("t.rules", RULE_OK, strlen(RULE_OK), &rs, err, sizeof err), 0);
    cw_rules_free(rs);

    /* unknown field */
    expect_error(RULE_HEAD "    threshold events >= 1\n    when card.colour == red\n}\n", 6, 10,
                 "expected a field (kind, proto, card.status, card.province, card.home, "
                 "card.registered, card.verified, card.has_id, card.id_valid, event.has_text, "
                 "event.has_imei, event.has_cell, direction, card.range_province, person.province, "
                 "card.outlet, card.age, cell.province, cell.located, cell.in_home_region, "
                 "cell.in_id_region, person.in_home_region, "
                 "person.cards_in_province, person.cards_total, text, calling, called, imei), "
                 "got 'card.colour'");
    /* unknown kind, unknown proto, unknown status */
    expect_error(RULE_HEAD "    when kind in [sms_mo, smsmo]\n", 5, 27,
                 "expected an event kind (sms_mo, sms_mt, call, register, data_session, auth, "
                 "lookup, call_cancel), got 'smsmo'");
    expect_error(RULE_HEAD "    when proto == http\n", 5, 19,
                 "expected a protocol (sip, smpp, map, diameter, gtp, radius), got 'http'");
    expect_error(RULE_HEAD "    when card.status != \"gone\"\n", 5, 25,
                 "expected a card status (unknown, active, suspended, cancelled), "
                 "got string \"gone\"");
    /* wrong value types */
    expect_error(RULE_HEAD "    when card.home == 1\n", 5, 20,
                 "'card.home' is a boolean field: expected end of line (write 'when card.home' "
                 "or 'when not card.home'), got '=='");
    expect_error(RULE_HEAD "    when card.province == 3301\n", 5, 27,
                 "expected a 2-digit province code like 33, got '3301'");
    expect_error(RULE_HEAD "    when kind == [sms_mo]\n", 5, 18,
                 "expected a value for 'kind', got '['");
    expect_error(RULE_HEAD "    when kind in sms_mo\n", 5, 18,
                 "expected '[' to start the list of values for 'kind', got 'sms_mo'");
    expect_error(RULE_HEAD "    when kind in []\n", 5, 19, "expected a value for 'kind', got ']'");
    expect_error(RULE_HEAD "    when kind in [call sms_mo]\n", 5, 24,
                 "expected ',' or ']' in the list of values for 'kind', got 'sms_mo'");
    expect_error(RULE_HEAD "    when kind in [call,\n", 5, 18,
                 "list opened here is not closed: expected ']', got end of file");
    expect_error(RULE_HEAD "    when kind\n", 5, 14,
                 "expected '==', '!=', 'in' or 'not in' after 'kind', got end of line");
    expect_error(RULE_HEAD "    when kind = call\n", 5, 15,
                 "expected '==', '!=', 'in' or 'not in' after 'kind', got '='");
    expect_error(RULE_HEAD "    when not kind in [call]\n", 5, 14,
                 "'not' goes before a boolean field; for 'kind' write 'kind != VALUE' or "
                 "'kind not in [...]'");
    expect_error(RULE_HEAD "    when kind not [call]\n", 5, 19,
                 "expected 'in' after 'kind not', got '['");
    expect_error(RULE_HEAD "    when kind == call call\n", 5, 23,
                 "expected end of line after the condition, got 'call'");
    /* duplicate rule name, in one file */
    expect_error(RULE_OK "\n" RULE_OK, 8, 6,
                 "duplicate rule name 'r' (first defined at t.rules:1)");
    /* missing required statements: reported at the rule */
    expect_error("\n  rule r {\n    group card\n    window 1h\n    threshold events >= 1\n}\n", 2,
                 3,
                 "rule 'r' has no 'category' (a rule needs category, group, window and "
                 "threshold)");
    expect_error("rule r {\n    category c\n    window 1h\n    threshold events >= 1\n}\n", 1, 1,
                 "rule 'r' has no 'group'");
    expect_error("rule r {\n    category c\n    group card\n    threshold events >= 1\n}\n", 1, 1,
                 "rule 'r' has no 'window'");
    expect_error(RULE_HEAD "}\n", 1, 1, "rule 'r' has no 'threshold'");
    /* bad durations */
    expect_error("rule r {\n    window soon\n", 2, 12,
                 "expected a duration like 30s, 10m, 1h, 7d, got 'soon'");
    expect_error("rule r {\n    window 10\n", 2, 12,
                 "expected a duration like 30s, 10m, 1h, 7d, got '10'");
    expect_error("rule r {\n    window 1x5m\n", 2, 12, "expected a duration like");
    expect_error("rule r {\n    window h\n", 2, 12, "expected a duration like");
    expect_error("rule r {\n    window 0s\n", 2, 12, "expected a window of at least 1s, got '0s'");
    expect_error("rule r {\n    window 367d\n", 2, 12,
                 "expected a window of at most 366d, got '367d'");
    expect_error("rule r {\n    window 99999999999999999999999999h\n", 2, 12,
                 "expected a window of at most 366d");
    /* thresholds */
    expect_error(RULE_HEAD "    threshold events >= 0\n", 5, 25,
                 "expected a threshold of at least 1, got '0'");
    expect_error(RULE_HEAD "    threshold events >= many\n", 5, 25,
                 "expected a whole number after 'threshold events >=', got 'many'");
    expect_error(RULE_HEAD "    threshold events >= 99999999999999999999999\n", 5, 25,
                 "expected a number of at most 1000000000");
    expect_error(RULE_HEAD "    threshold events => 1\n", 5, 22,
                 "expected a comparison (>, >=, <, <=, ==, !=) after 'threshold events', got "
                 "'='");
    expect_error(RULE_HEAD "    threshold calls >= 1\n", 5, 15,
                 "expected an aggregate after 'threshold' (events, received, distinct, rate, "
                 "span, ratio), got 'calls'");
    /* samples */
    expect_error(RULE_HEAD "    samples 9\n", 5, 13, "expected at most 8 samples, got '9'");
    expect_error(RULE_HEAD "    samples -1\n", 5, 13, "unexpected character '-'");
    /* strings */
    expect_error(RULE_HEAD "    description \"no end\n}\n", 5, 17,
                 "unterminated string: expected '\"' before the end of the line");
    expect_error(RULE_HEAD "    description \"a\\qb\"\n}\n", 5, 19, "unknown escape in a string");
    static const char nul_in[] = RULE_HEAD "    description \"a\0b\"\n}\n";
    expect_error_at(nul_in, sizeof nul_in - 1, 5, 19, "control character in a string");
    static const char nul_out[] = RULE_HEAD "    \0\n}\n";
    expect_error_at(nul_out, sizeof nul_out - 1, 5, 5, "unexpected character '\\x00'");
    expect_error(RULE_HEAD "    description black\n}\n", 5, 17,
                 "expected a \"quoted string\" after 'description', got 'black'");
    /* unterminated block: reported at the rule, and when another rule starts inside it */
    expect_error("# c\nrule open {\n    category c\n", 2, 1,
                 "rule 'open' is not closed: expected '}' before the end of the file");
    expect_error(RULE_HEAD "\nrule next {\n", 6, 1,
                 "expected '}' to close rule 'r' (opened at line 1), got 'rule'");
    /* unknown keyword */
    expect_error(
        RULE_HEAD "    colour red\n}\n", 5, 5,
        "unknown keyword in rule 'r': expected one of description, category, "
        "severity, when, group, window, threshold, samples, suppress or '}', got 'colour'");
    expect_error(RULE_HEAD "    \"x\"\n}\n", 5, 5, "expected a keyword (description");
    /* statement given twice */
    expect_error(RULE_HEAD "    window 2h\n}\n", 5, 5,
                 "'window' given twice in rule 'r' (first at line 4)");
    /* top level, rule header */
    expect_error("\n\nrules r {\n", 3, 1,
                 "expected 'rule NAME {' or 'list NAME \"FILE\"' at top level, got 'rules'");
    expect_error("rule 9lives {\n", 1, 6, "expected a rule name");
    expect_error("rule {\n", 1, 6, "expected a rule name (letters, digits and '_', at most 64)");
    expect_error("rule r\n{\n", 1, 7, "expected '{' after 'rule r', got end of line");
    expect_error("rule r { category c\n", 1, 10,
                 "expected end of line after '{' (each statement goes on its own line), "
                 "got 'category'");
    expect_error(RULE_OK "} extra\n", 7, 1,
                 "expected 'rule NAME {' or 'list NAME \"FILE\"' at top level, got '}'");
    expect_error("rule r {\n    category c } \n", 2, 16,
                 "expected end of line after the 'category' statement, got '}'");
    expect_error(RULE_HEAD "    severity urgent\n", 5, 14,
                 "expected a severity (low, medium, high, critical), got 'urgent'");
    expect_error("rule r {\n    group tower\n", 2, 11,
                 "expected a group (card, calling, called, imsi, imei, id, outlet, pair, cell), "
                 "got 'tower'");
    expect_error("rule r {\n    category black-card\n", 2, 19, "unexpected character '-'");
    expect_error("rule r {\n    category \xe9t\xe9\n", 2, 14,
                 "unexpected non-ASCII byte (text belongs in a \"quoted string\") '\\xE9'");
}

/* Count fields: every comparison, the bounds of the number, spacing and comments. */
static void test_parse_counts(void **state)
{
    (void)state;
    static const struct {
        const char *cond;
        int field, op;
        uint32_t num;
    } cases[] = {
        {"person.cards_in_province > 5", CW_RF_PERSON_CARDS_IN_PROVINCE, CW_RCMP_GT, 5},
        {"person.cards_in_province >= 6", CW_RF_PERSON_CARDS_IN_PROVINCE, CW_RCMP_GE, 6},
        {"person.cards_total < 0", CW_RF_PERSON_CARDS_TOTAL, CW_RCMP_LT, 0},
        {"person.cards_total <= 1000000000", CW_RF_PERSON_CARDS_TOTAL, CW_RCMP_LE, 1000000000},
        {"person.cards_total == 007", CW_RF_PERSON_CARDS_TOTAL, CW_RCMP_EQ, 7},
        {"person.cards_in_province != 0", CW_RF_PERSON_CARDS_IN_PROVINCE, CW_RCMP_NE, 0},
        {"person.cards_total>5", CW_RF_PERSON_CARDS_TOTAL, CW_RCMP_GT, 5},
        {"person.cards_total<=5", CW_RF_PERSON_CARDS_TOTAL, CW_RCMP_LE, 5},
        {"person.cards_total\t>=\t3   # a comment", CW_RF_PERSON_CARDS_TOTAL, CW_RCMP_GE, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, RULE_HEAD "    when %s\n    threshold events >= 1\n}\n",
                 cases[i].cond);
        struct cw_ruleset *rs = NULL;
        char err[512] = "";
        int rc = cw_rules_parse_buffer("t.rules", text, strlen(text), &rs, err, sizeof err);
        if (rc)
            fail_msg("'%s': %s", cases[i].cond, err);
        assert_int_equal(rs->rules[0].nconds, 1);
        const struct cw_rule_cond *c = &rs->rules[0].conds[0];
        assert_int_equal(c->field, cases[i].field);
        assert_int_equal(c->op, cases[i].op);
        assert_int_equal(c->num, cases[i].num);
        assert_int_equal(c->negate, 0);
        assert_int_equal(c->set[0], 0);
        assert_int_equal(c->set[1], 0);
        cw_rules_free(rs);
    }
    /* the names of the comparisons, for messages */
    assert_string_equal(cw_rule_cmp_names[CW_RCMP_GT], ">");
    assert_string_equal(cw_rule_cmp_names[CW_RCMP_NE], "!=");

    /* the new boolean fields, and value-set conditions keep op NONE */
    static const char text[] = RULE_HEAD "    when card.has_id\n    when not card.id_valid\n"
                                         "    when kind == call\n    threshold events >= 1\n}\n";
    struct cw_ruleset *rs = NULL;
    char err[512] = "";
    assert_int_equal(cw_rules_parse_buffer("t.rules", text, strlen(text), &rs, err, sizeof err), 0);
    const struct cw_rule *r = &rs->rules[0];
    assert_int_equal(r->nconds, 3);
    assert_int_equal(r->conds[0].field, CW_RF_CARD_HAS_ID);
    assert_int_equal(r->conds[0].negate, 0);
    assert_int_equal(r->conds[0].op, CW_RCMP_NONE);
    assert_int_equal(r->conds[1].field, CW_RF_CARD_ID_VALID);
    assert_int_equal(r->conds[1].negate, 1);
    assert_int_equal(r->conds[2].op, CW_RCMP_NONE);
    cw_rules_free(rs);
}

static void test_count_errors(void **state)
{
    (void)state;
    /* a list, or 'not in', on a count */
    expect_error(RULE_HEAD "    when person.cards_in_province in [1]\n", 5, 35,
                 "'person.cards_in_province' is a count: it takes a comparison (>, >=, <, <=, "
                 "==, !=) and a number, not a list (write 'when person.cards_in_province > 5'), "
                 "got 'in'");
    expect_error(RULE_HEAD "    when person.cards_total not in [1, 2]\n", 5, 29,
                 "'person.cards_total' is a count: it takes a comparison");
    expect_error(RULE_HEAD "    when person.cards_total [1]\n", 5, 29,
                 "'person.cards_total' is a count: it takes a comparison");
    /* no comparison, or an operator that is not one */
    expect_error(RULE_HEAD "    when person.cards_total\n", 5, 28,
                 "expected a comparison (>, >=, <, <=, ==, !=) after 'person.cards_total', got "
                 "end of line");
    expect_error(RULE_HEAD "    when person.cards_total = 5\n", 5, 29,
                 "expected a comparison (>, >=, <, <=, ==, !=) after 'person.cards_total', got "
                 "'='");
    expect_error(RULE_HEAD "    when person.cards_total =< 5\n", 5, 29,
                 "expected a comparison (>, >=, <, <=, ==, !=) after 'person.cards_total', got "
                 "'='");
    expect_error(RULE_HEAD "    when person.cards_total ! 5\n", 5, 29,
                 "expected a comparison (>, >=, <, <=, ==, !=) after 'person.cards_total', got "
                 "'!'");
    expect_error(RULE_HEAD "    when person.cards_total 5\n", 5, 29,
                 "expected a comparison (>, >=, <, <=, ==, !=) after 'person.cards_total', got "
                 "'5'");
    /* not a number */
    expect_error(RULE_HEAD "    when person.cards_in_province > x\n", 5, 37,
                 "expected a number (0 to 1000000000) after 'person.cards_in_province >', got "
                 "'x'");
    expect_error(RULE_HEAD "    when person.cards_total >=\n", 5, 31,
                 "expected a number (0 to 1000000000) after 'person.cards_total >=', got end of "
                 "line");
    expect_error(RULE_HEAD "    when person.cards_total > 5.5\n", 5, 31,
                 "expected a number (0 to 1000000000) after 'person.cards_total >', got '5.5'");
    expect_error(RULE_HEAD "    when person.cards_total == \"5\"\n", 5, 32,
                 "expected a number (0 to 1000000000) after 'person.cards_total ==', got string "
                 "\"5\"");
    expect_error(RULE_HEAD "    when person.cards_total < 5x\n", 5, 31,
                 "expected a number (0 to 1000000000) after 'person.cards_total <', got '5x'");
    expect_error(RULE_HEAD "    when person.cards_total > -1\n", 5, 31, "unexpected character '-'");
    /* out of range */
    expect_error(RULE_HEAD "    when person.cards_total <= 1000000001\n", 5, 32,
                 "expected a number of at most 1000000000 after 'person.cards_total <=', got "
                 "'1000000001'");
    expect_error(RULE_HEAD "    when person.cards_total != 99999999999999999999999999\n", 5, 32,
                 "expected a number of at most 1000000000");
    /* trailing words; 'not' before a count */
    expect_error(RULE_HEAD "    when person.cards_total > 5 6\n", 5, 33,
                 "expected end of line after the condition, got '6'");
    expect_error(RULE_HEAD "    when not person.cards_total > 5\n", 5, 14,
                 "'not' goes before a boolean field; 'person.cards_total' is a count: write a "
                 "comparison such as 'person.cards_total <= 5'");
    /* comparisons on fields that are not counts; values on the new booleans */
    expect_error(RULE_HEAD "    when kind > 5\n", 5, 15,
                 "expected '==', '!=', 'in' or 'not in' after 'kind', got '>'");
    expect_error(RULE_HEAD "    when card.has_id > 0\n", 5, 22,
                 "'card.has_id' is a boolean field: expected end of line (write 'when "
                 "card.has_id' or 'when not card.has_id'), got '>'");
    expect_error(RULE_HEAD "    when card.id_valid == 1\n", 5, 24,
                 "'card.id_valid' is a boolean field");
    expect_error(RULE_HEAD "    when person.cards\n", 5, 10, "expected a field (");
}

static void test_empty_rulesets(void **state)
{
    (void)state;
    struct cw_ruleset *rs = (struct cw_ruleset *)(uintptr_t)1;
    char err[512];
    static const char only_comments[] = "# nothing here\n\n   # really\n";
    assert_int_equal(cw_rules_parse_buffer("c.rules", only_comments, sizeof only_comments - 1, &rs,
                                           err, sizeof err),
                     CW_EFORMAT);
    assert_null(rs);
    assert_string_equal(err, "c.rules: error: no rules in c.rules");
    assert_int_equal(cw_rules_parse_buffer("e.rules", "", 0, &rs, err, sizeof err), CW_EFORMAT);
    assert_string_equal(err, "e.rules: error: no rules in e.rules");

    char *dir = tu_mkdtemp();
    char path[4200];
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    tu_write_file(path, RULE_OK, strlen(RULE_OK)); /* not a .rules file: ignored */
    assert_int_equal(cw_rules_load(dir, &rs, err, sizeof err), CW_EFORMAT);
    assert_null(rs);
    char want[4400];
    snprintf(want, sizeof want, "%s: error: no rules in %s", dir, dir);
    assert_string_equal(err, want);

    snprintf(path, sizeof path, "%s/does-not-exist", dir);
    assert_int_equal(cw_rules_load(path, &rs, err, sizeof err), CW_EIO);
    assert_non_null(strstr(err, "does-not-exist: error: "));
    tu_rmrf(dir);
    free(dir);
}

static void test_load_directory(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char path[4200];
    static const char b[] = "rule second {\n  category c\n  group called\n  window 10m\n"
                            "  threshold events >= 2\n}\n";
    static const char a[] = "# first file\nrule first {\n  category c\n  group card\n"
                            "  window 1h\n  threshold events >= 1\n}\n";
    snprintf(path, sizeof path, "%s/20-b.rules", dir);
    tu_write_file(path, b, sizeof b - 1);
    snprintf(path, sizeof path, "%s/10-a.rules", dir);
    tu_write_file(path, a, sizeof a - 1);
    snprintf(path, sizeof path, "%s/30-c.rules.bak", dir);
    tu_write_file(path, "garbage {", 9);

    struct cw_ruleset *rs = NULL;
    char err[4400] = "";
    assert_int_equal(cw_rules_load(dir, &rs, err, sizeof err), 0);
    assert_int_equal(cw_rules_count(rs), 2);
    assert_string_equal(cw_rules_name(rs, 0), "first"); /* 10-a.rules before 20-b.rules */
    assert_string_equal(cw_rules_name(rs, 1), "second");
    assert_non_null(strstr(rs->rules[1].file, "/20-b.rules"));
    cw_rules_free(rs);

    /* a name used again in a later file */
    static const char dup[] = "\n\nrule   first {\n  category c\n  group card\n  window 1h\n"
                              "  threshold events >= 1\n}\n";
    snprintf(path, sizeof path, "%s/40-dup.rules", dir);
    tu_write_file(path, dup, sizeof dup - 1);
    assert_int_equal(cw_rules_load(dir, &rs, err, sizeof err), CW_EFORMAT);
    assert_null(rs);
    char want[4400];
    snprintf(want, sizeof want,
             "%s/40-dup.rules:3:8: error: duplicate rule name 'first' (first defined at "
             "%s/10-a.rules:2)",
             dir, dir);
    assert_string_equal(err, want);
    tu_rmrf(dir);
    free(dir);
}

/* ---- engine ---- */

static void feed(struct fixture *f, const struct cw_event *ev, const struct cw_card *c)
{
    cw_engine_event(f->e, ev, c);
}

static void test_unregistered_home_card(void **state)
{
    (void)state;
    struct fixture f = {0};
    fx_open_default(&f);
    struct cw_card c = mk_card("8613800000001", 1, 0, 0);
    const char *me = "8613800000001";
    struct cw_event evs[] = {
        mk_event(T0, CW_EV_SMS_MO, CW_PROTO_MAP, me, "8613900000001", 11),
        mk_event(T0 + 10 * SEC, CW_EV_CALL, CW_PROTO_SIP, me, "8613900000002", 12),
        mk_event(T0 + 20 * SEC, CW_EV_SMS_MT, CW_PROTO_MAP, me, "8613900000003", 13),
        mk_event(T0 + 30 * SEC, CW_EV_SMS_MO, CW_PROTO_SMPP, me, "8613900000004", 14),
        mk_event(T0 + 40 * SEC, CW_EV_REGISTER, CW_PROTO_SIP, me, "", 15),
        mk_event(T0 + 3000 * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, me, "8613900000005", 16),
        mk_event(T0 + 3599 * SEC, CW_EV_CALL, CW_PROTO_SIP, me, "8613900000006", 17),
    };
    evs[2].file_idx = 1;
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        feed(&f, &evs[i], &c);
    assert_int_equal(f.sink.n, 0); /* the window is still open */
    struct cw_engine_stats st;
    uint64_t per[2] = {99, 99};
    cw_engine_stats(f.e, &st, per);
    assert_int_equal(st.events, 7);
    assert_int_equal(st.matched, 5);
    assert_int_equal(st.keys, 1);
    assert_int_equal(st.alerts, 0);
    assert_int_equal(per[0], 0);
    assert_int_equal(per[1], 0); /* over_quota: the card has no ID number */

    cw_engine_flush(f.e);
    assert_int_equal(f.sink.n, 1);
    const struct tu_alert *g = &f.sink.v[0];
    assert_string_equal(g->a.rule, "black_card_active");
    assert_string_equal(g->a.category, "black_card");
    assert_string_equal(g->a.severity, "high");
    assert_string_equal(g->a.group, "card");
    assert_string_equal(g->a.key, "8613800000001");
    assert_non_null(strstr(g->a.description, "without verified real-name registration"));
    assert_int_equal(g->a.events, 5);
    assert_int_equal(g->a.first_ts_us, T0);
    assert_int_equal(g->a.last_ts_us, T0 + 3599 * SEC);
    assert_int_equal(g->a.ts_us, T0 + 3599 * SEC);
    assert_int_equal(g->a.by_kind[CW_EV_SMS_MO], 3);
    assert_int_equal(g->a.by_kind[CW_EV_CALL], 2);
    assert_int_equal(g->a.by_kind[CW_EV_SMS_MT], 0);
    assert_int_equal(g->a.by_kind[CW_EV_REGISTER], 0);
    assert_int_equal(g->a.nsamples, 3);
    assert_int_equal(g->a.samples[0].frame, 11);
    assert_int_equal(g->a.samples[0].ts_us, T0);
    assert_int_equal(g->a.samples[0].kind, CW_EV_SMS_MO);
    assert_int_equal(g->a.samples[0].proto, CW_PROTO_MAP);
    assert_string_equal(g->a.samples[0].calling, me);
    assert_string_equal(g->a.samples[0].called, "8613900000001");
    assert_int_equal(g->a.samples[1].frame, 12);
    assert_int_equal(g->a.samples[1].kind, CW_EV_CALL);
    assert_int_equal(g->a.samples[1].proto, CW_PROTO_SIP);
    assert_int_equal(g->a.samples[2].frame, 14);
    assert_int_equal(g->a.samples[2].ts_us, T0 + 30 * SEC);
    assert_string_equal(g->a.samples[2].called, "8613900000004");
    assert_int_equal(g->a.samples[2].proto, CW_PROTO_SMPP);
    assert_string_equal(g->a.card.msisdn, "8613800000001");
    assert_int_equal(g->a.card.home, 1);
    assert_int_equal(g->a.card.registered, 0);

    cw_engine_stats(f.e, &st, per);
    assert_int_equal(st.keys, 0);
    assert_int_equal(st.keys_peak, 1);
    assert_int_equal(st.alerts, 1);
    assert_int_equal(st.dropped, 0);
    assert_int_equal(per[0], 1);
    /* a second flush reports nothing more */
    cw_engine_flush(f.e);
    assert_int_equal(f.sink.n, 1);
    fx_close(&f);
}

static void test_registered_cards(void **state)
{
    (void)state;
    struct fixture f = {0};
    fx_open_default(&f);
    struct cw_card verified = mk_card("8613800000002", 1, 1, 1);
    struct cw_card unverified = mk_card("8613800000003", 1, 1, 0);
    struct cw_card foreign = mk_card("", 0, 0, 0);
    struct cw_card visitor = mk_card("447700900123", 0, 0, 0);
    for (unsigned i = 0; i < 4; i++) {
        struct cw_event ev =
            mk_event(T0 + i * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, "8613800000002", "10086", i + 1);
        feed(&f, &ev, &verified);
        ev = mk_event(T0 + i * SEC, CW_EV_CALL, CW_PROTO_SIP, "8613800000003", "10086", i + 100);
        feed(&f, &ev, &unverified);
        ev = mk_event(T0 + i * SEC, CW_EV_SMS_MO, CW_PROTO_SMPP, "15550001111", "8613800000002",
                      i + 200);
        feed(&f, &ev, &foreign);
        ev = mk_event(T0 + i * SEC, CW_EV_CALL, CW_PROTO_SIP, "447700900123", "8613800000002",
                      i + 300);
        feed(&f, &ev, &visitor);
        ev = mk_event(T0 + i * SEC, CW_EV_SMS_MO, CW_PROTO_SMPP, "BANK", "8613800000002", i + 400);
        ev.flags = CW_EVF_CALLING_ALNUM;
        feed(&f, &ev, NULL); /* no card at all */
    }
    cw_engine_flush(f.e);
    /* only the registered-but-unverified home card */
    assert_int_equal(f.sink.n, 1);
    assert_string_equal(f.sink.v[0].a.key, "8613800000003");
    assert_int_equal(f.sink.v[0].a.events, 4);
    assert_int_equal(f.sink.v[0].a.by_kind[CW_EV_CALL], 4);
    assert_int_equal(f.sink.v[0].a.card.registered, 1);
    assert_int_equal(f.sink.v[0].a.card.verified, 0);
    assert_string_equal(f.sink.v[0].a.card.province, "33");
    assert_int_equal(f.sink.v[0].a.samples[0].frame, 100);
    struct cw_engine_stats st;
    cw_engine_stats(f.e, &st, NULL);
    assert_int_equal(st.events, 20);
    assert_int_equal(st.matched, 4);
    fx_close(&f);
}

static void test_second_window(void **state)
{
    (void)state;
    struct fixture f = {0};
    fx_open_default(&f);
    struct cw_card c = mk_card("8613800000009", 1, 0, 0);
    struct cw_event ev = mk_event(T0, CW_EV_SMS_MO, CW_PROTO_MAP, "8613800000009", "1", 1);
    feed(&f, &ev, &c);
    ev = mk_event(T0 + 1800 * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, "8613800000009", "2", 2);
    feed(&f, &ev, &c);
    assert_int_equal(f.sink.n, 0);
    /* another card's event at exactly first_ts + window closes the first window */
    struct cw_card other = mk_card("8613800000010", 1, 1, 1);
    ev = mk_event(T0 + 3600 * SEC, CW_EV_CALL, CW_PROTO_SIP, "8613800000010", "3", 3);
    feed(&f, &ev, &other);
    assert_int_equal(f.sink.n, 1);
    assert_int_equal(f.sink.v[0].a.events, 2);
    assert_int_equal(f.sink.v[0].a.first_ts_us, T0);
    assert_int_equal(f.sink.v[0].a.last_ts_us, T0 + 1800 * SEC);
    assert_int_equal(f.sink.v[0].a.ts_us, T0 + 1800 * SEC);
    /* the card's next event opens a new window */
    ev = mk_event(T0 + 3700 * SEC, CW_EV_CALL, CW_PROTO_SIP, "8613800000009", "4", 4);
    feed(&f, &ev, &c);
    ev = mk_event(T0 + 3800 * SEC, CW_EV_CALL, CW_PROTO_SIP, "8613800000009", "5", 5);
    feed(&f, &ev, &c);
    assert_int_equal(f.sink.n, 1);
    cw_engine_flush(f.e);
    assert_int_equal(f.sink.n, 2);
    const struct tu_alert *g = &f.sink.v[1];
    assert_string_equal(g->a.key, "8613800000009");
    assert_int_equal(g->a.events, 2);
    assert_int_equal(g->a.first_ts_us, T0 + 3700 * SEC);
    assert_int_equal(g->a.last_ts_us, T0 + 3800 * SEC);
    assert_int_equal(g->a.by_kind[CW_EV_CALL], 2);
    assert_int_equal(g->a.by_kind[CW_EV_SMS_MO], 0);
    assert_int_equal(g->a.nsamples, 2);
    assert_int_equal(g->a.samples[0].frame, 4);
    assert_int_equal(g->a.samples[1].frame, 5);
    struct cw_engine_stats st;
    uint64_t per[2];
    cw_engine_stats(f.e, &st, per);
    assert_int_equal(st.alerts, 2);
    assert_int_equal(per[0], 2);
    assert_int_equal(st.keys_peak, 1);
    fx_close(&f);
}

static const char rule_thr3[] = "rule three {\n"
                                "    category spam\n"
                                "    severity low\n"
                                "    when kind == sms_mo\n"
                                "    group calling\n"
                                "    window 10m\n"
                                "    threshold events >= 3\n"
                                "    samples 0\n"
                                "}\n";

static void test_threshold(void **state)
{
    (void)state;
    struct fixture f = {0};
    fx_open_text(&f, rule_thr3);
    struct cw_card none = mk_card("", 0, 0, 0);
    /* A: 2 events in a window, then 2 more after it closed: never 3 in one window */
    uint64_t ta[] = {T0, T0 + 60 * SEC, T0 + 601 * SEC, T0 + 700 * SEC};
    for (unsigned i = 0; i < 4; i++) {
        struct cw_event ev = mk_event(ta[i], CW_EV_SMS_MO, CW_PROTO_SMPP, "111", "999", i);
        feed(&f, &ev, &none);
    }
    /* B: 3 events (and a call that does not count) */
    for (unsigned i = 0; i < 4; i++) {
        struct cw_event ev = mk_event(T0 + 800 * SEC + i, i == 1 ? CW_EV_CALL : CW_EV_SMS_MO,
                                      CW_PROTO_SMPP, "222", "999", 10 + i);
        feed(&f, &ev, &none);
    }
    cw_engine_flush(f.e);
    assert_int_equal(f.sink.n, 1);
    assert_string_equal(f.sink.v[0].a.key, "222");
    assert_string_equal(f.sink.v[0].a.group, "calling");
    assert_string_equal(f.sink.v[0].a.severity, "low");
    assert_string_equal(f.sink.v[0].a.description, "");
    assert_int_equal(f.sink.v[0].a.events, 3);
    assert_int_equal(f.sink.v[0].a.nsamples, 0);
    assert_int_equal(f.sink.v[0].a.first_ts_us, T0 + 800 * SEC);
    assert_int_equal(f.sink.v[0].a.last_ts_us, T0 + 800 * SEC + 3);
    struct cw_engine_stats st;
    cw_engine_stats(f.e, &st, NULL);
    assert_int_equal(st.alerts, 1);
    assert_int_equal(st.keys_peak, 2); /* A's second window and B */
    fx_close(&f);
}

/* The example of docs/rules.md: 10:00, 10:20, 10:50, 11:05, 11:10 under 1h / >= 3. */
static void test_doc_example(void **state)
{
    (void)state;
    struct fixture f = {0};
    fx_open_text(&f, "rule ex {\n  category k\n  group card\n  window 1h\n"
                     "  threshold events >= 3\n}\n");
    struct cw_card c = mk_card("8613800000001", 1, 0, 0);
    const uint64_t ten = T0 + 10 * 3600 * SEC;
    const uint64_t mins[] = {0, 20, 50, 65, 70};
    for (unsigned i = 0; i < 5; i++) {
        struct cw_event ev = mk_event(ten + mins[i] * 60 * SEC, CW_EV_SMS_MO, CW_PROTO_MAP,
                                      "8613800000001", "1", i + 1);
        feed(&f, &ev, &c);
        assert_int_equal(f.sink.n, i < 3 ? 0 : 1); /* reported at the 11:05 event */
    }
    assert_int_equal(f.sink.v[0].a.events, 3);
    assert_int_equal(f.sink.v[0].a.first_ts_us, ten);
    assert_int_equal(f.sink.v[0].a.ts_us, ten + 50 * 60 * SEC);
    cw_engine_flush(f.e);
    assert_int_equal(f.sink.n, 1); /* the 11:05 window holds 2: silent */
    struct cw_engine_stats st;
    cw_engine_stats(f.e, &st, NULL);
    assert_int_equal(st.alerts, 1);
    assert_int_equal(st.matched, 5);
    fx_close(&f);
}

static void test_group_called(void **state)
{
    (void)state;
    struct fixture f = {0};
    fx_open_text(&f, "rule fanin {\n"
                     "    category target\n"
                     "    when kind in [sms_mo, sms_mt]\n"
                     "    group called\n"
                     "    window 1m\n"
                     "    threshold events >= 2\n"
                     "    samples 2\n"
                     "}\n");
    struct cw_card c = mk_card("8613800000001", 1, 1, 1);
    const char *callers[] = {"8613800000001", "8613800000002", "8613800000003"};
    for (unsigned i = 0; i < 3; i++) {
        struct cw_event ev =
            mk_event(T0 + i * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, callers[i], "8613912345678", i);
        feed(&f, &ev, &c);
    }
    /* no called number: no key, skipped */
    struct cw_event ev = mk_event(T0 + 5 * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, "8613800000001", "", 9);
    feed(&f, &ev, &c);
    /* a single message to someone else: under threshold */
    ev = mk_event(T0 + 6 * SEC, CW_EV_SMS_MT, CW_PROTO_MAP, "8613800000001", "8613000000000", 10);
    feed(&f, &ev, &c);
    cw_engine_flush(f.e);
    assert_int_equal(f.sink.n, 1);
    const struct tu_alert *g = &f.sink.v[0];
    assert_string_equal(g->a.group, "called");
    assert_string_equal(g->a.key, "8613912345678");
    assert_int_equal(g->a.events, 3);
    assert_int_equal(g->a.nsamples, 2);
    assert_string_equal(g->a.samples[0].calling, "8613800000001");
    assert_string_equal(g->a.samples[1].calling, "8613800000002");
    struct cw_engine_stats st;
    cw_engine_stats(f.e, &st, NULL);
    assert_int_equal(st.events, 5);
    assert_int_equal(st.matched, 4);
    fx_close(&f);
}

static void test_conditions(void **state)
{
    (void)state;
    struct fixture f = {0};
    fx_open_text(&f, "rule reg_only {\n"
                     "    category k\n"
                     "    when kind in [register, data_session]\n"
                     "    group imsi\n"
                     "    window 1h\n"
                     "    threshold events >= 1\n"
                     "}\n"
                     "rule zj_text_not_sip {\n"
                     "    category k\n"
                     "    when card.province == 33\n"
                     "    when card.status != suspended\n"
                     "    when proto not in [sip]\n"
                     "    when event.has_text\n"
                     "    group card\n"
                     "    window 1h\n"
                     "    threshold events >= 1\n"
                     "}\n");
    struct cw_card c = mk_card("8613800000001", 1, 1, 1); /* province 33, active */
    strcpy(c.imsi, "460001234567890");
    static const char txt[] = "hello";
    struct cw_event ev;
    /* sms/call: not register; no text: rule 2 does not match either */
    ev = mk_event(T0, CW_EV_SMS_MO, CW_PROTO_MAP, "8613800000001", "1", 1);
    feed(&f, &ev, &c);
    ev = mk_event(T0 + 1, CW_EV_CALL, CW_PROTO_SIP, "8613800000001", "1", 2);
    feed(&f, &ev, &c);
    /* register: rule 1, keyed by the card's IMSI */
    ev = mk_event(T0 + 2, CW_EV_REGISTER, CW_PROTO_DIAMETER, "", "", 3);
    strcpy(ev.imsi, "460009999999999");
    feed(&f, &ev, &c);
    /* text over SIP: not rule 2; over MAP: rule 2 */
    ev = mk_event(T0 + 3, CW_EV_SMS_MO, CW_PROTO_SIP, "8613800000001", "1", 4);
    ev.text = cw_slice_make(txt, 5);
    feed(&f, &ev, &c);
    ev.proto = CW_PROTO_MAP;
    ev.frame = 5;
    feed(&f, &ev, &c);
    /* suspended or another province: not rule 2 */
    struct cw_card s = c;
    s.status = CW_CARD_SUSPENDED;
    strcpy(s.msisdn, "8613800000002");
    ev.frame = 6;
    feed(&f, &ev, &s);
    struct cw_card p = c;
    strcpy(p.province, "11");
    strcpy(p.msisdn, "8613800000003");
    ev.frame = 7;
    feed(&f, &ev, &p);
    struct cw_card np = c;
    np.province[0] = '\0';
    strcpy(np.msisdn, "8613800000004");
    ev.frame = 8;
    feed(&f, &ev, &np);
    /* register with no card IMSI: keyed by the event's */
    struct cw_card bare = mk_card("", 0, 0, 0);
    ev = mk_event(T0 + 9, CW_EV_DATA_SESSION, CW_PROTO_GTP, "", "", 9);
    strcpy(ev.imsi, "460001111111111");
    feed(&f, &ev, &bare);
    cw_engine_flush(f.e);

    assert_int_equal(f.sink.n, 3);
    /* window open order: reg_only/IMSI (frame 3), zj_text_not_sip (frame 5), reg_only (9) */
    assert_string_equal(f.sink.v[0].a.rule, "reg_only");
    assert_string_equal(f.sink.v[0].a.group, "imsi");
    assert_string_equal(f.sink.v[0].a.key, "460001234567890");
    assert_int_equal(f.sink.v[0].a.events, 1);
    assert_int_equal(f.sink.v[0].a.by_kind[CW_EV_REGISTER], 1);
    assert_int_equal(f.sink.v[0].a.by_kind[CW_EV_SMS_MO], 0);
    assert_int_equal(f.sink.v[0].a.by_kind[CW_EV_CALL], 0);
    assert_string_equal(f.sink.v[1].a.rule, "zj_text_not_sip");
    assert_string_equal(f.sink.v[1].a.key, "8613800000001");
    assert_int_equal(f.sink.v[1].a.events, 1);
    assert_int_equal(f.sink.v[1].a.samples[0].frame, 5);
    assert_string_equal(f.sink.v[2].a.rule, "reg_only");
    assert_string_equal(f.sink.v[2].a.key, "460001111111111");
    assert_int_equal(f.sink.v[2].a.by_kind[CW_EV_DATA_SESSION], 1);
    uint64_t per[2];
    struct cw_engine_stats st;
    cw_engine_stats(f.e, &st, per);
    assert_int_equal(per[0], 2);
    assert_int_equal(per[1], 1);
    fx_close(&f);
}

static struct cw_card mk_holder(const char *msisdn, int has_id, int id_valid, uint32_t in_province,
                                uint32_t total)
{
    struct cw_card c = mk_card(msisdn, 1, 1, has_id && id_valid);
    c.has_id = (uint8_t)has_id;
    c.id_valid = (uint8_t)id_valid;
    c.person_cards_province = in_province;
    c.person_cards_total = total;
    if (has_id) {
        strcpy(c.id_masked, "330106********1234");
        strcpy(c.id_province, "33");
        for (unsigned i = 0; i < CW_PSEUDO_LEN; i++)
            c.id_pseudo[i] = (uint8_t)(0xa0 + i);
    }
    return c;
}

/* The keys each rule alerted, in alert order, e.g. "B,C,". */
static void keys_of(const struct fixture *f, const char *rule, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < f->sink.n; i++)
        if (strcmp(f->sink.v[i].a.rule, rule) == 0) {
            int w = snprintf(out + o, outlen - o, "%s,", f->sink.v[i].a.key);
            assert_true(w > 0 && (size_t)w < outlen - o);
            o += (size_t)w;
        }
}

#define COUNT_RULE(name, cond)                                                                     \
    "rule " name " {\n  category k\n  when " cond "\n  group card\n  window 1h\n"                  \
    "  threshold events >= 1\n}\n"

/* Every comparison at its boundary; cards without an ID number count 0. */
static void test_count_conditions(void **state)
{
    (void)state;
    struct fixture f = {0};
    /* clang-format off */
    fx_open_text(&f, COUNT_RULE("gt5", "person.cards_in_province > 5")
                         COUNT_RULE("ge5", "person.cards_in_province >= 5")
                         COUNT_RULE("lt5", "person.cards_in_province < 5")
                         COUNT_RULE("le5", "person.cards_in_province <= 5")
                         COUNT_RULE("eq5", "person.cards_in_province == 5")
                         COUNT_RULE("ne5", "person.cards_in_province != 5")
                         COUNT_RULE("total_gt6", "person.cards_total > 6")
                         COUNT_RULE("zero", "person.cards_total == 0")
                         COUNT_RULE("never", "person.cards_total < 0")
                         COUNT_RULE("has_id", "card.has_id")
                         COUNT_RULE("id_valid", "card.id_valid")
                         COUNT_RULE("not_id_valid", "not card.id_valid")
                         "rule both {\n  category k\n  when person.cards_in_province >= 5\n"
                         "  when person.cards_total <= 5\n  group card\n  window 1h\n"
                         "  threshold events >= 1\n}\n");
    /* clang-format on */
    struct cw_card cards[] = {
        mk_holder("A", 1, 1, 4, 4), mk_holder("B", 1, 1, 5, 7), mk_holder("C", 1, 1, 6, 6),
        mk_holder("D", 0, 0, 9, 9), /* no ID number: the counts read 0, whatever they hold */
        mk_holder("E", 1, 0, 5, 5), /* an ID number that failed validation */
    };
    for (unsigned i = 0; i < sizeof cards / sizeof cards[0]; i++) {
        struct cw_event ev = mk_event(T0 + i, CW_EV_SMS_MO, CW_PROTO_MAP, cards[i].msisdn, "1", i);
        feed(&f, &ev, &cards[i]);
    }
    /* no card at all: a zero card, counts 0 */
    struct cw_event ev = mk_event(T0 + 10, CW_EV_SMS_MO, CW_PROTO_MAP, "F", "1", 10);
    feed(&f, &ev, NULL);
    cw_engine_flush(f.e);
    static const char *const want[][2] = {
        {"gt5", "C,"},   {"ge5", "B,C,E,"},      {"lt5", "A,D,F,"},      {"le5", "A,B,D,E,F,"},
        {"eq5", "B,E,"}, {"ne5", "A,C,D,F,"},    {"total_gt6", "B,"},    {"zero", "D,F,"},
        {"never", ""},   {"has_id", "A,B,C,E,"}, {"id_valid", "A,B,C,"}, {"not_id_valid", "D,E,F,"},
        {"both", "E,"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char got[128];
        keys_of(&f, want[i][0], got, sizeof got);
        if (strcmp(got, want[i][1]) != 0)
            fail_msg("rule %s alerted \"%s\", want \"%s\"", want[i][0], got, want[i][1]);
    }
    fx_close(&f);
}

/* The default ruleset's over_quota rule: more than 5 cards in the province, in use, home. */
static void test_over_quota(void **state)
{
    (void)state;
    struct fixture f = {0};
    fx_open_default(&f);
    struct cw_card six = mk_holder("8613800000006", 1, 1, 6, 6);
    struct cw_card five = mk_holder("8613800000005", 1, 1, 5, 9); /* 9 in all provinces */
    struct cw_card away = mk_holder("8613800000007", 1, 1, 6, 6);
    away.home = 0;
    struct cw_card noid = mk_holder("8613800000008", 0, 0, 6, 6);  /* unverified: black */
    struct cw_card black = mk_holder("8613800000009", 1, 0, 7, 7); /* unverified: both rules */
    static const unsigned kinds[] = {CW_EV_SMS_MO,   CW_EV_CALL,   CW_EV_DATA_SESSION,
                                     CW_EV_REGISTER, CW_EV_SMS_MT, CW_EV_AUTH};
    const struct cw_card *cards[] = {&six, &five, &away, &noid, &black};
    uint64_t frame = 1;
    for (unsigned c = 0; c < 5; c++)
        for (unsigned k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            struct cw_event ev = mk_event(T0 + frame * SEC, kinds[k], CW_PROTO_SIP,
                                          cards[c]->msisdn, "8613900000000", frame);
            frame++;
            feed(&f, &ev, cards[c]);
        }
    cw_engine_flush(f.e);
    assert_int_equal(f.sink.n, 4);
    const struct tu_alert *g = &f.sink.v[0];
    assert_string_equal(g->a.rule, "over_quota_active");
    assert_string_equal(g->a.category, "over_quota");
    assert_string_equal(g->a.severity, "medium");
    assert_string_equal(g->a.group, "card");
    assert_string_equal(g->a.key, "8613800000006");
    assert_int_equal(g->a.events, 3);
    assert_int_equal(g->a.by_kind[CW_EV_SMS_MO], 1);
    assert_int_equal(g->a.by_kind[CW_EV_CALL], 1);
    assert_int_equal(g->a.by_kind[CW_EV_DATA_SESSION], 1);
    assert_int_equal(g->a.by_kind[CW_EV_REGISTER], 0);
    assert_int_equal(g->a.card.has_id, 1);
    assert_int_equal(g->a.card.person_cards_province, 6);
    assert_int_equal(g->a.card.person_cards_total, 6);
    assert_memory_equal(g->a.card.id_pseudo, six.id_pseudo, CW_PSEUDO_LEN);
    /* a record without an ID number is not verified: a black card; its counts read 0 */
    assert_string_equal(f.sink.v[1].a.rule, "black_card_active");
    assert_string_equal(f.sink.v[1].a.key, "8613800000008");
    /* the unverified card of a 7-card holder: a black card and over quota */
    assert_string_equal(f.sink.v[2].a.rule, "black_card_active");
    assert_string_equal(f.sink.v[2].a.key, "8613800000009");
    assert_int_equal(f.sink.v[2].a.events, 2);
    assert_string_equal(f.sink.v[3].a.rule, "over_quota_active");
    assert_string_equal(f.sink.v[3].a.key, "8613800000009");
    assert_int_equal(f.sink.v[3].a.events, 3);
    uint64_t per[2];
    struct cw_engine_stats st;
    cw_engine_stats(f.e, &st, per);
    assert_int_equal(per[0], 2);
    assert_int_equal(per[1], 2);
    fx_close(&f);
}

static const char rule_each[] = "rule each {\n"
                                "    category k\n"
                                "    group calling\n"
                                "    window 1h\n"
                                "    threshold events >= 1\n"
                                "    samples 1\n"
                                "}\n";

#define NKEYS 100000u

static void num(char *out, unsigned i)
{
    snprintf(out, CW_NUM_MAX, "86138%08u", i);
}

/* 100k distinct keys open at once; alerts at flush in window-open order, twice (two engines
 * have different hash seeds). */
static void test_many_keys(void **state)
{
    (void)state;
    for (int run = 0; run < 2; run++) {
        struct fixture f = {.use_lite = 1};
        fx_open_text(&f, rule_each);
        /* open windows in a scrambled key order; the order is what flush must reproduce */
        for (unsigned i = 0; i < NKEYS; i++) {
            char n[CW_NUM_MAX];
            num(n, (i * 7919u) % NKEYS);
            struct cw_event ev = mk_event(T0 + i, CW_EV_SMS_MO, CW_PROTO_MAP, n, "1", i + 1);
            feed(&f, &ev, NULL);
        }
        /* every key again: counted in the open windows, no new state */
        for (unsigned i = 0; i < NKEYS; i++) {
            char n[CW_NUM_MAX];
            num(n, i);
            struct cw_event ev =
                mk_event(T0 + NKEYS + i, CW_EV_CALL, CW_PROTO_SIP, n, "1", NKEYS + i + 1);
            feed(&f, &ev, NULL);
        }
        struct cw_engine_stats st;
        cw_engine_stats(f.e, &st, NULL);
        assert_int_equal(st.keys, NKEYS);
        assert_int_equal(st.keys_peak, NKEYS);
        assert_int_equal(st.dropped, 0);
        assert_int_equal(f.lite.n, 0);
        cw_engine_flush(f.e);
        assert_int_equal(f.lite.n, NKEYS);
        for (unsigned i = 0; i < NKEYS; i++) {
            char n[CW_NUM_MAX];
            num(n, (i * 7919u) % NKEYS);
            const struct lite *g = &f.lite.v[i];
            if (strcmp(g->key, n) != 0)
                fail_msg("alert %u: key %s, want %s", i, g->key, n);
            assert_int_equal(g->events, 2);
            assert_int_equal(g->first_ts, T0 + i);
            assert_int_equal(g->by_sms, 1);
            assert_int_equal(g->by_call, 1);
            assert_int_equal(g->nsamples, 1);
            assert_int_equal(g->frame0, i + 1);
        }
        cw_engine_stats(f.e, &st, NULL);
        assert_int_equal(st.keys, 0);
        assert_int_equal(st.alerts, NKEYS);
        fx_close(&f);
    }
}

/* Windows closing while new ones open: 5000 keys in rotation, a 1s window, 100us between
 * events, so each window holds exactly 2 events and the table keeps deleting and inserting. */
static void test_churn(void **state)
{
    (void)state;
    struct fixture f = {.use_lite = 1};
    fx_open_text(&f, "rule churn {\n  category k\n  group called\n  window 1s\n"
                     "  threshold events >= 2\n  samples 2\n}\n");
    const unsigned nk = 5000, n = 200000;
    for (unsigned i = 0; i < n; i++) {
        char called[CW_NUM_MAX];
        num(called, (i % nk) * 13u);
        struct cw_event ev =
            mk_event(T0 + (uint64_t)i * 100, CW_EV_SMS_MO, CW_PROTO_MAP, "1", called, i);
        feed(&f, &ev, NULL);
    }
    struct cw_engine_stats st;
    cw_engine_stats(f.e, &st, NULL);
    assert_int_equal(st.keys_peak, nk);
    cw_engine_flush(f.e);
    assert_int_equal(f.lite.n, n / 2);
    for (size_t i = 0; i < f.lite.n; i++) {
        const struct lite *g = &f.lite.v[i];
        /* alerts come in window order: window w holds events w' and w' + nk */
        unsigned first = (unsigned)((i / nk) * 2 * nk + i % nk);
        char want[CW_NUM_MAX];
        num(want, (first % nk) * 13u);
        assert_string_equal(g->key, want);
        assert_int_equal(g->events, 2);
        assert_int_equal(g->first_ts, T0 + (uint64_t)first * 100);
        assert_int_equal(g->last_ts, T0 + (uint64_t)(first + nk) * 100);
        assert_int_equal(g->frame0, first);
        assert_int_equal(g->frame1, first + nk);
    }
    cw_engine_stats(f.e, &st, NULL);
    assert_int_equal(st.alerts, n / 2);
    assert_int_equal(st.keys, 0);
    fx_close(&f);
}

static void test_flush_order(void **state)
{
    (void)state;
    struct fixture f = {0};
    fx_open_text(&f, "rule by_calling {\n  category a\n  group calling\n  window 1h\n"
                     "  threshold events >= 1\n}\n"
                     "rule by_called {\n  category b\n  group called\n  window 10m\n"
                     "  threshold events >= 1\n}\n");
    struct cw_event ev = mk_event(T0, CW_EV_SMS_MO, CW_PROTO_MAP, "100", "200", 1);
    feed(&f, &ev, NULL);
    ev = mk_event(T0 + SEC, CW_EV_SMS_MO, CW_PROTO_MAP, "300", "100", 2);
    feed(&f, &ev, NULL);
    ev = mk_event(T0 + 2 * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, "200", "300", 3);
    feed(&f, &ev, NULL);
    ev = mk_event(T0 + 3 * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, "100", "300", 4);
    feed(&f, &ev, NULL);
    cw_engine_flush(f.e);
    static const char *const want[][2] = {
        {"by_calling", "100"}, {"by_called", "200"},  {"by_calling", "300"},
        {"by_called", "100"},  {"by_calling", "200"}, {"by_called", "300"},
    };
    assert_int_equal(f.sink.n, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(f.sink.v[i].a.rule, want[i][0]);
        assert_string_equal(f.sink.v[i].a.key, want[i][1]);
    }
    assert_int_equal(f.sink.v[0].a.events, 2);
    assert_int_equal(f.sink.v[5].a.events, 2);

    /* at packet time, due windows close earliest deadline first: the 10m ones, then 1h */
    fx_clear_alerts(&f);
    ev = mk_event(T0 + 4000 * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, "100", "200", 5);
    feed(&f, &ev, NULL);
    ev = mk_event(T0 + 4001 * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, "300", "100", 6);
    feed(&f, &ev, NULL);
    assert_int_equal(f.sink.n, 0);
    ev = mk_event(T0 + 8000 * SEC, CW_EV_CALL, CW_PROTO_SIP, "", "", 7); /* no keys */
    feed(&f, &ev, NULL);
    assert_int_equal(f.sink.n, 4);
    assert_string_equal(f.sink.v[0].a.rule, "by_called");
    assert_string_equal(f.sink.v[0].a.key, "200");
    assert_string_equal(f.sink.v[1].a.rule, "by_called");
    assert_string_equal(f.sink.v[1].a.key, "100");
    assert_string_equal(f.sink.v[2].a.rule, "by_calling");
    assert_string_equal(f.sink.v[2].a.key, "100");
    assert_string_equal(f.sink.v[3].a.rule, "by_calling");
    assert_string_equal(f.sink.v[3].a.key, "300");
    fx_close(&f);
}

/* Packet time going backwards never makes a window count an event at or after its end. */
static void test_time_backwards(void **state)
{
    (void)state;
    struct fixture f = {0};
    fx_open_text(&f, rule_each);
    struct cw_event ev = mk_event(T0 + 100 * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, "A1", "1", 1);
    feed(&f, &ev, NULL);
    ev = mk_event(T0, CW_EV_SMS_MO, CW_PROTO_MAP, "B2", "1", 2); /* older, opened later */
    feed(&f, &ev, NULL);
    /* now = T0+3650s: B2's window (deadline T0+3600s) is due but behind A1's in the FIFO */
    ev = mk_event(T0 + 3650 * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, "C3", "1", 3);
    feed(&f, &ev, NULL);
    assert_int_equal(f.sink.n, 0);
    ev = mk_event(T0 + 3660 * SEC, CW_EV_SMS_MO, CW_PROTO_MAP, "B2", "1", 4);
    feed(&f, &ev, NULL);
    assert_int_equal(f.sink.n, 1); /* B2's old window closed, a new one opened */
    assert_string_equal(f.sink.v[0].a.key, "B2");
    assert_int_equal(f.sink.v[0].a.events, 1);
    assert_int_equal(f.sink.v[0].a.first_ts_us, T0);
    cw_engine_flush(f.e);
    assert_int_equal(f.sink.n, 4);
    assert_string_equal(f.sink.v[1].a.key, "A1");
    assert_string_equal(f.sink.v[2].a.key, "C3");
    assert_string_equal(f.sink.v[3].a.key, "B2");
    assert_int_equal(f.sink.v[3].a.first_ts_us, T0 + 3660 * SEC);
    fx_close(&f);
}

/* Untrusted event fields without a terminator stay within bounds. */
static void test_unterminated_fields(void **state)
{
    (void)state;
    struct fixture f = {0};
    fx_open_text(&f, rule_each);
    struct cw_event ev;
    memset(&ev, '7', sizeof ev);
    ev.ts_us = T0;
    ev.kind = 200;
    ev.proto = 250;
    ev.text = cw_slice_make(NULL, 0);
    feed(&f, &ev, NULL);
    cw_engine_flush(f.e);
    assert_int_equal(f.sink.n, 1);
    assert_int_equal(strlen(f.sink.v[0].a.key), CW_NUM_MAX); /* all of the field, no more */
    assert_int_equal(f.sink.v[0].a.events, 1);
    assert_int_equal(strlen(f.sink.v[0].a.samples[0].calling), CW_NUM_MAX - 1);
    for (unsigned k = 0; k < CW_EV__COUNT; k++)
        assert_int_equal(f.sink.v[0].a.by_kind[k], 0);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_ruleset),     cmocka_unit_test(test_parse_features),
        cmocka_unit_test(test_parse_errors),        cmocka_unit_test(test_parse_counts),
        cmocka_unit_test(test_count_errors),        cmocka_unit_test(test_empty_rulesets),
        cmocka_unit_test(test_load_directory),      cmocka_unit_test(test_unregistered_home_card),
        cmocka_unit_test(test_registered_cards),    cmocka_unit_test(test_second_window),
        cmocka_unit_test(test_threshold),           cmocka_unit_test(test_doc_example),
        cmocka_unit_test(test_group_called),        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_count_conditions),    cmocka_unit_test(test_over_quota),
        cmocka_unit_test(test_many_keys),           cmocka_unit_test(test_churn),
        cmocka_unit_test(test_flush_order),         cmocka_unit_test(test_time_backwards),
        cmocka_unit_test(test_unterminated_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
