/* test_capture.c - capture files (pcap and pcapng written by hand into a temp dir: good,
 * damaged, not a capture, empty, missing, a directory) and the dissector (hand-built SIP over
 * UDP and TCP through cw_dissect_packet: events, TCP reassembly, retransmissions, gaps,
 * malformed counts, nDPI's verdict). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "capture/dissect.h"
#include "decoder_test.h"
#include "testutil.h"
#include "util/error.h"

/* ---- bytes, little-endian for the file formats, big-endian for packets ---- */

struct buf {
    uint8_t d[8192];
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof b->d);
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void u8(struct buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void le16(struct buf *b, unsigned v)
{
    u8(b, v & 0xff);
    u8(b, (v >> 8) & 0xff);
}

static void le32(struct buf *b, uint32_t v)
{
    le16(b, v & 0xffff);
    le16(b, v >> 16);
}

static void be16(struct buf *b, unsigned v)
{
    u8(b, (v >> 8) & 0xff);
    u8(b, v & 0xff);
}

static void be32(struct buf *b, uint32_t v)
{
    be16(b, v >> 16);
    be16(b, v & 0xffff);
}

static void set_be16(struct buf *b, size_t off, size_t v)
{
    b->d[off] = (uint8_t)(v >> 8);
    b->d[off + 1] = (uint8_t)v;
}

/* ---- pcap files ---- */

struct rec {
    uint32_t sec, usec;
    const uint8_t *data;
    uint32_t caplen, len;
};

/* Classic pcap, little-endian, microsecond timestamps. */
static void pcap_file(struct buf *f, uint32_t linktype, const struct rec *r, size_t n)
{
    f->n = 0;
    le32(f, 0xa1b2c3d4);
    le16(f, 2);
    le16(f, 4);
    le32(f, 0); /* thiszone */
    le32(f, 0); /* sigfigs */
    le32(f, 65535);
    le32(f, linktype);
    for (size_t i = 0; i < n; i++) {
        le32(f, r[i].sec);
        le32(f, r[i].usec);
        le32(f, r[i].caplen);
        le32(f, r[i].len);
        put(f, r[i].data, r[i].caplen);
    }
}

static void pcapng_block(struct buf *f, uint32_t type, const struct buf *body)
{
    uint32_t total = (uint32_t)(12 + body->n);
    le32(f, type);
    le32(f, total);
    put(f, body->d, body->n);
    le32(f, total);
}

/* pcapng: section header, one Ethernet interface (default microsecond resolution), one
 * enhanced packet block per record. */
static void pcapng_file(struct buf *f, const struct rec *r, size_t n)
{
    struct buf body;
    f->n = 0;
    body.n = 0;
    le32(&body, 0x1a2b3c4d); /* byte-order magic */
    le16(&body, 1);
    le16(&body, 0);
    le32(&body, 0xffffffff); /* section length unknown */
    le32(&body, 0xffffffff);
    pcapng_block(f, 0x0a0d0d0a, &body);
    body.n = 0;
    le16(&body, 1); /* LINKTYPE_ETHERNET */
    le16(&body, 0);
    le32(&body, 65535);
    pcapng_block(f, 1, &body);
    for (size_t i = 0; i < n; i++) {
        uint64_t ts = (uint64_t)r[i].sec * 1000000u + r[i].usec;
        body.n = 0;
        le32(&body, 0); /* interface */
        le32(&body, (uint32_t)(ts >> 32));
        le32(&body, (uint32_t)ts);
        le32(&body, r[i].caplen);
        le32(&body, r[i].len);
        put(&body, r[i].data, r[i].caplen);
        while (body.n % 4)
            u8(&body, 0);
        pcapng_block(f, 6, &body);
    }
}

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static const uint8_t F1[] = "first frame: 21 bytes";
static const uint8_t F2[] = "second";
static const uint8_t F3[] = "third frame, cut by the snaplen";

static const struct rec RECS[] = {
    {1767225600, 1, F1, sizeof F1 - 1, sizeof F1 - 1},
    {1767225600, 999999, F2, sizeof F2 - 1, sizeof F2 - 1},
    {1767225661, 500000, F3, 10, sizeof F3 - 1}, /* caplen < len */
};

static void check_records(struct cw_capture *c)
{
    struct cw_raw_pkt pkt;
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(cw_capture_next(c, &pkt), 1);
        assert_int_equal(pkt.frame, i + 1);
        assert_int_equal(pkt.ts_us, (uint64_t)RECS[i].sec * 1000000u + RECS[i].usec);
        assert_int_equal(pkt.caplen, RECS[i].caplen);
        assert_int_equal(pkt.len, RECS[i].len);
        assert_memory_equal(pkt.data, RECS[i].data, RECS[i].caplen);
    }
    assert_int_equal(cw_capture_next(c, &pkt), 0);
}

