/* test_diameter.c - the Diameter decoder: every event mapping (S6a ULR/AIR, Gx/Gy CCR, SGd
 * OFR/TFR) on hand-built messages, answers and other commands counted without events, stream
 * framing (several messages, every split point, exact needed), datagram / SCTP framing, and
 * malformed headers and AVPs (lengths, vendor flag, padding, nesting bomb), each valid message
 * truncated at every length in an exactly-sized buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/diameter.h"
#include "testutil.h"

#define MAX_EV 8
#define V3GPP 10415u

struct cap {
    int n;
    struct cw_event ev[MAX_EV];
    char text[MAX_EV][64]; /* the text, copied: the event's slice lives only during the call */
};

static void on_event(void *user, const struct cw_event *ev)
{
    struct cap *c = user;
    if (c->n < MAX_EV) {
        c->ev[c->n] = *ev;
        size_t n = ev->text.len < 63 ? ev->text.len : 63;
        if (n)
            memcpy(c->text[c->n], ev->text.p, n);
        c->text[c->n][n] = 0;
    }
    c->n++;
}

static const struct cw_pkt_meta DGRAM = {1767225600123456ull, 42, 3, 0, NULL};
static const struct cw_pkt_meta STREAM = {1767225600654321ull, 7, 1, 1, NULL};

/* Decode @p len bytes copied into an exactly-sized buffer (ASan sees any over-read). */
static int run(const void *msg, size_t len, const struct cw_pkt_meta *meta, struct cap *c,
               struct cw_decode_stats *st, size_t *consumed, size_t *needed)
{
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    if (len)
        memcpy(buf, msg, len);
    struct cw_event_sink sink = {on_event, c, NULL};
    int rc = cw_diameter_decode(cw_slice_make(buf, len), meta, &sink, st, consumed, needed);
    free(buf);
    return rc;
}

static uint64_t anomalies(const struct cw_decode_stats *st)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < CW_DA__COUNT; i++)
        n += st->anomalies[i];
    return n;
}

/* ---- a small message builder ---- */

struct msgb {
    uint8_t b[4096];
    size_t len;
};

static void put_u8(struct msgb *m, uint8_t v)
{
    assert_true(m->len < sizeof m->b);
    m->b[m->len++] = v;
}

static void put_u24(struct msgb *m, uint32_t v)
{
    put_u8(m, (uint8_t)(v >> 16));
    put_u8(m, (uint8_t)(v >> 8));
    put_u8(m, (uint8_t)v);
}

static void put_u32(struct msgb *m, uint32_t v)
{
    put_u8(m, (uint8_t)(v >> 24));
    put_u24(m, v & 0xffffffu);
}

static void put_bytes(struct msgb *m, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_u8(m, ((const uint8_t *)p)[i]);
}

static void patch_u24(struct msgb *m, size_t at, uint32_t v)
{
    m->b[at] = (uint8_t)(v >> 16);
    m->b[at + 1] = (uint8_t)(v >> 8);
    m->b[at + 2] = (uint8_t)v;
}

static void msg_begin(struct msgb *m, uint8_t flags, uint32_t cmd, uint32_t app)
{
    m->len = 0;
    put_u8(m, 1);
    put_u24(m, 0);
    put_u8(m, flags);
    put_u24(m, cmd);
    put_u32(m, app);
    put_u32(m, 0x12345678u);
    put_u32(m, 0xabcdef01u);
}

static size_t msg_end(struct msgb *m)
{
    patch_u24(m, 1, (uint32_t)m->len);
    return m->len;
}

static size_t avp_open(struct msgb *m, uint32_t code, uint32_t vendor)
{
    size_t at = m->len;
    put_u32(m, code);
    put_u8(m, vendor ? 0xc0 : 0x40);
    put_u24(m, 0);
    if (vendor)
        put_u32(m, vendor);
    return at;
}

static void avp_close(struct msgb *m, size_t at)
{
    patch_u24(m, at + 5, (uint32_t)(m->len - at));
    while (m->len % 4)
        put_u8(m, 0);
}

static void avp_bytes(struct msgb *m, uint32_t code, uint32_t vendor, const void *p, size_t n)
{
    size_t at = avp_open(m, code, vendor);
    put_bytes(m, p, n);
    avp_close(m, at);
}

static void avp_str(struct msgb *m, uint32_t code, uint32_t vendor, const char *s)
{
    avp_bytes(m, code, vendor, s, strlen(s));
}

static void avp_u32(struct msgb *m, uint32_t code, uint32_t vendor, uint32_t v)
{
    size_t at = avp_open(m, code, vendor);
    put_u32(m, v);
    avp_close(m, at);
}

static void base_avps(struct msgb *m, const char *session)
{
    avp_str(m, 263, 0, session);
    avp_str(m, 264, 0, "mme.lte.operator.net");
    avp_str(m, 296, 0, "lte.operator.net");
}

