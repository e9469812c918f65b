/* test_content.c - content lists (keywords, regexes, number prefixes; Hyperscan) and their use
 * in the rule language: matching in Chinese and English, list errors with file:line, rule
 * errors with file:line:col, alerts carrying the matched patterns as evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "output/alerts.h"
#include "rules/content.h"
#include "rules/rules.h"
#include "testutil.h"
#include "util/error.h"
#include "util/json_out.h"

#define SEC 1000000ull
#define T0 (1767225600ull * SEC)

/* ---- helpers ---- */

static struct cw_content_list *parse_ok(const char *name, int type, const char *text)
{
    struct cw_content_list *l = NULL;
    char err[512] = "";
    int rc = cw_content_parse(name, type, text, strlen(text), &l, err, sizeof err);
    if (rc)
        fprintf(stderr, "unexpected error: %s\n", err);
    assert_int_equal(rc, 0);
    assert_non_null(l);
    return l;
}

static void parse_err(const char *name, int type, const char *text, const char *want)
{
    struct cw_content_list *l = (struct cw_content_list *)(uintptr_t)1;
    char err[512] = "";
    int rc = cw_content_parse(name, type, text, strlen(text), &l, err, sizeof err);
    if (strncmp(err, want, strlen(want)) != 0)
        fprintf(stderr, "wanted \"%s...\"\ngot    \"%s\"\n", want, err);
    assert_int_equal(rc, CW_EFORMAT);
    assert_null(l);
    assert_memory_equal(err, want, strlen(want));
}

/* Match @p text; returns the count, matches in @p m. */
static int match(const struct cw_content_list *l, const char *text, struct cw_content_match *m,
                 unsigned max)
{
    struct cw_content_scratch *s = NULL;
    assert_int_equal(cw_content_scratch_add(l, &s), 0);
    /* an exactly-sized copy, so ASan sees an over-read */
    size_t len = strlen(text);
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, text, len);
    int n = cw_content_match(l, s, buf, len, m, max);
    free(buf);
    cw_content_scratch_free(s);
    assert_true(n >= 0);
    return n;
}

static const struct cw_content_match *find_line(const struct cw_content_match *m, int n,
                                                unsigned line)
{
    for (int i = 0; i < n; i++)
        if (m[i].line == line)
            return &m[i];
    return NULL;
}

static void assert_span(const char *text, const struct cw_content_match *m, const char *want)
{
    assert_non_null(m);
    assert_int_equal(m->to - m->from, strlen(want));
    assert_memory_equal(text + m->from, want, strlen(want));
}

/* ---- keyword lists ---- */

static void test_kw_zh_en(void **state)
{
    (void)state;
    const char *list = "# fraud words\n"
                       "\n"
                       "中奖\n"
                       "  you have won  \r\n"
                       "验证码\n"
                       "# 公安 is a comment here\n"
                       "公安\n";
    struct cw_content_list *l = parse_ok("t.kw", CW_CONTENT_KW, list);
    assert_int_equal(cw_content_type(l), CW_CONTENT_KW);
    assert_int_equal(cw_content_count(l), 4);
    assert_string_equal(cw_content_pattern(l, 3), "中奖");
    assert_string_equal(cw_content_pattern(l, 4), "you have won");
    assert_null(cw_content_pattern(l, 1));
    assert_null(cw_content_pattern(l, 6));

    struct cw_content_match m[8];
    const char *t = "【通知】恭喜您中奖! You have won 5000元, 回复验证码领取";
    int n = match(l, t, m, 8);
    assert_int_equal(n, 3);
    assert_span(t, find_line(m, n, 3), "中奖");
    assert_span(t, find_line(m, n, 4), "You have won");
    assert_span(t, find_line(m, n, 5), "验证码");
    assert_null(find_line(m, n, 7));

    /* only one per pattern, however often it occurs */
    t = "中奖中奖中奖 公安 中奖";
    n = match(l, t, m, 8);
    assert_int_equal(n, 2);
    assert_span(t, find_line(m, n, 3), "中奖");
    assert_span(t, find_line(m, n, 7), "公安");

    /* max caps the count */
    t = "中奖 you have won 验证码 公安";
    assert_int_equal(match(l, t, m, 2), 2);
    cw_content_free(l);
}