static void test_pcap_good(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = path_in(dir, "good.pcap");
    struct buf f;
    pcap_file(&f, 1, RECS, 3);
    tu_write_file(path, f.d, f.n);

    struct cw_capture *c = NULL;
    char err[512] = "";
    assert_int_equal(cw_capture_open_file(path, &c, err, sizeof err), 0);
    assert_non_null(c);
    assert_int_equal(cw_capture_linktype(c), 1);
    uint64_t done, total;
    cw_capture_progress(c, &done, &total);
    assert_int_equal(total, f.n);
    check_records(c);
    cw_capture_progress(c, &done, &total);
    assert_int_equal(done, f.n);
    cw_capture_free(c);
    cw_capture_free(NULL);

    /* the link type is the file's LINKTYPE_* value: raw IP (101) and Linux SLL (113) */
    pcap_file(&f, 101, RECS, 1);
    tu_write_file(path, f.d, f.n);
    assert_int_equal(cw_capture_open_file(path, &c, err, sizeof err), 0);
    assert_int_equal(cw_capture_linktype(c), 101);
    cw_capture_free(c);
    pcap_file(&f, 113, RECS, 1);
    tu_write_file(path, f.d, f.n);
    assert_int_equal(cw_capture_open_file(path, &c, err, sizeof err), 0);
    assert_int_equal(cw_capture_linktype(c), 113);
    cw_capture_free(c);

    /* nanosecond-resolution pcap (magic a1b23c4d): timestamps still come in microseconds */
    f.n = 0;
    le32(&f, 0xa1b23c4d);
    le16(&f, 2);
    le16(&f, 4);
    le32(&f, 0);
    le32(&f, 0);
    le32(&f, 65535);
    le32(&f, 1);
    le32(&f, 1767225600);
    le32(&f, 123456789); /* ns */
    le32(&f, 6);
    le32(&f, 6);
    put(&f, F2, 6);
    tu_write_file(path, f.d, f.n);
    assert_int_equal(cw_capture_open_file(path, &c, err, sizeof err), 0);
    struct cw_raw_pkt pkt;
    assert_int_equal(cw_capture_next(c, &pkt), 1);
    assert_int_equal(pkt.ts_us, 1767225600123456ull);
    assert_int_equal(pkt.frame, 1);
    cw_capture_free(c);

    free(path);
    tu_rmrf(dir);
    free(dir);
}

static void test_pcapng_good(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = path_in(dir, "good.pcapng");
    struct buf f;
    pcapng_file(&f, RECS, 3);
    tu_write_file(path, f.d, f.n);
    struct cw_capture *c = NULL;
    char err[512] = "";
    int rc = cw_capture_open_file(path, &c, err, sizeof err);
    if (rc != 0)
        fail_msg("pcapng not opened: %s", err);
    assert_int_equal(cw_capture_linktype(c), 1);
    check_records(c);
    cw_capture_free(c);
    free(path);
    tu_rmrf(dir);
    free(dir);
}

/* A file cut in the middle of a record: the packets before it, then an error naming the file
 * and the last good frame. */
