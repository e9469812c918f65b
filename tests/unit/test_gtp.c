/* test_gtp.c - the GTP-C decoder: GTPv2 Create Session / Modify Bearer and GTPv1 Create PDP
 * Context events on hand-built messages and on payloads from the shared corpus, the serving
 * cell from the User Location Information (GTPv2 ECGI / CGI / SAI, GTPv1 CGI / SAI / RAI, cut
 * and malformed ULIs), piggybacked
 * GTPv2 messages, GTPv1 optional header fields and extension headers, other messages counted
 * without events, and malformed input: lying lengths at every level, truncation at every
 * length in an exactly-sized buffer, odd TBCD fillers, oversized identity IEs, unknown and
 * nested IEs, unknown TV types, not-GTP-C traffic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/gtp.h"
#include "decoder_test.h"
#include "testutil.h"

static const struct cw_pkt_meta META = {1767225600123456ull, 42, 3, 0, NULL};

/* Decode @p len bytes copied into an exactly-sized buffer (ASan sees any over-read); checks
 * the datagram contract (consumed = len, needed = 0). */
static int run(const void *msg, size_t len, struct tu_cap *c, struct cw_decode_stats *st)
{
    return tu_decode_datagram(cw_gtp_decode, msg, len, &META, c, st);
}

static void assert_event(const struct cw_event *ev, const char *imsi, const char *calling,
                         const char *imei, uint8_t flags)
{
    assert_int_equal(ev->kind, CW_EV_DATA_SESSION);
    assert_int_equal(ev->proto, CW_PROTO_GTP);
    assert_int_equal(ev->ts_us, META.ts_us);
    assert_int_equal(ev->frame, META.frame);
    assert_int_equal(ev->file_idx, META.file_idx);
    assert_string_equal(ev->imsi, imsi);
    assert_string_equal(ev->calling, calling);
    assert_string_equal(ev->imei, imei);
    assert_string_equal(ev->called, "");
    assert_int_equal(ev->flags, flags);
    assert_int_equal(ev->text.len, 0);
}

/* ---- a small message builder ---- */

struct msgb {
    uint8_t b[2048];
    size_t len;
};

static void put_u8(struct msgb *m, uint8_t v)
{
    assert_true(m->len < sizeof m->b);
    m->b[m->len++] = v;
}

static void put_u16(struct msgb *m, uint16_t v)
{
    put_u8(m, (uint8_t)(v >> 8));
    put_u8(m, (uint8_t)v);
}

static void put_u32(struct msgb *m, uint32_t v)
{
    put_u16(m, (uint16_t)(v >> 16));
    put_u16(m, (uint16_t)v);
}

static void put_bytes(struct msgb *m, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_u8(m, ((const uint8_t *)p)[i]);
}

static void put_hex(struct msgb *m, const char *hex)
{
    size_t n;
    uint8_t *b = tu_hex(hex, &n);
    put_bytes(m, b, n);
    free(b);
}

/* Digits as TBCD (low nibble first, 0xF filler for an odd count). */
static size_t tbcd(const char *d, uint8_t *out)
{
    size_t n = strlen(d), k = 0;
    for (size_t i = 0; i < n; i += 2) {
        uint8_t lo = (uint8_t)(d[i] - '0');
        uint8_t hi = i + 1 < n ? (uint8_t)(d[i + 1] - '0') : 0x0f;
        out[k++] = (uint8_t)(lo | hi << 4);
    }
    return k;
}

static void patch_u16(struct msgb *m, size_t at, size_t v)
{
    m->b[at] = (uint8_t)(v >> 8);
    m->b[at + 1] = (uint8_t)v;
}

/* GTPv2 header (flags: P 0x10, T 0x08); returns where the message starts. */
static size_t v2_begin(struct msgb *m, uint8_t flags, uint8_t type)
{
    size_t at = m->len;
    put_u8(m, (uint8_t)(0x40 | flags));
    put_u8(m, type);
    put_u16(m, 0);
    if (flags & 0x08)
        put_u32(m, 0xd37d1590u);
    put_u8(m, 0x1a);
    put_u16(m, 0x4a43);
    put_u8(m, 0);
    return at;
}

static void v2_end(struct msgb *m, size_t at)
{
    patch_u16(m, at + 2, m->len - at - 4);
}

static void v2_ie(struct msgb *m, uint8_t type, uint8_t inst, const void *v, size_t n)
{
    put_u8(m, type);
    put_u16(m, (uint16_t)n);
    put_u8(m, inst);
    put_bytes(m, v, n);
}

static void v2_ie_tbcd(struct msgb *m, uint8_t type, const char *digits)
{
    uint8_t b[32];
    v2_ie(m, type, 0, b, tbcd(digits, b));
}

static void v2_ie_hex(struct msgb *m, uint8_t type, uint8_t inst, const char *hex)
{
    size_t n;
    uint8_t *b = tu_hex(hex, &n);
    v2_ie(m, type, inst, b, n);
    free(b);
}

/* Create Session Request: IMSI, MSISDN, MEI (IMEISV), then a few ordinary IEs and a Bearer
 * Context holding nested IEs. */
