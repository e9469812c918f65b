/* test_synth_enc.c - synth's message encoders (src/synth/enc.h) and frame builders, checked
 * against the project's own readers: each message encoded is decoded by cw_smpp_decode,
 * cw_diameter_decode, cw_gtp_decode, cw_radius_decode, cw_sip_decode, cw_sms_tpdu_parse and
 * (MAP, through M3UA and SCCP) cw_sigtran_decode, and must give the identities and the text
 * put in; CRC32c against the RFC 3720 B.4 vectors; SCTP chunks read back by cw_sctp_next_chunk;
 * IP fragments, a split SCTP message and TCP segmentation put together by the dissector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/dissect.h"
#include "capture/sctp.h"
#include "decode/diameter.h"
#include "decode/gtp.h"
#include "decode/radius.h"
#include "decode/sigtran.h"
#include "decode/sip.h"
#include "decode/smpp.h"
#include "decode/sms_tpdu.h"
#include "synth/enc.h"
#include "synth/pktbuild.h"

/* ---- an event sink that keeps copies, text included ---- */

#define MAX_EV 8

struct got {
    int n;
    struct cw_event ev[MAX_EV];
    char text[MAX_EV][1024];
};

static void on_event(void *user, const struct cw_event *ev)
{
    struct got *g = user;
    if (g->n < MAX_EV) {
        g->ev[g->n] = *ev;
        size_t n = ev->text.len < 1023 ? ev->text.len : 1023;
        if (n)
            memcpy(g->text[g->n], ev->text.p, n);
        g->text[g->n][n] = 0;
        g->ev[g->n].text = cw_slice_make(NULL, 0);
    }
    g->n++;
}

typedef int (*decode_fn)(struct cw_slice data, const struct cw_pkt_meta *meta,
                         const struct cw_event_sink *sink, struct cw_decode_stats *st,
                         size_t *consumed, size_t *needed);

/* Decode @p len bytes from an exactly-sized copy (ASan sees any over-read). */
static int run(decode_fn fn, const uint8_t *msg, size_t len, int stream, struct got *g,
               size_t *consumed)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, msg, len);
    struct cw_pkt_meta meta = {1772323200000000ull, 7, 0, stream, NULL};
    struct cw_event_sink sink = {on_event, g, NULL};
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    memset(g, 0, sizeof *g);
    size_t c = 0, need = 0;
    int rc = fn(cw_slice_make(copy, len), &meta, &sink, &st, &c, &need);
    free(copy);
    if (consumed)
        *consumed = c;
    for (unsigned i = 0; i < CW_DA__COUNT; i++)
        if (st.anomalies[i])
            fail_msg("anomaly %s counted", cw_decode_anomaly_name(i));
    return rc;
}

static const char *kind(const struct got *g, int i)
{
    return cw_event_kind_name(g->ev[i].kind);
}

/* ---- numbers, text ---- */

static void test_tbcd_imei(void **state)
{
    (void)state;
    uint8_t b[8];
    assert_int_equal(cw_enc_tbcd("8613800138000", b, sizeof b), 7);
    static const uint8_t want[7] = {0x68, 0x31, 0x08, 0x10, 0x83, 0x00, 0xf0};
    assert_memory_equal(b, want, 7);
    assert_int_equal(cw_enc_tbcd("12a", b, sizeof b), 0);
    assert_int_equal(cw_enc_tbcd("", b, sizeof b), 0);
    assert_int_equal(cw_enc_tbcd("123456789", b, 4), 0); /* no room */
    char imei[16];
    cw_enc_imei15("49015420323751", imei); /* the GSMA's example IMEI 49015420323751-8 */
    assert_string_equal(imei, "490154203237518");
}