static void test_pcap_cut(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = path_in(dir, "cut.pcap");
    struct buf f;
    pcap_file(&f, 1, RECS, 3);
    size_t cuts[2] = {f.n - 4 /* in the third record's data */,
                      24 + 16 + RECS[0].caplen + 16 + RECS[1].caplen + 7 /* in its header */};
    for (int k = 0; k < 2; k++) {
        tu_write_file(path, f.d, cuts[k]);
        struct cw_capture *c = NULL;
        char err[512] = "";
        assert_int_equal(cw_capture_open_file(path, &c, err, sizeof err), 0);
        struct cw_raw_pkt pkt;
        assert_int_equal(cw_capture_next(c, &pkt), 1);
        assert_int_equal(pkt.frame, 1);
        assert_int_equal(cw_capture_next(c, &pkt), 1);
        assert_int_equal(pkt.frame, 2);
        assert_memory_equal(pkt.data, F2, 6);
        int rc = cw_capture_next(c, &pkt);
        assert_true(rc < 0);
        const char *msg = cw_capture_error(c);
        assert_non_null(msg);
        assert_non_null(strstr(msg, path));
        assert_non_null(strstr(msg, "after frame 2"));
        assert_int_equal(strncmp(msg, path, strlen(path)), 0);
        cw_capture_free(c);
    }

    /* the same in pcapng: cut inside the last enhanced packet block */
    pcapng_file(&f, RECS, 3);
    tu_write_file(path, f.d, f.n - 10);
    struct cw_capture *c = NULL;
    char err[512] = "";
    assert_int_equal(cw_capture_open_file(path, &c, err, sizeof err), 0);
    struct cw_raw_pkt pkt;
    assert_int_equal(cw_capture_next(c, &pkt), 1);
    assert_int_equal(cw_capture_next(c, &pkt), 1);
    assert_true(cw_capture_next(c, &pkt) < 0);
    assert_non_null(strstr(cw_capture_error(c), "after frame 2"));
    cw_capture_free(c);

    free(path);
    tu_rmrf(dir);
    free(dir);
}

static void expect_open_error(const char *path, const char *want, int want_rc)
{
    struct cw_capture *c = (struct cw_capture *)&c; /* must be reset to NULL */
    char err[512] = "";
    int rc = cw_capture_open_file(path, &c, err, sizeof err);
    assert_int_equal(rc, want_rc);
    assert_null(c);
    if (strncmp(err, path, strlen(path)) != 0 || !strstr(err, want))
        fail_msg("open error for %s is \"%s\", expected it to name the file and say \"%s\"",
                 path, err, want);
}

static void test_open_errors(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *text = path_in(dir, "notes.txt");
    const char *words = "this is not a capture file, it is some notes\n";
    tu_write_file(text, words, strlen(words));
    expect_open_error(text, "not a pcap or pcapng capture", CW_EFORMAT);

    /* shorter than any file header */
    char *tiny = path_in(dir, "tiny.pcap");
    tu_write_file(tiny, "\xd4\xc3", 2);
    expect_open_error(tiny, "not a pcap or pcapng capture", CW_EFORMAT);

    char *empty = path_in(dir, "empty.pcap");
    tu_write_file(empty, "", 0);
    expect_open_error(empty, "empty", CW_EFORMAT);

    char *missing = path_in(dir, "missing.pcap");
    expect_open_error(missing, "No such file", CW_EIO);

    expect_open_error(dir, "directory", CW_EINVAL);

    free(text);
    free(tiny);
    free(empty);
    free(missing);
    tu_rmrf(dir);
    free(dir);
}

/* ---- packets for the dissector ---- */

static const uint8_t UE[4] = {10, 1, 0, 5}, PCSCF[4] = {10, 1, 0, 9};

static size_t eth_ip4(struct buf *b, unsigned proto, const uint8_t *src, const uint8_t *dst)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    b->n = 0;
    put(b, macs, 12);
    be16(b, 0x0800);
    size_t off = b->n;
    u8(b, 0x45);
    u8(b, 0);
    be16(b, 0);
    be16(b, 1);
    be16(b, 0x4000);
    u8(b, 64);
    u8(b, proto);
    be16(b, 0);
    put(b, src, 4);
    put(b, dst, 4);
    return off;
}

static void ip4_end(struct buf *b, size_t off)
{
    set_be16(b, off + 2, b->n - off);
}