/* S6a ULR with an NAI User-Name and Terminal-Information (IMEI + Software-Version). */
static size_t build_ulr(struct msgb *m)
{
    msg_begin(m, 0xc0, 316, 16777251);
    base_avps(m, "s6a-session-xyz;mme.lte.net;12345");
    avp_str(m, 1, 0, "310260123456789@lte.operator.net");
    size_t ti = avp_open(m, 1401, V3GPP);
    avp_str(m, 1402, V3GPP, "35209900176148");
    avp_str(m, 1403, V3GPP, "23");
    avp_close(m, ti);
    avp_u32(m, 1032, V3GPP, 1004); /* RAT-Type EUTRAN */
    avp_u32(m, 1405, V3GPP, 0x22); /* ULR-Flags */
    static const uint8_t plmn[3] = {0x13, 0x00, 0x62};
    avp_bytes(m, 1407, V3GPP, plmn, sizeof plmn); /* Visited-PLMN-Id: padded */
    return msg_end(m);
}

static size_t build_air(struct msgb *m)
{
    msg_begin(m, 0xc0, 318, 16777251);
    base_avps(m, "mme.localdomain;1567938705;1;app_s6a");
    avp_str(m, 1, 0, "214010000000099");
    static const uint8_t plmn[3] = {0x12, 0xf4, 0x10};
    avp_bytes(m, 1407, V3GPP, plmn, sizeof plmn);
    return msg_end(m);
}

/* Gy CCR: E.164 and IMSI Subscription-Ids (the second with its members in reverse order) and
 * User-Equipment-Info with the IMEISV as UTF-8 digits. */
static size_t build_ccr_gy(struct msgb *m)
{
    msg_begin(m, 0xc0, 272, 4);
    base_avps(m, "nxl;api;1263278878147");
    avp_u32(m, 416, 0, 1); /* CC-Request-Type INITIAL */
    size_t s = avp_open(m, 443, 0);
    avp_u32(m, 450, 0, 0);
    avp_str(m, 444, 0, "919080000016");
    avp_close(m, s);
    s = avp_open(m, 443, 0);
    avp_str(m, 444, 0, "460001234567890");
    avp_u32(m, 450, 0, 1);
    avp_close(m, s);
    s = avp_open(m, 458, 0);
    avp_u32(m, 459, 0, 0);
    avp_str(m, 460, 0, "3520990017614823");
    avp_close(m, s);
    return msg_end(m);
}

/* Gx CCR: no E.164 Subscription-Id, the MSISDN AVP (TBCD), and the IMEISV as 8 TBCD octets. */
static size_t build_ccr_gx(struct msgb *m)
{
    msg_begin(m, 0xc0, 272, 16777238);
    base_avps(m, "gx-session-001;pcrf.3gpp.com;99999");
    avp_str(m, 1, 0, "user001@3gpp.com");
    avp_u32(m, 416, 0, 1);
    static const uint8_t msisdn[] = {0x68, 0x31, 0x08, 0x00, 0x00, 0x00, 0xf1}; /* 8613800000001 */
    avp_bytes(m, 701, V3GPP, msisdn, sizeof msisdn);
    size_t s = avp_open(m, 458, 0);
    static const uint8_t imeisv[] = {0x94, 0x10, 0x45, 0x02, 0x23, 0x73, 0x15, 0x00};
    avp_bytes(m, 460, 0, imeisv, sizeof imeisv); /* 4901542032375100 */
    avp_u32(m, 459, 0, 0);
    avp_close(m, s);
    return msg_end(m);
}

/* SMS-SUBMIT to +86138000002, GSM 7-bit "Test" */
static const uint8_t TPDU[] = {0x01, 0x05, 0x0b, 0x91, 0x68, 0x31, 0x08, 0x00, 0x00, 0xf2,
                               0x00, 0x00, 0x04, 0xd4, 0xf2, 0x9c, 0x0e};
/* SMS-DELIVER from +86138000001, GSM 7-bit "Test" */
static const uint8_t TPDU_DELIVER[] = {0x04, 0x0b, 0x91, 0x68, 0x31, 0x08, 0x00, 0x00, 0xf1,
                                       0x00, 0x00, 0x62, 0x11, 0x29, 0x10, 0x00, 0x00, 0x00,
                                       0x04, 0xd4, 0xf2, 0x9c, 0x0e};

/* SGd OFR: identities inside User-Identifier, the TPDU in SM-RP-UI. */
static size_t build_ofr(struct msgb *m)
{
    msg_begin(m, 0xc0, 8388645, 16777313);
    base_avps(m, "mme.example;ofr;1");
    static const uint8_t sc[] = {0x91, 0x68, 0x31, 0x08, 0x20, 0x05, 0xf0};
    avp_bytes(m, 3300, V3GPP, sc, sizeof sc); /* SC-Address */
    size_t u = avp_open(m, 3102, V3GPP);
    avp_str(m, 1, 0, "460001234567890");
    static const uint8_t msisdn[] = {0x68, 0x31, 0x09, 0x00, 0x00, 0x00, 0xf2}; /* 8613900000002 */
    avp_bytes(m, 701, V3GPP, msisdn, sizeof msisdn);
    avp_close(m, u);
    avp_bytes(m, 3301, V3GPP, TPDU, sizeof TPDU);
    return msg_end(m);
}

