/* gtp.c - GTPv2-C (3GPP TS 29.274) and GTPv1-C (TS 29.060) (UDP port 2123) decoder (not written yet: consumes its input, emits nothing). */
#include "decode/gtp.h"

int cw_gtp_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
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
