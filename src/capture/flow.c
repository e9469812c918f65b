/* flow.c - bounded flow table: chained hash, idle list ordered by last packet time. */
#include "capture/flow.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

struct cw_flow_table {
    struct cw_flow **buckets;
    size_t nbuckets; /* power of two */
    size_t max_flows;
    uint64_t idle_us;
    struct cw_flow *oldest, *newest;
    struct cw_flow *free_list;
    struct cw_flow_stats st;
};

static size_t pow2_at_least(size_t n)
{
    size_t p = 1024;
    while (p < n)
        p <<= 1;
    return p;
}

int cw_flow_table_new(size_t max_flows, uint64_t idle_us, struct cw_flow_table **out)
{
    struct cw_flow_table *t = calloc(1, sizeof *t);
    if (!t)
        return CW_ENOMEM;
    t->nbuckets = pow2_at_least(max_flows / 2 + 1);
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    if (!t->buckets) {
        free(t);
        return CW_ENOMEM;
    }
    t->max_flows = max_flows;
    t->idle_us = idle_us;
    *out = t;
    return 0;
}

/* A multiply-xorshift mix of the key's words: symmetric because the key itself is ordered.
 * (Byte-at-a-time FNV-1a cost more than the rest of the lookup.) */
static uint32_t key_hash(const struct cw_flow_key *k)
{
    uint64_t w[(sizeof *k + 7) / 8] = {0};
    memcpy(w, k, sizeof *k);
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        h ^= w[i];
        h *= 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    return (uint32_t)(h ^ (h >> 32));
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* memcmp's order of two addresses (4 or 16 bytes), without a call. */
static int addr_cmp(const uint8_t *a, const uint8_t *b, int v4)
{
    uint64_t x, y;
    if (v4) {
        x = be32(a);
        y = be32(b);
    } else {
        x = be64(a);
        y = be64(b);
        if (x == y) {
            x = be64(a + 8);
            y = be64(b + 8);
        }
    }
    return (x > y) - (x < y);
}

static void make_key(const struct cw_pkt *pkt, struct cw_flow_key *k, int *dir)
{
    memset(k, 0, sizeof *k); /* padding must hash the same */
    int v4 = pkt->ipver == 4;
    int c = addr_cmp(pkt->src, pkt->dst, v4);
    int swap = c > 0 || (c == 0 && pkt->sport > pkt->dport);
    const uint8_t *a = swap ? pkt->dst : pkt->src, *b = swap ? pkt->src : pkt->dst;
    if (v4) {
        memcpy(k->a, a, 4);
        memcpy(k->b, b, 4);
    } else {
        memcpy(k->a, a, 16);
        memcpy(k->b, b, 16);
    }
    k->pa = swap ? pkt->dport : pkt->sport;
    k->pb = swap ? pkt->sport : pkt->dport;
    k->ipver = pkt->ipver;
    k->proto = pkt->l4proto;
    *dir = swap;
}

static void list_unlink(struct cw_flow_table *t, struct cw_flow *f)
{
    if (f->older)
        f->older->newer = f->newer;
    else
        t->oldest = f->newer;
    if (f->newer)
        f->newer->older = f->older;
    else
        t->newest = f->older;
    f->older = f->newer = NULL;
}

static void list_push(struct cw_flow_table *t, struct cw_flow *f)
{
    f->older = t->newest;
    f->newer = NULL;
    if (t->newest)
        t->newest->newer = f;
    else
        t->oldest = f;
    t->newest = f;
}

void cw_tcp_dir_drop_held(struct cw_tcp_dir *s)
{
    for (unsigned i = 0; i < s->nooo; i++)
        free(s->ooo[i].data);
    s->nooo = 0;
}

static void release(struct cw_flow_table *t, struct cw_flow *f,
                    void (*on_end)(void *, struct cw_flow *), void *user)
{
    if (on_end)
        on_end(user, f);
    struct cw_flow **pp = &t->buckets[f->hash & (t->nbuckets - 1)];
    while (*pp != f)
        pp = &(*pp)->chain;
    *pp = f->chain;
    list_unlink(t, f);
    for (int i = 0; i < 2; i++) {
        free(f->tcp[i].buf);
        cw_tcp_dir_drop_held(&f->tcp[i]);
        free(f->tcp[i].ooo);
        if (f->tcp[i].parts)
            for (int k = 0; k < CW_SCTP_PARTS; k++)
                free(f->tcp[i].parts[k].buf);
        free(f->tcp[i].parts);
    }
    f->chain = t->free_list;
    t->free_list = f;
    t->st.active--;
}

struct cw_flow *cw_flow_get(struct cw_flow_table *t, const struct cw_pkt *pkt, uint64_t ts_us,
                            int *dir, int *created, void (*on_end)(void *, struct cw_flow *),
                            void *user)
{
    struct cw_flow_key k;
    make_key(pkt, &k, dir);
    uint32_t h = key_hash(&k);
    *created = 0;

    /* Bounded expiry work per packet: at most two idle flows. */
    for (int i = 0; i < 2 && t->oldest && t->oldest->last_ts_us + t->idle_us < ts_us; i++) {
        release(t, t->oldest, on_end, user);
        t->st.expired++;
    }

    struct cw_flow *f = t->buckets[h & (t->nbuckets - 1)];
    while (f && !(f->hash == h && memcmp(&f->key, &k, sizeof k) == 0))
        f = f->chain;
    if (!f) {
        if (t->st.active >= t->max_flows) {
            release(t, t->oldest, on_end, user);
            t->st.evicted++;
        }
        if (t->free_list) {
            f = t->free_list;
            t->free_list = f->chain;
        } else {
            f = malloc(sizeof *f);
            if (!f)
                return NULL;
        }
        memset(f, 0, sizeof *f);
        f->key = k;
        f->hash = h;
        f->chain = t->buckets[h & (t->nbuckets - 1)];
        t->buckets[h & (t->nbuckets - 1)] = f;
        list_push(t, f);
        t->st.created++;
        t->st.active++;
        if (t->st.active > t->st.peak)
            t->st.peak = t->st.active;
        *created = 1;
    } else if (t->newest != f) {
        list_unlink(t, f);
        list_push(t, f);
    }
    /* Packet time may step back a little across files: never move last_ts backwards. */
    if (ts_us > f->last_ts_us)
        f->last_ts_us = ts_us;
    f->packets++;
    return f;
}

void cw_flow_table_stats(const struct cw_flow_table *t, struct cw_flow_stats *st)
{
    *st = t->st;
}

void cw_flow_table_free(struct cw_flow_table *t, void (*on_end)(void *, struct cw_flow *),
                        void *user)
{
    if (!t)
        return;
    while (t->oldest)
        release(t, t->oldest, on_end, user);
    struct cw_flow *f = t->free_list;
    while (f) {
        struct cw_flow *n = f->chain;
        free(f);
        f = n;
    }
    free(t->buckets);
    free(t);
}
