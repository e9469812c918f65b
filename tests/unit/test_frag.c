/* test_frag.c - IP fragment reassembly through the dissector: a SIP MESSAGE over UDP cut into
 * IPv4 and IPv6 fragments arrives in order, out of order, with duplicates and overlaps, with a
 * piece missing; the event appears exactly when the datagram is whole, never from a part. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "capture/dissect.h"
#include "capture/frag.h"
#include "synth/pktbuild.h"

static const char MESSAGE[] =
    "MESSAGE sip:8613800000004@ims.example.net SIP/2.0\r\n"
    "From: <sip:8613800000003@ims.example.net>;tag=1\r\n"
    "To: <sip:8613800000004@ims.example.net>\r\n"
    "Call-ID: frag@test\r\nCSeq: 1 MESSAGE\r\n"
    "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 20\r\n\r\n"
    "fragmented message!!";

struct cap {
    int n;
    char calling[CW_NUM_MAX];
    char text[32];
    uint64_t frame;
};

static void on_event(void *user, const struct cw_event *ev)
{
    struct cap *c = user;
    c->n++;
    memcpy(c->calling, ev->calling, CW_NUM_MAX);
    size_t tl = ev->text.len < 31 ? ev->text.len : 31;
    if (tl)
        memcpy(c->text, ev->text.p, tl);
    c->text[tl] = 0;
    c->frame = ev->frame;
}

/* The whole UDP datagram in one Ethernet frame, and its IP payload (UDP header + SIP). */
struct whole {
    uint8_t frame[2048];
    size_t len, ip_off, hdr_len, payload_len;
    int ipver;
};

static void build(struct whole *w, int ipver)
{
    struct cw_pkt_addr a;
    memset(&a, 0, sizeof a);
    assert_int_equal(cw_pkt_addr_set(&a, ipver == 4 ? "10.1.0.1" : "2001:db8::1",
                                     ipver == 4 ? "10.1.0.2" : "2001:db8::2"),
                     0);
    a.sport = 5060;
    a.dport = 5060;
    a.ip_id = 0x4242;
    w->len = cw_pkt_build_udp(w->frame, sizeof w->frame, &a, MESSAGE, sizeof MESSAGE - 1);
    assert_true(w->len > 0);
    w->ipver = ipver;
    w->ip_off = 14;
    w->hdr_len = ipver == 4 ? 20 : 40;
    w->payload_len = w->len - w->ip_off - w->hdr_len;
}

/* Fragment [off, off+n) of the IP payload as its own Ethernet frame. */
static size_t fragment(const struct whole *w, size_t off, size_t n, int more, uint8_t *out)
{
    size_t o = 0;
    memcpy(out, w->frame, w->ip_off + w->hdr_len);
    o = w->ip_off + w->hdr_len;
    uint8_t *ip = out + w->ip_off;
    if (w->ipver == 4) {
        size_t total = w->hdr_len + n;
        ip[2] = (uint8_t)(total >> 8);
        ip[3] = (uint8_t)total;
        unsigned fo = (unsigned)(off / 8) | (more ? 0x2000u : 0);
        ip[6] = (uint8_t)(fo >> 8);
        ip[7] = (uint8_t)fo;
    } else {
        ip[6] = 44; /* next header: fragment */
        size_t plen = 8 + n;
        ip[4] = (uint8_t)(plen >> 8);
        ip[5] = (uint8_t)plen;
        unsigned om = (unsigned)off | (more ? 1u : 0);
        uint8_t fh[8] = {17, 0, (uint8_t)(om >> 8), (uint8_t)om, 0, 0, 0x42, 0x42};
        memcpy(out + o, fh, 8);
        o += 8;
    }
    memcpy(out + o, w->frame + w->ip_off + w->hdr_len + off, n);
    return o + n;
}

struct run {
    struct cw_dissector *d;
    struct cap cap;
    uint64_t frame;
};

static void setup_run(struct run *r)
{
    memset(r, 0, sizeof *r);
    struct cw_event_sink sink = {on_event, &r->cap, NULL};
    assert_int_equal(cw_dissect_new(&sink, &r->d), 0);
}

static void send_piece(struct run *r, const struct whole *w, size_t off, size_t n, int more,
                       uint64_t ts_s)
{
    uint8_t buf[2048];
    size_t len = fragment(w, off, n, more, buf);
    r->frame++;
    struct cw_raw_pkt raw = {ts_s * 1000000u, buf, (uint32_t)len, (uint32_t)len, r->frame,
                             CW_LINKTYPE_ETHERNET};
    cw_dissect_packet(r->d, &raw, CW_LINKTYPE_ETHERNET, 0);
}

static void check_event(const struct run *r, uint64_t frame)
{
    assert_int_equal(r->cap.n, 1);
    assert_string_equal(r->cap.calling, "8613800000003");
    assert_string_equal(r->cap.text, "fragmented message!!");
    assert_int_equal(r->cap.frame, frame);
}