static void test_kw_case_and_literals(void **state)
{
    (void)state;
    const char *list = "OTP\n"
                       "earn $$$\n"
                       "a.b*c(d)\n"
                       "[vip]\n"
                       "\\d+\n";
    struct cw_content_list *l = parse_ok("t.kw", CW_CONTENT_KW, list);
    struct cw_content_match m[8];
    /* ASCII letters without regard to case */
    assert_int_equal(match(l, "your otp is 1234", m, 8), 1);
    assert_int_equal(m[0].line, 1);
    assert_int_equal(match(l, "Your Otp", m, 8), 1);
    /* metacharacters are literal */
    const char *t = "EARN $$$ now: a.b*c(d) [VIP] \\d+";
    int n = match(l, t, m, 8);
    assert_int_equal(n, 4);
    assert_span(t, find_line(m, n, 2), "EARN $$$");
    assert_span(t, find_line(m, n, 3), "a.b*c(d)");
    assert_span(t, find_line(m, n, 4), "[VIP]");
    assert_span(t, find_line(m, n, 5), "\\d+");
    assert_int_equal(match(l, "earn 100 abbbcd v 42 aXb*c(d)", m, 8), 0);
    /* case folding is for ASCII only: full-width letters are other characters */
    assert_int_equal(match(l, "ＯＴＰ", m, 8), 0);
    cw_content_free(l);
}

static void test_no_match_and_empty(void **state)
{
    (void)state;
    struct cw_content_list *l = parse_ok("t.kw", CW_CONTENT_KW, "中奖\nloan\n");
    struct cw_content_match m[8];
    assert_int_equal(match(l, "明天下午三点开会, see you", m, 8), 0);
    assert_int_equal(match(l, "", m, 8), 0);
    /* half a character is no match */
    assert_int_equal(match(l, "\xE4\xB8", m, 8), 0);
    cw_content_free(l);

    /* a list of only comments is empty and matches nothing */
    l = parse_ok("e.kw", CW_CONTENT_KW, "# nothing yet\n\n   \n");
    assert_int_equal(cw_content_count(l), 0);
    assert_int_equal(match(l, "中奖", m, 8), 0);
    cw_content_free(l);
    l = parse_ok("e.re", CW_CONTENT_RE, "");
    assert_int_equal(match(l, "x", m, 8), 0);
    cw_content_free(l);
}

