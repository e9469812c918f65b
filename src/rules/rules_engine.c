/* rules_engine.c - applies a ruleset to joined events: per (rule, key) windows of packet time,
 * one alert per key per rule per window (docs/rules.md, "Windows, thresholds and alerts").
 *
 * Engine-wide:
 *   pool   window states of every rule in one array of fixed stride (the header and the
 *          largest samples and matches any rule keeps), addressed by index; closed states go
 *          on a free list and are reused by any rule, so evicting one window makes room for
 *          another whatever their rules
 * Per rule:
 *   table  open addressing, linear probing, {hash, index+1} slots, at most half full, grown by
 *          doubling; deletion shifts back (no tombstones)
 *   fifo   open windows, doubly linked in the order they opened: the head closes first
 *   lru    open windows, doubly linked in the order they were last counted in: the head is the
 *          rule's stalest; the engine's stalest is the head with the oldest update stamp
 *
 * Content conditions (docs/rules.md, "Content lists") run after a rule's bit and count tests;
 * an event's text is scanned at most once per list however many rules use the list (the
 * result is cached per list, stamped with the event's sequence number), with one Hyperscan
 * scratch per engine. A window of a rule with content conditions keeps the patterns that
 * matched (up to CW_ALERT_MATCHES_MAX, one per pattern) after its samples.
 *
 * Memory is allocated only when a new key opens a window and the pool or table is full (both
 * double); an event for an open key allocates nothing. The pool and the tables together stay
 * under the engine's cap (docs/rules.md, "Memory"): a growth that would pass it is cut to what
 * fits, and when nothing fits the stalest windows are evicted (closed early, reporting their
 * alert when they have reached the threshold). Each event checks the FIFO heads once (a
 * cached earliest deadline makes that one comparison when nothing is due). Alerts at flush
 * come in window-open order (a global sequence number), so the output never depends on the
 * hash seed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/hex.h"
#include "rules/rules_int.h"
#include "util/error.h"

#define NIL UINT32_MAX
#define POOL_MAX (UINT32_MAX / 2u)
/* A growth that does not fit under the cap (internal; never returned by the API). */
#define OVER_CAP 1

#define HLL 255 /* a distinct set's count when it has become a HyperLogLog */

struct win {
    uint32_t prev, next; /* FIFO links (of the open or the held list); next is the
                          * free-list link once closed */
    uint64_t hash;
    uint64_t seq; /* open order across the engine */
    uint64_t first_ts, last_ts, deadline, events;
    uint64_t by_kind[CW_EV__COUNT];
    uint64_t received;     /* events of the rule's kinds addressed to the key */
    uint64_t fired_events; /* held: events when the alert was reported */
    uint8_t held;          /* 1: alerted, held for the rest of the suppression period */
    uint8_t phase;         /* sliding rules: which of the key's two windows (0 or 1) */
    uint8_t after_alert;   /* sliding rules: the key's other window alerted while this one was
                            * open: this one reports an update, not a new alert */
    uint8_t sib;           /* sliding rules: the key's window of the other phase is open */
    uint8_t dn[CW_RULE_DISTINCT_MAX]; /* values in each distinct set, HLL when a sketch */
    uint8_t nmembers;                 /* member cards kept (rules not grouped by card) */
    unsigned nsamples, nmatches;
    char key[CW_RULE_KEY_MAX];
    struct cw_card card;
    struct cw_alert_sample samples[]; /* the rule's 'samples' entries, then (rules with content
                                       * conditions) CW_ALERT_MATCHES_MAX struct cw_alert_match,
                                       * then the rule's distinct sets (CW_RULE_HLL_REGS bytes
                                       * each: up to 64 32-bit hashes, or 256 registers) */
};

/* A FIFO of windows in deadline order: open ones, held ones. */
struct fifo {
    uint32_t head, tail;
};

struct slot {
    uint64_t hash;
    uint32_t idx1; /* state index + 1; 0 = empty */
};

struct rule_rt {
    const struct cw_rule *rule;
    size_t size;         /* bytes of this rule's window state (<= the pool's stride) */
    size_t match_off;    /* offset of the matches in a window; 0 when the rule keeps none */
    size_t dist_off;     /* offset of the distinct sets */
    size_t mem_off;      /* offset of the member cards; 0 when the rule keeps none */
    unsigned char *pool; /* this rule's window states, stride bytes each */
    uint64_t *stamp;     /* per state: update order across the engine (UINT64_MAX: free), kept
                          * apart from the states so that eviction samples a small array */
    size_t stride;
    uint32_t pool_cap, pool_used, free_head;
    struct slot *slots;
    uint32_t table_cap, live; /* table_cap is a power of two */
    struct fifo q[2];         /* [0] open windows, [1] held (alerted, suppressing) */
    uint64_t alerts;
};

struct cw_engine {
    const struct cw_ruleset *rs;
    struct cw_alert_sink sink;
    struct rule_rt *rt;
    size_t nrules;
    size_t limit;           /* cap on the pools' and tables' bytes */
    size_t pool_bytes;      /* the pools' bytes (at most 7/8 of the limit) */
    uint64_t now;           /* the latest packet time seen */
    uint64_t next_deadline; /* no FIFO head is due before this */
    uint64_t seq, touch;
    uint64_t rng;        /* eviction's sampling (xorshift64, fixed seed) */
    uint64_t k0, k1;     /* hash key */
    char cc[8];          /* the carrier's country code, for 'received' (cw_engine_set_country) */
    size_t nrecv;        /* rules that count 'received' */
    uint64_t recv_kinds; /* the kinds any of them counts as received */
    int (*locate)(void *user, const char *cell, char province[3]);
    void *locate_user;
    uint64_t epoch;         /* counts the events looked at (fed or routed): the caches' tag */
    uint64_t located_event; /* e->epoch when cell_province was found; 0: never */
    char cell_province[3];  /* the current event's cell's province, "" when unknown */
    struct cw_engine_stats st;
    /* content: one scratch for every list; per list, the current event's scan */
    struct cw_content_scratch *scratch;
    struct list_scan *scans;
    unsigned shard, nshards; /* cw_engine_set_shard: the keys this engine owns */
};

struct list_scan {
    uint64_t event; /* e->epoch when scanned; 0: never */
    int n;          /* matches found, < 0 when the scan failed (counts as none) */
    struct cw_content_match m[CW_ALERT_MATCHES_MAX];
};

static const struct cw_card zero_card;

/* ---- hashing: SipHash-1-3 over the key, seeded per engine ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

static uint64_t siphash13(uint64_t k0, uint64_t k1, const char *s, size_t len)
{
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    uint64_t b = (uint64_t)len << 56;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t m = 0;
        for (int k = 0; k < 8; k++)
            m |= (uint64_t)(unsigned char)s[i + k] << (8 * k);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    for (int k = 0; i < len; i++, k++)
        b |= (uint64_t)(unsigned char)s[i] << (8 * k);
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* A key's hash in the tables: keyed per engine, so crafted keys cannot aim at one slot. */
static uint64_t key_hash(const struct cw_engine *e, const char *s, size_t len)
{
    return siphash13(e->k0, e->k1, s, len);
}

/* A value's hash in a distinct set: one fixed key, so an estimate beyond the exact range is
 * the same on every run (the alerts of a capture do not change from run to run). */
static uint32_t value_hash(const char *s, size_t len)
{
    uint64_t h = siphash13(0x6361726477617463ull, 0x64697374696e6374ull, s, len);
    return (uint32_t)(h ^ (h >> 32));
}

/* ---- memory accounting ---- */

static void bytes_add(struct cw_engine *e, size_t n)
{
    e->st.state_bytes += n;
    if (e->st.state_bytes > e->st.state_peak)
        e->st.state_peak = e->st.state_bytes;
}

/* Room left under the cap. */
static size_t bytes_room(const struct cw_engine *e)
{
    return e->st.state_bytes < e->limit ? e->limit - (size_t)e->st.state_bytes : 0;
}

/* ---- pool and table ---- */

static struct win *win_at(const struct rule_rt *r, uint32_t idx)
{
    return (struct win *)(void *)(r->pool + (size_t)idx * r->stride);
}

static struct cw_alert_match *win_matches(const struct rule_rt *r, struct win *w)
{
    return (struct cw_alert_match *)(void *)((unsigned char *)w + r->match_off);
}

/* A free state of rule @p r's pool: 0, OVER_CAP when the pool is full and cannot grow under
 * the cap, or CW_E*. */