static void udp_pkt(struct buf *b, const uint8_t *src, const uint8_t *dst, unsigned sport,
                    unsigned dport, const char *payload)
{
    size_t ip = eth_ip4(b, 17, src, dst);
    size_t u = b->n;
    be16(b, sport);
    be16(b, dport);
    be16(b, 0);
    be16(b, 0);
    put(b, payload, strlen(payload));
    set_be16(b, u + 4, b->n - u);
    ip4_end(b, ip);
}

static void tcp_pkt(struct buf *b, const uint8_t *src, const uint8_t *dst, unsigned sport,
                    unsigned dport, uint32_t seq, unsigned flags, const char *data, size_t len)
{
    size_t ip = eth_ip4(b, 6, src, dst);
    be16(b, sport);
    be16(b, dport);
    be32(b, seq);
    be32(b, 0);
    u8(b, 5 << 4);
    u8(b, flags);
    be16(b, 65535);
    be16(b, 0);
    be16(b, 0);
    put(b, data, len);
    ip4_end(b, ip);
}

/* A bare acknowledgment (no data) acknowledging @p ack. */
static void tcp_ack_pkt(struct buf *b, const uint8_t *src, const uint8_t *dst, unsigned sport,
                        unsigned dport, uint32_t seq, uint32_t ack)
{
    size_t ip = eth_ip4(b, 6, src, dst);
    be16(b, sport);
    be16(b, dport);
    be32(b, seq);
    be32(b, ack);
    u8(b, 5 << 4);
    u8(b, 0x10);
    be16(b, 65535);
    be16(b, 0);
    be16(b, 0);
    ip4_end(b, ip);
}

struct fixture {
    struct tu_cap got;
    struct cw_dissector *d;
    uint64_t frame, ts;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    struct cw_event_sink sink = {tu_cap_event, &fx->got, NULL};
    if (cw_dissect_new(&sink, &fx->d) != 0) {
        free(fx);
        return -1;
    }
    fx->ts = 1767225600000000ull;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    cw_dissect_free(fx->d);
    free(fx);
    return 0;
}

/* Feed one frame (wire length @p extra bytes longer than captured); returns its frame number. */
static uint64_t feed_len(struct fixture *fx, const struct buf *b, uint32_t extra,
                         uint32_t file_idx)
{
    struct cw_raw_pkt raw;
    raw.ts_us = fx->ts;
    raw.data = b->d;
    raw.caplen = (uint32_t)b->n;
    raw.len = (uint32_t)b->n + extra;
    raw.frame = ++fx->frame;
    fx->ts += 1000;
    cw_dissect_packet(fx->d, &raw, CW_LINKTYPE_ETHERNET, file_idx);
    return raw.frame;
}

static uint64_t feed(struct fixture *fx, const struct buf *b)
{
    return feed_len(fx, b, 0, 0);
}

static const char SIP_MESSAGE[] =
    "MESSAGE sip:+8613900000002@ims.example.net SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.1.0.5:5060;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "From: \"Alice\" <sip:+8613800000001@ims.example.net>;tag=49583\r\n"
    "To: <sip:+8613900000002@ims.example.net>\r\n"
    "Call-ID: asd88asd77a@10.1.0.5\r\n"
    "CSeq: 1 MESSAGE\r\n"
    "Content-Type: text/plain;charset=UTF-8\r\n"
    "Content-Length: 18\r\n"
    "\r\n"
    "Hello from cw, 1 2";

