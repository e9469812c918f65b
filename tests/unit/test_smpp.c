/* test_smpp.c - the SMPP decoder: each PDU -> event mapping with exact fields (submit_sm,
 * deliver_sm, data_sm, submit_multi; numbers, alphanumeric senders, TON; text by data_coding,
 * UDH, message_payload), PDUs that give no event, stream framing (several PDUs per slice, a PDU
 * split at every offset), malformed input by reason, and every valid PDU truncated at every
 * length in an exactly-sized buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "corpus.h"
#include "decode/smpp.h"
#include "testutil.h"

#define MAX_EV 8

/* What the sink saw; the text is copied because the event slice dies with the callback. */
struct cap {
    int n;
    struct cw_event ev[MAX_EV];
    char text[MAX_EV][512];
    size_t text_len[MAX_EV];
};

static void on_event(void *user, const struct cw_event *ev)
{
    struct cap *c = user;
    if (c->n < MAX_EV) {
        c->ev[c->n] = *ev;
        c->text_len[c->n] = ev->text.len;
        if (ev->text.len < sizeof c->text[0] && ev->text.len)
            memcpy(c->text[c->n], ev->text.p, ev->text.len);
        c->ev[c->n].text.p = NULL;
    }
    c->n++;
}

static const struct cw_pkt_meta STREAM = {1767225600654321ull, 7, 1, 1, NULL};
static const struct cw_pkt_meta DGRAM = {1767225600123456ull, 42, 3, 0, NULL};

/* ---- building PDUs ---- */

struct pdu {
    uint8_t b[8192];
    size_t n;
};

static void u8(struct pdu *p, uint8_t v)
{
    assert_true(p->n < sizeof p->b);
    p->b[p->n++] = v;
}

static void u16(struct pdu *p, uint16_t v)
{
    u8(p, (uint8_t)(v >> 8));
    u8(p, (uint8_t)v);
}

static void u32(struct pdu *p, uint32_t v)
{
    u16(p, (uint16_t)(v >> 16));
    u16(p, (uint16_t)v);
}