static size_t build_tfr(struct msgb *m)
{
    msg_begin(m, 0xc0, 8388646, 16777313);
    base_avps(m, "smsc.example;tfr;1");
    avp_str(m, 1, 0, "460009876543210");
    avp_bytes(m, 3301, V3GPP, TPDU_DELIVER, sizeof TPDU_DELIVER);
    return msg_end(m);
}

/* Decode one whole message as a datagram; OK and all bytes consumed. */
static void dgram_ok(const struct msgb *m, struct cap *c, struct cw_decode_stats *st)
{
    size_t consumed = 99999, needed = 99999;
    memset(c, 0, sizeof *c);
    memset(st, 0, sizeof *st);
    assert_int_equal(run(m->b, m->len, &DGRAM, c, st, &consumed, &needed), CW_PARSE_OK);
    assert_int_equal(consumed, m->len);
    assert_int_equal(needed, 0);
    assert_int_equal(st->messages[CW_PROTO_DIAMETER], 1);
}

static void assert_meta(const struct cw_event *ev)
{
    assert_int_equal(ev->proto, CW_PROTO_DIAMETER);
    assert_int_equal(ev->ts_us, DGRAM.ts_us);
    assert_int_equal(ev->frame, DGRAM.frame);
    assert_int_equal(ev->file_idx, DGRAM.file_idx);
    assert_string_equal(ev->called, "");
    assert_int_equal(ev->text.len, 0);
}

static void test_ulr_register(void **state)
{
    (void)state;
    struct msgb m;
    struct cap c;
    struct cw_decode_stats st;
    build_ulr(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.n, 1);
    assert_meta(&c.ev[0]);
    assert_int_equal(c.ev[0].kind, CW_EV_REGISTER);
    assert_string_equal(c.ev[0].imsi, "310260123456789"); /* realm cut off */
    assert_string_equal(c.ev[0].imei, "352099001761481"); /* 14 digits + Luhn */
    assert_string_equal(c.ev[0].calling, "");
    assert_int_equal(c.ev[0].flags, 0);
    assert_int_equal(anomalies(&st), 0);
}

static void test_air_auth(void **state)
{
    (void)state;
    struct msgb m;
    struct cap c;
    struct cw_decode_stats st;
    build_air(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.n, 1);
    assert_meta(&c.ev[0]);
    assert_int_equal(c.ev[0].kind, CW_EV_AUTH);
    assert_string_equal(c.ev[0].imsi, "214010000000099");
    assert_string_equal(c.ev[0].imei, "");
    assert_int_equal(anomalies(&st), 0);

    /* A User-Name that is not an IMSI (an NAI, too few or too many digits) gives none. */
    static const char *const bad[] = {"john.doe@isp.com", "12345", "1234567890123456",
                                      "31026012345678x", "@realm", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msg_begin(&m, 0xc0, 318, 16777251);
        avp_str(&m, 1, 0, bad[i]);
        msg_end(&m);
        dgram_ok(&m, &c, &st);
        assert_int_equal(c.n, 1);
        assert_string_equal(c.ev[0].imsi, "");
        assert_int_equal(st.anomalies[CW_DA_DIAMETER_NO_IDENTITY], 1);
    }
    /* 6 digits is the shortest IMSI taken; code 1 of another vendor is not User-Name. */
    msg_begin(&m, 0xc0, 318, 16777251);
    avp_str(&m, 1, V3GPP, "999999999999999");
    avp_str(&m, 1, 0, "123456@x");
    msg_end(&m);
    dgram_ok(&m, &c, &st);
    assert_string_equal(c.ev[0].imsi, "123456");
}

static void test_ccr_gy_subscription_ids(void **state)
{
    (void)state;
    struct msgb m;
    struct cap c;
    struct cw_decode_stats st;
    build_ccr_gy(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.n, 1);
    assert_meta(&c.ev[0]);
    assert_int_equal(c.ev[0].kind, CW_EV_DATA_SESSION);
    assert_string_equal(c.ev[0].calling, "919080000016");
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL);
    assert_string_equal(c.ev[0].imsi, "460001234567890");
    assert_string_equal(c.ev[0].imei, "352099001761481");
    assert_int_equal(anomalies(&st), 0);
}

/* A CCR update or termination need not name the subscriber (it did at the start of the
 * session): no event and no anomaly; an initial or event CCR without one is an anomaly. */
