/* realname.c - the real-name rate over the home cards seen in use (realname.h). The cards seen
 * are a set of MSISDNs (international digits as a number) in an open-addressing table that
 * doubles at half full: about 16 bytes per card in use. */
#include "output/realname.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "store/idcard.h"
#include "util/error.h"

#define UNKNOWN 100 /* the province slot of cards whose province is not known */

struct slot {
    uint64_t key; /* MSISDN digits + 1; 0: empty */
    uint8_t province, verified;
};

struct cw_realname {
    struct slot *t;
    size_t cap, n;
    struct cw_realname_row rows[UNKNOWN + 1];
};

int cw_realname_new(struct cw_realname **out)
{
    struct cw_realname *r = calloc(1, sizeof *r);
    if (!r || !(r->t = calloc(r->cap = 1024, sizeof *r->t))) {
        free(r);
        return CW_ENOMEM;
    }
    for (int i = 0; i < UNKNOWN; i++) {
        r->rows[i].province[0] = (char)('0' + i / 10);
        r->rows[i].province[1] = (char)('0' + i % 10);
    }
    *out = r;
    return 0;
}

void cw_realname_free(struct cw_realname *r)
{
    if (!r)
        return;
    free(r->t);
    free(r);
}

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
}

static struct slot *find(struct slot *t, size_t cap, uint64_t key)
{
    size_t i = (size_t)mix(key) & (cap - 1);
    while (t[i].key && t[i].key != key)
        i = (i + 1) & (cap - 1);
    return &t[i];
}

static int grow(struct cw_realname *r)
{
    size_t cap = r->cap * 2;
    struct slot *t = calloc(cap, sizeof *t);
    if (!t)
        return CW_ENOMEM;
    for (size_t i = 0; i < r->cap; i++)
        if (r->t[i].key)
            *find(t, cap, r->t[i].key) = r->t[i];
    free(r->t);
    r->t = t;
    r->cap = cap;
    return 0;
}

static unsigned province_slot(const char *p)
{
    if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && !p[2])
        return (unsigned)(p[0] - '0') * 10u + (unsigned)(p[1] - '0');
    return UNKNOWN;
}

int cw_realname_event(struct cw_realname *r, const struct cw_event *ev, const struct cw_card *c)
{
    if (!c->home ||
        (ev->kind != CW_EV_SMS_MO && ev->kind != CW_EV_CALL && ev->kind != CW_EV_DATA_SESSION))
        return 0;
    uint64_t key = 0;
    size_t n = strlen(c->msisdn);
    if (n == 0 || n > 18)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (c->msisdn[i] < '0' || c->msisdn[i] > '9')
            return 0;
        key = key * 10 + (uint64_t)(c->msisdn[i] - '0');
    }
    key++;
    int rc = 0;
    struct slot *s = find(r->t, r->cap, key);
    if (!s->key) {
        if (2 * (r->n + 1) > r->cap && (rc = grow(r)) == 0)
            s = find(r->t, r->cap, key);
        if (rc == 0) {
            unsigned p = province_slot(c->province);
            if (p == UNKNOWN)
                p = province_slot(c->range_province);
            s->key = key;
            s->province = (uint8_t)p;
            s->verified = c->verified != 0;
            r->n++;
            r->rows[p].cards++;
            r->rows[p].verified += s->verified;
        }
    }
    /* the card's province and standing as first seen (the registry may change under a running
     * analyze; a card keeps its first row) */
    unsigned p = s->key == key ? s->province : province_slot(c->province);
    int black = s->key == key ? !s->verified : !c->verified;
    struct cw_realname_row *row = &r->rows[p];
    switch (ev->kind) {
    case CW_EV_SMS_MO:
        row->sms++;
        row->sms_black += (uint64_t)black;
        break;
    case CW_EV_CALL:
        row->calls++;
        row->calls_black += (uint64_t)black;
        break;
    default:
        row->data++;
        row->data_black += (uint64_t)black;
        break;
    }
    return rc;
}