static void raw(struct pdu *p, const void *d, size_t n)
{
    assert_true(n <= sizeof p->b - p->n);
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void cs(struct pdu *p, const char *s)
{
    raw(p, s, strlen(s) + 1);
}

static void tlv(struct pdu *p, uint16_t tag, const void *v, uint16_t len)
{
    u16(p, tag);
    u16(p, len);
    raw(p, v, len);
}

static void hdr(struct pdu *p, uint32_t id, uint32_t seq)
{
    p->n = 0;
    u32(p, 0); /* length, set by fin() */
    u32(p, id);
    u32(p, 0);
    u32(p, seq);
}

static void fin(struct pdu *p)
{
    uint32_t n = (uint32_t)p->n;
    p->b[0] = (uint8_t)(n >> 24);
    p->b[1] = (uint8_t)(n >> 16);
    p->b[2] = (uint8_t)(n >> 8);
    p->b[3] = (uint8_t)n;
}

/* submit_sm / deliver_sm up to and including short_message (no TLVs, not finished). */
static void sm_pdu(struct pdu *p, uint32_t id, uint8_t sts, const char *src, uint8_t dts,
                   const char *dst, uint8_t esm, uint8_t dcs, const void *msg, size_t len)
{
    hdr(p, id, 3);
    cs(p, "");
    u8(p, sts);
    u8(p, 1);
    cs(p, src);
    u8(p, dts);
    u8(p, 1);
    cs(p, dst);
    u8(p, esm);
    u8(p, 0); /* protocol_id */
    u8(p, 0); /* priority */
    cs(p, "");
    cs(p, "");
    u8(p, 0); /* registered_delivery */
    u8(p, 0); /* replace_if_present */
    u8(p, dcs);
    u8(p, 0);
    u8(p, (uint8_t)len);
    raw(p, msg, len);
}

static void simple_pdu(struct pdu *p, uint32_t id)
{
    hdr(p, id, 9);
    fin(p);
}

/* ---- decoding ---- */

static int run(const void *data, size_t len, const struct cw_pkt_meta *meta, struct cap *c,
               struct cw_decode_stats *st, size_t *consumed, size_t *needed)
{
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    if (len)
        memcpy(buf, data, len);
    struct cw_event_sink sink = {on_event, c, NULL};
    int rc = cw_smpp_decode(cw_slice_make(buf, len), meta, &sink, st, consumed, needed);
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

/* Decode one slice that must be whole PDUs; returns the captured events. */
static void decode_ok(const void *data, size_t len, struct cap *c, struct cw_decode_stats *st)
{
    size_t consumed = 99999, needed = 99999;
    memset(c, 0, sizeof *c);
    memset(st, 0, sizeof *st);
    assert_int_equal(run(data, len, &STREAM, c, st, &consumed, &needed), CW_PARSE_OK);
    assert_int_equal(consumed, len);
    assert_int_equal(needed, 0);
}

static void assert_text(const struct cap *c, int i, const char *want)
{
    assert_int_equal(c->text_len[i], strlen(want));
    assert_memory_equal(c->text[i], want, strlen(want));
}

static void assert_ev(const struct cap *c, int i, unsigned kind, const char *calling,
                      const char *called, unsigned flags, const char *text)
{
    assert_true(i < c->n);
    const struct cw_event *e = &c->ev[i];
    assert_int_equal(e->kind, kind);
    assert_int_equal(e->proto, CW_PROTO_SMPP);
    assert_string_equal(e->calling, calling);
    assert_string_equal(e->called, called);
    assert_int_equal(e->flags, flags);
    assert_string_equal(e->imsi, "");
    assert_string_equal(e->imei, "");
    assert_int_equal(e->ts_us, STREAM.ts_us);
    assert_int_equal(e->frame, STREAM.frame);
    assert_int_equal(e->file_idx, STREAM.file_idx);
    assert_text(c, i, text);
}

/* ---- the PDUs used across the tests ---- */

/* The corpus capture's submit_sm: 100 -> 1234567890, "test". */
static void pdu_corpus_submit(struct pdu *p)
{
    sm_pdu(p, 4, 0, "100", 1, "1234567890", 0, 0, "test", 4);
    fin(p);
}

/* deliver_sm from "BANK" (TON 5) in UCS-2: 中奖通知 */
static void pdu_deliver_zh(struct pdu *p)
{
    sm_pdu(p, 5, 5, "BANK", 1, "8613800000000", 0, 8, "\x4e\x2d\x59\x56\x90\x1a\x77\xe5", 8);
    fin(p);
}

static void pdu_bind(struct pdu *p, uint32_t id)
{
    hdr(p, id, 1);
    cs(p, "abhik");
    cs(p, "password");
    cs(p, "SMPP");
    u8(p, 0x34);
    u8(p, 0);
    u8(p, 0);
    cs(p, "");
    fin(p);
}

static void pdu_data_sm(struct pdu *p)
{
    hdr(p, 0x103, 5);
    cs(p, "WAP");
    u8(p, 1);
    u8(p, 1);
    cs(p, "+8613900000000");
    u8(p, 0);
    u8(p, 0);
    cs(p, "123456789012345678901234567890"); /* 30 digits: data_sm allows 64 */
    u8(p, 0);    /* esm_class */
    u8(p, 0);    /* registered_delivery */
    u8(p, 3);    /* data_coding: Latin-1 */
    tlv(p, 0x0204, "\x00\x01", 2); /* user_message_reference */
    tlv(p, 0x0424, "Gr\xfc\xdf" "e", 5);
    fin(p);
}

static void pdu_multi(struct pdu *p)
{
    hdr(p, 0x21, 6);
    cs(p, "");
    u8(p, 1);
    u8(p, 1);
    cs(p, "8613500000000");
    u8(p, 3); /* number_of_dests */
    u8(p, 1);
    u8(p, 1);
    u8(p, 1);
    cs(p, "8613600000001");
    u8(p, 2);
    cs(p, "friends");
    u8(p, 1);
    u8(p, 0);
    u8(p, 1);
    cs(p, "13600000002");
    u8(p, 0);
    u8(p, 0);
    u8(p, 0);
    cs(p, "");
    cs(p, "");
    u8(p, 0);
    u8(p, 0);
    u8(p, 0); /* GSM 7-bit */
    u8(p, 0);
    u8(p, 5);
    raw(p, "\x1b\x65" "5 ", 4);
    u8(p, 0); /* sm_length counted 5: the fifth byte */
    fin(p);
}

/* ---- mappings ---- */

static void test_submit_sm(void **state)
{
    (void)state;
    struct pdu p;
    struct cap c;
    struct cw_decode_stats st;
    pdu_corpus_submit(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 1);
    assert_ev(&c, 0, CW_EV_SMS_MO, "100", "1234567890", CW_EVF_CALLED_INTL, "test");
    assert_int_equal(st.messages[CW_PROTO_SMPP], 1);
    assert_int_equal(anomalies(&st), 0);
}

static void test_deliver_sm_ucs2_alnum(void **state)
{
    (void)state;
    struct pdu p;
    struct cap c;
    struct cw_decode_stats st;
    pdu_deliver_zh(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 1);
    assert_ev(&c, 0, CW_EV_SMS_MT, "BANK", "8613800000000",
              CW_EVF_CALLING_ALNUM | CW_EVF_CALLED_INTL, "中奖通知");
    assert_int_equal(anomalies(&st), 0);
}

static void test_gsm7_extension_text(void **state)
{
    (void)state;
    struct pdu p;
    struct cap c;
    struct cw_decode_stats st;
    sm_pdu(&p, 4, 1, "+8613900000000", 0, "10086", 0, 0, "\x1b\x65\x1b\x3c\x1b\x3e\x00\x11", 8);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 1);
    assert_ev(&c, 0, CW_EV_SMS_MO, "8613900000000", "10086", CW_EVF_CALLING_INTL, "€[]@_");
}

static void test_addresses(void **state)
{
    (void)state;
    struct pdu p;
    struct cap c;
    struct cw_decode_stats st;
    /* '+' without TON 1 is still global; digits under TON 5 are kept raw as alphanumeric */
    sm_pdu(&p, 4, 0, "+86139", 5, "12345", 0, 1, "x", 1);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_ev(&c, 0, CW_EV_SMS_MO, "86139", "12345", CW_EVF_CALLING_INTL | CW_EVF_CALLED_ALNUM,
              "x");
    /* mixed and control characters; a lone '+'; an empty destination */
    sm_pdu(&p, 5, 0, "Info-24\x01", 0, "", 0, 1, "", 0);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_ev(&c, 0, CW_EV_SMS_MT, "Info-24?", "", CW_EVF_CALLING_ALNUM, "");
    sm_pdu(&p, 5, 1, "+", 0, "1", 0, 1, "", 0);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_ev(&c, 0, CW_EV_SMS_MT, "+", "1", CW_EVF_CALLING_ALNUM, "");
    /* longer than the event's field (and than the spec's 20): cut, and counted */
    sm_pdu(&p, 4, 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij", 1,
           "123456789012345678901234567890123456", 0, 1, "", 0);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_ev(&c, 0, CW_EV_SMS_MO, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcde",
              "1234567890123456789012345678901", CW_EVF_CALLING_ALNUM | CW_EVF_CALLED_INTL, "");
    assert_int_equal(st.anomalies[CW_DA_SMPP_STRING_TOO_LONG], 2);
}

static void test_data_codings(void **state)
{
    (void)state;
    struct pdu p;
    struct cap c;
    struct cw_decode_stats st;
    static const struct {
        uint8_t dcs;
        const char *msg;
        size_t len;
        const char *want;
    } cases[] = {
        {0, "Hello \x00", 7, "Hello @"},
        {1, "Hello", 5, "Hello"},
        {3, "caf\xe9", 4, "café"},
        {8, "\x00h\x00i", 4, "hi"},
        {2, "\x01\x02", 2, ""},
        {4, "\x01\x02", 2, ""},
        {0xF5, "\x01\x02", 2, ""}, /* not decoded (yet): no text */
        {0x11, "abc", 3, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sm_pdu(&p, 4, 0, "1", 0, "2", 0, cases[i].dcs, cases[i].msg, cases[i].len);
        fin(&p);
        decode_ok(p.b, p.n, &c, &st);
        assert_int_equal(c.n, 1);
        assert_ev(&c, 0, CW_EV_SMS_MO, "1", "2", 0, cases[i].want);
        assert_int_equal(anomalies(&st), 0);
    }
    /* invalid units: replaced and counted */
    sm_pdu(&p, 4, 0, "1", 0, "2", 0, 8, "\xd8\x00", 2);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_ev(&c, 0, CW_EV_SMS_MO, "1", "2", 0, "\xef\xbf\xbd");
    assert_int_equal(st.anomalies[CW_DA_SMPP_BAD_TEXT], 1);
}

static void test_message_payload(void **state)
{
    (void)state;
    struct pdu p;
    struct cap c;
    struct cw_decode_stats st;
    pdu_data_sm(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 1);
    assert_ev(&c, 0, CW_EV_SMS_MO, "8613900000000", "123456789012345678901234567890",
              CW_EVF_CALLING_INTL, "Grüße");
    assert_int_equal(anomalies(&st), 0);

    /* submit_sm with both: the payload wins (sm_length should have been 0) */
    sm_pdu(&p, 4, 0, "1", 0, "2", 0, 8, "\x00x", 2);
    tlv(&p, 0x0424, "\x4e\x2d\x59\x56", 4);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_ev(&c, 0, CW_EV_SMS_MO, "1", "2", 0, "中奖");

    /* a long payload (over 254 octets) */
    uint8_t big[600];
    memset(big, 'a', sizeof big);
    sm_pdu(&p, 4, 0, "1", 0, "2", 0, 1, "", 0);
    tlv(&p, 0x0424, big, sizeof big);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.text_len[0], sizeof big);

    /* 3000 CJK characters are 9000 bytes of UTF-8: cut to the scratch buffer (8 KiB) at a
     * character boundary, and counted */
    static uint8_t zh[6000];
    for (size_t i = 0; i < sizeof zh; i += 2) {
        zh[i] = 0x4e;
        zh[i + 1] = 0x2d;
    }
    sm_pdu(&p, 4, 0, "1", 0, "2", 0, 8, "", 0);
    tlv(&p, 0x0424, zh, sizeof zh);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.text_len[0], 8190); /* 2730 characters of 3 bytes */
    assert_int_equal(st.anomalies[CW_DA_SMPP_TEXT_TOO_LONG], 1);
    assert_int_equal(anomalies(&st), 1);
}