static int pool_take(struct cw_engine *e, struct rule_rt *r, uint32_t *out)
{
    if (r->free_head != NIL) {
        *out = r->free_head;
        r->free_head = win_at(r, r->free_head)->next;
        return 0;
    }
    if (r->pool_used == r->pool_cap) {
        if (r->pool_cap >= POOL_MAX)
            return CW_EFULL;
        uint32_t cap = r->pool_cap ? r->pool_cap * 2 : 16;
        /* more states that fit under the cap, an eighth of which is kept for the tables */
        size_t plimit = e->limit - e->limit / 8;
        size_t room = plimit > e->pool_bytes ? plimit - e->pool_bytes : 0;
        if (room > bytes_room(e))
            room = bytes_room(e);
        size_t fit = room / (r->stride + sizeof *r->stamp);
        if ((size_t)(cap - r->pool_cap) > fit)
            cap = r->pool_cap + (uint32_t)(fit < POOL_MAX ? fit : POOL_MAX);
        if (cap == r->pool_cap)
            return OVER_CAP;
        uint64_t *ns = realloc(r->stamp, (size_t)cap * sizeof *ns);
        if (!ns)
            return CW_ENOMEM;
        r->stamp = ns;
        unsigned char *np = realloc(r->pool, (size_t)cap * r->stride);
        if (!np)
            return CW_ENOMEM;
        size_t more = (size_t)(cap - r->pool_cap) * (r->stride + sizeof *ns);
        bytes_add(e, more);
        e->pool_bytes += more;
        r->pool = np;
        r->pool_cap = cap;
    }
    *out = r->pool_used++;
    return 0;
}

static void pool_put(struct rule_rt *r, uint32_t idx)
{
    win_at(r, idx)->next = r->free_head;
    r->free_head = idx;
}

/* Double rule @p r's table: 0, OVER_CAP when the larger table would pass the cap, or CW_E*. */
static int table_grow(struct cw_engine *e, struct rule_rt *r)
{
    uint32_t cap = r->table_cap ? r->table_cap * 2 : 32;
    if (cap < r->table_cap)
        return CW_EFULL;
    if ((size_t)(cap - r->table_cap) * sizeof(struct slot) > bytes_room(e))
        return OVER_CAP;
    struct slot *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return CW_ENOMEM;
    uint32_t mask = cap - 1;
    for (uint32_t i = 0; i < r->table_cap; i++) {
        if (!r->slots[i].idx1)
            continue;
        uint32_t j = (uint32_t)r->slots[i].hash & mask;
        while (ns[j].idx1)
            j = (j + 1) & mask;
        ns[j] = r->slots[i];
    }
    free(r->slots);
    bytes_add(e, (size_t)(cap - r->table_cap) * sizeof(struct slot));
    r->slots = ns;
    r->table_cap = cap;
    return 0;
}

/* The table hash of a key's window of phase @p phase (sliding rules have two per key). */
#define PHASE_SALT 0x9e3779b97f4a7c15ull

static uint64_t phase_hash(uint64_t h, unsigned phase)
{
    return phase ? h ^ PHASE_SALT : h;
}

/* Slot holding @p key's window of phase @p phase (@p h its phase_hash), or the empty slot
 * where it would go. */
static uint32_t table_find(const struct cw_engine *e, const struct rule_rt *r, uint64_t h,
                           const char *key, size_t len, unsigned phase)
{
    uint32_t mask = r->table_cap - 1;
    uint32_t j = (uint32_t)h & mask;
    for (;;) {
        const struct slot *s = &r->slots[j];
        if (!s->idx1)
            return j;
        if (s->hash == h) {
            const struct win *w = win_at(r, s->idx1 - 1);
            if (w->phase == phase && memcmp(w->key, key, len) == 0 && w->key[len] == '\0')
                return j;
        }
        j = (j + 1) & mask;
    }
}

/* Remove the slot of state @p idx, shifting later entries of its cluster back. */
static void table_remove(struct rule_rt *r, uint32_t idx, uint64_t h)
{
    uint32_t mask = r->table_cap - 1;
    uint32_t i = (uint32_t)h & mask;
    while (r->slots[i].idx1 != idx + 1)
        i = (i + 1) & mask;
    uint32_t j = i;
    for (;;) {
        r->slots[i].idx1 = 0;
        for (;;) {
            j = (j + 1) & mask;
            if (!r->slots[j].idx1)
                return;
            uint32_t home = (uint32_t)r->slots[j].hash & mask;
            /* move j back to i unless its home lies cyclically in (i, j] */
            if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
                continue;
            break;
        }
        r->slots[i] = r->slots[j];
        i = j;
    }
}

/* ---- windows ---- */

/* Unlink @p idx from the FIFO it is on (held or open). */
static void fifo_unlink(struct cw_engine *e, struct rule_rt *r, uint32_t idx)
{
    struct win *w = win_at(r, idx);
    struct fifo *q = &r->q[w->held];
    if (w->prev != NIL)
        win_at(r, w->prev)->next = w->next;
    else
        q->head = w->next;
    if (w->next != NIL)
        win_at(r, w->next)->prev = w->prev;
    else
        q->tail = w->prev;
}

/* Append @p idx to the FIFO its held flag names. */
static void fifo_append(struct cw_engine *e, struct rule_rt *r, uint32_t idx)
{
    struct win *w = win_at(r, idx);
    struct fifo *q = &r->q[w->held];
    w->prev = q->tail;
    w->next = NIL;
    if (q->tail != NIL)
        win_at(r, q->tail)->next = idx;
    else
        q->head = idx;
    q->tail = idx;
}

/* Window @p idx was counted in: it is the engine's most recently updated. */
static void touch(struct cw_engine *e, struct rule_rt *r, uint32_t idx)
{
    r->stamp[idx] = e->touch++;
}

/* A distinct set in a window: up to DSET_INLINE hashes in place; beyond, a block of
 * CW_RULE_HLL_REGS bytes allocated for it (exact up to 64 hashes, then a HyperLogLog), so a
 * window of a key with few values stays small. */
#define DSET_INLINE 8
struct dset {
    uint32_t inl[DSET_INLINE];
    uint8_t *ext;
};

/* Distinct set @p slot of window @p w. */
static struct dset *win_dist(const struct rule_rt *r, struct win *w, unsigned slot)
{
    return (struct dset *)(void *)((unsigned char *)w + r->dist_off) + slot;
}

/* Add 32-bit hash @p h to the sketch of 256 registers @p reg. */
static void hll_add(uint8_t *reg, uint32_t h)
{
    uint32_t rest = h >> 8; /* 24 bits: the rank is the position of the first 1 */
    uint8_t rank = rest ? (uint8_t)(__builtin_clz(rest) - 8 + 1) : 25;
    if (rank > reg[h & 0xff])
        reg[h & 0xff] = rank;
}

/* Add the 32-bit hash @p h to distinct set @p d holding @p *n values (HLL: a sketch). Returns
 * 0, or -1 when the set needed its block and none could be had (the value is not counted). */
static int distinct_add(struct cw_engine *e, struct dset *d, uint8_t *n, uint32_t h)
{
    if (*n == HLL) {
        hll_add(d->ext, h);
        return 0;
    }
    const uint32_t *v = *n <= DSET_INLINE ? d->inl : (const uint32_t *)(const void *)d->ext;
    for (unsigned i = 0; i < *n; i++)
        if (v[i] == h)
            return 0;
    if (*n < DSET_INLINE) {
        d->inl[(*n)++] = h;
        return 0;
    }
    if (*n == DSET_INLINE) {
        /* the in-place room is full: the set moves to its block */
        if (bytes_room(e) < CW_RULE_HLL_REGS || !(d->ext = malloc(CW_RULE_HLL_REGS)))
            return -1;
        bytes_add(e, CW_RULE_HLL_REGS);
        memcpy(d->ext, d->inl, sizeof d->inl);
    }
    if (*n < CW_RULE_DISTINCT_EXACT) {
        memcpy(d->ext + (size_t)*n * sizeof h, &h, sizeof h);
        (*n)++;
        return 0;
    }
    /* the exact set is full: the same bytes become 256 registers, fed the hashes it held */
    uint32_t all[CW_RULE_DISTINCT_EXACT];
    memcpy(all, d->ext, sizeof all);
    memset(d->ext, 0, CW_RULE_HLL_REGS);
    *n = HLL;
    for (unsigned i = 0; i < CW_RULE_DISTINCT_EXACT; i++)
        hll_add(d->ext, all[i]);
    hll_add(d->ext, h);
    return 0;
}

