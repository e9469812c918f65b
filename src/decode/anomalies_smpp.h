/* anomalies_smpp.h - what the smpp decoder could not decode, by reason: X(ID, "json_name").
 * Part of CW_DECODE_ANOMALIES in decode.h; owned by smpp.c. */
#ifndef CW_ANOMALIES_SMPP_H
#define CW_ANOMALIES_SMPP_H

/* BAD_LENGTH and UNKNOWN_COMMAND lose the stream's framing (the decoder returns ERROR); the
 * others concern one PDU, which is skipped (or, for TLV / UDH / text, used as far as it goes). */
#define CW_SMPP_ANOMALIES(X)                                                             \
    X(SMPP_BAD_LENGTH, "smpp_bad_length")                                                \
    X(SMPP_UNKNOWN_COMMAND, "smpp_unknown_command")                                      \
    X(SMPP_TRUNCATED_PDU, "smpp_truncated_pdu")                                          \
    X(SMPP_UNTERMINATED_STRING, "smpp_unterminated_string")                              \
    X(SMPP_STRING_TOO_LONG, "smpp_string_too_long")                                      \
    X(SMPP_TRUNCATED_BODY, "smpp_truncated_body")                                        \
    X(SMPP_BAD_SM_LENGTH, "smpp_bad_sm_length")                                          \
    X(SMPP_BAD_DEST_FLAG, "smpp_bad_dest_flag")                                          \
    X(SMPP_BAD_TLV, "smpp_bad_tlv")                                                      \
    X(SMPP_BAD_UDH, "smpp_bad_udh")                                                      \
    X(SMPP_BAD_TEXT, "smpp_bad_text")                                                    \
    X(SMPP_TEXT_TOO_LONG, "smpp_text_too_long")

#endif
