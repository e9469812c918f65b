/* test_ber.c - the BER TLV reader (util/ber.h): identifier forms (low and high tag numbers),
 * short, long and indefinite lengths, walking nested values, the depth limit, INTEGER and
 * OBJECT IDENTIFIER contents, and malformed encodings: lengths past the end, 5-octet lengths,
 * indefinite primitives, missing or stray end-of-contents, tags that never end, depth bombs,
 * every truncation in an exactly-sized buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "util/ber.h"

/* Read every element of @p hex at depth 0 and 1 (children of constructed ones) from an
 * exactly-sized copy; returns the first error, or the number of elements read. */
static int walk_hex(const char *hex, unsigned max_depth)
{
    size_t n;
    uint8_t *b = tu_hex(hex, &n);
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, b, n);
    free(b);
    struct cw_ber_it it, in;
    struct cw_ber_tlv t, c;
    cw_ber_init(&it, cw_slice_make(copy, n), max_depth);
    int count = 0, r;
    while ((r = cw_ber_next(&it, &t)) == 1) {
        count++;
        if (!t.cons)
            continue;
        int e = cw_ber_enter(&it, &t, &in);
        if (e != 0) {
            r = e;
            break;
        }
        while ((r = cw_ber_next(&in, &c)) == 1)
            count++;
        if (r < 0)
            break;
    }
    free(copy);
    return r < 0 ? r : count;
}