static void test_text(void **state)
{
    (void)state;
    uint8_t s[64];
    /* € { } [ ~ take the escape; é and Ü are in the basic table; @ is 0x00 */
    const char *t = "@é€{x}Ü";
    size_t n = cw_enc_gsm7(t, strlen(t), s, sizeof s);
    static const uint8_t want[] = {0x00, 0x05, 0x1b, 0x65, 0x1b, 0x28, 'x', 0x1b, 0x29, 0x5e};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(s, want, sizeof want);
    assert_true(cw_enc_gsm7("中", 3, s, sizeof s) == (size_t)-1);
    assert_true(cw_enc_gsm7("ô", 2, s, sizeof s) == (size_t)-1);
    assert_int_equal(cw_enc_latin1("ô", 2, s, sizeof s), 1);
    assert_int_equal(s[0], 0xf4);
    assert_true(cw_enc_latin1("€", 3, s, sizeof s) == (size_t)-1);
    /* UCS-2 with a surrogate pair for a character past U+FFFF */
    n = cw_enc_ucs2("中🎂", strlen("中🎂"), s, sizeof s);
    static const uint8_t u[] = {0x4e, 0x2d, 0xd8, 0x3c, 0xdf, 0x82};
    assert_int_equal(n, sizeof u);
    assert_memory_equal(s, u, sizeof u);
    /* packing: "hello" is E8 32 9B FD 06 (TS 23.038's classic example) */
    static const uint8_t sept[5] = {'h', 'e', 'l', 'l', 'o'};
    uint8_t p[8];
    assert_int_equal(cw_enc_gsm7_pack(sept, 5, 0, p, sizeof p), 5);
    static const uint8_t hello[5] = {0xe8, 0x32, 0x9b, 0xfd, 0x06};
    assert_memory_equal(p, hello, 5);
    /* through the project's unpacker, after 1 fill bit */
    assert_int_equal(cw_enc_gsm7_pack(sept, 5, 1, p, sizeof p), 5);
    uint8_t out[16];
    unsigned fl = 0;
    assert_int_equal(cw_sms_gsm7_packed_to_utf8(p, 5, 5, 1, out, sizeof out, &fl), 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(cw_enc_utf8_chars("a中🎂", strlen("a中🎂")), 3);
    assert_int_equal(cw_enc_utf8_prefix("a中🎂", strlen("a中🎂"), 2), 4);
}

/* ---- TPDU, RP-DATA ---- */

static void test_tpdu(void **state)
{
    (void)state;
    uint8_t b[200], text[512];
    struct cw_sms_tpdu t;
    /* SMS-SUBMIT, GSM 7-bit with extension characters */
    struct cw_enc_tpdu e;
    memset(&e, 0, sizeof e);
    e.submit = 1;
    e.addr = "8613912345678";
    e.addr_intl = 1;
    e.dcs = CW_ENC_DCS_GSM7;
    e.text = "Lunch was 12€ each {ok}";
    e.text_len = strlen(e.text);
    size_t n = cw_enc_tpdu(&e, b, sizeof b);
    assert_true(n > 0);
    for (size_t cut = 0; cut < n; cut++) /* every truncation is refused, never over-read */
        assert_int_equal(cw_sms_tpdu_parse(cw_slice_make(b, cut), 1, &t, text, sizeof text), -1);
    assert_int_equal(cw_sms_tpdu_parse(cw_slice_make(b, n), 1, &t, text, sizeof text), 0);
    assert_int_equal(t.mti, CW_TPDU_SUBMIT);
    assert_string_equal(t.addr, "8613912345678");
    assert_true(t.addr_intl && !t.addr_alnum);
    assert_int_equal(t.text_len, strlen(e.text));
    assert_memory_equal(text, e.text, t.text_len);
    /* UCS-2 Chinese, part 2 of 3 with a concatenation UDH */
    e.dcs = CW_ENC_DCS_UCS2;
    e.text = "会议改到明天下午3点。";
    e.text_len = strlen(e.text);
    e.concat = 1;
    e.ref = 77;
    e.total = 3;
    e.seq = 2;
    n = cw_enc_tpdu(&e, b, sizeof b);
    assert_int_equal(cw_sms_tpdu_parse(cw_slice_make(b, n), 1, &t, text, sizeof text), 0);
    assert_true(t.has_udh && t.udh.concat);
    assert_int_equal(t.udh.ref, 77);
    assert_int_equal(t.udh.total, 3);
    assert_int_equal(t.udh.seq, 2);
    assert_int_equal(t.text_len, strlen(e.text));
    assert_memory_equal(text, e.text, t.text_len);
    /* GSM 7-bit after a UDH: the fill bit */
    e.dcs = CW_ENC_DCS_GSM7;
    e.text = "part two of a long one";
    e.text_len = strlen(e.text);
    n = cw_enc_tpdu(&e, b, sizeof b);
    assert_int_equal(cw_sms_tpdu_parse(cw_slice_make(b, n), 1, &t, text, sizeof text), 0);
    assert_int_equal(t.text_len, strlen(e.text));
    assert_memory_equal(text, e.text, t.text_len);
    /* SMS-DELIVER from an alphanumeric sender */
    memset(&e, 0, sizeof e);
    e.addr = "ExampleBank";
    e.addr_alnum = 1;
    e.dcs = CW_ENC_DCS_GSM7;
    e.text = "Your code is 4711";
    e.text_len = strlen(e.text);
    n = cw_enc_tpdu(&e, b, sizeof b);
    assert_int_equal(cw_sms_tpdu_parse(cw_slice_make(b, n), 0, &t, text, sizeof text), 0);
    assert_int_equal(t.mti, CW_TPDU_DELIVER);
    assert_true(t.addr_alnum);
    assert_string_equal(t.addr, "ExampleBank");
    assert_memory_equal(text, e.text, t.text_len);
    /* too long for one TPDU: refused */
    char lng[400];
    memset(lng, 'a', 200);
    lng[200] = 0;
    e.text = lng;
    e.text_len = 200;
    assert_int_equal(cw_enc_tpdu(&e, b, sizeof b), 0);
    /* RP-DATA, both directions */
    e.text = "hi";
    e.text_len = 2;
    n = cw_enc_tpdu(&e, b, sizeof b);
    uint8_t rp[256];
    struct cw_slice tp;
    int ms_to_net = -1;
    size_t rn = cw_enc_rp_data(1, 9, "8613800100500", b, n, rp, sizeof rp);
    assert_int_equal(cw_sms_rp_parse(cw_slice_make(rp, rn), &tp, &ms_to_net), 0);
    assert_int_equal(ms_to_net, 1);
    assert_true(tp.len == n && !memcmp(tp.p, b, n));
    rn = cw_enc_rp_data(0, 9, "8613800100500", b, n, rp, sizeof rp);
    assert_int_equal(cw_sms_rp_parse(cw_slice_make(rp, rn), &tp, &ms_to_net), 0);
    assert_int_equal(ms_to_net, 0);
    assert_true(tp.len == n && !memcmp(tp.p, b, n));
}

/* ---- SIP MESSAGE carrying 3GPP SMS ---- */

static void test_sip_3gpp_sms(void **state)
{
    (void)state;
    uint8_t tpdu[200], rp[256], msg[2048];
    struct cw_enc_tpdu e;
    memset(&e, 0, sizeof e);
    e.submit = 1;
    e.addr = "8613912345678";
    e.addr_intl = 1;
    e.dcs = CW_ENC_DCS_UCS2;
    e.text = "今晚一起吃饭吗？";
    e.text_len = strlen(e.text);
    size_t tn = cw_enc_tpdu(&e, tpdu, sizeof tpdu);
    size_t rn = cw_enc_rp_data(1, 3, "8613800100500", tpdu, tn, rp, sizeof rp);
    int h = snprintf((char *)msg, sizeof msg,
                     "MESSAGE sip:+8613800100500@ims.mnc000.mcc460.3gppnetwork.org SIP/2.0\r\n"
                     "Via: SIP/2.0/TCP 10.20.0.5:5060;branch=z9hG4bK1\r\n"
                     "From: <sip:+8615000000001@ims.mnc000.mcc460.3gppnetwork.org>;tag=1\r\n"
                     "To: <sip:+8613800100500@ims.mnc000.mcc460.3gppnetwork.org>\r\n"
                     "Call-ID: 1@x\r\nCSeq: 1 MESSAGE\r\n"
                     "Content-Type: application/vnd.3gpp.sms\r\nContent-Length: %zu\r\n\r\n",
                     rn);
    memcpy(msg + h, rp, rn);
    struct got g;
    size_t consumed;
    assert_int_equal(run(cw_sip_decode, msg, (size_t)h + rn, 1, &g, &consumed), CW_PARSE_OK);
    assert_int_equal(consumed, (size_t)h + rn);
    assert_int_equal(g.n, 1);
    assert_string_equal(kind(&g, 0), "sms_mo");
    assert_string_equal(g.ev[0].calling, "8615000000001");
    assert_string_equal(g.ev[0].called, "8613912345678"); /* the TP-DA, not the SMS centre */
    assert_string_equal(g.text[0], e.text);
}

/* ---- SMPP ---- */

static void test_smpp(void **state)
{
    (void)state;
    uint8_t ud[400], pdu[600], two[1200];
    struct got g;
    size_t consumed;
    /* submit_sm from an alphanumeric sender, UCS-2 Chinese */
    const char *text = "您的验证码是1234，5分钟内有效。";
    size_t un = cw_enc_ucs2(text, strlen(text), ud, sizeof ud);
    struct cw_enc_smpp_sm m;
    memset(&m, 0, sizeof m);
    m.cmd = CW_SMPP_SUBMIT_SM;
    m.seq = 42;
    m.src_ton = 5;
    m.src = "ExampleBank";
    m.dst_ton = 1;
    m.dst_npi = 1;
    m.dst = "8613912345678";
    m.data_coding = 8;
    m.ud = ud;
    m.ud_len = un;
    size_t n = cw_enc_smpp_sm(&m, pdu, sizeof pdu);
    assert_int_equal(run(cw_smpp_decode, pdu, n, 1, &g, &consumed), CW_PARSE_OK);
    assert_int_equal(consumed, n);
    assert_int_equal(g.n, 1);
    assert_string_equal(kind(&g, 0), "sms_mo");
    assert_string_equal(g.ev[0].calling, "ExampleBank");
    assert_true(g.ev[0].flags & CW_EVF_CALLING_ALNUM);
    assert_string_equal(g.ev[0].called, "8613912345678");
    assert_true(g.ev[0].flags & CW_EVF_CALLED_INTL);
    assert_string_equal(g.text[0], text);
    /* every cut of the stream waits for more (nothing at all is nothing to do) */
    for (size_t cut = 1; cut < n; cut++)
        assert_int_equal(run(cw_smpp_decode, pdu, cut, 1, &g, &consumed), CW_PARSE_INCOMPLETE);
    /* from a card, GSM 7-bit with extension characters, a UDH part */
    text = "Lunch was 12€ each {ok}";
    ud[0] = 5, ud[1] = 0, ud[2] = 3, ud[3] = 9, ud[4] = 2, ud[5] = 1;
    un = cw_enc_gsm7(text, strlen(text), ud + 6, sizeof ud - 6);
    m.src_ton = 1;
    m.src_npi = 1;
    m.src = "8615000000001";
    m.esm_class = 0x40;
    m.data_coding = 0;
    m.ud_len = 6 + un;
    n = cw_enc_smpp_sm(&m, pdu, sizeof pdu);
    /* and a second PDU in the same segment: deliver_sm, Latin-1, text in message_payload,
     * sar_* TLVs */
    memcpy(two, pdu, n);
    const char *t2 = "Réservation confirmée, à bientôt !";
    uint8_t l1[100];
    size_t ln = cw_enc_latin1(t2, strlen(t2), l1, sizeof l1);
    struct cw_enc_smpp_sm d = m;
    d.cmd = CW_SMPP_DELIVER_SM;
    d.esm_class = 0;
    d.data_coding = 3;
    d.ud = l1;
    d.ud_len = ln;
    d.payload = 1;
    d.sar = 1;
    d.sar_ref = 300;
    d.sar_total = 2;
    d.sar_seq = 2;
    size_t n2 = cw_enc_smpp_sm(&d, two + n, sizeof two - n);
    assert_int_equal(run(cw_smpp_decode, two, n + n2, 1, &g, &consumed), CW_PARSE_OK);
    assert_int_equal(g.n, 2);
    assert_string_equal(kind(&g, 0), "sms_mo");
    assert_string_equal(g.ev[0].calling, "8615000000001");
    assert_string_equal(g.text[0], text);
    assert_string_equal(kind(&g, 1), "sms_mt");
    assert_string_equal(g.text[1], t2);
    /* data_sm: message_payload always */
    memset(&m, 0, sizeof m);
    m.cmd = CW_SMPP_DATA_SM;
    m.src_ton = 5;
    m.src = "FastPost";
    m.dst_ton = 1;
    m.dst = "8613912345678";
    m.ud = (const uint8_t *)"Parcel 7 today";
    m.ud_len = 14;
    n = cw_enc_smpp_sm(&m, pdu, sizeof pdu);
    assert_int_equal(run(cw_smpp_decode, pdu, n, 1, &g, &consumed), CW_PARSE_OK);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.text[0], "Parcel 7 today");
    /* bind, responses, enquire_link: framed, no event */
    n = cw_enc_smpp_bind(CW_SMPP_BIND_TRANSCEIVER, 1, "smsgw01", "secret12", "SMPP", pdu,
                         sizeof pdu);
    n += cw_enc_smpp_simple(CW_SMPP_BIND_TRANSCEIVER | CW_SMPP_RESP, 0, 1, "SMSC01", pdu + n,
                            sizeof pdu - n);
    n += cw_enc_smpp_simple(CW_SMPP_ENQUIRE_LINK, 0, 2, NULL, pdu + n, sizeof pdu - n);
    n += cw_enc_smpp_simple(CW_SMPP_SUBMIT_SM | CW_SMPP_RESP, 0, 42, "5f3a01", pdu + n,
                            sizeof pdu - n);
    assert_int_equal(run(cw_smpp_decode, pdu, n, 1, &g, &consumed), CW_PARSE_OK);
    assert_int_equal(consumed, n);
    assert_int_equal(g.n, 0);
    assert_int_equal(cw_enc_smpp_sm(&m, pdu, 20), 0); /* no room */
}

