/* test_sms_text.c - SMS text conversions: every class of GSM 7-bit table entry (basic,
 * extension, escape edge cases), packed septets after UDHs of 0..7 octets, UCS-2 with
 * surrogates and odd byte counts, Latin-1, IA5, the user data header, and every output buffer
 * size (cut at a character boundary, never a byte past the buffer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/sms_text.h"

typedef size_t (*conv_fn)(const uint8_t *in, size_t n, uint8_t *out, size_t outsz,
                          unsigned *flags);

/* Convert @p in with a roomy buffer; check the result is @p want and the flags. */
static void check_conv(conv_fn f, const void *in, size_t n, const char *want, unsigned want_flags)
{
    uint8_t out[1024];
    unsigned flags = 0;
    memset(out, 0xAA, sizeof out);
    size_t len = f(in, n, out, sizeof out, &flags);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    assert_int_equal(flags, want_flags);
}

static void gsm7(const char *in, size_t n, const char *want, unsigned want_flags)
{
    check_conv(cw_sms_gsm7_to_utf8, in, n, want, want_flags);
}

/* The whole basic table but the escape, in code order (TS 23.038 6.2.1). */
static const char BASIC_UTF8[] =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ" /* 0x00-0x1A */
    "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà";

static void test_gsm7_basic_table(void **state)
{
    (void)state;
    uint8_t in[127];
    size_t n = 0;
    for (unsigned c = 0; c < 128; c++)
        if (c != 0x1B)
            in[n++] = (uint8_t)c;
    check_conv(cw_sms_gsm7_to_utf8, in, n, BASIC_UTF8, 0);
    gsm7("Hello", 5, "Hello", 0);
    gsm7("\x00", 1, "@", 0);
    gsm7("\x11", 1, "_", 0);
    gsm7("\x24\x40\x60", 3, "¤¡¿", 0);
    gsm7("", 0, "", 0);
}

static void test_gsm7_extension(void **state)
{
    (void)state;
    /* Every entry of the extension table. */
    gsm7("\x1b\x0a", 2, "\f", 0);
    gsm7("\x1b\x14", 2, "^", 0);
    gsm7("\x1b\x28\x1b\x29", 4, "{}", 0);
    gsm7("\x1b\x2f", 2, "\\", 0);
    gsm7("\x1b\x3c\x1b\x3d\x1b\x3e", 6, "[~]", 0);
    gsm7("\x1b\x40", 2, "|", 0);
    gsm7("\x1b\x65", 2, "€", 0);
    gsm7("\x1b\x65\x1b\x3c\x1b\x3e", 6, "€[]", 0);
    gsm7("5\x1b\x65 off", 7, "5€ off", 0);
}

static void test_gsm7_escape_edges(void **state)
{
    (void)state;
    /* Undefined extension codes: the basic-table character. */
    gsm7("\x1b\x41", 2, "A", 0);
    gsm7("\x1b\x00", 2, "@", 0);
    gsm7("\x1b\x0d", 2, "\r", 0); /* CR2: shown as the basic CR */
    gsm7("\x1b\x7f", 2, "à", 0);
    gsm7("\x1b\x65", 2, "€", 0); /* but 0x65 alone is 'e' */
    gsm7("\x65", 1, "e", 0);
    /* Escape to a further table (undefined): a space; escape at the end: a space. */
    gsm7("a\x1b\x1b" "b", 4, "a b", 0);
    gsm7("ab\x1b", 3, "ab ", 0);
    gsm7("\x1b", 1, " ", 0);
    /* Not septets. */
    gsm7("a\x80z", 3, "a\xef\xbf\xbdz", CW_SMS_TEXT_INVALID);
    gsm7("\x1b\xff" "z", 3, "\xef\xbf\xbdz", CW_SMS_TEXT_INVALID);
    /* NULL input is empty. */
    unsigned flags = 0;
    uint8_t out[4];
    assert_int_equal(cw_sms_gsm7_to_utf8(NULL, 5, out, sizeof out, &flags), 0);
    assert_int_equal(flags, 0);
}

