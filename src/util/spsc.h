/* spsc.h - a lock-free single-producer single-consumer ring of variable-size records.
 *
 * One thread writes (cw_spsc_reserve, then cw_spsc_commit), one other thread reads
 * (cw_spsc_peek, then cw_spsc_release); no locks, no system calls, no allocation after
 * cw_spsc_new. Records are 8-byte aligned, each after an 8-byte header holding its length; a
 * record that would cross the end of the buffer starts at its beginning instead, the header of
 * the skipped tail saying so:
 *
 *   buf: | len | record ... | len | record ... | PAD ....... |
 *          ^ head (consumer)                   ^ tail (producer)
 *
 * The producer and the consumer each cache the other's position, so most calls touch no
 * cache line the other thread writes.
 */
#ifndef CW_SPSC_H
#define CW_SPSC_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CW_SPSC_PAD UINT32_MAX

struct cw_spsc {
    alignas(64) _Atomic size_t head; /* bytes released by the consumer */
    size_t tail_seen;                /* consumer's copy of tail */
    alignas(64) _Atomic size_t tail; /* bytes committed by the producer */
    size_t head_seen;                /* producer's copy of head */
    size_t pending;                  /* producer: bytes reserved, not yet committed */
    alignas(64) uint8_t *buf;
    size_t cap; /* a power of two */
};

static inline size_t cw_spsc_round(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/** A ring of @p cap bytes (rounded up to a power of two, at least 4 KiB). 0 or -1 (no memory). */
static inline int cw_spsc_init(struct cw_spsc *r, size_t cap)
{
    size_t c = 4096;
    while (c < cap)
        c <<= 1;
    memset(r, 0, sizeof *r);
    if (!(r->buf = aligned_alloc(64, c)))
        return -1;
    r->cap = c;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return 0;
}

static inline void cw_spsc_destroy(struct cw_spsc *r)
{
    free(r->buf);
    r->buf = NULL;
}

/** Producer: room for a record of @p n bytes, or NULL when the ring is too full now (or @p n
 *  can never fit: more than a quarter of the ring). Commit it with cw_spsc_commit(r, n). */
static inline void *cw_spsc_reserve(struct cw_spsc *r, size_t n)
{
    size_t need = 8 + cw_spsc_round(n);
    if (need > r->cap / 4)
        return NULL;
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t pos = tail & (r->cap - 1), skip = pos + need > r->cap ? r->cap - pos : 0;
    if (tail + skip + need - r->head_seen > r->cap) {
        r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
        if (tail + skip + need - r->head_seen > r->cap)
            return NULL;
    }
    if (skip) {
        uint32_t pad = CW_SPSC_PAD;
        memcpy(r->buf + pos, &pad, sizeof pad);
        pos = 0;
    }
    r->pending = skip;
    return r->buf + pos + 8;
}

/** Producer: publish the record reserved last, of @p n bytes (as reserved). */
static inline void cw_spsc_commit(struct cw_spsc *r, size_t n)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed) + r->pending;
    uint32_t len = (uint32_t)n;
    memcpy(r->buf + (tail & (r->cap - 1)), &len, sizeof len);
    atomic_store_explicit(&r->tail, tail + 8 + cw_spsc_round(n), memory_order_release);
    r->pending = 0;
}

/** Consumer: the oldest record and its length, or NULL when the ring is empty. */
static inline const void *cw_spsc_peek(struct cw_spsc *r, size_t *n)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    for (;;) {
        if (head == r->tail_seen) {
            r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
            if (head == r->tail_seen)
                return NULL;
        }
        size_t pos = head & (r->cap - 1);
        uint32_t len;
        memcpy(&len, r->buf + pos, sizeof len);
        if (len != CW_SPSC_PAD) {
            *n = len;
            return r->buf + pos + 8;
        }
        head += r->cap - pos; /* the producer went back to the start */
        atomic_store_explicit(&r->head, head, memory_order_release);
    }
}

/** Consumer: done with the record cw_spsc_peek returned (of @p n bytes). */
static inline void cw_spsc_release(struct cw_spsc *r, size_t n)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    atomic_store_explicit(&r->head, head + 8 + cw_spsc_round(n), memory_order_release);
}

#endif
