/* diameter.h - Diameter (RFC 6733) decoder for S6a/S6d, SGd/Gdd and Gx/Gy/Ro requests: subscriber
 * attach and authentication, SMS over Diameter, and charging (data) sessions. */
#ifndef CW_DECODE_DIAMETER_H
#define CW_DECODE_DIAMETER_H

#include "decode/decode.h"

/* Largest message accepted; a longer header length is an error, not a wait for more bytes. */
#define CW_DIAMETER_MAX_MSG (1u << 20)

/**
 * Decode the Diameter messages in @p data, emitting one event per request that shows a card in
 * use (Update-Location: register, Authentication-Information: auth, Credit-Control: data_session,
 * MO-/MT-Forward-Short-Message: sms_mo / sms_mt); every whole message is counted in
 * st->messages[CW_PROTO_DIAMETER]. Contract as in decode.h.
 *
 * With meta->is_stream (TCP) @p data is the in-order byte stream of one direction: several
 * messages per call, a partial last message gives CW_PARSE_INCOMPLETE with *consumed = the bytes
 * of the whole messages before it and *needed = the bytes still missing (exact once its length
 * field has arrived, else up to the 20-byte header). Without it (an SCTP DATA chunk user
 * message) @p data holds one or more whole messages; a short one is counted as truncated and
 * gives CW_PARSE_ERROR. A bad version or header length gives CW_PARSE_ERROR on either.
 * @p meta, @p sink, @p st, @p consumed and @p needed may be NULL. Events point into nothing:
 * every field is copied into the event.
 */
int cw_diameter_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                       const struct cw_event_sink *sink, struct cw_decode_stats *st,
                       size_t *consumed, size_t *needed);

/**
 * Where a TCP stream that lost its place (a capture starting mid-stream, bytes lost in a gap, a
 * message the decoder refused) can pick up again: the offset in @p data of the first byte that
 * could start a message, or data.len when there is none. A message starts where
 *   - the header is plausible: version 1; message length >= 20, a multiple of 4, at most
 *     CW_DIAMETER_MAX_MSG; command flags with the reserved bits 0 and not both R and E (an
 *     error is an answer); command code not 0;
 *   - the first AVP header after the 20-byte header (when the length leaves room for one) is
 *     plausible: flags with the reserved bits 0, AVP length >= 8 (12 with the V flag) and
 *     within the message;
 *   - when the bytes go on past the message length, the header after the message is
 *     plausible too.
 * Bytes at the end too few to tell (only the fields that are whole are checked) count as a
 * possible start: the caller keeps them and looks again when more arrive. Reads nothing
 * outside @p data.
 */
size_t cw_diameter_resync(struct cw_slice data);

#endif