static size_t build_csr(struct msgb *m)
{
    m->len = 0;
    size_t at = v2_begin(m, 0x08, 32);
    v2_ie_tbcd(m, 1, "460001234567890");
    v2_ie_tbcd(m, 76, "8613800138000");
    v2_ie_tbcd(m, 75, "4901542032375186");
    v2_ie_hex(m, 86, 0, "18 64f600 2e18 64f600 01ce6621");            /* ULI */
    v2_ie_hex(m, 82, 0, "06");                                        /* RAT type */
    v2_ie_hex(m, 87, 0, "8a 00000007 0a010a0b");                      /* F-TEID */
    v2_ie_hex(m, 71, 0, "08 696e7465726e6574");                       /* APN internet */
    v2_ie_hex(m, 93, 0, "49000100 05 57000900 80 0c000000 0b01016c"); /* Bearer Context */
    v2_end(m, at);
    return m->len;
}

static const char CSR_IMSI[] = "460001234567890";
static const char CSR_MSISDN[] = "8613800138000";
static const char CSR_IMEI[] = "490154203237518";

/* Modify Bearer Request with only the MEI (an IMEI with a wrong check digit). */
static size_t build_mbr(struct msgb *m)
{
    m->len = 0;
    size_t at = v2_begin(m, 0x08, 34);
    v2_ie_hex(m, 86, 0, "18 64f600 2e18 64f600 01ce6621");
    v2_ie_tbcd(m, 75, "356938035643801");
    v2_ie_hex(m, 93, 0, "49000100 05");
    v2_end(m, at);
    return m->len;
}

/* ---- payloads from the shared corpus (UDP payloads as tshark shows them) ---- */

/* gtpv2-create-session-imsi-mei-msisdn.pcap frame 1 */
static const char CORPUS_CSR[] =
    "482000f3000000004b5462000100080089674511223344f54c0006009876541234564b00080034567890120102f3"
    "56000d00189876541234987654123456785300030089475652000100064d00020000005700090086355292040a"
    "6500024700090008696e7465726e6574800001000063000100014f00050001211717017f000100024800080000"
    "00270f0000270f49000100055d003d00490001000554000d002131010910c0a80101ffffff0057000902843552"
    "92050a65000250001600180700000000000000000000000000000000000000008400070001ac106b7100018400"
    "070101ac106b7200017200020000005f0002000001";
/* gtpv2-s11-create-session-modify-bearer.pcap frames 1 and 2 */
static const char CORPUS_S11_CSR[] =
    "482000c400000000000016000100080010214365871932f44c00050004930400004b0008005388115000000000"
    "56000d001804f550000904f5500000001463000100015300030004f55052000100064d00040000080000570009"
    "008a000000070a010a0b570009018700000000c0a80169470005000461706e3180000100004f00050001000000"
    "004800080000003e8000003e807f00010000720002000a015f00020072315d001f004900010005500016000809"
    "0000000000000000000000000000000000000000";
static const char CORPUS_S11_MBR[] =
    "48220043eeffc000000017005d001200490001000557000900800c0000000b01016c570009008a000000070a01"
    "0a0b56000d001804f550000904f550000000145300030004f550";
/* gtpv2-modify-bearer-piggyback.pcapng frames 1, 2, 4, 6 */
static const char CORPUS_PB_MBR[] =
    "4822006bd37d15901a4a430056000d001864f6292e1864f62901ce662153000300"
    "64f62952000100065700090086a43ed0306f47ec314800080000000800000008004b00080053028970726123607"
    "200020023005d00120049000100055700090184a430f3e26f47ec430300010012";
static const char CORPUS_PB_ECHO_CSRSP[] =
    "500100090030390003000100114c21001400015666010932900100080033879334495183f6";
static const char CORPUS_PB_ECHO_CUT[] = "500100090030390003000100113132";
static const char CORPUS_PB_MBR_CUT[] = "4c22002ad37d15901a4a4310";
/* gtpv1-create-pdp-context-imsi-msisdn.pcapng frames 2, 7, 5 and 13 (GTPv0 G-PDU) */
static const char CORPUS_V1_CPDP2[] =
    "3210008900000000130b00000264004001000001f10364f060fffeff0eb00ffd1032f02bf91132f02bf91405800"
    "002f1218300070665657465737484001a8080211601010016030600000000810600000000830600000000850004"
    "c0a96401850004c0a9640186000891685122010001f187000c021b421f738c4040744b4040970001029900022320"
    "ff00052aab020103";
static const char CORPUS_V1_CPDP7[] =
    "32100068000000000c0100000242000121436587f90e030f011000000001110000000114001a0800800002f12183"
    "000908696e7465726e657484001580c0231101010011036d69670868656d6d656c69678500047f000002850004"
    "7f000002860007916407123254f6870004000b921f";
static const char CORPUS_V1_ECHO[] = "32010004000000000c000000";
static const char CORPUS_V0_GPDU[] = "1eff005400000001ffffffff420001214365870945000054";

static int run_hex(const char *hex, struct tu_cap *c, struct cw_decode_stats *st)
{
    size_t n;
    uint8_t *b = tu_hex(hex, &n);
    int rc = run(b, n, c, st);
    free(b);
    return rc;
}

/* ---- GTPv2 ---- */

static void test_v2_create_session(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    size_t n = build_csr(&m);
    assert_int_equal(run(m.b, n, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, CSR_MSISDN, CSR_IMEI, CW_EVF_CALLING_INTL);
    assert_string_equal(c.ev[0].cell, "46600-1ce6621"); /* ULI TAI + ECGI */
    assert_int_equal(st.messages[CW_PROTO_GTP], 1);
    assert_int_equal(tu_anomalies(&st), 0);
}

static void test_v2_modify_bearer(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    size_t n = build_mbr(&m);
    assert_int_equal(run(m.b, n, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], "", "", "356938035643809", 0);

    /* An MBR without identities (the common case) gives no event and is no anomaly. */
    m.len = 0;
    size_t at = v2_begin(&m, 0x08, 34);
    v2_ie_hex(&m, 93, 0, "49000100 05");
    v2_end(&m, at);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.messages[CW_PROTO_GTP], 1);
    assert_int_equal(tu_anomalies(&st), 0);
}

