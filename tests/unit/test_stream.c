/* test_stream.c - TCP streams that lose their place, and SIP over WebSocket.
 *
 * The resynchronisation rules (cw_smpp_resync, cw_diameter_resync, cw_sip_resync,
 * cw_ws_resync) on byte arrays: a boundary after garbage at the right offset, none in garbage,
 * one straddling the end, each plausibility rule. The WebSocket frame parser (all length forms,
 * masked and not, fragments, control frames, headers cut at every length, lengths that lie),
 * unmasking, and the HTTP upgrade. Then whole captures, built with synth/pktbuild.h, written
 * with synth/pcapw.h and read back through capture.h into the dissector: SMPP, Diameter and
 * SIP streams whose capture starts in the middle of a message, a segment lost in the middle,
 * a Diameter message longer than the stream buffer, and SIP over WebSocket (upgrade, masked
 * frames, a frame split over two segments, two frames in one, fragments, control frames,
 * framing that lies, a gap); and the summary that `cardwatch decode` prints for them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "capture/dissect.h"
#include "decode/diameter.h"
#include "decode/sip.h"
#include "decode/smpp.h"
#include "decode/websocket.h"
#include "synth/pcapw.h"
#include "synth/pktbuild.h"
#include "decoder_test.h"
#include "testutil.h"

/* ---- bytes ---- */

struct bytes {
    uint8_t b[8192];
    size_t n;
};

