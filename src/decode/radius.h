/* radius.h - RADIUS Accounting (RFC 2866, 3GPP TS 29.061 vendor attributes) (UDP) decoder: data sessions seen by the gateway's accounting. */
#ifndef CW_DECODE_RADIUS_H
#define CW_DECODE_RADIUS_H

#include "decode/decode.h"

/**
 * Decode radius messages from @p data (a datagram, or the stream bytes of one direction of a TCP
 * flow), emitting one event per message that shows a card in use. Contract as in decode.h.
 */
int cw_radius_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                   const struct cw_event_sink *sink, struct cw_decode_stats *st,
                   size_t *consumed, size_t *needed);

#endif