static void test_submit_multi(void **state)
{
    (void)state;
    struct pdu p;
    struct cap c;
    struct cw_decode_stats st;
    pdu_multi(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 2);
    assert_ev(&c, 0, CW_EV_SMS_MO, "8613500000000", "8613600000001",
              CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL, "€5 @");
    assert_ev(&c, 1, CW_EV_SMS_MO, "8613500000000", "13600000002", CW_EVF_CALLING_INTL,
              "€5 @");
    assert_int_equal(st.messages[CW_PROTO_SMPP], 1);
    assert_int_equal(anomalies(&st), 0);

    /* only a distribution list: no event; no destination at all: none either */
    hdr(&p, 0x21, 1);
    cs(&p, "");
    u8(&p, 0);
    u8(&p, 0);
    cs(&p, "1");
    u8(&p, 1);
    u8(&p, 2);
    cs(&p, "all");
    raw(&p, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01" "a", 11);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 0);
    assert_int_equal(anomalies(&st), 0);

    /* a dest_flag that is neither: the rest cannot be read */
    hdr(&p, 0x21, 1);
    cs(&p, "");
    u8(&p, 0);
    u8(&p, 0);
    cs(&p, "1");
    u8(&p, 1);
    u8(&p, 3);
    cs(&p, "x");
    raw(&p, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01" "a", 11);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.anomalies[CW_DA_SMPP_BAD_DEST_FLAG], 1);
    assert_int_equal(anomalies(&st), 1);
}

static void test_concatenated(void **state)
{
    (void)state;
    struct pdu a, b;
    struct cap c;
    struct cw_decode_stats st;
    uint8_t both[1024];
    /* two parts with an 8-bit reference, GSM 7-bit unpacked after the UDH */
    sm_pdu(&a, 4, 1, "8613700000000", 1, "8613800000000", 0x40, 0,
           "\x05\x00\x03\x2a\x02\x01Hello ", 12);
    fin(&a);
    sm_pdu(&b, 4, 1, "8613700000000", 1, "8613800000000", 0x40, 0,
           "\x05\x00\x03\x2a\x02\x02world", 11);
    fin(&b);
    memcpy(both, a.b, a.n);
    memcpy(both + a.n, b.b, b.n);
    decode_ok(both, a.n + b.n, &c, &st);
    assert_int_equal(c.n, 2);
    unsigned fl = CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL;
    assert_ev(&c, 0, CW_EV_SMS_MO, "8613700000000", "8613800000000", fl, "Hello ");
    assert_ev(&c, 1, CW_EV_SMS_MO, "8613700000000", "8613800000000", fl, "world");
    assert_int_equal(st.messages[CW_PROTO_SMPP], 2);

    /* UCS-2 with a 16-bit reference */
    sm_pdu(&a, 5, 5, "BANK", 1, "8613800000000", 0x40, 8,
           "\x06\x08\x04\x12\x34\x03\x03\x90\x1a\x77\xe5", 11);
    fin(&a);
    decode_ok(a.b, a.n, &c, &st);
    assert_ev(&c, 0, CW_EV_SMS_MT, "BANK", "8613800000000",
              CW_EVF_CALLING_ALNUM | CW_EVF_CALLED_INTL, "通知");
    assert_int_equal(anomalies(&st), 0);

    /* sar_* TLVs instead of a UDH */
    sm_pdu(&a, 4, 0, "1", 0, "2", 0, 1, "part one", 8);
    tlv(&a, 0x020C, "\x00\x07", 2);
    tlv(&a, 0x020E, "\x02", 1);
    tlv(&a, 0x020F, "\x01", 1);
    fin(&a);
    decode_ok(a.b, a.n, &c, &st);
    assert_ev(&c, 0, CW_EV_SMS_MO, "1", "2", 0, "part one");
    assert_int_equal(anomalies(&st), 0);
    /* ... of the wrong sizes: counted, the event stays */
    sm_pdu(&a, 4, 0, "1", 0, "2", 0, 1, "p", 1);
    tlv(&a, 0x020C, "\x07", 1);
    tlv(&a, 0x020E, "\x00\x02", 2);
    fin(&a);
    decode_ok(a.b, a.n, &c, &st);
    assert_ev(&c, 0, CW_EV_SMS_MO, "1", "2", 0, "p");
    assert_int_equal(st.anomalies[CW_DA_SMPP_BAD_TLV], 2);

    /* a UDH that runs past the message: no text, counted */
    sm_pdu(&a, 4, 0, "1", 0, "2", 0x40, 0, "\x09\x00\x03\x01\x02\x01", 6);
    fin(&a);
    decode_ok(a.b, a.n, &c, &st);
    assert_ev(&c, 0, CW_EV_SMS_MO, "1", "2", 0, "");
    assert_int_equal(st.anomalies[CW_DA_SMPP_BAD_UDH], 1);
    /* UDHI with an empty message */
    sm_pdu(&a, 4, 0, "1", 0, "2", 0x40, 0, "", 0);
    fin(&a);
    decode_ok(a.b, a.n, &c, &st);
    assert_ev(&c, 0, CW_EV_SMS_MO, "1", "2", 0, "");
    assert_int_equal(st.anomalies[CW_DA_SMPP_BAD_UDH], 1);
}

/* A delivery receipt (esm_class message type 0001) and an intermediate notification (1000)
 * are not messages: no event, though the PDU is counted. */
static void test_receipts_no_event(void **state)
{
    (void)state;
    static const uint8_t types[] = {0x04, 0x08, 0x10, 0x20, 0x44};
    struct pdu p;
    struct cap c;
    struct cw_decode_stats st;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        static const char receipt[] = "id:47c8c77a sub:001 dlvrd:001 stat:DELIVRD err:000";
        sm_pdu(&p, 5, 1, "8613800000001", 1, "8613900000002", types[i], 1, receipt,
               sizeof receipt - 1);
        fin(&p);
        decode_ok(p.b, p.n, &c, &st);
        assert_int_equal(c.n, 0);
        assert_int_equal(st.messages[CW_PROTO_SMPP], 1);
    }
    /* the same deliver_sm with message type 0 is a message */
    sm_pdu(&p, 5, 1, "8613800000001", 1, "8613900000002", 0x00, 1, "hi", 2);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 1);
    assert_ev(&c, 0, CW_EV_SMS_MT, "8613800000001", "8613900000002",
              CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL, "hi");
}

