/* anomalies_map.h - what the TCAP/MAP decoder could not decode, by reason: X(ID, "json_name").
 * Part of CW_DECODE_ANOMALIES in decode.h; owned by map.c. A tcap_* reason makes
 * cw_map_decode() return -1; a map_* reason does not (the TCAP message itself was fine).
 *
 * tcap_bad_ber      a BER tag or length that does not fit, anywhere in the message (MAP
 *                   argument included): a length past the end, a length of more than 4
 *                   octets, an indefinite length on a primitive or without its 00 00, a tag
 *                   number of more than 4 octets, bytes after the TCAP message
 * tcap_too_deep     nesting deeper than CW_MAP_MAX_DEPTH
 * tcap_unknown_type not a TCAP message type we know (ANSI TCAP, or not TCAP at all)
 * tcap_bad_field    well-formed BER that is not what Q.773 says: a transaction id that is not
 *                   1-4 octets, a required one missing, a portion twice or where its message
 *                   type has none, an unknown component type, a component without its invoke
 *                   id or operation code (or one out of range), a dialogue portion that holds
 *                   no dialogue PDU
 * map_bad_arg       a MAP argument that is not what its operation says (identity fields
 *                   missing or of the wrong type, a bad TBCD string): no event
 * map_bad_sms       sm-RP-UI is not a TPDU we can read (the event goes out without it) */
#ifndef CW_ANOMALIES_MAP_H
#define CW_ANOMALIES_MAP_H

#define CW_MAP_ANOMALIES(X)                                                              \
    X(TCAP_BAD_BER, "tcap_bad_ber")                                                      \
    X(TCAP_TOO_DEEP, "tcap_too_deep")                                                    \
    X(TCAP_UNKNOWN_TYPE, "tcap_unknown_type")                                            \
    X(TCAP_BAD_FIELD, "tcap_bad_field")                                                  \
    X(MAP_BAD_ARG, "map_bad_arg")                                                        \
    X(MAP_BAD_SMS, "map_bad_sms")

#endif