static void put(struct bytes *b, const void *p, size_t n)
{
    assert_true(n <= sizeof b->b - b->n);
    if (n)
        memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void u8(struct bytes *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void u16(struct bytes *b, unsigned v)
{
    u8(b, (v >> 8) & 0xff);
    u8(b, v & 0xff);
}

static void u24(struct bytes *b, uint32_t v)
{
    u8(b, (v >> 16) & 0xff);
    u16(b, v & 0xffff);
}

static void u32(struct bytes *b, uint32_t v)
{
    u16(b, v >> 16);
    u16(b, v & 0xffff);
}

static void cstr(struct bytes *b, const char *s)
{
    put(b, s, strlen(s) + 1);
}

static void patch_u32(struct bytes *b, size_t at, uint32_t v)
{
    b->b[at] = (uint8_t)(v >> 24);
    b->b[at + 1] = (uint8_t)(v >> 16);
    b->b[at + 2] = (uint8_t)(v >> 8);
    b->b[at + 3] = (uint8_t)v;
}

static void patch_u24(struct bytes *b, size_t at, uint32_t v)
{
    b->b[at] = (uint8_t)(v >> 16);
    b->b[at + 1] = (uint8_t)(v >> 8);
    b->b[at + 2] = (uint8_t)v;
}

static struct cw_slice sl(const struct bytes *b)
{
    return cw_slice_make(b->b, b->n);
}

/* ---- SMPP PDUs (SMPP 3.4) ---- */

#define SMPP_SUBMIT_SM 0x00000004u
#define SMPP_DELIVER_SM 0x00000005u
#define SMPP_ENQUIRE_LINK 0x00000015u

/* submit_sm / deliver_sm, international numbers, IA5 text. */
static void smpp_sm(struct bytes *b, uint32_t id, uint32_t seq, const char *src, const char *dst,
                    const char *text)
{
    size_t at = b->n;
    u32(b, 0);
    u32(b, id);
    u32(b, 0);
    u32(b, seq);
    cstr(b, "");
    u8(b, 1);
    u8(b, 1);
    cstr(b, src);
    u8(b, 1);
    u8(b, 1);
    cstr(b, dst);
    u8(b, 0); /* esm_class */
    u8(b, 0);
    u8(b, 0);
    cstr(b, "");
    cstr(b, "");
    u8(b, 0);
    u8(b, 0);
    u8(b, 1); /* data_coding: IA5 */
    u8(b, 0);
    u8(b, (unsigned)strlen(text));
    put(b, text, strlen(text));
    patch_u32(b, at, (uint32_t)(b->n - at));
}

static void smpp_simple(struct bytes *b, uint32_t id, uint32_t status, uint32_t seq)
{
    u32(b, 16);
    u32(b, id);
    u32(b, status);
    u32(b, seq);
}

/* ---- Diameter messages (RFC 6733, S6a) ---- */

static size_t dia_begin(struct bytes *b, uint8_t flags, uint32_t cmd, uint32_t app)
{
    size_t at = b->n;
    u8(b, 1);
    u24(b, 0);
    u8(b, flags);
    u24(b, cmd);
    u32(b, app);
    u32(b, 0x11223344u);
    u32(b, 0x55667788u);
    return at;
}

static void dia_avp(struct bytes *b, uint32_t code, const void *p, size_t n)
{
    u32(b, code);
    u8(b, 0x40);
    u24(b, (uint32_t)(8 + n));
    put(b, p, n);
    while (b->n % 4)
        u8(b, 0);
}

static void dia_end(struct bytes *b, size_t at)
{
    patch_u24(b, at + 1, (uint32_t)(b->n - at));
}

/* Update-Location (316) or Authentication-Information (318) request for @p imsi, appended to
 * @p out (built apart: AVPs are padded from the message's start). */
static void dia_req(struct bytes *out, uint32_t cmd, const char *imsi)
{
    struct bytes mb = {{0}, 0}, *b = &mb;
    size_t at = dia_begin(b, 0xc0, cmd, 16777251);
    dia_avp(b, 263, "mme.example.net;1;2", 19);
    dia_avp(b, 264, "mme.example.net", 15);
    dia_avp(b, 296, "example.net", 11);
    dia_avp(b, 1, imsi, strlen(imsi));
    dia_end(b, at);
    put(out, mb.b, mb.n);
}

/* Credit-Control request with an E.164 Subscription-Id, appended to @p out. */
static void dia_ccr(struct bytes *out)
{
    struct bytes mb = {{0}, 0}, *b = &mb;
    size_t at = dia_begin(b, 0xc0, 272, 4);
    dia_avp(b, 263, "pgw.example.net;77", 18);
    dia_avp(b, 264, "pgw.example.net", 15);
    uint8_t sub[48] = {0};
    size_t n = 0;
    /* Subscription-Id { Subscription-Id-Type 0, Subscription-Id-Data "8613800000009" } */
    const uint8_t type[12] = {0, 0, 0x01, 0xc2, 0x40, 0, 0, 12, 0, 0, 0, 0};
    memcpy(sub, type, 12);
    n = 12;
    const uint8_t data_hdr[8] = {0, 0, 0x01, 0xbc, 0x40, 0, 0, 21};
    memcpy(sub + n, data_hdr, 8);
    n += 8;
    memcpy(sub + n, "8613800000009", 13);
    n += 13 + 3; /* padded to 4 */
    dia_avp(b, 443, sub, n);
    dia_end(b, at);
    put(out, mb.b, mb.n);
}

/* ---- SIP messages ---- */

static const char SIP_INVITE[] =
    "INVITE sip:8613900000002@ims.example.net;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 10.1.0.5:5060;branch=z9hG4bKnashds8\r\n"
    "From: <sip:8613800000001@ims.example.net>;tag=1928301774\r\n"
    "To: <sip:8613900000002@ims.example.net>\r\n"
    "Call-ID: a84b4c76e66710@10.1.0.5\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 23\r\n"
    "\r\n"
    "v=0\r\no=- 1 1 IN IP4 x\r\n";

static const char SIP_REGISTER[] =
    "REGISTER sip:ims.example.net SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 10.1.0.5:5060;branch=z9hG4bKreg1\r\n"
    "From: <sip:8613800000003@ims.example.net>;tag=77\r\n"
    "To: <sip:8613800000003@ims.example.net>\r\n"
    "Call-ID: reg-1@10.1.0.5\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

static const char SIP_MESSAGE[] =
    "MESSAGE sip:8613900000005@ims.example.net SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 10.1.0.5:5060;branch=z9hG4bKmsg\r\n"
    "From: <sip:8613800000004@ims.example.net>;tag=9\r\n"
    "To: <sip:8613900000005@ims.example.net>\r\n"
    "Call-ID: msg-1@10.1.0.5\r\n"
    "CSeq: 2 MESSAGE\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 12\r\n"
    "\r\n"
    "hello, world";

static const char SIP_200[] = "SIP/2.0 200 OK\r\n"
                              "Via: SIP/2.0/WSS 10.1.0.5;branch=z9hG4bKmsg\r\n"
                              "Call-ID: msg-1@10.1.0.5\r\n"
                              "CSeq: 2 MESSAGE\r\n"
                              "Content-Length: 0\r\n"
                              "\r\n";

/* ---- WebSocket frames (RFC 6455 5.2) ---- */

static const uint8_t KEY[4] = {0x37, 0xfa, 0x21, 0x3d};

/* A frame: @p form 0 picks the shortest length form, 7 / 16 / 64 force one; @p key NULL sends
 * the payload unmasked. */
static void ws_frame(struct bytes *b, int fin, unsigned rsv, unsigned op, const uint8_t *key,
                     const void *p, size_t n, int form)
{
    u8(b, (fin ? 0x80u : 0) | (rsv << 4) | op);
    unsigned mask = key ? 0x80u : 0;
    if (!form)
        form = n < 126 ? 7 : n < 65536 ? 16 : 64;
    if (form == 7) {
        u8(b, mask | (unsigned)n);
    } else if (form == 16) {
        u8(b, mask | 126);
        u16(b, (unsigned)n);
    } else {
        u8(b, mask | 127);
        u32(b, (uint32_t)((uint64_t)n >> 32));
        u32(b, (uint32_t)n);
    }
    if (key)
        put(b, key, 4);
    size_t at = b->n;
    put(b, p, n);
    if (key)
        for (size_t i = 0; i < n; i++)
            b->b[at + i] ^= key[i % 4];
}

static void ws_text(struct bytes *b, const char *s, const uint8_t *key)
{
    ws_frame(b, 1, 0, CW_WS_TEXT, key, s, strlen(s), 0);
}

/* ======================= resynchronisation rules ======================= */

static void test_smpp_resync(void **state)
{
    (void)state;
    struct bytes a = {{0}, 0}, b = {{0}, 0};
    /* whole PDUs: the start is at 0 */
    smpp_sm(&a, SMPP_SUBMIT_SM, 1, "8613800000001", "8613900000002", "one");
    smpp_simple(&a, SMPP_ENQUIRE_LINK, 0, 2);
    assert_int_equal(cw_smpp_resync(sl(&a)), 0);

    /* the tail of a PDU, then whole ones: the first whole one */
    struct bytes p0 = {{0}, 0};
    smpp_sm(&p0, SMPP_SUBMIT_SM, 7, "8613800000007", "8613900000007", "the cut one");
    for (size_t cut = 1; cut < p0.n; cut++) {
        b.n = 0;
        put(&b, p0.b + cut, p0.n - cut);
        put(&b, a.b, a.n);
        assert_int_equal(cw_smpp_resync(sl(&b)), p0.n - cut);
    }

    /* garbage only: none; text never looks like a header (its first octet is not 0) */
    static const char junk[] = "this is not SMPP at all, just text";
    assert_int_equal(cw_smpp_resync(cw_slice_make(junk, sizeof junk - 1)), sizeof junk - 1);
    assert_int_equal(cw_smpp_resync(cw_slice_make(junk, 0)), 0);
    assert_int_equal(cw_smpp_resync(cw_slice_make(NULL, 0)), 0);

    /* a header straddling the end: the offset where it starts, at every cut */
    for (size_t k = 1; k < 16; k++) {
        b.n = 0;
        put(&b, junk, 10);
        put(&b, a.b, k);
        assert_int_equal(cw_smpp_resync(sl(&b)), 10);
    }
    /* a whole header whose PDU is not all there yet: the offset too */
    b.n = 0;
    put(&b, junk, 10);
    put(&b, a.b, 30);
    assert_int_equal(cw_smpp_resync(sl(&b)), 10);

    /* each rule: a header that breaks it is no start, and the real PDU after it is found */
    struct {
        uint32_t len, id, status, seq;
    } bad[] = {
        {15, SMPP_ENQUIRE_LINK, 0, 1},           /* command_length below 16 */
        {70000, SMPP_SUBMIT_SM, 0, 1},           /* above 64 KiB */
        {16, 0x00000077u, 0, 1},                 /* no such command */
        {16, SMPP_ENQUIRE_LINK, 3, 1},           /* a request with a status */
        {16, 0x80000004u, 0x600, 1},             /* a response status out of range */
        {20, SMPP_ENQUIRE_LINK, 0, 1},           /* enquire_link has no body */
        {24, SMPP_SUBMIT_SM, 0, 1},              /* shorter than submit_sm's mandatory part */
        {16, SMPP_ENQUIRE_LINK, 0, 0x80000001u}, /* sequence_number top bit */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b.n = 0;
        u32(&b, bad[i].len);
        u32(&b, bad[i].id);
        u32(&b, bad[i].status);
        u32(&b, bad[i].seq);
        put(&b, a.b, a.n);
        assert_int_equal(cw_smpp_resync(sl(&b)), 16);
    }
    /* a response may carry a status, and a submit_sm_resp without body is 16 bytes */
    b.n = 0;
    smpp_simple(&b, 0x80000004u, 0x45, 9);
    assert_int_equal(cw_smpp_resync(sl(&b)), 0);

    /* a plausible header whose PDU is followed by something that is no header: not a start */
    b.n = 0;
    smpp_simple(&b, SMPP_ENQUIRE_LINK, 0, 3);
    put(&b, "zzzzzzzz", 8);
    put(&b, a.b, a.n);
    assert_int_equal(cw_smpp_resync(sl(&b)), 24);
    /* ... and followed by the start of one (cut): a start */
    b.n = 0;
    smpp_simple(&b, SMPP_ENQUIRE_LINK, 0, 3);
    put(&b, a.b, 6);
    assert_int_equal(cw_smpp_resync(sl(&b)), 0);
}

static void test_diameter_resync(void **state)
{
    (void)state;
    struct bytes a = {{0}, 0}, b = {{0}, 0}, m0 = {{0}, 0};
    dia_req(&a, 316, "001010123456789");
    dia_req(&a, 318, "001010123456780");
    assert_int_equal(cw_diameter_resync(sl(&a)), 0);

    dia_ccr(&m0);
    for (size_t cut = 1; cut < m0.n; cut++) {
        b.n = 0;
        put(&b, m0.b + cut, m0.n - cut);
        put(&b, a.b, a.n);
        assert_int_equal(cw_diameter_resync(sl(&b)), m0.n - cut);
    }

    static const char junk[] = "garbage, garbage, garbage";
    assert_int_equal(cw_diameter_resync(cw_slice_make(junk, sizeof junk - 1)), sizeof junk - 1);
    assert_int_equal(cw_diameter_resync(cw_slice_make(NULL, 0)), 0);

    /* straddling the end: from the version octet to the first AVP header, cut anywhere */
    for (size_t k = 1; k < 28; k++) {
        b.n = 0;
        put(&b, junk, 9);
        put(&b, a.b, k);
        assert_int_equal(cw_diameter_resync(sl(&b)), 9);
    }

    /* each rule broken in a copy of the first message: no start there, the next one found */
    size_t first = ((size_t)a.b[1] << 16 | (size_t)a.b[2] << 8 | a.b[3]);
    struct {
        size_t at;
        uint8_t v;
    } bad[] = {
        {0, 2},    /* version */
        {3, 0},    /* length not a multiple of 4 (2 added to its low octet) */
        {4, 0xc1}, /* reserved command flag */
        {4, 0xa0}, /* R and E together */
        {24, 0x41}, /* reserved AVP flag */
        {27, 0x04}, /* AVP length below 8 */
        {26, 0x40}, /* AVP length past the message */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b.n = 0;
        put(&b, a.b, first);
        if (bad[i].at == 3)
            b.b[3] = (uint8_t)(b.b[3] + 2);
        else
            b.b[bad[i].at] = bad[i].v;
        put(&b, a.b, a.n);
        assert_int_equal(cw_diameter_resync(sl(&b)), first);
    }
    /* command code 0 */
    b.n = 0;
    put(&b, a.b, first);
    b.b[5] = b.b[6] = b.b[7] = 0;
    put(&b, a.b, a.n);
    assert_int_equal(cw_diameter_resync(sl(&b)), first);
    /* length over the decoder's maximum */
    b.n = 0;
    put(&b, a.b, first);
    b.b[1] = 0x20;
    put(&b, a.b, a.n);
    assert_int_equal(cw_diameter_resync(sl(&b)), first);

    /* a header-only message (length 20) followed by a non-header: no start */
    b.n = 0;
    size_t at = dia_begin(&b, 0x80, 280, 0);
    dia_end(&b, at);
    put(&b, "xxxx", 4);
    put(&b, a.b, a.n);
    assert_int_equal(cw_diameter_resync(sl(&b)), 24);
}

static void test_sip_resync(void **state)
{
    (void)state;
    struct bytes b = {{0}, 0};
    assert_int_equal(cw_sip_resync(cw_slice_str(SIP_REGISTER)), 0);
    assert_int_equal(cw_sip_resync(cw_slice_make(NULL, 0)), 0);

    /* the rest of an INVITE (from any line start or mid-line), then a REGISTER */
    size_t inv = strlen(SIP_INVITE);
    for (size_t cut = 1; cut < inv; cut++) {
        b.n = 0;
        put(&b, SIP_INVITE + cut, inv - cut);
        put(&b, SIP_REGISTER, strlen(SIP_REGISTER));
        assert_int_equal(cw_sip_resync(sl(&b)), inv - cut);
    }
    /* keep-alive empty lines before it are skipped, the start line is the offset */
    b.n = 0;
    put(&b, "xx\r\n\r\n\r\n", 8);
    put(&b, SIP_REGISTER, strlen(SIP_REGISTER));
    assert_int_equal(cw_sip_resync(sl(&b)), 8);

    /* none: header lines and a body */
    static const char rest[] = "Via: SIP/2.0/TCP 10.0.0.1\r\nv=0\r\nSIP/2.0 is a version\r\n";
    assert_int_equal(cw_sip_resync(cw_slice_str(rest)), strlen(rest));
    /* a cut request line is no start; an unknown method neither */
    static const char cut[] = "NVITE sip:a@b SIP/2.0\r\nVia: x\r\n";
    assert_int_equal(cw_sip_resync(cw_slice_str(cut)), strlen(cut));
    static const char ext[] = "FOO sip:a@b SIP/2.0\r\nVia: x\r\n";
    assert_int_equal(cw_sip_resync(cw_slice_str(ext)), strlen(ext));
    /* a status line in a body (message/sipfrag) followed by the empty line: no start */
    static const char frag[] = "x\r\nSIP/2.0 200 OK\r\n\r\n";
    assert_int_equal(cw_sip_resync(cw_slice_str(frag)), strlen(frag));
    /* a status line with headers is one; a bad code is not */
    static const char st[] = "junk\r\nSIP/2.0 180 Ringing\r\nVia: x\r\n";
    assert_int_equal(cw_sip_resync(cw_slice_str(st)), 6);
    static const char st7[] = "junk\r\nSIP/2.0 780 Odd\r\nVia: x\r\n";
    assert_int_equal(cw_sip_resync(cw_slice_str(st7)), strlen(st7));
    /* a request line with no version is not */
    static const char nov[] = "a\nINVITE sip:a@b\r\nVia: x\r\n";
    assert_int_equal(cw_sip_resync(cw_slice_str(nov)), strlen(nov));

    /* straddling the end: a start line cut at every length is a possible start */
    size_t rl = strlen("REGISTER sip:ims.example.net SIP/2.0\r\n");
    for (size_t k = 1; k <= rl + 5; k++) {
        b.n = 0;
        put(&b, "tail of something\r\n", 19);
        put(&b, SIP_REGISTER, k);
        assert_int_equal(cw_sip_resync(sl(&b)), 19);
    }
    /* ... but a line that cannot become one is not kept */
    static const char cl[] = "x\r\nContent-Le";
    assert_int_equal(cw_sip_resync(cw_slice_str(cl)), strlen(cl));
    static const char bad_uri[] = "x\r\nINVITE 12:34";
    assert_int_equal(cw_sip_resync(cw_slice_str(bad_uri)), strlen(bad_uri));
    /* and not a partial line longer than the cap */
    static char longl[3000];
    memset(longl, 'a', sizeof longl);
    memcpy(longl, "x\nINVITE sip:", 13);
    assert_int_equal(cw_sip_resync(cw_slice_make(longl, sizeof longl)), sizeof longl);
}

/* ======================= WebSocket frames ======================= */

static void test_ws_frame_forms(void **state)
{
    (void)state;
    struct cw_ws_frame f;
    size_t need;
    /* RFC 6455 5.7: a single-frame unmasked text message, and a masked one */
    static const uint8_t hello[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(hello, sizeof hello), &f, &need),
                     CW_PARSE_OK);
    assert_int_equal(f.fin, 1);
    assert_int_equal(f.opcode, CW_WS_TEXT);
    assert_int_equal(f.masked, 0);
    assert_int_equal(f.hdr_len, 2);
    assert_int_equal(f.payload_len, 5);
    assert_int_equal(f.key[0] | f.key[1] | f.key[2] | f.key[3], 0);
    static const uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                     0x7f, 0x9f, 0x4d, 0x51, 0x58};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(masked, sizeof masked), &f, &need),
                     CW_PARSE_OK);
    assert_int_equal(f.masked, 1);
    assert_int_equal(f.hdr_len, 6);
    assert_int_equal(f.payload_len, 5);
    assert_memory_equal(f.key, KEY, 4);
    uint8_t out[5];
    cw_ws_unmask(out, masked + 6, 5, f.key, 0);
    assert_memory_equal(out, "Hello", 5);

    /* a fragmented unmasked text message: FIN 0 text, then FIN 1 continuation */
    static const uint8_t frag1[] = {0x01, 0x03, 'H', 'e', 'l'};
    static const uint8_t frag2[] = {0x80, 0x02, 'l', 'o'};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(frag1, sizeof frag1), &f, NULL),
                     CW_PARSE_OK);
    assert_int_equal(f.fin, 0);
    assert_int_equal(f.opcode, CW_WS_TEXT);
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(frag2, sizeof frag2), &f, NULL),
                     CW_PARSE_OK);
    assert_int_equal(f.fin, 1);
    assert_int_equal(f.opcode, CW_WS_CONTINUATION);
    assert_false(cw_ws_is_control(f.opcode));

    /* ping, masked pong, close */
    static const uint8_t ping[] = {0x89, 0x05, 'H', 'e', 'l', 'l', 'o'};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(ping, sizeof ping), &f, NULL), CW_PARSE_OK);
    assert_int_equal(f.opcode, CW_WS_PING);
    assert_true(cw_ws_is_control(f.opcode));
    static const uint8_t pong[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                   0x7f, 0x9f, 0x4d, 0x51, 0x58};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(pong, sizeof pong), &f, NULL), CW_PARSE_OK);
    assert_int_equal(f.opcode, CW_WS_PONG);
    assert_int_equal(f.masked, 1);
    static const uint8_t close_[] = {0x88, 0x02, 0x03, 0xe8};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(close_, sizeof close_), &f, NULL),
                     CW_PARSE_OK);
    assert_int_equal(f.opcode, CW_WS_CLOSE);
    assert_int_equal(f.payload_len, 2);

    /* 16-bit length: 256 bytes binary (RFC 6455 5.7), unmasked and masked */
    static const uint8_t l16[] = {0x82, 0x7e, 0x01, 0x00};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(l16, sizeof l16), &f, NULL), CW_PARSE_OK);
    assert_int_equal(f.opcode, CW_WS_BINARY);
    assert_int_equal(f.hdr_len, 4);
    assert_int_equal(f.payload_len, 256);
    static const uint8_t l16m[] = {0x82, 0xfe, 0xff, 0xff, 1, 2, 3, 4};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(l16m, sizeof l16m), &f, NULL), CW_PARSE_OK);
    assert_int_equal(f.hdr_len, 8);
    assert_int_equal(f.payload_len, 65535);
    assert_int_equal(f.key[3], 4);
    /* 64-bit length: 64 KiB (RFC 6455 5.7), and the largest allowed, masked */
    static const uint8_t l64[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(l64, sizeof l64), &f, NULL), CW_PARSE_OK);
    assert_int_equal(f.hdr_len, 10);
    assert_int_equal(f.payload_len, 65536);
    static const uint8_t l64m[] = {0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 9, 8, 7, 6};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(l64m, sizeof l64m), &f, NULL), CW_PARSE_OK);
    assert_int_equal(f.hdr_len, 14);
    assert_true(f.payload_len == 0x7fffffffffffffffull);
    assert_int_equal(f.key[0], 9);
    /* a length not in its shortest form is taken as it says */
    static const uint8_t l64small[] = {0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0, 5};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(l64small, sizeof l64small), &f, NULL),
                     CW_PARSE_OK);
    assert_int_equal(f.payload_len, 5);
    /* RSV bits are reported */
    static const uint8_t rsv1[] = {0xc1, 0x01, 'x'};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(rsv1, sizeof rsv1), &f, NULL), CW_PARSE_OK);
    assert_int_equal(f.rsv, 4);
    /* a header parses from a longer slice; payload not there yet is the caller's business */
    static const uint8_t lie[] = {0x81, 0x7e, 0x03, 0xe8, 'a', 'b'};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(lie, sizeof lie), &f, NULL), CW_PARSE_OK);
    assert_int_equal(f.payload_len, 1000);
}

