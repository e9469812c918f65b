/* diameter.h - Diameter base RFC 6733 with S6a, SGd/Gdd, Gx/Gy applications (TCP) decoder: subscriber attach, SMS and charging sessions. */
#ifndef CW_DECODE_DIAMETER_H
#define CW_DECODE_DIAMETER_H

#include "decode/decode.h"

/**
 * Decode diameter messages from @p data (a datagram, or the stream bytes of one direction of a TCP
 * flow), emitting one event per message that shows a card in use. Contract as in decode.h.
 */
int cw_diameter_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                   const struct cw_event_sink *sink, struct cw_decode_stats *st,
                   size_t *consumed, size_t *needed);

#endif
