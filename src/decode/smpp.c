/* smpp.c - SMPP 3.4 / 5.0 (TCP) decoder (not written yet: consumes its input, emits nothing). */
#include "decode/smpp.h"

int cw_smpp_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                   const struct cw_event_sink *sink, struct cw_decode_stats *st,
                   size_t *consumed, size_t *needed)
{
    (void)meta;
    (void)sink;
    (void)st;
    *consumed = data.len;
    *needed = 0;
    return CW_PARSE_OK;
}