static void test_ccr_without_identity(void **state)
{
    (void)state;
    struct msgb m;
    struct cap c;
    struct cw_decode_stats st;
    for (uint32_t type = 1; type <= 4; type++) {
        msg_begin(&m, 0xc0, 272, 4);
        avp_str(&m, 263, 0, "pgw;1;2");
        avp_u32(&m, 416, 0, type);
        avp_u32(&m, 415, 0, 1);
        msg_end(&m);
        dgram_ok(&m, &c, &st);
        int update = type == 2 || type == 3;
        assert_int_equal(c.n, update ? 0 : 1);
        assert_int_equal(st.anomalies[CW_DA_DIAMETER_NO_IDENTITY], update ? 0 : 1);
    }
    /* an update that does name the subscriber gives its event */
    msg_begin(&m, 0xc0, 272, 4);
    avp_u32(&m, 416, 0, 2);
    size_t g = avp_open(&m, 443, 0);
    avp_u32(&m, 450, 0, 1);
    avp_str(&m, 444, 0, "460001234567890");
    avp_close(&m, g);
    msg_end(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].imsi, "460001234567890");
    assert_int_equal(anomalies(&st), 0);
}

static void test_ccr_gx_msisdn_tbcd_imeisv(void **state)
{
    (void)state;
    struct msgb m;
    struct cap c;
    struct cw_decode_stats st;
    build_ccr_gx(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ev[0].kind, CW_EV_DATA_SESSION);
    assert_string_equal(c.ev[0].calling, "8613800000001");
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL);
    assert_string_equal(c.ev[0].imsi, ""); /* User-Name is not read for Credit-Control */
    assert_string_equal(c.ev[0].imei, "490154203237518");
    assert_int_equal(anomalies(&st), 0);
}

static void test_ccr_variants(void **state)
{
    (void)state;
    struct msgb m;
    struct cap c;
    struct cw_decode_stats st;
    static const uint8_t msisdn[] = {0x68, 0x31, 0x08, 0x00, 0x00, 0x00, 0xf1};

    /* An E.164 Subscription-Id wins over the MSISDN AVP, whatever the order; '+' dropped. */
    msg_begin(&m, 0xc0, 272, 16777238);
    avp_bytes(&m, 701, V3GPP, msisdn, sizeof msisdn);
    size_t s = avp_open(&m, 443, 0);
    avp_str(&m, 444, 0, "+8613912345678");
    avp_u32(&m, 450, 0, 0);
    avp_close(&m, s);
    /* The IMEISV as text of an IMEI padded with 'F' (TS 32.299, PS charging). */
    s = avp_open(&m, 458, 0);
    avp_u32(&m, 459, 0, 0);
    avp_str(&m, 460, 0, "356938035643809F");
    avp_close(&m, s);
    msg_end(&m);
    dgram_ok(&m, &c, &st);
    assert_string_equal(c.ev[0].calling, "8613912345678");
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL);
    assert_string_equal(c.ev[0].imei, "356938035643809");
    assert_int_equal(anomalies(&st), 0);

    /* Other Subscription-Id types (SIP URI 2, NAI 3) and other equipment types (MAC) are not
     * identities; a non-digit E.164 or a 13-digit IMEISV is a bad value; no identity left. */
    msg_begin(&m, 0xc0, 272, 4);
    s = avp_open(&m, 443, 0);
    avp_u32(&m, 450, 0, 2);
    avp_str(&m, 444, 0, "sip:alice@ims.example");
    avp_close(&m, s);
    s = avp_open(&m, 458, 0);
    avp_u32(&m, 459, 0, 1);
    avp_str(&m, 460, 0, "00:11:22:33:44:55");
    avp_close(&m, s);
    msg_end(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "");
    assert_string_equal(c.ev[0].imei, "");
    assert_int_equal(c.ev[0].flags, 0);
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_NO_IDENTITY], 1);
    assert_int_equal(anomalies(&st), 1);

    msg_begin(&m, 0xc0, 272, 4);
    s = avp_open(&m, 443, 0);
    avp_u32(&m, 450, 0, 0);
    avp_str(&m, 444, 0, "9190800x0016");
    avp_close(&m, s);
    s = avp_open(&m, 443, 0);
    avp_str(&m, 444, 0, "460001234567890");
    static const uint8_t short_enum[2] = {0, 1};
    avp_bytes(&m, 450, 0, short_enum, sizeof short_enum); /* Enumerated of 2 octets */
    avp_close(&m, s);
    s = avp_open(&m, 458, 0);
    avp_u32(&m, 459, 0, 0);
    avp_str(&m, 460, 0, "3520990017614");
    avp_close(&m, s);
    avp_bytes(&m, 701, V3GPP, "\x68\x3a", 2); /* TBCD with a non-digit: not a number */
    msg_end(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "");
    assert_string_equal(c.ev[0].imsi, "");
    assert_string_equal(c.ev[0].imei, "");
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_BAD_VALUE], 4);

    /* Credit-Control of any application is a data session. */
    msg_begin(&m, 0xc0, 272, 16777266);
    s = avp_open(&m, 443, 0);
    avp_u32(&m, 450, 0, 1);
    avp_str(&m, 444, 0, "001010123456789");
    avp_close(&m, s);
    msg_end(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.ev[0].kind, CW_EV_DATA_SESSION);
    assert_string_equal(c.ev[0].imsi, "001010123456789");
}