/* Pack @p n septets LSB first after @p fill zero bits, into @p out (zeroed first). */
static size_t pack(const uint8_t *sept, size_t n, unsigned fill, uint8_t *out, size_t cap)
{
    memset(out, 0, cap);
    size_t bit = fill;
    for (size_t i = 0; i < n; i++) {
        for (unsigned b = 0; b < 7; b++, bit++)
            if (sept[i] & (1u << b))
                out[bit / 8] |= (uint8_t)(1u << (bit % 8));
    }
    return (bit + 7) / 8;
}

static void test_gsm7_packed_vectors(void **state)
{
    (void)state;
    /* "hello" and "hellohello" as phones pack them. */
    static const uint8_t hello[] = {0xE8, 0x32, 0x9B, 0xFD, 0x06};
    static const uint8_t hello2[] = {0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37};
    uint8_t out[64];
    unsigned flags = 0;
    size_t n = cw_sms_gsm7_packed_to_utf8(hello, sizeof hello, 5, 0, out, sizeof out, &flags);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(flags, 0);
    n = cw_sms_gsm7_packed_to_utf8(hello2, sizeof hello2, 10, 0, out, sizeof out, &flags);
    assert_int_equal(n, 10);
    assert_memory_equal(out, "hellohello", 10);
    assert_int_equal(flags, 0);
    /* 8 septets fill 7 octets exactly: the eighth is the top 7 bits of the seventh octet. */
    uint8_t sept[8];
    memset(sept, 'A', sizeof sept);
    uint8_t packed[16];
    size_t plen = pack(sept, 8, 0, packed, sizeof packed);
    assert_int_equal(plen, 7);
    assert_int_equal(packed[0], 0xC1);
    assert_int_equal(packed[6], 0x83);
    n = cw_sms_gsm7_packed_to_utf8(packed, plen, 8, 0, out, sizeof out, &flags);
    assert_int_equal(n, 8);
    assert_memory_equal(out, "AAAAAAAA", 8);
    /* A count beyond the bytes: what is there, and SHORT. */
    flags = 0;
    n = cw_sms_gsm7_packed_to_utf8(hello, sizeof hello, 9, 0, out, sizeof out, &flags);
    assert_int_equal(n, 5);
    assert_int_equal(flags, CW_SMS_TEXT_SHORT);
    flags = 0;
    n = cw_sms_gsm7_packed_to_utf8(hello, 4, 5, 0, out, sizeof out, &flags);
    assert_int_equal(n, 4); /* the fifth septet's top bits are in the missing octet */
    assert_int_equal(flags, CW_SMS_TEXT_SHORT);
    flags = 0;
    n = cw_sms_gsm7_packed_to_utf8(NULL, 0, 3, 0, out, sizeof out, &flags);
    assert_int_equal(n, 0);
    assert_int_equal(flags, CW_SMS_TEXT_SHORT);
}

static void test_udh_fill_bits(void **state)
{
    (void)state;
    static const unsigned want[8] = {0, 6, 5, 4, 3, 2, 1, 0};
    static const size_t want_sept[8] = {0, 2, 3, 4, 5, 6, 7, 8};
    for (size_t u = 0; u < 8; u++) {
        assert_int_equal(cw_sms_udh_fill_bits(u), want[u]);
        assert_int_equal(cw_sms_udh_septets(u), want_sept[u]);
        assert_int_equal((u * 8 + cw_sms_udh_fill_bits(u)) % 7, 0);
    }
    assert_int_equal(cw_sms_udh_fill_bits(140), 0);
}

/* For every UDH length 0..7 octets, a UD of UDH + fill bits + packed text, as TS 23.040
 * 9.2.3.24 lays it out; the text (with escapes) comes back whole. */