/* The number of distinct values: exact, or the HyperLogLog estimate (with linear counting
 * while registers are still empty). */
static double distinct_count(const struct dset *d, uint8_t n)
{
    if (n != HLL)
        return n;
    const double m = CW_RULE_HLL_REGS;
    double sum = 0;
    unsigned zeros = 0;
    for (unsigned j = 0; j < CW_RULE_HLL_REGS; j++) {
        sum += ldexp(1.0, -(int)d->ext[j]);
        zeros += d->ext[j] == 0;
    }
    double est = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
    if (est <= 2.5 * m && zeros)
        est = m * log(m / zeros);
    return est;
}

/* Free the blocks of window @p w's distinct sets. */
static void distinct_free(struct cw_engine *e, const struct rule_rt *r, struct win *w)
{
    for (unsigned i = 0; i < r->rule->ndistinct; i++) {
        struct dset *d = win_dist(r, w, i);
        if (d->ext) {
            free(d->ext);
            d->ext = NULL;
            e->st.state_bytes -= CW_RULE_HLL_REGS;
        }
    }
}

static double operand(const struct win *w, unsigned o)
{
    if (o == CW_RULE_OPND_EVENTS)
        return (double)w->events;
    if (o == CW_RULE_OPND_RECEIVED)
        return (double)w->received;
    return o - CW_RULE_OPND_KIND < CW_EV__COUNT ? (double)w->by_kind[o - CW_RULE_OPND_KIND] : 0;
}

/* The value of threshold @p t's aggregate over window @p w. */
static double agg_value(const struct rule_rt *r, struct win *w, const struct cw_rule_thresh *t)
{
    double span = (double)(w->last_ts - w->first_ts) / 1e6;
    switch (t->agg) {
    case CW_RA_EVENTS: return (double)w->events;
    case CW_RA_RECEIVED: return (double)w->received;
    case CW_RA_DISTINCT: return distinct_count(win_dist(r, w, t->slot), w->dn[t->slot]);
    case CW_RA_RATE: return (double)w->events * 60.0 / (span < 60 ? 60 : span);
    case CW_RA_SPAN: return floor(span);
    case CW_RA_RATIO: {
        double b = operand(w, t->arg2);
        return operand(w, t->arg) / (b < 1 ? 1 : b);
    }
    default: return 0;
    }
}

static int cmp_holds(int op, double v, double n)
{
    switch (op) {
    case CW_RCMP_GT: return v > n;
    case CW_RCMP_GE: return v >= n;
    case CW_RCMP_LT: return v < n;
    case CW_RCMP_LE: return v <= n;
    case CW_RCMP_EQ: return v == n;
    case CW_RCMP_NE: return v != n;
    default: return 0;
    }
}

/* Whether window @p w meets every threshold of its rule. */
static int win_fires(const struct rule_rt *r, struct win *w)
{
    const struct cw_rule *rule = r->rule;
    if (w->events < rule->threshold)
        return 0;
    for (unsigned i = 0; i < rule->nth; i++)
        if (!cmp_holds(rule->th[i].op, agg_value(r, w, &rule->th[i]), rule->th[i].num))
            return 0;
    return 1;
}

/* Report window @p w's alert (@p update: a held window's later counts). */
static void report(struct cw_engine *e, struct rule_rt *r, struct win *w, int update)
{
    const struct cw_rule *rule = r->rule;
    struct cw_alert a;
    memset(&a, 0, sizeof a);
    a.rule = rule->name;
    a.category = rule->category;
    a.severity = cw_rule_severity_names[rule->severity];
    a.description = rule->description;
    a.rule_file = rule->file;
    a.rule_line = rule->line;
    a.window_us = rule->window_us;
    a.sliding = rule->sliding;
    a.threshold = rule->threshold;
    a.suppress_us = rule->suppress_us;
    a.update = update;
    a.received = w->received;
    a.group = cw_rule_group_names[rule->group];
    a.key = w->key;
    a.ts_us = w->last_ts;
    a.card = w->card;
    a.first_ts_us = w->first_ts;
    a.last_ts_us = w->last_ts;
    a.events = w->events;
    memcpy(a.by_kind, w->by_kind, sizeof a.by_kind);
    for (unsigned i = 0; i < rule->nth && i < CW_ALERT_AGGS_MAX; i++) {
        a.aggs[i].name = rule->th[i].name;
        a.aggs[i].threshold = rule->th[i].text;
        a.aggs[i].value = agg_value(r, w, &rule->th[i]);
        a.naggs = i + 1;
    }
    a.nsamples = w->nsamples;
    memcpy(a.samples, w->samples, w->nsamples * sizeof a.samples[0]);
    if (r->mem_off) {
        a.nmembers = w->nmembers;
        memcpy(a.members, (unsigned char *)w + r->mem_off, w->nmembers * sizeof a.members[0]);
    }
    if (r->match_off) {
        a.nmatches = w->nmatches;
        memcpy(a.matches, win_matches(r, w), w->nmatches * sizeof a.matches[0]);
    }
    if (update) {
        e->st.updates++;
    } else {
        r->alerts++;
        e->st.alerts++;
    }
    if (e->sink.alert)
        e->sink.alert(e->sink.user, &a);
}

/* Free window @p idx of rule @p ri's runtime @p r. */
static struct win *sibling(const struct cw_engine *e, const struct rule_rt *r, const struct win *w);

static void free_window(struct cw_engine *e, struct rule_rt *r, uint32_t idx)
{
    struct win *w = win_at(r, idx);
    struct win *s = sibling(e, r, w);
    if (s)
        s->sib = 0;
    distinct_free(e, r, w);
    fifo_unlink(e, r, idx);
    table_remove(r, idx, w->hash);
    r->stamp[idx] = UINT64_MAX;
    r->live--;
    e->st.keys--;
    pool_put(r, idx);
}

static uint32_t table_find(const struct cw_engine *e, const struct rule_rt *r, uint64_t h,
                           const char *key, size_t len, unsigned phase);

/* The key's window of the other phase when it is open (sliding rules), else NULL. Its hash is
 * this one's with the phase salt flipped. */
static struct win *sibling(const struct cw_engine *e, const struct rule_rt *r, const struct win *w)
{
    if (!w->sib)
        return NULL;
    size_t len = strnlen(w->key, sizeof w->key);
    uint32_t j = table_find(e, r, w->hash ^ PHASE_SALT, w->key, len, w->phase ^ 1u);
    return r->slots[j].idx1 ? win_at(r, r->slots[j].idx1 - 1) : NULL;
}

/* A sliding rule's window @p w reports: the key's other open window, if any, overlaps it and
 * will report an update rather than a second alert for the same activity. */
static void mark_sibling(struct cw_engine *e, struct rule_rt *r, const struct win *w)
{
    struct win *s = sibling(e, r, w);
    if (s)
        s->after_alert = 1;
}

/* Window @p idx of rule @p ri has ended (deadline passed, evicted, end of input): report its
 * alert when it meets the thresholds and free it. With @p may_hold, a window that alerts and
 * whose rule suppresses for longer than the window is held instead, counting on until the
 * period ends; a held window reports once more then, when it counted more (an update). */
static void close_window(struct cw_engine *e, size_t ri, uint32_t idx, int may_hold)
{
    struct rule_rt *r = &e->rt[ri];
    struct win *w = win_at(r, idx);
    const struct cw_rule *rule = r->rule;
    if (w->held) {
        if (w->events > w->fired_events)
            report(e, r, w, 1);
        free_window(e, r, idx);
        return;
    }
    if (!win_fires(r, w)) {
        free_window(e, r, idx);
        return;
    }
    if (rule->sliding)
        mark_sibling(e, r, w);
    if (w->after_alert) {
        /* the key's overlapping window alerted already: these counts update that alert */
        report(e, r, w, 1);
        free_window(e, r, idx);
        return;
    }
    report(e, r, w, 0);
    uint64_t until =
        w->first_ts > UINT64_MAX - rule->suppress_us ? UINT64_MAX : w->first_ts + rule->suppress_us;
    if (may_hold && until > w->deadline) {
        /* held windows end in the order they opened, as the open ones do: both FIFOs stay
         * sorted by deadline */
        fifo_unlink(e, r, idx);
        w->held = 1;
        w->fired_events = w->events;
        w->deadline = until;
        fifo_append(e, r, idx);
        return;
    }
    free_window(e, r, idx);
}