static void test_many_patterns(void **state)
{
    (void)state;
    size_t cap = 64 * 1024, o = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (int i = 0; i < 600; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%04d\n", i % 2 ? "诈骗词" : "scamword", i);
    struct cw_content_list *l = parse_ok("many.kw", CW_CONTENT_KW, buf);
    free(buf);
    assert_int_equal(cw_content_count(l), 600);
    struct cw_content_match m[8];
    const char *t = "x SCAMWORD0042 y 诈骗词0599 z scamword0600";
    int n = match(l, t, m, 8);
    assert_int_equal(n, 2);
    assert_span(t, find_line(m, n, 43), "SCAMWORD0042");
    assert_span(t, find_line(m, n, 600), "诈骗词0599");
    assert_string_equal(cw_content_pattern(l, 600), "诈骗词0599");
    cw_content_free(l);
}

/* ---- regex lists ---- */

static void test_regex(void **state)
{
    (void)state;
    const char *list = "# links and money\n"
                       "https?://[A-Za-z0-9.-]+(/\\S*)?\n"
                       "[\\x{4e00}-\\x{9fff}]{2}奖\n"
                       "\\d+元\n"
                       "(?i)refund\\s+fee\n"
                       "^\\p{Han}\n";
    struct cw_content_list *l = parse_ok("t.re", CW_CONTENT_RE, list);
    struct cw_content_match m[8];
    const char *t = "恭喜中奖 请访问 http://ab.cn/x1 领取 500元 REFUND  fee";
    int n = match(l, t, m, 8);
    assert_int_equal(n, 5);
    assert_span(t, find_line(m, n, 2), "http://ab.cn/x1"); /* the longest at the leftmost start */
    assert_span(t, find_line(m, n, 3), "喜中奖");
    assert_span(t, find_line(m, n, 4), "500元");
    assert_span(t, find_line(m, n, 5), "REFUND  fee");
    assert_span(t, find_line(m, n, 6), "恭");
    assert_int_equal(match(l, "see you at 5 pm", m, 8), 0);
    cw_content_free(l);

    /* the shipped lists compile and find what they are for */
    char path[1024];
    char err[512];
    snprintf(path, sizeof path, "%s/rules/lists/links.re", CW_SOURCE_DIR);
    assert_int_equal(cw_content_load(path, &l, err, sizeof err), 0);
    t = "点击 t.cn/A6xYz 或 https://pay-refund.top/login";
    n = match(l, t, m, 8);
    assert_true(n >= 2);
    cw_content_free(l);
    static const char *const shipped[] = {"fraud_zh.kw", "fraud_en.kw"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/rules/lists/%s", CW_SOURCE_DIR, shipped[i]);
        int rc = cw_content_load(path, &l, err, sizeof err);
        if (rc)
            fprintf(stderr, "%s\n", err);
        assert_int_equal(rc, 0);
        assert_true(cw_content_count(l) >= 15);
        cw_content_free(l);
    }
}

static void test_list_errors(void **state)
{
    (void)state;
    parse_err("b.re", CW_CONTENT_RE, "ok\n# c\n(abc\n", "b.re:3: error: Missing close parenthesis");
    parse_err("b.re", CW_CONTENT_RE, "a\nb*\n", "b.re:2: error: ");
    parse_err("b.re", CW_CONTENT_RE, "x\xff\n", "b.re:1: error: pattern is not valid UTF-8");
    parse_err("b.kw", CW_CONTENT_KW, "ok\n\n\xe4\xb8\n",
              "b.kw:3: error: pattern is not valid UTF-8");
    parse_err("b.kw", CW_CONTENT_KW,
              "a\x01"
              "b\n",
              "b.kw:1: error: control character 0x01");
    parse_err("b.prefix", CW_CONTENT_PREFIX, "86170\n8617x\n",
              "b.prefix:2: error: expected a number prefix (digits only)");
    parse_err("b.prefix", CW_CONTENT_PREFIX, "12345678901234567890123456789012\n",
              "b.prefix:1: error: expected a number prefix of at most 31 digits");

    char err[512];
    struct cw_content_list *l;
    assert_int_equal(cw_content_load("/nonexistent/x.kw", &l, err, sizeof err), CW_EIO);
    assert_non_null(strstr(err, "/nonexistent/x.kw: error: cannot open"));
    assert_int_equal(cw_content_load("x.txt", &l, err, sizeof err), CW_EINVAL);
    assert_int_equal(cw_content_type_of("a/b.kw"), CW_CONTENT_KW);
    assert_int_equal(cw_content_type_of("a/.kw"), -1);
    assert_int_equal(cw_content_type_of("a.prefix"), CW_CONTENT_PREFIX);
}

/* ---- prefix lists ---- */

static void test_prefix(void **state)
{
    (void)state;
    struct cw_content_list *l =
        parse_ok("p.prefix", CW_CONTENT_PREFIX, "# virtual operators\n86170\n86171\n8616\n86170\n");
    assert_int_equal(cw_content_type(l), CW_CONTENT_PREFIX);
    assert_int_equal(cw_content_prefix(l, "8617012345678", 13), 2);
    assert_int_equal(cw_content_prefix(l, "8617112345678", 13), 3);
    assert_int_equal(cw_content_prefix(l, "8616512345678", 13), 4);
    assert_int_equal(cw_content_prefix(l, "8613812345678", 13), 0);
    assert_int_equal(cw_content_prefix(l, "8617", 4), 0);
    assert_int_equal(cw_content_prefix(l, "", 0), 0);
    assert_string_equal(cw_content_pattern(l, 4), "8616");
    struct cw_content_match m[1];
    assert_int_equal(cw_content_match(l, NULL, (const uint8_t *)"x", 1, m, 1), CW_EINVAL);
    cw_content_free(l);
}

/* ---- the rule language ---- */

struct fixture {
    char *dir;
};

static void write_in(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    tu_write_file(path, text, strlen(text));
}

static int setup_dir(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp();
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/lists", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    write_in(f->dir, "lists/zh.kw", "# zh\n中奖\n刷单\n验证码\n");
    write_in(f->dir, "lists/en.kw", "OTP\nyou have won\n");
    write_in(f->dir, "lists/links.re", "https?://\\S+\n");
    write_in(f->dir, "lists/virt.prefix", "86170\n86171\n");
    write_in(f->dir, "lists/bad.re", "fine\n\n(open\n");
    *state = f;
    return 0;
}

static int teardown_dir(void **state)
{
    struct fixture *f = *state;
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

#define RULE_HEAD                                                                                  \
    "rule r {\n    category fraud_sms\n    group card\n    window 1h\n    threshold events >= 1\n"

/* Load @p text as DIR/t.rules: expect an error at LINE:COL holding @p fragment. */
static void rules_err(const struct fixture *f, const char *text, unsigned line, unsigned col,
                      const char *fragment)
{
    write_in(f->dir, "t.rules", text);
    char path[1024], want[1100], err[1024] = "";
    snprintf(path, sizeof path, "%s/t.rules", f->dir);
    snprintf(want, sizeof want, "%s:%u:%u: error: ", path, line, col);
    struct cw_ruleset *rs = NULL;
    int rc = cw_rules_load(path, &rs, err, sizeof err);
    if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, fragment))
        fprintf(stderr, "wanted \"%s...%s\"\ngot    \"%s\"\n", want, fragment, err);
    assert_int_equal(rc, CW_EFORMAT);
    assert_null(rs);
    assert_memory_equal(err, want, strlen(want));
    assert_non_null(strstr(err, fragment));
}

