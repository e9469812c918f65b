/* card_cache.c - a per-worker cache of registry lookups in front of a cw_reg_reader.
 *
 *   key    msisdn (zero-padded to CW_NUM_MAX) | imsi (zero-padded to CW_IMSI_MAX): 48 bytes
 *   hash   64 bits of the key (wyhash-style multiply-fold); low bits pick the bucket
 *   bucket one cache line: 4 x (hash, generation, result), CLOCK bits and hand
 *   slot   the key and the whole struct cw_card, beside the buckets (one slot per way)
 *
 * A probe reads one bucket line and, when a hash matches, one slot (a full key compare).
 * An entry is live when its generation is the cache's: a flush bumps the cache's generation.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/card_cache.h"
#include "util/error.h"

#define WAYS 4
#define KEY_LEN (CW_NUM_MAX + CW_IMSI_MAX)
#define LOG2_MIN 2 /* one bucket */
#define LOG2_MAX 24

struct bucket {
    alignas(64) uint64_t hash[WAYS];
    uint32_t gen[WAYS]; /* live when == the cache's gen (never 0) */
    int8_t rc[WAYS];    /* the cached result: 0 or 1 */
    uint8_t ref;        /* CLOCK reference bits, one per way */
    uint8_t hand;       /* CLOCK hand */
};

struct slot {
    unsigned char key[KEY_LEN];
    struct cw_card card;
};

struct cw_card_cache {
    struct cw_reg_reader *rd;
    struct bucket *buckets;
    struct slot *slots; /* WAYS per bucket */
    size_t bmask;       /* buckets - 1 */
    uint32_t gen;
    struct cw_card_cache_stats st;
};

_Static_assert(sizeof(struct bucket) == 64, "a bucket is one cache line");
_Static_assert(KEY_LEN % 8 == 0, "the key hashes as whole words");

int cw_card_cache_new(struct cw_reg_reader *rd, unsigned log2_entries, struct cw_card_cache **out)
{
    *out = NULL;
    if (!rd || log2_entries < LOG2_MIN || log2_entries > LOG2_MAX)
        return CW_EINVAL;
    size_t nb = (size_t)1 << (log2_entries - 2);
    if (nb > SIZE_MAX / (WAYS * sizeof(struct slot)))
        return CW_ENOMEM;
    struct cw_card_cache *c = calloc(1, sizeof *c);
    if (!c)
        return CW_ENOMEM;
    c->rd = rd;
    c->bmask = nb - 1;
    c->gen = 1;
    c->buckets = aligned_alloc(alignof(struct bucket), nb * sizeof *c->buckets);
    /* calloc: the slots' pages are only touched as entries fill */
    c->slots = calloc(nb * WAYS, sizeof *c->slots);
    if (!c->buckets || !c->slots) {
        cw_card_cache_free(c);
        return CW_ENOMEM;
    }
    memset(c->buckets, 0, nb * sizeof *c->buckets);
    *out = c;
    return 0;
}

void cw_card_cache_free(struct cw_card_cache *c)
{
    if (!c)
        return;
    free(c->buckets);
    free(c->slots);
    free(c);
}

/* 64x64->128 multiply, folded (wyhash's "mum"). */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    u128 r = (u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    uint64_t ha = a >> 32, la = (uint32_t)a, hb = b >> 32, lb = (uint32_t)b;
    uint64_t rh = ha * hb, rm0 = ha * lb, rm1 = hb * la, rl = la * lb;
    uint64_t t = rl + (rm0 << 32), lo = t + (rm1 << 32);
    uint64_t hi = rh + (rm0 >> 32) + (rm1 >> 32) + (t < rl) + (lo < t);
    return lo ^ hi;
#endif
}

