/* test_radius.c - the RADIUS decoder: Accounting-Request events (Calling-/Called-Station-Id
 * as numbers or alphanumeric, 3GPP-IMSI and 3GPP-IMEISV vendor attributes) on hand-built
 * packets and corpus payloads, other codes counted without events, padding after Length, and
 * malformed packets: lying Length, attribute lengths 0/1/past the end, bad Vendor-Specific
 * lengths, bad identity values, truncation at every length in an exactly-sized buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/radius.h"
#include "decoder_test.h"
#include "testutil.h"

static const struct cw_pkt_meta META = {1767225600123456ull, 7, 2, 0, NULL};

/* Decode @p len bytes from an exactly-sized copy; checks consumed = len and needed = 0. */
static int run(const void *msg, size_t len, struct tu_cap *c, struct cw_decode_stats *st)
{
    return tu_decode_datagram(cw_radius_decode, msg, len, &META, c, st);
}

static int run_hex(const char *hex, struct tu_cap *c, struct cw_decode_stats *st)
{
    size_t n;
    uint8_t *b = tu_hex(hex, &n);
    int rc = run(b, n, c, st);
    free(b);
    return rc;
}

static void assert_event(const struct cw_event *ev, const char *calling, const char *called,
                         const char *imsi, const char *imei, uint8_t flags)
{
    assert_int_equal(ev->kind, CW_EV_DATA_SESSION);
    assert_int_equal(ev->proto, CW_PROTO_RADIUS);
    assert_int_equal(ev->ts_us, META.ts_us);
    assert_int_equal(ev->frame, META.frame);
    assert_int_equal(ev->file_idx, META.file_idx);
    assert_string_equal(ev->calling, calling);
    assert_string_equal(ev->called, called);
    assert_string_equal(ev->imsi, imsi);
    assert_string_equal(ev->imei, imei);
    assert_int_equal(ev->flags, flags);
    assert_int_equal(ev->text.len, 0);
}

/* ---- a small packet builder ---- */

struct msgb {
    uint8_t b[4200];
    size_t len;
};