/* Rule @p ri's stalest window, or NIL when it has none: exact over a small pool; in a large one
 * the stalest of EVICT_SAMPLE live windows drawn at random (as Redis approximates LRU), so no
 * list has to be kept in update order. The draws come from the engine's own generator with a
 * fixed seed: a run evicts the same windows every time. */
#define EVICT_SAMPLE 16
#define EVICT_EXACT 256

static uint32_t stalest(struct cw_engine *e, struct rule_rt *r)
{
    uint32_t best = NIL;
    uint64_t bt = UINT64_MAX;
    if (!r->live)
        return NIL;
    if (r->pool_used <= EVICT_EXACT) {
        for (uint32_t i = 0; i < r->pool_used; i++)
            if (r->stamp[i] < bt) {
                bt = r->stamp[i];
                best = i;
            }
        return best;
    }
    unsigned found = 0;
    for (unsigned draw = 0; draw < 8 * EVICT_SAMPLE && found < EVICT_SAMPLE; draw++) {
        e->rng ^= e->rng << 13; /* xorshift64 */
        e->rng ^= e->rng >> 7;
        e->rng ^= e->rng << 17;
        uint32_t i = (uint32_t)(e->rng % r->pool_used);
        if (r->stamp[i] == UINT64_MAX)
            continue;
        found++;
        if (r->stamp[i] < bt) {
            bt = r->stamp[i];
            best = i;
        }
    }
    for (uint32_t i = 0; best == NIL && i < r->pool_used; i++) /* a pool mostly free */
        if (r->stamp[i] != UINT64_MAX)
            best = i;
    return best;
}

/* Evict rule @p ri's stalest window (the least recently counted in, as stalest() finds it):
 * closed early, its alert reported when it meets the thresholds. Returns 0, or -1 when the
 * rule has none. */
static int evict_stalest(struct cw_engine *e, size_t ri)
{
    struct rule_rt *r = &e->rt[ri];
    uint32_t idx = stalest(e, r);
    if (idx == NIL)
        return -1;
    e->st.evicted++;
    struct win *w = win_at(r, idx);
    if (!w->held && win_fires(r, w))
        e->st.evicted_alerted++;
    close_window(e, ri, idx, 0);
    return 0;
}

static void update_next_deadline(struct cw_engine *e)
{
    uint64_t d = UINT64_MAX;
    for (size_t i = 0; i < e->nrules; i++)
        for (int h = 0; h < 2; h++)
            if (e->rt[i].q[h].head != NIL) {
                uint64_t hd = win_at(&e->rt[i], e->rt[i].q[h].head)->deadline;
                if (hd < d)
                    d = hd;
            }
    e->next_deadline = d;
}

/* Close the windows whose deadline packet time has reached, earliest deadline first (ties: the
 * one opened first); with @p all, close every window in the order they opened. With @p only
 * not SIZE_MAX, consider that rule's windows alone. */
static void close_due_in(struct cw_engine *e, int all, size_t only)
{
    for (;;) {
        size_t best = SIZE_MAX;
        uint32_t bidx = NIL;
        const struct win *bw = NULL;
        for (size_t i = 0; i < e->nrules; i++) {
            const struct rule_rt *r = &e->rt[i];
            if (only != SIZE_MAX && i != only)
                continue;
            for (int h = 0; h < 2; h++) {
                if (r->q[h].head == NIL)
                    continue;
                const struct win *w = win_at(r, r->q[h].head);
                if (!all && w->deadline > e->now)
                    continue;
                if (!bw || (all ? w->seq < bw->seq
                                : (w->deadline < bw->deadline ||
                                   (w->deadline == bw->deadline && w->seq < bw->seq)))) {
                    bw = w;
                    best = i;
                    bidx = r->q[h].head;
                }
            }
        }
        if (!bw)
            break;
        close_window(e, best, bidx, !all);
    }
    update_next_deadline(e);
}

static void close_due(struct cw_engine *e, int all)
{
    close_due_in(e, all, SIZE_MAX);
}

/* ---- matching ---- */

static int bit_in(const uint64_t set[2], unsigned v)
{
    return v < 128 && ((set[v >> 6] >> (v & 63)) & 1u);
}

/* A 2-digit province code's bit, or 1000 (no bit: matches no province). */
static unsigned province_value(const char p[3])
{
    if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] == '\0')
        return (unsigned)(p[0] - '0') * 10u + (unsigned)(p[1] - '0');
    return 1000;
}

/* The province of the current event's cell ("" when unknown), looked up once per event. */
static const char *cell_province(struct cw_engine *e, const struct cw_event *ev)
{
    if (e->located_event != e->epoch) {
        e->located_event = e->epoch;
        char cell[CW_CELL_MAX];
        size_t n = strnlen(ev->cell, sizeof ev->cell - 1);
        memcpy(cell, ev->cell, n);
        cell[n] = '\0';
        e->cell_province[0] = '\0';
        if (n && e->locate && e->locate(e->locate_user, cell, e->cell_province) != 1)
            e->cell_province[0] = '\0';
        e->cell_province[2] = '\0';
    }
    return e->cell_province;
}

/* The card's home region: its number range's province, else its registration province. */
static const char *home_region(const struct cw_card *c)
{
    return c->range_province[0] ? c->range_province : c->province;
}

static int same_province(const char *a, const char *b)
{
    return a[0] && a[0] == b[0] && a[1] == b[1];
}

/* Whether string condition @p k holds: the field's value is one of its strings, XOR negate. */
static int string_holds(const struct cw_rule_cond *k, const struct cw_card *c)
{
    const char *v = c->outlet; /* the only string field */
    size_t vlen = strnlen(v, sizeof c->outlet);
    int in = 0;
    for (uint32_t off = 0; off < k->strs_len && !in;) {
        size_t n = strlen(k->strs + off);
        in = n == vlen && memcmp(k->strs + off, v, n) == 0;
        off += (uint32_t)n + 1;
    }
    return in != k->negate;
}

/* Whether age condition @p k holds at packet time @p now; never for an unknown time. */
static int age_holds(const struct cw_rule_cond *k, const struct cw_card *c, uint64_t now_us)
{
    if (c->registered_at <= 0)
        return 0;
    int64_t now = (int64_t)(now_us / 1000000u);
    double age = (double)(now - c->registered_at);
    return cmp_holds(k->op, age, (double)k->age_s);
}

static unsigned field_value(struct cw_engine *e, int field, const struct cw_event *ev,
                            const struct cw_card *c)
{
    switch (field) {
    case CW_RF_KIND: return ev->kind;
    case CW_RF_PROTO: return ev->proto;
    case CW_RF_CARD_STATUS: return c->status;
    case CW_RF_CARD_PROVINCE: return province_value(c->province);
    case CW_RF_CARD_HOME: return c->home != 0;
    case CW_RF_CARD_REGISTERED: return c->registered != 0;
    case CW_RF_CARD_VERIFIED: return c->verified != 0;
    case CW_RF_CARD_HAS_ID: return c->has_id != 0;
    case CW_RF_CARD_ID_VALID: return c->has_id && c->id_valid;
    case CW_RF_EVENT_HAS_TEXT: return ev->text.len > 0;
    case CW_RF_EVENT_HAS_IMEI: return ev->imei[0] != '\0';
    case CW_RF_EVENT_HAS_CELL: return ev->cell[0] != '\0';
    case CW_RF_DIRECTION: return ev->kind == CW_EV_SMS_MT || ev->kind == CW_EV_LOOKUP;
    case CW_RF_CARD_RANGE_PROVINCE: return province_value(c->range_province);
    case CW_RF_PERSON_PROVINCE: return c->has_id ? province_value(c->id_province) : 1000;
    case CW_RF_CELL_PROVINCE: return province_value(cell_province(e, ev));
    case CW_RF_CELL_LOCATED: return cell_province(e, ev)[0] != '\0';
    case CW_RF_CELL_IN_HOME_REGION: return same_province(cell_province(e, ev), home_region(c));
    case CW_RF_CELL_IN_ID_REGION:
        return c->has_id && same_province(cell_province(e, ev), c->id_province);
    case CW_RF_PERSON_IN_HOME_REGION:
        return c->has_id && same_province(c->id_province, home_region(c));
    default: return 1000;
    }
}

