/* anomalies_diameter.h - what the diameter decoder could not decode, by reason: X(ID, "json_name").
 * Part of CW_DECODE_ANOMALIES in decode.h; owned by diameter.c. */
#ifndef CW_ANOMALIES_DIAMETER_H
#define CW_ANOMALIES_DIAMETER_H

#define CW_DIAMETER_ANOMALIES(X) X(DIAMETER_MALFORMED, "diameter_malformed")

#endif