static void put_u8(struct msgb *m, uint8_t v)
{
    assert_true(m->len < sizeof m->b);
    m->b[m->len++] = v;
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

static void set_len(struct msgb *m, size_t len)
{
    m->b[2] = (uint8_t)(len >> 8);
    m->b[3] = (uint8_t)len;
}

static void begin(struct msgb *m, uint8_t code)
{
    m->len = 0;
    put_u8(m, code);
    put_u8(m, 0xe3);
    put_u8(m, 0);
    put_u8(m, 0);
    for (int i = 0; i < 16; i++)
        put_u8(m, (uint8_t)(0xa0 + i));
}

static size_t end(struct msgb *m)
{
    set_len(m, m->len);
    return m->len;
}

static void attr(struct msgb *m, uint8_t type, const void *v, size_t n)
{
    put_u8(m, type);
    put_u8(m, (uint8_t)(n + 2));
    put_bytes(m, v, n);
}

static void attr_str(struct msgb *m, uint8_t type, const char *s)
{
    attr(m, type, s, strlen(s));
}

/* Vendor-Specific, vendor 3GPP, holding one sub-attribute. */
static void vsa_3gpp(struct msgb *m, uint8_t sub, const void *v, size_t n)
{
    put_u8(m, 26);
    put_u8(m, (uint8_t)(n + 8));
    put_hex(m, "000028af");
    put_u8(m, sub);
    put_u8(m, (uint8_t)(n + 2));
    put_bytes(m, v, n);
}

static void vsa_3gpp_str(struct msgb *m, uint8_t sub, const char *s)
{
    vsa_3gpp(m, sub, s, strlen(s));
}

/* A GGSN's Accounting-Request Start: the attributes TS 29.061 16.4.3 lists. */
static size_t build_acct(struct msgb *m)
{
    begin(m, 4);
    attr_str(m, 1, "460001234567890@mnc000.mcc460.gprs"); /* User-Name */
    put_hex(m, "28 06 00000001");                          /* Acct-Status-Type Start */
    put_hex(m, "04 06 0a000001 08 06 0a640001");           /* NAS-IP, Framed-IP */
    attr_str(m, 31, "+8613800138000");
    attr_str(m, 30, "cmnet.mnc000.mcc460.gprs");
    attr_str(m, 44, "0a64000100abcdef");                   /* Acct-Session-Id */
    vsa_3gpp_str(m, 1, "460001234567890");
    vsa_3gpp(m, 2, "\x00\x00\x00\x2a", 4);                 /* Charging-ID */
    vsa_3gpp_str(m, 20, "4901542032375186");
    vsa_3gpp(m, 21, "\x06", 1);                            /* RAT type */
    return end(m);
}

/* radius-accounting-interim-vlan.pcap frame 1: Accounting-Request (Interim-Update), Aruba
 * (vendor 14823) VSAs, Calling-Station-Id a Wi-Fi MAC address */
static const char CORPUS_ACCT[] =
    "04e3015700000000000000000000000000000000010b78787878787878787804060a0000010506000000003d06"
    "000000132c1f78787878787878783938354145423839383030302d353733363133303030065738c95932193938"
    "354145423839383030302d3030303030303937303308060a0000031f0e3938354145423839383030301e0e3030"
    "31413145303030303030193a5048fc3468f64f16b5207eb261bf274eb90b000000000000523030303035353335"
    "2d30312d303030303030306500000000000000000000002906000000001a14000039e7050e7878782d656d706c"
    "6f7965651a1a000039e70614585858582d3030302d3030302d30303061321a0c000039e70a06585858321a1400"
    "0039e7010e5858585f454d504c4f5945451a0c000039e7020600000bd81a08000039e70c022806000000032a06"
    "0051e1a22b06050f00ca2f060000945c3006000117352e060002b5d4";
/* frame 2: Accounting-Response */
static const char CORPUS_ACCT_RSP[] = "05e3001400000000000000000000000000000000";
/* radius-access-request-accept.pcap frame 1: Access-Request (EAP) */
static const char CORPUS_ACCESS_REQ[] =
    "0105008becfe3d2fe4473ec6299095ee46aedf7704060a00000105060000c35c3d060000000f010e4a6f686e2e4d63"
    "477569726b1e1330302d31392d30362d45412d42382d38431f1330302d31342d32322d45392d35342d3545060600"
    "0000020c06000005dc4f1302000011014a6f686e2e4d63477569726b501228c5beb8842486da70db51316f9d7889";

static void test_accounting_request(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    size_t n = build_acct(&m);
    assert_int_equal(run(m.b, n, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], "8613800138000", "cmnet.mnc000.mcc460.gprs", "460001234567890",
                 "490154203237518", CW_EVF_CALLING_INTL | CW_EVF_CALLED_ALNUM);
    assert_int_equal(st.messages[CW_PROTO_RADIUS], 1);
    assert_int_equal(tu_anomalies(&st), 0);
}

static void test_station_ids(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;

    /* national digits; called a number in international form */
    begin(&m, 4);
    attr_str(&m, 31, "13800138000");
    attr_str(&m, 30, "+8613900139000");
    end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_event(&c.ev[0], "13800138000", "8613900139000", "", "", CW_EVF_CALLED_INTL);

    /* MAC addresses, a lone '+', control octets, an overlong value cut to fit */
    begin(&m, 4);
    attr_str(&m, 31, "00-14-22-E9-54-5E");
    attr_str(&m, 30, "+");
    end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_event(&c.ev[0], "00-14-22-E9-54-5E", "+", "", "",
                 CW_EVF_CALLING_ALNUM | CW_EVF_CALLED_ALNUM);

    begin(&m, 4);
    attr(&m, 31, "12\0" "34\x01\xff", 7);
    attr_str(&m, 30, "0123456789012345678901234567890123456789"); /* 40 digits */
    end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_event(&c.ev[0], "12?34??", "0123456789012345678901234567890", "", "",
                 CW_EVF_CALLING_ALNUM | CW_EVF_CALLED_ALNUM);

    /* empty values are absent; the first of each wins */
    begin(&m, 4);
    attr_str(&m, 31, "");
    attr_str(&m, 31, "+4915112345678");
    attr_str(&m, 31, "+4915100000000");
    end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_event(&c.ev[0], "4915112345678", "", "", "", CW_EVF_CALLING_INTL);

    /* an Accounting-Request without any identity is still one event */
    begin(&m, 4);
    put_hex(&m, "28 06 00000002");
    end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], "", "", "", "", 0);
}