static void test_v2_corpus(void **state)
{
    (void)state;
    struct tu_cap c;
    struct cw_decode_stats st;

    assert_int_equal(run_hex(CORPUS_CSR, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    /* tshark: MEI 436587092110203; its check digit is wrong, the Luhn digit is 4 */
    assert_event(&c.ev[0], "987654112233445", "896745214365", "436587092110204",
                 CW_EVF_CALLING_INTL);
    /* tshark: ECGI MCC 896 MNC 457, ECI 305419896 (0x12345678: it shows the 4 spare bits) */
    assert_string_equal(c.ev[0].cell, "896457-2345678");

    assert_int_equal(run_hex(CORPUS_S11_CSR, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    /* tshark: MEI 3588110500000000 (IMEISV: 14 digits + SV 00) */
    assert_event(&c.ev[0], "011234567891234", "4039400000", "358811050000007", CW_EVF_CALLING_INTL);
    assert_string_equal(c.ev[0].cell, "40505-0000014"); /* tshark: MCC 405 MNC 05, ECI 20 */

    assert_int_equal(run_hex(CORPUS_S11_MBR, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.messages[CW_PROTO_GTP], 1);

    assert_int_equal(run_hex(CORPUS_PB_MBR, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], "", "", "352098072716325", 0);
    assert_string_equal(c.ev[0].cell, "46692-1ce6621"); /* tshark: 466 92, ECI 30303777 */

    /* Echo Request + piggybacked Create Session Response (IMSI, but a response): no event */
    assert_int_equal(run_hex(CORPUS_PB_ECHO_CSRSP, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.messages[CW_PROTO_GTP], 2);
    assert_int_equal(tu_anomalies(&st), 0);

    /* P flag, then two stray octets (tshark: malformed) */
    assert_int_equal(run_hex(CORPUS_PB_ECHO_CUT, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.messages[CW_PROTO_GTP], 1);
    assert_int_equal(st.anomalies[CW_DA_GTP_TRUNCATED], 1);

    /* Length 42 with 8 octets there */
    assert_int_equal(run_hex(CORPUS_PB_MBR_CUT, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.messages[CW_PROTO_GTP], 0);
    assert_int_equal(st.anomalies[CW_DA_GTP_TRUNCATED], 1);
}

static void test_v2_piggyback(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    /* MBR (P) carrying a Create Session Request (TS 29.274 5.5 pairs other messages, but
     * every piggybacked message is decoded the same way) */
    m.len = 0;
    size_t at = v2_begin(&m, 0x18, 34);
    v2_ie_tbcd(&m, 75, "356938035643809");
    v2_end(&m, at);
    size_t first = m.len;
    at = v2_begin(&m, 0x08, 32);
    v2_ie_tbcd(&m, 1, CSR_IMSI);
    v2_end(&m, at);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 2);
    assert_event(&c.ev[0], "", "", "356938035643809", 0);
    assert_event(&c.ev[1], CSR_IMSI, "", "", 0);
    assert_int_equal(st.messages[CW_PROTO_GTP], 2);

    /* Cut inside the piggybacked message: the first is whole and still gives its event. */
    for (size_t cut = first; cut < m.len; cut++) {
        assert_int_equal(run(m.b, cut, &c, &st), CW_PARSE_ERROR);
        assert_int_equal(c.n, 1);
        assert_event(&c.ev[0], "", "", "356938035643809", 0);
        assert_int_equal(st.anomalies[CW_DA_GTP_TRUNCATED], 1);
    }

    /* A piggybacked message that is not GTPv2 */
    m.b[first] = 0x30;
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(c.n, 1);
    assert_int_equal(st.anomalies[CW_DA_GTP_BAD_VERSION], 1);
}

static void test_v2_other_messages(void **state)
{
    (void)state;
    static const uint8_t types[] = {1, 2, 33, 35, 36, 37, 68, 95, 170};
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    for (size_t i = 0; i < sizeof types; i++) {
        m.len = 0;
        size_t at = v2_begin(&m, types[i] == 1 || types[i] == 2 ? 0 : 0x08, types[i]);
        v2_ie_tbcd(&m, 1, CSR_IMSI);
        v2_ie_tbcd(&m, 76, CSR_MSISDN);
        v2_end(&m, at);
        assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
        assert_int_equal(c.n, 0);
        assert_int_equal(st.messages[CW_PROTO_GTP], 1);
    }
}

static void test_v2_ies(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    uint8_t b[16];

    /* Unknown IEs skipped; a second instance ignored; the first IMSI wins; an IMSI nested in
     * a grouped IE (Bearer Context) is not the session's identity. */
    m.len = 0;
    size_t at = v2_begin(&m, 0x08, 32);
    v2_ie_hex(&m, 200, 0, "0102030405");
    v2_ie_hex(&m, 254, 0, "");
    size_t nb = tbcd("001010000000001", b);
    put_u8(&m, 93);
    put_u16(&m, (uint16_t)(4 + nb));
    put_u8(&m, 0);
    v2_ie(&m, 1, 0, b, nb);
    v2_ie(&m, 1, 1, b, nb); /* IMSI instance 1 */
    v2_ie_tbcd(&m, 1, CSR_IMSI);
    v2_ie_tbcd(&m, 1, "310150123456789");
    v2_ie_tbcd(&m, 76, CSR_MSISDN);
    v2_end(&m, at);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, CSR_MSISDN, "", CW_EVF_CALLING_INTL);

    /* Only a nested IMSI: no identity, no event */
    m.len = 0;
    at = v2_begin(&m, 0x08, 32);
    put_u8(&m, 93);
    put_u16(&m, (uint16_t)(4 + nb));
    put_u8(&m, 0);
    v2_ie(&m, 1, 0, b, nb);
    v2_end(&m, at);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 0);
}

/* An identity IE with value @p hex in a CSR that also has a good MSISDN. */
static void check_bad_value(uint8_t type, const char *hex)
{
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    m.len = 0;
    size_t at = v2_begin(&m, 0x08, 32);
    v2_ie_hex(&m, type, 0, hex);
    if (type != 76)
        v2_ie_tbcd(&m, 76, CSR_MSISDN);
    else
        v2_ie_tbcd(&m, 1, CSR_IMSI);
    v2_end(&m, at);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_BAD_VALUE], 1);
    assert_int_equal(c.n, 1);
    if (type == 76)
        assert_event(&c.ev[0], CSR_IMSI, "", "", 0);
    else
        assert_event(&c.ev[0], "", CSR_MSISDN, "", CW_EVF_CALLING_INTL);
}

static void test_v2_bad_values(void **state)
{
    (void)state;
    check_bad_value(1, "64001032547698f0 11"); /* 9 octets: digits after the filler */
    check_bad_value(1, "640010325476980121");  /* 9 octets, 18 digits: too long */
    check_bad_value(1, "640010f2547698f0");    /* a filler in the middle */
    check_bad_value(1, "6400103254769a");      /* a non-decimal nibble */
    check_bad_value(1, "6400f1");              /* 5 digits */
    check_bad_value(1, "");                    /* empty */
    check_bad_value(1, "ffffffffffffffff");    /* fillers only */
    check_bad_value(75, "941045022373156811"); /* MEI of 18 digits */
    check_bad_value(75, "941045022373");       /* 12 digits: too short */
    check_bad_value(75, "9410f5022373150f");   /* filler inside */
    check_bad_value(76, "");                   /* empty MSISDN */
    check_bad_value(76, "68f131");             /* filler inside */
    check_bad_value(76, "683108108300c0");     /* non-decimal nibble */

    /* Fillers that are fine: a whole 0xFF tail, an odd count */
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    m.len = 0;
    size_t at = v2_begin(&m, 0x08, 32);
    v2_ie_hex(&m, 1, 0, "64001032547698f0");
    v2_ie_hex(&m, 76, 0, "683108108300f0ffff");
    v2_ie_hex(&m, 75, 0, "3516900153462800"); /* IMEISV 15 + SV */
    v2_end(&m, at);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, CSR_MSISDN, "536109103564821", CW_EVF_CALLING_INTL);
}

static void test_v2_lying_lengths(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    size_t n = build_csr(&m);

    /* header length one more than there is: truncated, dropped */
    patch_u16(&m, 2, n - 4 + 1);
    assert_int_equal(run(m.b, n, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.messages[CW_PROTO_GTP], 0);
    assert_int_equal(st.anomalies[CW_DA_GTP_TRUNCATED], 1);

    /* header length shorter than the TEID + sequence: bad length */
    for (size_t l = 0; l < 8; l++) {
        patch_u16(&m, 2, l);
        assert_int_equal(run(m.b, 4 + l, &c, &st), CW_PARSE_ERROR);
        assert_int_equal(st.anomalies[CW_DA_GTP_BAD_LENGTH], 1);
        assert_int_equal(c.n, 0);
    }

    /* header length short of the datagram: the rest is trailing, the message still read
     * up to where its IEs end (the MEI IE is cut: overrun) */
    build_csr(&m);
    patch_u16(&m, 2, 12 + 12 + 11 + 6 - 4); /* ends inside the MEI IE */
    assert_int_equal(run(m.b, n, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_TRAILING], 1);
    assert_int_equal(st.anomalies[CW_DA_GTP_IE_OVERRUN], 1);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, CSR_MSISDN, "", CW_EVF_CALLING_INTL);

    /* IE length running past the message: walk ends there, what came before is kept */
    build_csr(&m);
    size_t mei_len_at = 12 + 12 + 11 + 1; /* IMSI IE 12 octets, MSISDN IE 11 */
    assert_int_equal(m.b[mei_len_at - 1], 75);
    patch_u16(&m, mei_len_at, 0xffff);
    assert_int_equal(run(m.b, n, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_IE_OVERRUN], 1);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, CSR_MSISDN, "", CW_EVF_CALLING_INTL);

    /* an IE header cut by the message end (1..3 octets of it) */
    for (size_t k = 1; k < 4; k++) {
        m.len = 0;
        size_t at = v2_begin(&m, 0x08, 32);
        v2_ie_tbcd(&m, 1, CSR_IMSI);
        put_bytes(&m, "\x56\x00\x00", k);
        v2_end(&m, at);
        assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
        assert_int_equal(st.anomalies[CW_DA_GTP_IE_OVERRUN], 1);
        assert_int_equal(c.n, 1);
        assert_event(&c.ev[0], CSR_IMSI, "", "", 0);
    }
}

static void test_v2_trailing_and_versions(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    size_t n = build_csr(&m);
    put_u8(&m, 0);
    assert_int_equal(run(m.b, n + 1, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_TRAILING], 1);
    assert_int_equal(c.n, 1);

    for (unsigned v = 3; v < 8; v++) {
        m.b[0] = (uint8_t)(v << 5 | 0x08);
        assert_int_equal(run(m.b, n, &c, &st), CW_PARSE_ERROR);
        assert_int_equal(st.anomalies[CW_DA_GTP_BAD_VERSION], 1);
        assert_int_equal(st.messages[CW_PROTO_GTP], 0);
        assert_int_equal(c.n, 0);
    }
}

/* Every valid message cut at every length in an exactly-sized buffer: never a crash, and any
 * event is one of the whole message's (never half a number). */
static void check_truncations(const uint8_t *msg, size_t n)
{
    struct tu_cap full, c;
    struct cw_decode_stats st;
    run(msg, n, &full, &st);
    for (size_t cut = 0; cut < n; cut++) {
        int rc = run(msg, cut, &c, &st);
        assert_int_equal(rc, CW_PARSE_ERROR);
        assert_true(tu_anomalies(&st) >= 1);
        assert_true(c.n <= full.n);
        for (int i = 0; i < c.n && i < TU_MAX_EV; i++)
            assert_memory_equal(&c.ev[i], &full.ev[i], sizeof c.ev[i]);
    }
}

/* The cell of a Create Session Request with an IMSI and a ULI of value @p uli_hex (instance
 * @p inst); @p bad: the ULI is malformed (counted as bad_value). The event is always given. */
static void check_v2_uli(const char *uli_hex, uint8_t inst, const char *cell, int bad)
{
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    m.len = 0;
    size_t at = v2_begin(&m, 0x08, 32);
    v2_ie_tbcd(&m, 1, CSR_IMSI);
    v2_ie_hex(&m, 86, inst, uli_hex);
    v2_ie_hex(&m, 82, 0, "06");
    v2_end(&m, at);
    assert_int_equal(run(m.b, m.len, &c, &st), bad ? CW_PARSE_ERROR : CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, "", "", 0);
    assert_string_equal(c.ev[0].cell, cell);
    assert_int_equal(st.anomalies[CW_DA_GTP_BAD_VALUE], bad ? 1 : 0);
    assert_int_equal(tu_anomalies(&st), bad ? 1 : 0);
    check_truncations(m.b, m.len);
}

static void test_v2_uli(void **state)
{
    (void)state;
    /* TAI + ECGI, three-digit MNC: the string P-Access-Network-Info 3GPP-E-UTRAN-FDD;
     * utran-cell-id-3gpp=31041000011a2d001 gives (test_sip.c) */
    check_v2_uli("18 130014 0001 130014 01a2d001", 0, "310410-1a2d001", 0);
    check_v2_uli("18 130014 0001 130014 f1a2d001", 0, "310410-1a2d001", 0); /* spare bits */
    check_v2_uli("10 64f000 0c3d4e5f", 0, "46000-c3d4e5f", 0);              /* ECGI only */
    /* CGI only; SAI only: MCCMNC-LAC-CI/SAC */
    check_v2_uli("01 64f000 1234 abcd", 0, "46000-1234-abcd", 0);
    check_v2_uli("02 64f000 1234 00ef", 0, "46000-1234-00ef", 0);
    /* CGI and SAI: the CGI; every part up to the LAI: the ECGI */
    check_v2_uli("03 64f000 1234 abcd 64f000 1234 00ef", 0, "46000-1234-abcd", 0);
    check_v2_uli("3f 64f000 1234 abcd 64f000 1234 00ef 64f000 1234 05ff 64f000 0001"
                 " 130014 01a2d001 64f000 1234",
                 0, "310410-1a2d001", 0);
    /* macro eNodeB IDs after them, and octets a later release adds: not read */
    check_v2_uli("d0 64f000 0c3d4e5f 64f000 012345 64f000 812345 aabb", 0, "46000-c3d4e5f", 0);
    /* no cell in it (TAI, RAI, LAI, no flags), or another instance: empty, no anomaly */
    check_v2_uli("08 64f000 0001", 0, "", 0);
    check_v2_uli("24 64f000 1234 05ff 64f000 1234", 0, "", 0);
    check_v2_uli("00", 0, "", 0);
    check_v2_uli("10 64f000 0c3d4e5f", 1, "", 0);
    /* malformed: bad_value, empty cell, the identities still reported */
    check_v2_uli("", 0, "", 1);                             /* no flags octet */
    check_v2_uli("18 130014 0001 130014 01a2d0", 0, "", 1); /* ECGI cut */
    check_v2_uli("10", 0, "", 1);                           /* flag, no part */
    check_v2_uli("01 64f000 1234 ab", 0, "", 1);            /* CGI cut */
    check_v2_uli("10 6af000 0c3d4e5f", 0, "", 1);           /* MCC digit 0xa */
    check_v2_uli("10 64fa00 0c3d4e5f", 0, "", 1);           /* MNC digit 0xa (not the filler) */
    check_v2_uli("01 64f0f0 1234 abcd", 0, "", 1);          /* MNC filler in the middle */

    /* a ULI alone names no card: no event (and no anomaly) */
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    m.len = 0;
    size_t at = v2_begin(&m, 0x08, 34);
    v2_ie_hex(&m, 86, 0, "18 130014 0001 130014 01a2d001");
    v2_end(&m, at);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 0);
    assert_int_equal(tu_anomalies(&st), 0);
}