/* A count field's value: 0 for a card whose record names no ID number. */
static uint32_t count_value(int field, const struct cw_card *c)
{
    if (!c->has_id)
        return 0;
    switch (field) {
    case CW_RF_PERSON_CARDS_IN_PROVINCE: return c->person_cards_province;
    case CW_RF_PERSON_CARDS_TOTAL: return c->person_cards_total;
    default: return 0;
    }
}

static int count_holds(const struct cw_rule_cond *k, uint32_t v)
{
    switch (k->op) {
    case CW_RCMP_GT: return v > k->num;
    case CW_RCMP_GE: return v >= k->num;
    case CW_RCMP_LT: return v < k->num;
    case CW_RCMP_LE: return v <= k->num;
    case CW_RCMP_EQ: return v == k->num;
    case CW_RCMP_NE: return v != k->num;
    default: return 0;
    }
}

/* The event's number a prefix condition tests. */
static const char *cond_number(int field, const struct cw_event *ev, size_t *len)
{
    if (field == CW_RF_IMEI) {
        *len = strnlen(ev->imei, sizeof ev->imei);
        return ev->imei;
    }
    const char *s = field == CW_RF_CALLED ? ev->called : ev->calling;
    *len = strnlen(s, CW_NUM_MAX);
    return s;
}

/* The current event's scan of list @p li: done on first use, then cached for the event. */
static const struct list_scan *scan_list(struct cw_engine *e, unsigned li,
                                         const struct cw_event *ev)
{
    struct list_scan *sc = &e->scans[li];
    if (sc->event != e->epoch) {
        sc->event = e->epoch;
        sc->n = ev->text.len ? cw_content_match(e->rs->lists[li].cl, e->scratch, ev->text.p,
                                                ev->text.len, sc->m, CW_ALERT_MATCHES_MAX)
                             : 0;
    }
    return sc;
}

/* Whether the event's text (number) matches any of the condition's lists. */
static int content_holds(struct cw_engine *e, const struct cw_rule_cond *k,
                         const struct cw_event *ev)
{
    for (unsigned i = 0; i < k->nlists; i++) {
        if (cw_rule_field_types[k->field] == CW_RFT_NUMBER) {
            size_t len;
            const char *num = cond_number(k->field, ev, &len);
            if (cw_content_prefix(e->rs->lists[k->lists[i]].cl, num, len) != 0)
                return 1;
        } else if (scan_list(e, k->lists[i], ev)->n > 0) {
            return 1;
        }
    }
    return 0;
}

static int rule_matches(struct cw_engine *e, const struct cw_rule *rule, const struct cw_event *ev,
                        const struct cw_card *c)
{
    unsigned i = 0;
    for (; i < rule->ncheap; i++) {
        const struct cw_rule_cond *k = &rule->conds[i];
        int ft = cw_rule_field_types[k->field];
        if (ft == CW_RFT_AGE) {
            if (!age_holds(k, c, ev->ts_us))
                return 0;
        } else if (ft == CW_RFT_STRING) {
            if (!string_holds(k, c))
                return 0;
        } else if (k->op != CW_RCMP_NONE) {
            if (!count_holds(k, count_value(k->field, c)))
                return 0;
        } else if (bit_in(k->set, field_value(e, k->field, ev, c)) == (int)k->negate) {
            return 0;
        }
    }
    for (; i < rule->nconds; i++)
        if (content_holds(e, &rule->conds[i], ev) == (int)rule->conds[i].negate)
            return 0;
    return 1;
}