static void test_no_event_pdus(void **state)
{
    (void)state;
    static const uint32_t ids[] = {0x80000000u, 0x80000001u, 0x80000002u, 0x80000004u,
                                   0x80000005u, 6,           0x80000006u, 0x15,
                                   0x80000015u, 3,           7,           8,
                                   0x80000021u, 0x80000103u, 0x102,       0x111,
                                   0x00010200u, 0x800102FFu};
    struct pdu p;
    struct cap c;
    struct cw_decode_stats st;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        simple_pdu(&p, ids[i]);
        decode_ok(p.b, p.n, &c, &st);
        assert_int_equal(c.n, 0);
        assert_int_equal(st.messages[CW_PROTO_SMPP], 1);
        assert_int_equal(anomalies(&st), 0);
    }
    /* submit_sm_resp with a message_id */
    hdr(&p, 0x80000004u, 3);
    cs(&p, "47c8c77a");
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 0);
    static const uint32_t binds[] = {1, 2, 9};
    for (size_t i = 0; i < 3; i++) {
        pdu_bind(&p, binds[i]);
        decode_ok(p.b, p.n, &c, &st);
        assert_int_equal(c.n, 0);
        assert_int_equal(st.messages[CW_PROTO_SMPP], 1);
        assert_int_equal(anomalies(&st), 0);
    }
    /* a bind with an unterminated address_range */
    pdu_bind(&p, 2);
    p.n--;
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(st.anomalies[CW_DA_SMPP_UNTERMINATED_STRING], 1);
}

