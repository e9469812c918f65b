/* test_sip.c - the SIP decoder: start lines, headers (compact, folded, quoted display names),
 * identities (P-Asserted-Identity, tel:, separators, alphanumeric users), the device's cell
 * (P-Access-Network-Info) and IMEI (Contact +sip.instance), CANCEL, framing by Content-Length
 * on streams and datagrams, and hostile input truncated at every length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/sip.h"
#include "testutil.h"
#include "util/json_out.h"

#define CRLF "\r\n"
#define MAX_EV 8

/* What the sink saw; the text is copied because the event slice dies with the callback. */
struct cap {
    int n;
    struct cw_event ev[MAX_EV];
    char text[MAX_EV][256];
    size_t text_len[MAX_EV];
};

static void on_event(void *user, const struct cw_event *ev)
{
    struct cap *c = user;
    if (c->n < MAX_EV) {
        c->ev[c->n] = *ev;
        c->text_len[c->n] = ev->text.len;
        if (ev->text.len < sizeof c->text[0])
            memcpy(c->text[c->n], ev->text.p ? (const char *)ev->text.p : "", ev->text.len);
        c->ev[c->n].text.p = NULL;
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
    int rc = cw_sip_decode(cw_slice_make(buf, len), meta, &sink, st, consumed, needed);
    free(buf);
    return rc;
}

/* Decode one datagram expected to be a whole message: status OK, all bytes consumed. */
static void dgram_ok(const char *msg, size_t len, struct cap *c, struct cw_decode_stats *st)
{
    size_t consumed = 99999, needed = 99999;
    assert_int_equal(run(msg, len, &DGRAM, c, st, &consumed, &needed), CW_PARSE_OK);
    assert_int_equal(consumed, len);
}

static uint64_t anomalies(const struct cw_decode_stats *st)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < CW_DA__COUNT; i++)
        n += st->anomalies[i];
    return n;
}

static int parse(const char *msg, size_t len, int is_stream, struct cw_sip_msg *m, size_t *consumed,
                 size_t *needed, struct cw_decode_stats *st)
{
    return cw_sip_parse((const uint8_t *)msg, len, is_stream, m, consumed, needed, st);
}

static void assert_slice(struct cw_slice s, const char *want)
{
    char buf[512];
    assert_true(s.len < sizeof buf);
    memcpy(buf, s.p ? (const char *)s.p : "", s.len);
    buf[s.len] = 0;
    assert_string_equal(buf, want);
}

static const char INVITE_FULL[] =
    "INVITE sip:+86-138-0000-0000@ims.example.net;user=phone SIP/2.0" CRLF
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds" CRLF "Max-Forwards: 70" CRLF
    "To: \"Bob\" <sip:+8613800000000@ims.example.net;user=phone>" CRLF
    "From: \"Alice Li\" <sip:+8613900000001@ims.example.net;user=phone>;tag=1928301774" CRLF
    "Call-ID: a84b4c76e66710@pc33.example.net" CRLF "CSeq: 314159 INVITE" CRLF
    "Contact: <sip:alice@10.0.0.1:5060>" CRLF "Content-Type: application/sdp" CRLF
    "Content-Length: 10" CRLF CRLF "v=0" CRLF "o=x" CRLF;

static void test_invite_full(void **state)
{
    (void)state;
    struct cw_sip_msg m;
    struct cw_decode_stats st;
    size_t consumed, needed;
    size_t n = sizeof INVITE_FULL - 1;
    memset(&st, 0, sizeof st);
    assert_int_equal(parse(INVITE_FULL, n, 1, &m, &consumed, &needed, &st), CW_PARSE_OK);
    assert_int_equal(consumed, n);
    assert_int_equal(m.is_request, 1);
    assert_int_equal(m.status, 0);
    assert_slice(m.method, "INVITE");
    assert_slice(m.request_uri, "sip:+86-138-0000-0000@ims.example.net;user=phone");
    assert_slice(m.from_uri, "sip:+8613900000001@ims.example.net;user=phone");
    assert_slice(m.to_uri, "sip:+8613800000000@ims.example.net;user=phone");
    assert_int_equal(m.pai_uri.len, 0);
    assert_slice(m.call_id, "a84b4c76e66710@pc33.example.net");
    assert_slice(m.cseq_method, "INVITE");
    assert_slice(m.content_type, "application/sdp");
    assert_int_equal(m.has_content_length, 1);
    assert_int_equal(m.content_length, 10);
    assert_slice(m.body, "v=0\r\no=x\r\n");
    assert_int_equal(anomalies(&st), 0);

    struct cap c;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(INVITE_FULL, n, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ev[0].kind, CW_EV_CALL);
    assert_int_equal(c.ev[0].proto, CW_PROTO_SIP);
    assert_string_equal(c.ev[0].calling, "8613900000001");
    assert_string_equal(c.ev[0].called, "8613800000000");
    assert_string_equal(c.ev[0].imsi, "");
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL);
    assert_int_equal(c.ev[0].ts_us, 1767225600123456ull);
    assert_int_equal(c.ev[0].frame, 42);
    assert_int_equal(c.ev[0].file_idx, 3);
    assert_int_equal(c.text_len[0], 0);
    assert_int_equal(st.messages[CW_PROTO_SIP], 1);
    assert_int_equal(anomalies(&st), 0);

    /* Only MESSAGE carries SMS text: a text/plain INVITE body is not one. */
    static const char textinv[] =
        "INVITE sip:8613800000000@h SIP/2.0" CRLF "From: sip:8613900000001;npdi@h;tag=1" CRLF
        "c: text/plain" CRLF "l: 2" CRLF CRLF "hi";
    memset(&c, 0, sizeof c);
    dgram_ok(textinv, sizeof textinv - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ev[0].kind, CW_EV_CALL);
    assert_int_equal(c.text_len[0], 0);
    assert_string_equal(c.ev[0].calling, "8613900000001");
    assert_int_equal(parse(textinv, sizeof textinv - 1, 0, &m, &consumed, &needed, &st),
                     CW_PARSE_OK);
    assert_slice(m.from_uri, "sip:8613900000001;npdi@h"); /* user params kept, tag cut */
}

/* "你好，世界 123" in UTF-8 */
#define ZH_TEXT                                                                                    \
    "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c"                                 \
    " 123"

static const char MESSAGE_ZH[] =
    "MESSAGE sip:+8613800000000@sms.example.net SIP/2.0" CRLF
    "Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKm1" CRLF
    "From: <sip:+8613900000001@sms.example.net>;tag=49583" CRLF
    "To: <sip:+8613800000000@sms.example.net>" CRLF "Call-ID: m1@10.0.0.1" CRLF
    "CSeq: 1 MESSAGE" CRLF "Content-Type: text/plain;charset=UTF-8" CRLF
    "Content-Length: 19" CRLF CRLF ZH_TEXT;