static void test_3gpp_values(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;

    /* IMEISV as 8 BCD octets; IMEI of 15 digits with a wrong check digit; 'F'-padded */
    static const struct {
        const char *value;
        size_t len;
        const char *imei;
    } ok[] = {
        {"\x94\x10\x45\x02\x23\x73\x15\x68", 8, "490154203237518"},
        {"490154203237510", 15, "490154203237518"},
        {"490154203237518F", 16, "490154203237518"},
        {"49015420323751", 14, "490154203237518"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        begin(&m, 4);
        vsa_3gpp(&m, 20, ok[i].value, ok[i].len);
        end(&m);
        assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
        assert_event(&c.ev[0], "", "", "", ok[i].imei, 0);
    }

    /* several sub-attributes in one Vendor-Specific attribute */
    begin(&m, 4);
    put_hex(&m, "1a 21 000028af  01 11 343630303031323334353637383930  14 0a 9410450223731568");
    end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_event(&c.ev[0], "", "", "460001234567890", "490154203237518", 0);

    /* bad values: counted, left out, the event still goes */
    static const struct {
        uint8_t sub;
        const char *value;
    } bad[] = {
        {1, "46000123456789012"}, {1, "46000"}, {1, "46000a234567890"}, {1, ""},
        {20, "4901542032375"},     {20, "49015420323751x6"}, {20, "\x94\x10\x45"},
        {20, "\x94\x10\x45\x02\x23\x73\xf5\x68"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        begin(&m, 4);
        attr_str(&m, 31, "+8613800138000");
        vsa_3gpp_str(&m, bad[i].sub, bad[i].value);
        end(&m);
        assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
        assert_int_equal(st.anomalies[CW_DA_RADIUS_BAD_VALUE], 1);
        assert_int_equal(c.n, 1);
        assert_event(&c.ev[0], "8613800138000", "", "", "", CW_EVF_CALLING_INTL);
    }

    /* another vendor's sub-attribute 1 is not the IMSI */
    begin(&m, 4);
    put_hex(&m, "1a 17 000039e7  01 11 343630303031323334353637383930");
    end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_event(&c.ev[0], "", "", "", "", 0);
}

static void test_corpus(void **state)
{
    (void)state;
    struct tu_cap c;
    struct cw_decode_stats st;
    assert_int_equal(run_hex(CORPUS_ACCT, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], "985AEB898000", "001A1E000000", "", "",
                 CW_EVF_CALLING_ALNUM | CW_EVF_CALLED_ALNUM);
    assert_int_equal(run_hex(CORPUS_ACCT_RSP, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.messages[CW_PROTO_RADIUS], 1);
    assert_int_equal(run_hex(CORPUS_ACCESS_REQ, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 0);
    assert_int_equal(st.messages[CW_PROTO_RADIUS], 1);
}

static void test_other_codes(void **state)
{
    (void)state;
    static const uint8_t codes[] = {1, 2, 3, 5, 11, 12, 13, 40, 41, 43, 44, 254};
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    for (size_t i = 0; i < sizeof codes; i++) {
        begin(&m, codes[i]);
        attr_str(&m, 31, "+8613800138000");
        vsa_3gpp_str(&m, 1, "460001234567890");
        end(&m);
        assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
        assert_int_equal(c.n, 0);
        assert_int_equal(st.messages[CW_PROTO_RADIUS], 1);
    }
    for (unsigned code = 0; code < 256; code += 255) {
        begin(&m, (uint8_t)code);
        end(&m);
        assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
        assert_int_equal(st.anomalies[CW_DA_RADIUS_BAD_CODE], 1);
        assert_int_equal(st.messages[CW_PROTO_RADIUS], 0);
    }
}

static void test_lengths(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    size_t n = build_acct(&m);

    /* padding after Length is ignored (RFC 2865 3), also when it looks like an attribute */
    put_hex(&m, "1f 0e 2b3931323334353637383930 0000");
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ev[0].calling, "8613800138000");
    assert_int_equal(tu_anomalies(&st), 0);

    /* Length past the datagram: dropped */
    set_len(&m, n + 1);
    assert_int_equal(run(m.b, n, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_RADIUS_TRUNCATED], 1);
    assert_int_equal(st.messages[CW_PROTO_RADIUS], 0);
    assert_int_equal(c.n, 0);

    /* Length below the header */
    for (size_t l = 0; l < 20; l++) {
        set_len(&m, l);
        assert_int_equal(run(m.b, n, &c, &st), CW_PARSE_ERROR);
        assert_int_equal(st.anomalies[CW_DA_RADIUS_BAD_LENGTH], 1);
        assert_int_equal(c.n, 0);
    }

    /* Length cutting the Calling-Station-Id: its attribute overruns the packet (the octets
     * after Length are not read), the rest is skipped, the event carries what came before */
    begin(&m, 4);
    vsa_3gpp_str(&m, 1, "460001234567890");
    size_t at = m.len;
    attr_str(&m, 31, "+8613800138000");
    set_len(&m, at + 5);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_RADIUS_ATTR_OVERRUN], 1);
    assert_int_equal(c.n, 1);
    assert_event(&c.ev[0], "", "", "460001234567890", "", 0);
    set_len(&m, at + 1); /* a lone type octet */
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_RADIUS_ATTR_OVERRUN], 1);
    assert_int_equal(c.n, 1);
}