/* ---- streams ---- */

/* bind, submit_sm, deliver_sm (UCS-2), data_sm, enquire_link, submit_multi in one buffer. */
static size_t session(uint8_t *out, size_t cap)
{
    struct pdu p;
    size_t n = 0;
    for (int i = 0; i < 6; i++) {
        switch (i) {
        case 0:
            pdu_bind(&p, 9);
            break;
        case 1:
            pdu_corpus_submit(&p);
            break;
        case 2:
            pdu_deliver_zh(&p);
            break;
        case 3:
            pdu_data_sm(&p);
            break;
        case 4:
            simple_pdu(&p, 0x15);
            break;
        default:
            pdu_multi(&p);
            break;
        }
        assert_true(p.n <= cap - n);
        memcpy(out + n, p.b, p.n);
        n += p.n;
    }
    return n;
}

static void test_several_pdus(void **state)
{
    (void)state;
    uint8_t buf[2048];
    size_t n = session(buf, sizeof buf);
    struct cap c;
    struct cw_decode_stats st;
    decode_ok(buf, n, &c, &st);
    assert_int_equal(c.n, 5);
    assert_int_equal(st.messages[CW_PROTO_SMPP], 6);
    assert_text(&c, 0, "test");
    assert_text(&c, 1, "中奖通知");
    assert_text(&c, 2, "Grüße");
    assert_text(&c, 3, "€5 @");
    assert_text(&c, 4, "€5 @");
    assert_int_equal(anomalies(&st), 0);
}

/* Cut the session at every offset and feed it as TCP reassembly would: the first part, then
 * what was not consumed plus the rest. The same events come out, and needed is exact. */
static void test_split_every_offset(void **state)
{
    (void)state;
    uint8_t buf[2048];
    size_t n = session(buf, sizeof buf);
    struct cap whole;
    struct cw_decode_stats st;
    decode_ok(buf, n, &whole, &st);
    for (size_t cut = 0; cut <= n; cut++) {
        struct cap c;
        memset(&c, 0, sizeof c);
        memset(&st, 0, sizeof st);
        size_t c1 = 99999, n1 = 99999, c2 = 99999, n2 = 99999;
        int rc = run(buf, cut, &STREAM, &c, &st, &c1, &n1);
        assert_true(c1 <= cut);
        if (rc == CW_PARSE_INCOMPLETE) {
            assert_true(n1 > 0);
            /* exactly needed more bytes complete the next PDU (it is a whole PDU) */
            struct cap c3;
            struct cw_decode_stats st3;
            size_t c3c, c3n;
            memset(&c3, 0, sizeof c3);
            memset(&st3, 0, sizeof st3);
            size_t more = cut - c1 + n1;
            assert_true(more <= n - c1);
            int r3 = run(buf + c1, more, &STREAM, &c3, &st3, &c3c, &c3n);
            if (cut - c1 < 4) { /* needed was for the header only */
                assert_true(r3 == CW_PARSE_INCOMPLETE || r3 == CW_PARSE_OK);
            } else {
                assert_int_equal(r3, CW_PARSE_OK);
                assert_int_equal(c3c, more);
            }
        } else {
            assert_int_equal(rc, CW_PARSE_OK);
            assert_int_equal(c1, cut);
        }
        int rc2 = run(buf + c1, n - c1, &STREAM, &c, &st, &c2, &n2);
        assert_int_equal(rc2, CW_PARSE_OK);
        assert_int_equal(c2, n - c1);
        assert_int_equal(c.n, whole.n);
        for (int i = 0; i < c.n; i++) {
            assert_int_equal(c.ev[i].kind, whole.ev[i].kind);
            assert_string_equal(c.ev[i].calling, whole.ev[i].calling);
            assert_string_equal(c.ev[i].called, whole.ev[i].called);
            assert_int_equal(c.text_len[i], whole.text_len[i]);
            assert_memory_equal(c.text[i], whole.text[i], c.text_len[i]);
        }
        assert_int_equal(st.messages[CW_PROTO_SMPP], 6);
        assert_int_equal(anomalies(&st), 0);
    }
}