static void test_message_utf8_text(void **state)
{
    (void)state;
    struct cap c;
    struct cw_decode_stats st;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(MESSAGE_ZH, sizeof MESSAGE_ZH - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ev[0].kind, CW_EV_SMS_MO);
    assert_string_equal(c.ev[0].calling, "8613900000001");
    assert_string_equal(c.ev[0].called, "8613800000000");
    assert_int_equal(c.text_len[0], 19);
    assert_memory_equal(c.text[0], ZH_TEXT, 19);
    assert_int_equal(anomalies(&st), 0);

    /* The same on a stream, where Content-Length frames it. */
    size_t consumed, needed;
    memset(&c, 0, sizeof c);
    assert_int_equal(run(MESSAGE_ZH, sizeof MESSAGE_ZH - 1, &STREAM, &c, &st, &consumed, &needed),
                     CW_PARSE_OK);
    assert_int_equal(consumed, sizeof MESSAGE_ZH - 1);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ev[0].frame, 7);
    assert_int_equal(c.text_len[0], 19);
    assert_memory_equal(c.text[0], ZH_TEXT, 19);

    /* SMS over IP (TS 24.341): RP-DATA with an SMS-SUBMIT; the recipient is the TPDU's TP-DA
     * (122), not the SMS centre of the Request-URI (7); GSM 7-bit text "test". */
    static const char sms3gpp[] =
        "MESSAGE tel:+7 SIP/2.0" CRLF "f: <tel:+88270006>;tag=1" CRLF "t: <tel:+7>" CRLF
        "c: application/vnd.3gpp.sms" CRLF "l: 20" CRLF CRLF
        "\x00\x02\x00\x02\x91\xf7\x0d\x01\x00\x03\x81\x21\xf2"
        "\x00\x00\x04\xf4\xf2\x9c\x0e";
    memset(&c, 0, sizeof c);
    dgram_ok(sms3gpp, sizeof sms3gpp - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ev[0].kind, CW_EV_SMS_MO);
    assert_string_equal(c.ev[0].calling, "88270006");
    assert_string_equal(c.ev[0].called, "122");
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL);
    assert_int_equal(c.text_len[0], 4);
    assert_memory_equal(c.text[0], "test", 4);
    assert_int_equal(anomalies(&st), 0);

    /* A body that is not RP-DATA: counted; the event keeps what SIP says, without text. */
    static const char badsms[] =
        "MESSAGE tel:+7 SIP/2.0" CRLF "f: <tel:+88270006>;tag=1" CRLF "t: <tel:+7>" CRLF
        "c: application/vnd.3gpp.sms" CRLF "l: 3" CRLF CRLF "\x01\x02\x03";
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(badsms, sizeof badsms - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].called, "7");
    assert_int_equal(c.text_len[0], 0);
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_SMS_PDU], 1);
    memset(&st, 0, sizeof st);

    /* RP-ACK (a delivery report, MTI 2): no message, no event */
    static const char rpack[] =
        "MESSAGE tel:+7 SIP/2.0" CRLF "f: <tel:+88270006>;tag=1" CRLF "t: <tel:+7>" CRLF
        "c: application/vnd.3gpp.sms" CRLF "l: 2" CRLF CRLF "\x02\x05";
    memset(&c, 0, sizeof c);
    dgram_ok(rpack, sizeof rpack - 1, &c, &st);
    assert_int_equal(c.n, 0);

    static const char empty[] = "MESSAGE sip:8613800000000@h SIP/2.0" CRLF
                                "From: <sip:8613900000001@h>" CRLF "To: <sip:8613800000000@h>" CRLF
                                "Content-Type: TEXT/PLAIN" CRLF "Content-Length: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    dgram_ok(empty, sizeof empty - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.text_len[0], 0);
    assert_int_equal(anomalies(&st), 0);
}

static void test_pai_overrides_from(void **state)
{
    (void)state;
    struct cap c;
    struct cw_decode_stats st;
    struct cw_sip_msg m;
    size_t consumed, needed;
    memset(&st, 0, sizeof st);

    /* Two identities in one header: the tel: one is preferred although it comes second. */
    static const char two[] =
        "INVITE sip:bob@example.net SIP/2.0" CRLF
        "From: \"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=9" CRLF
        "To: <sip:+8613800000000@example.net>" CRLF
        "P-Asserted-Identity: \"Li, Alice\" <sip:+8613900000001@ims.example.net>, "
        "<tel:+86-139-0000-0002>" CRLF "Content-Length: 0" CRLF CRLF;
    assert_int_equal(parse(two, sizeof two - 1, 0, &m, &consumed, &needed, &st), CW_PARSE_OK);
    assert_slice(m.pai_uri, "tel:+86-139-0000-0002");
    memset(&c, 0, sizeof c);
    dgram_ok(two, sizeof two - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "8613900000002");
    assert_string_equal(c.ev[0].called, "8613800000000"); /* R-URI is not a number: To */
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL);

    /* Several headers, no tel: one: the first identity. */
    static const char sev[] = "MESSAGE sip:+8613800000000@example.net SIP/2.0" CRLF
                              "From: <sip:+8613911111111@example.net>;tag=9" CRLF
                              "To: <sip:+8613800000000@example.net>" CRLF
                              "P-Asserted-Identity: <sip:+8613922222222@ims.example.net>" CRLF
                              "P-Asserted-Identity: <sip:+8613933333333@ims.example.net>" CRLF
                              "Content-Length: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    dgram_ok(sev, sizeof sev - 1, &c, &st);
    assert_string_equal(c.ev[0].calling, "8613922222222");

    /* A tel: identity in a later header still wins. */
    static const char later[] =
        "INVITE sip:+8613800000000@example.net SIP/2.0" CRLF
        "From: <sip:+8613911111111@example.net>;tag=9" CRLF
        "P-Asserted-Identity: <sip:+8613922222222@ims.example.net>" CRLF
        "P-Asserted-Identity: tel:+8613944444444" CRLF "Content-Length: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    dgram_ok(later, sizeof later - 1, &c, &st);
    assert_string_equal(c.ev[0].calling, "8613944444444");

    /* An asserted identity that is not a number does not replace a numeric From. */
    static const char alpha[] =
        "INVITE sip:+8613800000000@example.net SIP/2.0" CRLF
        "From: <sip:+8613911111111@example.net>;tag=9" CRLF
        "P-Asserted-Identity: <sip:alice@ims.example.net>" CRLF "Content-Length: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    dgram_ok(alpha, sizeof alpha - 1, &c, &st);
    assert_string_equal(c.ev[0].calling, "8613911111111");
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL);
    assert_int_equal(anomalies(&st), 0);
}

static void test_tel_uris(void **state)
{
    (void)state;
    static const char msg[] = "INVITE tel:+86-138-0000-0000;phone-context=+86 SIP/2.0" CRLF
                              "From: <tel:+86-139-0000-0001;isub=1>;tag=a" CRLF
                              "To: tel:+86-138-0000-0000;tag=b" CRLF "Content-Length: 0" CRLF CRLF;
    struct cap c;
    struct cw_decode_stats st;
    struct cw_sip_msg m;
    size_t consumed, needed;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    assert_int_equal(parse(msg, sizeof msg - 1, 0, &m, &consumed, &needed, &st), CW_PARSE_OK);
    assert_slice(m.request_uri, "tel:+86-138-0000-0000;phone-context=+86");
    assert_slice(m.from_uri, "tel:+86-139-0000-0001;isub=1");
    assert_slice(m.to_uri, "tel:+86-138-0000-0000"); /* addr-spec: ";tag" is not the URI's */
    dgram_ok(msg, sizeof msg - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "8613900000001");
    assert_string_equal(c.ev[0].called, "8613800000000");
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL);
    assert_int_equal(anomalies(&st), 0);
}

static void test_plus86_and_separators(void **state)
{
    (void)state;
    static const char msg[] =
        "INVITE sip:+86(138)0000.0000@example.net;user=phone SIP/2.0" CRLF
        "From: \"x\" <sip:+86-139-0000-0001;npdi;rn=+8613999@example.net>;tag=a" CRLF
        "To: <sip:+86-138-0000-0000@example.net>" CRLF "Content-Length: 0" CRLF CRLF;
    struct cap c;
    struct cw_decode_stats st;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(msg, sizeof msg - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "8613900000001");
    assert_string_equal(c.ev[0].called, "8613800000000");
    /* written with '+': the digits carry their country code */
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL);

    /* national numbers (and an escaped '+', %2B) */
    static const char nat[] =
        "MESSAGE sip:13800000000@example.net SIP/2.0" CRLF
        "From: <sip:%2B12025550142@example.net>;tag=a" CRLF "To: <sip:13800000000@example.net>" CRLF
        "Content-Length: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    dgram_ok(nat, sizeof nat - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "12025550142");
    assert_string_equal(c.ev[0].called, "13800000000");
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_INTL);
}

/* Compact names, folding, a display name with backslash-escaped quotes, LWS around ':'. */
static const char COMPACT[] =
    "INVITE sip:97239287044@voip.example.net SIP/2.0" CRLF
    "v: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bK1" CRLF
    "f: \"Ja \\\"the <best>\\\" ne\" <sip:816666@voip.example.net>;tag=7" CRLF "t :" CRLF
    "   <sip:97239287044@voip.example.net>" CRLF "i: 105090259-446faf7a@192.168.1.2" CRLF
    "m: <sip:816666@192.168.1.2:5060>" CRLF "CSEQ: 2 INVITE" CRLF
    "c: application/sdp ; charset=x" CRLF "l:" CRLF "\t4" CRLF CRLF "abcd";

