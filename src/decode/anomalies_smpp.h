/* anomalies_smpp.h - what the smpp decoder could not decode, by reason: X(ID, "json_name").
 * Part of CW_DECODE_ANOMALIES in decode.h; owned by smpp.c. */
#ifndef CW_ANOMALIES_SMPP_H
#define CW_ANOMALIES_SMPP_H

#define CW_SMPP_ANOMALIES(X) X(SMPP_MALFORMED, "smpp_malformed")

#endif
