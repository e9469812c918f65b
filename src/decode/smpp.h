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

#endif