static void test_identifier_and_length_forms(void **state)
{
    (void)state;
    /* 30 03 { 02 01 05 } : universal constructed SEQUENCE holding INTEGER 5 */
    static const uint8_t seq[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    struct cw_ber_it it, in;
    struct cw_ber_tlv t, c;
    cw_ber_init(&it, cw_slice_make(seq, sizeof seq), 4);
    assert_int_equal(cw_ber_next(&it, &t), 1);
    assert_int_equal(t.cls, CW_BER_UNIVERSAL);
    assert_int_equal(t.cons, 1);
    assert_int_equal(t.tag, CW_BER_TAG_SEQUENCE);
    assert_int_equal(t.indef, 0);
    assert_int_equal(t.depth, 0);
    assert_ptr_equal(t.val.p, seq + 2);
    assert_int_equal(t.val.len, 3);
    assert_ptr_equal(t.raw.p, seq);
    assert_int_equal(t.raw.len, 5);
    assert_int_equal(cw_ber_enter(&it, &t, &in), 0);
    assert_int_equal(cw_ber_next(&in, &c), 1);
    assert_true(cw_ber_is(&c, CW_BER_UNIVERSAL, 0, CW_BER_TAG_INTEGER));
    assert_int_equal(c.depth, 1);
    int64_t v = 0;
    assert_int_equal(cw_ber_int(&c, &v), 0);
    assert_int_equal(v, 5);
    assert_int_equal(cw_ber_next(&in, &c), 0);
    assert_int_equal(cw_ber_next(&it, &t), 0);
    /* entering a primitive is refused */
    assert_int_equal(cw_ber_enter(&in, &c, &it), CW_BER_EBAD);

    /* long forms: 81 nn, 82 nn nn, 84 nn nn nn nn (4 octets is the most we take) */
    uint8_t big[4 + 300];
    memset(big, 0xab, sizeof big);
    big[0] = 0x04;
    big[1] = 0x82;
    big[2] = 0x01;
    big[3] = 0x2c; /* 300 */
    cw_ber_init(&it, cw_slice_make(big, sizeof big), 4);
    assert_int_equal(cw_ber_next(&it, &t), 1);
    assert_int_equal(t.val.len, 300);
    assert_int_equal(t.raw.len, 304);
    static const uint8_t l81[] = {0x04, 0x81, 0x02, 0xaa, 0xbb};
    cw_ber_init(&it, cw_slice_make(l81, sizeof l81), 4);
    assert_int_equal(cw_ber_next(&it, &t), 1);
    assert_int_equal(t.val.len, 2);
    assert_int_equal(t.val.p[1], 0xbb);
    static const uint8_t l84[] = {0x04, 0x84, 0x00, 0x00, 0x00, 0x01, 0xcc};
    cw_ber_init(&it, cw_slice_make(l84, sizeof l84), 4);
    assert_int_equal(cw_ber_next(&it, &t), 1);
    assert_int_equal(t.val.len, 1);
    assert_int_equal(t.val.p[0], 0xcc);

    /* classes and high tag numbers: [APPLICATION 2] constructed, [PRIVATE 5] primitive,
     * [CONTEXT 31] (1f 1f), [CONTEXT 200] (1f 81 48), [APPLICATION 2^28-1] (4 octets) */
    assert_int_equal(walk_hex("62 00  c5 00  9f 1f 00  9f 81 48 01 00  5f ff ff ff 7f 00", 4),
                     5);
    static const uint8_t hi[] = {0x9f, 0x81, 0x48, 0x01, 0x77};
    cw_ber_init(&it, cw_slice_make(hi, sizeof hi), 4);
    assert_int_equal(cw_ber_next(&it, &t), 1);
    assert_int_equal(t.cls, CW_BER_CONTEXT);
    assert_int_equal(t.cons, 0);
    assert_int_equal(t.tag, 200);
    assert_int_equal(t.val.len, 1);
    assert_int_equal(t.val.p[0], 0x77);
    static const uint8_t hi4[] = {0x5f, 0xff, 0xff, 0xff, 0x7f, 0x00};
    cw_ber_init(&it, cw_slice_make(hi4, sizeof hi4), 4);
    assert_int_equal(cw_ber_next(&it, &t), 1);
    assert_int_equal(t.cls, CW_BER_APPLICATION);
    assert_int_equal(t.tag, (1u << 28) - 1);
}

static void test_indefinite(void **state)
{
    (void)state;
    /* 30 80 { 02 01 07, 30 80 { 04 01 aa 00 00 }, 30 03 { 05 00 ... } 00 00 } then 05 00 */
    size_t n;
    uint8_t *b = tu_hex("30 80 02 01 07 30 80 04 01 aa 00 00 31 02 05 00 00 00 05 00", &n);
    struct cw_ber_it it, in, in2;
    struct cw_ber_tlv t, c;
    cw_ber_init(&it, cw_slice_make(b, n), 4);
    assert_int_equal(cw_ber_next(&it, &t), 1);
    assert_int_equal(t.indef, 1);
    assert_int_equal(t.val.len, 14); /* contents without the closing 00 00 */
    assert_int_equal(t.raw.len, 18);
    assert_int_equal(cw_ber_enter(&it, &t, &in), 0);
    assert_int_equal(cw_ber_next(&in, &c), 1);
    assert_true(cw_ber_is(&c, CW_BER_UNIVERSAL, 0, CW_BER_TAG_INTEGER));
    assert_int_equal(cw_ber_next(&in, &c), 1);
    assert_true(c.indef);
    assert_int_equal(c.val.len, 3);
    assert_int_equal(cw_ber_enter(&in, &c, &in2), 0);
    struct cw_ber_tlv g;
    assert_int_equal(cw_ber_next(&in2, &g), 1);
    assert_true(cw_ber_is(&g, CW_BER_UNIVERSAL, 0, CW_BER_TAG_OCTET_STRING));
    assert_int_equal(g.depth, 2);
    assert_int_equal(g.val.p[0], 0xaa);
    assert_int_equal(cw_ber_next(&in2, &g), 0);
    assert_int_equal(cw_ber_next(&in, &c), 1);
    assert_int_equal(c.tag, 17); /* SET, definite */
    assert_int_equal(cw_ber_next(&in, &c), 0);
    assert_int_equal(cw_ber_next(&it, &t), 1);
    assert_true(cw_ber_is(&t, CW_BER_UNIVERSAL, 0, CW_BER_TAG_NULL));
    assert_int_equal(cw_ber_next(&it, &t), 0);
    free(b);

    /* an indefinite value inside a definite one inside an indefinite one */
    assert_int_equal(walk_hex("30 80 30 07 30 80 02 01 01 00 00 00 00", 8), 2);
}

static void test_malformed(void **state)
{
    (void)state;
    /* a length past the end, by one */
    assert_int_equal(walk_hex("04 03 01 02", 4), CW_BER_EBAD);
    /* a child's length past its parent's end (the parent fits the buffer) */
    assert_int_equal(walk_hex("30 03 04 02 01 02", 4), CW_BER_EBAD);
    /* long form past the end; 5 length octets; the reserved 0xff */
    assert_int_equal(walk_hex("04 84 7f ff ff ff 00", 4), CW_BER_EBAD);
    assert_int_equal(walk_hex("04 85 00 00 00 00 01 aa", 4), CW_BER_EBAD);
    assert_int_equal(walk_hex("04 ff 00", 4), CW_BER_EBAD);
    /* long form whose length octets are cut */
    assert_int_equal(walk_hex("04 82 00", 4), CW_BER_EBAD);
    /* indefinite length on a primitive */
    assert_int_equal(walk_hex("04 80 01 00 00", 4), CW_BER_EBAD);
    assert_int_equal(walk_hex("04 80 05 00 00 00", 4), CW_BER_EBAD); /* even if it would end */
    /* no end-of-contents; one that is cut; one closing only the inner level */
    assert_int_equal(walk_hex("30 80 02 01 01", 4), CW_BER_EBAD);
    assert_int_equal(walk_hex("30 80 02 01 01 00", 4), CW_BER_EBAD);
    assert_int_equal(walk_hex("30 80 30 80 02 01 01 00 00", 4), CW_BER_EBAD);
    /* an end-of-contents with a length, or in long form, is not one */
    assert_int_equal(walk_hex("30 80 00 01 00 00 00", 4), CW_BER_EBAD);
    static const uint8_t longeoc[] = {0x30, 0x80, 0x00, 0x81, 0x00};
    struct cw_ber_it eit;
    struct cw_ber_tlv et;
    cw_ber_init(&eit, cw_slice_make(longeoc, sizeof longeoc), 4);
    assert_int_equal(cw_ber_next(&eit, &et), CW_BER_EBAD);
    /* a stray end-of-contents in definite contents, or at the top */
    assert_int_equal(walk_hex("30 02 00 00", 4), CW_BER_EBAD);
    assert_int_equal(walk_hex("00 00", 4), CW_BER_EBAD);
    /* an indefinite value whose end-of-contents lies past its definite parent */
    assert_int_equal(walk_hex("30 04 30 80 05 00 00 00", 4), CW_BER_EBAD);
    /* high tag numbers: 5 octets, one that never ends, a leading zero septet */
    assert_int_equal(walk_hex("9f 81 81 81 81 01 00", 4), CW_BER_EBAD);
    assert_int_equal(walk_hex("9f 81 81 81", 4), CW_BER_EBAD);
    assert_int_equal(walk_hex("9f 80 01 00", 4), CW_BER_EBAD);
    assert_int_equal(walk_hex("9f", 4), CW_BER_EBAD);
    /* the error is sticky */
    size_t n;
    uint8_t *b = tu_hex("04 05 01", &n);
    struct cw_ber_it it;
    struct cw_ber_tlv t;
    cw_ber_init(&it, cw_slice_make(b, n), 4);
    assert_int_equal(cw_ber_next(&it, &t), CW_BER_EBAD);
    assert_int_equal(cw_ber_next(&it, &t), CW_BER_EBAD);
    free(b);
}

static void test_depth(void **state)
{
    (void)state;
    /* 10000 nested indefinite SEQUENCEs, properly closed: refused at the limit */
    size_t levels = 10000, n = levels * 4;
    uint8_t *bomb = malloc(n);
    for (size_t i = 0; i < levels; i++) {
        bomb[2 * i] = 0x30;
        bomb[2 * i + 1] = 0x80;
        bomb[2 * levels + 2 * i] = 0;
        bomb[2 * levels + 2 * i + 1] = 0;
    }
    struct cw_ber_it it;
    struct cw_ber_tlv t;
    cw_ber_init(&it, cw_slice_make(bomb, n), 16);
    assert_int_equal(cw_ber_next(&it, &t), CW_BER_EDEEP);
    /* the same, never closed: still the depth that is met first */
    cw_ber_init(&it, cw_slice_make(bomb, n / 2), 16);
    assert_int_equal(cw_ber_next(&it, &t), CW_BER_EDEEP);
    free(bomb);

    /* exactly at the limit: 3 indefinite levels inside a value at depth 0 reach depth 3 */
    assert_int_equal(walk_hex("30 80 30 80 30 80 05 00 00 00 00 00 00 00", 3), 2);
    assert_int_equal(walk_hex("30 80 30 80 30 80 05 00 00 00 00 00 00 00", 2), CW_BER_EDEEP);

    /* definite nesting is refused when it is entered past the limit */
    static const uint8_t nest[] = {0x30, 0x06, 0x30, 0x04, 0x30, 0x02, 0x05, 0x00};
    struct cw_ber_it a, b, c, d;
    struct cw_ber_tlv ta, tb, tc;
    cw_ber_init(&a, cw_slice_make(nest, sizeof nest), 2);
    assert_int_equal(cw_ber_next(&a, &ta), 1);
    assert_int_equal(cw_ber_enter(&a, &ta, &b), 0);
    assert_int_equal(cw_ber_next(&b, &tb), 1);
    assert_int_equal(cw_ber_enter(&b, &tb, &c), 0);
    assert_int_equal(cw_ber_next(&c, &tc), 1);
    assert_int_equal(tc.depth, 2);
    assert_int_equal(cw_ber_enter(&c, &tc, &d), CW_BER_EDEEP);
    assert_int_equal(cw_ber_next(&d, &tc), CW_BER_EDEEP);
}

static void test_integer_and_oid(void **state)
{
    (void)state;
    struct cw_ber_tlv t;
    memset(&t, 0, sizeof t);
    int64_t v;
    static const uint8_t m1[] = {0xff}, big[] = {0x00, 0x80}, neg[] = {0xff, 0x7f},
                         max[] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
                         min[] = {0x80, 0, 0, 0, 0, 0, 0, 0}, nine[9] = {0};
    t.val = cw_slice_make(m1, 1);
    assert_int_equal(cw_ber_int(&t, &v), 0);
    assert_int_equal(v, -1);
    t.val = cw_slice_make(big, 2);
    assert_int_equal(cw_ber_int(&t, &v), 0);
    assert_int_equal(v, 128);
    t.val = cw_slice_make(neg, 2);
    assert_int_equal(cw_ber_int(&t, &v), 0);
    assert_int_equal(v, -129);
    t.val = cw_slice_make(max, 8);
    assert_int_equal(cw_ber_int(&t, &v), 0);
    assert_true(v == INT64_MAX);
    t.val = cw_slice_make(min, 8);
    assert_int_equal(cw_ber_int(&t, &v), 0);
    assert_true(v == INT64_MIN);
    t.val = cw_slice_make(nine, 9);
    assert_int_equal(cw_ber_int(&t, &v), -1);
    t.val = cw_slice_make(nine, 0);
    assert_int_equal(cw_ber_int(&t, &v), -1);
    t.val = cw_slice_make(m1, 1);
    t.cons = 1;
    assert_int_equal(cw_ber_int(&t, &v), -1);

    uint32_t arcs[8];
    /* MAP shortMsgMO-RelayContext-v3: 0.4.0.0.1.0.21.3 */
    static const uint8_t ac[] = {0x04, 0x00, 0x00, 0x01, 0x00, 0x15, 0x03};
    assert_int_equal(cw_ber_oid(cw_slice_make(ac, sizeof ac), arcs, 8), 8);
    static const uint32_t want[8] = {0, 4, 0, 0, 1, 0, 21, 3};
    assert_memory_equal(arcs, want, sizeof want);
    /* dialogue-as-id 0.0.17.773.1.1.1: a two-octet arc */
    static const uint8_t dlg[] = {0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01};
    assert_int_equal(cw_ber_oid(cw_slice_make(dlg, sizeof dlg), arcs, 8), 7);
    assert_int_equal(arcs[3], 773);
    /* 2.999 (first subidentifier 1079) */
    static const uint8_t two[] = {0x88, 0x37};
    assert_int_equal(cw_ber_oid(cw_slice_make(two, sizeof two), arcs, 8), 2);
    assert_int_equal(arcs[0], 2);
    assert_int_equal(arcs[1], 999);
    /* empty, unterminated, leading zero septet, more than 32 bits, too many arcs */
    static const uint8_t cut[] = {0x04, 0x86}, lead[] = {0x04, 0x80, 0x01},
                         huge[] = {0x04, 0x90, 0x80, 0x80, 0x80, 0x00};
    assert_int_equal(cw_ber_oid(cw_slice_make(ac, 0), arcs, 8), -1);
    assert_int_equal(cw_ber_oid(cw_slice_make(cut, sizeof cut), arcs, 8), -1);
    assert_int_equal(cw_ber_oid(cw_slice_make(lead, sizeof lead), arcs, 8), -1);
    assert_int_equal(cw_ber_oid(cw_slice_make(huge, sizeof huge), arcs, 8), -1);
    assert_int_equal(cw_ber_oid(cw_slice_make(ac, sizeof ac), arcs, 7), -1);
}

static void test_truncation(void **state)
{
    (void)state;
    /* every truncation of a nested message with both length forms: an error or fewer
     * elements, never a read past the exactly-sized copy (ASan) */
    size_t n;
    uint8_t *b = tu_hex("62 80 48 04 01 02 03 04 6c 81 0e a1 0c 02 01 01 02 01 2d 30 80 "
                        "05 00 00 00 00 00",
                        &n);
    assert_int_equal(walk_hex("62 80 48 04 01 02 03 04 6c 81 0e a1 0c 02 01 01 02 01 2d 30 80 "
                              "05 00 00 00 00 00",
                              16),
                     3);
    for (size_t k = 0; k < n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, b, k);
        struct cw_ber_it it;
        struct cw_ber_tlv t;
        cw_ber_init(&it, cw_slice_make(copy, k), 16);
        int r = cw_ber_next(&it, &t);
        assert_int_equal(r, k == 0 ? 0 : CW_BER_EBAD);
        free(copy);
    }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identifier_and_length_forms),
        cmocka_unit_test(test_indefinite),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_integer_and_oid),
        cmocka_unit_test(test_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