/* ---- malformed ---- */

static void test_bad_lengths(void **state)
{
    (void)state;
    struct pdu p, good;
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
    static const uint32_t bad[] = {0, 1, 15, 65537, 0x7FFFFFFFu, 0xFFFFFFFFu};
    pdu_corpus_submit(&good);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t buf[256];
        simple_pdu(&p, 0x15);
        p.b[0] = (uint8_t)(bad[i] >> 24);
        p.b[1] = (uint8_t)(bad[i] >> 16);
        p.b[2] = (uint8_t)(bad[i] >> 8);
        p.b[3] = (uint8_t)bad[i];
        /* after a good PDU: that one is decoded, the bad one stops the stream */
        memcpy(buf, good.b, good.n);
        memcpy(buf + good.n, p.b, p.n);
        for (size_t len = good.n + 4; len <= good.n + p.n; len++) {
            memset(&c, 0, sizeof c);
            memset(&st, 0, sizeof st);
            assert_int_equal(run(buf, len, &STREAM, &c, &st, &consumed, &needed),
                             CW_PARSE_ERROR);
            assert_int_equal(consumed, good.n);
            assert_int_equal(c.n, 1);
            assert_int_equal(st.anomalies[CW_DA_SMPP_BAD_LENGTH], 1);
            assert_int_equal(anomalies(&st), 1);
        }
    }
    /* the largest accepted length: waits for it */
    simple_pdu(&p, 0x15);
    p.b[1] = 1;
    p.b[2] = 0;
    p.b[3] = 0;
    memset(&st, 0, sizeof st);
    assert_int_equal(run(p.b, p.n, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_INCOMPLETE);
    assert_int_equal(consumed, 0);
    assert_int_equal(needed, 65536 - 16);
    /* not a command any version defines */
    simple_pdu(&p, 0x00000099u);
    memset(&st, 0, sizeof st);
    assert_int_equal(run(p.b, 8, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_SMPP_UNKNOWN_COMMAND], 1);
    simple_pdu(&p, 0x80000000u | 0x21u);
    p.b[7] = 0x22;
    memset(&st, 0, sizeof st);
    assert_int_equal(run(p.b, p.n, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_SMPP_UNKNOWN_COMMAND], 1);
    /* text, as the SIP in a misclassified flow would be */
    memset(&st, 0, sizeof st);
    assert_int_equal(run("INVITE sip:1@x SIP/2.0\r\n", 24, &STREAM, &c, &st, &consumed,
                         &needed),
                     CW_PARSE_ERROR);
    assert_int_equal(anomalies(&st), 1);
}

static void test_lying_length(void **state)
{
    (void)state;
    struct pdu p, next;
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
    /* longer than what is there: a stream waits, a datagram is cut */
    pdu_corpus_submit(&p);
    p.b[3] = (uint8_t)(p.n + 100);
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    assert_int_equal(run(p.b, p.n, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_INCOMPLETE);
    assert_int_equal(consumed, 0);
    assert_int_equal(needed, 100);
    assert_int_equal(c.n, 0);
    assert_int_equal(anomalies(&st), 0);
    assert_int_equal(run(p.b, p.n, &DGRAM, &c, &st, &consumed, &needed), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_SMPP_TRUNCATED_PDU], 1);
    assert_int_equal(c.n, 0);

    /* shorter than the body: every shorter length, followed by a good PDU that must still
     * be decoded; no event from the cut one, and one anomaly for it */
    pdu_corpus_submit(&next);
    pdu_corpus_submit(&p);
    size_t full = p.n;
    for (size_t len = 16; len < full; len++) {
        uint8_t buf[256];
        memcpy(buf, p.b, len);
        buf[3] = (uint8_t)len;
        memcpy(buf + len, next.b, next.n);
        memset(&c, 0, sizeof c);
        memset(&st, 0, sizeof st);
        assert_int_equal(run(buf, len + next.n, &STREAM, &c, &st, &consumed, &needed),
                         CW_PARSE_OK);
        assert_int_equal(consumed, len + next.n);
        assert_int_equal(st.messages[CW_PROTO_SMPP], 2);
        /* from the sm_length octet on: sm_length past the end; before it: a field cut
         * (truncated body, or an unterminated string) */
        assert_int_equal(c.n, 1);
        assert_int_equal(anomalies(&st), 1);
        if (len >= full - 5)
            assert_int_equal(st.anomalies[CW_DA_SMPP_BAD_SM_LENGTH], len > full - 5);
    }
}

