/* anomalies_diameter.h - what the diameter decoder could not decode, by reason: X(ID, "json_name").
 * Part of CW_DECODE_ANOMALIES in decode.h; owned by diameter.c. */
#ifndef CW_ANOMALIES_DIAMETER_H
#define CW_ANOMALIES_DIAMETER_H

/* bad_version    header version is not 1 (the rest of the slice is dropped)
 * bad_length     header length < 20, not a multiple of 4, or over 1 MiB (rest dropped)
 * truncated      a datagram / SCTP user message shorter than its header says
 * avp_bad_length AVP length < 8, or < 12 with the V flag (rest of its parent skipped)
 * avp_overrun    AVP header or data past the end of its parent (rest of its parent skipped)
 * avp_padding    an AVP's data fits its parent but its padding to 4 does not
 * depth          Grouped AVPs nested deeper than the cap (counted once per message)
 * bad_value      an identity AVP that is not what its type says (digits, TBCD, enum size)
 * no_identity    a request that maps to an event carried no IMSI, number or IMEI (a CCR
 *                update or termination need not: it gives no event and is not counted)
 * bad_sms_pdu    an SGd SM-RP-UI that is not an SMS-SUBMIT / SMS-DELIVER TPDU */
#define CW_DIAMETER_ANOMALIES(X)                                                         \
    X(DIAMETER_BAD_VERSION, "diameter_bad_version")                                      \
    X(DIAMETER_BAD_LENGTH, "diameter_bad_length")                                        \
    X(DIAMETER_TRUNCATED, "diameter_truncated")                                          \
    X(DIAMETER_AVP_BAD_LENGTH, "diameter_avp_bad_length")                                \
    X(DIAMETER_AVP_OVERRUN, "diameter_avp_overrun")                                      \
    X(DIAMETER_AVP_PADDING, "diameter_avp_padding")                                      \
    X(DIAMETER_DEPTH, "diameter_depth")                                                  \
    X(DIAMETER_BAD_VALUE, "diameter_bad_value")                                          \
    X(DIAMETER_NO_IDENTITY, "diameter_no_identity")                                      \
    X(DIAMETER_BAD_SMS_PDU, "diameter_bad_sms_pdu")

#endif