/* ---- Diameter ---- */

static void dia_msg(struct cw_enc_dia *m, uint8_t *tpdu, size_t tpdu_len)
{
    memset(m, 0, sizeof *m);
    m->hbh = 1;
    m->e2e = 2;
    m->session = "mme01.example;1;2";
    m->origin_host = "mme01.example";
    m->origin_realm = "example";
    m->dest_host = "hss01.example";
    m->dest_realm = "example";
    m->imsi = "460001234567890";
    m->msisdn = "8615000000001";
    m->imeisv = "3533251012345601";
    m->apn = "cmnet";
    m->sc = "8613800100500";
    m->tpdu = tpdu;
    m->tpdu_len = tpdu_len;
    m->cc_type = 1;
    m->plmn[0] = 0x64, m->plmn[1] = 0xf0;
}

static void test_diameter(void **state)
{
    (void)state;
    uint8_t b[2048], tpdu[200];
    struct got g;
    size_t consumed;
    struct cw_enc_tpdu e;
    memset(&e, 0, sizeof e);
    e.submit = 1;
    e.addr = "8613912345678";
    e.addr_intl = 1;
    e.text = "see you at 7";
    e.text_len = strlen(e.text);
    size_t tn = cw_enc_tpdu(&e, tpdu, sizeof tpdu);
    struct cw_enc_dia m;
    dia_msg(&m, tpdu, tn);
    /* ULR: register, IMSI, IMEI (14 digits on the wire, the Luhn digit added) */
    size_t n = cw_enc_dia_request(CW_DIA_CMD_UL, &m, b, sizeof b);
    assert_int_equal(run(cw_diameter_decode, b, n, 1, &g, &consumed), CW_PARSE_OK);
    assert_int_equal(g.n, 1);
    assert_string_equal(kind(&g, 0), "register");
    assert_string_equal(g.ev[0].imsi, "460001234567890");
    char imei[16];
    cw_enc_imei15("35332510123456", imei);
    assert_string_equal(g.ev[0].imei, imei);
    for (size_t cut = 1; cut < n; cut++)
        assert_int_equal(run(cw_diameter_decode, b, cut, 1, &g, &consumed),
                         CW_PARSE_INCOMPLETE);
    /* AIR and its answer (no event), in one stream */
    n = cw_enc_dia_request(CW_DIA_CMD_AI, &m, b, sizeof b);
    n += cw_enc_dia_answer(CW_DIA_CMD_AI, &m, 2001, b + n, sizeof b - n);
    assert_int_equal(run(cw_diameter_decode, b, n, 1, &g, &consumed), CW_PARSE_OK);
    assert_int_equal(consumed, n);
    assert_int_equal(g.n, 1);
    assert_string_equal(kind(&g, 0), "auth");
    assert_string_equal(g.ev[0].imsi, "460001234567890");
    /* Gx CCR: E.164 and IMSI Subscription-Ids, IMEISV */
    n = cw_enc_dia_request(CW_DIA_CMD_CC, &m, b, sizeof b);
    assert_int_equal(run(cw_diameter_decode, b, n, 0, &g, &consumed), CW_PARSE_OK);
    assert_string_equal(kind(&g, 0), "data_session");
    assert_string_equal(g.ev[0].calling, "8615000000001");
    assert_string_equal(g.ev[0].imsi, "460001234567890");
    assert_string_equal(g.ev[0].imei, imei);
    /* SGd OFR: the MSISDN sends to the TP-DA */
    n = cw_enc_dia_request(CW_DIA_CMD_OFR, &m, b, sizeof b);
    assert_int_equal(run(cw_diameter_decode, b, n, 0, &g, &consumed), CW_PARSE_OK);
    assert_string_equal(kind(&g, 0), "sms_mo");
    assert_string_equal(g.ev[0].calling, "8615000000001");
    assert_string_equal(g.ev[0].called, "8613912345678");
    assert_string_equal(g.ev[0].imsi, "460001234567890");
    assert_string_equal(g.text[0], "see you at 7");
    /* SGd TFR: the TP-OA sends to the MSISDN */
    e.submit = 0;
    e.addr = "8613312345678";
    tn = cw_enc_tpdu(&e, tpdu, sizeof tpdu);
    m.tpdu_len = tn;
    n = cw_enc_dia_request(CW_DIA_CMD_TFR, &m, b, sizeof b);
    assert_int_equal(run(cw_diameter_decode, b, n, 0, &g, &consumed), CW_PARSE_OK);
    assert_string_equal(kind(&g, 0), "sms_mt");
    assert_string_equal(g.ev[0].calling, "8613312345678");
    assert_string_equal(g.ev[0].called, "8615000000001");
    assert_string_equal(g.text[0], "see you at 7");
    /* CER / CEA: no event */
    static const uint8_t ip[4] = {10, 70, 0, 1};
    n = cw_enc_dia_cer(0, &m, ip, CW_DIA_APP_S6A, b, sizeof b);
    n += cw_enc_dia_cer(1, &m, ip, CW_DIA_APP_S6A, b + n, sizeof b - n);
    assert_int_equal(run(cw_diameter_decode, b, n, 1, &g, &consumed), CW_PARSE_OK);
    assert_int_equal(consumed, n);
    assert_int_equal(g.n, 0);
    assert_int_equal(cw_enc_dia_request(CW_DIA_CMD_CE, &m, b, sizeof b), 0);
    assert_int_equal(cw_enc_dia_request(CW_DIA_CMD_UL, &m, b, 60), 0); /* no room */
}