/* Every header cut short: INCOMPLETE, with exactly the bytes still missing. */
static void test_ws_frame_truncated(void **state)
{
    (void)state;
    static const uint8_t hdrs[][14] = {
        {0x81, 0x05},
        {0x81, 0x85, 1, 2, 3, 4},
        {0x82, 0x7e, 0x01, 0x00},
        {0x82, 0xfe, 0x01, 0x00, 1, 2, 3, 4},
        {0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0},
        {0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4},
    };
    static const size_t lens[] = {2, 6, 4, 8, 10, 14};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (size_t k = 0; k < lens[i]; k++) {
            uint8_t *copy = malloc(k ? k : 1);
            assert_non_null(copy);
            memcpy(copy, hdrs[i], k);
            struct cw_ws_frame f;
            size_t need = 999;
            assert_int_equal(cw_ws_frame_parse(cw_slice_make(copy, k), &f, &need),
                             CW_PARSE_INCOMPLETE);
            /* before the second octet only its minimum is known */
            assert_int_equal(need, k < 2 ? 2 - k : lens[i] - k);
            free(copy);
        }
        struct cw_ws_frame f;
        size_t need = 999;
        assert_int_equal(cw_ws_frame_parse(cw_slice_make(hdrs[i], lens[i]), &f, &need),
                         CW_PARSE_OK);
        assert_int_equal(f.hdr_len, lens[i]);
        assert_int_equal(need, 0);
    }
}