static void test_sgd_sms(void **state)
{
    (void)state;
    struct msgb m;
    struct cap c;
    struct cw_decode_stats st;
    /* MO: the sender's MSISDN and IMSI; recipient and text from the SMS-SUBMIT */
    build_ofr(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ev[0].kind, CW_EV_SMS_MO);
    assert_int_equal(c.ev[0].proto, CW_PROTO_DIAMETER);
    assert_string_equal(c.ev[0].imsi, "460001234567890");
    assert_string_equal(c.ev[0].calling, "8613900000002");
    assert_string_equal(c.ev[0].called, "86138000002");
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL);
    assert_int_equal(c.ev[0].text.len, 4);
    assert_string_equal(c.text[0], "Test");
    assert_int_equal(anomalies(&st), 0);

    /* MT: the sender from the SMS-DELIVER's TP-OA; the IMSI is the recipient's */
    build_tfr(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ev[0].kind, CW_EV_SMS_MT);
    assert_string_equal(c.ev[0].imsi, "460009876543210");
    assert_string_equal(c.ev[0].calling, "86138000001");
    assert_string_equal(c.ev[0].called, "");
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL);
    assert_string_equal(c.text[0], "Test");
    assert_int_equal(anomalies(&st), 0);

    /* an SM-RP-UI that is no TPDU: counted, the event keeps the Diameter identities */
    msg_begin(&m, 0xc0, 8388645, 16777313);
    avp_str(&m, 1, 0, "460001234567890");
    static const uint8_t junk[] = {0x01, 0x05, 0x30};
    avp_bytes(&m, 3301, V3GPP, junk, sizeof junk);
    msg_end(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].imsi, "460001234567890");
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_BAD_SMS_PDU], 1);
}

static void test_answers_and_other_commands(void **state)
{
    (void)state;
    struct msgb m;
    struct cap c;
    struct cw_decode_stats st;
    /* The answers to every mapped request (R clear) and requests that map to nothing. */
    size_t (*const builders[])(struct msgb *) = {build_ulr, build_air, build_ccr_gy, build_ofr,
                                                 build_tfr};
    for (size_t i = 0; i < sizeof builders / sizeof builders[0]; i++) {
        builders[i](&m);
        m.b[4] = 0x40;
        dgram_ok(&m, &c, &st);
        assert_int_equal(c.n, 0);
    }
    static const uint32_t cmds[] = {257, 280, 282, 271, 265, 317, 321, 323, 8388647};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        msg_begin(&m, 0x80, cmds[i], 0);
        avp_str(&m, 1, 0, "460001234567890");
        msg_end(&m);
        dgram_ok(&m, &c, &st);
        assert_int_equal(c.n, 0);
        assert_int_equal(anomalies(&st), 0);
    }
    /* A header alone is a whole message. */
    msg_begin(&m, 0x80, 280, 0);
    msg_end(&m);
    dgram_ok(&m, &c, &st);
    assert_int_equal(c.n, 0);
}

/* Two messages back to back, on a stream and as one SCTP user message. */
static void test_two_messages_one_slice(void **state)
{
    (void)state;
    struct msgb a, b;
    size_t la = build_ulr(&a), lb = build_ccr_gy(&b);
    uint8_t buf[8192];
    memcpy(buf, a.b, la);
    memcpy(buf + la, b.b, lb);
    for (int s = 0; s < 2; s++) {
        struct cap c;
        struct cw_decode_stats st;
        size_t consumed, needed;
        memset(&c, 0, sizeof c);
        memset(&st, 0, sizeof st);
        assert_int_equal(run(buf, la + lb, s ? &STREAM : &DGRAM, &c, &st, &consumed, &needed),
                         CW_PARSE_OK);
        assert_int_equal(consumed, la + lb);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.ev[0].kind, CW_EV_REGISTER);
        assert_int_equal(c.ev[1].kind, CW_EV_DATA_SESSION);
        assert_string_equal(c.ev[1].calling, "919080000016");
        assert_int_equal(st.messages[CW_PROTO_DIAMETER], 2);
        assert_int_equal(anomalies(&st), 0);
    }

    /* An SCTP user message with a short tail: the whole messages give events, the tail is
     * counted as truncated and reported as an error. */
    memcpy(buf + la + lb, a.b, 12);
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    assert_int_equal(run(buf, la + lb + 12, &DGRAM, &c, &st, &consumed, &needed),
                     CW_PARSE_ERROR);
    assert_int_equal(consumed, la + lb);
    assert_int_equal(c.n, 2);
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_TRUNCATED], 1);
}

