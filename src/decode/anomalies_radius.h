/* anomalies_radius.h - what the radius decoder could not decode, by reason: X(ID, "json_name").
 * Part of CW_DECODE_ANOMALIES in decode.h; owned by radius.c. */
#ifndef CW_ANOMALIES_RADIUS_H
#define CW_ANOMALIES_RADIUS_H

/* truncated        datagram shorter than the 20-octet header or than its Length (dropped)
 * bad_length       Length field below 20 (dropped)
 * bad_code         Code 0 or 255, reserved by RFC 3575 (dropped: this is not RADIUS)
 * attr_bad_length  attribute length 0 or 1 (rest of the attributes skipped)
 * attr_overrun     attribute past the packet's Length (rest of the attributes skipped)
 * vsa_bad_length   Vendor-Specific shorter than its Vendor-Id, or a 3GPP sub-attribute
 *                  whose length is below 2 or past the attribute (rest of it skipped)
 * bad_value        3GPP-IMSI that is not 6-15 digits, 3GPP-IMEISV that is not an IMEI(SV)
 *                  (that attribute ignored) */
#define CW_RADIUS_ANOMALIES(X)                                                           \
    X(RADIUS_TRUNCATED, "radius_truncated")                                              \
    X(RADIUS_BAD_LENGTH, "radius_bad_length")                                            \
    X(RADIUS_BAD_CODE, "radius_bad_code")                                                \
    X(RADIUS_ATTR_BAD_LENGTH, "radius_attr_bad_length")                                  \
    X(RADIUS_ATTR_OVERRUN, "radius_attr_overrun")                                        \
    X(RADIUS_VSA_BAD_LENGTH, "radius_vsa_bad_length")                                    \
    X(RADIUS_BAD_VALUE, "radius_bad_value")

#endif
