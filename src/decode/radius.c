/* radius.c - RADIUS Accounting (RFC 2866, 3GPP TS 29.061 vendor attributes) (UDP) decoder (not written yet: consumes its input, emits nothing). */
#include "decode/radius.h"

int cw_radius_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
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
