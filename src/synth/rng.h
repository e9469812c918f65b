/* rng.h - deterministic pseudo-random numbers for the synthetic data generator (header-only).
 *
 * splitmix64 (Steele, Lea, Flood 2014) seeds and hashes; xoshiro256** (Blackman, Vigna 2018)
 * is the sequential generator; a keyed Feistel network with cycle walking gives bijective
 * permutations of [0, n) with their inverses. Nothing here depends on the platform, the time
 * or the address space: the same seed gives the same numbers everywhere.
 */
#ifndef CW_SYNTH_RNG_H
#define CW_SYNTH_RNG_H

#include <stdint.h>

/** One step of splitmix64: advances *state and returns the next output. */
static inline uint64_t cw_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/** Stateless 64-bit mix (the splitmix64 finalizer of x + golden gamma): a hash of x. */
static inline uint64_t cw_mix64(uint64_t x)
{
    uint64_t s = x;
    return cw_splitmix64(&s);
}

/** Hash of (seed, tag, index): independent-looking streams per purpose (tag) and item. */
static inline uint64_t cw_hash3(uint64_t seed, uint64_t tag, uint64_t idx)
{
    return cw_mix64(cw_mix64(seed ^ cw_mix64(tag)) + idx);
}

/** A value in [0, n) from a hash value @p h (n > 0; the tiny modulo bias is irrelevant here). */
static inline uint64_t cw_hash_below(uint64_t h, uint64_t n)
{
    return h % n;
}

/** A double in [0, 1) from a hash value. */
static inline double cw_hash_unit(uint64_t h)
{
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* xoshiro256**: the state must not be all zero (cw_rng_seed makes sure). */
struct cw_rng {
    uint64_t s[4];
};

static inline uint64_t cw_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline void cw_rng_seed(struct cw_rng *r, uint64_t seed)
{
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = cw_splitmix64(&sm);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1;
}

static inline uint64_t cw_rng_next(struct cw_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = cw_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = cw_rng_rotl(s[3], 45);
    return result;
}

/** Unbiased value in [0, n); n == 0 gives 0. */
static inline uint64_t cw_rng_below(struct cw_rng *r, uint64_t n)
{
    if (n == 0)
        return 0;
    uint64_t threshold = (0 - n) % n; /* 2^64 mod n: reject below it */
    for (;;) {
        uint64_t x = cw_rng_next(r);
        if (x >= threshold)
            return x % n;
    }
}

/** Value in [lo, hi] (inclusive, lo <= hi). */
static inline uint64_t cw_rng_range(struct cw_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + cw_rng_below(r, hi - lo + 1);
}

/** Double in [0, 1). */
static inline double cw_rng_unit(struct cw_rng *r)
{
    return cw_hash_unit(cw_rng_next(r));
}

/* A keyed bijection of [0, n): a balanced Feistel network on the smallest even number of bits
 * 2h with 2^2h >= n, cycle-walking until the value falls inside [0, n). Both directions cost a
 * few hashes; nothing is stored but the key. Valid for 1 <= n <= 2^62. */
#define CW_PERM_ROUNDS 6

struct cw_perm {
    uint64_t n;
    unsigned half; /* bits per half */
    uint64_t mask; /* (1 << half) - 1 */
    uint64_t key[CW_PERM_ROUNDS];
};

static inline void cw_perm_init(struct cw_perm *p, uint64_t n, uint64_t key)
{
    p->n = n ? n : 1;
    p->half = 1;
    while (p->half < 31 && (1ull << (2 * p->half)) < p->n)
        p->half++;
    p->mask = (1ull << p->half) - 1;
    uint64_t sm = key;
    for (int i = 0; i < CW_PERM_ROUNDS; i++)
        p->key[i] = cw_splitmix64(&sm);
}

static inline uint64_t cw_perm_round(const struct cw_perm *p, int i, uint64_t x)
{
    return cw_mix64(x ^ p->key[i]) & p->mask;
}

static inline uint64_t cw_perm_fwd1(const struct cw_perm *p, uint64_t x)
{
    uint64_t l = x >> p->half, r = x & p->mask;
    for (int i = 0; i < CW_PERM_ROUNDS; i++) {
        uint64_t t = l ^ cw_perm_round(p, i, r);
        l = r;
        r = t;
    }
    return (l << p->half) | r;
}

static inline uint64_t cw_perm_inv1(const struct cw_perm *p, uint64_t y)
{
    uint64_t l = y >> p->half, r = y & p->mask;
    for (int i = CW_PERM_ROUNDS - 1; i >= 0; i--) {
        uint64_t t = r ^ cw_perm_round(p, i, l);
        r = l;
        l = t;
    }
    return (l << p->half) | r;
}

/** The image of @p x (x < n) under the permutation. */
static inline uint64_t cw_perm_fwd(const struct cw_perm *p, uint64_t x)
{
    do
        x = cw_perm_fwd1(p, x);
    while (x >= p->n);
    return x;
}

/** The preimage of @p y (y < n): cw_perm_inv(p, cw_perm_fwd(p, x)) == x. */
static inline uint64_t cw_perm_inv(const struct cw_perm *p, uint64_t y)
{
    do
        y = cw_perm_inv1(p, y);
    while (y >= p->n);
    return y;
}

#endif