static void test_dissect_sip_udp(void **state)
{
    struct fixture *fx = *state;
    struct buf b;
    udp_pkt(&b, UE, PCSCF, 5060, 5060, SIP_MESSAGE);
    uint64_t ts = fx->ts;
    uint64_t frame = feed_len(fx, &b, 0, 3);
    assert_int_equal(fx->got.n, 1);
    const struct cw_event *ev = &fx->got.ev[0];
    assert_int_equal(ev->kind, CW_EV_SMS_MO);
    assert_int_equal(ev->proto, CW_PROTO_SIP);
    assert_string_equal(ev->calling, "8613800000001");
    assert_string_equal(ev->called, "8613900000002");
    assert_int_equal(ev->text.len, 18);
    assert_memory_equal(ev->text.p, "Hello from cw, 1 2", 18);
    assert_int_equal(ev->frame, frame);
    assert_int_equal(ev->frame, 1);
    assert_int_equal(ev->file_idx, 3);
    assert_int_equal(ev->ts_us, ts);

    /* a response in the same flow gives no event */
    udp_pkt(&b, PCSCF, UE, 5060, 5060,
            "SIP/2.0 202 Accepted\r\nVia: SIP/2.0/UDP 10.1.0.5:5060;branch=z9hG4bK776asdhds\r\n"
            "From: <sip:+8613800000001@ims.example.net>;tag=49583\r\n"
            "To: <sip:+8613900000002@ims.example.net>;tag=1\r\nCall-ID: asd88asd77a@10.1.0.5\r\n"
            "CSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n");
    feed(fx, &b);
    assert_int_equal(fx->got.n, 1);

    struct cw_dissect_stats st;
    cw_dissect_stats(fx->d, &st);
    assert_int_equal(st.packets, 2);
    assert_int_equal(st.events[CW_EV_SMS_MO], 1);
    assert_int_equal(st.malformed, 0);
    assert_int_equal(st.flows.created, 1);
}

static const char SIP_INVITE[] =
    "INVITE sip:8613900000002@ims.example.net;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 10.1.0.5:5060;branch=z9hG4bKnashds8\r\n"
    "From: <sip:8613800000001@ims.example.net>;tag=1928301774\r\n"
    "To: <sip:8613900000002@ims.example.net>\r\n"
    "Call-ID: a84b4c76e66710@10.1.0.5\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 23\r\n"
    "\r\n"
    "v=0\r\no=- 1 1 IN IP4 x\r\n";

static const char SIP_REGISTER[] =
    "REGISTER sip:ims.example.net SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 10.1.0.5:5060;branch=z9hG4bKreg1\r\n"
    "From: <sip:8613800000001@ims.example.net>;tag=77\r\n"
    "To: <sip:8613800000001@ims.example.net>\r\n"
    "Call-ID: reg-1@10.1.0.5\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

#define ISN 1000000u

/* Handshake of a TCP connection UE:40001 -> PCSCF:5060; returns the first data sequence. */
static uint32_t tcp_open(struct fixture *fx)
{
    struct buf b;
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, ISN, CW_TCP_SYN, "", 0);
    feed(fx, &b);
    tcp_pkt(&b, PCSCF, UE, 5060, 40001, 5000, CW_TCP_SYN | CW_TCP_ACK, "", 0);
    feed(fx, &b);
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, ISN + 1, CW_TCP_ACK, "", 0);
    feed(fx, &b);
    return ISN + 1;
}

static void test_dissect_tcp_segments(void **state)
{
    struct fixture *fx = *state;
    struct buf b;
    uint32_t seq = tcp_open(fx);
    size_t len = strlen(SIP_INVITE);
    size_t cut1 = 40, cut2 = len - 10; /* start line split; headers; end of body */
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq, 0x18, SIP_INVITE, cut1);
    feed(fx, &b);
    assert_int_equal(fx->got.n, 0);
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq + (uint32_t)cut1, 0x18, SIP_INVITE + cut1,
            cut2 - cut1);
    feed(fx, &b);
    assert_int_equal(fx->got.n, 0);
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq + (uint32_t)cut2, 0x18, SIP_INVITE + cut2,
            len - cut2);
    uint64_t last = feed(fx, &b);
    assert_int_equal(fx->got.n, 1);
    const struct cw_event *ev = &fx->got.ev[0];
    assert_int_equal(ev->kind, CW_EV_CALL);
    assert_int_equal(ev->frame, last);
    assert_int_equal(ev->frame, 6);
    assert_string_equal(ev->calling, "8613800000001");
    assert_string_equal(ev->called, "8613900000002");
    assert_int_equal(ev->text.len, 0);

    /* the last segment again: a retransmission, no second event */
    feed(fx, &b);
    assert_int_equal(fx->got.n, 1);
    struct cw_dissect_stats st;
    cw_dissect_stats(fx->d, &st);
    assert_int_equal(st.tcp_retransmissions, 1);
    assert_int_equal(st.tcp_gaps, 0);
    assert_int_equal(st.events[CW_EV_CALL], 1);
    assert_int_equal(st.flows.created, 1);

    /* a segment overlapping what was seen and carrying new bytes: only the new ones count */
    size_t both = strlen(SIP_INVITE) + strlen(SIP_REGISTER);
    char *two = malloc(both + 1);
    assert_non_null(two);
    snprintf(two, both + 1, "%s%s", SIP_INVITE, SIP_REGISTER);
    uint32_t next = seq + (uint32_t)len;
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, next - 10, 0x18, two + len - 10,
            strlen(SIP_REGISTER) + 10);
    uint64_t f = feed(fx, &b);
    assert_int_equal(fx->got.n, 2);
    assert_int_equal(fx->got.ev[1].kind, CW_EV_REGISTER);
    assert_int_equal(fx->got.ev[1].frame, f);
    assert_string_equal(fx->got.ev[1].calling, "8613800000001");
    free(two);
}

