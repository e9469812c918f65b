/* gtp.h - GTPv2-C (3GPP TS 29.274) and GTPv1-C (TS 29.060) (UDP port 2123) decoder: data sessions of data cards and handsets. */
#ifndef CW_DECODE_GTP_H
#define CW_DECODE_GTP_H

#include "decode/decode.h"

/**
 * Decode gtp messages from @p data (a datagram, or the stream bytes of one direction of a TCP
 * flow), emitting one event per message that shows a card in use. Contract as in decode.h.
 */
int cw_gtp_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                   const struct cw_event_sink *sink, struct cw_decode_stats *st,
                   size_t *consumed, size_t *needed);

#endif
