/* smpp.h - SMPP 3.4 / 5.0 (TCP) decoder: SMS submitted and delivered through an SMS centre's
 * ESME interface. */
#ifndef CW_DECODE_SMPP_H
#define CW_DECODE_SMPP_H

#include "decode/decode.h"

/**
 * Decode the SMPP PDUs in @p data (the in-order stream bytes of one direction of a TCP flow;
 * with meta->is_stream 0, one datagram that must hold whole PDUs), framed by command_length.
 * Several PDUs in one slice are decoded in turn. Contract as in decode.h: a PDU cut short
 * gives INCOMPLETE with *needed (at least 16 bytes of header, then command_length); a
 * command_length below 16 or above 64 KiB, or an undefined command_id, gives ERROR.
 *
 * Events (proto smpp; time, frame and file from @p meta):
 *   submit_sm, data_sm -> sms_mo; deliver_sm -> sms_mt; submit_multi -> one sms_mo per SME
 *   destination (none for a distribution list). calling = source_addr, called =
 *   destination_addr: digits (a leading '+' dropped) when the address is all digits and TON
 *   is not 5 (INTL flag with TON 1 or '+'), else the raw address cut to fit (ALNUM flag).
 *   text = message_payload TLV, else short_message, after the UDH when esm_class has UDHI,
 *   as UTF-8 by data_coding (0 GSM 7-bit unpacked, 1 IA5, 3 Latin-1, 8 UCS-2; others none).
 * The text points into a buffer on the decoder's stack: valid only during the emit call.
 * Every PDU is counted in st->messages[CW_PROTO_SMPP]; malformed input by reason in
 * st->anomalies (st may be NULL; so may consumed and needed).
 */
int cw_smpp_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                   const struct cw_event_sink *sink, struct cw_decode_stats *st,
                   size_t *consumed, size_t *needed);

/**
 * Where a stream that lost its place (a capture starting mid-stream, bytes lost in a gap, a PDU
 * the decoder refused) can pick up again: the offset in @p data of the first byte that could
 * start a PDU, or data.len when there is none. A PDU starts where the 16-byte header is
 * plausible:
 *   - command_length 16..64 KiB (the decoder's maximum); exactly 16 for the PDUs without a
 *     body (enquire_link, unbind, their responses, generic_nack); at least 33 for submit_sm and
 *     deliver_sm and 26 for data_sm (their mandatory fields with every string empty);
 *   - command_id one the decoder knows (a request, or its response with bit 0x80000000);
 *   - command_status 0 for a request, at most 0x4FF for a response (the defined errors and the
 *     SMSC vendor range);
 *   - sequence_number at most 0x7FFFFFFF;
 * and, when the bytes go on past command_length, the header after the PDU is plausible too.
 * Bytes at the end too few to tell (a header cut short: only its whole fields are checked)
 * count as a possible start: the caller keeps them and looks again when more arrive. Reads
 * nothing outside @p data.
 */
size_t cw_smpp_resync(struct cw_slice data);

#endif
