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

/* Largest partial application message kept per TCP direction. */
#define CW_STREAM_MAX (64 * 1024)

struct cw_dissect_stats {
    uint64_t packets, bytes;
    uint64_t malformed; /* L2-L4 malformed packets (counted, skipped) */
    uint64_t skipped;   /* not looked into: not IP, other transports */
    uint64_t reasons[CW_PKT__COUNT];
    uint64_t tcp_gaps, tcp_retransmissions, tcp_overflows;
    uint64_t tcp_out_of_order; /* segments held until the bytes before them came */
    uint64_t sctp_chunks, sctp_data, sctp_reassembled, sctp_bad_chunks, sctp_lost_fragments;
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

/** End of input: flows still open get nDPI's final verdict (for the per-protocol counts).
 *  No packets are taken after this. */
void cw_dissect_finish(struct cw_dissector *d);

void cw_dissect_stats(const struct cw_dissector *d, struct cw_dissect_stats *st);

/** Call @p fn for each nDPI protocol with at least one classified flow, by protocol id. */
void cw_dissect_proto_flows(const struct cw_dissector *d,
                            void (*fn)(void *user, const char *proto, uint64_t flows),
                            void *user);

#endif