int cw_realname_merge(struct cw_realname *dst, const struct cw_realname *src)
{
    for (size_t i = 0; i < src->cap; i++) {
        const struct slot *from = &src->t[i];
        if (!from->key)
            continue;
        struct slot *s = find(dst->t, dst->cap, from->key);
        if (s->key)
            continue; /* seen by both: counted once, as the destination first saw it */
        if (2 * (dst->n + 1) > dst->cap) {
            if (grow(dst) != 0)
                return CW_ENOMEM;
            s = find(dst->t, dst->cap, from->key);
        }
        *s = *from;
        dst->n++;
        dst->rows[s->province].cards++;
        dst->rows[s->province].verified += s->verified;
    }
    for (int p = 0; p <= UNKNOWN; p++) {
        struct cw_realname_row *d = &dst->rows[p];
        const struct cw_realname_row *o = &src->rows[p];
        d->sms += o->sms;
        d->sms_black += o->sms_black;
        d->calls += o->calls;
        d->calls_black += o->calls_black;
        d->data += o->data;
        d->data_black += o->data_black;
    }
    return 0;
}

void cw_realname_rows(const struct cw_realname *r,
                      void (*fn)(void *user, const struct cw_realname_row *row), void *user)
{
    struct cw_realname_row all;
    memset(&all, 0, sizeof all);
    all.all = 1;
    for (int i = 0; i <= UNKNOWN; i++) {
        const struct cw_realname_row *row = &r->rows[i];
        if (!row->cards && !row->sms && !row->calls && !row->data)
            continue;
        fn(user, row);
        all.cards += row->cards;
        all.verified += row->verified;
        all.sms += row->sms;
        all.sms_black += row->sms_black;
        all.calls += row->calls;
        all.calls_black += row->calls_black;
        all.data += row->data;
        all.data_black += row->data_black;
    }
    fn(user, &all);
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static const char *row_name(const struct cw_realname_row *row)
{
    if (row->all)
        return "all";
    const char *n = row->province[0] ? cw_province_name(row->province) : NULL;
    return n ? n : "unknown";
}

static void print_row(void *user, const struct cw_realname_row *row)
{
    FILE *f = user;
    fprintf(f,
            "  %-3s %-15s %8" PRIu64 " %8" PRIu64 " %6.1f%%  %7.2f%% of %-8" PRIu64
            " %7.2f%% of %-8" PRIu64 " %7.2f%% of %" PRIu64 "\n",
            row->all           ? ""
            : row->province[0] ? row->province
                               : "--",
            row_name(row), row->cards, row->verified, pct(row->verified, row->cards),
            pct(row->sms_black, row->sms), row->sms, pct(row->calls_black, row->calls), row->calls,
            pct(row->data_black, row->data), row->data);
}

void cw_realname_print(FILE *f, const struct cw_realname *r)
{
    fprintf(f, "real-name    home cards in use (sending SMS, calling or opening data sessions) "
               "and their black-card share, by registration province\n");
    fprintf(f, "  %-3s %-15s %8s %8s %7s  %-19s %-19s %s\n", "", "province", "in use", "verified",
            "rate", "black SMS", "black calls", "black data sessions");
    cw_realname_rows(r, print_row, f);
}

static void json_row(void *user, const struct cw_realname_row *row)
{
    struct cw_json *j = user;
    if (row->all) {
        cw_json_arr_end(j);
        cw_json_obj_begin(j, "overall");
    } else {
        cw_json_obj_begin(j, NULL);
        cw_json_str(j, "province", row->province[0] ? row->province : "unknown");
        if (row->province[0] && cw_province_name(row->province))
            cw_json_str(j, "name", cw_province_name(row->province));
    }
    cw_json_uint(j, "cards_in_use", row->cards);
    cw_json_uint(j, "verified", row->verified);
    cw_json_double(j, "real_name_rate",
                   row->cards ? (double)row->verified / (double)row->cards : 0.0);
    cw_json_uint(j, "sms", row->sms);
    cw_json_uint(j, "sms_black", row->sms_black);
    cw_json_uint(j, "calls", row->calls);
    cw_json_uint(j, "calls_black", row->calls_black);
    cw_json_uint(j, "data_sessions", row->data);
    cw_json_uint(j, "data_sessions_black", row->data_black);
    cw_json_obj_end(j);
}

void cw_realname_json(struct cw_json *j, const struct cw_realname *r)
{
    cw_json_obj_begin(j, "real_name_in_traffic");
    cw_json_arr_begin(j, "provinces");
    cw_realname_rows(r, json_row, j); /* closes the array before the overall row */
    cw_json_obj_end(j);
}
