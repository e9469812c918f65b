/* anomalies_radius.h - what the radius decoder could not decode, by reason: X(ID, "json_name").
 * Part of CW_DECODE_ANOMALIES in decode.h; owned by radius.c. */
#ifndef CW_ANOMALIES_RADIUS_H
#define CW_ANOMALIES_RADIUS_H

#define CW_RADIUS_ANOMALIES(X) X(RADIUS_MALFORMED, "radius_malformed")

#endif
