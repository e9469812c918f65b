/* decode.c - names of the decoder anomaly reasons, generated from CW_DECODE_ANOMALIES. */
#include "decode/decode.h"

static const char *const anomaly_names[] = {
#define CW_X(id, name) name,
    CW_DECODE_ANOMALIES(CW_X)
#undef CW_X
};

const char *cw_decode_anomaly_name(unsigned a)
{
    return a < CW_DA__COUNT ? anomaly_names[a] : "unknown";
}