static void test_truncated_every_length(void **state)
{
    (void)state;
    struct msgb m;
    size_t n = build_csr(&m);
    check_truncations(m.b, n);
    n = build_mbr(&m);
    check_truncations(m.b, n);
    const char *hexes[] = {CORPUS_CSR,      CORPUS_S11_CSR,  CORPUS_PB_MBR,
                           CORPUS_V1_CPDP2, CORPUS_V1_CPDP7, CORPUS_PB_ECHO_CSRSP};
    for (size_t i = 0; i < sizeof hexes / sizeof hexes[0]; i++) {
        uint8_t *b = tu_hex(hexes[i], &n);
        check_truncations(b, n);
        free(b);
    }
    /* A single whole message cut anywhere: no event at all */
    struct tu_cap c;
    struct cw_decode_stats st;
    n = build_csr(&m);
    for (size_t cut = 0; cut < n; cut++) {
        run(m.b, cut, &c, &st);
        assert_int_equal(c.n, 0);
    }
}

/* ---- GTPv1 ---- */

/* GTPv1 header; @p flags are the low bits (E 4, S 2, PN 1); @p ext: extension headers as
 * raw octets (each length, content, next type) after the next-type octet @p first_ext. */
static size_t v1_begin(struct msgb *m, uint8_t flags, uint8_t type, uint8_t first_ext,
                       const char *ext_hex)
{
    m->len = 0;
    put_u8(m, (uint8_t)(0x30 | flags));
    put_u8(m, type);
    put_u16(m, 0);
    put_u32(m, 0);
    if (flags & 7) {
        put_u16(m, 0x130b);
        put_u8(m, 0);
        put_u8(m, first_ext);
        if (ext_hex)
            put_hex(m, ext_hex);
    }
    return 0;
}

