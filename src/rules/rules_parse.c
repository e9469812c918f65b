/* rules_parse.c - the rule language's parser and checker (docs/rules.md), and loading rule
 * files and directories.
 *
 *   file      = { rule | list | NL }
 *   list      = "list" NAME STRING NL          (a .kw, .re or .prefix file, relative path)
 *   rule      = "rule" NAME "{" NL { [stmt] NL } "}" (NL | EOF)
 *   stmt      = "description" STRING | "category" NAME | "severity" SEVERITY
 *             | "when" cond | "group" GROUP | "window" DURATION | "suppress" DURATION
 *             | "threshold" thresh (1 to 8, all must hold) | "samples" NUMBER
 *   thresh    = ("events" | "received" | "distinct" DFIELD) CMP NUMBER  (distinct: at most 4)
 *             | ("rate" | "ratio" OPERAND "/" OPERAND) CMP DECIMAL      (operands differ)
 *             | "span" CMP DURATION
 *   OPERAND   = "events" | "received" | KIND
 *   cond      = ["not"] BOOLFIELD | FIELD ("==" | "!=") VALUE | FIELD ["not"] "in" vlist
 *             | COUNTFIELD CMP NUMBER (0 to 1e9) | "card.age" (">" | ">=" | "<" | "<=") DURATION
 *             | ["not"] "text" "matches" LISTNAME
 *             | ["not"] ("calling" | "called" | "imei") "prefix" LISTNAME
 *   FIELD     = kind, proto, card.status, card.province, card.range_province, person.province,
 *               direction (mo, mt), card.outlet (strings of 1 to 63 bytes)
 *   vlist     = "[" VALUE { "," VALUE } "]"     (newlines allowed inside)
 *   CMP       = ">" | ">=" | "<" | "<=" | "==" | "!="
 *
 * 'received' needs group card or calling (checked when the rule closes). The names of each
 * list (keywords, fields, groups, aggregates, distinct fields) are in rules.def.
 *
 * The first error stops the parse and is reported as "FILE:LINE:COL: error: MESSAGE".
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules/rules_int.h"
#include "util/error.h"

struct parser {
    struct cw_lexer lx;
    struct cw_tok tok;
    const char *name; /* file name for messages */
    char *err;
    size_t errlen;
    struct cw_ruleset *rs;
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
perr_at(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        int n = snprintf(p->err, p->errlen, "%s:%u:%u: error: ", p->name, line, col);
        if (n >= 0 && (size_t)n < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return CW_EFORMAT;
}

/* Error at the current token: "MESSAGE, got TOKEN". */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
perr_got(struct parser *p, const char *fmt, ...)
{
    char msg[512], got[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cw_rules_tok_describe(&p->tok, got, sizeof got);
    return perr_at(p, p->tok.line, p->tok.col, "%s, got %s", msg, got);
}

static int next(struct parser *p)
{
    cw_rules_lex_next(&p->lx, &p->tok);
    if (p->tok.type == CW_TOK_ERROR) {
        char got[256];
        cw_rules_tok_describe(&p->tok, got, sizeof got);
        if (p->tok.p && p->tok.len == 1 && *p->tok.p != '"')
            return perr_at(p, p->tok.line, p->tok.col, "%s %s", p->tok.errmsg, got);
        return perr_at(p, p->tok.line, p->tok.col, "%s", p->tok.errmsg);
    }
    return 0;
}

static int at_eol(const struct parser *p)
{
    return p->tok.type == CW_TOK_NL || p->tok.type == CW_TOK_EOF;
}

static int expect_eol(struct parser *p, const char *after)
{
    if (at_eol(p))
        return 0;
    return perr_got(p, "expected end of line after %s", after);
}

static int tok_is_op(const struct parser *p, const char *op)
{
    size_t n = strlen(op);
    return p->tok.type == CW_TOK_OP && p->tok.len == n && memcmp(p->tok.p, op, n) == 0;
}

/* A name: [A-Za-z_][A-Za-z0-9_]*, at most CW_RULE_NAME_MAX bytes. */
static int tok_is_name(const struct cw_tok *t)
{
    if (t->type != CW_TOK_WORD || t->len == 0 || t->len > CW_RULE_NAME_MAX)
        return 0;
    if (t->p[0] >= '0' && t->p[0] <= '9')
        return 0;
    for (size_t i = 0; i < t->len; i++)
        if (t->p[i] == '.')
            return 0;
    return 1;
}

static int lookup_word(const struct cw_tok *t, const char *const *names, int n)
{
    if (t->type != CW_TOK_WORD)
        return -1;
    for (int i = 0; i < n; i++)
        if (cw_rules_tok_is(t, names[i]))
            return i;
    return -1;
}

/* "a, b, c" from a name table. */
static void join_names(const char *const *names, int n, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n && o < outlen; i++) {
        int w = snprintf(out + o, outlen - o, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

static int parse_uint(const struct cw_tok *t, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (t->type != CW_TOK_WORD || t->len == 0)
        return -1;
    for (size_t i = 0; i < t->len; i++) {
        char c = t->p[i];
        if (c < '0' || c > '9')
            return -1;
        if (v > (max - (uint64_t)(c - '0')) / 10)
            return -2;
        v = v * 10 + (uint64_t)(c - '0');
    }
    *out = v;
    return 0;
}

/* ---- values ---- */

static const char *const status_names[] = {
    [CW_CARD_UNKNOWN] = "unknown",
    [CW_CARD_ACTIVE] = "active",
    [CW_CARD_SUSPENDED] = "suspended",
    [CW_CARD_CANCELLED] = "cancelled",
};
#define NSTATUS ((int)(sizeof status_names / sizeof status_names[0]))

static void set_bit(uint64_t set[2], unsigned v)
{
    set[v >> 6] |= 1ull << (v & 63);
}

/* Append string @p s to string condition @p c's set. */
static int add_string(struct parser *p, struct cw_rule_cond *c, const char *s, size_t len)
{
    const char *fname = cw_rule_field_names[c->field];
    if (len == 0 || len >= 64 || memchr(s, '\0', len))
        return perr_got(p, "expected a value of 1 to 63 bytes for '%s'", fname);
    if (c->nstrs >= CW_RULE_STRINGS_MAX)
        return perr_got(p, "expected at most %d values for '%s'", CW_RULE_STRINGS_MAX, fname);
    char *ns = realloc(c->strs, c->strs_len + len + 1);
    if (!ns)
        return CW_ENOMEM;
    memcpy(ns + c->strs_len, s, len);
    ns[c->strs_len + len] = '\0';
    c->strs = ns;
    c->strs_len += (uint32_t)len + 1;
    c->nstrs++;
    return 0;
}

/* One VALUE (word or string) for condition @p c's field, added to its set. */
static int parse_value(struct parser *p, struct cw_rule_cond *c)
{
    int field = c->field;
    uint64_t *set = c->set;
    const char *fname = cw_rule_field_names[field];
    const char *s;
    size_t len;
    if (p->tok.type == CW_TOK_WORD) {
        s = p->tok.p;
        len = p->tok.len;
    } else if (p->tok.type == CW_TOK_STRING) {
        s = p->tok.text;
        len = p->tok.text_len;
    } else {
        return perr_got(p, "expected a value for '%s'", fname);
    }
    char list[256];
    int v = -1;
    switch (cw_rule_field_types[field]) {
    case CW_RFT_KIND: {
        v = cw_event_kind_from_name(s, len);
        if (v < 0) {
            const char *names[CW_EV__COUNT];
            for (unsigned i = 0; i < CW_EV__COUNT; i++)
                names[i] = cw_event_kind_name(i);
            join_names(names, CW_EV__COUNT, list, sizeof list);
            return perr_got(p, "expected an event kind (%s)", list);
        }
        break;
    }
    case CW_RFT_PROTO: {
        v = cw_proto_from_name(s, len);
        if (v < 0) {
            const char *names[CW_PROTO__COUNT];
            for (unsigned i = 0; i < CW_PROTO__COUNT; i++)
                names[i] = cw_proto_name(i);
            join_names(names, CW_PROTO__COUNT, list, sizeof list);
            return perr_got(p, "expected a protocol (%s)", list);
        }
        break;
    }
    case CW_RFT_STATUS:
        for (int i = 0; i < NSTATUS; i++)
            if (strlen(status_names[i]) == len && memcmp(status_names[i], s, len) == 0)
                v = i;
        if (v < 0) {
            join_names(status_names, NSTATUS, list, sizeof list);
            return perr_got(p, "expected a card status (%s)", list);
        }
        break;
    case CW_RFT_PROVINCE:
        if (len != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
            return perr_got(p, "expected a 2-digit province code like 33");
        v = (s[0] - '0') * 10 + (s[1] - '0');
        break;
    case CW_RFT_DIRECTION:
        if (len == 2 && memcmp(s, "mo", 2) == 0)
            v = 0;
        else if (len == 2 && memcmp(s, "mt", 2) == 0)
            v = 1;
        else
            return perr_got(p, "expected a direction (mo, mt)");
        break;
    case CW_RFT_STRING: return add_string(p, c, s, len);
    default: return perr_got(p, "'%s' takes no value", fname);
    }
    if (v < 0 || v >= 128)
        return perr_got(p, "value out of range for '%s'", fname);
    set_bit(set, (unsigned)v);
    return 0;
}

static int skip_newlines(struct parser *p)
{
    int rc = 0;
    while (rc == 0 && p->tok.type == CW_TOK_NL)
        rc = next(p);
    return rc;
}

/* '[' VALUE {',' VALUE} ']' with the current token on '['; leaves the token after ']'. */
static int parse_list(struct parser *p, struct cw_rule_cond *c)
{
    int field = c->field;
    int rc;
    if (p->tok.type != CW_TOK_LBRACKET)
        return perr_got(p, "expected '[' to start the list of values for '%s'",
                        cw_rule_field_names[field]);
    unsigned open_line = p->tok.line, open_col = p->tok.col;
    for (;;) {
        if ((rc = next(p)) || (rc = skip_newlines(p)))
            return rc;
        if (p->tok.type == CW_TOK_EOF)
            return perr_at(p, open_line, open_col,
                           "list opened here is not closed: expected ']', got end of file");
        if ((rc = parse_value(p, c)) || (rc = next(p)) || (rc = skip_newlines(p)))
            return rc;
        if (p->tok.type == CW_TOK_RBRACKET)
            return next(p);
        if (p->tok.type == CW_TOK_EOF)
            return perr_at(p, open_line, open_col,
                           "list opened here is not closed: expected ']', got end of file");
        if (p->tok.type != CW_TOK_COMMA)
            return perr_got(p, "expected ',' or ']' in the list of values for '%s'",
                            cw_rule_field_names[field]);
    }
}

/* The comparison operator at the current token, or CW_RCMP_NONE. */
static int tok_cmp(const struct parser *p)
{
    for (int i = CW_RCMP_NONE + 1; i < CW_RCMP__COUNT; i++)
        if (tok_is_op(p, cw_rule_cmp_names[i]))
            return i;
    return CW_RCMP_NONE;
}

/* The rest of a condition on count field @p field: the current token is the one after the
 * field name. Leaves the token at the end of the line. */
static int parse_count_cond(struct parser *p, int field, struct cw_rule_cond *c)
{
    int rc;
    const char *fname = cw_rule_field_names[field];
    int op = tok_cmp(p);
    if (op == CW_RCMP_NONE) {
        if (cw_rules_tok_is(&p->tok, "in") || cw_rules_tok_is(&p->tok, "not") ||
            p->tok.type == CW_TOK_LBRACKET)
            return perr_got(p,
                            "'%s' is a count: it takes a comparison (>, >=, <, <=, ==, !=) and "
                            "a number, not a list (write 'when %s > 5')",
                            fname, fname);
        return perr_got(p, "expected a comparison (>, >=, <, <=, ==, !=) after '%s'", fname);
    }
    c->op = (uint8_t)op;
    if ((rc = next(p)))
        return rc;
    uint64_t v = 0;
    rc = parse_uint(&p->tok, CW_RULE_COUNT_MAX, &v);
    if (rc == -1)
        return perr_got(p, "expected a number (0 to %u) after '%s %s'", CW_RULE_COUNT_MAX, fname,
                        cw_rule_cmp_names[op]);
    if (rc == -2)
        return perr_got(p, "expected a number of at most %u after '%s %s'", CW_RULE_COUNT_MAX,
                        fname, cw_rule_cmp_names[op]);
    c->num = (uint32_t)v;
    if ((rc = next(p)))
        return rc;
    return expect_eol(p, "the condition");
}

static const struct cw_rule_list *find_list(const struct cw_ruleset *rs, const char *name,
                                            size_t len)
{
    for (size_t i = 0; i < rs->nlists; i++)
        if (strlen(rs->lists[i].name) == len && memcmp(rs->lists[i].name, name, len) == 0)
            return &rs->lists[i];
    return NULL;
}

/* The rest of a content condition on @p field ('text matches L', 'calling prefix L'): the
 * current token is the one after the field name. */
static int parse_content_cond(struct parser *p, int field, struct cw_rule_cond *c)
{
    int rc;
    const char *fname = cw_rule_field_names[field];
    int ftype = cw_rule_field_types[field];
    const char *op = "";
    for (int i = 0; i < CW_RCOP__COUNT; i++)
        if (cw_rule_content_op_types[i] == ftype)
            op = cw_rule_content_op_names[i];
    if (!cw_rules_tok_is(&p->tok, op))
        return perr_got(p, "expected '%s' and a list name after '%s'", op, fname);
    if ((rc = next(p)))
        return rc;
    for (;;) {
        if (!tok_is_name(&p->tok))
            return perr_got(p, "expected a list name after '%s %s'", fname, op);
        const struct cw_rule_list *l = find_list(p->rs, p->tok.p, p->tok.len);
        if (!l)
            return perr_at(p, p->tok.line, p->tok.col,
                           "unknown list '%.*s' (declare it before the rule: list %.*s \"FILE\")",
                           (int)p->tok.len, p->tok.p, (int)p->tok.len, p->tok.p);
        int ltype = cw_content_type(l->cl);
        int want_text = ftype == CW_RFT_TEXT;
        if (want_text != (ltype != CW_CONTENT_PREFIX))
            return perr_at(p, p->tok.line, p->tok.col, "list '%s' is a %s list: '%s %s' takes %s",
                           l->name, cw_content_type_name(ltype), fname, op,
                           want_text ? "a keyword (.kw) or regex (.re) list"
                                     : "a prefix (.prefix) list");
        if (c->nlists >= CW_RULE_COND_LISTS_MAX)
            return perr_at(p, p->tok.line, p->tok.col,
                           "too many lists in one condition (at most %d joined by 'or')",
                           CW_RULE_COND_LISTS_MAX);
        c->lists[c->nlists++] = (uint16_t)(l - p->rs->lists);
        c->list = c->lists[0];
        if ((rc = next(p)))
            return rc;
        if (!cw_rules_tok_is(&p->tok, "or"))
            break;
        if ((rc = next(p)))
            return rc;
    }
    return expect_eol(p, "the condition");
}

static int parse_duration(struct parser *p, const char *what, uint64_t *out_us);

/* The rest of a condition on an age field: the current token is the one after the field. */
static int parse_age_cond(struct parser *p, int field, struct cw_rule_cond *c)
{
    int rc;
    const char *fname = cw_rule_field_names[field];
    int op = tok_cmp(p);
    if (op != CW_RCMP_GT && op != CW_RCMP_GE && op != CW_RCMP_LT && op != CW_RCMP_LE)
        return perr_got(p, "expected a comparison (>, >=, <, <=) and a duration after '%s'", fname);
    c->op = (uint8_t)op;
    uint64_t us;
    if ((rc = next(p)) || (rc = parse_duration(p, "duration", &us)) || (rc = next(p)))
        return rc;
    c->age_s = us / 1000000u;
    return expect_eol(p, "the condition");
}

static int parse_cond(struct parser *p, struct cw_rule_cond *c)
{
    int rc;
    int neg = 0;
    memset(c, 0, sizeof *c);
    if ((rc = next(p)))
        return rc;
    if (cw_rules_tok_is(&p->tok, "not")) {
        neg = 1;
        if ((rc = next(p)))
            return rc;
    }
    int field = lookup_word(&p->tok, cw_rule_field_names, CW_RF__COUNT);
    if (field < 0) {
        char list[512];
        join_names(cw_rule_field_names, CW_RF__COUNT, list, sizeof list);
        return perr_got(p, "expected a field (%s)", list);
    }
    c->field = (uint8_t)field;
    const char *fname = cw_rule_field_names[field];
    if (cw_rule_field_types[field] == CW_RFT_BOOL) {
        c->negate = (uint8_t)neg;
        set_bit(c->set, 1);
        if ((rc = next(p)))
            return rc;
        if (!at_eol(p))
            return perr_got(p,
                            "'%s' is a boolean field: expected end of line "
                            "(write 'when %s' or 'when not %s')",
                            fname, fname, fname);
        return 0;
    }
    if (cw_rule_field_types[field] == CW_RFT_TEXT || cw_rule_field_types[field] == CW_RFT_NUMBER) {
        c->negate = (uint8_t)neg;
        if ((rc = next(p)))
            return rc;
        return parse_content_cond(p, field, c);
    }
    int is_count =
        cw_rule_field_types[field] == CW_RFT_COUNT || cw_rule_field_types[field] == CW_RFT_AGE;
    if (neg && is_count)
        return perr_at(p, p->tok.line, p->tok.col,
                       "'not' goes before a boolean field; '%s' is a count: write a comparison "
                       "such as '%s <= 5'",
                       fname, fname);
    if (neg)
        return perr_at(p, p->tok.line, p->tok.col,
                       "'not' goes before a boolean field; for '%s' write '%s != VALUE' or "
                       "'%s not in [...]'",
                       fname, fname, fname);
    if ((rc = next(p)))
        return rc;
    if (cw_rule_field_types[field] == CW_RFT_AGE)
        return parse_age_cond(p, field, c);
    if (is_count)
        return parse_count_cond(p, field, c);
    if (tok_is_op(p, "==") || tok_is_op(p, "!=")) {
        c->negate = p->tok.p[0] == '!';
        if ((rc = next(p)) || (rc = parse_value(p, c)) || (rc = next(p)))
            return rc;
    } else if (cw_rules_tok_is(&p->tok, "in") || cw_rules_tok_is(&p->tok, "not")) {
        if (cw_rules_tok_is(&p->tok, "not")) {
            c->negate = 1;
            if ((rc = next(p)))
                return rc;
            if (!cw_rules_tok_is(&p->tok, "in"))
                return perr_got(p, "expected 'in' after '%s not'", fname);
        }
        if ((rc = next(p)) || (rc = parse_list(p, c)))
            return rc;
    } else {
        return perr_got(p, "expected '==', '!=', 'in' or 'not in' after '%s'", fname);
    }
    return expect_eol(p, "the condition");
}

/* N followed by s, m, h or d; @p what names it in messages ("window"). */
static int parse_duration(struct parser *p, const char *what, uint64_t *out_us)
{
    const struct cw_tok *t = &p->tok;
    static const char *const expect = "expected a duration like 30s, 10m, 1h, 7d";
    if (t->type != CW_TOK_WORD || t->len < 2)
        return perr_got(p, "%s", expect);
    uint64_t mult;
    switch (t->p[t->len - 1]) {
    case 's': mult = 1; break;
    case 'm': mult = 60; break;
    case 'h': mult = 3600; break;
    case 'd': mult = 86400; break;
    default: return perr_got(p, "%s", expect);
    }
    uint64_t n = 0;
    const uint64_t max_s = CW_RULE_WINDOW_MAX_US / 1000000u;
    for (size_t i = 0; i + 1 < t->len; i++) {
        char c = t->p[i];
        if (c < '0' || c > '9')
            return perr_got(p, "%s", expect);
        if (n <= max_s)
            n = n * 10 + (uint64_t)(c - '0');
    }
    if (n == 0)
        return perr_got(p, "expected a %s of at least 1s", what);
    if (n > max_s / mult)
        return perr_got(p, "expected a %s of at most 366d", what);
    *out_us = n * mult * 1000000u;
    return 0;
}

static void rule_release(struct cw_rule *r)
{
    for (unsigned i = 0; r->conds && i < r->nconds; i++)
        free(r->conds[i].strs);
    free(r->name);
    free(r->category);
    free(r->description);
    free(r->conds);
    memset(r, 0, sizeof *r);
}

static const struct cw_rule *find_rule(const struct cw_ruleset *rs, const char *name, size_t len)
{
    for (size_t i = 0; i < rs->n; i++)
        if (strlen(rs->rules[i].name) == len && memcmp(rs->rules[i].name, name, len) == 0)
            return &rs->rules[i];
    return NULL;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* A non-negative decimal number ("12", "0.5") of at most CW_RULE_COUNT_MAX. */
static int parse_decimal(const struct cw_tok *t, double *out)
{
    if (t->type != CW_TOK_WORD || t->len == 0)
        return -1;
    double v = 0, scale = 0;
    int digits = 0;
    for (size_t i = 0; i < t->len; i++) {
        char c = t->p[i];
        if (c == '.' && scale == 0 && digits) {
            scale = 1;
            continue;
        }
        if (c < '0' || c > '9')
            return -1;
        digits++;
        if (scale > 0) {
            scale /= 10;
            v += (c - '0') * scale;
        } else {
            v = v * 10 + (c - '0');
        }
    }
    if (!digits || (scale == 1))
        return -1; /* "5." */
    if (v > CW_RULE_COUNT_MAX)
        return -2;
    *out = v;
    return 0;
}

/* A ratio's operand: events, received, or an event kind's name. */
static int parse_operand(struct parser *p, uint8_t *out)
{
    if (cw_rules_tok_is(&p->tok, "events")) {
        *out = CW_RULE_OPND_EVENTS;
        return 0;
    }
    if (cw_rules_tok_is(&p->tok, "received")) {
        *out = CW_RULE_OPND_RECEIVED;
        return 0;
    }
    if (p->tok.type == CW_TOK_WORD) {
        int k = cw_event_kind_from_name(p->tok.p, p->tok.len);
        if (k >= 0) {
            *out = (uint8_t)(CW_RULE_OPND_KIND + k);
            return 0;
        }
    }
    return perr_got(p, "expected a count for the ratio: events, received or an event kind "
                       "(sms_mo, call, ...)");
}

static const char *operand_name(unsigned o)
{
    if (o == CW_RULE_OPND_EVENTS)
        return "events";
    if (o == CW_RULE_OPND_RECEIVED)
        return "received";
    return cw_event_kind_name(o - CW_RULE_OPND_KIND);
}

/* 'threshold AGGREGATE OP NUMBER' (docs/rules.md, "Aggregates"); the current token is the
 * one after 'threshold'. Leaves the token on the number. */
static int parse_thresh(struct parser *p, struct cw_rule *r)
{
    int rc;
    char list[256];
    if (r->nth >= CW_RULE_THRESH_MAX)
        return perr_at(p, p->tok.line, p->tok.col,
                       "too many 'threshold' lines in rule '%s' (at most %d)", r->name,
                       CW_RULE_THRESH_MAX);
    struct cw_rule_thresh *t = &r->th[r->nth];
    memset(t, 0, sizeof *t);
    int agg = lookup_word(&p->tok, cw_rule_agg_names, CW_RA__COUNT);
    if (agg < 0) {
        join_names(cw_rule_agg_names, CW_RA__COUNT, list, sizeof list);
        return perr_got(p, "expected an aggregate after 'threshold' (%s)", list);
    }
    t->agg = (uint8_t)agg;
    char what[64];
    snprintf(what, sizeof what, "%s", cw_rule_agg_names[agg]);
    snprintf(t->name, sizeof t->name, "%s", cw_rule_agg_names[agg]);
    if ((rc = next(p)))
        return rc;
    if (agg == CW_RA_DISTINCT) {
        int d = lookup_word(&p->tok, cw_rule_distinct_names, CW_RD__COUNT);
        if (d < 0) {
            join_names(cw_rule_distinct_names, CW_RD__COUNT, list, sizeof list);
            return perr_got(p, "expected a field to count distinct values of (%s)", list);
        }
        if (r->ndistinct >= CW_RULE_DISTINCT_MAX)
            return perr_at(p, p->tok.line, p->tok.col,
                           "too many 'distinct' thresholds in rule '%s' (at most %d)", r->name,
                           CW_RULE_DISTINCT_MAX);
        t->arg = (uint8_t)d;
        t->slot = (uint8_t)r->ndistinct++;
        snprintf(what, sizeof what, "distinct %s", cw_rule_distinct_names[d]);
        snprintf(t->name, sizeof t->name, "distinct_%s", cw_rule_distinct_names[d]);
        if ((rc = next(p)))
            return rc;
    } else if (agg == CW_RA_RATIO) {
        if ((rc = parse_operand(p, &t->arg)) || (rc = next(p)))
            return rc;
        if (!tok_is_op(p, "/"))
            return perr_got(p, "expected '/' between the two counts of a ratio "
                               "(write 'ratio events / received')");
        if ((rc = next(p)) || (rc = parse_operand(p, &t->arg2)))
            return rc;
        if (t->arg == t->arg2)
            return perr_at(p, p->tok.line, p->tok.col, "a ratio of a count to itself is always 1");
        if ((rc = next(p)))
            return rc;
        snprintf(what, sizeof what, "ratio %s / %s", operand_name(t->arg), operand_name(t->arg2));
        snprintf(t->name, sizeof t->name, "ratio_%s_%s", operand_name(t->arg),
                 operand_name(t->arg2));
    } else if (agg == CW_RA_RATE) {
        snprintf(t->name, sizeof t->name, "rate_per_min");
    } else if (agg == CW_RA_SPAN) {
        snprintf(t->name, sizeof t->name, "span_s");
    }
    /* t->arg is a distinct field for 'distinct' (CW_RD_CALLING has the value of
     * CW_RULE_OPND_RECEIVED): only a ratio's operands name 'received' */
    if (agg == CW_RA_RECEIVED || (agg == CW_RA_RATIO && (t->arg == CW_RULE_OPND_RECEIVED ||
                                                         t->arg2 == CW_RULE_OPND_RECEIVED)))
        r->uses_received = 1;
    int op = tok_cmp(p);
    if (op == CW_RCMP_NONE)
        return perr_got(p, "expected a comparison (>, >=, <, <=, ==, !=) after 'threshold %s'",
                        what);
    t->op = (uint8_t)op;
    if ((rc = next(p)))
        return rc;
    if (agg == CW_RA_SPAN) {
        uint64_t us;
        if ((rc = parse_duration(p, "span", &us)))
            return rc;
        t->num = (double)(us / 1000000u);
        snprintf(t->text, sizeof t->text, "%s %s %.*s", what, cw_rule_cmp_names[op],
                 (int)p->tok.len, p->tok.p);
    } else {
        double v = 0;
        int whole = agg != CW_RA_RATE && agg != CW_RA_RATIO;
        rc = parse_decimal(&p->tok, &v);
        if (rc == 0 && whole && memchr(p->tok.p, '.', p->tok.len))
            rc = -1;
        if (rc == -1)
            return perr_got(p, "expected %s after 'threshold %s %s'",
                            whole ? "a whole number" : "a number (like 10 or 0.5)", what,
                            cw_rule_cmp_names[op]);
        if (rc == -2)
            return perr_got(p, "expected a number of at most %u", CW_RULE_COUNT_MAX);
        t->num = v;
        snprintf(t->text, sizeof t->text, "%s %s %.*s", what, cw_rule_cmp_names[op],
                 (int)p->tok.len, p->tok.p);
    }
    if (agg == CW_RA_EVENTS && op == CW_RCMP_GE && t->num < 1)
        return perr_got(p, "expected a threshold of at least 1");
    if (agg == CW_RA_EVENTS) {
        uint64_t need = op == CW_RCMP_GE   ? (uint64_t)t->num
                        : op == CW_RCMP_GT ? (uint64_t)t->num + 1
                                           : 1;
        if (need > r->threshold)
            r->threshold = need;
    }
    r->nth++;
    return 0;
}

/* One statement; the current token is its keyword. Leaves the token at the end of the line. */
static int parse_stmt(struct parser *p, struct cw_rule *r, int kw)
{
    int rc;
    uint64_t v = 0;
    char list[256];
    const char *kwname = cw_rule_kw_names[kw];
    if (kw == CW_RKW_WHEN) {
        if (r->nconds >= CW_RULE_CONDS_MAX)
            return perr_at(p, p->tok.line, p->tok.col,
                           "too many 'when' conditions in rule '%s' (at most %d)", r->name,
                           CW_RULE_CONDS_MAX);
        if (!r->conds) {
            r->conds = calloc(CW_RULE_CONDS_MAX, sizeof *r->conds);
            if (!r->conds)
                return CW_ENOMEM;
        }
        if ((rc = parse_cond(p, &r->conds[r->nconds]))) {
            free(r->conds[r->nconds].strs);
            r->conds[r->nconds].strs = NULL;
            return rc;
        }
        r->nconds++;
        return 0;
    }
    if ((rc = next(p)))
        return rc;
    switch (kw) {
    case CW_RKW_DESCRIPTION:
        if (p->tok.type != CW_TOK_STRING)
            return perr_got(p, "expected a \"quoted string\" after 'description'");
        if (!(r->description = dup_n(p->tok.text, p->tok.text_len)))
            return CW_ENOMEM;
        break;
    case CW_RKW_CATEGORY:
        if (!tok_is_name(&p->tok))
            return perr_got(p, "expected a category name like black_card");
        if (!(r->category = dup_n(p->tok.p, p->tok.len)))
            return CW_ENOMEM;
        break;
    case CW_RKW_SEVERITY: {
        int s = lookup_word(&p->tok, cw_rule_severity_names, CW_RS__COUNT);
        if (s < 0) {
            join_names(cw_rule_severity_names, CW_RS__COUNT, list, sizeof list);
            return perr_got(p, "expected a severity (%s)", list);
        }
        r->severity = (uint8_t)s;
        break;
    }
    case CW_RKW_GROUP: {
        int g = lookup_word(&p->tok, cw_rule_group_names, CW_RG__COUNT);
        if (g < 0) {
            join_names(cw_rule_group_names, CW_RG__COUNT, list, sizeof list);
            return perr_got(p, "expected a group (%s)", list);
        }
        r->group = (uint8_t)g;
        break;
    }
    case CW_RKW_WINDOW:
        if ((rc = parse_duration(p, "window", &r->window_us)))
            return rc;
        if ((rc = next(p)))
            return rc;
        if (cw_rules_tok_is(&p->tok, "sliding")) {
            r->sliding = 1;
            if ((rc = next(p)))
                return rc;
        }
        return expect_eol(p, "the 'window' statement (a duration, then 'sliding' or nothing)");
    case CW_RKW_SUPPRESS:
        if ((rc = parse_duration(p, "suppression period", &r->suppress_us)))
            return rc;
        break;
    case CW_RKW_THRESHOLD:
        if ((rc = parse_thresh(p, r)))
            return rc;
        break;
    case CW_RKW_SAMPLES:
        rc = parse_uint(&p->tok, UINT64_MAX, &v);
        if (rc == -1)
            return perr_got(p, "expected a whole number of samples");
        if (rc == -2 || v > CW_ALERT_SAMPLES_MAX)
            return perr_got(p, "expected at most %d samples", CW_ALERT_SAMPLES_MAX);
        r->samples = (unsigned)v;
        break;
    default: return perr_got(p, "internal: unhandled keyword");
    }
    if ((rc = next(p)))
        return rc;
    char after[64];
    snprintf(after, sizeof after, "the '%s' statement", kwname);
    return expect_eol(p, after);
}

/* 0: a bit or count test; 1: a prefix lookup; 2: a text scan. */
static int cond_cost(const struct cw_rule_cond *c)
{
    switch (cw_rule_field_types[c->field]) {
    case CW_RFT_NUMBER: return 1;
    case CW_RFT_TEXT: return 2;
    default: return 0;
    }
}

/* Cheapest conditions first (stable within each cost): a text is scanned only for events that
 * passed every other condition. */
static void order_conds(struct cw_rule *r)
{
    struct cw_rule_cond tmp[CW_RULE_CONDS_MAX];
    unsigned k = 0;
    for (int cost = 0; cost <= 2; cost++) {
        for (unsigned i = 0; i < r->nconds; i++)
            if (cond_cost(&r->conds[i]) == cost)
                tmp[k++] = r->conds[i];
        if (cost == 0)
            r->ncheap = k;
    }
    if (r->nconds)
        memcpy(r->conds, tmp, r->nconds * sizeof tmp[0]);
}

static int push_rule(struct cw_ruleset *rs, struct cw_rule *r)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        struct cw_rule *nr = realloc(rs->rules, cap * sizeof *nr);
        if (!nr)
            return CW_ENOMEM;
        rs->rules = nr;
        rs->cap = cap;
    }
    rs->rules[rs->n++] = *r;
    return 0;
}

/* The current token is 'rule'. */
static int parse_rule(struct parser *p, const char *file)
{
    struct cw_rule r;
    unsigned seen[CW_RKW__COUNT] = {0};
    int rc;
    memset(&r, 0, sizeof r);
    r.severity = CW_RS_MEDIUM;
    r.samples = CW_RULE_SAMPLES_DEFAULT;
    r.threshold = 1;
    r.file = file;
    r.line = p->tok.line;
    r.col = p->tok.col;

    if ((rc = next(p)))
        goto fail;
    if (!tok_is_name(&p->tok)) {
        rc = perr_got(p, "expected a rule name (letters, digits and '_', at most %d)",
                      CW_RULE_NAME_MAX);
        goto fail;
    }
    const struct cw_rule *dup = find_rule(p->rs, p->tok.p, p->tok.len);
    if (dup) {
        rc =
            perr_at(p, p->tok.line, p->tok.col, "duplicate rule name '%s' (first defined at %s:%u)",
                    dup->name, dup->file, dup->line);
        goto fail;
    }
    rc = CW_ENOMEM;
    if (!(r.name = dup_n(p->tok.p, p->tok.len)))
        goto fail;
    if ((rc = next(p)))
        goto fail;
    if (p->tok.type != CW_TOK_LBRACE) {
        rc = perr_got(p, "expected '{' after 'rule %s'", r.name);
        goto fail;
    }
    if ((rc = next(p)))
        goto fail;
    if ((rc = expect_eol(p, "'{' (each statement goes on its own line)")))
        goto fail;
    for (;;) {
        if ((rc = next(p)))
            goto fail;
        if (p->tok.type == CW_TOK_NL)
            continue;
        if (p->tok.type == CW_TOK_EOF) {
            rc =
                perr_at(p, r.line, r.col,
                        "rule '%s' is not closed: expected '}' before the end of the file", r.name);
            goto fail;
        }
        if (p->tok.type == CW_TOK_RBRACE) {
            if ((rc = next(p)) || (rc = expect_eol(p, "'}'")))
                goto fail;
            break;
        }
        int kw = lookup_word(&p->tok, cw_rule_kw_names, CW_RKW__COUNT);
        if (kw < 0) {
            char list[256];
            join_names(cw_rule_kw_names, CW_RKW__COUNT, list, sizeof list);
            if (cw_rules_tok_is(&p->tok, "rule"))
                rc = perr_got(p, "expected '}' to close rule '%s' (opened at line %u)", r.name,
                              r.line);
            else if (p->tok.type == CW_TOK_WORD)
                rc = perr_got(p, "unknown keyword in rule '%s': expected one of %s or '}'", r.name,
                              list);
            else
                rc = perr_got(p, "expected a keyword (%s) or '}'", list);
            goto fail;
        }
        if (kw != CW_RKW_WHEN && kw != CW_RKW_THRESHOLD && seen[kw]) {
            rc = perr_at(p, p->tok.line, p->tok.col,
                         "'%s' given twice in rule '%s' (first at line %u)", cw_rule_kw_names[kw],
                         r.name, seen[kw]);
            goto fail;
        }
        seen[kw] = p->tok.line;
        if ((rc = parse_stmt(p, &r, kw)))
            goto fail;
    }
    static const int required[] = {CW_RKW_CATEGORY, CW_RKW_GROUP, CW_RKW_WINDOW, CW_RKW_THRESHOLD};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!seen[required[i]]) {
            rc = perr_at(p, r.line, r.col,
                         "rule '%s' has no '%s' (a rule needs category, group, window and "
                         "threshold)",
                         r.name, cw_rule_kw_names[required[i]]);
            goto fail;
        }
    if (r.uses_received && r.group != CW_RG_CARD && r.group != CW_RG_CALLING) {
        rc = perr_at(p, r.line, r.col,
                     "rule '%s' counts 'received', which needs 'group card' or 'group calling' "
                     "(what the key received is what was addressed to its number)",
                     r.name);
        goto fail;
    }
    r.recv_kinds = (1ull << CW_EV__COUNT) - 1;
    for (unsigned i = 0; i < r.nconds; i++)
        if (r.conds[i].field == CW_RF_KIND)
            r.recv_kinds &= r.conds[i].negate ? ~r.conds[i].set[0] : r.conds[i].set[0];
    order_conds(&r);
    rc = CW_ENOMEM;
    if (!r.description && !(r.description = dup_n("", 0)))
        goto fail;
    if ((rc = push_rule(p->rs, &r)))
        goto fail;
    return 0;
fail:
    rule_release(&r);
    return rc;
}

/* The directory part of @p file ("" when it has none), for paths relative to it. */
static size_t dir_len(const char *file)
{
    const char *slash = strrchr(file, '/');
    return slash ? (size_t)(slash - file) + 1 : 0;
}

/* 'list NAME "path"': the current token is 'list'. Loads and compiles the list. */
static int parse_list_decl(struct parser *p, const char *file)
{
    int rc;
    unsigned line = p->tok.line, col = p->tok.col;
    if ((rc = next(p)))
        return rc;
    if (!tok_is_name(&p->tok))
        return perr_got(p,
                        "expected a list name (letters, digits and '_', at most %d) after "
                        "'list'",
                        CW_RULE_NAME_MAX);
    const struct cw_rule_list *dup = find_list(p->rs, p->tok.p, p->tok.len);
    if (dup)
        return perr_at(p, p->tok.line, p->tok.col,
                       "duplicate list name '%s' (first declared at %s:%u)", dup->name, dup->file,
                       dup->line);
    if (p->rs->nlists >= CW_RULE_LISTS_MAX)
        return perr_at(p, p->tok.line, p->tok.col, "too many lists (at most %d)",
                       CW_RULE_LISTS_MAX);
    struct cw_rule_list l;
    memset(&l, 0, sizeof l);
    l.file = file;
    l.line = line;
    l.col = col;
    if (!(l.name = dup_n(p->tok.p, p->tok.len)))
        return CW_ENOMEM;
    rc = next(p);
    if (rc == 0 && p->tok.type != CW_TOK_STRING)
        rc = perr_got(p, "expected the list's file as a \"quoted path\" after 'list %s'", l.name);
    if (rc)
        goto fail;
    const char *rel = p->tok.text;
    size_t rlen = p->tok.text_len;
    unsigned sline = p->tok.line, scol = p->tok.col;
    if (rlen == 0 || rel[0] == '/' || memchr(rel, '\0', rlen)) {
        rc = perr_got(p, "expected a relative path to the list file");
        goto fail;
    }
    if (cw_content_type_of(rel) < 0) {
        rc = perr_got(p, "expected a list file ending in .kw (keywords), .re (regular "
                         "expressions) or .prefix (number prefixes)");
        goto fail;
    }
    size_t dl = dir_len(p->name);
    rc = CW_ENOMEM;
    if (!(l.path = malloc(dl + rlen + 1)))
        goto fail;
    memcpy(l.path, p->name, dl);
    memcpy(l.path + dl, rel, rlen + 1);
    if ((rc = next(p)) || (rc = expect_eol(p, "the list's file")))
        goto fail;
    char lerr[512];
    rc = cw_content_load(l.path, &l.cl, lerr, sizeof lerr);
    if (rc == CW_ENOMEM)
        goto fail;
    if (rc) {
        /* "PATH:LINE: error: MSG" from the list: keep its place, drop its "error: " */
        char *e = strstr(lerr, ": error: ");
        if (e)
            memmove(e + 2, e + 9, strlen(e + 9) + 1);
        rc = perr_at(p, sline, scol, "list '%s': %s", l.name, lerr);
        goto fail;
    }
    struct cw_rule_list *nl = realloc(p->rs->lists, (p->rs->nlists + 1) * sizeof *nl);
    rc = CW_ENOMEM;
    if (!nl)
        goto fail;
    p->rs->lists = nl;
    nl[p->rs->nlists++] = l;
    return 0;
fail:
    free(l.name);
    free(l.path);
    cw_content_free(l.cl);
    return rc;
}

struct cw_ruleset *cw_ruleset_new(void)
{
    return calloc(1, sizeof(struct cw_ruleset));
}

int cw_rules_parse_into(struct cw_ruleset *rs, const char *name, const char *buf, size_t len,
                        char *err, size_t errlen)
{
    struct parser *p = malloc(sizeof *p);
    if (!p)
        return CW_ENOMEM;
    memset(&p->tok, 0, sizeof p->tok);
    cw_rules_lex_init(&p->lx, buf, len);
    p->name = name;
    p->err = err;
    p->errlen = errlen;
    p->rs = rs;
    int rc = CW_ENOMEM;

    /* the rules of this file point at its name */
    char **files = realloc(rs->files, (rs->nfiles + 1) * sizeof *files);
    if (!files)
        goto out;
    rs->files = files;
    if (!(files[rs->nfiles] = strdup(name)))
        goto out;
    const char *file = files[rs->nfiles++];

    for (;;) {
        if ((rc = next(p)))
            goto out;
        if (p->tok.type == CW_TOK_EOF)
            break;
        if (p->tok.type == CW_TOK_NL)
            continue;
        int top = lookup_word(&p->tok, cw_rule_top_names, CW_RTOP__COUNT);
        if (top == CW_RTOP_LIST) {
            if ((rc = parse_list_decl(p, file)))
                goto out;
            if (p->tok.type == CW_TOK_EOF)
                break;
            continue;
        }
        if (top != CW_RTOP_RULE) {
            rc = perr_got(p, "expected 'rule NAME {' or 'list NAME \"FILE\"' at top level");
            goto out;
        }
        if ((rc = parse_rule(p, file)))
            goto out;
        if (p->tok.type == CW_TOK_EOF)
            break;
    }
    rc = 0;
out:
    if (rc == CW_ENOMEM && err && errlen)
        snprintf(err, errlen, "%s: error: out of memory", name);
    free(p);
    return rc;
}

void cw_rules_free(struct cw_ruleset *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++)
        rule_release(&rs->rules[i]);
    free(rs->rules);
    for (size_t i = 0; i < rs->nfiles; i++)
        free(rs->files[i]);
    free(rs->files);
    for (size_t i = 0; i < rs->nlists; i++) {
        free(rs->lists[i].name);
        free(rs->lists[i].path);
        cw_content_free(rs->lists[i].cl);
    }
    free(rs->lists);
    free(rs);
}

size_t cw_rules_count(const struct cw_ruleset *rs)
{
    return rs ? rs->n : 0;
}

const char *cw_rules_name(const struct cw_ruleset *rs, size_t i)
{
    return rs && i < rs->n ? rs->rules[i].name : NULL;
}

int cw_rules_parse_buffer(const char *name, const char *buf, size_t len, struct cw_ruleset **out,
                          char *err, size_t errlen)
{
    *out = NULL;
    struct cw_ruleset *rs = cw_ruleset_new();
    if (!rs)
        return CW_ENOMEM;
    int rc = cw_rules_parse_into(rs, name, buf, len, err, errlen);
    if (rc == 0 && rs->n == 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: error: no rules in %s", name, name);
        rc = CW_EFORMAT;
    }
    if (rc) {
        cw_rules_free(rs);
        return rc;
    }
    *out = rs;
    return 0;
}

/* ---- files ---- */

static int read_file(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: error: cannot open: %s", path, strerror(errno));
        return CW_EIO;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = CW_ENOMEM;
    if (!buf)
        goto fail;
    for (;;) {
        if (len == cap) {
            if (cap >= CW_RULE_FILE_MAX) {
                snprintf(err, errlen, "%s: error: larger than %u bytes", path, CW_RULE_FILE_MAX);
                rc = CW_EFORMAT;
                goto fail;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                goto fail;
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                snprintf(err, errlen, "%s: error: cannot read: %s", path, strerror(errno));
                rc = CW_EIO;
                goto fail;
            }
            break;
        }
    }
    fclose(f);
    *out = buf;
    *outlen = len;
    return 0;
fail:
    if (rc == CW_ENOMEM)
        snprintf(err, errlen, "%s: error: out of memory", path);
    free(buf);
    fclose(f);
    return rc;
}

static int load_file(struct cw_ruleset *rs, const char *path, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    int rc = read_file(path, &buf, &len, err, errlen);
    if (rc)
        return rc;
    rc = cw_rules_parse_into(rs, path, buf, len, err, errlen);
    free(buf);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with_rules(const char *name)
{
    size_t n = strlen(name);
    return n > 6 && strcmp(name + n - 6, ".rules") == 0;
}

static int load_dir(struct cw_ruleset *rs, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: error: cannot open directory: %s", dir, strerror(errno));
        return CW_EIO;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !ends_with_rules(de->d_name))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                rc = CW_ENOMEM;
                break;
            }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = CW_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t plen = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(plen);
        if (!path) {
            rc = CW_ENOMEM;
            break;
        }
        size_t dl = strlen(dir);
        snprintf(path, plen, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            rc = load_file(rs, path, err, errlen);
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == CW_ENOMEM)
        snprintf(err, errlen, "%s: error: out of memory", dir);
    return rc;
}

int cw_rules_load(const char *path, struct cw_ruleset **out, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    *out = NULL;
    if (!path)
        return CW_EINVAL;
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: error: %s", path, strerror(errno));
        return CW_EIO;
    }
    struct cw_ruleset *rs = cw_ruleset_new();
    if (!rs) {
        snprintf(err, errlen, "%s: error: out of memory", path);
        return CW_ENOMEM;
    }
    int rc =
        S_ISDIR(st.st_mode) ? load_dir(rs, path, err, errlen) : load_file(rs, path, err, errlen);
    if (rc == 0 && rs->n == 0) {
        snprintf(err, errlen, "%s: error: no rules in %s", path, path);
        rc = CW_EFORMAT;
    }
    if (rc) {
        cw_rules_free(rs);
        return rc;
    }
    *out = rs;
    return 0;
}