static void test_rule_errors(void **state)
{
    const struct fixture *f = *state;
    rules_err(f, RULE_HEAD "    when text matches nope\n}\n", 6, 23,
              "unknown list 'nope' (declare it before the rule: list nope \"FILE\")");
    rules_err(f, "list v \"lists/virt.prefix\"\n" RULE_HEAD "    when text matches v\n}\n", 7, 23,
              "list 'v' is a prefix list: 'text matches' takes a keyword (.kw) or regex (.re) "
              "list");
    rules_err(f, "list zh \"lists/zh.kw\"\n" RULE_HEAD "    when called prefix zh\n}\n", 7, 24,
              "list 'zh' is a keyword list: 'called prefix' takes a prefix (.prefix) list");
    rules_err(f, "list zh \"lists/zh.kw\"\n" RULE_HEAD "    when text contains zh\n}\n", 7, 15,
              "expected 'matches' and a list name after 'text', got 'contains'");
    rules_err(f, "list zh \"lists/zh.kw\"\n" RULE_HEAD "    when calling matches zh\n}\n", 7, 18,
              "expected 'prefix' and a list name after 'calling', got 'matches'");
    rules_err(f, "list zh \"lists/zh.kw\"\n" RULE_HEAD "    when text matches zh extra\n}\n", 7, 26,
              "expected end of line after the condition, got 'extra'");
    rules_err(f, "\nlist gone \"lists/gone.kw\"\n", 2, 11, "list 'gone': ");
    rules_err(f, "\nlist gone \"lists/gone.kw\"\n", 2, 11, "lists/gone.kw: cannot open: ");
    rules_err(f, "list b \"lists/bad.re\"\n", 1, 8, "lists/bad.re:3: Missing close parenthesis");
    rules_err(f, "list x \"lists/x.txt\"\n", 1, 8, "expected a list file ending in .kw");
    rules_err(f, "list x \"/etc/x.kw\"\n", 1, 8, "expected a relative path to the list file");
    rules_err(f, "list x lists/zh.kw\n", 1, 8, "expected the list's file as a \"quoted path\"");
    rules_err(f, "list zh \"lists/zh.kw\"\nlist zh \"lists/en.kw\"\n", 2, 6,
              "duplicate list name 'zh' (first declared at ");
    rules_err(f, "list 9x \"lists/zh.kw\"\n", 1, 6, "expected a list name");
    rules_err(f, "list zh \"lists/zh.kw\" more\n", 1, 23,
              "expected end of line after the list's file, got 'more'");
}

/* ---- the engine ---- */

#define MAXGOT 16
struct got {
    unsigned n;
    char rule[MAXGOT][64];
    unsigned nmatches[MAXGOT];
    struct cw_alert_match m[MAXGOT][CW_ALERT_MATCHES_MAX];
    char list[MAXGOT][CW_ALERT_MATCHES_MAX][32];
    char pattern[MAXGOT][CW_ALERT_MATCHES_MAX][64];
    char json[MAXGOT][2048];
};

