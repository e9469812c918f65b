/* dissect.h - one worker's packet path: L2-L4 decode, flow table, nDPI classification, TCP
 * reassembly, and the application decoders, turning packets into cw_events.
 * Owns all its state; no globals, no locks. */
#ifndef CW_DISSECT_H
#define CW_DISSECT_H

#include <stdint.h>

#include "capture/capture.h"
#include "capture/flow.h"
#include "capture/frag.h"
#include "capture/packet.h"
#include "decode/decode.h"

/* Largest partial application message kept per TCP direction. A longer one (Diameter allows
 * up to CW_DIAMETER_MAX_MSG, a WebSocket message can be longer still) is not kept: its bytes
 * are dropped as they come, counted once in tcp_overflows, and decoding goes on after it. */
#define CW_STREAM_MAX (64 * 1024)
/* All partial messages and held TCP segments of all flows together; past it new ones are not
 * kept (counted in stream_memcap, and as the overflow or loss they cause). */
#define CW_STREAM_TOTAL_MAX ((size_t)256 * 1024 * 1024)

struct cw_dissect_stats {
    uint64_t packets, bytes;
    uint64_t malformed; /* L2-L4 malformed packets (counted, skipped) */
    uint64_t skipped;   /* not looked into: not IP, other transports */
    uint64_t reasons[CW_PKT__COUNT];
    uint64_t tcp_gaps, tcp_retransmissions, tcp_overflows;
    uint64_t tcp_out_of_order; /* segments held until the bytes before them came */
    /* Stream bytes that were not at a message boundary (a capture starting mid-stream, the
     * rest of a message cut by a gap, bytes a decoder refused) are scanned for the next one
     * (cw_sip_resync, cw_smpp_resync, cw_diameter_resync, cw_ws_resync): */
    uint64_t tcp_resyncs;      /* times decoding picked up again after skipping bytes */
    uint64_t tcp_resync_bytes; /* bytes skipped while looking for a boundary */
    /* SIP over WebSocket (RFC 7118): */
    uint64_t ws_upgrades; /* flows that switched to WebSocket with the "sip" subprotocol */
    uint64_t ws_messages; /* text and binary messages handed to the SIP decoder */
    uint64_t ws_control;  /* close, ping and pong frames (skipped) */
    uint64_t ws_unusable; /* messages not decoded: compressed (RSV1), a continuation without
                           * its start, a message cut by the start of another */
    uint64_t sctp_chunks, sctp_data, sctp_reassembled, sctp_bad_chunks, sctp_lost_fragments;
    uint64_t sctp_retransmissions; /* DATA chunks whose TSN was already delivered: dropped */
    uint64_t stream_memcap; /* buffer growths or held segments refused at the stream cap */
    uint64_t stream_mem;    /* bytes of stream buffers and held segments now */
    uint64_t decode_errors; /* application payloads a decoder refused */
    uint64_t events[CW_EV__COUNT];
    struct cw_decode_stats dec;
    struct cw_flow_stats flows;
    struct cw_frag_stats frags;
};

struct cw_dissector;

/** Events are passed to @p sink (copied in: it need not outlive the call). */
int cw_dissect_new(const struct cw_event_sink *sink, struct cw_dissector **out);
void cw_dissect_free(struct cw_dissector *d);

/** Process one packet of link type @p linktype from input file number @p file_idx. */
void cw_dissect_packet(struct cw_dissector *d, const struct cw_raw_pkt *raw, int linktype,
                       uint32_t file_idx);

/** cw_dissect_packet for a packet its caller has decoded already: @p pkt and @p r are what
 *  cw_pkt_decode(raw->data, raw->caplen, linktype, pkt) gave (a worker that decoded it to pick
 *  its thread need not do it twice). @p pkt is scratch: it may be overwritten (a reassembled
 *  datagram is decoded into it). */
void cw_dissect_decoded(struct cw_dissector *d, const struct cw_raw_pkt *raw, struct cw_pkt *pkt,
                        int r, uint32_t file_idx);

/** End of input: flows still open get nDPI's final verdict (for the per-protocol counts).
 *  No packets are taken after this. */
void cw_dissect_finish(struct cw_dissector *d);

/** Optional: @p fn gets every message a decoder read, event or not, as that decoder's record
 *  (MAP: struct cw_map_rec, decode/map.h) with the packet it completed in. For
 *  `decode --trace` and the tests; NULL turns it off. */
typedef void (*cw_dissect_trace_fn)(void *user, unsigned proto, const struct cw_pkt_meta *meta,
                                    const void *rec);
void cw_dissect_set_trace(struct cw_dissector *d, cw_dissect_trace_fn fn, void *user);

/** Cap on the bytes of all stream buffers and held segments (default CW_STREAM_TOTAL_MAX). */
void cw_dissect_set_stream_cap(struct cw_dissector *d, size_t bytes);

void cw_dissect_stats(const struct cw_dissector *d, struct cw_dissect_stats *st);

/** Call @p fn for each nDPI protocol with at least one classified flow, by protocol id. */
void cw_dissect_proto_flows(const struct cw_dissector *d,
                            void (*fn)(void *user, const char *proto, uint64_t flows),
                            void *user);

#endif
