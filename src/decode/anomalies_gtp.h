/* anomalies_gtp.h - what the gtp decoder could not decode, by reason: X(ID, "json_name").
 * Part of CW_DECODE_ANOMALIES in decode.h; owned by gtp.c. */
#ifndef CW_ANOMALIES_GTP_H
#define CW_ANOMALIES_GTP_H

#define CW_GTP_ANOMALIES(X) X(GTP_MALFORMED, "gtp_malformed")

#endif