static void v1_end(struct msgb *m)
{
    patch_u16(m, 2, m->len - 8);
}

static void v1_tlv(struct msgb *m, uint8_t type, const void *v, size_t n)
{
    put_u8(m, type);
    put_u16(m, (uint16_t)n);
    put_bytes(m, v, n);
}

/* The IEs of a Create PDP Context Request: IMSI, RAI, Recovery, Selection mode, TEIDs, NSAPI,
 * End User Address, APN, GSN addresses, MSISDN (TON @p msisdn_ton_npi), QoS, IMEI(SV). */
static void v1_cpdp_ies(struct msgb *m, uint8_t msisdn_ton_npi)
{
    uint8_t b[16];
    put_u8(m, 2);
    size_t n = tbcd(CSR_IMSI, b);
    put_bytes(m, b, n);
    put_hex(m, "03 64f060fffeff 0e b0 0f fd 10 32f02bf9 11 32f02bf9 14 05");
    put_hex(m, "80 0002 f121 83 0009 08696e7465726e6574");
    put_hex(m, "85 0004 c0a96401 85 0004 c0a96401");
    b[0] = msisdn_ton_npi;
    n = tbcd(CSR_MSISDN, b + 1);
    v1_tlv(m, 134, b, n + 1);
    put_hex(m, "87 000c 021b421f738c4040744b4040");
    n = tbcd("4901542032375186", b);
    v1_tlv(m, 154, b, n);
    put_hex(m, "97 0001 02");
}

