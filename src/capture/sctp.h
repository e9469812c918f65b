/* sctp.h - SCTP chunks (RFC 9260 3.2, 3.3.1): walk the chunks of one packet and take DATA
 * chunks with their stream, TSN, payload protocol id and B/E fragment bits. */
#ifndef CW_SCTP_H
#define CW_SCTP_H

#include <stdint.h>

#include "util/cursor.h"

enum { CW_SCTP_DATA = 0 };

enum { CW_SCTP_FLAG_E = 1, CW_SCTP_FLAG_B = 2, CW_SCTP_FLAG_U = 4 };

/* Payload protocol identifiers (IANA) that choose a decoder. */
enum { CW_PPID_DIAMETER = 46, CW_PPID_DIAMETER_DTLS = 47 }; /* M3UA, M2PA: decode/sigtran.h */

struct cw_sctp_chunk {
    uint8_t type, flags;
    uint32_t tsn;        /* DATA only */
    uint16_t stream;     /* DATA only */
    uint32_t ppid;       /* DATA only */
    struct cw_slice data; /* DATA: the user data; other chunks: the chunk value */
};

/**
 * Take the next chunk from @p c (positioned at a chunk). Returns 1 with *out filled, 0 when
 * no chunk is left, -1 when the chunk is malformed (length < 4, past the packet, a DATA chunk
 * shorter than its 16-byte header): the rest of the packet is then not looked at.
 */
int cw_sctp_next_chunk(struct cw_cursor *c, struct cw_sctp_chunk *out);

#endif
