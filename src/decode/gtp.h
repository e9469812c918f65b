/* gtp.h - GTPv2-C (3GPP TS 29.274) and GTPv1-C (TS 29.060) (UDP port 2123) decoder: data
 * sessions of data cards and handsets. */
#ifndef CW_DECODE_GTP_H
#define CW_DECODE_GTP_H

#include "decode/decode.h"

/**
 * Decode the GTP-C message(s) of one UDP datagram @p data: a GTPv2-C message and any messages
 * piggybacked on it, or one GTPv1-C message. Emits one data_session event (proto gtp) per
 * GTPv2 Create Session Request / Modify Bearer Request and per GTPv1 Create PDP Context
 * Request that carries a valid IMSI, MSISDN (calling, international) or IMEI(SV) (as 15
 * digits with its Luhn check digit); its cell is the User Location Information's (GTPv2: the
 * ECGI as "<MCC><MNC>-<ECI 7 hex>", else the CGI or SAI as "<MCC><MNC>-<LAC>-<CI|SAC>", 4 hex
 * each; GTPv1: the CGI, SAI or RAI, "<MCC><MNC>-<LAC>-<RAC 2 hex>" for the RAI), empty when
 * there is none; a malformed ULI is counted as bad_value. Every message with a whole header is
 * counted in st->messages[CW_PROTO_GTP]; GTPv0, GTP' and G-PDUs are not GTP-C and only counted as
 * an anomaly. The input is always taken as one datagram (meta->is_stream is not used): *consumed is
 * data.len and *needed 0. Returns CW_PARSE_OK, or CW_PARSE_ERROR when any anomaly was counted
 * (events of the well-formed parts may still have been emitted). @p meta, @p sink and
 * @p st may be NULL. Event strings live on the decoder's stack, valid during the emit call.
 */
int cw_gtp_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                  const struct cw_event_sink *sink, struct cw_decode_stats *st, size_t *consumed,
                  size_t *needed);

#endif