static void test_compact_and_folded_headers(void **state)
{
    (void)state;
    struct cw_sip_msg m;
    struct cw_decode_stats st;
    size_t consumed, needed;
    memset(&st, 0, sizeof st);
    size_t n = sizeof COMPACT - 1;
    assert_int_equal(parse(COMPACT, n, 1, &m, &consumed, &needed, &st), CW_PARSE_OK);
    assert_int_equal(consumed, n);
    assert_slice(m.from_uri, "sip:816666@voip.example.net");
    assert_slice(m.to_uri, "sip:97239287044@voip.example.net");
    assert_slice(m.call_id, "105090259-446faf7a@192.168.1.2");
    assert_slice(m.cseq_method, "INVITE");
    assert_slice(m.content_type, "application/sdp");
    assert_int_equal(m.content_length, 4);
    assert_slice(m.body, "abcd");
    assert_int_equal(anomalies(&st), 0);

    struct cap c;
    memset(&c, 0, sizeof c);
    dgram_ok(COMPACT, n, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "816666");
    assert_string_equal(c.ev[0].called, "97239287044");

    /* Quotes escaped outside a quoted-string, as one real phone sends its From (the corpus
     * capture sip-compact-headers-invite.pcap): the URI in <> is what tshark reads too. */
    static const char quirk[] = "INVITE sip:97239287044@voip.example.net SIP/2.0" CRLF
                                "f: \\\"arik\\\" <sip:816666@voip.example.net>;tag=6433ef9" CRLF
                                "t: <sip:97239287044@voip.example.net>" CRLF "l: 0" CRLF CRLF;
    memset(&st, 0, sizeof st);
    assert_int_equal(parse(quirk, sizeof quirk - 1, 0, &m, &consumed, &needed, &st), CW_PARSE_OK);
    assert_slice(m.from_uri, "sip:816666@voip.example.net");
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_HEADER], 1);
    memset(&c, 0, sizeof c);
    dgram_ok(quirk, sizeof quirk - 1, &c, &st);
    assert_string_equal(c.ev[0].calling, "816666");
    memset(&st, 0, sizeof st);

    /* The same message with bare LF line ends. */
    char lf[sizeof COMPACT];
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (COMPACT[i] != '\r')
            lf[k++] = COMPACT[i];
    assert_int_equal(parse(lf, k, 1, &m, &consumed, &needed, &st), CW_PARSE_OK);
    assert_int_equal(consumed, k);
    assert_slice(m.from_uri, "sip:816666@voip.example.net");
    assert_slice(m.to_uri, "sip:97239287044@voip.example.net");
    assert_slice(m.body, "abcd");
    assert_int_equal(anomalies(&st), 0);
}

static void test_alnum_users_flagged(void **state)
{
    (void)state;
    static const char msg[] = "INVITE sip:voi18063@example.net SIP/2.0" CRLF
                              "From: Alice <sip:alice@example.net>;tag=1" CRLF
                              "To: <sip:voi18063@example.net>" CRLF "Content-Length: 0" CRLF CRLF;
    struct cap c;
    struct cw_decode_stats st;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(msg, sizeof msg - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "alice");
    assert_string_equal(c.ev[0].called, "voi18063");
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_ALNUM | CW_EVF_CALLED_ALNUM);

    /* An alphanumeric sender name longer than the field is cut, NUL-terminated. */
    static const char longname[] =
        "MESSAGE sip:8613800000000@example.net SIP/2.0" CRLF
        "From: <sip:ThisIsAVeryLongAlphanumericSenderName@example.net>" CRLF
        "Content-Length: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    dgram_ok(longname, sizeof longname - 1, &c, &st);
    assert_string_equal(c.ev[0].calling, "ThisIsAVeryLongAlphanumericSend");
    assert_int_equal(strlen(c.ev[0].calling), CW_NUM_MAX - 1);
    assert_int_equal(c.ev[0].flags, CW_EVF_CALLING_ALNUM);
    assert_string_equal(c.ev[0].called, "8613800000000");
    assert_int_equal(anomalies(&st), 0);
}

static void test_responses_no_event(void **state)
{
    (void)state;
    static const char msg[] =
        "SIP/2.0 200 OK" CRLF "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1" CRLF
        "From: <sip:+8613900000001@example.net>;tag=1" CRLF
        "To: <sip:+8613800000000@example.net>;tag=2" CRLF "CSeq: 1 INVITE" CRLF
        "Content-Length: 0" CRLF CRLF;
    struct cap c;
    struct cw_decode_stats st;
    struct cw_sip_msg m;
    size_t consumed, needed;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    assert_int_equal(parse(msg, sizeof msg - 1, 0, &m, &consumed, &needed, &st), CW_PARSE_OK);
    assert_int_equal(m.is_request, 0);
    assert_int_equal(m.status, 200);
    assert_int_equal(m.method.len, 0);
    assert_slice(m.cseq_method, "INVITE");
    dgram_ok(msg, sizeof msg - 1, &c, &st);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.messages[CW_PROTO_SIP], 1);

    /* No reason phrase is still a response; other methods give no event either. */
    static const char bare[] = "SIP/2.0 183" CRLF "Content-Length: 0" CRLF CRLF;
    assert_int_equal(parse(bare, sizeof bare - 1, 0, &m, &consumed, &needed, &st), CW_PARSE_OK);
    assert_int_equal(m.status, 183);
    static const char bye[] = "BYE sip:8613800000000@h SIP/2.0" CRLF
                              "From: <sip:8613900000001@h>" CRLF "Content-Length: 0" CRLF CRLF;
    dgram_ok(bye, sizeof bye - 1, &c, &st);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.messages[CW_PROTO_SIP], 2);

    /* Status codes outside 100..699 are not SIP. */
    static const char bad[] = "SIP/2.0 099 Odd" CRLF CRLF;
    assert_int_equal(parse(bad, sizeof bad - 1, 0, &m, &consumed, &needed, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_START_LINE], 1);
}

static void test_register(void **state)
{
    (void)state;
    static const char reg[] = "REGISTER sip:ims.example.net SIP/2.0" CRLF
                              "From: <sip:+8613800000000@ims.example.net>;tag=1" CRLF
                              "To: <sip:+8613800000000@ims.example.net>" CRLF "Call-ID: r1" CRLF
                              "CSeq: 1 REGISTER" CRLF "Content-Length: 0" CRLF CRLF;
    struct cap c;
    struct cw_decode_stats st;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(reg, sizeof reg - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ev[0].kind, CW_EV_REGISTER);
    assert_string_equal(c.ev[0].calling, "8613800000000");
    assert_string_equal(c.ev[0].called, "");
    assert_string_equal(c.ev[0].imsi, "");

    /* IMS: the Request-URI is an IMSI-derived identity, the public identity a tel: URI. */
    static const char ims[] =
        "REGISTER sip:310410010001002@ims.mnc410.mcc310.3gppnetwork.org SIP/2.0" CRLF
        "From: <tel:263734>;tag=1" CRLF "To: <tel:263734>" CRLF "Content-Length: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    dgram_ok(ims, sizeof ims - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].imsi, "310410010001002");
    assert_string_equal(c.ev[0].calling, "263734");

    /* Temporary public identity (IMSI in To/From, two-digit MNC padded with 0): an IMSI,
     * not a number. */
    static const char tmp[] =
        "REGISTER sip:ims.mnc001.mcc460.3gppnetwork.org SIP/2.0" CRLF
        "From: <sip:460011234567890@ims.mnc001.mcc460.3gppnetwork.org>;tag=1" CRLF
        "To: <sip:460011234567890@ims.mnc001.mcc460.3gppnetwork.org>" CRLF
        "Content-Length: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    dgram_ok(tmp, sizeof tmp - 1, &c, &st);
    assert_string_equal(c.ev[0].imsi, "460011234567890");
    assert_string_equal(c.ev[0].calling, "");

    /* An IMSI whose MCC does not match the domain is just a number. */
    static const char mismatch[] =
        "REGISTER sip:ims.mnc001.mcc460.3gppnetwork.org SIP/2.0" CRLF
        "To: <sip:310410010001002@ims.mnc001.mcc460.3gppnetwork.org>" CRLF
        "Content-Length: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    dgram_ok(mismatch, sizeof mismatch - 1, &c, &st);
    assert_string_equal(c.ev[0].imsi, "");
    assert_string_equal(c.ev[0].calling, "310410010001002");
    assert_int_equal(anomalies(&st), 0);
}