/* ---- GTP ---- */

static void gtp_msg(struct cw_enc_gtp *g)
{
    memset(g, 0, sizeof *g);
    g->seq = 77;
    g->imsi = "460001234567890";
    g->msisdn = "8615000000001";
    g->imeisv = "3533251012345601";
    g->apn = "cmnet.mnc000.mcc460.gprs";
    g->plmn[0] = 0x64, g->plmn[1] = 0xf0;
    g->teid_c = 0x1111, g->teid_u = 0x2222;
    g->ebi = 5;
}

static void test_gtp(void **state)
{
    (void)state;
    uint8_t b[1024];
    struct got g;
    struct cw_enc_gtp m;
    gtp_msg(&m);
    char imei[16];
    cw_enc_imei15("35332510123456", imei);
    size_t (*const reqs[3])(const struct cw_enc_gtp *, uint8_t *, size_t) = {
        cw_enc_gtpv2_csr, cw_enc_gtpv2_mbr, cw_enc_gtpv1_cpdp};
    for (int i = 0; i < 3; i++) {
        size_t n = reqs[i](&m, b, sizeof b);
        assert_true(n > 0);
        assert_int_equal(run(cw_gtp_decode, b, n, 0, &g, NULL), CW_PARSE_OK);
        assert_int_equal(g.n, 1);
        assert_string_equal(kind(&g, 0), "data_session");
        assert_string_equal(g.ev[0].imei, imei);
        if (i != 1) { /* Modify Bearer names the handset only */
            assert_string_equal(g.ev[0].imsi, "460001234567890");
            assert_string_equal(g.ev[0].calling, "8615000000001");
        }
    }
    size_t (*const rsps[3])(const struct cw_enc_gtp *, uint8_t *, size_t) = {
        cw_enc_gtpv2_csrsp, cw_enc_gtpv2_mbrsp, cw_enc_gtpv1_cpdp_rsp};
    for (int i = 0; i < 3; i++) {
        size_t n = rsps[i](&m, b, sizeof b);
        assert_int_equal(run(cw_gtp_decode, b, n, 0, &g, NULL), CW_PARSE_OK);
        assert_int_equal(g.n, 0);
    }
    m.imeisv = NULL;
    size_t n = cw_enc_gtpv2_mbr(&m, b, sizeof b); /* no identity: no event */
    assert_int_equal(run(cw_gtp_decode, b, n, 0, &g, NULL), CW_PARSE_OK);
    assert_int_equal(g.n, 0);
}

