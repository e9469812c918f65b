/* audit.c - the regulator's figures from the real-name registry: over-quota IDs, outlets
 * ranked by the signs of agent registration, real-name rates (docs/registry.md, "Audit").
 *
 * Three walks, each one read snapshot (registry.h): the outlets table (kind and name), every
 * card (the per-card figures: rates, outlet totals, cards without an ID), every ID with its
 * cards (quotas, bursts; the suspicious count of every card that has an ID). Each card is
 * counted as suspicious in exactly one of the two card walks, so the outlet figures add up.
 */
#include "store/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define PROGRESS_EVERY 65536u
#define PROV_SLOTS 101 /* codes 00..99, then the cards with no province */
#define PROV_UNKNOWN 100

void cw_audit_params_default(struct cw_audit_params *p)
{
    p->province_limit = 5;
    p->national_limit = 5;
    p->burst_cards = 3;
    p->burst_hours = 48;
    p->min_cards = 10;
    p->target = 90.0;
}

const char *cw_audit_rule_name(unsigned rule)
{
    switch (rule) {
    case CW_AUDIT_RULE_PROVINCE: return "province";
    case CW_AUDIT_RULE_NATIONAL: return "national";
    default: return "?";
    }
}

/* A held card's time and position, for finding bursts. */
struct when {
    int64_t t;
    size_t i;
};

struct ctx {
    struct cw_audit *a;
    const struct cw_audit_opts *o;
    char *err;
    size_t errlen;
    /* the outlets: an array and an open-addressing index of it (slot = position + 1) */
    struct cw_audit_outlet *ov;
    size_t on, ocap;
    uint32_t *slots;
    size_t nslots;
    struct cw_audit_rate prov[PROV_SLOTS];
    /* scratch for one ID, kept across IDs */
    uint8_t *flags;
    size_t flagcap;
    struct when *times;
    size_t timecap;
    const char **names;
    size_t namecap;
    struct cw_audit_count *pc, *oc;
    size_t pccap, occap;
    /* progress */
    const char *phase;
    uint64_t done, total;
    int stopped; /* on_id returned non-zero */
};

static void set_err(struct ctx *x, const char *fmt, ...)
{
    if (!x->err || !x->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, x->errlen, fmt, ap);
    va_end(ap);
}

static void tick(struct ctx *x)
{
    if (++x->done % PROGRESS_EVERY == 0 && x->o && x->o->progress)
        x->o->progress(x->o->progress_user, x->phase, x->done, x->total);
}

/* Grow *buf to hold at least @p n elements of @p size bytes. */
static int reserve(void *buf, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < n)
        nc *= 2;
    void *nb = realloc(*(void **)buf, nc * size);
    if (!nb)
        return CW_ENOMEM;
    *(void **)buf = nb;
    *cap = nc;
    return 0;
}

/* ---- the outlets table ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int rehash(struct ctx *x, size_t nslots)
{
    uint32_t *ns = calloc(nslots, sizeof *ns);
    if (!ns)
        return CW_ENOMEM;
    for (size_t i = 0; i < x->on; i++) {
        size_t s = (size_t)hash_str(x->ov[i].id) & (nslots - 1);
        while (ns[s])
            s = (s + 1) & (nslots - 1);
        ns[s] = (uint32_t)(i + 1);
    }
    free(x->slots);
    x->slots = ns;
    x->nslots = nslots;
    return 0;
}

/* The aggregate of outlet @p id, added when new; NULL when out of memory. */
static struct cw_audit_outlet *outlet_of(struct ctx *x, const char *id)
{
    if (x->nslots == 0 || (x->on + 1) * 10 > x->nslots * 7) {
        if (x->on >= UINT32_MAX - 1 || rehash(x, x->nslots ? x->nslots * 2 : 1024))
            return NULL;
    }
    size_t s = (size_t)hash_str(id) & (x->nslots - 1);
    for (; x->slots[s]; s = (s + 1) & (x->nslots - 1)) {
        struct cw_audit_outlet *o = &x->ov[x->slots[s] - 1];
        if (!strcmp(o->id, id))
            return o;
    }
    if (reserve(&x->ov, &x->ocap, x->on + 1, sizeof *x->ov))
        return NULL;
    struct cw_audit_outlet *o = &x->ov[x->on];
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", id);
    x->slots[s] = (uint32_t)++x->on;
    return o;
}