static void test_v1_create_pdp(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;

    /* S flag only (as most GSNs send it) */
    v1_begin(&m, 0x02, 16, 0, NULL);
    v1_cpdp_ies(&m, 0x91);
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, CSR_MSISDN, CSR_IMEI, CW_EVF_CALLING_INTL);
    assert_int_equal(st.messages[CW_PROTO_GTP], 1);

    /* no optional fields at all; MSISDN with national TON */
    v1_begin(&m, 0, 16, 0, NULL);
    v1_cpdp_ies(&m, 0xa1);
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, CSR_MSISDN, CSR_IMEI, 0);

    /* E, S and PN with two extension headers (PDCP PDU number, then a 2-unit one) */
    v1_begin(&m, 0x07, 16, 0xc0, "01 1234 40  02 aabbccddee00 00");
    v1_cpdp_ies(&m, 0x91);
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, CSR_MSISDN, CSR_IMEI, CW_EVF_CALLING_INTL);
    assert_int_equal(tu_anomalies(&st), 0);

    /* a next-type octet with E clear is not an extension header */
    v1_begin(&m, 0x02, 16, 0xc0, NULL);
    v1_cpdp_ies(&m, 0x91);
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    check_truncations(m.b, m.len);

    v1_begin(&m, 0x07, 16, 0xc0, "01 1234 40  02 aabbccddee00 00");
    v1_cpdp_ies(&m, 0x91);
    v1_end(&m);
    check_truncations(m.b, m.len);
}

/* A Create PDP Context Request with a ULI IE (152) of value @p uli_hex: its cell; @p bad: the
 * ULI is malformed (bad_value), the rest still reported. */
static void check_v1_uli(const char *uli_hex, const char *cell, int bad)
{
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    size_t n;
    uint8_t *v = tu_hex(uli_hex, &n);
    v1_begin(&m, 0x02, 16, 0, NULL);
    v1_cpdp_ies(&m, 0x91);
    v1_tlv(&m, 152, v, n);
    put_hex(&m, "9a 0008 0000000000000000"); /* MS Time Zone ... after it */
    v1_end(&m);
    free(v);
    assert_int_equal(run(m.b, m.len, &c, &st), bad ? CW_PARSE_ERROR : CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, CSR_MSISDN, CSR_IMEI, CW_EVF_CALLING_INTL);
    assert_string_equal(c.ev[0].cell, cell);
    assert_int_equal(st.anomalies[CW_DA_GTP_BAD_VALUE], bad ? 1 : 0);
    assert_int_equal(tu_anomalies(&st), bad ? 1 : 0);
    check_truncations(m.b, m.len);
}

