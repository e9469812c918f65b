/* test_sctp.c - SCTP: the common header in the packet decode, the chunk walk, and the
 * dissector's handling of DATA chunks (several per packet, fragmented user messages, chunks
 * that lie about their length), with SIP as the payload so that events show what arrived. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/dissect.h"
#include "capture/packet.h"
#include "capture/sctp.h"

struct frame {
    uint8_t d[4096];
    size_t n;
};

static void put(struct frame *f, const void *p, size_t n)
{
    assert_true(f->n + n <= sizeof f->d);
    memcpy(f->d + f->n, p, n);
    f->n += n;
}

static void be16(struct frame *f, unsigned v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(f, b, 2);
}

static void be32(struct frame *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(f, b, 4);
}

/* Ethernet + IPv4 (protocol 132) + SCTP common header, ports 5060 -> 5060; chunks follow. */
static void start(struct frame *f, int reverse)
{
    static const uint8_t eth[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00};
    f->n = 0;
    put(f, eth, sizeof eth);
    uint8_t ip[20] = {0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 132, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    if (reverse) {
        ip[15] = 2;
        ip[19] = 1;
    }
    put(f, ip, sizeof ip);
    be16(f, 5060);
    be16(f, 5060);
    be32(f, 0x11223344); /* verification tag */
    be32(f, 0);          /* checksum (not checked) */
}

static void finish(struct frame *f)
{
    size_t iplen = f->n - 14;
    f->d[16] = (uint8_t)(iplen >> 8);
    f->d[17] = (uint8_t)iplen;
}

static void data_chunk(struct frame *f, unsigned flags, uint32_t tsn, uint16_t stream,
                       uint32_t ppid, const char *payload, size_t len)
{
    f->d[f->n] = 0; /* DATA */
    f->n++;
    put(f, (uint8_t[]){(uint8_t)flags}, 1);
    be16(f, (unsigned)(16 + len));
    be32(f, tsn);
    be16(f, stream);
    be16(f, 0);
    be32(f, ppid);
    put(f, payload, len);
    while (f->n % 4 != 2) /* pad: the chunk area starts 2 bytes past a multiple of 4 (eth) */
        put(f, "", 1);
}

static const char INVITE[] = "INVITE sip:8613800000002@ims.example.net SIP/2.0\r\n"
                             "From: <sip:8613800000001@ims.example.net>;tag=1\r\n"
                             "To: <sip:8613800000002@ims.example.net>\r\n"
                             "Call-ID: a@b\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
static const char MESSAGE[] = "MESSAGE sip:8613800000004@ims.example.net SIP/2.0\r\n"
                              "From: <sip:8613800000003@ims.example.net>;tag=1\r\n"
                              "To: <sip:8613800000004@ims.example.net>\r\n"
                              "Call-ID: c@d\r\nCSeq: 1 MESSAGE\r\n"
                              "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

struct cap {
    int n;
    char calling[8][CW_NUM_MAX];
    uint8_t kind[8];
    uint64_t frame[8];
    char text[8][16];
};

static void on_event(void *user, const struct cw_event *ev)
{
    struct cap *c = user;
    if (c->n == 8)
        return;
    memcpy(c->calling[c->n], ev->calling, CW_NUM_MAX);
    c->kind[c->n] = ev->kind;
    c->frame[c->n] = ev->frame;
    size_t tl = ev->text.len < 15 ? ev->text.len : 15;
    if (tl)
        memcpy(c->text[c->n], ev->text.p, tl);
    c->text[c->n][tl] = 0;
    c->n++;
}

static void feed(struct cw_dissector *d, const struct frame *f, uint64_t frame_no)
{
    struct cw_raw_pkt raw = {1000000u * frame_no, f->d, (uint32_t)f->n, (uint32_t)f->n,
                             frame_no, CW_LINKTYPE_ETHERNET};
    cw_dissect_packet(d, &raw, CW_LINKTYPE_ETHERNET, 0);
}

static void test_header_decode(void **state)
{
    (void)state;
    struct frame f;
    start(&f, 0);
    data_chunk(&f, 3, 1, 0, 0, INVITE, sizeof INVITE - 1);
    finish(&f);
    struct cw_pkt p;
    assert_int_equal(cw_pkt_decode(f.d, f.n, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.l4proto, CW_L4_SCTP);
    assert_int_equal(p.sport, 5060);
    assert_int_equal(p.dport, 5060);
    assert_ptr_equal(p.payload.p, f.d + 14 + 20 + 12);
    assert_int_equal(p.payload.len, f.n - 46);
    /* cut inside the common header */
    for (size_t n = 34; n < 46; n++) {
        finish(&f);
        assert_int_equal(cw_pkt_decode(f.d, n, CW_LINKTYPE_ETHERNET, &p) != CW_PKT_OK, 1);
    }
}

static void test_chunk_walk(void **state)
{
    (void)state;
    struct frame f;
    start(&f, 0);
    data_chunk(&f, 3, 7, 2, 46, "abcde", 5);
    put(&f, (uint8_t[]){3, 0, 0, 16, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0}, 16); /* SACK */
    data_chunk(&f, 1, 8, 2, 46, "xy", 2);
    finish(&f);
    struct cw_cursor c = cw_cur_make(f.d + 46, f.n - 46);
    struct cw_sctp_chunk ch;
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), 1);
    assert_int_equal(ch.type, CW_SCTP_DATA);
    assert_int_equal(ch.flags, 3);
    assert_int_equal(ch.tsn, 7);
    assert_int_equal(ch.stream, 2);
    assert_int_equal(ch.ppid, 46);
    assert_int_equal(ch.data.len, 5);
    assert_memory_equal(ch.data.p, "abcde", 5);
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), 1);
    assert_int_equal(ch.type, 3);
    assert_int_equal(ch.data.len, 12);
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), 1);
    assert_int_equal(ch.tsn, 8);
    assert_int_equal(ch.data.len, 2);
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), 0);

    /* lying lengths: below 4, past the end, a DATA chunk shorter than its header */
    static const uint8_t small[] = {0, 3, 0, 3};
    c = cw_cur_make(small, sizeof small);
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), -1);
    static const uint8_t past[] = {0, 3, 0, 40, 1, 2, 3, 4};
    c = cw_cur_make(past, sizeof past);
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), -1);
    static const uint8_t shortdata[] = {0, 3, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0};
    c = cw_cur_make(shortdata, sizeof shortdata);
    assert_int_equal(cw_sctp_next_chunk(&c, &ch), -1);
    /* every truncation of a good chunk area: never a chunk past the end */
    for (size_t n = 0; n <= f.n - 46; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, f.d + 46, n);
        c = cw_cur_make(copy, n);
        int rc;
        while ((rc = cw_sctp_next_chunk(&c, &ch)) == 1)
            assert_true(ch.data.p + ch.data.len <= copy + n);
        free(copy);
    }
}