/* ---- RADIUS ---- */

static void test_radius(void **state)
{
    (void)state;
    uint8_t b[1024];
    struct got g;
    struct cw_enc_radius r;
    memset(&r, 0, sizeof r);
    r.id = 9;
    r.status = 3;
    r.calling = "8615000000001";
    r.called = "cmnet";
    r.imsi = "460001234567890";
    r.imeisv = "3533251012345601";
    r.session = "00ABCDEF";
    size_t n = cw_enc_radius_acct(&r, b, sizeof b);
    assert_int_equal(run(cw_radius_decode, b, n, 0, &g, NULL), CW_PARSE_OK);
    assert_int_equal(g.n, 1);
    assert_string_equal(kind(&g, 0), "data_session");
    assert_string_equal(g.ev[0].calling, "8615000000001");
    assert_string_equal(g.ev[0].called, "cmnet");
    assert_string_equal(g.ev[0].imsi, "460001234567890");
    char imei[16];
    cw_enc_imei15("35332510123456", imei);
    assert_string_equal(g.ev[0].imei, imei);
    n = cw_enc_radius_acct_rsp(&r, b, sizeof b);
    assert_int_equal(n, 20);
    assert_int_equal(run(cw_radius_decode, b, n, 0, &g, NULL), CW_PARSE_OK);
    assert_int_equal(g.n, 0);
}

/* ---- MAP over TCAP / SCCP / M3UA ---- */

/* One MAP invoke (or its result) as M3UA DATA through the SIGTRAN decoder. */
static void map_round(const struct cw_enc_map_arg *a, int ac, int result, struct got *g)
{
    uint8_t param[400], tcap[400], sccp[400], m3ua[500];
    size_t pl = result ? cw_enc_map_res(a, param, sizeof param)
                       : cw_enc_map_arg(a, param, sizeof param);
    assert_true(result || pl > 0);
    size_t tl = result ? cw_enc_tcap_end(0x01020304, ac, a->version, 1, a->op, param, pl, tcap,
                                         sizeof tcap)
                       : cw_enc_tcap_begin(0x01020304, ac, a->version, 1, a->op, param, pl,
                                           tcap, sizeof tcap);
    assert_true(tl > 0);
    struct cw_enc_sccp s = {1, "8620000201", "8620000101", 6, 8};
    size_t sl = cw_enc_sccp_udt(&s, tcap, tl, sccp, sizeof sccp);
    assert_true(sl > 0);
    size_t ml = cw_enc_m3ua_data(101, 200, 3, 2, 0, 5, sccp, sl, m3ua, sizeof m3ua);
    assert_true(ml > 0 && ml % 4 == 0);
    uint8_t *copy = malloc(ml);
    memcpy(copy, m3ua, ml);
    struct cw_sigtran *st;
    assert_int_equal(cw_sigtran_new(&st), 0);
    struct cw_pkt_meta meta = {1, 1, 0, 0, NULL};
    struct cw_event_sink sink = {on_event, g, NULL};
    struct cw_decode_stats ds;
    memset(&ds, 0, sizeof ds);
    memset(g, 0, sizeof *g);
    assert_int_equal(cw_sigtran_decode(st, CW_SIGTRAN_M3UA, cw_slice_make(copy, ml), &meta,
                                       &sink, &ds),
                     CW_PARSE_OK);
    for (unsigned i = 0; i < CW_DA__COUNT; i++)
        if (ds.anomalies[i])
            fail_msg("MAP op %d: anomaly %s", a->op, cw_decode_anomaly_name(i));
    cw_sigtran_free(st);
    free(copy);
}