static int on_outlet(void *u, const struct cw_outlet *ol)
{
    struct ctx *x = u;
    struct cw_audit_outlet *o = outlet_of(x, ol->id);
    if (!o)
        return CW_ENOMEM;
    o->listed = 1;
    o->kind = ol->kind;
    memcpy(o->province, ol->province, sizeof o->province);
    snprintf(o->name, sizeof o->name, "%s", ol->name);
    x->a->outlets_listed++;
    tick(x);
    return 0;
}

/* ---- every card ---- */

static size_t prov_slot(const char *p)
{
    if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9')
        return (size_t)(p[0] - '0') * 10 + (size_t)(p[1] - '0');
    return PROV_UNKNOWN;
}

static void rate_add(struct cw_audit_rate *r, const struct cw_card *c)
{
    r->cards++;
    if (!c->has_id)
        r->no_id++;
    else if (!c->id_valid)
        r->invalid_id++;
    else if (c->verified)
        r->verified++;
    else
        r->unverified++;
}

static int on_card(void *u, const struct cw_card *c)
{
    struct ctx *x = u;
    struct cw_audit *a = x->a;
    tick(x);
    a->records++;
    if (c->status == CW_CARD_CANCELLED) {
        a->cancelled++;
        return 0;
    }
    rate_add(&x->prov[prov_slot(c->province)], c);
    rate_add(&a->overall, c);
    struct cw_audit_outlet *o = outlet_of(x, c->outlet);
    if (!o)
        return CW_ENOMEM;
    o->cards++;
    if (!c->has_id) {
        o->no_id++;
        /* A card with an ID is judged in the walk of the IDs, with its quota and bursts. */
        o->suspicious++;
        a->suspicious++;
    } else if (!c->id_valid) {
        o->invalid_id++;
    } else if (!c->verified) {
        o->unverified++;
    }
    return 0;
}

/* ---- every ID ---- */