/* What the decoder must ask for when @p have bytes of a @p len byte message are there. */
static size_t want(size_t have, size_t len)
{
    return have < 4 ? 20 - have : len - have;
}

static void test_stream_split_every_offset(void **state)
{
    (void)state;
    struct msgb a, b;
    size_t la = build_ofr(&a), lb = build_ccr_gx(&b), n = la + lb;
    uint8_t buf[8192];
    memcpy(buf, a.b, la);
    memcpy(buf + la, b.b, lb);
    for (size_t k = 0; k <= n; k++) {
        struct cap c;
        struct cw_decode_stats st;
        size_t consumed = 12345, needed = 12345;
        memset(&c, 0, sizeof c);
        memset(&st, 0, sizeof st);
        int rc = run(buf, k, &STREAM, &c, &st, &consumed, &needed);
        if (k == 0 || k == la || k == n) {
            assert_int_equal(rc, CW_PARSE_OK);
            assert_int_equal(consumed, k);
            assert_int_equal(needed, 0);
        } else if (k < la) {
            assert_int_equal(rc, CW_PARSE_INCOMPLETE);
            assert_int_equal(consumed, 0);
            assert_int_equal(needed, want(k, la));
        } else {
            assert_int_equal(rc, CW_PARSE_INCOMPLETE);
            assert_int_equal(consumed, la);
            assert_int_equal(needed, want(k - la, lb));
        }
        assert_int_equal(c.n, k >= n ? 2 : k >= la ? 1 : 0);
        /* Then the rest, from where the first call stopped, as TCP reassembly would. */
        int rc2 = run(buf + consumed, n - consumed, &STREAM, &c, &st, &consumed, &needed);
        assert_int_equal(rc2, CW_PARSE_OK);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.ev[0].kind, CW_EV_SMS_MO);
        assert_int_equal(c.ev[1].kind, CW_EV_DATA_SESSION);
        assert_string_equal(c.ev[1].imei, "490154203237518");
        assert_int_equal(st.messages[CW_PROTO_DIAMETER], 2);
        assert_int_equal(anomalies(&st), 0); /* partial messages count nothing */
    }
}

static void check_every_length(const uint8_t *msg, size_t n)
{
    for (size_t k = 0; k <= n; k++) {
        for (int s = 0; s < 2; s++) {
            struct cap c;
            struct cw_decode_stats st;
            size_t consumed = 12345, needed = 12345;
            memset(&c, 0, sizeof c);
            memset(&st, 0, sizeof st);
            int rc = run(msg, k, s ? &STREAM : &DGRAM, &c, &st, &consumed, &needed);
            if (k == 0 || k == n) {
                assert_int_equal(rc, CW_PARSE_OK);
                assert_int_equal(consumed, k);
                assert_int_equal(c.n, k == n);
                assert_int_equal(anomalies(&st), 0);
            } else if (s) {
                assert_int_equal(rc, CW_PARSE_INCOMPLETE);
                assert_int_equal(consumed, 0);
                assert_int_equal(needed, want(k, n));
                assert_int_equal(c.n, 0);
                assert_int_equal(anomalies(&st), 0);
            } else {
                assert_int_equal(rc, CW_PARSE_ERROR);
                assert_int_equal(consumed, 0);
                assert_int_equal(c.n, 0);
                assert_int_equal(st.anomalies[CW_DA_DIAMETER_TRUNCATED], 1);
                assert_int_equal(anomalies(&st), 1);
            }
        }
    }
}

static void test_truncated_at_every_length(void **state)
{
    (void)state;
    struct msgb m;
    size_t (*const builders[])(struct msgb *) = {build_ulr, build_air, build_ccr_gy,
                                                 build_ccr_gx, build_ofr, build_tfr};
    for (size_t i = 0; i < sizeof builders / sizeof builders[0]; i++) {
        size_t n = builders[i](&m);
        check_every_length(m.b, n);
    }
}

/* Decode @p m as a datagram and as a stream: ERROR at 0 with one @p reason each time. */
static void header_error(const struct msgb *m, size_t len, enum cw_decode_anomaly reason)
{
    for (int s = 0; s < 2; s++) {
        struct cap c;
        struct cw_decode_stats st;
        size_t consumed = 12345, needed = 12345;
        memset(&c, 0, sizeof c);
        memset(&st, 0, sizeof st);
        assert_int_equal(run(m->b, len, s ? &STREAM : &DGRAM, &c, &st, &consumed, &needed),
                         CW_PARSE_ERROR);
        assert_int_equal(consumed, 0);
        assert_int_equal(c.n, 0);
        assert_int_equal(st.anomalies[reason], 1);
        assert_int_equal(anomalies(&st), 1);
        assert_int_equal(st.messages[CW_PROTO_DIAMETER], 0);
    }
}