static void on_alert(void *user, const struct cw_alert *a)
{
    struct got *g = user;
    assert_true(g->n < MAXGOT);
    unsigned i = g->n++;
    snprintf(g->rule[i], sizeof g->rule[i], "%s", a->rule);
    g->nmatches[i] = a->nmatches;
    for (unsigned k = 0; k < a->nmatches; k++) {
        g->m[i][k] = a->matches[k];
        snprintf(g->list[i][k], sizeof g->list[i][k], "%s", a->matches[k].list);
        snprintf(g->pattern[i][k], sizeof g->pattern[i][k], "%s", a->matches[k].pattern);
    }
    struct cw_json j;
    memset(&j, 0, sizeof j);
    cw_json_reset(&j);
    cw_alert_json(&j, a, NULL, 0);
    assert_false(j.oom);
    snprintf(g->json[i], sizeof g->json[i], "%.*s", (int)j.len, j.buf);
    cw_json_release(&j);
}

static void sms(struct cw_engine *e, uint64_t ts, const char *calling, const char *text)
{
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.ts_us = ts;
    ev.kind = CW_EV_SMS_MO;
    ev.proto = CW_PROTO_SIP;
    snprintf(ev.calling, sizeof ev.calling, "%s", calling);
    snprintf(ev.called, sizeof ev.called, "8613900000001");
    size_t len = strlen(text);
    uint8_t *buf = malloc(len ? len : 1); /* exactly sized: ASan sees an over-read */
    assert_non_null(buf);
    memcpy(buf, text, len);
    ev.text = (struct cw_slice){buf, len};
    struct cw_card c;
    memset(&c, 0, sizeof c);
    snprintf(c.msisdn, sizeof c.msisdn, "%s", calling);
    cw_engine_event(e, &ev, &c);
    free(buf);
}

static const unsigned *find_alert(const struct got *g, const char *rule, unsigned *idx)
{
    for (unsigned i = 0; i < g->n; i++)
        if (strcmp(g->rule[i], rule) == 0) {
            *idx = i;
            return &g->nmatches[i];
        }
    return NULL;
}