static void test_unterminated_and_overruns(void **state)
{
    (void)state;
    struct pdu p;
    struct cap c;
    struct cw_decode_stats st;
    /* source_addr runs to the end of the PDU without a NUL */
    hdr(&p, 4, 1);
    cs(&p, "");
    u8(&p, 0);
    u8(&p, 0);
    raw(&p, "12345", 5);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.anomalies[CW_DA_SMPP_UNTERMINATED_STRING], 1);
    assert_int_equal(anomalies(&st), 1);
    /* service_type unterminated (the PDU is all text) */
    hdr(&p, 5, 1);
    raw(&p, "CMT", 3);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.anomalies[CW_DA_SMPP_UNTERMINATED_STRING], 1);
    /* sm_length past the end */
    sm_pdu(&p, 4, 0, "1", 0, "2", 0, 0, "abc", 3);
    p.b[p.n - 4] = 200;
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.anomalies[CW_DA_SMPP_BAD_SM_LENGTH], 1);
    assert_int_equal(anomalies(&st), 1);
    /* a TLV whose length runs past the end: counted, the event keeps short_message */
    sm_pdu(&p, 4, 0, "1", 0, "2", 0, 0, "abc", 3);
    u16(&p, 0x0424);
    u16(&p, 50);
    raw(&p, "xyz", 3);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 1);
    assert_ev(&c, 0, CW_EV_SMS_MO, "1", "2", 0, "abc");
    assert_int_equal(st.anomalies[CW_DA_SMPP_BAD_TLV], 1);
    assert_int_equal(anomalies(&st), 1);
    /* 1..3 bytes after the last TLV */
    for (size_t extra = 1; extra <= 3; extra++) {
        sm_pdu(&p, 4, 0, "1", 0, "2", 0, 0, "abc", 3);
        raw(&p, "\x04\x24\x00", extra);
        fin(&p);
        decode_ok(p.b, p.n, &c, &st);
        assert_int_equal(c.n, 1);
        assert_int_equal(st.anomalies[CW_DA_SMPP_BAD_TLV], 1);
    }
    /* data_sm cut before data_coding */
    hdr(&p, 0x103, 1);
    cs(&p, "");
    u8(&p, 0);
    u8(&p, 0);
    cs(&p, "1");
    u8(&p, 0);
    u8(&p, 0);
    cs(&p, "2");
    u8(&p, 0);
    fin(&p);
    decode_ok(p.b, p.n, &c, &st);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.anomalies[CW_DA_SMPP_TRUNCATED_BODY], 1);
    assert_int_equal(anomalies(&st), 1);
}

/* Every valid PDU cut at every length in an exactly-sized buffer: a stream waits for exactly
 * the rest, a datagram is an error, nothing is emitted or counted as a message. */
static void test_truncation_every_length(void **state)
{
    (void)state;
    struct pdu pdus[8];
    int np = 0;
    pdu_corpus_submit(&pdus[np++]);
    pdu_deliver_zh(&pdus[np++]);
    pdu_data_sm(&pdus[np++]);
    pdu_multi(&pdus[np++]);
    pdu_bind(&pdus[np++], 2);
    simple_pdu(&pdus[np++], 0x80000015u);
    sm_pdu(&pdus[np], 4, 0, "1", 0, "2", 0x40, 0, "\x05\x00\x03\x2a\x02\x01Hi", 8);
    tlv(&pdus[np], 0x020C, "\x00\x07", 2);
    fin(&pdus[np++]);
    for (int i = 0; i < np; i++) {
        const struct pdu *p = &pdus[i];
        for (size_t len = 0; len < p->n; len++) {
            struct cap c;
            struct cw_decode_stats st;
            size_t consumed = 99999, needed = 99999;
            memset(&c, 0, sizeof c);
            memset(&st, 0, sizeof st);
            assert_int_equal(run(p->b, len, &STREAM, &c, &st, &consumed, &needed),
                             len == 0 ? CW_PARSE_OK : CW_PARSE_INCOMPLETE);
            assert_int_equal(consumed, 0);
            if (len)
                assert_int_equal(needed, len < 4 ? 16 - len : p->n - len);
            assert_int_equal(c.n, 0);
            assert_int_equal(st.messages[CW_PROTO_SMPP], 0);
            assert_int_equal(anomalies(&st), 0);
            if (len) {
                assert_int_equal(run(p->b, len, &DGRAM, &c, &st, &consumed, &needed),
                                 CW_PARSE_ERROR);
                assert_int_equal(c.n, 0);
            }
        }
    }
}

