/* fuzz_websocket.c - libFuzzer target for the WebSocket framing (decode/websocket.h): the input,
 * from an exactly-sized copy, is read as a frame header, walked frame by frame as the dissector
 * does (payloads unmasked, a message's fragments joined in place and compared with a plain
 * unmasking), scanned for a frame boundary (cw_ws_resync) and read as an HTTP upgrade. The
 * stream resync rules of SIP, SMPP and Diameter run on the same bytes. Every result is checked
 * against what the headers promise. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/diameter.h"
#include "decode/sip.h"
#include "decode/smpp.h"
#include "decode/websocket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                           \
    do {                                                                                   \
        if (!(c))                                                                          \
            abort();                                                                       \
    } while (0)

static int sip_payload(const uint8_t *p, size_t n)
{
    return cw_sip_resync(cw_slice_make(p, n)) == 0;
}

/* One header: the promises of cw_ws_frame_parse. */
static void check_header(const uint8_t *buf, size_t len)
{
    struct cw_ws_frame f;
    size_t need = 12345;
    int rc = cw_ws_frame_parse(cw_slice_make(buf, len), &f, &need);
    if (rc == CW_PARSE_OK) {
        CHECK(need == 0);
        CHECK(f.hdr_len >= 2 && f.hdr_len <= 14 && f.hdr_len <= len);
        unsigned len7 = buf[1] & 0x7f;
        size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
        CHECK(f.hdr_len == 2 + ext + (f.masked ? 4 : 0));
        CHECK(f.opcode == (buf[0] & 0x0f) && f.fin == (buf[0] >> 7));
        CHECK(f.rsv == ((buf[0] >> 4) & 7));
        CHECK(f.opcode <= 2 || (f.opcode >= 8 && f.opcode <= 10));
        if (cw_ws_is_control(f.opcode))
            CHECK(f.fin && f.payload_len <= 125);
        CHECK(f.payload_len < (1ull << 63));
        if (ext == 0)
            CHECK(f.payload_len == len7);
        if (!f.masked)
            CHECK((f.key[0] | f.key[1] | f.key[2] | f.key[3]) == 0);
    } else if (rc == CW_PARSE_INCOMPLETE) {
        CHECK(len < 14 && need > 0 && len + need <= 14);
        /* with the bytes it asked for, a header whose length octet was there is whole */
        if (len >= 2) {
            uint8_t more[14];
            memcpy(more, buf, len);
            memset(more + len, 0, need);
            CHECK(cw_ws_frame_parse(cw_slice_make(more, len + need), &f, NULL) == CW_PARSE_OK);
        }
    } else {
        CHECK(rc == CW_PARSE_ERROR);
    }
}

/* Walk the frames as ws_parse does: each whole data message is joined in place (into a copy)
 * and compared with unmasking each payload on its own. */
static void walk(const uint8_t *buf, size_t len)
{
    uint8_t *work = malloc(len ? len : 1);
    uint8_t *ref = malloc(len ? len : 1);
    CHECK(work && ref);
    memcpy(work, buf, len);
    size_t start = 0, pos = 0, refn = 0;
    while (pos < len) {
        struct cw_ws_frame f;
        if (cw_ws_frame_parse(cw_slice_make(buf + pos, len - pos), &f, NULL) != CW_PARSE_OK)
            break;
        if (f.payload_len > len - pos - f.hdr_len)
            break; /* the payload is not all there */
        size_t plen = (size_t)f.payload_len, fend = pos + f.hdr_len + plen;
        if (!cw_ws_is_control(f.opcode)) {
            cw_ws_unmask(ref + refn, buf + pos + f.hdr_len, plen, f.key, 0);
            refn += plen;
        }
        if (!cw_ws_is_control(f.opcode) && f.fin) {
            /* join [start, fend) in place, as the dissector does */
            size_t q = start, n = 0;
            while (q < fend) {
                struct cw_ws_frame g;
                CHECK(cw_ws_frame_parse(cw_slice_make(work + q, fend - q), &g, NULL) ==
                      CW_PARSE_OK);
                size_t gl = (size_t)g.payload_len;
                CHECK(gl <= fend - q - g.hdr_len);
                if (!cw_ws_is_control(g.opcode)) {
                    CHECK(work + start + n <= work + q + g.hdr_len);
                    cw_ws_unmask(work + start + n, work + q + g.hdr_len, gl, g.key, 0);
                    n += gl;
                }
                q += g.hdr_len + gl;
            }
            CHECK(q == fend && n == refn);
            CHECK(n == 0 || memcmp(work + start, ref, n) == 0);
            /* the rest of the copy is untouched */
            memcpy(work + start, buf + start, fend - start);
            start = fend;
            refn = 0;
        }
        pos = fend;
    }
    free(work);
    free(ref);
}