static void test_bad_attributes(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;

    /* attribute length 0 and 1 */
    for (uint8_t l = 0; l < 2; l++) {
        begin(&m, 4);
        vsa_3gpp_str(&m, 1, "460001234567890");
        put_u8(&m, 31);
        put_u8(&m, l);
        put_hex(&m, "3836313338303031333830303000");
        end(&m);
        assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
        assert_int_equal(st.anomalies[CW_DA_RADIUS_ATTR_BAD_LENGTH], 1);
        assert_int_equal(c.n, 1);
        assert_event(&c.ev[0], "", "", "460001234567890", "", 0);
    }

    /* Vendor-Specific too short for its Vendor-Id */
    begin(&m, 4);
    put_hex(&m, "1a 05 000028");
    attr_str(&m, 31, "+8613800138000");
    end(&m);
    assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_RADIUS_VSA_BAD_LENGTH], 1);
    assert_event(&c.ev[0], "8613800138000", "", "", "", CW_EVF_CALLING_INTL);

    /* 3GPP sub-attribute lengths 0, 1, past the attribute; a lone sub-attribute type */
    static const char *subs[] = {
        "1a 0d 000028af 14 00 3435363738",
        "1a 0d 000028af 14 01 3435363738",
        "1a 0d 000028af 01 08 3435363738",
        "1a 07 000028af 01",
        "1a 0c 000028af 01 03 34 14 00 35", /* the first is whole (and a bad IMSI) */
    };
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        begin(&m, 4);
        put_hex(&m, subs[i]);
        attr_str(&m, 31, "+8613800138000");
        end(&m);
        assert_int_equal(run(m.b, m.len, &c, &st), CW_PARSE_ERROR);
        assert_int_equal(st.anomalies[CW_DA_RADIUS_VSA_BAD_LENGTH], 1);
        assert_int_equal(c.n, 1);
        /* the walk of the outer attributes goes on after a bad Vendor-Specific */
        assert_event(&c.ev[0], "8613800138000", "", "", "", CW_EVF_CALLING_INTL);
    }
}

static void test_truncated_every_length(void **state)
{
    (void)state;
    struct msgb m;
    struct tu_cap c;
    struct cw_decode_stats st;
    size_t n = build_acct(&m);
    for (size_t cut = 0; cut < n; cut++) {
        assert_int_equal(run(m.b, cut, &c, &st), CW_PARSE_ERROR);
        assert_int_equal(c.n, 0);
        assert_int_equal(tu_anomalies(&st), 1);
        assert_int_equal(st.messages[CW_PROTO_RADIUS], 0);
    }
    size_t len;
    uint8_t *b = tu_hex(CORPUS_ACCT, &len);
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(run(b, cut, &c, &st), CW_PARSE_ERROR);
        assert_int_equal(c.n, 0);
    }
    free(b);
    /* The Length field cut at every attribute boundary and inside: never a half number */
    n = build_acct(&m);
    for (size_t l = 20; l <= n; l++) {
        set_len(&m, l);
        run(m.b, n, &c, &st);
        assert_int_equal(c.n, 1);
        const struct cw_event *ev = &c.ev[0];
        assert_true(ev->calling[0] == 0 || strcmp(ev->calling, "8613800138000") == 0);
        assert_true(ev->called[0] == 0 || strcmp(ev->called, "cmnet.mnc000.mcc460.gprs") == 0);
        assert_true(ev->imsi[0] == 0 || strcmp(ev->imsi, "460001234567890") == 0);
        assert_true(ev->imei[0] == 0 || strcmp(ev->imei, "490154203237518") == 0);
    }
}

static void test_empty_and_null(void **state)
{
    (void)state;
    struct tu_cap c;
    struct cw_decode_stats st;
    assert_int_equal(run("", 0, &c, &st), CW_PARSE_ERROR);
    assert_int_equal(st.anomalies[CW_DA_RADIUS_TRUNCATED], 1);
    struct msgb m;
    size_t n = build_acct(&m);
    assert_int_equal(cw_radius_decode(cw_slice_make(m.b, n), NULL, NULL, NULL, NULL, NULL),
                     CW_PARSE_OK);
    size_t consumed = 1, needed = 1;
    assert_int_equal(
        cw_radius_decode(cw_slice_make(NULL, 9), NULL, NULL, NULL, &consumed, &needed),
        CW_PARSE_ERROR);
    assert_int_equal(consumed, 0);
    assert_int_equal(needed, 0);
    assert_string_equal(cw_decode_anomaly_name(CW_DA_RADIUS_ATTR_BAD_LENGTH),
                        "radius_attr_bad_length");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accounting_request),
        cmocka_unit_test(test_station_ids),
        cmocka_unit_test(test_3gpp_values),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_other_codes),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_bad_attributes),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_empty_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