static int cmp_when(const void *pa, const void *pb)
{
    const struct when *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int cmp_name(const void *pa, const void *pb)
{
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* Provinces by code, "" (unknown) last. */
static int cmp_key_prov(const void *pa, const void *pb)
{
    const struct cw_audit_count *a = pa, *b = pb;
    if (!a->key[0] != !b->key[0])
        return !a->key[0] ? 1 : -1;
    return strcmp(a->key, b->key);
}

static int cmp_count(const void *pa, const void *pb)
{
    const struct cw_audit_count *a = pa, *b = pb;
    if (a->cards != b->cards)
        return a->cards > b->cards ? -1 : 1;
    return strcmp(a->key, b->key);
}

/* Mark the held cards in a burst: at least burst_cards registered within burst_hours (first to
 * last). A sliding window over the registration times; each card is marked once. */
static size_t mark_bursts(struct ctx *x, const struct cw_card *cards, size_t n)
{
    const struct cw_audit_params *p = &x->a->params;
    size_t m = 0, marked = 0;
    for (size_t i = 0; i < n; i++)
        if ((x->flags[i] & CW_AUDIT_CARD_HELD) && cards[i].registered_at > 0)
            x->times[m++] = (struct when){cards[i].registered_at, i};
    if (m < p->burst_cards)
        return 0;
    qsort(x->times, m, sizeof *x->times, cmp_when);
    int64_t w = (int64_t)p->burst_hours * 3600;
    size_t lo = 0, done = 0;
    for (size_t hi = 0; hi < m; hi++) {
        while (x->times[hi].t - x->times[lo].t > w)
            lo++;
        if (hi - lo + 1 >= p->burst_cards) {
            for (size_t k = lo > done ? lo : done; k <= hi; k++) {
                x->flags[x->times[k].i] |= CW_AUDIT_CARD_BURST;
                marked++;
            }
            done = hi + 1;
        }
    }
    return marked;
}

/* Hand an ID over a limit to the caller: its provinces are counted already (x->pc). */
static int report_id(struct ctx *x, const uint8_t *pseudo, const struct cw_card *cards, size_t n,
                     size_t np, unsigned rules, uint32_t held, uint32_t held_over)
{
    struct cw_audit_id id;
    memset(&id, 0, sizeof id);
    memcpy(id.pseudo, pseudo, CW_PSEUDO_LEN);
    memcpy(id.id_masked, cards[0].id_masked, sizeof id.id_masked);
    memcpy(id.id_province, cards[0].id_province, sizeof id.id_province);
    id.id_valid = cards[0].id_valid;
    id.rules = rules;
    id.held = held;
    id.held_over = held_over;
    /* outlets: the held cards' outlet names sorted, then counted */
    size_t m = 0, no = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(x->flags[i] & CW_AUDIT_CARD_HELD))
            continue;
        x->names[m++] = cards[i].outlet;
        if (cards[i].registered_at > 0) {
            if (!id.first || cards[i].registered_at < id.first)
                id.first = cards[i].registered_at;
            if (cards[i].registered_at > id.last)
                id.last = cards[i].registered_at;
        }
    }
    qsort(x->names, m, sizeof *x->names, cmp_name);
    for (size_t i = 0; i < m; i++) {
        if (i == 0 || strcmp(x->names[i], x->names[i - 1])) {
            memset(&x->oc[no], 0, sizeof x->oc[no]);
            snprintf(x->oc[no].key, sizeof x->oc[no].key, "%s", x->names[i]);
            no++;
        }
        x->oc[no - 1].cards++;
    }
    qsort(x->oc, no, sizeof *x->oc, cmp_count);
    qsort(x->pc, np, sizeof *x->pc, cmp_key_prov);
    id.provinces = x->pc;
    id.nprovinces = np;
    id.outlets = x->oc;
    id.noutlets = no;
    id.cards = cards;
    id.card_flags = x->flags;
    id.ncards = n;
    int rc = x->o && x->o->on_id ? x->o->on_id(x->o->user, &id) : 0;
    x->stopped = rc != 0;
    return rc;
}

static int on_person(void *u, const uint8_t pseudo[CW_PSEUDO_LEN], const struct cw_card *cards,
                     size_t n)
{
    struct ctx *x = u;
    struct cw_audit *a = x->a;
    const struct cw_audit_params *p = &a->params;
    tick(x);
    a->persons++;
    if (n == 0)
        return 0;
    if (reserve(&x->flags, &x->flagcap, n, sizeof *x->flags) ||
        reserve(&x->times, &x->timecap, n, sizeof *x->times) ||
        reserve(&x->names, &x->namecap, n, sizeof *x->names) ||
        reserve(&x->pc, &x->pccap, n, sizeof *x->pc) ||
        reserve(&x->oc, &x->occap, n, sizeof *x->oc))
        return CW_ENOMEM;
    /* held cards per province (a person has cards in a few provinces: a linear search) */
    size_t np = 0;
    uint32_t held = 0, held_over = 0;
    for (size_t i = 0; i < n; i++) {
        /* a card without an ID cannot be in the index; the walk of the cards judged it */
        x->flags[i] =
            cards[i].status != CW_CARD_CANCELLED && cards[i].has_id ? CW_AUDIT_CARD_HELD : 0;
        if (!x->flags[i])
            continue;
        held++;
        size_t k = 0;
        while (k < np && strncmp(x->pc[k].key, cards[i].province, 2))
            k++;
        if (k == np) {
            memset(&x->pc[np], 0, sizeof x->pc[np]);
            memcpy(x->pc[np].key, cards[i].province, 3);
            np++;
        }
        x->pc[k].cards++;
    }
    unsigned rules = 0;
    for (size_t k = 0; k < np; k++)
        if (x->pc[k].cards > p->province_limit) {
            x->pc[k].over = 1;
            held_over += x->pc[k].cards;
            rules |= CW_AUDIT_RULE_PROVINCE;
        }
    if (held > p->national_limit)
        rules |= CW_AUDIT_RULE_NATIONAL;
    if (held_over)
        for (size_t i = 0; i < n; i++)
            if (x->flags[i] & CW_AUDIT_CARD_HELD)
                for (size_t k = 0; k < np; k++)
                    if (x->pc[k].over && !strncmp(x->pc[k].key, cards[i].province, 2))
                        x->flags[i] |= CW_AUDIT_CARD_OVER;
    a->burst_cards += mark_bursts(x, cards, n);
    /* the outlets' per-ID criteria, and each card's verdict */
    for (size_t i = 0; i < n; i++) {
        uint8_t f = x->flags[i];
        if (!(f & CW_AUDIT_CARD_HELD))
            continue;
        struct cw_audit_outlet *o = outlet_of(x, cards[i].outlet);
        if (!o)
            return CW_ENOMEM;
        o->over_quota += (f & CW_AUDIT_CARD_OVER) != 0;
        o->burst += (f & CW_AUDIT_CARD_BURST) != 0;
        if ((f & (CW_AUDIT_CARD_OVER | CW_AUDIT_CARD_BURST)) || !cards[i].verified) {
            o->suspicious++;
            a->suspicious++;
        }
    }
    if (!rules)
        return 0;
    a->ids_over++;
    a->cards_ids_over += held;
    a->cards_over_province += held_over;
    if (rules & CW_AUDIT_RULE_PROVINCE)
        a->ids_over_province++;
    if (rules & CW_AUDIT_RULE_NATIONAL)
        a->ids_over_national++;
    if (rules == CW_AUDIT_RULE_NATIONAL) {
        a->ids_national_only++;
        a->cards_national_only += held;
    }
    return report_id(x, pseudo, cards, n, np, rules, held, held_over);
}