static void test_ws_frame_errors(void **state)
{
    (void)state;
    struct cw_ws_frame f;
    /* reserved opcodes */
    for (unsigned op = 3; op <= 7; op++) {
        uint8_t h[2] = {(uint8_t)(0x80 | op), 0};
        assert_int_equal(cw_ws_frame_parse(cw_slice_make(h, 2), &f, NULL), CW_PARSE_ERROR);
    }
    for (unsigned op = 0xb; op <= 0xf; op++) {
        uint8_t h[2] = {(uint8_t)(0x80 | op), 0};
        assert_int_equal(cw_ws_frame_parse(cw_slice_make(h, 2), &f, NULL), CW_PARSE_ERROR);
    }
    /* a fragmented control frame; one longer than 125 bytes */
    static const uint8_t frag_ping[] = {0x09, 0x00};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(frag_ping, 2), &f, NULL), CW_PARSE_ERROR);
    static const uint8_t long_close[] = {0x88, 0x7e, 0x00, 0x80};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(long_close, 4), &f, NULL), CW_PARSE_ERROR);
    /* a 64-bit length with the top bit set, whole or as soon as its first octet is there */
    static const uint8_t top[] = {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1};
    for (size_t k = 3; k <= sizeof top; k++)
        assert_int_equal(cw_ws_frame_parse(cw_slice_make(top, k), &f, NULL), CW_PARSE_ERROR);
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(top, 2), &f, NULL), CW_PARSE_INCOMPLETE);
    /* the opcode is refused from the first octet */
    static const uint8_t res[] = {0x83};
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(res, 1), &f, NULL), CW_PARSE_ERROR);
    /* nothing at all */
    size_t need;
    assert_int_equal(cw_ws_frame_parse(cw_slice_make(NULL, 0), &f, &need), CW_PARSE_INCOMPLETE);
    assert_int_equal(need, 2);
}

static void test_ws_unmask(void **state)
{
    (void)state;
    struct bytes b = {{0}, 0};
    static const char text[] = "INVITE sip:bob@example.com SIP/2.0";
    size_t n = strlen(text);
    ws_frame(&b, 1, 0, CW_WS_TEXT, KEY, text, n, 0);
    uint8_t out[64];
    /* in one go, and in pieces at odd offsets */
    cw_ws_unmask(out, b.b + 6, n, KEY, 0);
    assert_memory_equal(out, text, n);
    memset(out, 0, sizeof out);
    cw_ws_unmask(out, b.b + 6, 3, KEY, 0);
    cw_ws_unmask(out + 3, b.b + 6 + 3, 10, KEY, 3);
    cw_ws_unmask(out + 13, b.b + 6 + 13, n - 13, KEY, 13);
    assert_memory_equal(out, text, n);
    /* in place, and onto bytes before it (joining fragments) */
    cw_ws_unmask(b.b + 6, b.b + 6, n, KEY, 0);
    assert_memory_equal(b.b + 6, text, n);
    b.n = 0;
    ws_frame(&b, 1, 0, CW_WS_TEXT, KEY, text, n, 0);
    cw_ws_unmask(b.b, b.b + 6, n, KEY, 0);
    assert_memory_equal(b.b, text, n);
    /* an all-zero key copies */
    static const uint8_t zero[4] = {0, 0, 0, 0};
    cw_ws_unmask(out, (const uint8_t *)"abc", 3, zero, 1);
    assert_memory_equal(out, "abc", 3);
}

static const char UPGRADE_REQ[] = "GET /ws HTTP/1.1\r\n"
                                  "Host: ims.example.net\r\n"
                                  "Upgrade: websocket\r\n"
                                  "Connection: Upgrade\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                  "Origin: https://ims.example.net\r\n"
                                  "Sec-WebSocket-Protocol: sip\r\n"
                                  "Sec-WebSocket-Version: 13\r\n"
                                  "\r\n";

static const char UPGRADE_RESP[] = "HTTP/1.1 101 Switching Protocols\r\n"
                                   "Upgrade: websocket\r\n"
                                   "Connection: Upgrade\r\n"
                                   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                   "Sec-WebSocket-Protocol: sip\r\n"
                                   "\r\n";