static void test_two_messages_one_stream_slice(void **state)
{
    (void)state;
    char buf[2048];
    size_t a = sizeof MESSAGE_ZH - 1, b = sizeof INVITE_FULL - 1;
    memcpy(buf, MESSAGE_ZH, a);
    memcpy(buf + a, CRLF CRLF, 4); /* a keep-alive between them */
    memcpy(buf + a + 4, INVITE_FULL, b);
    size_t n = a + 4 + b;
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    assert_int_equal(run(buf, n, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_OK);
    assert_int_equal(consumed, n);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.ev[0].kind, CW_EV_SMS_MO);
    assert_int_equal(c.ev[1].kind, CW_EV_CALL);
    assert_int_equal(c.text_len[0], 19);
    assert_int_equal(st.messages[CW_PROTO_SIP], 2);

    /* Two whole messages and the start of a third: consumed stops after the second. */
    memcpy(buf + n, INVITE_FULL, 30);
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    assert_int_equal(run(buf, n + 30, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_INCOMPLETE);
    assert_int_equal(consumed, n);
    assert_true(needed >= 1 && needed <= b - 30);
    assert_int_equal(c.n, 2);
    assert_int_equal(anomalies(&st), 0);

    /* Without Content-Length a stream message has no body (RFC 3261 18.3). */
    static const char nocl[] = "OPTIONS sip:h SIP/2.0" CRLF "From: <sip:1@h>" CRLF CRLF
                               "SIP/2.0 200 OK" CRLF "l: 0" CRLF CRLF;
    memset(&st, 0, sizeof st);
    assert_int_equal(run(nocl, sizeof nocl - 1, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_OK);
    assert_int_equal(consumed, sizeof nocl - 1);
    assert_int_equal(st.messages[CW_PROTO_SIP], 2);
}

static void test_stream_split_every_offset(void **state)
{
    (void)state;
    const char *msg = MESSAGE_ZH;
    size_t n = sizeof MESSAGE_ZH - 1;
    size_t hlen = (size_t)(strstr(msg, CRLF CRLF) - msg) + 4;
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    for (size_t k = 0; k < n; k++) {
        struct cap c;
        size_t consumed = 12345, needed = 12345;
        memset(&c, 0, sizeof c);
        int rc = run(msg, k, &STREAM, &c, &st, &consumed, &needed);
        assert_int_equal(c.n, 0);
        assert_int_equal(consumed, 0);
        if (k == 0) {
            assert_int_equal(rc, CW_PARSE_OK); /* nothing to parse yet */
            continue;
        }
        assert_int_equal(rc, CW_PARSE_INCOMPLETE);
        assert_true(needed >= 1);
        assert_true(k + needed <= n); /* never asks for more than the message */
        if (k >= hlen)
            assert_int_equal(k + needed, n); /* in the body: exactly what is missing */
    }
    assert_int_equal(anomalies(&st), 0); /* partial parses count nothing */
    assert_int_equal(st.messages[CW_PROTO_SIP], 0);
    struct cap c;
    size_t consumed, needed;
    memset(&c, 0, sizeof c);
    assert_int_equal(run(msg, n, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_OK);
    assert_int_equal(consumed, n);
    assert_int_equal(c.n, 1);
    assert_memory_equal(c.text[0], ZH_TEXT, 19);
    assert_int_equal(st.messages[CW_PROTO_SIP], 1);

    /* A message with a bad header line, fed growing: its anomaly is counted once, when the
     * message is complete, not at every partial parse. */
    static const char bad[] = "MESSAGE sip:1@h SIP/2.0" CRLF "no colon here" CRLF
                              "f: <sip:2@h>" CRLF "l: 4" CRLF CRLF "abcd";
    memset(&st, 0, sizeof st);
    for (size_t k = 1; k < sizeof bad - 1; k++) {
        assert_int_equal(run(bad, k, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_INCOMPLETE);
    }
    assert_int_equal(anomalies(&st), 0);
    assert_int_equal(run(bad, sizeof bad - 1, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_OK);
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_HEADER], 1);
    assert_int_equal(anomalies(&st), 1);
}

static void check_every_length(const char *msg, size_t n)
{
    for (size_t k = 0; k <= n; k++) {
        for (int s = 0; s < 2; s++) {
            struct cap c;
            struct cw_decode_stats st;
            size_t consumed = 12345, needed = 0;
            memset(&c, 0, sizeof c);
            memset(&st, 0, sizeof st);
            int rc = run(msg, k, s ? &STREAM : &DGRAM, &c, &st, &consumed, &needed);
            assert_true(consumed <= k);
            assert_true(c.n <= 1);
            if (rc == CW_PARSE_INCOMPLETE) {
                assert_int_equal(s, 1); /* a datagram is never waited for */
                assert_true(needed >= 1);
                assert_int_equal(c.n, 0);
            } else if (rc == CW_PARSE_OK) {
                assert_true(s == 0 || k == 0 || k == n);
                assert_int_equal(consumed, k);
            } else {
                assert_int_equal(rc, CW_PARSE_ERROR);
                assert_int_equal(c.n, 0);
                assert_true(anomalies(&st) >= 1);
            }
            if (k == n) {
                assert_int_equal(rc, CW_PARSE_OK);
            }
        }
    }
}

static void test_truncated_at_every_length(void **state)
{
    (void)state;
    check_every_length(INVITE_FULL, sizeof INVITE_FULL - 1);
    check_every_length(MESSAGE_ZH, sizeof MESSAGE_ZH - 1);
    check_every_length(COMPACT, sizeof COMPACT - 1);
    static const char resp[] = "SIP/2.0 180 Ringing" CRLF "t: <tel:+1>" CRLF "l: 0" CRLF CRLF;
    check_every_length(resp, sizeof resp - 1);

    /* A datagram cut inside the headers is never turned into an event with a cut number. */
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
    const char *cut = strstr(INVITE_FULL, "+86139000");
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    assert_int_equal(
        run(INVITE_FULL, (size_t)(cut - INVITE_FULL) + 9, &DGRAM, &c, &st, &consumed, &needed),
        CW_PARSE_ERROR);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.anomalies[CW_DA_SIP_TRUNCATED_HEADERS], 1);
}

static void test_lying_content_length(void **state)
{
    (void)state;
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
#define HEAD                                                                                       \
    "MESSAGE sip:8613800000000@h SIP/2.0" CRLF "f: <sip:8613900000001@h>" CRLF "c: "               \
                                                                               "text/plain" CRLF
    /* Too big on a datagram: counted, body cut to what is there, event still emitted. */
    static const char big[] = HEAD "l: 100" CRLF CRLF "hello";
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(big, sizeof big - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.text_len[0], 5);
    assert_memory_equal(c.text[0], "hello", 5);
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_CONTENT_LENGTH], 1);
    assert_int_equal(st.anomalies[CW_DA_SIP_TRUNCATED_BODY], 1);

    /* Too big on a stream: wait for the rest. */
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    assert_int_equal(run(big, sizeof big - 1, &STREAM, &c, &st, &consumed, &needed),
                     CW_PARSE_INCOMPLETE);
    assert_int_equal(consumed, 0);
    assert_int_equal(needed, 95);
    assert_int_equal(c.n, 0);
    assert_int_equal(anomalies(&st), 0);

    /* Smaller on a datagram: the body is Content-Length bytes, the rest is dropped. */
    static const char small[] = HEAD "l: 2" CRLF CRLF "hello";
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(small, sizeof small - 1, &c, &st);
    assert_int_equal(c.text_len[0], 2);
    assert_memory_equal(c.text[0], "he", 2);
    assert_int_equal(anomalies(&st), 0);

    /* Absent on a datagram: the rest of the datagram. */
    static const char absent[] = HEAD CRLF "hello";
    memset(&c, 0, sizeof c);
    dgram_ok(absent, sizeof absent - 1, &c, &st);
    assert_int_equal(c.text_len[0], 5);

    /* Not a number, negative, huge: counted; a stream cannot be framed (ERROR), a datagram
     * keeps the rest of the datagram as body. */
    static const char *const bad[] = {
        HEAD "l: abc" CRLF CRLF "hello", HEAD "l: -5" CRLF CRLF "hello",
        HEAD "l: 99999999999999999999999" CRLF CRLF "hello", HEAD "l: 65536" CRLF CRLF "hello",
        HEAD "l: 5" CRLF "Content-Length: 4" CRLF CRLF "hello"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i]);
        memset(&c, 0, sizeof c);
        memset(&st, 0, sizeof st);
        assert_int_equal(run(bad[i], n, &STREAM, &c, &st, &consumed, &needed), CW_PARSE_ERROR);
        assert_int_equal(consumed, 0);
        assert_int_equal(c.n, 0);
        assert_int_equal(st.anomalies[CW_DA_SIP_BAD_CONTENT_LENGTH], 1);
        assert_int_equal(st.messages[CW_PROTO_SIP], 0);
        memset(&st, 0, sizeof st);
        dgram_ok(bad[i], n, &c, &st);
        assert_int_equal(c.n, 1);
        assert_int_equal(c.text_len[0], 5);
        assert_int_equal(st.anomalies[CW_DA_SIP_BAD_CONTENT_LENGTH], 1);
    }

    /* Headers plus a Content-Length beyond CW_SIP_MAX_MSG: too large. */
    static const char over[] = HEAD "l: 65500" CRLF CRLF "x";
    memset(&st, 0, sizeof st);
    assert_int_equal(run(over, sizeof over - 1, &STREAM, &c, &st, &consumed, &needed),
                     CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_SIP_TOO_LARGE], 1);