static void in_order(int ipver)
{
    struct whole w;
    build(&w, ipver);
    struct run r;
    setup_run(&r);
    size_t n = w.payload_len;
    send_piece(&r, &w, 0, 96, 1, 1);
    send_piece(&r, &w, 96, 96, 1, 1);
    assert_int_equal(r.cap.n, 0); /* no event from a part */
    send_piece(&r, &w, 192, n - 192, 0, 1);
    check_event(&r, 3);
    struct cw_dissect_stats st;
    cw_dissect_stats(r.d, &st);
    assert_int_equal(st.frags.fragments, 3);
    assert_int_equal(st.frags.reassembled, 1);
    assert_int_equal(st.frags.overlaps, 0);
    assert_int_equal(st.malformed, 0);
    cw_dissect_free(r.d);
}

static void test_ipv4_in_order(void **state)
{
    (void)state;
    in_order(4);
}

static void test_ipv6_in_order(void **state)
{
    (void)state;
    in_order(6);
}

static void test_out_of_order_duplicate_overlap(void **state)
{
    (void)state;
    struct whole w;
    build(&w, 4);
    struct run r;
    setup_run(&r);
    size_t n = w.payload_len;
    send_piece(&r, &w, 192, n - 192, 0, 1); /* last first */
    send_piece(&r, &w, 96, 96, 1, 1);
    send_piece(&r, &w, 96, 96, 1, 1);  /* duplicate */
    send_piece(&r, &w, 64, 64, 1, 1);  /* overlaps the middle piece */
    assert_int_equal(r.cap.n, 0);
    send_piece(&r, &w, 0, 96, 1, 1);   /* completes */
    check_event(&r, 5);
    struct cw_dissect_stats st;
    cw_dissect_stats(r.d, &st);
    assert_int_equal(st.frags.reassembled, 1);
    assert_int_equal(st.frags.overlaps, 3); /* duplicate, overlap, and the first piece's tail */
    cw_dissect_free(r.d);
}

static void test_missing_piece_times_out(void **state)
{
    (void)state;
    struct whole w;
    build(&w, 4);
    struct run r;
    setup_run(&r);
    size_t n = w.payload_len;
    send_piece(&r, &w, 0, 96, 1, 1);
    send_piece(&r, &w, 192, n - 192, 0, 1);
    /* the middle piece comes 60 s later: the datagram was given up, nothing is made of it */
    send_piece(&r, &w, 96, 96, 1, 61);
    assert_int_equal(r.cap.n, 0);
    struct cw_dissect_stats st;
    cw_dissect_stats(r.d, &st);
    assert_int_equal(st.frags.timeouts, 1);
    assert_int_equal(st.frags.reassembled, 0);
    cw_dissect_free(r.d);
}

static void test_unusable_fragments(void **state)
{
    (void)state;
    struct whole w;
    build(&w, 4);
    struct run r;
    setup_run(&r);
    /* a middle fragment whose length is not a multiple of 8 */
    send_piece(&r, &w, 0, 90, 1, 1);
    /* a fragment reaching past 64 KiB */
    uint8_t buf[2048];
    size_t len = fragment(&w, 0, 64, 1, buf);
    buf[14 + 6] = 0x1f; /* offset 8191 * 8 */
    buf[14 + 7] = 0xff;
    r.frame++;
    struct cw_raw_pkt raw = {1000000u, buf, (uint32_t)len, (uint32_t)len, r.frame,
                             CW_LINKTYPE_ETHERNET};
    cw_dissect_packet(r.d, &raw, CW_LINKTYPE_ETHERNET, 0);
    struct cw_dissect_stats st;
    cw_dissect_stats(r.d, &st);
    assert_int_equal(st.frags.bad, 2);
    assert_int_equal(r.cap.n, 0);
    cw_dissect_free(r.d);
}

static void test_table_bounded(void **state)
{
    (void)state;
    struct cw_frag_table *t;
    assert_int_equal(cw_frag_new(4, 30000000u, &t), 0);
    uint8_t hdr[20] = {0x45};
    struct cw_pkt p;
    memset(&p, 0, sizeof p);
    p.ipver = 4;
    p.l3 = hdr;
    p.frag_more = 1;
    p.frag_proto = 17;
    p.payload = cw_slice_make("01234567", 8);
    const uint8_t *ip;
    size_t len;
    for (uint32_t id = 0; id < 10; id++) { /* ten datagrams, room for four */
        p.frag_id = id;
        assert_int_equal(cw_frag_add(t, &p, 1000, &ip, &len), 0);
    }
    struct cw_frag_stats st;
    cw_frag_stats(t, &st);
    assert_int_equal(st.fragments, 10);
    assert_int_equal(st.evicted, 6);
    /* the most recent one is still there: its last piece completes it */
    p.frag_id = 9;
    p.frag_offset = 8;
    p.frag_more = 0;
    p.payload = cw_slice_make("89", 2);
    assert_int_equal(cw_frag_add(t, &p, 1000, &ip, &len), 1);
    assert_int_equal(len, 20 + 10);
    assert_memory_equal(ip + 20, "0123456789", 10);
    assert_int_equal(ip[2] << 8 | ip[3], 30); /* total length fixed */
    assert_int_equal(ip[6] & 0x3f, 0);        /* no MF, offset 0 */
    cw_frag_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_in_order),
        cmocka_unit_test(test_ipv6_in_order),
        cmocka_unit_test(test_out_of_order_duplicate_overlap),
        cmocka_unit_test(test_missing_piece_times_out),
        cmocka_unit_test(test_unusable_fragments),
        cmocka_unit_test(test_table_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