static void test_bad_header(void **state)
{
    (void)state;
    struct msgb m;
    size_t n = build_air(&m);
    static const uint32_t bad_len[] = {0, 4, 16, 19, 21, 22, 23, 30, CW_DIAMETER_MAX_MSG + 4,
                                       0xfffffc, 0xffffff};
    for (size_t i = 0; i < sizeof bad_len / sizeof bad_len[0]; i++) {
        build_air(&m);
        patch_u24(&m, 1, bad_len[i]);
        header_error(&m, n, CW_DA_DIAMETER_BAD_LENGTH);
        header_error(&m, 4, CW_DA_DIAMETER_BAD_LENGTH); /* known from the first 4 bytes */
    }
    /* Exactly 1 MiB is accepted (and waited for on a stream). */
    build_air(&m);
    patch_u24(&m, 1, CW_DIAMETER_MAX_MSG);
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    assert_int_equal(run(m.b, n, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_INCOMPLETE);
    assert_int_equal(needed, CW_DIAMETER_MAX_MSG - n);

    static const uint8_t versions[] = {0, 2, 0x45, 0xff};
    for (size_t i = 0; i < sizeof versions; i++) {
        build_air(&m);
        m.b[0] = versions[i];
        header_error(&m, n, CW_DA_DIAMETER_BAD_VERSION);
        header_error(&m, 1, CW_DA_DIAMETER_BAD_VERSION);
    }

    /* On a stream, a bad header after a good message: the good one is used and consumed. */
    struct msgb bad;
    size_t la = build_tfr(&m);
    build_air(&bad);
    bad.b[0] = 2;
    uint8_t buf[4096];
    memcpy(buf, m.b, la);
    memcpy(buf + la, bad.b, n);
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    assert_int_equal(run(buf, la + n, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_ERROR);
    assert_int_equal(consumed, la);
    assert_int_equal(c.n, 1);
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_BAD_VERSION], 1);
}

/* A decoded datagram that is still a whole message (header fine): OK, one event. */
static void avp_case(const struct msgb *m, struct cap *c, struct cw_decode_stats *st)
{
    dgram_ok(m, c, st);
    assert_int_equal(c->n, 1);
}

static void test_bad_avps(void **state)
{
    (void)state;
    struct msgb m;
    struct cap c;
    struct cw_decode_stats st;

    /* AVP length < 8: the AVPs before it are used, the walk stops there. */
    static const uint32_t short_len[] = {0, 1, 7};
    for (size_t i = 0; i < sizeof short_len / sizeof short_len[0]; i++) {
        msg_begin(&m, 0xc0, 318, 16777251);
        avp_str(&m, 1, 0, "214010000000099");
        size_t at = avp_open(&m, 264, 0);
        put_u32(&m, 0);
        avp_close(&m, at);
        patch_u24(&m, at + 5, short_len[i]);
        avp_str(&m, 1, 0, "999999999999999");
        msg_end(&m);
        avp_case(&m, &c, &st);
        assert_string_equal(c.ev[0].imsi, "214010000000099");
        assert_int_equal(st.anomalies[CW_DA_DIAMETER_AVP_BAD_LENGTH], 1);
        assert_int_equal(anomalies(&st), 1);
    }

    /* The V flag with a length < 12 (no room for the Vendor-ID). */
    msg_begin(&m, 0xc0, 316, 16777251);
    size_t at = avp_open(&m, 1032, V3GPP);
    put_u32(&m, 1004);
    avp_close(&m, at);
    patch_u24(&m, at + 5, 10);
    avp_str(&m, 1, 0, "214010000000099");
    msg_end(&m);
    avp_case(&m, &c, &st);
    assert_string_equal(c.ev[0].imsi, "");
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_AVP_BAD_LENGTH], 1);
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_NO_IDENTITY], 1);

    /* An AVP past the end of the message. */
    msg_begin(&m, 0xc0, 318, 16777251);
    avp_str(&m, 1, 0, "214010000000099");
    at = avp_open(&m, 263, 0);
    put_u32(&m, 0);
    avp_close(&m, at);
    patch_u24(&m, at + 5, 13);
    msg_end(&m);
    avp_case(&m, &c, &st);
    assert_string_equal(c.ev[0].imsi, "214010000000099");
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_AVP_OVERRUN], 1);
    assert_int_equal(anomalies(&st), 1);

    /* A member past the end of its Grouped parent: the group is abandoned, its siblings are
     * still read. A header that does not fit in what is left is an overrun too. */
    for (int variant = 0; variant < 2; variant++) {
        msg_begin(&m, 0xc0, 272, 4);
        size_t s = avp_open(&m, 443, 0);
        avp_u32(&m, 450, 0, 0);
        size_t d = avp_open(&m, 444, 0);
        put_bytes(&m, "919080000016", 12);
        avp_close(&m, d);
        if (variant == 0)
            patch_u24(&m, d + 5, 8 + 12 + 4); /* 4 bytes past the group */
        else
            m.len -= 16; /* group holds the Type and 4 stray bytes */
        avp_close(&m, s);
        s = avp_open(&m, 443, 0);
        avp_u32(&m, 450, 0, 1);
        avp_str(&m, 444, 0, "460001234567890");
        avp_close(&m, s);
        msg_end(&m);
        avp_case(&m, &c, &st);
        assert_string_equal(c.ev[0].calling, "");
        assert_string_equal(c.ev[0].imsi, "460001234567890");
        assert_int_equal(st.anomalies[CW_DA_DIAMETER_AVP_OVERRUN], 1);
        assert_int_equal(anomalies(&st), 1);
    }

    /* A group whose length leaves out its last member's padding: the member's data is whole
     * and used, the padding is counted. */
    msg_begin(&m, 0xc0, 272, 4);
    size_t s = avp_open(&m, 443, 0);
    avp_u32(&m, 450, 0, 0);
    avp_str(&m, 444, 0, "91908000001"); /* 19 bytes + 1 padding */
    avp_close(&m, s);
    patch_u24(&m, s + 5, 8 + 12 + 19);
    msg_end(&m);
    avp_case(&m, &c, &st);
    assert_string_equal(c.ev[0].calling, "91908000001");
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_AVP_PADDING], 1);
    assert_int_equal(anomalies(&st), 1);
}