static void test_ws_http(void **state)
{
    (void)state;
    struct cw_ws_http h;
    size_t n = strlen(UPGRADE_REQ);
    assert_int_equal(cw_ws_http_parse(cw_slice_make(UPGRADE_REQ, n), &h), CW_PARSE_OK);
    assert_int_equal(h.is_request, 1);
    assert_int_equal(h.upgrade, 1);
    assert_int_equal(h.sip, 1);
    assert_int_equal(h.len, n);
    /* what follows the block is not part of it */
    char more[1024];
    snprintf(more, sizeof more, "%s\x81\x05Hello", UPGRADE_REQ);
    assert_int_equal(cw_ws_http_parse(cw_slice_str(more), &h), CW_PARSE_OK);
    assert_int_equal(h.len, n);
    /* cut anywhere before its end: incomplete */
    for (size_t k = 0; k < n; k++)
        assert_int_equal(cw_ws_http_parse(cw_slice_make(UPGRADE_REQ, k), &h),
                         CW_PARSE_INCOMPLETE);
    size_t r = strlen(UPGRADE_RESP);
    assert_int_equal(cw_ws_http_parse(cw_slice_make(UPGRADE_RESP, r), &h), CW_PARSE_OK);
    assert_int_equal(h.is_request, 0);
    assert_int_equal(h.status, 101);
    assert_int_equal(h.upgrade, 1);
    assert_int_equal(h.sip, 1);
    assert_int_equal(h.len, r);

    /* names and values in any case, lists, bare LF line ends */
    static const char odd[] = "GET / HTTP/1.1\nconnection: keep-alive, Upgrade\n"
                              "UPGRADE: h2c, WebSocket\nsec-websocket-protocol: xmpp , SIP\n\n";
    assert_int_equal(cw_ws_http_parse(cw_slice_str(odd), &h), CW_PARSE_OK);
    assert_int_equal(h.upgrade, 1);
    assert_int_equal(h.sip, 1);
    assert_int_equal(h.len, strlen(odd));
    /* another subprotocol; no upgrade; a response other than 101 */
    static const char other[] = "GET / HTTP/1.1\r\nUpgrade: websocket\r\n"
                                "Sec-WebSocket-Protocol: sipx, chat\r\n\r\n";
    assert_int_equal(cw_ws_http_parse(cw_slice_str(other), &h), CW_PARSE_OK);
    assert_int_equal(h.upgrade, 1);
    assert_int_equal(h.sip, 0);
    static const char plain[] = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(cw_ws_http_parse(cw_slice_str(plain), &h), CW_PARSE_OK);
    assert_int_equal(h.upgrade, 0);
    static const char refused[] = "HTTP/1.1 400 Bad Request\r\nUpgrade: websocket\r\n"
                                  "Sec-WebSocket-Protocol: sip\r\n\r\n";
    assert_int_equal(cw_ws_http_parse(cw_slice_str(refused), &h), CW_PARSE_OK);
    assert_int_equal(h.status, 400);
    assert_int_equal(h.upgrade, 0);

    /* not HTTP: other methods, SIP, binary; a start line that is not HTTP/1.x */
    static const char *const not_http[] = {
        "POST / HTTP/1.1\r\n\r\n", "INVITE sip:a@b SIP/2.0\r\n\r\n", "\x81\x05Hello",
        "GET / SIP/2.0\r\n\r\n", "HTTP/1.1 1x1 Odd\r\n\r\n", "GET  HTTP/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof not_http / sizeof not_http[0]; i++)
        assert_int_equal(cw_ws_http_parse(cw_slice_str(not_http[i]), &h), CW_PARSE_ERROR);
    assert_int_equal(cw_ws_http_parse(cw_slice_make("GE", 2), &h), CW_PARSE_INCOMPLETE);
    assert_int_equal(cw_ws_http_parse(cw_slice_make("HTTP/1", 6), &h), CW_PARSE_INCOMPLETE);
    assert_int_equal(cw_ws_http_parse(cw_slice_make("GEX", 3), &h), CW_PARSE_ERROR);

    /* a header block that never ends within CW_WS_HTTP_MAX bytes */
    size_t big = CW_WS_HTTP_MAX + 100;
    char *blk = malloc(big);
    assert_non_null(blk);
    memset(blk, 'a', big);
    memcpy(blk, "GET / HTTP/1.1\r\nX: ", 19);
    assert_int_equal(cw_ws_http_parse(cw_slice_make(blk, CW_WS_HTTP_MAX - 1), &h),
                     CW_PARSE_INCOMPLETE);
    assert_int_equal(cw_ws_http_parse(cw_slice_make(blk, big), &h), CW_PARSE_ERROR);
    free(blk);
}

static int sip_payload(const uint8_t *p, size_t n)
{
    return cw_sip_resync(cw_slice_make(p, n)) == 0;
}

static void test_ws_resync(void **state)
{
    (void)state;
    struct bytes b = {{0}, 0}, f = {{0}, 0};
    ws_text(&f, SIP_REGISTER, KEY);
    assert_int_equal(cw_ws_resync(sl(&f), 65536, sip_payload), 0);

    /* the masked tail of another frame, then the frame */
    struct bytes inv = {{0}, 0};
    ws_text(&inv, SIP_INVITE, KEY);
    for (size_t cut = 1; cut < inv.n; cut++) {
        b.n = 0;
        put(&b, inv.b + cut, inv.n - cut);
        put(&b, f.b, f.n);
        assert_int_equal(cw_ws_resync(sl(&b), 65536, sip_payload), inv.n - cut);
    }
    /* not starts: a control frame, a continuation, a frame whose payload is not SIP, an empty
     * one, one with RSV bits, a 16-bit length under 126, one over the cap */
    b.n = 0;
    static const uint8_t ping[] = {0x89, 0x00};
    put(&b, ping, 2);
    ws_frame(&b, 1, 0, CW_WS_CONTINUATION, KEY, SIP_REGISTER, 40, 0);
    ws_frame(&b, 1, 0, CW_WS_TEXT, KEY, "hello world, no SIP here", 24, 0);
    ws_frame(&b, 1, 0, CW_WS_TEXT, NULL, "", 0, 0);
    ws_frame(&b, 1, 4, CW_WS_TEXT, NULL, SIP_REGISTER, 40, 0);
    ws_frame(&b, 1, 0, CW_WS_TEXT, NULL, SIP_REGISTER, 40, 16);
    size_t before = b.n;
    put(&b, f.b, f.n);
    assert_int_equal(cw_ws_resync(sl(&b), 65536, sip_payload), before);
    /* the cap on the length */
    assert_int_equal(cw_ws_resync(sl(&f), 100, sip_payload), f.n);
    /* no payload check: any text frame header */
    b.n = 0;
    ws_frame(&b, 1, 0, CW_WS_TEXT, NULL, "hello", 5, 0);
    assert_int_equal(cw_ws_resync(sl(&b), 65536, NULL), 0);

    /* a frame header straddling the end: its offset */
    for (size_t k = 1; k <= 8; k++) {
        b.n = 0;
        put(&b, "\x00\x00\x00", 3);
        put(&b, f.b, k);
        assert_int_equal(cw_ws_resync(sl(&b), 65536, sip_payload), 3);
    }
    /* garbage: none */
    static const char junk[] = "\x00\x00\x7f\xff not a frame";
    assert_int_equal(cw_ws_resync(cw_slice_make(junk, sizeof junk - 1), 65536, sip_payload),
                     sizeof junk - 1);
    assert_int_equal(cw_ws_resync(cw_slice_make(NULL, 0), 65536, sip_payload), 0);
}

/* ======================= whole captures ======================= */

/* One TCP conversation written to a pcap file: client -> server and back. */
struct conv {
    char *dir, *path;
    struct cw_pcapw *w;
    struct cw_pkt_addr cli, srv;
    uint32_t seq[2]; /* next sequence number: [0] client, [1] server */
    uint64_t ts, frames;
};

static void conv_open(struct conv *c, const char *name, uint16_t cport, uint16_t sport)
{
    memset(c, 0, sizeof *c);
    c->dir = tu_mkdtemp();
    size_t n = strlen(c->dir) + strlen(name) + 2;
    c->path = malloc(n);
    assert_non_null(c->path);
    snprintf(c->path, n, "%s/%s", c->dir, name);
    assert_int_equal(cw_pcapw_open(c->path, 1, &c->w), 0);
    assert_int_equal(cw_pkt_addr_set(&c->cli, "10.1.0.5", "10.1.0.9"), 0);
    assert_int_equal(cw_pkt_addr_set(&c->srv, "10.1.0.9", "10.1.0.5"), 0);
    c->cli.sport = c->srv.dport = cport;
    c->cli.dport = c->srv.sport = sport;
    c->seq[0] = 1000000u;
    c->seq[1] = 5000000u;
    c->ts = 1767225600000000ull;
}

static uint64_t conv_write(struct conv *c, int from_server, uint8_t flags, const void *p,
                           size_t n)
{
    struct cw_pkt_addr *a = from_server ? &c->srv : &c->cli;
    a->tcp_seq = c->seq[from_server];
    a->tcp_ack = c->seq[!from_server];
    a->tcp_flags = flags;
    a->ip_id++;
    uint8_t frame[2048];
    size_t len = cw_pkt_build_tcp(frame, sizeof frame, a, p, n);
    assert_true(len > 0);
    assert_int_equal(cw_pcapw_write(c->w, c->ts, frame, len), 0);
    c->ts += 1000;
    return ++c->frames;
}

/* The three-way handshake. */
static void conv_syn(struct conv *c)
{
    conv_write(c, 0, CW_PKT_TCP_SYN, NULL, 0);
    c->seq[0]++;
    conv_write(c, 1, CW_PKT_TCP_SYN | CW_PKT_TCP_ACK, NULL, 0);
    c->seq[1]++;
    conv_write(c, 0, CW_PKT_TCP_ACK, NULL, 0);
}

/* One data segment; returns its frame number. */
static uint64_t conv_send(struct conv *c, int from_server, const void *p, size_t n)
{
    uint64_t f = conv_write(c, from_server, CW_PKT_TCP_PSH | CW_PKT_TCP_ACK, p, n);
    c->seq[from_server] += (uint32_t)n;
    return f;
}

/* A segment the capture never saw. */
static void conv_lose(struct conv *c, int from_server, size_t n)
{
    c->seq[from_server] += (uint32_t)n;
}

/* A bare ACK of all the other side sent (and lost). */
static uint64_t conv_ack(struct conv *c, int from_server)
{
    return conv_write(c, from_server, CW_PKT_TCP_ACK, NULL, 0);
}

static void conv_close(struct conv *c)
{
    assert_int_equal(cw_pcapw_close(c->w), 0);
    c->w = NULL;
}

static void conv_free(struct conv *c)
{
    tu_rmrf(c->dir);
    free(c->dir);
    free(c->path);
}

/* Read the capture back and put every packet through a dissector. */
static void run_pcap(const char *path, struct tu_cap *g, struct cw_dissect_stats *st)
{
    memset(g, 0, sizeof *g);
    struct cw_event_sink sink = {tu_cap_event, g, NULL};
    struct cw_dissector *d = NULL;
    assert_int_equal(cw_dissect_new(&sink, &d), 0);
    struct cw_capture *cap = NULL;
    char err[512] = "";
    assert_int_equal(cw_capture_open_file(path, &cap, err, sizeof err), 0);
    struct cw_raw_pkt raw;
    int rc;
    while ((rc = cw_capture_next(cap, &raw)) == 1)
        cw_dissect_packet(d, &raw, raw.linktype, 0);
    assert_int_equal(rc, 0);
    cw_capture_free(cap);
    cw_dissect_finish(d);
    cw_dissect_stats(d, st);
    cw_dissect_free(d);
}

static void assert_ev(const struct tu_cap *g, int i, unsigned kind, const char *calling,
                      const char *called, uint64_t frame)
{
    assert_true(i < g->n && i < TU_MAX_EV);
    assert_int_equal(g->ev[i].kind, kind);
    if (calling)
        assert_string_equal(g->ev[i].calling, calling);
    if (called)
        assert_string_equal(g->ev[i].called, called);
    assert_int_equal(g->ev[i].frame, frame);
}

/* The summary `cardwatch decode` prints for @p path (its standard error). */
static char *summary_of(const char *path)
{
    if (!tu_exists(CW_BINARY))
        fail_msg("%s not built", CW_BINARY);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' decode '%s' 2>&1 >/dev/null", CW_BINARY, path);
    int status = -1;
    char *out = tu_run(cmd, &status);
    assert_non_null(out);
    assert_int_equal(status, 0);
    return out;
}

/* SMPP: the capture starts (no SYN) with the last 25 bytes of a submit_sm and a whole one,
 * then whole PDUs and one split over two segments. */
static void test_smpp_midstream(void **state)
{
    (void)state;
    struct bytes p0 = {{0}, 0}, s1 = {{0}, 0}, s2 = {{0}, 0};
    smpp_sm(&p0, SMPP_SUBMIT_SM, 1, "8613800000000", "8613900000000", "cut short");
    const size_t tail = 25;
    put(&s1, p0.b + p0.n - tail, tail);
    smpp_sm(&s1, SMPP_SUBMIT_SM, 2, "8613800000001", "8613900000002", "whole one");
    smpp_sm(&s2, SMPP_DELIVER_SM, 3, "8613900000003", "8613800000004", "delivered");
    smpp_simple(&s2, SMPP_ENQUIRE_LINK, 0, 4);
    size_t last_at = s2.n;
    smpp_sm(&s2, SMPP_SUBMIT_SM, 5, "8613800000005", "8613900000006", "the last");

    struct conv c;
    conv_open(&c, "smpp-mid.pcap", 40000, 2775);
    uint64_t f1 = conv_send(&c, 0, s1.b, s1.n);
    uint64_t f2 = conv_send(&c, 0, s2.b, last_at + 20);
    uint64_t f3 = conv_send(&c, 0, s2.b + last_at + 20, s2.n - last_at - 20);
    conv_close(&c);

    struct tu_cap g;
    struct cw_dissect_stats st;
    run_pcap(c.path, &g, &st);
    assert_int_equal(g.n, 3);
    assert_ev(&g, 0, CW_EV_SMS_MO, "8613800000001", "8613900000002", f1);
    assert_string_equal(g.text[0], "whole one");
    assert_ev(&g, 1, CW_EV_SMS_MT, "8613900000003", "8613800000004", f2);
    assert_ev(&g, 2, CW_EV_SMS_MO, "8613800000005", "8613900000006", f3);
    assert_string_equal(g.text[2], "the last");
    assert_int_equal(st.dec.messages[CW_PROTO_SMPP], 4);
    assert_int_equal(st.tcp_resyncs, 1);
    assert_int_equal(st.tcp_resync_bytes, tail);
    assert_int_equal(st.decode_errors, 0);
    assert_int_equal(st.dec.anomalies[CW_DA_SMPP_BAD_LENGTH], 0);
    assert_int_equal(st.tcp_gaps, 0);

    char *sum = summary_of(c.path);
    assert_non_null(strstr(sum, "resyncs 1 (25 bytes skipped)"));
    free(sum);
    conv_free(&c);
}

/* Diameter: the capture starts inside a Credit-Control request; then an Update-Location and
 * an Authentication-Information request, the second cut over two segments. */
static void test_diameter_midstream(void **state)
{
    (void)state;
    struct bytes m0 = {{0}, 0}, s1 = {{0}, 0}, s2 = {{0}, 0};
    dia_ccr(&m0);
    const size_t tail = m0.n - 13;
    put(&s1, m0.b + 13, tail);
    dia_req(&s1, 316, "001010123456789");
    dia_req(&s2, 318, "001010123456780");

    struct conv c;
    conv_open(&c, "dia-mid.pcap", 40001, 3868);
    uint64_t f1 = conv_send(&c, 0, s1.b, s1.n);
    conv_send(&c, 0, s2.b, 30);
    uint64_t f3 = conv_send(&c, 0, s2.b + 30, s2.n - 30);
    conv_close(&c);

    struct tu_cap g;
    struct cw_dissect_stats st;
    run_pcap(c.path, &g, &st);
    assert_int_equal(g.n, 2);
    assert_ev(&g, 0, CW_EV_REGISTER, NULL, NULL, f1);
    assert_string_equal(g.ev[0].imsi, "001010123456789");
    assert_ev(&g, 1, CW_EV_AUTH, NULL, NULL, f3);
    assert_string_equal(g.ev[1].imsi, "001010123456780");
    assert_int_equal(st.dec.messages[CW_PROTO_DIAMETER], 2);
    assert_int_equal(st.tcp_resyncs, 1);
    assert_int_equal(st.tcp_resync_bytes, tail);
    assert_int_equal(st.decode_errors, 0);
    assert_int_equal(st.dec.anomalies[CW_DA_DIAMETER_BAD_VERSION], 0);
    conv_free(&c);
}

/* SIP over TCP: the capture starts in the middle of an INVITE's headers; a REGISTER follows in
 * the same segment (so the flow is known as SIP from it), a MESSAGE in the next. */
static void test_sip_midstream(void **state)
{
    (void)state;
    struct bytes s1 = {{0}, 0};
    size_t inv = strlen(SIP_INVITE), cut = 150;
    put(&s1, SIP_INVITE + cut, inv - cut);
    put(&s1, SIP_REGISTER, strlen(SIP_REGISTER));

    struct conv c;
    conv_open(&c, "sip-mid.pcap", 40002, 5060);
    uint64_t f1 = conv_send(&c, 0, s1.b, s1.n);
    uint64_t f2 = conv_send(&c, 0, SIP_MESSAGE, strlen(SIP_MESSAGE));
    conv_close(&c);

    struct tu_cap g;
    struct cw_dissect_stats st;
    run_pcap(c.path, &g, &st);
    assert_int_equal(g.n, 2);
    assert_ev(&g, 0, CW_EV_REGISTER, "8613800000003", NULL, f1);
    assert_ev(&g, 1, CW_EV_SMS_MO, "8613800000004", "8613900000005", f2);
    assert_string_equal(g.text[1], "hello, world");
    assert_int_equal(st.dec.messages[CW_PROTO_SIP], 2);
    assert_int_equal(st.tcp_resyncs, 1);
    assert_int_equal(st.tcp_resync_bytes, inv - cut);
    assert_int_equal(st.decode_errors, 0);
    assert_int_equal(st.dec.anomalies[CW_DA_SIP_BAD_START_LINE], 0);
    conv_free(&c);
}

/* SMPP from the SYN: a segment is lost in the middle (the end of one PDU and the start of the
 * next); the server's ACK past it shows the capture missed it. The PDUs after the gap give
 * their events, the two it cut none. */
static void test_smpp_lost_segment(void **state)
{
    (void)state;
    struct bytes a = {{0}, 0}, b = {{0}, 0}, p3 = {{0}, 0}, d = {{0}, 0}, e = {{0}, 0};
    smpp_sm(&a, SMPP_SUBMIT_SM, 1, "8613800000001", "8613900000001", "before");
    smpp_sm(&b, SMPP_SUBMIT_SM, 2, "8613800000002", "8613900000002", "cut by the gap");
    smpp_sm(&p3, SMPP_SUBMIT_SM, 3, "8613800000003", "8613900000003", "its start lost");
    smpp_sm(&d, SMPP_DELIVER_SM, 4, "8613900000004", "8613800000004", "after");
    smpp_sm(&e, SMPP_SUBMIT_SM, 5, "8613800000005", "8613900000005", "later");

    struct conv c;
    conv_open(&c, "smpp-gap.pcap", 40003, 2775);
    conv_syn(&c);
    struct bytes s1 = {{0}, 0}, s3 = {{0}, 0};
    put(&s1, a.b, a.n);
    put(&s1, b.b, 20);
    uint64_t f1 = conv_send(&c, 0, s1.b, s1.n);
    conv_lose(&c, 0, (b.n - 20) + 10); /* the rest of b, the first 10 bytes of p3 */
    put(&s3, p3.b + 10, p3.n - 10);
    put(&s3, d.b, d.n);
    conv_send(&c, 0, s3.b, s3.n); /* held: the bytes before it are missing */
    uint64_t fa = conv_ack(&c, 1);  /* the server has it all: the hole was lost */
    uint64_t f5 = conv_send(&c, 0, e.b, e.n);
    conv_close(&c);

    struct tu_cap g;
    struct cw_dissect_stats st;
    run_pcap(c.path, &g, &st);
    assert_int_equal(g.n, 3);
    assert_ev(&g, 0, CW_EV_SMS_MO, "8613800000001", NULL, f1);
    assert_ev(&g, 1, CW_EV_SMS_MT, "8613900000004", "8613800000004", fa);
    assert_string_equal(g.text[1], "after");
    assert_ev(&g, 2, CW_EV_SMS_MO, "8613800000005", NULL, f5);
    assert_int_equal(st.tcp_gaps, 1);
    assert_int_equal(st.tcp_out_of_order, 1);
    assert_int_equal(st.tcp_resyncs, 1);
    assert_int_equal(st.tcp_resync_bytes, p3.n - 10);
    assert_int_equal(st.decode_errors, 0);
    assert_int_equal(st.dec.messages[CW_PROTO_SMPP], 3);
    conv_free(&c);
}

/* Diameter messages may be up to 1 MiB; the stream keeps 64 KiB. A 100,000-byte answer
 * between two requests is dropped as it comes (counted once as an overflow), exactly: the
 * request in the same segment as its last bytes is decoded, no resync needed. */
static void test_diameter_overlong(void **state)
{
    (void)state;
    const size_t big_len = 100000;
    assert_true(big_len > CW_STREAM_MAX && big_len <= CW_DIAMETER_MAX_MSG);
    uint8_t *big = calloc(1, big_len);
    assert_non_null(big);
    /* Update-Location answer (flags 0x40) with one Subscription-Data AVP of the rest */
    static const uint8_t hdr[20] = {1, 0x01, 0x86, 0xa0, 0x40, 0, 0x01, 0x3c, 0x01, 0, 0, 0x23,
                                    0, 0, 0, 1, 0, 0, 0, 2};
    memcpy(big, hdr, 20);
    size_t avp = big_len - 20;
    uint8_t ah[12] = {0, 0, 0x05, 0x78, 0xc0, (uint8_t)(avp >> 16), (uint8_t)(avp >> 8),
                      (uint8_t)avp, 0, 0, 0x28, 0xaf};
    memcpy(big + 20, ah, 12);
    for (size_t i = 32; i < big_len; i++)
        big[i] = (uint8_t)(i * 7); /* looks like nothing in particular */
    struct bytes ulr = {{0}, 0}, air = {{0}, 0};
    dia_req(&ulr, 316, "001010123456789");
    dia_req(&air, 318, "001010123456780");

    struct conv c;
    conv_open(&c, "dia-big.pcap", 40004, 3868);
    conv_syn(&c);
    uint64_t f1 = conv_send(&c, 0, ulr.b, ulr.n);
    size_t off = 0;
    while (big_len - off > 1400) {
        conv_send(&c, 0, big + off, 1400);
        off += 1400;
    }
    struct bytes last = {{0}, 0};
    put(&last, big + off, big_len - off);
    put(&last, air.b, air.n);
    uint64_t f2 = conv_send(&c, 0, last.b, last.n);
    conv_close(&c);
    free(big);

    struct tu_cap g;
    struct cw_dissect_stats st;
    run_pcap(c.path, &g, &st);
    assert_int_equal(g.n, 2);
    assert_ev(&g, 0, CW_EV_REGISTER, NULL, NULL, f1);
    assert_ev(&g, 1, CW_EV_AUTH, NULL, NULL, f2);
    assert_string_equal(g.ev[1].imsi, "001010123456780");
    assert_int_equal(st.tcp_overflows, 1);
    assert_int_equal(st.dec.messages[CW_PROTO_DIAMETER], 2); /* the big one is not decoded */
    assert_int_equal(st.tcp_resyncs, 0);
    assert_int_equal(st.tcp_resync_bytes, 0);
    assert_int_equal(st.decode_errors, 0);
    conv_free(&c);
}

/* ---- SIP over WebSocket ---- */

/* SYN, the HTTP upgrade (the request over two segments) and the 101 response. */
static void ws_open(struct conv *c, const char *name)
{
    conv_open(c, name, 50123, 8080);
    conv_syn(c);
    size_t n = strlen(UPGRADE_REQ);
    conv_send(c, 0, UPGRADE_REQ, 40);
    conv_send(c, 0, UPGRADE_REQ + 40, n - 40);
    conv_send(c, 1, UPGRADE_RESP, strlen(UPGRADE_RESP));
}

static void test_websocket(void **state)
{
    (void)state;
    struct conv c;
    ws_open(&c, "sip-ws.pcap");
    /* a masked INVITE (16-bit length) split over two segments */
    struct bytes inv = {{0}, 0};
    ws_text(&inv, SIP_INVITE, KEY);
    assert_int_equal(inv.b[1], 0x80 | 126);
    conv_send(&c, 0, inv.b, 100);
    uint64_t f_inv = conv_send(&c, 0, inv.b + 100, inv.n - 100);
    /* two masked frames in one segment */
    struct bytes two = {{0}, 0};
    ws_text(&two, SIP_MESSAGE, KEY);
    ws_frame(&two, 1, 0, CW_WS_BINARY, KEY, SIP_REGISTER, strlen(SIP_REGISTER), 0);
    uint64_t f_two = conv_send(&c, 0, two.b, two.n);
    /* a message in three fragments with a ping between them, over two segments */
    struct bytes fr = {{0}, 0};
    size_t ml = strlen(SIP_MESSAGE);
    ws_frame(&fr, 0, 0, CW_WS_TEXT, KEY, SIP_MESSAGE, 60, 0);
    ws_frame(&fr, 1, 0, CW_WS_PING, KEY, "ping", 4, 0);
    ws_frame(&fr, 0, 0, CW_WS_CONTINUATION, KEY, SIP_MESSAGE + 60, 100, 0);
    size_t seg = fr.n;
    ws_frame(&fr, 1, 0, CW_WS_CONTINUATION, KEY, SIP_MESSAGE + 160, ml - 160, 0);
    conv_send(&c, 0, fr.b, seg);
    uint64_t f_fr = conv_send(&c, 0, fr.b + seg, fr.n - seg);
    /* the server: an unmasked response (no event) and a close frame */
    struct bytes srv = {{0}, 0};
    ws_text(&srv, SIP_200, NULL);
    static const uint8_t close_[] = {0x88, 0x02, 0x03, 0xe8};
    put(&srv, close_, sizeof close_);
    conv_send(&c, 1, srv.b, srv.n);
    conv_close(&c);

    struct tu_cap g;
    struct cw_dissect_stats st;
    run_pcap(c.path, &g, &st);
    assert_int_equal(g.n, 4);
    assert_ev(&g, 0, CW_EV_CALL, "8613800000001", "8613900000002", f_inv);
    assert_int_equal(g.ev[0].proto, CW_PROTO_SIP);
    assert_ev(&g, 1, CW_EV_SMS_MO, "8613800000004", "8613900000005", f_two);
    assert_string_equal(g.text[1], "hello, world");
    assert_ev(&g, 2, CW_EV_REGISTER, "8613800000003", NULL, f_two);
    assert_ev(&g, 3, CW_EV_SMS_MO, "8613800000004", "8613900000005", f_fr);
    assert_string_equal(g.text[3], "hello, world");
    assert_int_equal(st.ws_upgrades, 1);
    assert_int_equal(st.ws_messages, 5);
    assert_int_equal(st.ws_control, 2);
    assert_int_equal(st.ws_unusable, 0);
    assert_int_equal(st.dec.messages[CW_PROTO_SIP], 5);
    assert_int_equal(st.decode_errors, 0);
    assert_int_equal(st.tcp_resyncs, 0);
    assert_int_equal(st.tcp_overflows, 0);

    char *sum = summary_of(c.path);
    assert_non_null(
        strstr(sum, "websocket    flows 1, messages 5, control frames 2, unusable messages 0"));
    free(sum);
    conv_free(&c);
}

/* Frames that cannot be read, or that lie about their length, cost only themselves. */
static void test_websocket_odd_frames(void **state)
{
    (void)state;
    struct conv c;
    ws_open(&c, "sip-ws-odd.pcap");
    struct bytes s = {{0}, 0};
    /* a REGISTER with a 64-bit length not in its shortest form: read */
    ws_frame(&s, 1, 0, CW_WS_TEXT, KEY, SIP_REGISTER, strlen(SIP_REGISTER), 64);
    /* a compressed message (RSV1, permessage-deflate): not decoded */
    ws_frame(&s, 1, 4, CW_WS_TEXT, KEY, "\xf2\x48\xcd\xc9\xc9\x07\x00", 7, 0);
    /* a continuation whose start was never seen */
    ws_frame(&s, 1, 0, CW_WS_CONTINUATION, KEY, "orphan", 6, 0);
    /* a first fragment, cut off by a new message (a MESSAGE, decoded) */
    ws_frame(&s, 0, 0, CW_WS_TEXT, KEY, "INVITE sip:x@y SIP/2.0\r\n", 24, 0);
    ws_text(&s, SIP_MESSAGE, KEY);
    uint64_t f1 = conv_send(&c, 0, s.b, s.n);
    /* a 64-bit length with its top bit set, 5 more bytes, then an INVITE: the INVITE is found
     * by scanning */
    s.n = 0;
    static const uint8_t top[10] = {0x81, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 5};
    put(&s, top, sizeof top);
    put(&s, "junk!", 5);
    ws_text(&s, SIP_INVITE, KEY);
    uint64_t f2 = conv_send(&c, 0, s.b, s.n);
    /* a length far over anything kept (1 TiB): taken for a lie, scanned past */
    s.n = 0;
    static const uint8_t huge[14] = {0x81, 0xff, 0, 0, 0x01, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    put(&s, huge, sizeof huge);
    put(&s, "xyz", 3);
    ws_text(&s, SIP_REGISTER, KEY);
    uint64_t f3 = conv_send(&c, 0, s.b, s.n);
    conv_close(&c);

    struct tu_cap g;
    struct cw_dissect_stats st;
    run_pcap(c.path, &g, &st);
    assert_int_equal(g.n, 4);
    assert_ev(&g, 0, CW_EV_REGISTER, "8613800000003", NULL, f1);
    assert_ev(&g, 1, CW_EV_SMS_MO, "8613800000004", "8613900000005", f1);
    assert_ev(&g, 2, CW_EV_CALL, "8613800000001", "8613900000002", f2);
    assert_ev(&g, 3, CW_EV_REGISTER, "8613800000003", NULL, f3);
    assert_int_equal(st.ws_upgrades, 1);
    assert_int_equal(st.ws_messages, 4);
    assert_int_equal(st.ws_unusable, 3); /* compressed, orphan, cut off */
    assert_int_equal(st.decode_errors, 2);
    assert_int_equal(st.tcp_resyncs, 2);
    assert_int_equal(st.tcp_resync_bytes, (10 + 5) + (14 + 3));
    assert_int_equal(st.tcp_overflows, 0);
    conv_free(&c);
}

/* A segment lost in the middle of a masked frame: the frames after it are found again. */
static void test_websocket_lost_segment(void **state)
{
    (void)state;
    struct conv c;
    ws_open(&c, "sip-ws-gap.pcap");
    struct bytes s = {{0}, 0};
    ws_text(&s, SIP_INVITE, KEY);
    size_t inv_n = s.n;
    ws_text(&s, SIP_REGISTER, KEY);
    conv_send(&c, 0, s.b, 50);
    conv_lose(&c, 0, 100);
    conv_send(&c, 0, s.b + 150, s.n - 150); /* held */
    uint64_t fa = conv_ack(&c, 1);
    struct bytes m = {{0}, 0};
    ws_text(&m, SIP_MESSAGE, KEY);
    uint64_t f2 = conv_send(&c, 0, m.b, m.n);
    conv_close(&c);

    struct tu_cap g;
    struct cw_dissect_stats st;
    run_pcap(c.path, &g, &st);
    assert_int_equal(g.n, 2);
    assert_ev(&g, 0, CW_EV_REGISTER, "8613800000003", NULL, fa);
    assert_ev(&g, 1, CW_EV_SMS_MO, "8613800000004", NULL, f2);
    assert_int_equal(st.tcp_gaps, 1);
    assert_int_equal(st.tcp_resyncs, 1);
    assert_int_equal(st.tcp_resync_bytes, inv_n - 150);
    assert_int_equal(st.ws_messages, 2);
    conv_free(&c);
}

/* An HTTP flow that does not upgrade, or upgrades to another subprotocol, gives nothing and
 * is not counted as SIP over WebSocket. */
static void test_websocket_not_sip(void **state)
{
    (void)state;
    struct conv c;
    conv_open(&c, "ws-chat.pcap", 50124, 8080);
    conv_syn(&c);
    static const char req[] = "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n"
                              "Sec-WebSocket-Protocol: chat\r\n\r\n";
    static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                               "Sec-WebSocket-Protocol: chat\r\n\r\n";
    conv_send(&c, 0, req, strlen(req));
    conv_send(&c, 1, resp, strlen(resp));
    struct bytes s = {{0}, 0};
    ws_text(&s, SIP_INVITE, KEY); /* SIP-looking text, but not the sip subprotocol */
    conv_send(&c, 0, s.b, s.n);
    conv_close(&c);

    struct tu_cap g;
    struct cw_dissect_stats st;
    run_pcap(c.path, &g, &st);
    assert_int_equal(g.n, 0);
    assert_int_equal(st.ws_upgrades, 0);
    assert_int_equal(st.ws_messages, 0);
    assert_int_equal(st.dec.messages[CW_PROTO_SIP], 0);
    conv_free(&c);
}

/* The cap on all flows' stream memory: partial messages past it are not kept (counted), the
 * flows within it decode as ever, and every byte is given back when the flows end. */
static void test_stream_memcap(void **state)
{
    (void)state;
    struct bytes pdu = {{0}, 0};
    smpp_sm(&pdu, SMPP_SUBMIT_SM, 1, "8613800000000", "8613900000000",
            "a message long enough to be split over two segments, kept in between");
    struct tu_cap g;
    memset(&g, 0, sizeof g);
    struct cw_event_sink sink = {tu_cap_event, &g, NULL};
    struct cw_dissector *d = NULL;
    assert_int_equal(cw_dissect_new(&sink, &d), 0);
    cw_dissect_set_stream_cap(d, 4 * 2048); /* room for four flows' first buffers */
    enum { FLOWS = 6 };
    struct cw_pkt_addr a[FLOWS];
    uint8_t frame[2048];
    uint64_t frame_no = 0;
    for (int half = 0; half < 2; half++) {
        for (int i = 0; i < FLOWS; i++) {
            if (!half) {
                memset(&a[i], 0, sizeof a[i]);
                assert_int_equal(cw_pkt_addr_set(&a[i], "10.1.0.5", "10.1.0.9"), 0);
                a[i].sport = (uint16_t)(41000 + i);
                a[i].dport = 2775;
                a[i].tcp_seq = 1000;
            }
            size_t from = half ? 40 : 0, n = half ? pdu.n - 40 : 40;
            size_t len = cw_pkt_build_tcp(frame, sizeof frame, &a[i], pdu.b + from, n);
            assert_true(len > 0);
            a[i].tcp_seq += (uint32_t)n;
            struct cw_raw_pkt raw = {1767225600000000ull + frame_no, frame, (uint32_t)len,
                                     (uint32_t)len, ++frame_no, CW_LINKTYPE_ETHERNET};
            cw_dissect_packet(d, &raw, CW_LINKTYPE_ETHERNET, 0);
        }
    }
    struct cw_dissect_stats st;
    cw_dissect_stats(d, &st);
    assert_int_equal(g.n, 4); /* the first four flows kept their first half */
    assert_int_equal(st.stream_memcap, FLOWS - 4);
    assert_int_equal(st.tcp_overflows, FLOWS - 4);
    assert_true(st.stream_mem > 0 && st.stream_mem <= 4 * 2048);
    /* a kept partial message that would need a bigger buffer, at the cap: its bytes are
     * dropped (counted) and the stream goes on */
    static const uint8_t big_head[16] = {0, 0, 0x0b, 0xb8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9};
    static uint8_t big[3000];
    memcpy(big, big_head, sizeof big_head); /* a submit_sm of 3000 bytes */
    for (int part = 0; part < 3; part++) {
        size_t from = (size_t)part * 1000, n = 1000;
        size_t len = cw_pkt_build_tcp(frame, sizeof frame, &a[0], big + from, n);
        assert_true(len > 0);
        a[0].tcp_seq += (uint32_t)n;
        struct cw_raw_pkt raw = {1767225600000000ull + frame_no, frame, (uint32_t)len,
                                 (uint32_t)len, ++frame_no, CW_LINKTYPE_ETHERNET};
        cw_dissect_packet(d, &raw, CW_LINKTYPE_ETHERNET, 0);
    }
    cw_dissect_stats(d, &st);
    assert_int_equal(st.stream_memcap, FLOWS - 4 + 1);
    assert_int_equal(st.tcp_overflows, FLOWS - 4 + 1);
    assert_true(st.stream_mem <= 4 * 2048);
    cw_dissect_finish(d);
    cw_dissect_stats(d, &st);
    assert_int_equal(st.stream_mem, 0);
    cw_dissect_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smpp_resync),
        cmocka_unit_test(test_diameter_resync),
        cmocka_unit_test(test_sip_resync),
        cmocka_unit_test(test_ws_frame_forms),
        cmocka_unit_test(test_ws_frame_truncated),
        cmocka_unit_test(test_ws_frame_errors),
        cmocka_unit_test(test_ws_unmask),
        cmocka_unit_test(test_ws_http),
        cmocka_unit_test(test_ws_resync),
        cmocka_unit_test(test_smpp_midstream),
        cmocka_unit_test(test_diameter_midstream),
        cmocka_unit_test(test_sip_midstream),
        cmocka_unit_test(test_smpp_lost_segment),
        cmocka_unit_test(test_diameter_overlong),
        cmocka_unit_test(test_websocket),
        cmocka_unit_test(test_websocket_odd_frames),
        cmocka_unit_test(test_websocket_lost_segment),
        cmocka_unit_test(test_websocket_not_sip),
        cmocka_unit_test(test_stream_memcap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