static void test_dissect_chunks_and_fragments(void **state)
{
    (void)state;
    struct cap cap;
    memset(&cap, 0, sizeof cap);
    struct cw_event_sink sink = {on_event, &cap, NULL};
    struct cw_dissector *d;
    assert_int_equal(cw_dissect_new(&sink, &d), 0);
    struct frame f;

    /* two whole messages in one packet */
    start(&f, 0);
    data_chunk(&f, 3, 1, 0, 0, INVITE, sizeof INVITE - 1);
    data_chunk(&f, 3, 2, 1, 0, MESSAGE, sizeof MESSAGE - 1);
    finish(&f);
    feed(d, &f, 1);
    assert_int_equal(cap.n, 2);
    assert_int_equal(cap.kind[0], CW_EV_CALL);
    assert_string_equal(cap.calling[0], "8613800000001");
    assert_int_equal(cap.kind[1], CW_EV_SMS_MO);
    assert_string_equal(cap.text[1], "hello");

    /* one message in three fragments over three packets: one event, at the last one */
    size_t n = sizeof MESSAGE - 1, a = 40, b = 90;
    start(&f, 1);
    data_chunk(&f, 2, 10, 3, 0, MESSAGE, a);
    finish(&f);
    feed(d, &f, 2);
    start(&f, 1);
    data_chunk(&f, 0, 11, 3, 0, MESSAGE + a, b - a);
    finish(&f);
    feed(d, &f, 3);
    assert_int_equal(cap.n, 2);
    start(&f, 1);
    data_chunk(&f, 1, 12, 3, 0, MESSAGE + b, n - b);
    finish(&f);
    feed(d, &f, 4);
    assert_int_equal(cap.n, 3);
    assert_int_equal(cap.frame[2], 4);
    assert_string_equal(cap.calling[2], "8613800000003");
    assert_string_equal(cap.text[2], "hello");

    /* a missing middle fragment: nothing half-decoded, the loss counted */
    start(&f, 1);
    data_chunk(&f, 2, 20, 3, 0, MESSAGE, a);
    finish(&f);
    feed(d, &f, 5);
    start(&f, 1);
    data_chunk(&f, 1, 22, 3, 0, MESSAGE + b, n - b);
    finish(&f);
    feed(d, &f, 6);
    assert_int_equal(cap.n, 3);

    /* a chunk that lies about its length: counted, no crash */
    start(&f, 0);
    put(&f, (uint8_t[]){0, 3, 0x10, 0, 0, 0, 0, 1}, 8);
    finish(&f);
    feed(d, &f, 7);

    struct cw_dissect_stats st;
    cw_dissect_stats(d, &st);
    assert_int_equal(st.sctp_data, 7);
    assert_int_equal(st.sctp_reassembled, 1);
    assert_int_equal(st.sctp_lost_fragments, 1);
    assert_int_equal(st.sctp_bad_chunks, 1);
    assert_int_equal(st.malformed, 0);
    cw_dissect_free(d);
}