static void test_dissect_tcp_two_in_one(void **state)
{
    struct fixture *fx = *state;
    struct buf b;
    uint32_t seq = tcp_open(fx);
    char two[2048];
    int n = snprintf(two, sizeof two, "%s%s", SIP_REGISTER, SIP_INVITE);
    assert_true(n > 0 && (size_t)n < sizeof two);
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq, 0x18, two, (size_t)n);
    uint64_t f = feed(fx, &b);
    assert_int_equal(fx->got.n, 2);
    assert_int_equal(fx->got.ev[0].kind, CW_EV_REGISTER);
    assert_int_equal(fx->got.ev[1].kind, CW_EV_CALL);
    assert_int_equal(fx->got.ev[0].frame, f);
    assert_int_equal(fx->got.ev[1].frame, f);

    /* one and a half messages, then the other half */
    seq += (uint32_t)n;
    n = snprintf(two, sizeof two, "%s%s", SIP_INVITE, SIP_REGISTER);
    size_t half = strlen(SIP_INVITE) + 30;
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq, 0x18, two, half);
    uint64_t f1 = feed(fx, &b);
    assert_int_equal(fx->got.n, 3);
    assert_int_equal(fx->got.ev[2].kind, CW_EV_CALL);
    assert_int_equal(fx->got.ev[2].frame, f1);
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq + (uint32_t)half, 0x18, two + half,
            (size_t)n - half);
    uint64_t f2 = feed(fx, &b);
    assert_int_equal(fx->got.n, 4);
    assert_int_equal(fx->got.ev[3].kind, CW_EV_REGISTER);
    assert_int_equal(fx->got.ev[3].frame, f2);
}

/* A segment beyond the next expected byte: held until the hole fills. Here the hole never
 * fills (lost before the capture): once the receiver acknowledges bytes past it, the partial
 * message is dropped, the gap counted, and the stream picks up again at the next message. */
static void test_dissect_tcp_gap(void **state)
{
    struct fixture *fx = *state;
    struct buf b;
    uint32_t seq = tcp_open(fx);
    size_t len = strlen(SIP_INVITE);
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq, 0x18, SIP_INVITE, 100);
    feed(fx, &b);
    /* bytes 100..199 are lost; the rest of the INVITE arrives */
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq + 200, 0x18, SIP_INVITE + 200, len - 200);
    feed(fx, &b);
    assert_int_equal(fx->got.n, 0);
    struct cw_dissect_stats st;
    cw_dissect_stats(fx->d, &st);
    assert_int_equal(st.tcp_out_of_order, 1);
    assert_int_equal(st.tcp_gaps, 0); /* still waiting for the hole */
    /* the receiver acknowledges the whole INVITE: the hole was lost before the capture */
    tcp_ack_pkt(&b, PCSCF, UE, 5060, 40001, 777, seq + (uint32_t)len);
    feed(fx, &b);
    assert_int_equal(fx->got.n, 0); /* the rest of a message is not a message */
    cw_dissect_stats(fx->d, &st);
    assert_int_equal(st.tcp_gaps, 1);
    /* the next message is decoded */
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq + (uint32_t)len, 0x18, SIP_REGISTER,
            strlen(SIP_REGISTER));
    uint64_t f = feed(fx, &b);
    assert_int_equal(fx->got.n, 1);
    assert_int_equal(fx->got.ev[0].kind, CW_EV_REGISTER);
    assert_int_equal(fx->got.ev[0].frame, f);
    cw_dissect_stats(fx->d, &st);
    assert_int_equal(st.tcp_gaps, 1);
    assert_int_equal(st.tcp_retransmissions, 0);
}

