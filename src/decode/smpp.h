/* smpp.h - SMPP 3.4 / 5.0 (TCP) decoder: SMS submitted and delivered through an SMS centre's ESME interface. */
#ifndef CW_DECODE_SMPP_H
#define CW_DECODE_SMPP_H

#include "decode/decode.h"

/**
 * Decode smpp messages from @p data (a datagram, or the stream bytes of one direction of a TCP
 * flow), emitting one event per message that shows a card in use. Contract as in decode.h.
 */
int cw_smpp_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                   const struct cw_event_sink *sink, struct cw_decode_stats *st,
                   size_t *consumed, size_t *needed);

#endif