/* ---- the results ---- */

static void rate_finish(struct cw_audit_rate *r, double target)
{
    r->rate = r->cards ? 100.0 * (double)r->verified / (double)r->cards : 0.0;
    /* verified / cards < target / 100, without dividing */
    r->below = r->cards && (double)r->verified * 100.0 < target * (double)r->cards;
}

/* Ranked outlets first; then by suspicious share, suspicious count, cards, id. */
static int cmp_outlet(const void *pa, const void *pb)
{
    const struct cw_audit_outlet *a = pa, *b = pb;
    if (a->ranked != b->ranked)
        return a->ranked ? -1 : 1;
    uint64_t l = a->suspicious * b->cards, r = b->suspicious * a->cards; /* cards > 0 */
    if (l != r)
        return l > r ? -1 : 1;
    if (a->suspicious != b->suspicious)
        return a->suspicious > b->suspicious ? -1 : 1;
    if (a->cards != b->cards)
        return a->cards > b->cards ? -1 : 1;
    return strcmp(a->id, b->id);
}

static int finish(struct ctx *x)
{
    struct cw_audit *a = x->a;
    const struct cw_audit_params *p = &a->params;
    size_t np = 0;
    for (size_t s = 0; s < PROV_SLOTS; s++)
        np += x->prov[s].cards > 0;
    a->provinces = calloc(np ? np : 1, sizeof *a->provinces);
    if (!a->provinces)
        return CW_ENOMEM;
    for (size_t s = 0; s < PROV_SLOTS; s++) {
        struct cw_audit_rate *r = &x->prov[s];
        if (!r->cards)
            continue;
        if (s != PROV_UNKNOWN)
            snprintf(r->province, sizeof r->province, "%02u", (unsigned)s);
        rate_finish(r, p->target);
        a->provinces_below += r->below;
        a->provinces[a->nprovinces++] = *r;
    }
    rate_finish(&a->overall, p->target);
    /* outlets: drop those with no card held, rank the rest */
    size_t k = 0;
    for (size_t i = 0; i < x->on; i++) {
        struct cw_audit_outlet *o = &x->ov[i];
        if (!o->cards) {
            a->outlets_unused += o->listed;
            continue;
        }
        o->share = 100.0 * (double)o->suspicious / (double)o->cards;
        o->ranked = o->cards >= p->min_cards;
        a->nranked += o->ranked;
        x->ov[k++] = *o;
    }
    if (k > 1)
        qsort(x->ov, k, sizeof *x->ov, cmp_outlet);
    a->outlets = x->ov;
    a->noutlets = k;
    x->ov = NULL;
    return 0;
}