static void test_map(void **state)
{
    (void)state;
    struct got g;
    uint8_t tpdu[200];
    struct cw_enc_tpdu e;
    memset(&e, 0, sizeof e);
    e.submit = 1;
    e.addr = "8613912345678";
    e.addr_intl = 1;
    e.dcs = CW_ENC_DCS_UCS2;
    e.text = "收到，谢谢！";
    e.text_len = strlen(e.text);
    size_t tn = cw_enc_tpdu(&e, tpdu, sizeof tpdu);
    struct cw_enc_map_arg a;
    memset(&a, 0, sizeof a);
    /* mo-forwardSM v3 with the trailing IMSI */
    a.op = CW_MAP_OP_MO_FSM;
    a.version = 3;
    a.msisdn = "8615000000001";
    a.imsi = "460001234567890";
    a.mo_imsi = 1;
    a.sc = "8613800100500";
    a.tpdu = tpdu;
    a.tpdu_len = tn;
    map_round(&a, CW_MAP_AC_SHORT_MSG_MO_RELAY, 0, &g);
    if (g.n == 0)
        fail_msg("no event from mo-forwardSM: is src/decode/map.c still a placeholder?");
    assert_int_equal(g.n, 1);
    assert_string_equal(kind(&g, 0), "sms_mo");
    assert_string_equal(g.ev[0].calling, "8615000000001");
    assert_string_equal(g.ev[0].called, "8613912345678");
    assert_string_equal(g.ev[0].imsi, "460001234567890");
    assert_string_equal(g.text[0], e.text);
    /* forwardSM v2 (MO) */
    a.version = 2;
    map_round(&a, CW_MAP_AC_SHORT_MSG_MO_RELAY, 0, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(kind(&g, 0), "sms_mo");
    assert_string_equal(g.ev[0].calling, "8615000000001");
    /* mt-forwardSM: an SMS-DELIVER with GSM 7-bit extension characters to the IMSI */
    e.submit = 0;
    e.addr = "8613312345678";
    e.dcs = CW_ENC_DCS_GSM7;
    e.text = "Ticket [row 7] ~ gate B";
    e.text_len = strlen(e.text);
    tn = cw_enc_tpdu(&e, tpdu, sizeof tpdu);
    a.op = CW_MAP_OP_MT_FSM;
    a.version = 3;
    a.tpdu_len = tn;
    a.more_msgs = 1;
    map_round(&a, CW_MAP_AC_SHORT_MSG_MT_RELAY, 0, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(kind(&g, 0), "sms_mt");
    assert_string_equal(g.ev[0].imsi, "460001234567890");
    assert_string_equal(g.ev[0].calling, "8613312345678");
    assert_string_equal(g.text[0], e.text);
    /* sendRoutingInfoForSM and its result */
    a.op = CW_MAP_OP_SRI_SM;
    a.msc = "8620000101";
    map_round(&a, CW_MAP_AC_SHORT_MSG_GATEWAY, 0, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(kind(&g, 0), "lookup");
    assert_string_equal(g.ev[0].called, "8615000000001");
    map_round(&a, CW_MAP_AC_SHORT_MSG_GATEWAY, 1, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(kind(&g, 0), "lookup");
    assert_string_equal(g.ev[0].imsi, "460001234567890");
    /* updateLocation */
    a.op = CW_MAP_OP_UPDATE_LOCATION;
    a.vlr = "8620000111";
    a.hlr = "8620000201";
    map_round(&a, CW_MAP_AC_NETWORK_LOC_UP, 0, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(kind(&g, 0), "register");
    assert_string_equal(g.ev[0].imsi, "460001234567890");
    map_round(&a, CW_MAP_AC_NETWORK_LOC_UP, 1, &g); /* the result: no event */
    assert_int_equal(g.n, 0);
    /* sendAuthenticationInfo v3 and v2 */
    for (int v = 2; v <= 3; v++) {
        a.op = CW_MAP_OP_SAI;
        a.version = v;
        a.nvec = 2;
        map_round(&a, CW_MAP_AC_INFO_RETRIEVAL, 0, &g);
        assert_int_equal(g.n, 1);
        assert_string_equal(kind(&g, 0), "auth");
        assert_string_equal(g.ev[0].imsi, "460001234567890");
    }
    /* checkIMEI v3 and v2 */
    char imei[16];
    cw_enc_imei15("35332510123456", imei);
    for (int v = 2; v <= 3; v++) {
        a.op = CW_MAP_OP_CHECK_IMEI;
        a.version = v;
        a.imei = imei;
        map_round(&a, CW_MAP_AC_EQUIPMENT_MNGT, 0, &g);
        assert_int_equal(g.n, 1);
        assert_string_equal(kind(&g, 0), "auth");
        assert_string_equal(g.ev[0].imei, imei);
    }
    /* a long BER value takes the long length form (0x81): still read */
    uint8_t big[300];
    memset(big, 0x42, sizeof big);
    a.op = CW_MAP_OP_MT_FSM;
    a.version = 3;
    a.tpdu = big;
    a.tpdu_len = 150;
    uint8_t param[400];
    size_t pl = cw_enc_map_arg(&a, param, sizeof param);
    assert_int_equal(param[0], 0x30);
    assert_int_equal(param[1], 0x81);
    assert_int_equal(param[2], pl - 3);
    /* UDT carries at most 255 octets of data */
    uint8_t out[600];
    struct cw_enc_sccp s = {0, "8620000201", "8620000101", 6, 8};
    assert_int_equal(cw_enc_sccp_udt(&s, big, 256, out, sizeof out), 0);
    assert_true(cw_enc_sccp_udt(&s, big, 255, out, sizeof out) > 255);
}

/* ---- SCTP ---- */

static void test_crc32c(void **state)
{
    (void)state;
    uint8_t b[48];
    assert_true(cw_crc32c(0, "123456789", 9) == 0xE3069283u);
    /* RFC 3720 B.4 */
    memset(b, 0, 32);
    assert_true(cw_crc32c(0, b, 32) == 0x8A9136AAu);
    memset(b, 0xff, 32);
    assert_true(cw_crc32c(0, b, 32) == 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    assert_true(cw_crc32c(0, b, 32) == 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(31 - i);
    assert_true(cw_crc32c(0, b, 32) == 0x113FDB5Cu);
    static const uint8_t iscsi[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    assert_true(cw_crc32c(0, iscsi, 48) == 0xD9963A56u);
    /* incremental */
    assert_true(cw_crc32c(cw_crc32c(0, iscsi, 20), iscsi + 20, 28) == 0xD9963A56u);
}

static void test_sctp_packet(void **state)
{
    (void)state;
    uint8_t chunks[512], pkt[600];
    struct cw_wbuf b = cw_wb_make(chunks, sizeof chunks);
    cw_enc_sctp_sack(&b, 99, 106496);
    cw_enc_sctp_data(&b, CW_SCTP_F_B | CW_SCTP_F_E, 100, 1, 7, 3, "abcde", 5);
    cw_enc_sctp_data(&b, CW_SCTP_F_B, 101, 2, 8, 46, "xyz", 3);
    assert_false(b.err);
    assert_int_equal(b.len, 16 + 24 + 20);
    size_t n = cw_enc_sctp_packet(2905, 2906, 0xdeadbeef, chunks, b.len, pkt, sizeof pkt);
    assert_int_equal(n, 12 + b.len);
    /* the checksum, least significant byte first, over the packet with the field zero */
    uint32_t stored = pkt[8] | pkt[9] << 8 | pkt[10] << 16 | (uint32_t)pkt[11] << 24;
    memset(pkt + 8, 0, 4);
    assert_true(cw_crc32c(0, pkt, n) == stored);
    struct cw_cursor c = cw_cur_make(pkt + 12, n - 12);
    struct cw_sctp_chunk ch;
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), 1);
    assert_int_equal(ch.type, 3);
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), 1);
    assert_int_equal(ch.type, CW_SCTP_DATA);
    assert_int_equal(ch.flags, CW_SCTP_FLAG_B | CW_SCTP_FLAG_E);
    assert_int_equal(ch.tsn, 100);
    assert_int_equal(ch.stream, 1);
    assert_int_equal(ch.ppid, 3);
    assert_true(ch.data.len == 5 && !memcmp(ch.data.p, "abcde", 5));
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), 1);
    assert_int_equal(ch.flags, CW_SCTP_FLAG_B);
    assert_int_equal(ch.tsn, 101);
    assert_int_equal(ch.ppid, 46);
    assert_true(ch.data.len == 3 && !memcmp(ch.data.p, "xyz", 3));
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), 0);
    /* INIT, INIT ACK with a cookie, COOKIE ECHO, COOKIE ACK: well-formed chunks */
    b = cw_wb_make(chunks, sizeof chunks);
    static const uint8_t cookie[6] = {1, 2, 3, 4, 5, 6};
    cw_enc_sctp_init(&b, 0, 1, 2, NULL, 0);
    cw_enc_sctp_init(&b, 1, 3, 4, cookie, 6);
    cw_enc_sctp_cookie(&b, cookie, 6);
    cw_enc_sctp_cookie(&b, NULL, 0);
    c = cw_cur_make(chunks, b.len);
    static const uint8_t types[4] = {1, 2, 10, 11};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cw_sctp_next_chunk(&c, &ch), 1);
        assert_int_equal(ch.type, types[i]);
    }
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), 0);
    assert_int_equal(cw_enc_sctp_packet(1, 2, 3, chunks, b.len, pkt, 20), 0);
}