static void test_v1_uli(void **state)
{
    (void)state;
    check_v1_uli("00 64f000 1234 abcd", "46000-1234-abcd", 0);  /* CGI */
    check_v1_uli("01 130014 fffe 0001", "310410-fffe-0001", 0); /* SAI */
    check_v1_uli("02 64f000 1234 55ff", "46000-1234-55", 0);    /* RAI: LAC, RAC */
    check_v1_uli("02 64f000 1234 55", "46000-1234-55", 0);      /* RAI without the last octet */
    check_v1_uli("80 64f000 0001", "", 0);                      /* another type: no cell */
    check_v1_uli("", "", 1);
    check_v1_uli("00 64f000 1234 ab", "", 1); /* CGI cut */
    check_v1_uli("02 64f000 12", "", 1);      /* RAI cut */
    check_v1_uli("00 64fb00 1234 abcd", "", 1);
}

static void test_v1_corpus(void **state)
{
    (void)state;
    struct tu_cap c;
    struct cw_decode_stats st;
    assert_int_equal(run_hex(CORPUS_V1_CPDP2, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], "460004100000101", "8615221000101", "", CW_EVF_CALLING_INTL);
    assert_int_equal(run_hex(CORPUS_V1_CPDP7, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], "240010123456789", "46702123456", "", CW_EVF_CALLING_INTL);
    assert_int_equal(run_hex(CORPUS_V1_ECHO, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.messages[CW_PROTO_GTP], 1);
    /* a GTPv0 G-PDU (user plane): not ours */
    assert_int_equal(run_hex(CORPUS_V0_GPDU, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_NOT_GTPC], 1);
    assert_int_equal(st.messages[CW_PROTO_GTP], 0);
}

/* GTPv0 Create PDP Context Request (GSM 09.60): the IMSI from the TID (NSAPI 5 in its last
 * nibble), the MSISDN IE after v0's TV IEs (QoS Profile 3 octets, flow labels 2). */
static const char V0_CPDP_HEAD[] = "1e10"; /* v0, PT 1, spare 111; type 16; length follows */
static const char V0_CPDP_REST[] = "0001"
                                   "0000"
                                   "ff"
                                   "ffffff" /* sequence, flow label, SNDCP N-PDU, spare */
                                   "%s"     /* TID */
                                   "060b921f"
                                   "0e04"
                                   "0f01"
                                   "100001"
                                   "110001" /* QoS, recovery, selection, flow labels */
                                   "800002f121"
                                   "8300080770726976617465" /* end user address, APN */
                                   "8500040a000001"
                                   "86000791683108214365"; /* GSN address, MSISDN +861380123456 */

static int run_v0(const char *tid, int cut, struct tu_cap *c, struct cw_decode_stats *st)
{
    char rest[512], hex[600];
    snprintf(rest, sizeof rest, V0_CPDP_REST, tid);
    size_t body = strlen(rest) / 2 - 16; /* length counts what follows the 20-octet header */
    snprintf(hex, sizeof hex, "%s%04zx%s", V0_CPDP_HEAD, body, rest);
    hex[strlen(hex) - (size_t)cut * 2] = 0;
    return run_hex(hex, c, st);
}

static void test_v0_create_pdp(void **state)
{
    (void)state;
    struct tu_cap c;
    struct cw_decode_stats st;
    assert_int_equal(run_v0("6400104523018957", 0, &c, &st), CW_PARSE_OK);
    assert_int_equal(st.messages[CW_PROTO_GTP], 1);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], "460001543210987", "861380123456", "", CW_EVF_CALLING_INTL);
    /* a 14-digit IMSI: a filler before the NSAPI */
    assert_int_equal(run_v0("640010452301895f", 0, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].imsi, "46000154321098");
    /* a filler in the middle of the TID: no IMSI, the MSISDN still gives the event */
    assert_int_equal(run_v0("64f01045230189f5", 0, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_BAD_VALUE], 1);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].imsi, "");
    /* the last IE cut: the length lies */
    assert_int_equal(run_v0("6400104523018957", 3, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_TRUNCATED], 1);
    assert_int_equal(c.n, 0);
    /* the header cut inside the TID */
    size_t n;
    uint8_t *b = tu_hex("1e100000000100ffffffff64001045", &n);
    assert_int_equal(run(b, n, &c, &st), CW_PARSE_ERROR);
    free(b);
    assert_int_equal(st.anomalies[CW_DA_GTP_TRUNCATED], 1);
    /* GTP' v0 (PT clear) on the same port: charging, not ours */
    b = tu_hex("0e01000000010000ffffffff", &n);
    assert_int_equal(run(b, n, &c, &st), CW_PARSE_ERROR);
    free(b);
    assert_int_equal(st.anomalies[CW_DA_GTP_NOT_GTPC], 1);
    /* an Echo Request v0: counted, no event */
    b = tu_hex("1e010000000100000fffffff6400104523018957", &n);
    assert_int_equal(run(b, n, &c, &st), CW_PARSE_OK);
    free(b);
    assert_int_equal(st.messages[CW_PROTO_GTP], 1);
    assert_int_equal(c.n, 0);
}