/* The registry's counts, and a mark that changes with every commit (imports and updates log a
 * line): compared before and after the walks. */
static int snapshot(struct cw_registry *reg, char mark[400], uint64_t *cards, uint64_t *persons)
{
    struct cw_registry_info *in = malloc(sizeof *in);
    if (!in)
        return CW_ENOMEM;
    int rc = cw_registry_info(reg, in);
    if (rc == 0) {
        snprintf(mark, 400, "%u %llu %llu %.320s", in->nhistory, (unsigned long long)in->cards,
                 (unsigned long long)in->persons,
                 in->nhistory ? in->history[in->nhistory - 1] : "");
        *cards = in->cards;
        *persons = in->persons;
    }
    free(in);
    return rc;
}

static void phase_begin(struct ctx *x, const char *phase, uint64_t total)
{
    x->phase = phase;
    x->done = 0;
    x->total = total;
}

static void phase_end(struct ctx *x)
{
    if (x->o && x->o->progress)
        x->o->progress(x->o->progress_user, x->phase, x->done, x->total ? x->total : x->done);
}

int cw_audit_run(struct cw_registry *reg, const struct cw_audit_params *p,
                 const struct cw_audit_opts *o, struct cw_audit **out, char *err, size_t errlen)
{
    struct ctx x;
    memset(&x, 0, sizeof x);
    x.o = o;
    x.err = err;
    x.errlen = errlen;
    *out = NULL;
    if (err && errlen)
        err[0] = 0;
    struct cw_audit *a = calloc(1, sizeof *a);
    if (!a) {
        set_err(&x, "out of memory");
        return CW_ENOMEM;
    }
    x.a = a;
    if (p)
        a->params = *p;
    else
        cw_audit_params_default(&a->params);
    if (a->params.burst_cards < 2 || !(a->params.target >= 0.0 && a->params.target <= 100.0)) {
        set_err(&x, "bad parameters: a burst is at least 2 cards, the target 0 to 100%%");
        cw_audit_free(a);
        return CW_EINVAL;
    }
    char before[400] = "", after[400] = "";
    uint64_t cards = 0, persons = 0, c2, p2;
    const char *what = "the registry's counts";
    int rc = snapshot(reg, before, &cards, &persons);
    if (rc == 0) {
        what = "the outlets";
        phase_begin(&x, "outlets", 0);
        rc = cw_registry_walk_outlets(reg, on_outlet, &x);
    }
    if (rc == 0) {
        phase_end(&x);
        what = "the cards";
        phase_begin(&x, "cards", cards);
        rc = cw_registry_walk_cards(reg, on_card, &x);
    }
    if (rc == 0) {
        phase_end(&x);
        what = "the IDs";
        phase_begin(&x, "ids", persons);
        rc = cw_registry_walk_persons(reg, on_person, &x);
    }
    if (rc == 0) {
        phase_end(&x);
        what = "the registry's counts";
        rc = snapshot(reg, after, &c2, &p2);
    }
    if (rc == 0) {
        a->changed = strcmp(before, after) != 0;
        what = "the results";
        rc = finish(&x);
    }
    if (rc != 0 && x.stopped)
        set_err(&x, "stopped while reporting the IDs (%d)", rc);
    else if (rc != 0)
        set_err(&x, "cannot read %s: %s", what, cw_strerror(rc));
    free(x.ov);
    free(x.slots);
    free(x.flags);
    free(x.times);
    free(x.names);
    free(x.pc);
    free(x.oc);
    if (rc != 0) {
        cw_audit_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

void cw_audit_free(struct cw_audit *a)
{
    if (!a)
        return;
    free(a->provinces);
    free(a->outlets);
    free(a);
}