/* ---- through the dissector: fragments, a split SCTP message, TCP segments ---- */

struct dis {
    struct cw_dissector *d;
    struct got g;
    uint64_t frame;
};

static void dis_new(struct dis *r)
{
    memset(r, 0, sizeof *r);
    struct cw_event_sink sink = {on_event, &r->g, NULL};
    assert_int_equal(cw_dissect_new(&sink, &r->d), 0);
}

static void dis_put(struct dis *r, const uint8_t *frame, size_t n)
{
    r->frame++;
    struct cw_raw_pkt raw = {1772323200000000ull + r->frame, frame, (uint32_t)n, (uint32_t)n,
                             r->frame, CW_LINKTYPE_ETHERNET};
    cw_dissect_packet(r->d, &raw, CW_LINKTYPE_ETHERNET, 0);
}

static void frag_case(int ipver, int reverse)
{
    uint8_t msg[512], l4[600], f[800];
    struct cw_enc_gtp m;
    gtp_msg(&m);
    size_t n = cw_enc_gtpv2_csr(&m, msg, sizeof msg);
    struct cw_pkt_addr a;
    memset(&a, 0, sizeof a);
    assert_int_equal(cw_pkt_addr_set(&a, ipver == 4 ? "10.80.0.1" : "2001:db8:80::1",
                                     ipver == 4 ? "10.80.1.1" : "2001:db8:81::1"),
                     0);
    a.sport = a.dport = 2123;
    a.ip_id = 0x4242;
    a.frag_id = 0x42424242;
    a.vlan = 800;
    a.vlan_outer = 400;
    size_t ln = cw_pkt_l4_udp(l4, sizeof l4, &a, msg, n);
    assert_int_equal(ln, n + 8);
    size_t piece = 72, nf = (ln + piece - 1) / piece;
    assert_true(nf >= 3);
    struct dis r;
    dis_new(&r);
    for (size_t k = 0; k < nf; k++) {
        size_t i = reverse ? nf - 1 - k : k, off = i * piece;
        size_t len = off + piece > ln ? ln - off : piece;
        size_t fl = cw_pkt_build_frag(f, sizeof f, &a, 17, l4, ln, off, len);
        assert_true(fl > 0);
        /* QinQ: the S-tag, then the C-tag */
        assert_true(f[12] == 0x88 && f[13] == 0xa8 && f[16] == 0x81 && f[17] == 0x00);
        assert_int_equal(r.g.n, 0); /* no event from a part */
        dis_put(&r, f, fl);
    }
    assert_int_equal(r.g.n, 1);
    assert_string_equal(r.g.ev[0].imsi, "460001234567890");
    assert_int_equal(r.g.ev[0].frame, nf);
    cw_dissect_free(r.d);
    /* invalid slices */
    assert_int_equal(cw_pkt_build_frag(f, sizeof f, &a, 17, l4, ln, 4, 8), 0);  /* offset */
    assert_int_equal(cw_pkt_build_frag(f, sizeof f, &a, 17, l4, ln, 0, 13), 0); /* length */
    assert_int_equal(cw_pkt_build_frag(f, sizeof f, &a, 17, l4, ln, 0, ln + 1), 0);
}