/* The same ports used again by a new connection (after a close that left half a message):
 * the new SYN starts the stream afresh, nothing of the old connection is carried over. */
/* Segments out of order: held, then delivered in order once the hole fills; one event each,
 * at the frame that completed it. */
static void test_dissect_tcp_out_of_order(void **state)
{
    struct fixture *fx = *state;
    struct buf b;
    uint32_t seq = tcp_open(fx);
    char two[4096];
    int n = snprintf(two, sizeof two, "%s%s", SIP_INVITE, SIP_REGISTER);
    size_t a = 120, c = 400;
    /* third piece, then second, then first */
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq + (uint32_t)c, 0x18, two + c, (size_t)n - c);
    feed(fx, &b);
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq + (uint32_t)a, 0x18, two + a, c - a);
    feed(fx, &b);
    assert_int_equal(fx->got.n, 0);
    /* a retransmission of a held piece changes nothing */
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq + (uint32_t)a, 0x18, two + a, c - a);
    feed(fx, &b);
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq, 0x18, two, a);
    uint64_t f = feed(fx, &b);
    assert_int_equal(fx->got.n, 2);
    assert_int_equal(fx->got.ev[0].kind, CW_EV_CALL);
    assert_int_equal(fx->got.ev[1].kind, CW_EV_REGISTER);
    assert_int_equal(fx->got.ev[0].frame, f);
    assert_int_equal(fx->got.ev[1].frame, f);
    struct cw_dissect_stats st;
    cw_dissect_stats(fx->d, &st);
    assert_int_equal(st.tcp_out_of_order, 3);
    assert_int_equal(st.tcp_gaps, 0);
    assert_int_equal(st.tcp_retransmissions, 1);
}

static void test_dissect_tcp_reuse(void **state)
{
    struct fixture *fx = *state;
    struct buf b;
    uint32_t seq = tcp_open(fx);
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq, 0x18, SIP_INVITE, 100);
    feed(fx, &b);
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, seq + 100, CW_TCP_FIN | CW_TCP_ACK, "", 0);
    feed(fx, &b);
    assert_int_equal(fx->got.n, 0);
    /* a new connection, new initial sequence number */
    uint32_t isn2 = 77777u;
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, isn2, CW_TCP_SYN, "", 0);
    feed(fx, &b);
    tcp_pkt(&b, UE, PCSCF, 40001, 5060, isn2 + 1, 0x18, SIP_REGISTER, strlen(SIP_REGISTER));
    uint64_t f = feed(fx, &b);
    assert_int_equal(fx->got.n, 1);
    assert_int_equal(fx->got.ev[0].kind, CW_EV_REGISTER);
    assert_int_equal(fx->got.ev[0].frame, f);
    struct cw_dissect_stats st;
    cw_dissect_stats(fx->d, &st);
    assert_int_equal(st.decode_errors, 0);
    assert_int_equal(st.flows.created, 1);
}

