/* frag.c - IP fragment reassembly.
 *
 * A datagram in progress keeps its bytes in a 64 KiB buffer and a bitmap of the 8-byte blocks
 * received (fragment offsets are in 8-byte units), so duplicates and overlaps are seen without
 * a hole list. It is complete when the last fragment (MF clear) has given the total length and
 * every block up to it is there. The first copy of overlapping data is kept (what the receiving
 * host most likely used; counted either way). Fragments are rare on signalling links, so the
 * table is small and searched linearly.
 */
#include "capture/frag.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define DGRAM_MAX 65535u
#define BLOCKS ((DGRAM_MAX + 8) / 8)

struct dgram {
    int used;
    uint8_t ipver, proto;
    uint8_t src[16], dst[16];
    uint32_t id;
    uint64_t first_ts;
    uint32_t total; /* payload length, known once the last fragment came */
    uint8_t have_last;
    uint8_t hdr[60]; /* IP header of the fragment at offset 0 (IPv6: the 40-byte header) */
    size_t hdr_len;
    uint8_t bits[(BLOCKS + 7) / 8];
    uint8_t *buf;
};

struct cw_frag_table {
    struct dgram *d;
    unsigned max;
    uint64_t timeout_us;
    uint8_t *out; /* the reassembled packet handed out */
    struct cw_frag_stats st;
};

int cw_frag_new(unsigned max, uint64_t timeout_us, struct cw_frag_table **out)
{
    struct cw_frag_table *t = calloc(1, sizeof *t);
    if (!t)
        return CW_ENOMEM;
    t->d = calloc(max ? max : 1, sizeof *t->d);
    if (!t->d) {
        free(t);
        return CW_ENOMEM;
    }
    t->max = max ? max : 1;
    t->timeout_us = timeout_us;
    *out = t;
    return 0;
}

void cw_frag_free(struct cw_frag_table *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < t->max; i++)
        free(t->d[i].buf);
    free(t->d);
    free(t->out);
    free(t);
}

void cw_frag_stats(const struct cw_frag_table *t, struct cw_frag_stats *st)
{
    *st = t->st;
}

static void drop(struct dgram *g)
{
    g->used = 0; /* the buffer is kept for the next datagram */
}

static int same(const struct dgram *g, const struct cw_pkt *p)
{
    size_t alen = p->ipver == 4 ? 4 : 16;
    return g->used && g->ipver == p->ipver && g->id == p->frag_id &&
           g->proto == p->frag_proto && memcmp(g->src, p->src, alen) == 0 &&
           memcmp(g->dst, p->dst, alen) == 0;
}

static int test_bit(const uint8_t *bits, uint32_t b)
{
    return bits[b >> 3] & (1u << (b & 7));
}

static struct dgram *find_or_make(struct cw_frag_table *t, const struct cw_pkt *p,
                                  uint64_t ts_us)
{
    struct dgram *free_slot = NULL, *oldest = NULL;
    for (unsigned i = 0; i < t->max; i++) {
        struct dgram *g = &t->d[i];
        if (g->used && g->first_ts + t->timeout_us < ts_us) {
            t->st.timeouts++;
            drop(g);
        }
        if (same(g, p))
            return g;
        if (!g->used && !free_slot)
            free_slot = g;
        if (g->used && (!oldest || g->first_ts < oldest->first_ts))
            oldest = g;
    }
    if (!free_slot) {
        t->st.evicted++;
        drop(oldest);
        free_slot = oldest;
    }
    struct dgram *g = free_slot;
    if (!g->buf && !(g->buf = malloc(DGRAM_MAX)))
        return NULL;
    uint8_t *buf = g->buf;
    memset(g, 0, sizeof *g);
    g->buf = buf;
    g->used = 1;
    g->ipver = p->ipver;
    g->proto = p->frag_proto;
    memcpy(g->src, p->src, 16);
    memcpy(g->dst, p->dst, 16);
    g->id = p->frag_id;
    g->first_ts = ts_us;
    return g;
}

int cw_frag_add(struct cw_frag_table *t, const struct cw_pkt *p, uint64_t ts_us,
                const uint8_t **ip, size_t *len)
{
    t->st.fragments++;
    uint32_t off = p->frag_offset;
    size_t n = p->payload.len;
    if ((size_t)off + n > DGRAM_MAX || (p->frag_more && (n % 8 != 0 || n == 0))) {
        t->st.bad++;
        return 0;
    }
    struct dgram *g = find_or_make(t, p, ts_us);
    if (!g) {
        t->st.bad++;
        return 0;
    }
    if (!p->frag_more) {
        if (g->have_last && g->total != off + n) {
            t->st.bad++; /* two different ends: the datagram cannot be trusted */
            drop(g);
            return 0;
        }
        g->have_last = 1;
        g->total = (uint32_t)(off + n);
    }
    if (off == 0 && g->hdr_len == 0) {
        size_t hl = p->ipver == 4 ? (size_t)(p->l3[0] & 0x0f) * 4 : 40;
        memcpy(g->hdr, p->l3, hl);
        g->hdr_len = hl;
    }
    /* copy block by block, keeping data already held */
    int overlap = 0;
    for (uint32_t b = off / 8; (size_t)b * 8 < off + n; b++) {
        size_t from = (size_t)b * 8, to = from + 8 < off + n ? from + 8 : off + n;
        if (test_bit(g->bits, b)) {
            overlap = 1;
            continue;
        }
        memcpy(g->buf + from, p->payload.p + (from - off), to - from);
        g->bits[b >> 3] |= (uint8_t)(1u << (b & 7));
    }
    if (overlap)
        t->st.overlaps++;
    if (!g->have_last || g->hdr_len == 0)
        return 0;
    for (uint32_t b = 0; (size_t)b * 8 < g->total; b++)
        if (!test_bit(g->bits, b))
            return 0;

    /* complete: one IP packet, header fixed up to say it is whole */
    if (!t->out && !(t->out = malloc(DGRAM_MAX + 60))) {
        t->st.bad++;
        drop(g);
        return 0;
    }
    uint8_t *o = t->out;
    memcpy(o, g->hdr, g->hdr_len);
    size_t total = g->hdr_len + g->total;
    if (g->ipver == 4) {
        if (total > DGRAM_MAX) {
            t->st.bad++;
            drop(g);
            return 0;
        }
        o[2] = (uint8_t)(total >> 8);
        o[3] = (uint8_t)total;
        o[6] = 0; /* no MF, offset 0 */
        o[7] = 0;
    } else {
        o[4] = (uint8_t)(g->total >> 8);
        o[5] = (uint8_t)g->total;
        o[6] = g->proto; /* the fragment header and the headers before it are dropped */
    }
    memcpy(o + g->hdr_len, g->buf, g->total);
    drop(g);
    t->st.reassembled++;
    *ip = o;
    *len = total;
    return 1;
}
