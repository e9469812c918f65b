/* frag.h - IPv4 (RFC 791) and IPv6 (RFC 8200 4.5) fragment reassembly: bounded memory (a fixed
 * number of datagrams in progress, 64 KiB each), a timeout in packet time, overlapping,
 * duplicate and missing fragments counted. */
#ifndef CW_FRAG_H
#define CW_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "capture/packet.h"

struct cw_frag_stats {
    uint64_t fragments;   /* fragments seen */
    uint64_t reassembled; /* datagrams completed */
    uint64_t overlaps;    /* fragments overlapping data already held (the first copy kept) */
    uint64_t timeouts;    /* datagrams given up incomplete after the timeout */
    uint64_t evicted;     /* datagrams given up incomplete because the table was full */
    uint64_t bad;         /* fragments that cannot be placed (past 64 KiB, odd length) */
};

struct cw_frag_table;

/** At most @p max datagrams in progress; an incomplete one is dropped after @p timeout_us. */
int cw_frag_new(unsigned max, uint64_t timeout_us, struct cw_frag_table **out);
void cw_frag_free(struct cw_frag_table *t);

/**
 * Add the fragment @p pkt (as cw_pkt_decode returned it with CW_PKT_IP_FRAGMENT) seen at packet
 * time @p ts_us. Returns 1 when this completes its datagram: *ip and *len then hold the whole
 * IP packet (header and payload; decode it with CW_LINKTYPE_RAW), valid until the next call;
 * 0 when more fragments are needed or the fragment was dropped (counted).
 */
int cw_frag_add(struct cw_frag_table *t, const struct cw_pkt *pkt, uint64_t ts_us,
                const uint8_t **ip, size_t *len);

void cw_frag_stats(const struct cw_frag_table *t, struct cw_frag_stats *st);

#endif
