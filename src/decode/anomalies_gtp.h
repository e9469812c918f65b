/* anomalies_gtp.h - what the gtp decoder could not decode, by reason: X(ID, "json_name").
 * Part of CW_DECODE_ANOMALIES in decode.h; owned by gtp.c. */
#ifndef CW_ANOMALIES_GTP_H
#define CW_ANOMALIES_GTP_H

/* not_gtpc       GTP' (a GTPv0/v1 header with PT 0), a G-PDU (type 255) or a GTP' data
 *                record message: user plane or charging, not ours (message dropped)
 * bad_version    version 3 to 7, or a piggybacked message that is not GTPv2 (rest dropped)
 * truncated      datagram shorter than a header or than its Length says, or a P flag with
 *                no whole message after it (the message is dropped)
 * bad_length     Length smaller than the header's own mandatory fields (rest dropped)
 * trailing       bytes after the last message (no P flag / GTPv1); the message is decoded
 * bad_ext_header GTPv1 extension header of length 0 or past the end (IEs not read)
 * ie_overrun     IE header or value past the end of the message (rest of the IEs skipped)
 * ie_unknown_tv  GTPv1 TV IE type whose fixed length is unknown (rest of the IEs skipped)
 * bad_value      identity IE that is not what it should be: IMSI too long or short, a filler
 *                in the middle, non-decimal nibbles, MEI not 14-16 digits (that IE ignored) */
#define CW_GTP_ANOMALIES(X)                                                              \
    X(GTP_NOT_GTPC, "gtp_not_gtpc")                                                      \
    X(GTP_BAD_VERSION, "gtp_bad_version")                                                \
    X(GTP_TRUNCATED, "gtp_truncated")                                                    \
    X(GTP_BAD_LENGTH, "gtp_bad_length")                                                  \
    X(GTP_TRAILING, "gtp_trailing")                                                      \
    X(GTP_BAD_EXT_HEADER, "gtp_bad_ext_header")                                          \
    X(GTP_IE_OVERRUN, "gtp_ie_overrun")                                                  \
    X(GTP_IE_UNKNOWN_TV, "gtp_ie_unknown_tv")                                            \
    X(GTP_BAD_VALUE, "gtp_bad_value")

#endif