static void test_gsm7_packed_udh_fill(void **state)
{
    (void)state;
    /* "Ab€[x]{" with its escapes, as septets */
    static const uint8_t sept[] = {0x41, 0x62, 0x1B, 0x65, 0x1B, 0x3C, 0x78,
                                   0x1B, 0x3E, 0x1B, 0x28, 0x00, 0x10};
    const char *want = "Ab€[x]{@Δ";
    for (size_t udh = 0; udh <= 7; udh++) {
        uint8_t ud[64];
        uint8_t text[32];
        unsigned fill = cw_sms_udh_fill_bits(udh);
        size_t tlen = pack(sept, sizeof sept, fill, text, sizeof text);
        memset(ud, 0x5A, udh); /* header bytes: content does not matter here */
        memcpy(ud + udh, text, tlen);
        /* fill bits are the low bits of the first text octet: set them to garbage that the
         * decoder must skip */
        ud[udh] |= (uint8_t)((1u << fill) - 1);
        uint8_t *exact = malloc(udh + tlen);
        assert_non_null(exact);
        memcpy(exact, ud, udh + tlen);
        uint8_t out[64];
        unsigned flags = 0;
        size_t n = cw_sms_gsm7_packed_to_utf8(exact + udh, tlen, sizeof sept, fill, out,
                                              sizeof out, &flags);
        assert_int_equal(n, strlen(want));
        assert_memory_equal(out, want, n);
        assert_int_equal(flags, 0);
        /* the septet count from TP-UDL: total septets less the UDH's */
        size_t udl = cw_sms_udh_septets(udh) + sizeof sept;
        assert_int_equal(udl - cw_sms_udh_septets(udh), sizeof sept);
        free(exact);
    }
}

static void ucs2(const char *in, size_t n, const char *want, unsigned want_flags)
{
    check_conv(cw_sms_ucs2_to_utf8, in, n, want, want_flags);
}

static void test_ucs2(void **state)
{
    (void)state;
    ucs2("\x4e\x2d\x59\x56\x90\x1a\x77\xe5", 8, "中奖通知", 0);
    ucs2("\x00H\x00i", 4, "Hi", 0);
    ucs2("\x00\xe9\x04\x10\x20\xac", 6, "éА€", 0);
    ucs2("", 0, "", 0);
    /* surrogate pair */
    ucs2("\xd8\x3d\xde\x00", 4, "😀", 0);
    ucs2("\x00" "a\xd8\x3d\xde\x00\x00" "b", 8, "a😀b", 0);
    /* lone surrogates */
    ucs2("\xd8\x3d", 2, "\xef\xbf\xbd", CW_SMS_TEXT_INVALID);
    ucs2("\xd8\x3d\x00" "a", 4, "\xef\xbf\xbd" "a", CW_SMS_TEXT_INVALID);
    ucs2("\xde\x00\x00" "a", 4, "\xef\xbf\xbd" "a", CW_SMS_TEXT_INVALID);
    ucs2("\xd8\x3d\xd8\x3d\xde\x00", 6, "\xef\xbf\xbd😀", CW_SMS_TEXT_INVALID);
    /* odd byte counts */
    ucs2("\x00", 1, "\xef\xbf\xbd", CW_SMS_TEXT_INVALID);
    ucs2("\x00" "a\x00", 3, "a\xef\xbf\xbd", CW_SMS_TEXT_INVALID);
    ucs2("\xd8\x3d\xde", 3, "\xef\xbf\xbd\xef\xbf\xbd", CW_SMS_TEXT_INVALID);
}

static void test_latin1_ascii(void **state)
{
    (void)state;
    check_conv(cw_sms_latin1_to_utf8, "caf\xe9", 4, "café", 0);
    check_conv(cw_sms_latin1_to_utf8, "\x80\xa0\xff", 3, "\xc2\x80\xc2\xa0\xc3\xbf", 0);
    check_conv(cw_sms_ascii_to_utf8, "test 123", 8, "test 123", 0);
    check_conv(cw_sms_ascii_to_utf8, "a\xe9", 2, "a\xef\xbf\xbd", CW_SMS_TEXT_INVALID);
}

static void test_latin1_nul(void **state)
{
    (void)state;
    uint8_t out[8];
    unsigned flags = 0;
    assert_int_equal(cw_sms_latin1_to_utf8((const uint8_t *)"\x7f\x00", 2, out, 8, &flags), 2);
    assert_int_equal(out[1], 0);
}