/* A DATA chunk whose TSN was delivered already (an SCTP retransmission, or one packet seen on
 * two taps) gives no second event; it is counted. TSNs out of order are not retransmissions. */
static void test_dissect_retransmission(void **state)
{
    (void)state;
    struct cap cap;
    memset(&cap, 0, sizeof cap);
    struct cw_event_sink sink = {on_event, &cap, NULL};
    struct cw_dissector *d;
    assert_int_equal(cw_dissect_new(&sink, &d), 0);
    struct frame f;
    static const uint32_t tsns[] = {5, 5, 7, 6, 7, 20, 6};
    for (size_t i = 0; i < sizeof tsns / sizeof tsns[0]; i++) {
        start(&f, 0);
        data_chunk(&f, 3, tsns[i], 0, 0, INVITE, sizeof INVITE - 1);
        finish(&f);
        feed(d, &f, i + 1);
    }
    /* 5, 7, 6 and 20 are new; the second 5, the second 7 and the last 6 are not */
    assert_int_equal(cap.n, 4);
    assert_int_equal(cap.frame[0], 1);
    assert_int_equal(cap.frame[1], 3);
    assert_int_equal(cap.frame[2], 4);
    assert_int_equal(cap.frame[3], 6);
    /* the other direction keeps its own TSNs */
    start(&f, 1);
    data_chunk(&f, 3, 5, 0, 0, INVITE, sizeof INVITE - 1);
    finish(&f);
    feed(d, &f, 8);
    assert_int_equal(cap.n, 5);
    struct cw_dissect_stats st;
    cw_dissect_stats(d, &st);
    assert_int_equal(st.sctp_retransmissions, 3);
    cw_dissect_free(d);
}

/* Fragments of several messages in progress at once: two streams interleaved, and two messages
 * of one stream whose packets came out of order (TSNs 41 B, 43 B, 42 E, 44 E): each message is
 * joined from its own fragments, by TSN. */
static void test_dissect_interleaved_fragments(void **state)
{
    (void)state;
    struct cap cap;
    memset(&cap, 0, sizeof cap);
    struct cw_event_sink sink = {on_event, &cap, NULL};
    struct cw_dissector *d;
    assert_int_equal(cw_dissect_new(&sink, &d), 0);
    size_t n = sizeof MESSAGE - 1, a = 50;
    static const struct {
        uint32_t tsn;
        uint16_t stream;
        int first;
        const char *msg;
    } order[] = {
        {30, 1, 1, INVITE}, {40, 2, 1, MESSAGE}, {31, 1, 0, INVITE}, {41, 2, 0, MESSAGE},
        {50, 3, 1, INVITE}, {52, 3, 1, MESSAGE}, {51, 3, 0, INVITE}, {53, 3, 0, MESSAGE},
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *m = order[i].msg;
        size_t len = m == INVITE ? sizeof INVITE - 1 : n;
        struct frame f;
        start(&f, 0);
        if (order[i].first)
            data_chunk(&f, 2, order[i].tsn, order[i].stream, 0, m, a);
        else
            data_chunk(&f, 1, order[i].tsn, order[i].stream, 0, m + a, len - a);
        finish(&f);
        feed(d, &f, i + 1);
    }
    assert_int_equal(cap.n, 4);
    assert_int_equal(cap.kind[0], CW_EV_CALL);
    assert_int_equal(cap.frame[0], 3);
    assert_int_equal(cap.kind[1], CW_EV_SMS_MO);
    assert_string_equal(cap.text[1], "hello");
    assert_int_equal(cap.frame[1], 4);
    assert_int_equal(cap.kind[2], CW_EV_CALL);
    assert_int_equal(cap.frame[2], 7);
    assert_int_equal(cap.kind[3], CW_EV_SMS_MO);
    assert_int_equal(cap.frame[3], 8);
    struct cw_dissect_stats st;
    cw_dissect_stats(d, &st);
    assert_int_equal(st.sctp_reassembled, 4);
    assert_int_equal(st.sctp_lost_fragments, 0);
    /* more beginnings than slots: the oldest message is given up, counted */
    for (uint32_t k = 0; k <= CW_SCTP_PARTS; k++) {
        struct frame f;
        start(&f, 0);
        data_chunk(&f, 2, 100 + 2 * k, (uint16_t)k, 0, MESSAGE, a);
        finish(&f);
        feed(d, &f, 20 + k);
    }
    cw_dissect_stats(d, &st);
    assert_int_equal(st.sctp_lost_fragments, 1);
    cw_dissect_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_decode),
        cmocka_unit_test(test_chunk_walk),
        cmocka_unit_test(test_dissect_chunks_and_fragments),
        cmocka_unit_test(test_dissect_retransmission),
        cmocka_unit_test(test_dissect_interleaved_fragments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