#undef HEAD
}

static void test_missing_header_end(void **state)
{
    (void)state;
    static const char msg[] = "INVITE sip:8613800000000@h SIP/2.0" CRLF
                              "From: <sip:8613900000001@h>" CRLF "To: <sip:8613800000000@h>" CRLF;
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    /* Datagram of whole lines without the empty line: used, and counted. */
    dgram_ok(msg, sizeof msg - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "8613900000001");
    assert_int_equal(st.anomalies[CW_DA_SIP_NO_HEADER_END], 1);
    /* Stream: one more LF (or CR LF) could end the headers. */
    memset(&st, 0, sizeof st);
    assert_int_equal(run(msg, sizeof msg - 1, &STREAM, &c, &st, &consumed, &needed),
                     CW_PARSE_INCOMPLETE);
    assert_int_equal(consumed, 0);
    assert_int_equal(needed, 1);
    assert_int_equal(run(msg, sizeof msg - 2, &STREAM, &c, &st, &consumed, &needed),
                     CW_PARSE_INCOMPLETE);
    assert_int_equal(needed, 2);
    assert_int_equal(anomalies(&st), 0);
}

static void test_binary_junk(void **state)
{
    (void)state;
    uint8_t junk[512];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (uint8_t)(x >> 16);
    }
    junk[0] = 0x8f;
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
    for (int s = 0; s < 2; s++) {
        memset(&c, 0, sizeof c);
        memset(&st, 0, sizeof st);
        assert_int_equal(run(junk, sizeof junk, s ? &STREAM : &DGRAM, &c, &st, &consumed, &needed),
                         CW_PARSE_ERROR);
        assert_int_equal(consumed, 0);
        assert_int_equal(c.n, 0);
        assert_int_equal(st.anomalies[CW_DA_SIP_BAD_START_LINE], 1);
    }
    /* Other text protocols are refused as soon as their first line says so, even on a stream
     * whose headers are not complete yet. */
    static const char http[] = "GET / HTTP/1.1" CRLF "Host: x" CRLF;
    memset(&st, 0, sizeof st);
    assert_int_equal(run(http, sizeof http - 1, &STREAM, &c, &st, &consumed, &needed),
                     CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_START_LINE], 1);
    static const char partial[] = "HTTP/1.1 200";
    assert_int_equal(run(partial, sizeof partial - 1, &STREAM, &c, &st, &consumed, &needed),
                     CW_PARSE_ERROR);
    static const char partial_ok[] = "SIP/2";
    assert_int_equal(run(partial_ok, sizeof partial_ok - 1, &STREAM, &c, &st, &consumed, &needed),
                     CW_PARSE_INCOMPLETE);
    static const char noversion[] = "INVITE sip:a@b" CRLF CRLF;
    assert_int_equal(run(noversion, sizeof noversion - 1, &DGRAM, &c, &st, &consumed, &needed),
                     CW_PARSE_ERROR);
    static const char noscheme[] = "INVITE bob SIP/2.0" CRLF CRLF;
    assert_int_equal(run(noscheme, sizeof noscheme - 1, &DGRAM, &c, &st, &consumed, &needed),
                     CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_START_LINE], 4);
    assert_int_equal(c.n, 0);
}

static void test_nul_bytes(void **state)
{
    (void)state;
    /* A NUL in the From line: that line is dropped (counted), no identity from it. */
    static const char msg[] = "INVITE sip:8613800000000@h SIP/2.0" CRLF "From: <sip:86139\0"
                              "00000001@h>" CRLF "To: <sip:8613800000000@h>" CRLF "l: 0" CRLF CRLF;
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(msg, sizeof msg - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "");
    assert_string_equal(c.ev[0].called, "8613800000000");
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_HEADER], 1);
    assert_int_equal(st.anomalies[CW_DA_SIP_NO_IDENTITY], 1);

    /* Control bytes after the URI (a real PBX puts them in its To tag): the URI is still read,
     * the header counted once. */
    static const char tag[] =
        "INVITE sip:8613800000000@h SIP/2.0" CRLF "From: <sip:8613900000001@h>" CRLF
        "To: sip:20008909@192.168.1.191:5060;tag=5af571e&Sy\x18\x01" CRLF "l: 0" CRLF CRLF;
    struct cw_sip_msg m;
    memset(&st, 0, sizeof st);
    assert_int_equal(parse(tag, sizeof tag - 1, 0, &m, &consumed, &needed, &st), CW_PARSE_OK);
    assert_slice(m.to_uri, "sip:20008909@192.168.1.191:5060");
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_HEADER], 1);
    assert_int_equal(anomalies(&st), 1);

    /* A NUL in the start line: not SIP. */
    static const char sl[] = "INVITE sip:86138\0@h SIP/2.0" CRLF "l: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    assert_int_equal(run(sl, sizeof sl - 1, &DGRAM, &c, &st, &consumed, &needed), CW_PARSE_ERROR);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_START_LINE], 1);

    /* NULs in the body are just body bytes. */
    static const char body[] = "MESSAGE sip:1@h SIP/2.0" CRLF "f: <sip:2@h>" CRLF
                               "c: text/plain" CRLF "l: 3" CRLF CRLF "a\0b";
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(body, sizeof body - 1, &c, &st);
    assert_int_equal(c.text_len[0], 3);
    assert_memory_equal(c.text[0], "a\0b", 3);
    assert_int_equal(anomalies(&st), 0);
}

static void test_long_header_lines(void **state)
{
    (void)state;
    static const char head[] =
        "INVITE sip:8613800000000@h SIP/2.0" CRLF "From: <sip:8613900000001@h>" CRLF "X-Long: ";
    static const char tail[] = CRLF "l: 0" CRLF CRLF;
    size_t cap = CW_SIP_MAX_MSG + 4096;
    char *buf = malloc(cap);
    assert_non_null(buf);
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed, needed;
    for (int big = 0; big < 2; big++) {
        size_t fill = big ? CW_SIP_MAX_MSG : 60000;
        size_t n = 0;
        memcpy(buf, head, sizeof head - 1);
        n = sizeof head - 1;
        memset(buf + n, 'a', fill);
        n += fill;
        memcpy(buf + n, tail, sizeof tail - 1);
        n += sizeof tail - 1;
        for (int s = 0; s < 2; s++) {
            memset(&c, 0, sizeof c);
            memset(&st, 0, sizeof st);
            int rc = run(buf, n, s ? &STREAM : &DGRAM, &c, &st, &consumed, &needed);
            if (big) {
                assert_int_equal(rc, CW_PARSE_ERROR);
                assert_int_equal(st.anomalies[CW_DA_SIP_TOO_LARGE], 1);
                assert_int_equal(c.n, 0);
            } else {
                assert_int_equal(rc, CW_PARSE_OK);
                assert_int_equal(consumed, n);
                assert_int_equal(c.n, 1);
                assert_string_equal(c.ev[0].calling, "8613900000001");
                assert_int_equal(anomalies(&st), 0);
            }
        }
        /* A stream whose headers never end stops waiting at CW_SIP_MAX_MSG. */
        if (big) {
            memset(&st, 0, sizeof st);
            assert_int_equal(run(buf, CW_SIP_MAX_MSG - 1, &STREAM, &c, &st, &consumed, &needed),
                             CW_PARSE_INCOMPLETE);
            assert_int_equal(run(buf, CW_SIP_MAX_MSG, &STREAM, &c, &st, &consumed, &needed),
                             CW_PARSE_ERROR);
            assert_int_equal(st.anomalies[CW_DA_SIP_TOO_LARGE], 1);
        }
    }
    free(buf);
}