/* The key's six words in three independent lanes, then one fold. */
static inline uint64_t key_hash(const unsigned char *key)
{
    uint64_t w[KEY_LEN / 8];
    memcpy(w, key, sizeof w);
    uint64_t a = mum(w[0] ^ 0xa0761d6478bd642fu, w[1] ^ 0xe7037ed1a0b428dbu);
    uint64_t b = mum(w[2] ^ 0x8ebc6af09c88c6e3u, w[3] ^ 0x589965cc75374cc3u);
    uint64_t d = mum(w[4] ^ 0x1d8e4e27c47d124fu, w[5] ^ 0xa0761d6478bd642fu);
    return mum(a ^ d ^ 0xe7037ed1a0b428dbu, b ^ 0x8ebc6af09c88c6e3u);
}

/* The key block of (msisdn, imsi); 0 when either is too long to be a key. */
static inline int make_key(unsigned char key[KEY_LEN], const char *msisdn, const char *imsi)
{
    memset(key, 0, KEY_LEN);
    if (msisdn) {
        size_t n = strnlen(msisdn, CW_NUM_MAX);
        if (n == CW_NUM_MAX)
            return 0;
        memcpy(key, msisdn, n);
    }
    if (imsi) {
        size_t n = strnlen(imsi, CW_IMSI_MAX);
        if (n == CW_IMSI_MAX)
            return 0;
        memcpy(key + CW_NUM_MAX, imsi, n);
    }
    return 1;
}

/* The way to fill: a dead one, else the first the CLOCK hand finds unreferenced. */
static unsigned victim(struct bucket *b, uint32_t gen)
{
    for (unsigned w = 0; w < WAYS; w++)
        if (b->gen[w] != gen)
            return w;
    for (;;) {
        unsigned w = b->hand;
        b->hand = (uint8_t)((w + 1) % WAYS);
        if (!(b->ref & (1u << w)))
            return w;
        b->ref &= (uint8_t) ~(1u << w);
    }
}

int cw_card_cache_lookup(struct cw_card_cache *c, const char *msisdn, const char *imsi,
                         struct cw_card *out)
{
    alignas(8) unsigned char key[KEY_LEN];
    c->st.lookups++;
    if (!make_key(key, msisdn, imsi)) {
        c->st.misses++;
        return cw_reg_lookup(c->rd, msisdn, imsi, out);
    }
    uint64_t h = key_hash(key);
    size_t bi = (size_t)h & c->bmask;
    struct bucket *b = &c->buckets[bi];
    struct slot *s = &c->slots[bi * WAYS];
    for (unsigned w = 0; w < WAYS; w++) {
        if (b->hash[w] == h && b->gen[w] == c->gen && !memcmp(s[w].key, key, KEY_LEN)) {
            b->ref |= (uint8_t)(1u << w);
            memcpy(out, &s[w].card, sizeof *out);
            c->st.hits++;
            return b->rc[w];
        }
    }
    c->st.misses++;
    int rc = cw_reg_lookup(c->rd, msisdn, imsi, out);
    if (rc < 0 || rc > 1)
        return rc;
    unsigned w = victim(b, c->gen);
    b->hash[w] = h;
    b->gen[w] = c->gen;
    b->rc[w] = (int8_t)rc;
    b->ref &= (uint8_t) ~(1u << w);
    memcpy(s[w].key, key, KEY_LEN);
    memcpy(&s[w].card, out, sizeof *out);
    return rc;
}

static void flush(struct cw_card_cache *c)
{
    c->st.flushes++;
    if (++c->gen == 0) { /* wrapped (after 2^32 flushes): clear the generations for real */
        for (size_t i = 0; i <= c->bmask; i++)
            memset(c->buckets[i].gen, 0, sizeof c->buckets[i].gen);
        c->gen = 1;
    }
}

int cw_card_cache_poll(struct cw_card_cache *c)
{
    int rc = cw_reg_reader_poll(c->rd);
    if (rc != 0)
        flush(c);
    return rc;
}

void cw_card_cache_stats(const struct cw_card_cache *c, struct cw_card_cache_stats *st)
{
    *st = c->st;
}