/* Every output size from 0 to the full length: a prefix cut at a character boundary, the CUT
 * flag exactly when something was left out, and not a byte written past the size. */
static void every_size(conv_fn f, const uint8_t *in, size_t n)
{
    uint8_t full[256];
    unsigned flags = 0;
    size_t flen = f(in, n, full, sizeof full, &flags);
    assert_false(flags & CW_SMS_TEXT_CUT);
    unsigned full_flags = flags;
    for (size_t sz = 0; sz <= flen; sz++) {
        uint8_t *out = malloc(sz ? sz : 1);
        assert_non_null(out);
        flags = 0;
        size_t len = f(in, n, sz ? out : NULL, sz, &flags);
        assert_true(len <= sz);
        assert_memory_equal(out, full, len);
        /* the longest prefix ending at a character boundary */
        size_t best = sz;
        while (best < flen && best > 0 && (full[best] & 0xC0) == 0x80)
            best--;
        if (sz < flen) {
            assert_int_equal(len, best);
            assert_true(flags & CW_SMS_TEXT_CUT);
        } else {
            assert_int_equal(len, flen);
            assert_int_equal(flags, full_flags);
        }
        free(out);
    }
}

static void test_buffer_every_size(void **state)
{
    (void)state;
    static const uint8_t g7[] = {'a', 0x1B, 0x65, 0x10, 0x00, 0x1B, 0x3C, 0x80, 'z', 0x1B};
    every_size(cw_sms_gsm7_to_utf8, g7, sizeof g7);
    static const uint8_t u2[] = {0x4e, 0x2d, 0x00, 'a', 0xd8, 0x3d, 0xde, 0x00,
                                 0x00, 0xe9, 0xdc, 0x00, 0x59, 0x56, 0x01};
    every_size(cw_sms_ucs2_to_utf8, u2, sizeof u2);
    static const uint8_t l1[] = {'x', 0xe9, 0xff, 'y', 0x80};
    every_size(cw_sms_latin1_to_utf8, l1, sizeof l1);
    every_size(cw_sms_ascii_to_utf8, l1, sizeof l1);
}

static void test_packed_every_size(void **state)
{
    (void)state;
    static const uint8_t sept[] = {0x41, 0x1B, 0x65, 0x10, 0x1B, 0x3E, 0x7F};
    uint8_t packed[16];
    size_t plen = pack(sept, sizeof sept, 3, packed, sizeof packed);
    uint8_t full[64];
    unsigned flags = 0;
    size_t flen = cw_sms_gsm7_packed_to_utf8(packed, plen, sizeof sept, 3, full, sizeof full,
                                             &flags);
    assert_int_equal(flen, strlen("A€Δ]à"));
    assert_memory_equal(full, "A€Δ]à", flen);
    for (size_t sz = 0; sz < flen; sz++) {
        uint8_t *out = malloc(sz ? sz : 1);
        assert_non_null(out);
        flags = 0;
        size_t len = cw_sms_gsm7_packed_to_utf8(packed, plen, sizeof sept, 3, out, sz, &flags);
        assert_true(len <= sz);
        assert_memory_equal(out, full, len);
        assert_true(flags & CW_SMS_TEXT_CUT);
        free(out);
    }
    /* input cut at every byte: never a read past it */
    for (size_t l = 0; l <= plen; l++) {
        uint8_t *in = malloc(l ? l : 1);
        assert_non_null(in);
        memcpy(in, packed, l);
        flags = 0;
        size_t len = cw_sms_gsm7_packed_to_utf8(in, l, sizeof sept, 3, full, sizeof full, &flags);
        assert_true(len <= flen);
        if (l < plen)
            assert_true(flags & CW_SMS_TEXT_SHORT);
        free(in);
    }
}