/* @p n Subscription-Ids each inside the one before, the innermost holding an E.164 number. */
static void nest(struct msgb *m, int n)
{
    size_t open[64];
    msg_begin(m, 0xc0, 272, 4);
    for (int i = 0; i < n; i++)
        open[i] = avp_open(m, 443, 0);
    avp_u32(m, 450, 0, 0);
    avp_str(m, 444, 0, "919080000016");
    for (int i = n - 1; i >= 0; i--)
        avp_close(m, open[i]);
    avp_str(m, 1, 0, "ignored");
    msg_end(m);
}

static void test_nesting_bomb(void **state)
{
    (void)state;
    struct msgb m;
    struct cap c;
    struct cw_decode_stats st;
    nest(&m, 8); /* members of the 8th level: depth 8, the cap */
    avp_case(&m, &c, &st);
    assert_string_equal(c.ev[0].calling, "919080000016");
    assert_int_equal(anomalies(&st), 0);

    nest(&m, 9);
    avp_case(&m, &c, &st);
    assert_string_equal(c.ev[0].calling, "");
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_DEPTH], 1);

    nest(&m, 60); /* counted once per message */
    avp_case(&m, &c, &st);
    assert_string_equal(c.ev[0].calling, "");
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_DEPTH], 1);
    assert_int_equal(st.anomalies[CW_DA_DIAMETER_NO_IDENTITY], 1);
    assert_int_equal(anomalies(&st), 2);
}

static void test_empty_and_null(void **state)
{
    (void)state;
    size_t consumed = 5, needed = 5;
    assert_int_equal(cw_diameter_decode(cw_slice_make(NULL, 10), &STREAM, NULL, NULL, &consumed,
                                        &needed),
                     CW_PARSE_OK);
    assert_int_equal(consumed, 0);
    assert_int_equal(needed, 0);
    struct msgb m;
    size_t n = build_ccr_gy(&m);
    /* No meta (a datagram at time 0), no sink, no stats, no out-parameters. */
    assert_int_equal(cw_diameter_decode(cw_slice_make(m.b, n), NULL, NULL, NULL, NULL, NULL),
                     CW_PARSE_OK);
    struct cw_event_sink nosink = {NULL, NULL, NULL};
    assert_int_equal(cw_diameter_decode(cw_slice_make(m.b, n - 1), NULL, &nosink, NULL, NULL,
                                        NULL),
                     CW_PARSE_ERROR);
}

static void test_anomaly_names(void **state)
{
    (void)state;
    assert_string_equal(cw_decode_anomaly_name(CW_DA_DIAMETER_BAD_VERSION),
                        "diameter_bad_version");
    assert_string_equal(cw_decode_anomaly_name(CW_DA_DIAMETER_DEPTH), "diameter_depth");
    assert_string_equal(cw_decode_anomaly_name(CW_DA_DIAMETER_NO_IDENTITY),
                        "diameter_no_identity");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ulr_register),
        cmocka_unit_test(test_air_auth),
        cmocka_unit_test(test_ccr_gy_subscription_ids),
        cmocka_unit_test(test_ccr_gx_msisdn_tbcd_imeisv),
        cmocka_unit_test(test_ccr_variants),
        cmocka_unit_test(test_ccr_without_identity),
        cmocka_unit_test(test_sgd_sms),
        cmocka_unit_test(test_answers_and_other_commands),
        cmocka_unit_test(test_two_messages_one_slice),
        cmocka_unit_test(test_stream_split_every_offset),
        cmocka_unit_test(test_truncated_at_every_length),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_bad_avps),
        cmocka_unit_test(test_nesting_bomb),
        cmocka_unit_test(test_empty_and_null),
        cmocka_unit_test(test_anomaly_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