/* Keep pattern @p line of list @p li as evidence in @p w unless it is there or w is full. */
static void keep_match(struct rule_rt *r, struct win *w, const struct cw_rule_list *l,
                       unsigned line, const char *text, size_t len)
{
    struct cw_alert_match *m = win_matches(r, w);
    if (w->nmatches >= CW_ALERT_MATCHES_MAX)
        return;
    for (unsigned i = 0; i < w->nmatches; i++)
        if (m[i].list == l->name && m[i].line == line)
            return;
    const char *pat = cw_content_pattern(l->cl, line);
    struct cw_alert_match *nm = &m[w->nmatches++];
    nm->list = l->name;
    nm->pattern = pat ? pat : "";
    nm->line = line;
    if (len > CW_ALERT_MATCH_TEXT_MAX) {
        len = CW_ALERT_MATCH_TEXT_MAX;
        while (len && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--; /* cut before a UTF-8 continuation byte */
    }
    memcpy(nm->text, text, len);
    nm->text[len] = '\0';
    nm->text_len = (unsigned)len;
}

/* The evidence of the rule's content conditions for this event (they all held). */
static void keep_matches(struct cw_engine *e, struct rule_rt *r, struct win *w,
                         const struct cw_event *ev)
{
    const struct cw_rule *rule = r->rule;
    for (unsigned i = rule->ncheap; i < rule->nconds; i++) {
        const struct cw_rule_cond *k = &rule->conds[i];
        if (k->negate)
            continue;
        for (unsigned li = 0; li < k->nlists; li++) {
            const struct cw_rule_list *l = &e->rs->lists[k->lists[li]];
            if (cw_rule_field_types[k->field] == CW_RFT_NUMBER) {
                size_t len;
                const char *num = cond_number(k->field, ev, &len);
                unsigned line = cw_content_prefix(l->cl, num, len);
                if (line)
                    keep_match(r, w, l, line, num, len);
                continue;
            }
            const struct list_scan *sc = scan_list(e, k->lists[li], ev);
            for (int j = 0; j < sc->n; j++) {
                size_t from = sc->m[j].from, to = sc->m[j].to;
                if (to > ev->text.len || from > to)
                    continue;
                keep_match(r, w, l, sc->m[j].line, (const char *)ev->text.p + from, to - from);
            }
        }
    }
}

/* The rule's key for this event (bounded copy: event fields are untrusted); its length. */
static size_t group_key(int group, const struct cw_event *ev, const struct cw_card *c,
                        char key[CW_RULE_KEY_MAX])
{
    const char *s;
    size_t max;
    switch (group) {
    case CW_RG_CARD:
        if (c->msisdn[0]) {
            s = c->msisdn;
            max = sizeof c->msisdn;
        } else {
            s = ev->calling;
            max = sizeof ev->calling;
        }
        break;
    case CW_RG_CALLING:
        s = ev->calling;
        max = sizeof ev->calling;
        break;
    case CW_RG_CALLED:
        s = ev->called;
        max = sizeof ev->called;
        break;
    case CW_RG_IMSI:
        if (c->imsi[0]) {
            s = c->imsi;
            max = sizeof c->imsi;
        } else {
            s = ev->imsi;
            max = sizeof ev->imsi;
        }
        break;
    case CW_RG_IMEI:
        s = ev->imei;
        max = sizeof ev->imei;
        break;
    case CW_RG_CELL:
        s = ev->cell;
        max = sizeof ev->cell;
        break;
    case CW_RG_OUTLET:
        s = c->outlet;
        max = sizeof c->outlet;
        break;
    case CW_RG_ID:
        if (!c->has_id)
            return 0;
        cw_hex_lower(c->id_pseudo, CW_PSEUDO_LEN, key);
        return 2 * CW_PSEUDO_LEN;
    case CW_RG_PAIR: {
        size_t a = strnlen(ev->calling, sizeof ev->calling),
               b = strnlen(ev->called, sizeof ev->called);
        if (!a || !b || a + 1 + b >= CW_RULE_KEY_MAX)
            return 0;
        memcpy(key, ev->calling, a);
        key[a] = '>';
        memcpy(key + a + 1, ev->called, b);
        key[a + 1 + b] = '\0';
        return a + 1 + b;
    }
    default: return 0;
    }
    size_t len = strnlen(s, max);
    if (len >= CW_RULE_KEY_MAX)
        len = CW_RULE_KEY_MAX - 1;
    memcpy(key, s, len);
    key[len] = '\0';
    return len;
}

/* The value distinct field @p f takes for this event (bounded: event fields are untrusted);
 * its length, 0 when absent. */
static size_t distinct_field(int f, const struct cw_event *ev, const struct cw_card *c,
                             const char **out)
{
    const char *s;
    size_t max;
    switch (f) {
    case CW_RD_CALLED: s = ev->called, max = sizeof ev->called; break;
    case CW_RD_CALLING: s = ev->calling, max = sizeof ev->calling; break;
    case CW_RD_CARD:
        if (c->msisdn[0])
            s = c->msisdn, max = sizeof c->msisdn;
        else
            s = ev->calling, max = sizeof ev->calling;
        break;
    case CW_RD_IMSI:
        if (c->imsi[0])
            s = c->imsi, max = sizeof c->imsi;
        else
            s = ev->imsi, max = sizeof ev->imsi;
        break;
    case CW_RD_IMEI: s = ev->imei, max = sizeof ev->imei; break;
    case CW_RD_CELL: s = ev->cell, max = sizeof ev->cell; break;
    case CW_RD_OUTLET: s = c->outlet, max = sizeof c->outlet; break;
    default: return 0;
    }
    *out = s;
    return strnlen(s, max);
}

/* Keep the event's card among the window's members unless it is there or the list is full. */
static void keep_member(const struct rule_rt *r, struct win *w, const struct cw_event *ev,
                        const struct cw_card *c)
{
    char(*m)[16] = (char(*)[16])(void *)((unsigned char *)w + r->mem_off);
    const char *s = c->msisdn[0] ? c->msisdn : ev->calling;
    size_t n = strnlen(s, c->msisdn[0] ? sizeof c->msisdn : sizeof ev->calling);
    if (!n || n >= sizeof m[0] || w->nmembers >= CW_ALERT_MEMBERS_MAX)
        return;
    for (unsigned i = 0; i < w->nmembers; i++)
        if (strncmp(m[i], s, sizeof m[0]) == 0 && m[i][n] == '\0')
            return;
    memcpy(m[w->nmembers], s, n);
    m[w->nmembers][n] = '\0';
    w->nmembers++;
}

static void count_distinct(struct cw_engine *e, struct rule_rt *r, struct win *w,
                           const struct cw_event *ev, const struct cw_card *c)
{
    const struct cw_rule *rule = r->rule;
    for (unsigned i = 0; i < rule->nth; i++) {
        const struct cw_rule_thresh *t = &rule->th[i];
        if (t->agg != CW_RA_DISTINCT)
            continue;
        const char *v;
        size_t len = distinct_field(t->arg, ev, c, &v);
        if (!len)
            continue;
        if (distinct_add(e, win_dist(r, w, t->slot), &w->dn[t->slot], value_hash(v, len)))
            e->st.dropped++;
    }
}

static void count_event(struct cw_engine *e, struct rule_rt *r, struct win *w,
                        const struct cw_event *ev, const struct cw_card *c)
{
    const struct cw_rule *rule = r->rule;
    if (r->match_off)
        keep_matches(e, r, w, ev);
    if (rule->ndistinct)
        count_distinct(e, r, w, ev, c);
    if (r->mem_off)
        keep_member(r, w, ev, c);
    w->events++;
    if (ev->kind < CW_EV__COUNT)
        w->by_kind[ev->kind]++;
    if (ev->ts_us > w->last_ts)
        w->last_ts = ev->ts_us;
    if (w->nsamples < rule->samples) {
        struct cw_alert_sample *s = &w->samples[w->nsamples++];
        s->ts_us = ev->ts_us;
        s->frame = ev->frame;
        s->file_idx = ev->file_idx;
        s->kind = ev->kind;
        s->proto = ev->proto;
        size_t n = strnlen(ev->calling, sizeof ev->calling - 1);
        memcpy(s->calling, ev->calling, n);
        s->calling[n] = '\0';
        n = strnlen(ev->called, sizeof ev->called - 1);
        memcpy(s->called, ev->called, n);
        s->called[n] = '\0';
        n = strnlen(ev->imei, sizeof ev->imei - 1);
        memcpy(s->imei, ev->imei, n);
        s->imei[n] = '\0';
        n = strnlen(ev->cell, sizeof ev->cell - 1);
        memcpy(s->cell, ev->cell, n);
        s->cell[n] = '\0';
    }
}

unsigned cw_engine_shard_of(const char *key, size_t len, unsigned nshards)
{
    /* FNV-1a, then a multiply-shift mix: fixed, so every thread and run agrees */
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 0x100000001b3ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return nshards > 1 ? (unsigned)(h % nshards) : 0;
}

/* Whether this engine keeps the windows of @p key (always, unless sharded). */
static int owns(const struct cw_engine *e, const char *key, size_t len)
{
    return e->nshards <= 1 || cw_engine_shard_of(key, len, e->nshards) == e->shard;
}

/* Count the event in rule @p ri's window for @p key, opening one when there is none. */
static void apply(struct cw_engine *e, size_t ri, const struct cw_event *ev,
                  const struct cw_card *c, const char *key, size_t len, uint64_t h0)
{
    struct rule_rt *r = &e->rt[ri];
    const struct cw_rule *rule = r->rule;
    /* count the event in the key's open windows (two at most, for a sliding rule) */
    unsigned nphase = rule->sliding ? 2 : 1, phase = UINT32_MAX;
    uint64_t newest = 0;
    int counted = 0;
    for (unsigned ph = 0; ph < nphase; ph++) {
        uint64_t h = phase_hash(h0, ph);
        struct win *w = NULL;
        uint32_t idx = NIL;
        for (int tries = 0; r->table_cap && tries < 2; tries++) {
            uint32_t j = table_find(e, r, h, key, len, ph);
            if (!r->slots[j].idx1)
                break;
            idx = r->slots[j].idx1 - 1;
            if (win_at(r, idx)->deadline > e->now) {
                w = win_at(r, idx);
                break;
            }
            /* due, but behind an older window in the FIFO (packet time went backwards); it
             * may be held now, and then counts this event */
            close_window(e, ri, idx, 1);
            update_next_deadline(e);
        }
        if (!w) {
            if (phase == UINT32_MAX)
                phase = ph;
            continue;
        }
        touch(e, r, idx);
        count_event(e, r, w, ev, c);
        if (!counted || w->first_ts > newest)
            newest = w->first_ts;
        counted = 1;
        if (ph == 0 && !w->sib) {
            phase = 1; /* the key has no window of phase 1: no need to look */
            break;
        }
    }
    /* a new window: when the key has none; for a sliding rule also when its newest opened
     * half a window or more before this event (and a phase is free) */
    if (counted &&
        (!rule->sliding || phase == UINT32_MAX || ev->ts_us < newest + rule->window_us / 2))
        return;
    uint64_t h = phase_hash(h0, phase);
    uint32_t idx;
    for (;;) {
        int rc;
        if ((uint64_t)(r->live + 1u) * 2u > r->table_cap) {
            rc = table_grow(e, r);
            /* only this rule's keys need the larger table: make room in it instead */
            if (rc == OVER_CAP && evict_stalest(e, ri) == 0)
                continue;
            if (rc != 0) {
                e->st.dropped++;
                return;
            }
        }
        rc = pool_take(e, r, &idx);
        if (rc == 0)
            break;
        /* the pool cannot grow: reuse the state of this rule's stalest window */
        if (rc == OVER_CAP && evict_stalest(e, ri) == 0)
            continue;
        e->st.dropped++;
        return;
    }
    uint32_t j = table_find(e, r, h, key, len, phase); /* evictions may have moved slots */
    struct win *w = win_at(r, idx);
    memset(w, 0, sizeof *w);
    w->phase = (uint8_t)phase;
    if (counted) {
        /* the key's other window (still there unless evicted to make room) */
        uint32_t k = table_find(e, r, h ^ PHASE_SALT, key, len, phase ^ 1u);
        if (r->slots[k].idx1) {
            win_at(r, r->slots[k].idx1 - 1)->sib = 1;
            w->sib = 1;
        }
    }
    memset((unsigned char *)w + r->dist_off, 0, r->rule->ndistinct * sizeof(struct dset));
    w->hash = h;
    w->seq = e->seq++;
    w->first_ts = w->last_ts = ev->ts_us;
    w->deadline =
        ev->ts_us > UINT64_MAX - r->rule->window_us ? UINT64_MAX : ev->ts_us + r->rule->window_us;
    memcpy(w->key, key, len + 1);
    w->card = *c;
    r->slots[j].hash = h;
    r->slots[j].idx1 = idx + 1;
    r->live++;
    fifo_append(e, r, idx);
    touch(e, r, idx);
    if (++e->st.keys > e->st.keys_peak)
        e->st.keys_peak = e->st.keys;
    if (w->deadline < e->next_deadline)
        e->next_deadline = w->deadline;
    count_event(e, r, w, ev, c);
}

/* The event is addressed to ev->called: count it as received in the open window of that number
 * of each rule that counts 'received' and this kind. Opens no window, looks nothing up. */
/* The number an event is addressed to, as the windows of 'received' rules are keyed; its
 * length, 0 when the event counts for no such rule. */
static size_t received_key(const struct cw_engine *e, const struct cw_event *ev,
                           char key[CW_NUM_MAX])
{
    if (!e->nrecv || !ev->called[0] || ev->kind >= CW_EV__COUNT ||
        (ev->flags & CW_EVF_CALLED_ALNUM) || !(e->recv_kinds >> ev->kind & 1))
        return 0;
    if (e->cc[0]) {
        char in[CW_NUM_MAX + 1];
        size_t plus = (ev->flags & CW_EVF_CALLED_INTL) != 0;
        size_t n = strnlen(ev->called, sizeof ev->called - 1);
        in[0] = '+';
        memcpy(in + plus, ev->called, n);
        in[plus + n] = '\0';
        if (cw_msisdn_normalize(in, e->cc, key) != 0)
            return 0;
    } else {
        size_t n = strnlen(ev->called, sizeof ev->called - 1);
        memcpy(key, ev->called, n);
        key[n] = '\0';
    }
    return strlen(key);
}

static void count_received(struct cw_engine *e, const struct cw_event *ev)
{
    char key[CW_NUM_MAX];
    size_t len = received_key(e, ev, key);
    if (!len || !owns(e, key, len))
        return;
    uint64_t h = key_hash(e, key, len);
    for (size_t i = 0; i < e->nrules; i++) {
        struct rule_rt *r = &e->rt[i];
        if (!r->rule->uses_received || !(r->rule->recv_kinds >> ev->kind & 1) || !r->table_cap)
            continue;
        for (unsigned ph = 0; ph < (r->rule->sliding ? 2u : 1u); ph++) {
            uint32_t j = table_find(e, r, phase_hash(h, ph), key, len, ph);
            if (!r->slots[j].idx1)
                continue;
            struct win *w = win_at(r, r->slots[j].idx1 - 1);
            if (w->deadline > e->now)
                w->received++;
        }
    }
}

/* ---- API ---- */

static void seed(struct cw_engine *e)
{
    uint64_t k[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    if (getentropy(k, sizeof k) != 0) {
        /* a fixed key still works; only collision resistance is lost */
    }
    e->k0 = k[0];
    e->k1 = k[1];
}

/* An empty runtime for @p rule. */
static void rt_init(struct rule_rt *r, const struct cw_rule *rule)
{
    memset(r, 0, sizeof *r);
    r->rule = rule;
    r->size = sizeof(struct win) + rule->samples * sizeof(struct cw_alert_sample);
    if (rule->ncheap < rule->nconds) {
        r->match_off = r->size;
        r->size += CW_ALERT_MATCHES_MAX * sizeof(struct cw_alert_match);
    }
    r->size = (r->size + 7) & ~(size_t)7;
    r->dist_off = r->size;
    r->size += (size_t)rule->ndistinct * sizeof(struct dset);
    if (rule->group != CW_RG_CARD && rule->group != CW_RG_CALLING && rule->group != CW_RG_IMSI) {
        r->mem_off = r->size;
        r->size += CW_ALERT_MEMBERS_MAX * sizeof(((struct cw_alert *)0)->members[0]);
    }
    r->stride = (r->size + 7) & ~(size_t)7;
    r->free_head = NIL;
    r->q[0].head = r->q[0].tail = r->q[1].head = r->q[1].tail = NIL;
}

/* Free rule runtime @p r's pool and table (its windows closed), and their bytes. */
static void rt_release(struct cw_engine *e, struct rule_rt *r)
{
    for (int h = 0; h < 2; h++)
        for (uint32_t i = r->q[h].head; i != NIL; i = win_at(r, i)->next)
            distinct_free(e, r, win_at(r, i));
    size_t pool = (size_t)r->pool_cap * (r->stride + sizeof *r->stamp);
    e->st.state_bytes -= (uint64_t)r->table_cap * sizeof(struct slot) + pool;
    e->pool_bytes -= pool;
    free(r->slots);
    free(r->pool);
    free(r->stamp);
    r->slots = NULL;
    r->pool = NULL;
    r->stamp = NULL;
    r->table_cap = r->pool_cap = r->pool_used = 0;
    r->free_head = NIL;
}

/* Per-list scan cache and the scratch for @p rs's content lists. */
static int content_new(const struct cw_ruleset *rs, struct list_scan **scans,
                       struct cw_content_scratch **scratch)
{
    *scans = NULL;
    *scratch = NULL;
    if (!rs->nlists)
        return 0;
    if (!(*scans = calloc(rs->nlists, sizeof **scans)))
        return CW_ENOMEM;
    for (size_t i = 0; i < rs->nlists; i++)
        if (cw_content_scratch_add(rs->lists[i].cl, scratch) != 0) {
            free(*scans);
            *scans = NULL;
            cw_content_scratch_free(*scratch);
            *scratch = NULL;
            return CW_ENOMEM;
        }
    return 0;
}

int cw_engine_new(const struct cw_ruleset *rs, const struct cw_alert_sink *sink,
                  struct cw_engine **out)
{
    *out = NULL;
    if (!rs)
        return CW_EINVAL;
    struct cw_engine *e = calloc(1, sizeof *e);
    if (!e)
        return CW_ENOMEM;
    e->rs = rs;
    if (sink)
        e->sink = *sink;
    e->nrules = rs->n;
    e->rt = calloc(rs->n ? rs->n : 1, sizeof *e->rt);
    if (!e->rt) {
        free(e);
        return CW_ENOMEM;
    }
    for (size_t i = 0; i < rs->n; i++) {
        rt_init(&e->rt[i], &rs->rules[i]);
        e->nrecv += rs->rules[i].uses_received;
        if (rs->rules[i].uses_received)
            e->recv_kinds |= rs->rules[i].recv_kinds;
    }
    e->limit = CW_ENGINE_LIMIT_DEFAULT;
    e->st.state_limit = e->limit;
    if (content_new(rs, &e->scans, &e->scratch) != 0) {
        cw_engine_free(e);
        return CW_ENOMEM;
    }
    e->next_deadline = UINT64_MAX;
    e->rng = 0x2545f4914f6cdd1dull;
    seed(e);
    *out = e;
    return 0;
}

void cw_engine_set_country(struct cw_engine *e, const char *cc)
{
    snprintf(e->cc, sizeof e->cc, "%s", cc ? cc : "");
}

void cw_engine_set_locator(struct cw_engine *e,
                           int (*fn)(void *user, const char *cell, char province[3]), void *user)
{
    e->locate = fn;
    e->locate_user = user;
    e->located_event = 0;
}

void cw_engine_set_limit(struct cw_engine *e, size_t bytes)
{
    e->limit = bytes ? bytes : SIZE_MAX;
    e->st.state_limit = bytes;
}

void cw_engine_free(struct cw_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nrules; i++)
        rt_release(e, &e->rt[i]);
    free(e->rt);
    free(e->scans);
    cw_content_scratch_free(e->scratch);
    free(e);
}

/* The rules an event counts for, gathered so that the first probe of each rule's key table is
 * asked of memory before any is used: the tables are large and cold, and the probes of
 * different rules do not depend on each other, so their cache misses overlap. */
#define BATCH 16
struct pending {
    size_t ri, len;
    uint64_t h0;
    char key[CW_RULE_KEY_MAX];
};
struct batch {
    unsigned n;
    struct pending p[BATCH];
};

static void batch_apply(struct cw_engine *e, struct batch *b, const struct cw_event *ev,
                        const struct cw_card *c)
{
    for (unsigned k = 0; k < b->n; k++)
        apply(e, b->p[k].ri, ev, c, b->p[k].key, b->p[k].len, b->p[k].h0);
    b->n = 0;
}

/* b->p[b->n] has its key: hash it, prefetch its slot, and apply the batch when full. */
static void batch_add(struct cw_engine *e, struct batch *b, size_t ri, const struct cw_event *ev,
                      const struct cw_card *c)
{
    struct pending *p = &b->p[b->n++];
    const struct rule_rt *r = &e->rt[ri];
    p->ri = ri;
    p->h0 = key_hash(e, p->key, p->len);
    if (r->table_cap)
        __builtin_prefetch(&r->slots[(uint32_t)p->h0 & (r->table_cap - 1)]);
    if (b->n == BATCH)
        batch_apply(e, b, ev, c);
}

/* A new event: packet time moves on, and the windows it has passed are closed first. */
static void event_start(struct cw_engine *e, const struct cw_event *ev)
{
    e->st.events++;
    e->epoch++;
    if (ev->ts_us > e->now)
        e->now = ev->ts_us;
    if (e->now >= e->next_deadline)
        close_due(e, 0);
}

void cw_engine_event(struct cw_engine *e, const struct cw_event *ev, const struct cw_card *card)
{
    const struct cw_card *c = card ? card : &zero_card;
    event_start(e, ev);
    struct batch b;
    b.n = 0;
    int matched = 0;
    for (size_t i = 0; i < e->nrules; i++) {
        const struct cw_rule *rule = e->rt[i].rule;
        if (!rule_matches(e, rule, ev, c))
            continue;
        struct pending *p = &b.p[b.n];
        p->len = group_key(rule->group, ev, c, p->key);
        if (p->len == 0 || !owns(e, p->key, p->len))
            continue;
        matched = 1;
        batch_add(e, &b, i, ev, c);
    }
    batch_apply(e, &b, ev, c);
    if (matched)
        e->st.matched++;
    count_received(e, ev);
}

void cw_engine_set_shard(struct cw_engine *e, unsigned shard, unsigned nshards)
{
    e->shard = shard;
    e->nshards = nshards;
}

uint64_t cw_engine_route(struct cw_engine *e, const struct cw_event *ev, const struct cw_card *card,
                         unsigned nshards, struct cw_route *per_shard)
{
    const struct cw_card *c = card ? card : &zero_card;
    uint64_t to = 0;
    e->epoch++;
    if (nshards > CW_ROUTE_SHARDS_MAX || e->nrules > CW_ROUTE_RULES_MAX)
        return 0;
    for (size_t i = 0; i < e->nrules; i++) {
        const struct cw_rule *rule = e->rt[i].rule;
        if (!rule_matches(e, rule, ev, c))
            continue;
        char key[CW_RULE_KEY_MAX];
        size_t len = group_key(rule->group, ev, c, key);
        if (len == 0)
            continue;
        unsigned s = cw_engine_shard_of(key, len, nshards);
        if (!(to >> s & 1)) {
            memset(&per_shard[s], 0, sizeof per_shard[s]);
            to |= 1ull << s;
        }
        per_shard[s].rules[i / 64] |= 1ull << (i % 64);
    }
    char key[CW_NUM_MAX];
    size_t len = received_key(e, ev, key);
    if (len) {
        unsigned s = cw_engine_shard_of(key, len, nshards);
        if (!(to >> s & 1)) {
            memset(&per_shard[s], 0, sizeof per_shard[s]);
            to |= 1ull << s;
        }
        per_shard[s].received = 1;
    }
    return to;
}

void cw_engine_event_routed(struct cw_engine *e, const struct cw_event *ev,
                            const struct cw_card *card, const struct cw_route *route)
{
    const struct cw_card *c = card ? card : &zero_card;
    event_start(e, ev);
    struct batch b;
    b.n = 0;
    int matched = 0;
    for (size_t i = 0; i < e->nrules && i < CW_ROUTE_RULES_MAX; i++) {
        if (!(route->rules[i / 64] >> (i % 64) & 1))
            continue;
        struct pending *p = &b.p[b.n];
        p->len = group_key(e->rt[i].rule->group, ev, c, p->key);
        if (p->len == 0)
            continue;
        matched = 1;
        batch_add(e, &b, i, ev, c);
    }
    batch_apply(e, &b, ev, c);
    if (matched)
        e->st.matched++;
    if (route->received)
        count_received(e, ev);
}

void cw_engine_flush(struct cw_engine *e)
{
    if (e)
        close_due(e, 1);
}

static int str_same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Whether @p b compiles to the same rule as @p a (its place in the file aside). Rules with
 * content conditions never do: their lists are read again, and the evidence their windows
 * keep points into the old lists. */
static int rule_same(const struct cw_rule *a, const struct cw_rule *b)
{
    if (a->ncheap < a->nconds || b->ncheap < b->nconds)
        return 0;
    if (!str_same(a->name, b->name) || !str_same(a->category, b->category) ||
        !str_same(a->description, b->description) || a->severity != b->severity ||
        a->group != b->group || a->window_us != b->window_us || a->threshold != b->threshold ||
        a->samples != b->samples || a->nconds != b->nconds || a->ncheap != b->ncheap ||
        a->suppress_us != b->suppress_us || a->sliding != b->sliding || a->nth != b->nth ||
        a->ndistinct != b->ndistinct || a->recv_kinds != b->recv_kinds ||
        a->uses_received != b->uses_received)
        return 0;
    for (unsigned i = 0; i < a->nconds; i++) {
        const struct cw_rule_cond *x = &a->conds[i], *y = &b->conds[i];
        if (x->field != y->field || x->negate != y->negate || x->op != y->op ||
            x->list != y->list || x->nlists != y->nlists ||
            memcmp(x->lists, y->lists, sizeof x->lists) != 0 || x->num != y->num ||
            x->set[0] != y->set[0] || x->set[1] != y->set[1] || x->age_s != y->age_s ||
            x->strs_len != y->strs_len ||
            (x->strs_len && memcmp(x->strs, y->strs, x->strs_len) != 0))
            return 0;
    }
    for (unsigned i = 0; i < a->nth; i++) {
        const struct cw_rule_thresh *x = &a->th[i], *y = &b->th[i];
        if (x->agg != y->agg || x->op != y->op || x->arg != y->arg || x->arg2 != y->arg2 ||
            x->slot != y->slot || x->num != y->num)
            return 0;
    }
    return 1;
}

int cw_engine_reload(struct cw_engine *e, const struct cw_ruleset *rs)
{
    if (!e || !rs)
        return CW_EINVAL;
    /* everything that can fail first, so a failure leaves the engine as it was */
    struct rule_rt *nrt = calloc(rs->n ? rs->n : 1, sizeof *nrt);
    size_t *from = calloc(rs->n ? rs->n : 1, sizeof *from); /* old index + 1, 0: fresh */
    unsigned char *kept = calloc(e->nrules ? e->nrules : 1, 1);
    struct list_scan *scans = NULL;
    struct cw_content_scratch *scratch = NULL;
    if (!nrt || !from || !kept || content_new(rs, &scans, &scratch) != 0)
        goto nomem;
    for (size_t i = 0; i < rs->n; i++) {
        rt_init(&nrt[i], &rs->rules[i]);
        for (size_t j = 0; j < e->nrules; j++)
            if (!kept[j] && rule_same(e->rt[j].rule, &rs->rules[i])) {
                kept[j] = 1;
                from[i] = j + 1;
                break;
            }
    }
    /* old rules not kept: close their windows (due alerts reported, under the old rule) */
    uint64_t removed = 0;
    for (size_t j = 0; j < e->nrules; j++) {
        if (kept[j])
            continue;
        close_due_in(e, 1, j);
        rt_release(e, &e->rt[j]);
        size_t i = 0;
        while (i < rs->n && !str_same(rs->rules[i].name, e->rt[j].rule->name))
            i++;
        removed += i == rs->n; /* else changed: counted with the new rules */
    }
    uint64_t nkept = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (!from[i])
            continue;
        struct rule_rt *o = &e->rt[from[i] - 1];
        const struct cw_rule *rule = nrt[i].rule;
        nrt[i] = *o;
        nrt[i].rule = rule;
        nkept++;
    }
    free(e->rt);
    e->rt = nrt;
    e->nrules = rs->n;
    e->rs = rs;
    e->nrecv = 0;
    e->recv_kinds = 0;
    for (size_t i = 0; i < rs->n; i++) {
        e->nrecv += rs->rules[i].uses_received;
        if (rs->rules[i].uses_received)
            e->recv_kinds |= rs->rules[i].recv_kinds;
    }
    free(e->scans);
    cw_content_scratch_free(e->scratch);
    e->scans = scans;
    e->scratch = scratch;
    update_next_deadline(e);
    e->st.reloads++;
    e->st.reload_kept = nkept;
    e->st.reload_fresh = rs->n - nkept;
    e->st.reload_removed = removed;
    free(from);
    free(kept);
    return 0;
nomem:
    free(nrt);
    free(from);
    free(kept);
    free(scans);
    cw_content_scratch_free(scratch);
    return CW_ENOMEM;
}

void cw_engine_stats(const struct cw_engine *e, struct cw_engine_stats *st,
                     uint64_t *alerts_per_rule)
{
    *st = e->st;
    if (alerts_per_rule)
        for (size_t i = 0; i < e->nrules; i++)
            alerts_per_rule[i] = e->rt[i].alerts;
}
