/* alert_sink.c - an alert sink for the rule tests that keeps deep copies of the alerts. */
#include "alert_sink.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The string fields of @p a, in one place so sizing and copying walk the same list. */
static size_t str_fields(struct cw_alert *a, const char ***out)
{
    size_t n = 0;
    out[n++] = &a->rule;
    out[n++] = &a->category;
    out[n++] = &a->severity;
    out[n++] = &a->description;
    out[n++] = &a->rule_file;
    out[n++] = &a->group;
    out[n++] = &a->key;
    for (unsigned i = 0; i < a->naggs && i < CW_ALERT_AGGS_MAX; i++) {
        out[n++] = &a->aggs[i].name;
        out[n++] = &a->aggs[i].threshold;
    }
    for (unsigned i = 0; i < a->nmatches && i < CW_ALERT_MATCHES_MAX; i++) {
        out[n++] = &a->matches[i].list;
        out[n++] = &a->matches[i].pattern;
    }
    return n;
}

#define STR_FIELDS_MAX (7 + 2 * CW_ALERT_AGGS_MAX + 2 * CW_ALERT_MATCHES_MAX)

void tu_alert_keep(void *user, const struct cw_alert *a)
{
    struct tu_alert_sink *s = user;
    assert_non_null(a->rule);
    assert_non_null(a->category);
    assert_non_null(a->severity);
    assert_non_null(a->description);
    assert_non_null(a->group);
    assert_non_null(a->key);
    assert_true(a->naggs <= CW_ALERT_AGGS_MAX);
    assert_true(a->nmatches <= CW_ALERT_MATCHES_MAX);
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct tu_alert *v = realloc(s->v, cap * sizeof *v);
        assert_non_null(v);
        s->v = v;
        s->cap = cap;
    }
    struct tu_alert *r = &s->v[s->n];
    r->a = *a;
    const char **f[STR_FIELDS_MAX];
    size_t nf = str_fields(&r->a, f), total = 0;
    for (size_t i = 0; i < nf; i++)
        if (*f[i])
            total += strlen(*f[i]) + 1;
    r->strs = malloc(total ? total : 1);
    assert_non_null(r->strs);
    char *p = r->strs;
    for (size_t i = 0; i < nf; i++) {
        if (!*f[i])
            continue;
        size_t len = strlen(*f[i]) + 1;
        memcpy(p, *f[i], len);
        *f[i] = p;
        p += len;
    }
    s->n++;
}

void tu_alert_sink_clear(struct tu_alert_sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].strs);
    s->n = 0;
}

void tu_alert_sink_free(struct tu_alert_sink *s)
{
    if (!s)
        return;
    tu_alert_sink_clear(s);
    free(s->v);
    memset(s, 0, sizeof *s);
}

const struct tu_alert *tu_alert_find(const struct tu_alert_sink *s, const char *rule,
                                     const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].a.rule, rule) && !strcmp(s->v[i].a.key, key))
            return &s->v[i];
    return NULL;
}
