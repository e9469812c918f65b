/* websocket.c - WebSocket frames and the HTTP upgrade that starts them, for SIP over
 * WebSocket.
 *
 * Implements the opening handshake's header checks (RFC 6455 4.1, 4.2.2; RFC 7118 5 for the
 * "sip" subprotocol) and the base framing protocol (RFC 6455 5.2 header, 5.3 masking, 5.4
 * fragmentation, 5.5 control frames):
 *
 *   GET / HTTP/1.1                        HTTP/1.1 101 Switching Protocols
 *   Upgrade: websocket                    Upgrade: websocket
 *   Connection: Upgrade                   Connection: Upgrade
 *   Sec-WebSocket-Protocol: sip           Sec-WebSocket-Protocol: sip
 *   (empty line)                          (empty line)
 *   then frames:  |FIN RSV opcode|MASK len7|[len16 | len64]|[key 4]| payload ...
 *
 * Every read is bounded by the slice; nothing is allocated.
 */
#include "decode/websocket.h"

#include <string.h>

#include "util/cursor.h"
#include "util/slice.h"

#define WS_FIN 0x80u
#define WS_RSV 0x70u
#define WS_OPCODE 0x0Fu
#define WS_MASK 0x80u
#define WS_LEN7 0x7Fu
#define WS_LEN16 126u
#define WS_LEN64 127u
#define WS_CONTROL_MAX 125u
/* Payload bytes a resync candidate's payload_ok sees. */
#define WS_PROBE 64u

static int opcode_defined(unsigned op)
{
    return op <= CW_WS_BINARY || (op >= CW_WS_CLOSE && op <= CW_WS_PONG);
}

int cw_ws_frame_parse(struct cw_slice data, struct cw_ws_frame *f, size_t *needed)
{
    size_t dummy;
    if (!needed)
        needed = &dummy;
    *needed = 0;
    memset(f, 0, sizeof *f);
    if (!data.p)
        data.len = 0;
    struct cw_cursor c = cw_cur_make(data.p, data.len);
    uint8_t b0 = cw_cur_u8(&c);
    if (c.err) {
        *needed = 2;
        return CW_PARSE_INCOMPLETE;
    }
    f->fin = (b0 & WS_FIN) != 0;
    f->rsv = (uint8_t)((b0 & WS_RSV) >> 4);
    f->opcode = b0 & WS_OPCODE;
    if (!opcode_defined(f->opcode) || (cw_ws_is_control(f->opcode) && !f->fin))
        return CW_PARSE_ERROR;
    uint8_t b1 = cw_cur_u8(&c);
    if (c.err) {
        *needed = 1;
        return CW_PARSE_INCOMPLETE;
    }
    f->masked = (b1 & WS_MASK) != 0;
    unsigned len7 = b1 & WS_LEN7;
    if (cw_ws_is_control(f->opcode) && len7 > WS_CONTROL_MAX)
        return CW_PARSE_ERROR;
    size_t ext = len7 == WS_LEN16 ? 2 : len7 == WS_LEN64 ? 8 : 0;
    f->hdr_len = 2 + ext + (f->masked ? 4 : 0);
    if (f->hdr_len > data.len) {
        /* the 64-bit length's top bit can be refused as soon as it is there */
        if (ext == 8 && data.len > 2 && (data.p[2] & 0x80u))
            return CW_PARSE_ERROR;
        *needed = f->hdr_len - data.len;
        return CW_PARSE_INCOMPLETE;
    }
    if (ext == 2) {
        f->payload_len = cw_cur_u16be(&c);
    } else if (ext == 8) {
        uint64_t hi = cw_cur_u32be(&c);
        uint64_t lo = cw_cur_u32be(&c);
        if (hi & 0x80000000u)
            return CW_PARSE_ERROR; /* RFC 6455 5.2: the most significant bit MUST be 0 */
        f->payload_len = (hi << 32) | lo;
    } else {
        f->payload_len = len7;
    }
    if (f->masked)
        for (int i = 0; i < 4; i++)
            f->key[i] = cw_cur_u8(&c);
    return CW_PARSE_OK;
}

void cw_ws_unmask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t key[4],
                  uint64_t off)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] ^ key[(off + i) & 3u];
}

/* ---- the HTTP upgrade ---- */