static void test_udh_parse(void **state)
{
    (void)state;
    struct cw_sms_udh u;
    /* 8-bit reference: 05 00 03 ref total seq */
    static const uint8_t c8[] = {0x05, 0x00, 0x03, 0xAA, 0x03, 0x02, 'h', 'i'};
    assert_int_equal(cw_sms_udh_parse(c8, sizeof c8, &u), 0);
    assert_int_equal(u.len, 6);
    assert_int_equal(u.concat, 1);
    assert_int_equal(u.ref, 0xAA);
    assert_int_equal(u.total, 3);
    assert_int_equal(u.seq, 2);
    assert_int_equal(u.ref16, 0);
    /* 16-bit reference after a port IE: 0B 05 04 0B84 23F0 08 04 1234 02 01 */
    static const uint8_t c16[] = {0x0C, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0,
                                  0x08, 0x04, 0x12, 0x34, 0x02, 0x01};
    assert_int_equal(cw_sms_udh_parse(c16, sizeof c16, &u), 0);
    assert_int_equal(u.len, 13);
    assert_int_equal(u.concat, 1);
    assert_int_equal(u.ref, 0x1234);
    assert_int_equal(u.total, 2);
    assert_int_equal(u.seq, 1);
    assert_int_equal(u.ref16, 1);
    /* no concatenation IE; empty UDH */
    static const uint8_t noc[] = {0x03, 0x24, 0x01, 0x01};
    assert_int_equal(cw_sms_udh_parse(noc, sizeof noc, &u), 0);
    assert_int_equal(u.len, 4);
    assert_int_equal(u.concat, 0);
    static const uint8_t empty[] = {0x00};
    assert_int_equal(cw_sms_udh_parse(empty, 1, &u), 0);
    assert_int_equal(u.len, 1);
    /* the first concatenation IE wins */
    static const uint8_t two[] = {0x0A, 0x00, 0x03, 0x01, 0x02, 0x01,
                                  0x00, 0x03, 0x09, 0x09, 0x09};
    assert_int_equal(cw_sms_udh_parse(two, sizeof two, &u), 0);
    assert_int_equal(u.ref, 1);
    /* a concatenation IE of the wrong length is ignored and noted */
    static const uint8_t badie[] = {0x04, 0x00, 0x02, 0x01, 0x02};
    assert_int_equal(cw_sms_udh_parse(badie, sizeof badie, &u), 0);
    assert_int_equal(u.concat, 0);
    assert_int_equal(u.bad_ie, 1);
    /* malformed: nothing, UDHL past the end, IE past the UDHL, IEI without IEL */
    assert_int_equal(cw_sms_udh_parse(NULL, 0, &u), -1);
    assert_int_equal(cw_sms_udh_parse(c8, 0, &u), -1);
    assert_int_equal(cw_sms_udh_parse(c8, 5, &u), -1);
    static const uint8_t over[] = {0x03, 0x00, 0x03, 0xAA, 0x03, 0x02};
    assert_int_equal(cw_sms_udh_parse(over, sizeof over, &u), -1);
    assert_int_equal(u.len, 0);
    static const uint8_t half[] = {0x01, 0x00};
    assert_int_equal(cw_sms_udh_parse(half, sizeof half, &u), -1);
    /* every truncation of c16 in an exactly-sized buffer */
    for (size_t l = 0; l < sizeof c16; l++) {
        uint8_t *b = malloc(l ? l : 1);
        assert_non_null(b);
        memcpy(b, c16, l);
        assert_int_equal(cw_sms_udh_parse(l ? b : NULL, l, &u), -1);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gsm7_basic_table),  cmocka_unit_test(test_gsm7_extension),
        cmocka_unit_test(test_gsm7_escape_edges), cmocka_unit_test(test_gsm7_packed_vectors),
        cmocka_unit_test(test_udh_fill_bits),     cmocka_unit_test(test_gsm7_packed_udh_fill),
        cmocka_unit_test(test_ucs2),              cmocka_unit_test(test_latin1_ascii),
        cmocka_unit_test(test_latin1_nul),        cmocka_unit_test(test_buffer_every_size),
        cmocka_unit_test(test_packed_every_size), cmocka_unit_test(test_udh_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
