/* card_cache.h - a per-worker cache of registry lookups (hot subscribers and unregistered
 * "black" cards) in front of a cw_reg_reader, flushed whenever the reader's snapshot is renewed
 * so that registry updates are seen.
 *
 * Set-associative (4 ways a bucket, CLOCK replacement within a bucket), keyed by the
 * (msisdn, imsi) strings exactly as given; every entry holds a whole struct cw_card (160 bytes)
 * and its 48-byte key, plus 16 bytes of tags: 224 bytes an entry, 14 MiB at 2^16 entries,
 * allocated once by cw_card_cache_new (the pages are touched as entries fill).
 * Lookups take no locks, allocate nothing and make no system call; a flush is O(1) (a
 * generation counter).
 *
 * The cache answers from the reader's snapshot as of the last cw_card_cache_poll: while a cache
 * is in use, renew its reader only through cw_card_cache_poll (never cw_reg_reader_poll or
 * cw_reg_reader_refresh directly), or cached cards would outlive the snapshot they came from.
 */
#ifndef CW_CARD_CACHE_H
#define CW_CARD_CACHE_H

#include <stdint.h>

#include "store/registry.h"

struct cw_card_cache; /* per worker: no locks, not shared between threads */

/** A cache of 2^log2_entries cards (2..24; e.g. 14..20) in front of @p rd (which must outlive
 *  it). Returns 0, CW_EINVAL (@p log2_entries out of range) or CW_ENOMEM. */
int cw_card_cache_new(struct cw_reg_reader *rd, unsigned log2_entries, struct cw_card_cache **out);
void cw_card_cache_free(struct cw_card_cache *c);

/** Same contract and results as cw_reg_lookup(rd, msisdn, imsi, out): returns 1 registered, 0
 *  not found (the card still filled as far as known: normalised msisdn, imsi, home,
 *  range_province), <0 error (never cached). Negative results (unregistered "black" cards) are
 *  cached too. NULL and "" are the same key. An msisdn of CW_NUM_MAX or more characters, or an
 *  imsi of CW_IMSI_MAX or more, is passed to the registry uncached (counted as a miss). */
int cw_card_cache_lookup(struct cw_card_cache *c, const char *msisdn, const char *imsi,
                         struct cw_card *out);

/** cw_reg_reader_poll(rd), and when the snapshot was renewed (an update committed), forget every
 *  cached card so updates are seen from the next lookup on (also when poll fails: the snapshot
 *  is then unknown). Returns what poll returns. Call it every few dozen events. */
int cw_card_cache_poll(struct cw_card_cache *c);

struct cw_card_cache_stats {
    uint64_t lookups; /* calls of cw_card_cache_lookup */
    uint64_t hits;    /* answered from the cache */
    uint64_t misses;  /* passed to cw_reg_lookup (errors and uncacheable keys included) */
    uint64_t flushes; /* snapshot renewals that emptied the cache */
};
void cw_card_cache_stats(const struct cw_card_cache *c, struct cw_card_cache_stats *st);

#endif