static void test_header_without_colon(void **state)
{
    (void)state;
    static const char msg[] =
        "INVITE sip:8613800000000@h SIP/2.0" CRLF "this line has no colon" CRLF
        " and a continuation of it: ignored" CRLF "From: <sip:8613900000001@h>" CRLF
        ": empty name" CRLF "Bad Name: x" CRLF "To: <sip:8613800000000@h>" CRLF "l: 0" CRLF CRLF;
    struct cap c;
    struct cw_decode_stats st;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(msg, sizeof msg - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "8613900000001");
    assert_string_equal(c.ev[0].called, "8613800000000");
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_HEADER], 3);

    /* A continuation line with no header before it. */
    static const char cont[] = "INVITE sip:8613800000000@h SIP/2.0" CRLF " folded: nothing" CRLF
                               "From: <sip:8613900000001@h>" CRLF "l: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(cont, sizeof cont - 1, &c, &st);
    assert_string_equal(c.ev[0].calling, "8613900000001");
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_HEADER], 1);

    /* A From with a malformed display name: the URI in <> is still taken, and counted. */
    static const char from[] = "INVITE sip:8613800000000@h SIP/2.0" CRLF
                               "From: \"unterminated <sip:8613900000001@h>" CRLF "l: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(from, sizeof from - 1, &c, &st);
    assert_string_equal(c.ev[0].calling, "8613900000001");
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_HEADER], 1);
    assert_int_equal(st.anomalies[CW_DA_SIP_NO_IDENTITY], 0);

    /* An unquoted display name with a ':' in it: the URI is still the one in <>. */
    static const char colon[] = "INVITE sip:8613800000000@h SIP/2.0" CRLF
                                "From: Dr: Who <sip:8613900000001@h>;tag=1" CRLF "l: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(colon, sizeof colon - 1, &c, &st);
    assert_string_equal(c.ev[0].calling, "8613900000001");
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_HEADER], 1);

    /* A From that is not an address at all: counted; To and the R-URI still give the called. */
    static const char noaddr[] =
        "INVITE sip:8613800000000@h SIP/2.0" CRLF "From: \"Bob\" bob-at-home" CRLF
        "To: Bob <bob>" CRLF "l: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(noaddr, sizeof noaddr - 1, &c, &st);
    assert_string_equal(c.ev[0].calling, "");
    assert_string_equal(c.ev[0].called, "8613800000000");
    assert_int_equal(st.anomalies[CW_DA_SIP_BAD_HEADER], 2);
    assert_int_equal(st.anomalies[CW_DA_SIP_NO_IDENTITY], 1);
    struct cw_sip_msg m;
    size_t consumed, needed;
    assert_int_equal(parse(noaddr, sizeof noaddr - 1, 0, &m, &consumed, &needed, NULL),
                     CW_PARSE_OK);
    assert_int_equal(m.from_uri.len, 0);
    assert_int_equal(m.to_uri.len, 0);
}

static void test_empty_input(void **state)
{
    (void)state;
    struct cap c;
    struct cw_decode_stats st;
    size_t consumed = 5, needed = 5;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    struct cw_event_sink sink = {on_event, &c, NULL};
    for (int s = 0; s < 2; s++) {
        assert_int_equal(cw_sip_decode(cw_slice_make(NULL, 0), s ? &STREAM : &DGRAM, &sink, &st,
                                       &consumed, &needed),
                         CW_PARSE_OK);
        assert_int_equal(consumed, 0);
        /* Keep-alives (RFC 5626): consumed, no message. */
        assert_int_equal(run(CRLF CRLF, 4, s ? &STREAM : &DGRAM, &c, &st, &consumed, &needed),
                         CW_PARSE_OK);
        assert_int_equal(consumed, 4);
    }
    assert_int_equal(c.n, 0);
    assert_int_equal(st.messages[CW_PROTO_SIP], 0);
    assert_int_equal(anomalies(&st), 0);
    struct cw_sip_msg m;
    assert_int_equal(cw_sip_parse(NULL, 0, 0, &m, &consumed, &needed, &st), CW_PARSE_ERROR);
    assert_int_equal(cw_sip_parse(NULL, 0, 1, &m, &consumed, &needed, &st), CW_PARSE_INCOMPLETE);
    assert_int_equal(needed, 1);
}

static void check_user(const char *uri, int want_rc, const char *want)
{
    char out[CW_NUM_MAX];
    memset(out, 'Z', sizeof out);
    int rc = cw_sip_uri_user(cw_slice_str(uri), out, sizeof out);
    if (rc != want_rc)
        fail_msg("%s: rc %d, want %d", uri, rc, want_rc);
    assert_string_equal(out, want);
}

/* ---- cell, IMEI, CANCEL ---- */

/* The one event of a @p method request with the @p extra header lines (each ending in CRLF);
 * no anomaly may be counted. */