static void check_resync(const uint8_t *buf, size_t len)
{
    struct cw_slice s = cw_slice_make(buf, len);
    size_t off = cw_ws_resync(s, 65536, sip_payload);
    CHECK(off <= len);
    if (off < len) {
        CHECK((buf[off] & 0x70) == 0 && ((buf[off] & 0x0f) == 1 || (buf[off] & 0x0f) == 2));
        struct cw_ws_frame f;
        int rc = cw_ws_frame_parse(cw_slice_make(buf + off, len - off), &f, NULL);
        CHECK(rc != CW_PARSE_ERROR);
        if (rc == CW_PARSE_OK)
            CHECK(f.payload_len > 0 && f.payload_len <= 65536);
    }
    /* nothing before off is a start: the scan from any earlier offset finds the same one */
    if (off > 0 && off <= len)
        CHECK(cw_ws_resync(cw_slice_make(buf + 1, len - 1), 65536, sip_payload) == off - 1);
    CHECK(cw_ws_resync(s, 65536, NULL) <= off);

    size_t o = cw_sip_resync(s);
    CHECK(o <= len);
    if (o > 0 && o < len)
        CHECK(buf[o - 1] == '\n');
    o = cw_smpp_resync(s);
    CHECK(o <= len);
    if (o < len)
        CHECK(buf[o] == 0);
    o = cw_diameter_resync(s);
    CHECK(o <= len);
    if (o < len)
        CHECK(buf[o] == 1);
}

static void check_http(const uint8_t *buf, size_t len)
{
    struct cw_ws_http h;
    int rc = cw_ws_http_parse(cw_slice_make(buf, len), &h);
    if (rc == CW_PARSE_OK) {
        CHECK(h.len > 0 && h.len <= len && h.len <= CW_WS_HTTP_MAX && buf[h.len - 1] == '\n');
        /* the block parses the same without what follows it */
        struct cw_ws_http h2;
        CHECK(cw_ws_http_parse(cw_slice_make(buf, h.len), &h2) == CW_PARSE_OK);
        CHECK(h2.len == h.len && h2.upgrade == h.upgrade && h2.sip == h.sip &&
              h2.is_request == h.is_request && h2.status == h.status);
        if (!h.is_request)
            CHECK(h.status <= 999 && (!h.upgrade || h.status == 101));
    } else if (rc == CW_PARSE_INCOMPLETE) {
        CHECK(len < CW_WS_HTTP_MAX);
    } else {
        CHECK(rc == CW_PARSE_ERROR);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exactly-sized copy, so ASan sees any read past the end */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    for (size_t k = 0; k < size && k <= 16; k++) { /* every cut of the first header */
        uint8_t *cut = malloc(k ? k : 1);
        if (!cut)
            break;
        memcpy(cut, buf, k);
        check_header(cut, k);
        free(cut);
    }
    check_header(buf, size);
    walk(buf, size);
    check_resync(buf, size);
    check_http(buf, size);
    free(buf);
    return 0;
}
