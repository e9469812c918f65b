/* sctp.c - SCTP chunk walk (RFC 9260).
 *
 *   chunk: type(1) flags(1) length(2, includes these 4 bytes, excludes padding) value, padded
 *          to a multiple of 4
 *   DATA:  flags U B E; TSN(4) stream id(2) stream seq(2) payload protocol id(4) user data
 */
#include "capture/sctp.h"

int cw_sctp_next_chunk(struct cw_cursor *c, struct cw_sctp_chunk *out)
{
    if (cw_cur_left(c) == 0)
        return 0;
    uint8_t type = cw_cur_u8(c);
    uint8_t flags = cw_cur_u8(c);
    uint16_t len = cw_cur_u16be(c);
    if (c->err || len < 4 || (size_t)(len - 4) > cw_cur_left(c))
        return -1;
    struct cw_cursor v = cw_cur_make(c->p, (size_t)len - 4);
    cw_cur_skip(c, (size_t)len - 4);
    /* padding to 4 bytes; the last chunk's padding may be missing in a cut capture */
    size_t pad = (4 - (len & 3)) & 3;
    cw_cur_skip(c, pad < cw_cur_left(c) ? pad : cw_cur_left(c));
    out->type = type;
    out->flags = flags;
    out->tsn = 0;
    out->stream = 0;
    out->ppid = 0;
    if (type == CW_SCTP_DATA) {
        out->tsn = cw_cur_u32be(&v);
        out->stream = cw_cur_u16be(&v);
        cw_cur_skip(&v, 2); /* stream sequence number */
        out->ppid = cw_cur_u32be(&v);
        if (v.err)
            return -1;
    }
    out->data = cw_cur_rest(&v);
    return 1;
}