static void test_dissect_stats(void **state)
{
    struct fixture *fx = *state;
    struct buf b;
    uint64_t bytes = 0;

    udp_pkt(&b, UE, PCSCF, 5060, 5060, SIP_MESSAGE);
    feed_len(fx, &b, 0, 0);
    bytes += b.n;
    /* a frame cut by the snaplen: the wire length counts */
    udp_pkt(&b, UE, PCSCF, 5060, 5060, SIP_MESSAGE);
    b.n -= 20;
    feed_len(fx, &b, 20, 0);
    bytes += b.n + 20;
    /* IHL 3 */
    udp_pkt(&b, UE, PCSCF, 5060, 5060, "x");
    b.d[14] = 0x43;
    feed(fx, &b);
    bytes += b.n;
    /* UDP length 4 */
    udp_pkt(&b, UE, PCSCF, 5060, 5060, "x");
    set_be16(&b, 14 + 20 + 4, 4);
    feed(fx, &b);
    bytes += b.n;
    /* 10 bytes of Ethernet */
    b.n = 10;
    feed(fx, &b);
    bytes += 10;
    /* ARP: skipped, not malformed */
    udp_pkt(&b, UE, PCSCF, 1, 2, "");
    set_be16(&b, 12, 0x0806);
    feed(fx, &b);
    bytes += b.n;
    /* ICMP */
    udp_pkt(&b, UE, PCSCF, 1, 2, "");
    b.d[14 + 9] = 1;
    feed(fx, &b);
    bytes += b.n;

    struct cw_dissect_stats st;
    cw_dissect_stats(fx->d, &st);
    assert_int_equal(st.packets, 7);
    assert_int_equal(st.bytes, bytes);
    assert_int_equal(st.malformed, 4);
    assert_int_equal(st.reasons[CW_PKT_BAD_IP_HEADER], 1);
    assert_int_equal(st.reasons[CW_PKT_BAD_UDP], 2); /* UDP length 4, and the snaplen cut */
    assert_int_equal(st.reasons[CW_PKT_TRUNCATED_L2], 1);
    assert_int_equal(st.skipped, 2);
    assert_int_equal(st.reasons[CW_PKT_NOT_IP], 1);
    assert_int_equal(st.reasons[CW_PKT_OTHER_L4], 1);
    assert_int_equal(st.reasons[CW_PKT_OK], 0);
    assert_int_equal(st.events[CW_EV_SMS_MO], 1);
    assert_int_equal(fx->got.n, 1);
}

struct protos {
    char names[512];
    uint64_t sip_flows;
};

static void on_proto(void *user, const char *proto, uint64_t flows)
{
    struct protos *p = user;
    size_t n = strlen(p->names);
    snprintf(p->names + n, sizeof p->names - n, "%s%s=%llu", n ? "," : "", proto,
             (unsigned long long)flows);
    if (strcmp(proto, "SIP") == 0)
        p->sip_flows = flows;
}

static void test_dissect_ndpi(void **state)
{
    struct fixture *fx = *state;
    struct buf b;
    /* one SIP flow over UDP: a MESSAGE and its answer */
    udp_pkt(&b, UE, PCSCF, 5060, 5060, SIP_MESSAGE);
    feed(fx, &b);
    udp_pkt(&b, PCSCF, UE, 5060, 5060,
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.1.0.5:5060;branch=z9hG4bK776asdhds\r\n"
            "From: <sip:+8613800000001@ims.example.net>;tag=49583\r\n"
            "To: <sip:+8613900000002@ims.example.net>;tag=1\r\nCall-ID: asd88asd77a@10.1.0.5\r\n"
            "CSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n");
    feed(fx, &b);
    cw_dissect_finish(fx->d);
    /* after finish no packet is taken */
    udp_pkt(&b, UE, PCSCF, 5060, 5060, SIP_MESSAGE);
    feed(fx, &b);
    assert_int_equal(fx->got.n, 1);

    struct protos p;
    memset(&p, 0, sizeof p);
    cw_dissect_proto_flows(fx->d, on_proto, &p);
    if (p.sip_flows != 1)
        fail_msg("nDPI flows by protocol: \"%s\", expected SIP=1", p.names);
    struct cw_dissect_stats st;
    cw_dissect_stats(fx->d, &st);
    assert_int_equal(st.packets, 2);
    assert_int_equal(st.flows.created, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_good),
        cmocka_unit_test(test_pcapng_good),
        cmocka_unit_test(test_pcap_cut),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test_setup_teardown(test_dissect_sip_udp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dissect_tcp_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dissect_tcp_two_in_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dissect_tcp_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dissect_tcp_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dissect_tcp_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dissect_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dissect_ndpi, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