static void test_engine(void **state)
{
    const struct fixture *f = *state;
    write_in(f->dir, "t.rules",
             "list zh \"lists/zh.kw\"\n"
             "list en \"lists/en.kw\"\n"
             "list links \"lists/links.re\"\n"
             "list virt \"lists/virt.prefix\"\n"
             "rule zh_spam {\n    category fraud_sms\n"
             "    when text matches zh\n" /* written first; runs last */
             "    when kind == sms_mo\n"
             "    group card\n    window 1h\n    threshold events >= 2\n}\n"
             "rule zh_link {\n    category fraud_sms\n"
             "    when text matches zh\n    when text matches links\n"
             "    group card\n    window 1h\n    threshold events >= 1\n}\n"
             "rule virt_no_link {\n    category virtual_card\n"
             "    when calling prefix virt\n    when not text matches links\n"
             "    group calling\n    window 1h\n    threshold events >= 1\n}\n"
             "rule en_call {\n    category fraud_sms\n    when kind == call\n"
             "    when text matches en\n    group card\n    window 1h\n"
             "    threshold events >= 1\n}\n");
    char path[1024], err[1024];
    snprintf(path, sizeof path, "%s/t.rules", f->dir);
    struct cw_ruleset *rs = NULL;
    int rc = cw_rules_load(path, &rs, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(cw_rules_count(rs), 4);

    struct got *g = calloc(1, sizeof *g);
    struct cw_alert_sink sink = {on_alert, g};
    struct cw_engine *e = NULL;
    assert_int_equal(cw_engine_new(rs, &sink, &e), 0);
    sms(e, T0, "8613800000001", "恭喜您中奖了, 回复验证码");
    sms(e, T0 + SEC, "8613800000001", "刷单兼职, 中奖 http://x.top/a OTP");
    sms(e, T0 + 2 * SEC, "8613800000002", "明天见");                /* matches no list */
    sms(e, T0 + 3 * SEC, "8617000000009", "你好, 这是验证码 1234"); /* virt, no link */
    sms(e, T0 + 4 * SEC, "8617100000009", "see http://a.cn");       /* virt, a link */
    sms(e, T0 + 5 * SEC, "8613800000003", "");                      /* no text */
    cw_engine_flush(e);

    unsigned i;
    const unsigned *nm = find_alert(g, "zh_spam", &i);
    assert_non_null(nm);
    /* deduplicated by pattern across the window's events: 中奖, 验证码, 刷单 */
    assert_int_equal(*nm, 3);
    assert_string_equal(g->list[i][0], "zh");
    assert_string_equal(g->pattern[i][0], "中奖");
    assert_int_equal(g->m[i][0].line, 2);
    assert_string_equal(g->m[i][0].text, "中奖");
    assert_string_equal(g->pattern[i][1], "验证码");
    assert_int_equal(g->m[i][1].line, 4);
    assert_string_equal(g->pattern[i][2], "刷单");
    assert_non_null(strstr(g->json[i], "\"matches\":[{\"list\":\"zh\",\"pattern\":\"中奖\","
                                       "\"line\":2,\"text\":\"中奖\"}"));

    nm = find_alert(g, "zh_link", &i);
    assert_non_null(nm);
    assert_int_equal(*nm, 3); /* 刷单 and 中奖 from zh, the URL from links */
    unsigned seen_link = 0;
    for (unsigned k = 0; k < *nm; k++)
        if (strcmp(g->list[i][k], "links") == 0) {
            seen_link = 1;
            assert_string_equal(g->m[i][k].text, "http://x.top/a");
            assert_int_equal(g->m[i][k].line, 1);
        }
    assert_true(seen_link);

    nm = find_alert(g, "virt_no_link", &i);
    assert_non_null(nm);
    assert_int_equal(*nm, 1); /* the prefix; a negated condition gives no evidence */
    assert_string_equal(g->list[i][0], "virt");
    assert_string_equal(g->pattern[i][0], "86170");
    assert_string_equal(g->m[i][0].text, "8617000000009");
    assert_int_equal(g->n, 3); /* en_call: no call events */

    /* a rule without content conditions carries no matches */
    struct cw_engine_stats st;
    cw_engine_stats(e, &st, NULL);
    assert_int_equal(st.events, 6);
    cw_engine_free(e);
    cw_rules_free(rs);
    free(g);
}

/* At most 8 matches, and a long span is cut on a character boundary. */
static void test_engine_caps(void **state)
{
    const struct fixture *f = *state;
    char list[4096] = "";
    size_t o = 0;
    for (int k = 0; k < 12; k++)
        o += (size_t)snprintf(list + o, sizeof list - o, "词%02d\n", k);
    o += (size_t)snprintf(list + o, sizeof list - o,
                          "长长长长长长长长长长长长长长长长长长长长长长长长\n");
    write_in(f->dir, "lists/many.kw", list);
    write_in(f->dir, "c.rules",
             "list many \"lists/many.kw\"\n"
             "rule caps {\n    category fraud_sms\n    when text matches many\n"
             "    group card\n    window 1h\n    threshold events >= 1\n}\n");
    char path[1024], err[1024];
    snprintf(path, sizeof path, "%s/c.rules", f->dir);
    struct cw_ruleset *rs = NULL;
    assert_int_equal(cw_rules_load(path, &rs, err, sizeof err), 0);
    struct got *g = calloc(1, sizeof *g);
    struct cw_alert_sink sink = {on_alert, g};
    struct cw_engine *e = NULL;
    assert_int_equal(cw_engine_new(rs, &sink, &e), 0);
    sms(e, T0, "8613800000001", "长长长长长长长长长长长长长长长长长长长长长长长长");
    sms(e, T0 + 1, "8613800000001", "词00 词01 词02 词03 词04 词05 词06 词07 词08 词09 词10");
    cw_engine_flush(e);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->nmatches[0], CW_ALERT_MATCHES_MAX);
    assert_int_equal(g->m[0][0].line, 13);
    assert_int_equal(g->m[0][0].text_len, 63); /* 21 characters of 3 bytes */
    assert_int_equal(strlen(g->m[0][0].text), 63);
    cw_engine_free(e);
    cw_rules_free(rs);
    free(g);
}

/* The example rule file in tests/rules_content loads with the shipped lists. */
static void test_example_rules(void **state)
{
    (void)state;
    char path[1024], err[1024];
    snprintf(path, sizeof path, "%s/tests/rules_content/content.rules", CW_SOURCE_DIR);
    struct cw_ruleset *rs = NULL;
    int rc = cw_rules_load(path, &rs, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    assert_true(cw_rules_count(rs) >= 1);
    cw_rules_free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kw_zh_en),
        cmocka_unit_test(test_kw_case_and_literals),
        cmocka_unit_test(test_no_match_and_empty),
        cmocka_unit_test(test_many_patterns),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_list_errors),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test_setup_teardown(test_rule_errors, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_engine, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_engine_caps, setup_dir, teardown_dir),
        cmocka_unit_test(test_example_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