static void test_fragments(void **state)
{
    (void)state;
    frag_case(4, 0);
    frag_case(4, 1);
    frag_case(6, 0);
    frag_case(6, 1);
}

static void test_sctp_split(void **state)
{
    (void)state;
    uint8_t msg[2048], chunks[2048], l4[2100], f[2200];
    struct cw_enc_dia m;
    dia_msg(&m, NULL, 0);
    size_t n = cw_enc_dia_request(CW_DIA_CMD_UL, &m, msg, sizeof msg);
    struct cw_pkt_addr a;
    memset(&a, 0, sizeof a);
    assert_int_equal(cw_pkt_addr_set(&a, "10.70.0.2", "10.70.1.2"), 0);
    a.sport = a.dport = 3868;
    struct dis r;
    dis_new(&r);
    for (int part = 0; part < 2; part++) {
        struct cw_wbuf b = cw_wb_make(chunks, sizeof chunks);
        size_t half = n / 2;
        if (part == 0)
            cw_enc_sctp_data(&b, CW_SCTP_F_B, 500, 0, 1, 46, msg, half);
        else
            cw_enc_sctp_data(&b, CW_SCTP_F_E, 501, 0, 1, 46, msg + half, n - half);
        size_t pl = cw_enc_sctp_packet(3868, 3868, 7, chunks, b.len, l4, sizeof l4);
        size_t fl = cw_pkt_build_ip(f, sizeof f, &a, 132, l4, pl);
        assert_true(fl > 0);
        dis_put(&r, f, fl);
        assert_int_equal(r.g.n, part); /* the event with the E chunk */
    }
    assert_string_equal(kind(&r.g, 0), "register");
    assert_string_equal(r.g.ev[0].imsi, "460001234567890");
    cw_dissect_free(r.d);
}

static void test_tcp_segments(void **state)
{
    (void)state;
    /* two submit_sm in a stream, cut so that a segment ends inside each */
    uint8_t s[1024], f[1200];
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        struct cw_enc_smpp_sm m;
        memset(&m, 0, sizeof m);
        m.cmd = CW_SMPP_SUBMIT_SM;
        m.seq = (uint32_t)i + 1;
        m.src_ton = 1;
        m.src = i ? "8615000000002" : "8615000000001";
        m.dst_ton = 1;
        m.dst = "8613912345678";
        m.ud = (const uint8_t *)"hello there";
        m.ud_len = 11;
        n += cw_enc_smpp_sm(&m, s + n, sizeof s - n);
    }
    struct cw_pkt_addr a;
    memset(&a, 0, sizeof a);
    assert_int_equal(cw_pkt_addr_set(&a, "2001:db8:50::12", "2001:db8:50::1"), 0);
    a.sport = 45002;
    a.dport = 2775;
    struct dis r;
    dis_new(&r);
    size_t cuts[3] = {0, 30, n - 10};
    uint32_t seq = 1000;
    for (int k = 0; k < 3; k++) {
        size_t end = k < 2 ? cuts[k + 1] : n;
        a.tcp_seq = seq;
        size_t fl = cw_pkt_build_tcp(f, sizeof f, &a, s + cuts[k], end - cuts[k]);
        seq += (uint32_t)(end - cuts[k]);
        dis_put(&r, f, fl);
        assert_int_equal(r.g.n, k); /* the first PDU ends in segment 2, the second in 3 */
    }
    assert_string_equal(r.g.ev[0].calling, "8615000000001");
    assert_string_equal(r.g.ev[1].calling, "8615000000002");
    assert_string_equal(r.g.text[1], "hello there");
    cw_dissect_free(r.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tbcd_imei),    cmocka_unit_test(test_text),
        cmocka_unit_test(test_tpdu),         cmocka_unit_test(test_sip_3gpp_sms),
        cmocka_unit_test(test_smpp),         cmocka_unit_test(test_diameter),
        cmocka_unit_test(test_gtp),          cmocka_unit_test(test_radius),
        cmocka_unit_test(test_map),          cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_sctp_packet),  cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_sctp_split),   cmocka_unit_test(test_tcp_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