static void test_v1_not_gtpc(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    /* G-PDU */
    v1_begin(&m, 0x02, 255, 0, NULL);
    put_hex(&m, "4500001c000000004011000001020304050607080000000000080000");
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_NOT_GTPC], 1);
    assert_int_equal(st.messages[CW_PROTO_GTP], 0);
    /* GTP' (PT 0): a Create PDP Context Request's type number, but charging */
    v1_begin(&m, 0x02, 16, 0, NULL);
    v1_cpdp_ies(&m, 0x91);
    v1_end(&m);
    m.b[0] &= (uint8_t)~0x10u;
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_NOT_GTPC], 1);
    assert_int_equal(c.n, 0);
    /* GTP' data record transfer */
    v1_begin(&m, 0x02, 240, 0, NULL);
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_NOT_GTPC], 1);
}

static void test_v1_malformed(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;

    /* extension header of length 0 */
    v1_begin(&m, 0x04, 16, 0xc0, "00 1234 00");
    v1_cpdp_ies(&m, 0x91);
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_BAD_EXT_HEADER], 1);
    assert_int_equal(st.messages[CW_PROTO_GTP], 1);
    assert_int_equal(c.n, 0);

    /* extension header running past the message */
    v1_begin(&m, 0x04, 16, 0xc0, "ff 1234");
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_BAD_EXT_HEADER], 1);

    /* S flag with a length too short for the optional fields */
    v1_begin(&m, 0x02, 16, 0, NULL);
    m.len = 8 + 3;
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_BAD_LENGTH], 1);

    /* header length past the datagram; and short of it (trailing) */
    v1_begin(&m, 0x02, 16, 0, NULL);
    v1_cpdp_ies(&m, 0x91);
    v1_end(&m);
    patch_u16(&m, 2, m.len - 8 + 1);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_TRUNCATED], 1);
    assert_int_equal(c.n, 0);
    patch_u16(&m, 2, 4 + 9); /* the optional fields and the IMSI only */
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_TRAILING], 1);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, "", "", 0);

    /* an unknown TV type ends the walk; what came before is kept */
    v1_begin(&m, 0x02, 16, 0, NULL);
    uint8_t b[16];
    put_u8(&m, 2);
    put_bytes(&m, b, tbcd(CSR_IMSI, b));
    put_hex(&m, "32 0102030405"); /* type 50: no such TV IE */
    b[0] = 0x91;
    v1_tlv(&m, 134, b, 1 + tbcd(CSR_MSISDN, b + 1));
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_IE_UNKNOWN_TV], 1);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, "", "", 0);

    /* a TLV length past the message, and a TV cut short */
    v1_begin(&m, 0x02, 16, 0, NULL);
    put_hex(&m, "0e 01 86 0010 91 6831");
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_IE_OVERRUN], 1);
    assert_int_equal(c.n, 0);
    v1_begin(&m, 0x02, 16, 0, NULL);
    put_hex(&m, "02 640010325476");
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_IE_OVERRUN], 1);
    assert_int_equal(c.n, 0);

    /* MSISDN IE with only its TON octet, and an IMEI(SV) of 3 octets: bad values */
    v1_begin(&m, 0x02, 16, 0, NULL);
    put_u8(&m, 2);
    put_bytes(&m, b, tbcd(CSR_IMSI, b));
    put_hex(&m, "86 0001 91  9a 0003 941045");
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_BAD_VALUE], 2);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], CSR_IMSI, "", "", 0);

    /* IMSI with a filler in the middle: the only identity, so no event */
    v1_begin(&m, 0x02, 16, 0, NULL);
    put_hex(&m, "02 640010f254769800");
    v1_end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_BAD_VALUE], 1);
    assert_int_equal(c.n, 0);
}

static void test_empty_and_null(void **state)
{
    (void)state;
    struct tu_cap c;
    struct cw_decode_stats st;
    assert_int_equal(run("", 0, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_GTP_TRUNCATED], 1);
    /* NULL meta, sink, stats and out-parameters are tolerated */
    struct msgb m;
    size_t n = build_csr(&m);
    assert_int_equal(cw_gtp_decode(cw_slice_make(m.b, n), NULL, NULL, NULL, NULL, NULL),
                     CW_PARSE_OK);
    size_t consumed = 1, needed = 1;
    assert_int_equal(cw_gtp_decode(cw_slice_make(NULL, 5), NULL, NULL, NULL, &consumed, &needed),
                     CW_PARSE_ERROR);
    assert_int_equal(consumed, 0);
    assert_int_equal(needed, 0);
}

static void test_anomaly_names(void **state)
{
    (void)state;
    assert_string_equal(cw_decode_anomaly_name(CW_DA_GTP_NOT_GTPC), "gtp_not_gtpc");
    assert_string_equal(cw_decode_anomaly_name(CW_DA_GTP_BAD_VALUE), "gtp_bad_value");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_create_session),
        cmocka_unit_test(test_v2_modify_bearer),
        cmocka_unit_test(test_v2_corpus),
        cmocka_unit_test(test_v2_piggyback),
        cmocka_unit_test(test_v2_other_messages),
        cmocka_unit_test(test_v2_ies),
        cmocka_unit_test(test_v2_uli),
        cmocka_unit_test(test_v2_bad_values),
        cmocka_unit_test(test_v2_lying_lengths),
        cmocka_unit_test(test_v2_trailing_and_versions),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_v1_create_pdp),
        cmocka_unit_test(test_v1_uli),
        cmocka_unit_test(test_v1_corpus),
        cmocka_unit_test(test_v1_not_gtpc),
        cmocka_unit_test(test_v0_create_pdp),
        cmocka_unit_test(test_v1_malformed),
        cmocka_unit_test(test_empty_and_null),
        cmocka_unit_test(test_anomaly_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