static int is_tchar(uint8_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static struct cw_slice trim_ows(struct cw_slice s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t' || s.p[s.len - 1] == '\r'))
        s.len--;
    return s;
}

/* Does the comma-separated list @p v hold the token @p tok (any case)? */
static int list_has(struct cw_slice v, const char *tok)
{
    size_t i = 0;
    while (i <= v.len) {
        size_t j = i;
        while (j < v.len && v.p[j] != ',')
            j++;
        if (cw_slice_ieq(trim_ows(cw_slice_make(v.p + i, j - i)), tok))
            return 1;
        i = j + 1;
    }
    return 0;
}

/* Could [p, p + n) (the first line so far, or all of it) start an HTTP request or response? */
static int first_line_prefix_ok(const uint8_t *p, size_t n)
{
    static const char get[] = "GET ", http[] = "HTTP/1.";
    size_t g = n < 4 ? n : 4, h = n < 7 ? n : 7;
    return memcmp(p, get, g) == 0 || memcmp(p, http, h) == 0;
}

/* The first line [p, e) (line end excluded): fills is_request / status. */
static int first_line(const uint8_t *p, const uint8_t *e, struct cw_ws_http *h)
{
    struct cw_slice line = trim_ows(cw_slice_make(p, (size_t)(e - p)));
    for (size_t i = 0; i < line.len; i++)
        if (line.p[i] < 0x20 && line.p[i] != '\t')
            return -1;
    if (line.len >= 12 && memcmp(line.p, "HTTP/1.", 7) == 0 && line.p[8] == ' ') {
        const uint8_t *d = line.p + 9;
        for (int i = 0; i < 3; i++)
            if (d[i] < '0' || d[i] > '9')
                return -1;
        if (line.len > 12 && line.p[12] != ' ')
            return -1;
        h->is_request = 0;
        h->status = (unsigned)(d[0] - '0') * 100 + (unsigned)(d[1] - '0') * 10 +
                    (unsigned)(d[2] - '0');
        return 0;
    }
    if (line.len < 4 || memcmp(line.p, "GET ", 4) != 0)
        return -1;
    const uint8_t *sp = memchr(line.p + 4, ' ', line.len - 4);
    if (!sp || sp == line.p + 4)
        return -1;
    struct cw_slice ver = trim_ows(cw_slice_make(sp + 1, line.len - (size_t)(sp + 1 - line.p)));
    if (ver.len != 8 || memcmp(ver.p, "HTTP/1.", 7) != 0)
        return -1;
    h->is_request = 1;
    return 0;
}

int cw_ws_http_parse(struct cw_slice data, struct cw_ws_http *h)
{
    memset(h, 0, sizeof *h);
    if (!data.p)
        data.len = 0;
    size_t lim = data.len < CW_WS_HTTP_MAX ? data.len : CW_WS_HTTP_MAX;
    const uint8_t *p = data.p, *end = data.p + lim;
    const uint8_t *nl = lim ? memchr(p, '\n', lim) : NULL;
    if (!nl) {
        if (lim && !first_line_prefix_ok(p, lim))
            return CW_PARSE_ERROR;
        return data.len >= CW_WS_HTTP_MAX ? CW_PARSE_ERROR : CW_PARSE_INCOMPLETE;
    }
    if (first_line(p, nl, h) != 0)
        return CW_PARSE_ERROR;
    int upgrade = 0;
    const uint8_t *line = nl + 1;
    for (;;) {
        nl = line < end ? memchr(line, '\n', (size_t)(end - line)) : NULL;
        if (!nl) {
            memset(h, 0, sizeof *h);
            return data.len >= CW_WS_HTTP_MAX ? CW_PARSE_ERROR : CW_PARSE_INCOMPLETE;
        }
        struct cw_slice l = cw_slice_make(line, (size_t)(nl - line));
        if (l.len && l.p[l.len - 1] == '\r')
            l.len--;
        line = nl + 1;
        if (l.len == 0)
            break;
        size_t k = 0;
        while (k < l.len && is_tchar(l.p[k]))
            k++;
        if (k == 0 || k == l.len || l.p[k] != ':')
            continue; /* not a header field (or a folded line): nothing we read */
        struct cw_slice name = cw_slice_make(l.p, k);
        struct cw_slice value = cw_slice_make(l.p + k + 1, l.len - k - 1);
        if (cw_slice_ieq(name, "Upgrade") && list_has(value, "websocket"))
            upgrade = 1;
        else if (cw_slice_ieq(name, "Sec-WebSocket-Protocol") && list_has(value, "sip"))
            h->sip = 1;
    }
    h->upgrade = upgrade && (h->is_request || h->status == 101);
    h->len = (size_t)(line - data.p);
    return CW_PARSE_OK;
}

/* ---- resynchronisation ---- */

/* A frame at @p p (@p n bytes there) that could start a message; see cw_ws_resync. */
static int resync_frame(const uint8_t *p, size_t n, uint64_t max_payload,
                        int (*payload_ok)(const uint8_t *, size_t))
{
    if (n >= 1) {
        unsigned op = p[0] & WS_OPCODE;
        if ((p[0] & WS_RSV) || (op != CW_WS_TEXT && op != CW_WS_BINARY))
            return 0;
    }
    if (n < 2)
        return 1;
    struct cw_ws_frame f;
    size_t need;
    int rc = cw_ws_frame_parse(cw_slice_make(p, n), &f, &need);
    if (rc == CW_PARSE_ERROR)
        return 0;
    unsigned len7 = p[1] & WS_LEN7;
    if (len7 == 0)
        return 0;
    if (rc == CW_PARSE_INCOMPLETE) {
        /* the extended length so far: shortest form and within the cap, when whole */
        if (len7 == WS_LEN16 && n >= 4)
            return ((unsigned)p[2] << 8 | p[3]) >= WS_LEN16 &&
                   ((unsigned)p[2] << 8 | p[3]) <= max_payload;
        if (len7 == WS_LEN64 && n >= 10) {
            uint64_t l = 0;
            for (int i = 0; i < 8; i++)
                l = l << 8 | p[2 + i];
            return l > 0xFFFFu && l <= max_payload;
        }
        return 1;
    }
    if ((len7 == WS_LEN16 && f.payload_len < WS_LEN16) ||
        (len7 == WS_LEN64 && f.payload_len <= 0xFFFFu) || f.payload_len > max_payload)
        return 0;
    if (!payload_ok)
        return 1;
    size_t have = n - f.hdr_len;
    if (have > f.payload_len)
        have = (size_t)f.payload_len;
    if (have > WS_PROBE)
        have = WS_PROBE;
    uint8_t probe[WS_PROBE];
    cw_ws_unmask(probe, p + f.hdr_len, have, f.key, 0);
    return payload_ok(probe, have);
}

size_t cw_ws_resync(struct cw_slice data, uint64_t max_payload,
                    int (*payload_ok)(const uint8_t *p, size_t n))
{
    if (!data.p)
        return 0;
    for (size_t i = 0; i < data.len; i++)
        if (resync_frame(data.p + i, data.len - i, max_payload, payload_ok))
            return i;
    return data.len;
}