static struct cw_event one_event(const char *method, const char *extra)
{
    char msg[2048];
    int n = snprintf(msg, sizeof msg,
                     "%s sip:+8613800000000@ims.example.net SIP/2.0" CRLF
                     "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1" CRLF
                     "From: <sip:+8613900000001@ims.example.net>;tag=1" CRLF
                     "To: <sip:+8613800000000@ims.example.net>" CRLF "Call-ID: c1" CRLF
                     "CSeq: 1 %s" CRLF "%s"
                     "Content-Length: 0" CRLF CRLF,
                     method, method, extra);
    assert_true(n > 0 && (size_t)n < sizeof msg);
    struct cap c;
    struct cw_decode_stats st;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(msg, (size_t)n, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(anomalies(&st), 0);
    check_every_length(msg, (size_t)n);
    return c.ev[0];
}

/* The cell an INVITE with this P-Access-Network-Info header value gives. */
static const char *cell_of(const char *pani)
{
    static struct cw_event ev;
    char hdr[512];
    snprintf(hdr, sizeof hdr, "P-Access-Network-Info: %s" CRLF, pani);
    ev = one_event("INVITE", hdr);
    return ev.cell;
}

static void test_pani_cell(void **state)
{
    (void)state;
    /* E-UTRAN: MCC MNC TAC(4) ECI(7) -> MCCMNC-ECI (3GPP TS 24.229 7.2A.4) */
    assert_string_equal(cell_of("3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=4600012340c3d4e5"),
                        "46000-0c3d4e5");
    assert_string_equal(cell_of("3GPP-E-UTRAN-TDD;utran-cell-id-3gpp=31041000011A2D001"),
                        "310410-1a2d001"); /* three-digit MNC; hex lowercased */
    assert_string_equal(cell_of("3gpp-e-utran-fdd;UTRAN-CELL-ID-3GPP=\"4600012340C3D4E5\""),
                        "46000-0c3d4e5"); /* quoted; names in any case */
    assert_string_equal(cell_of("3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=\"4600012340c3d4e5\";"
                                "network-provided"),
                        "46000-0c3d4e5");
    assert_string_equal(cell_of("3GPP-E-UTRAN-FDD ; network-provided ; utran-cell-id-3gpp = "
                                "4600012340c3d4e5"),
                        "46000-0c3d4e5");
    /* several access-net-specs: the first that names a cell */
    assert_string_equal(cell_of("IEEE-802.11;i-wlan-node-id=ffffff0000ff, "
                                "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=46001ABCD1234567"),
                        "46001-1234567");
    assert_string_equal(cell_of("3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=4600012340c3d4e5,"
                                "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=46001ABCD1234567;"
                                "network-provided"),
                        "46000-0c3d4e5");
    /* NR: MCC MNC TAC(6) NCI(9) -> MCCMNC-NCI */
    assert_string_equal(cell_of("3GPP-NR-FDD;utran-cell-id-3gpp=46000123456ABCDEF012"),
                        "46000-abcdef012");
    assert_string_equal(cell_of("3GPP-NR-TDD;nrcgi=\"31041000000100000abcd\""), "310410-00000abcd");
    /* UTRAN, GERAN: the value as it is, lowercased */
    assert_string_equal(cell_of("3GPP-UTRAN-FDD;utran-cell-id-3gpp=234151D0FCE11"),
                        "234151d0fce11");
    assert_string_equal(cell_of("3GPP-GERAN;cgi-3gpp=46000ABCD1234"), "46000abcd1234");

    /* malformed or not ours: empty, not an anomaly */
    static const char *const bad[] = {
        "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=4600012340c3d4",         /* too short */
        "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=460001234000c3d4e5",     /* too long */
        "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=4600012340c3d4eX",       /* not hex */
        "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=46A0012340c3d4e5",       /* MNC not decimal */
        "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=\"4600012340c3d4e5",     /* quote not closed */
        "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=",                       /* empty */
        "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp",                        /* no value */
        "3GPP-E-UTRAN-FDD;network-provided",                          /* no cell */
        "IEEE-802.11;utran-cell-id-3gpp=4600012340c3d4e5",            /* not a 3GPP cell */
        "3GPP-NR-FDD;utran-cell-id-3gpp=4600012340c3d4e5",            /* NR of E-UTRAN length */
        "3GPP-UTRAN-FDD;utran-cell-id-3gpp=234151D0FCE11234151D0FCE", /* 24: does not fit */
        "3GPP-GERAN;cgi-3gpp=4A000ABCD1234",                          /* MCC not decimal */
        "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=4600012340c3d4e5\"x\"",  /* junk after it */
        "",
        ";;;,,,",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(cell_of(bad[i]), "");

    /* the first header naming a cell; the cell of a MESSAGE and of a REGISTER */
    struct cw_event ev = one_event("MESSAGE", "P-Access-Network-Info: 3GPP-E-UTRAN-FDD" CRLF
                                              "P-Access-Network-Info: 3GPP-E-UTRAN-FDD;"
                                              "utran-cell-id-3gpp=4600012340c3d4e5" CRLF
                                              "P-Access-Network-Info: 3GPP-E-UTRAN-FDD;"
                                              "utran-cell-id-3gpp=46001ABCD1234567" CRLF);
    assert_int_equal(ev.kind, CW_EV_SMS_MO);
    assert_string_equal(ev.cell, "46000-0c3d4e5");
    ev = one_event("REGISTER", "P-Access-Network-Info: 3GPP-E-UTRAN-FDD;"
                               "utran-cell-id-3gpp=4600012340c3d4e5" CRLF);
    assert_int_equal(ev.kind, CW_EV_REGISTER);
    assert_string_equal(ev.cell, "46000-0c3d4e5");
    /* a folded header */
    ev = one_event("INVITE", "P-Access-Network-Info: 3GPP-E-UTRAN-FDD;" CRLF
                             "  utran-cell-id-3gpp=4600012340c3d4e5" CRLF);
    assert_string_equal(ev.cell, "46000-0c3d4e5");
}

/* The IMEI an INVITE with this Contact header value gives. */
static const char *imei_of(const char *contact)
{
    static struct cw_event ev;
    char hdr[512];
    snprintf(hdr, sizeof hdr, "Contact: %s" CRLF, contact);
    ev = one_event("INVITE", hdr);
    return ev.imei;
}

static void test_instance_imei(void **state)
{
    (void)state;
    /* RFC 7255: TAC-SNR-check digit; the check digit is recomputed (here 9, not 0) */
    assert_string_equal(
        imei_of("<sip:alice@10.0.0.1:5060>;+sip.instance=\"<urn:gsma:imei:35332510-123456-0>\""),
        "353325101234569");
    assert_string_equal(imei_of("<sip:alice@10.0.0.1:5060>;expires=600;"
                                "+sip.instance=\"<urn:gsma:imei:35332510-123456-9;svn=12>\";"
                                "reg-id=1"),
                        "353325101234569");
    assert_string_equal(imei_of("\"A; <b>\" <sip:alice@10.0.0.1;transport=tcp>;+g.3gpp.smsip;"
                                "+SIP.INSTANCE=\"<URN:GSMA:IMEI:35442706-323347-9>\""),
                        "354427063233479");
    /* addr-spec form; a second contact */
    assert_string_equal(
        imei_of("sip:alice@10.0.0.1;+sip.instance=\"<urn:gsma:imei:35332510-123456-9>\""),
        "353325101234569");
    assert_string_equal(imei_of("<sip:a@10.0.0.1>;expires=60, <sip:a@10.0.0.2>;"
                                "+sip.instance=\"<urn:gsma:imei:35332510-123456-9>\""),
                        "353325101234569");

    static const char *const bad[] = {
        "<sip:a@h>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-00009314fa8a>\"",
        "<sip:a@h>;+sip.instance=\"<urn:gsma:imei:3533251-123456-0>\"",   /* TAC 7 digits */
        "<sip:a@h>;+sip.instance=\"<urn:gsma:imei:35332510123456-0>\"",   /* no '-' */
        "<sip:a@h>;+sip.instance=\"<urn:gsma:imei:35332510-12345a-0>\"",  /* not digits */
        "<sip:a@h>;+sip.instance=\"<urn:gsma:imei:35332510-123456-01>\"", /* too long */
        "<sip:a@h>;+sip.instance=\"<urn:gsma:imei:35332510-123456-0>",    /* not closed */
        "<sip:a@h>;+sip.instance=\"<urn:gsma:imei:>\"",
        "<sip:a@h>;+sip.instance=",
        "<sip:a@h;+sip.instance=\"<urn:gsma:imei:35332510-123456-0>\">", /* a URI param */
        "<sip:a@h>;sip.instance=\"<urn:gsma:imei:35332510-123456-0>\"",
        "*",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(imei_of(bad[i]), "");

    /* compact "m:"; a REGISTER, with a cell too */
    struct cw_event ev = one_event(
        "REGISTER",
        "m: <sip:a@10.0.0.1>;+sip.instance=\"<urn:gsma:imei:35332510-123456-9>\"" CRLF
        "P-Access-Network-Info: 3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=4600012340c3d4e5" CRLF);
    assert_int_equal(ev.kind, CW_EV_REGISTER);
    assert_string_equal(ev.imei, "353325101234569");
    assert_string_equal(ev.cell, "46000-0c3d4e5");
    assert_string_equal(ev.calling, "8613800000000");
}

static void test_cancel(void **state)
{
    (void)state;
    static const char extra[] =
        "P-Asserted-Identity: <tel:+8613911111111>" CRLF
        "Contact: <sip:a@10.0.0.1>;+sip.instance=\"<urn:gsma:imei:35332510-123456-9>\"" CRLF
        "P-Access-Network-Info: 3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=4600012340c3d4e5" CRLF;
    struct cw_event inv = one_event("INVITE", extra);
    struct cw_event can = one_event("CANCEL", extra);
    assert_int_equal(inv.kind, CW_EV_CALL);
    assert_int_equal(can.kind, CW_EV_CALL_CANCEL);
    assert_int_equal(can.proto, CW_PROTO_SIP);
    assert_string_equal(can.calling, "8613911111111"); /* P-Asserted-Identity, as for INVITE */
    assert_string_equal(can.called, "8613800000000");  /* Request-URI */
    assert_string_equal(can.calling, inv.calling);
    assert_string_equal(can.called, inv.called);
    assert_int_equal(can.flags, inv.flags);
    assert_string_equal(can.imei, "353325101234569");
    assert_string_equal(can.cell, "46000-0c3d4e5");
    assert_string_equal(cw_event_kind_name(CW_EV_CALL_CANCEL), "call_cancel");

    /* From and To when there is no asserted identity and the Request-URI is no number */
    static const char msg[] =
        "CANCEL sip:bob@example.net SIP/2.0" CRLF
        "From: <sip:+8613922222222@example.net>;tag=9" CRLF "To: <tel:+86-138-0000-0003>" CRLF
        "CSeq: 5 CANCEL" CRLF "Content-Length: 0" CRLF CRLF;
    struct cap c;
    struct cw_decode_stats st;
    memset(&c, 0, sizeof c);
    memset(&st, 0, sizeof st);
    dgram_ok(msg, sizeof msg - 1, &c, &st);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ev[0].kind, CW_EV_CALL_CANCEL);
    assert_string_equal(c.ev[0].calling, "8613922222222");
    assert_string_equal(c.ev[0].called, "8613800000003");
    assert_string_equal(c.ev[0].cell, "");
    assert_string_equal(c.ev[0].imei, "");

    /* the response to a CANCEL is no event */
    static const char ok[] =
        "SIP/2.0 200 OK" CRLF "CSeq: 5 CANCEL" CRLF "Content-Length: 0" CRLF CRLF;
    memset(&c, 0, sizeof c);
    dgram_ok(ok, sizeof ok - 1, &c, &st);
    assert_int_equal(c.n, 0);
    assert_int_equal(anomalies(&st), 0);
}

/* The cell is written next to the IMEI in an event's JSON (event.c). */
static void test_cell_json(void **state)
{
    (void)state;
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = CW_EV_CALL_CANCEL;
    ev.proto = CW_PROTO_SIP;
    strcpy(ev.imei, "353325101234569");
    strcpy(ev.cell, "46000-0c3d4e5");
    ev.frame = 7;
    struct cw_json j;
    memset(&j, 0, sizeof j);
    cw_json_reset(&j);
    cw_json_obj_begin(&j, NULL);
    cw_event_json_fields(&j, &ev, NULL);
    cw_json_obj_end(&j);
    j.buf[j.len] = 0;
    assert_string_equal(j.buf, "{\"ts\":\"1970-01-01T00:00:00.000000Z\",\"proto\":\"sip\","
                               "\"kind\":\"call_cancel\",\"imei\":\"353325101234569\","
                               "\"cell\":\"46000-0c3d4e5\",\"frame\":7}");
    /* a cell of the most characters that fit (23) is written whole */
    memset(ev.cell, 'a', sizeof ev.cell - 1);
    ev.imei[0] = 0;
    cw_json_reset(&j);
    cw_json_obj_begin(&j, NULL);
    cw_event_json_fields(&j, &ev, NULL);
    cw_json_obj_end(&j);
    j.buf[j.len] = 0;
    assert_non_null(strstr(j.buf, "\"cell\":\"aaaaaaaaaaaaaaaaaaaaaaa\","));
    cw_json_release(&j);
}

static void test_uri_user(void **state)
{
    (void)state;
    check_user("sip:host.example.net", -1, "");
    check_user("sip:host.example.net;user=phone", -1, "");
    check_user("sips:+8613800000000@h", 1, "8613800000000");
    check_user("SIP:8613800000000@H", 1, "8613800000000");
    check_user("tel:+1-212-555-0100;ext=1", 1, "12125550100");
    check_user("tel:7042;phone-context=example.com", 1, "7042");
    check_user("tel:+1-800-FLOWERS", 0, "+1-800-FLOWERS");
    check_user("sip:+8613800000000;npdi=yes@h", 1, "8613800000000");
    check_user("sip:+8613800000000;npdi;rn=+8613999@h;user=phone", 1, "8613800000000");
    check_user("sip:1001:secret@h", 1, "1001");
    check_user("sip:%2B8613800000000@h", 1, "8613800000000");
    check_user("sip:alice@h", 0, "alice");
    check_user("sip:voi18063@h", 0, "voi18063");
    check_user("sip:+@h", 0, "+");
    check_user("sip:1+2@h", 0, "1+2");
    check_user("sip:@h", -1, "");
    check_user("tel:", -1, "");
    check_user("mailto:a@b", -1, "");
    check_user("", -1, "");
    check_user("sip", -1, "");
    /* 40 digits: cut to the room there is, NUL-terminated. */
    check_user("sip:1234567890123456789012345678901234567890@h", 1,
               "1234567890123456789012345678901");
    check_user("sip:abcdefghijabcdefghijabcdefghijabcdefghij@h", 0,
               "abcdefghijabcdefghijabcdefghija");

    /* Small and zero-sized outputs are safe. */
    char small[4];
    assert_int_equal(cw_sip_uri_user(cw_slice_str("tel:+8613800000000"), small, sizeof small), 1);
    assert_string_equal(small, "861");
    char none[1] = {'Q'};
    assert_int_equal(cw_sip_uri_user(cw_slice_str("tel:+8613800000000"), none, 0), 1);
    assert_int_equal(none[0], 'Q');
    assert_int_equal(cw_sip_uri_user(cw_slice_make(NULL, 0), small, sizeof small), -1);
    assert_string_equal(small, "");
    /* The slice is bounded: the bytes after it are not read as part of the user. */
    assert_int_equal(cw_sip_uri_user(cw_slice_make("tel:123456", 7), small, sizeof small), 1);
    assert_string_equal(small, "123");
}

static void test_probe(void **state)
{
    (void)state;
    assert_int_equal(cw_sip_probe(cw_slice_str("SIP/2.0 200 OK\r\n")), 1);
    assert_int_equal(cw_sip_probe(cw_slice_str("INVITE sip:a@b SIP/2.0\r\n")), 1);
    assert_int_equal(cw_sip_probe(cw_slice_str("MESSAGE tel:+86138 SIP/2.0\r\n")), 1);
    assert_int_equal(cw_sip_probe(cw_slice_str("REGISTER sips:h SIP/2.0\r\n")), 1);
    assert_int_equal(cw_sip_probe(cw_slice_str("UPDATE SIP:a@b SIP/2.0")), 1);
    assert_int_equal(cw_sip_probe(cw_slice_str("GET / HTTP/1.1\r\n")), 0);
    assert_int_equal(cw_sip_probe(cw_slice_str("INVITE http://x SIP/2.0")), 0);
    assert_int_equal(cw_sip_probe(cw_slice_str("INVITEsip:a@b")), 0);
    assert_int_equal(cw_sip_probe(cw_slice_str("FOO sip:a@b SIP/2.0")), 0);
    assert_int_equal(cw_sip_probe(cw_slice_str("SIP/2.0")), 0);
    assert_int_equal(cw_sip_probe(cw_slice_str("INVITE si")), 0);
    assert_int_equal(cw_sip_probe(cw_slice_str("")), 0);
    assert_int_equal(cw_sip_probe(cw_slice_make(NULL, 0)), 0);
}

static void test_anomaly_names(void **state)
{
    (void)state;
    assert_string_equal(cw_decode_anomaly_name(CW_DA_SIP_BAD_START_LINE), "sip_bad_start_line");
    assert_string_equal(cw_decode_anomaly_name(CW_DA_SIP_BAD_CONTENT_LENGTH),
                        "sip_bad_content_length");
    assert_string_equal(cw_decode_anomaly_name(CW_DA_SIP_NO_HEADER_END), "sip_no_header_end");
    assert_string_equal(cw_decode_anomaly_name(CW_DA_SIP_TRUNCATED_HEADERS),
                        "sip_truncated_headers");
    assert_string_equal(cw_decode_anomaly_name(CW_DA__COUNT), "unknown");
    for (unsigned a = 0; a < CW_DA__COUNT; a++)
        assert_true(strlen(cw_decode_anomaly_name(a)) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invite_full),
        cmocka_unit_test(test_message_utf8_text),
        cmocka_unit_test(test_pai_overrides_from),
        cmocka_unit_test(test_tel_uris),
        cmocka_unit_test(test_plus86_and_separators),
        cmocka_unit_test(test_compact_and_folded_headers),
        cmocka_unit_test(test_alnum_users_flagged),
        cmocka_unit_test(test_responses_no_event),
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_two_messages_one_stream_slice),
        cmocka_unit_test(test_stream_split_every_offset),
        cmocka_unit_test(test_truncated_at_every_length),
        cmocka_unit_test(test_lying_content_length),
        cmocka_unit_test(test_missing_header_end),
        cmocka_unit_test(test_binary_junk),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_long_header_lines),
        cmocka_unit_test(test_header_without_colon),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_pani_cell),
        cmocka_unit_test(test_instance_imei),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_cell_json),
        cmocka_unit_test(test_uri_user),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_anomaly_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