static void test_null_arguments(void **state)
{
    (void)state;
    struct pdu p;
    pdu_corpus_submit(&p);
    /* no sink, no stats, no meta, no out-parameters: decoded all the same */
    assert_int_equal(cw_smpp_decode(cw_slice_make(p.b, p.n), NULL, NULL, NULL, NULL, NULL),
                     CW_PARSE_OK);
    assert_int_equal(cw_smpp_decode(cw_slice_make(NULL, 5), &STREAM, NULL, NULL, NULL, NULL),
                     CW_PARSE_OK);
    struct cap c;
    memset(&c, 0, sizeof c);
    struct cw_event_sink sink = {on_event, &c, NULL};
    assert_int_equal(cw_smpp_decode(cw_slice_make(p.b, p.n), NULL, &sink, NULL, NULL, NULL),
                     CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ev[0].frame, 0);
}

/* The bind's system_id goes into the flow's account and into the events after it; a long one
 * is cut, a broken bind changes nothing, and without an account buffer nothing is kept. */
static struct cap *clear(struct cap *c, struct cw_decode_stats *st)
{
    memset(c, 0, sizeof *c);
    memset(st, 0, sizeof *st);
    return c;
}

static void test_bind_account(void **state)
{
    (void)state;
    char account[CW_ACCOUNT_MAX] = "";
    struct cw_pkt_meta meta = STREAM;
    meta.account = account;
    struct pdu p;
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
    pdu_bind(&p, 9); /* bind_transceiver, system_id "abhik" */
    assert_int_equal(run(p.b, p.n, &meta, clear(&c, &st), &st, &consumed, &needed), CW_PARSE_OK);
    assert_int_equal(c.n, 0);
    assert_string_equal(account, "abhik");
    pdu_corpus_submit(&p);
    assert_int_equal(run(p.b, p.n, &meta, clear(&c, &st), &st, &consumed, &needed), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].account, "abhik");
    /* a system_id past SMPP's 16 octets: counted, and cut to 15 characters */
    hdr(&p, 2, 2);
    cs(&p, "AVERYLONGACCOUNTNAME");
    cs(&p, "");
    cs(&p, "");
    u8(&p, 0x34), u8(&p, 0), u8(&p, 0);
    cs(&p, "");
    fin(&p);
    assert_int_equal(run(p.b, p.n, &meta, clear(&c, &st), &st, &consumed, &needed), CW_PARSE_OK);
    assert_int_equal(st.anomalies[CW_DA_SMPP_STRING_TOO_LONG], 1);
    assert_string_equal(account, "AVERYLONGACCOUN");
    /* a bind whose system_id is not terminated: the account stays */
    hdr(&p, 2, 3);
    raw(&p, "NOEND", 5);
    fin(&p);
    run(p.b, p.n, &meta, clear(&c, &st), &st, &consumed, &needed);
    assert_string_equal(account, "AVERYLONGACCOUN");
    /* without an account buffer: no account in the events */
    pdu_corpus_submit(&p);
    assert_int_equal(run(p.b, p.n, &STREAM, clear(&c, &st), &st, &consumed, &needed), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].account, "");
}

/* ---- the shared corpus (skipped when absent) ---- */

static void test_corpus(void **state)
{
    (void)state;
    if (!corpus_present())
        return;
    struct report rep = {0};
    size_t n = 0;
    struct corpus_ev *ev =
        corpus_decode(CW_CORPUS_DIR "/smpp-bind-submit-sm-unbind.pcap", &n, &rep);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].proto, "smpp");
    assert_string_equal(ev[0].kind, "sms_mo");
    assert_string_equal(ev[0].calling, "100");
    assert_string_equal(ev[0].called, "1234567890");
    assert_string_equal(ev[0].text, "test");
    assert_int_equal(ev[0].frame, 9);
    /* the ESME's system_id of the bind four frames before, as tshark reads it (frame 4) */
    struct tsv t;
    tsv_read(CW_CORPUS_DIR "/expected/smpp-bind-submit-sm-unbind.pcap.tsv", &t);
    assert_string_equal(tsv_cell(&t, 0, tsv_col(&t, "smpp.command_id")), "0x00000002");
    assert_string_equal(ev[0].account, tsv_cell(&t, 0, tsv_col(&t, "smpp.system_id")));
    tsv_free(&t);
    free(ev);
    /* tshark's heuristic takes two frames here for SMPP; there is none */
    ev = corpus_decode(CW_CORPUS_DIR "/sip-rtp-call-udp.pcap", &n, &rep);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(ev[i].proto, "smpp");
    free(ev);
    free(rep.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_sm),
        cmocka_unit_test(test_bind_account),
        cmocka_unit_test(test_deliver_sm_ucs2_alnum),
        cmocka_unit_test(test_receipts_no_event),
        cmocka_unit_test(test_gsm7_extension_text),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_data_codings),
        cmocka_unit_test(test_message_payload),
        cmocka_unit_test(test_submit_multi),
        cmocka_unit_test(test_concatenated),
        cmocka_unit_test(test_no_event_pdus),
        cmocka_unit_test(test_several_pdus),
        cmocka_unit_test(test_split_every_offset),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_lying_length),
        cmocka_unit_test(test_unterminated_and_overruns),
        cmocka_unit_test(test_truncation_every_length),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
