/* websocket.h - WebSocket framing (RFC 6455) for SIP over WebSocket (RFC 7118): the HTTP/1.1
 * upgrade handshake that starts it, frame headers, unmasking, and finding a frame boundary in
 * a stream that lost its place. Pure functions on slices: nothing allocated, nothing kept. */
#ifndef CW_DECODE_WEBSOCKET_H
#define CW_DECODE_WEBSOCKET_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

/* Opcodes (RFC 6455 5.2, 11.8); 3-7 and 11-15 are reserved. */
enum cw_ws_opcode {
    CW_WS_CONTINUATION = 0x0,
    CW_WS_TEXT = 0x1,
    CW_WS_BINARY = 0x2,
    CW_WS_CLOSE = 0x8,
    CW_WS_PING = 0x9,
    CW_WS_PONG = 0xA,
};

/* Largest HTTP header block read while looking for an upgrade. */
#define CW_WS_HTTP_MAX 8192

/* One frame header. The payload (payload_len bytes) follows the hdr_len header bytes. */
struct cw_ws_frame {
    uint8_t fin;    /* 1: last fragment of its message */
    uint8_t rsv;    /* RSV1..3 (bits 2..0): 0 unless an extension was agreed; RSV1 is
                     * permessage-deflate's "compressed" (RFC 7692) */
    uint8_t opcode; /* enum cw_ws_opcode */
    uint8_t masked;
    uint8_t key[4]; /* the masking key; all 0 when not masked (unmasking is then a copy) */
    size_t hdr_len; /* 2 to 14 */
    uint64_t payload_len;
};

/** Is @p opcode a control frame (close, ping, pong, reserved 11-15)? */
static inline int cw_ws_is_control(unsigned opcode)
{
    return (opcode & 0x8u) != 0;
}

/**
 * Read the frame header at the start of @p data (RFC 6455 5.2):
 *
 *   0                   1                   2                   3
 *   |F|R|R|R| opcode|M| payload len |  extended payload length (16 or 64 bits,   |
 *   |I|S|S|S|  (4)  |A|     (7)     |  when len is 126 or 127)                    |
 *   |N|V|V|V|       |S|             |                                             |
 *   | |1|2|3|       |K|             |  masking key (4 octets, when MASK is set)   |
 *
 * Returns CW_PARSE_OK with *f filled (the payload may not all be in @p data yet: that is the
 * caller's to check against f->payload_len); CW_PARSE_INCOMPLETE when the header itself is cut
 * short, with *needed the header bytes still missing (from what the first two octets say);
 * CW_PARSE_ERROR when these bytes are no frame header: a reserved opcode, a control frame that
 * is fragmented or has more than 125 bytes of payload, or a 64-bit length with its most
 * significant bit set. A length not in its shortest form is accepted (as browsers and
 * Wireshark do). @p needed may be NULL.
 */
int cw_ws_frame_parse(struct cw_slice data, struct cw_ws_frame *f, size_t *needed);

/**
 * Unmask (RFC 6455 5.3) @p n payload bytes from @p src into @p dst with @p key, the first of
 * them being byte @p off of the payload (so a payload can be unmasked piece by piece). With an
 * all-zero key this is a copy. @p dst may be @p src or lie before it (each byte is read before
 * any byte after it is written): a message's fragments can be joined in place.
 */
void cw_ws_unmask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t key[4],
                  uint64_t off);

/* What an HTTP/1.1 header block says about a WebSocket upgrade (RFC 6455 4.1, 4.2.2). */
struct cw_ws_http {
    int is_request; /* 1: a GET request line; 0: a status line */
    unsigned status; /* responses: the status code */
    int upgrade;     /* "Upgrade: websocket" (a token of the list, any case); for a response,
                      * only with status 101 */
    int sip;         /* "Sec-WebSocket-Protocol" lists "sip" (RFC 7118 5, any case) */
    size_t len;      /* bytes of the header block, the empty line included */
};

/**
 * Read the HTTP/1.1 header block at the start of @p data: a request line "GET" SP target SP
 * "HTTP/1.x" or a status line "HTTP/1.x" SP 3DIGIT, header lines, the empty line (CRLF, or a
 * bare LF). Returns CW_PARSE_OK with *h filled; CW_PARSE_INCOMPLETE when the block has not
 * ended yet and its bytes so far could still be one; CW_PARSE_ERROR when they are not an HTTP
 * request or response, or no empty line comes in the first CW_WS_HTTP_MAX bytes.
 */
int cw_ws_http_parse(struct cw_slice data, struct cw_ws_http *h);

/**
 * Where a WebSocket byte stream that lost its place (bytes lost in a gap, framing refused) can
 * pick up again: the offset in @p data of the first frame header that could start a message,
 * or data.len when there is none. It is a text or binary frame (FIN either way: a message or
 * its first fragment), RSV bits 0, its length in the shortest form, not 0 and at most
 * @p max_payload, and its first payload bytes (unmasked, at most 64 of them, as far as they
 * are there) accepted by @p payload_ok (NULL: any). A header cut short by the end of @p data
 * whose whole fields fit counts as a possible start: the caller keeps the bytes from there and
 * looks again when more arrive. Reads nothing outside @p data.
 */
size_t cw_ws_resync(struct cw_slice data, uint64_t max_payload,
                    int (*payload_ok)(const uint8_t *p, size_t n));

#endif
