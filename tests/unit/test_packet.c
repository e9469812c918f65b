/* test_packet.c - cw_pkt_decode on hand-built frames: every link layer, IPv4/IPv6 (extension
 * headers, fragments), UDP/TCP, GRE and GTP-U tunnels; and the malformed ones, including every
 * valid frame cut at every length from 0 to n (each cut copied into an exactly-sized buffer, so
 * AddressSanitizer sees any read past the end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/packet.h"
#include "testutil.h"

/* ---- a small frame builder: fields written one by one, lengths patched at the end ---- */

struct pb {
    uint8_t d[4096];
    size_t n;
};

static void put(struct pb *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof b->d);
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void u8(struct pb *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void u16(struct pb *b, unsigned v)
{
    u8(b, v >> 8);
    u8(b, v);
}

static void u32(struct pb *b, uint32_t v)
{
    u16(b, v >> 16);
    u16(b, v & 0xffff);
}

static void zeros(struct pb *b, size_t n)
{
    while (n--)
        u8(b, 0);
}

static void str(struct pb *b, const char *s)
{
    put(b, s, strlen(s));
}

/* A string literal that may hold NUL bytes, all of it. */
#define BIN(b, lit) put((b), (lit), sizeof(lit) - 1)

static void set16(struct pb *b, size_t off, size_t v)
{
    assert_true(v <= 0xffff);
    b->d[off] = (uint8_t)(v >> 8);
    b->d[off + 1] = (uint8_t)v;
}

static const uint8_t A4[4] = {10, 0, 0, 1}, B4[4] = {10, 0, 0, 2};
static const uint8_t C4[4] = {192, 168, 7, 1}, D4[4] = {192, 168, 7, 2};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const char PAYLOAD[] = "MESSAGE sip:1234@x SIP/2.0\r\n";

static void eth(struct pb *b, unsigned type)
{
    static const uint8_t macs[12] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                                     0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
    put(b, macs, sizeof macs);
    u16(b, type);
}

/* IPv4 header without options; returns its offset for ip4_end(). */
static size_t ip4(struct pb *b, unsigned proto, const uint8_t *src, const uint8_t *dst)
{
    size_t off = b->n;
    u8(b, 0x45);
    u8(b, 0);
    u16(b, 0); /* total length, patched */
    u16(b, 0x1234);
    u16(b, 0x4000); /* DF */
    u8(b, 64);
    u8(b, proto);
    u16(b, 0); /* checksum, patched */
    put(b, src, 4);
    put(b, dst, 4);
    return off;
}

static void ip4_end(struct pb *b, size_t off)
{
    set16(b, off + 2, b->n - off);
    uint32_t sum = 0;
    for (size_t i = 0; i < 20; i += 2)
        sum += (uint32_t)(b->d[off + i] << 8 | b->d[off + i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    set16(b, off + 10, ~sum & 0xffff);
}

static size_t ip6(struct pb *b, unsigned next, const uint8_t *src, const uint8_t *dst)
{
    size_t off = b->n;
    u32(b, 0x60000000);
    u16(b, 0); /* payload length, patched */
    u8(b, next);
    u8(b, 64);
    put(b, src, 16);
    put(b, dst, 16);
    return off;
}

static void ip6_end(struct pb *b, size_t off)
{
    set16(b, off + 4, b->n - off - 40);
}

static size_t udp(struct pb *b, unsigned sport, unsigned dport)
{
    size_t off = b->n;
    u16(b, sport);
    u16(b, dport);
    u16(b, 0); /* length, patched */
    u16(b, 0); /* no checksum */
    return off;
}

static void udp_end(struct pb *b, size_t off)
{
    set16(b, off + 4, b->n - off);
}

/* Ethernet / IPv4 / UDP 5060 -> 5061 / PAYLOAD. */
static void build_eth_udp(struct pb *b)
{
    eth(b, 0x0800);
    size_t ip = ip4(b, 17, A4, B4);
    size_t u = udp(b, 5060, 5061);
    str(b, PAYLOAD);
    udp_end(b, u);
    ip4_end(b, ip);
}

/* IPv4 / UDP / PAYLOAD with no link header (raw IP, loopback and SLL bodies). */
static void build_ip4_udp(struct pb *b)
{
    size_t ip = ip4(b, 17, A4, B4);
    size_t u = udp(b, 5060, 5061);
    str(b, PAYLOAD);
    udp_end(b, u);
    ip4_end(b, ip);
}

static void build_ip6_udp(struct pb *b, const uint8_t *src, const uint8_t *dst)
{
    size_t ip = ip6(b, 17, src, dst);
    size_t u = udp(b, 5060, 5061);
    str(b, PAYLOAD);
    udp_end(b, u);
    ip6_end(b, ip);
}

/* ---- checks ---- */

static void assert_payload(const struct cw_pkt *p, const struct pb *b, const char *want)
{
    size_t n = strlen(want);
    assert_non_null(p->payload.p);
    assert_int_equal(p->payload.len, n);
    assert_memory_equal(p->payload.p, want, n);
    /* zero-copy: the payload points into the frame, at its end here */
    assert_ptr_equal(p->payload.p, b->d + b->n - n);
}

static int decode(const struct pb *b, int lt, struct cw_pkt *p)
{
    memset(p, 0xa5, sizeof *p); /* stale values must not pass for decoded ones */
    return cw_pkt_decode(b->d, b->n, lt, p);
}

/* Every cut of the frame from 0 to n bytes, each in an exactly-sized heap copy. Below
 * @p ok_from bytes a reason must come back; at any length an OK packet must point inside. */
static void truncations(const struct pb *b, int lt, size_t ok_from)
{
    for (size_t cut = 0; cut <= b->n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        assert_non_null(copy);
        memcpy(copy, b->d, cut);
        struct cw_pkt p;
        memset(&p, 0, sizeof p);
        int rc = cw_pkt_decode(copy, cut, lt, &p);
        assert_in_range(rc, CW_PKT_OK, CW_PKT__COUNT - 1);
        if (cut < ok_from && rc == CW_PKT_OK)
            fail_msg("frame cut to %zu of %zu bytes decoded as OK", cut, b->n);
        if (rc == CW_PKT_OK) {
            assert_true(p.payload.p >= copy || p.payload.len == 0);
            assert_true(p.payload.p + p.payload.len <= copy + cut);
            assert_true(p.l3 >= copy && p.l3 + p.l3_len <= copy + cut);
        }
        if (cut == b->n)
            assert_int_equal(rc, CW_PKT_OK);
        free(copy);
    }
}

/* ---- valid frames ---- */

/* Written out by hand (not with the builder): Ethernet, IPv4 192.168.0.1 -> 192.168.0.2,
 * UDP 5060 -> 5061, 8 bytes of payload "cardwtch". */
static void test_eth_ipv4_udp_hex(void **state)
{
    (void)state;
    size_t len;
    uint8_t *f = tu_hex("001122334455 66778899aabb 0800"
                        "4500 0024 0001 0000 4011 f974 c0a80001 c0a80002"
                        "13c4 13c5 0010 0000"
                        "6361726477746368",
                        &len);
    assert_int_equal(len, 14 + 20 + 8 + 8);
    struct cw_pkt p;
    assert_int_equal(cw_pkt_decode(f, len, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.ipver, 4);
    assert_int_equal(p.l4proto, CW_L4_UDP);
    assert_int_equal(p.tunnels, 0);
    assert_int_equal(p.sport, 5060);
    assert_int_equal(p.dport, 5061);
    assert_memory_equal(p.src, "\xc0\xa8\x00\x01", 4);
    assert_memory_equal(p.dst, "\xc0\xa8\x00\x02", 4);
    assert_ptr_equal(p.l3, f + 14);
    assert_int_equal(p.l3_len, 36);
    assert_ptr_equal(p.payload.p, f + 42);
    assert_int_equal(p.payload.len, 8);
    assert_memory_equal(p.payload.p, "cardwtch", 8);
    free(f);
}

static void test_eth_ipv4_udp(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_eth_udp(&b);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.ipver, 4);
    assert_int_equal(p.l4proto, CW_L4_UDP);
    assert_int_equal(p.tunnels, 0);
    assert_int_equal(p.sport, 5060);
    assert_int_equal(p.dport, 5061);
    assert_int_equal(p.tcp_flags, 0);
    assert_memory_equal(p.src, A4, 4);
    assert_memory_equal(p.dst, B4, 4);
    assert_ptr_equal(p.l3, b.d + 14);
    assert_int_equal(p.l3_len, b.n - 14);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_ETHERNET, b.n);
}

/* Short frames are padded to 60 bytes on Ethernet: the IP length says where the packet ends. */
static void test_eth_padding(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    eth(&b, 0x0800);
    size_t ip = ip4(&b, 17, A4, B4);
    size_t u = udp(&b, 1000, 2000);
    str(&b, "abcd");
    udp_end(&b, u);
    ip4_end(&b, ip);
    size_t end = b.n;
    assert_int_equal(end, 46);
    str(&b, "PADPADPADPADPA"); /* 14 bytes of non-zero padding, to 60 */
    assert_int_equal(b.n, 60);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.l3_len, 32);
    assert_int_equal(p.payload.len, 4);
    assert_ptr_equal(p.payload.p, b.d + 42);
    assert_memory_equal(p.payload.p, "abcd", 4);
    truncations(&b, CW_LINKTYPE_ETHERNET, end);
}

static void test_vlan_8021q(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    eth(&b, 0x8100);
    u16(&b, 0x0064); /* VLAN 100 */
    u16(&b, 0x0800);
    build_ip4_udp(&b);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_ptr_equal(p.l3, b.d + 18);
    assert_int_equal(p.sport, 5060);
    assert_int_equal(p.dport, 5061);
    assert_memory_equal(p.src, A4, 4);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_ETHERNET, b.n);
}

static void test_qinq(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    eth(&b, 0x88a8);
    u16(&b, 0x00c8); /* S-tag 200 */
    u16(&b, 0x8100);
    u16(&b, 0x0064); /* C-tag 100 */
    u16(&b, 0x86dd);
    build_ip6_udp(&b, A6, B6);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_ptr_equal(p.l3, b.d + 22);
    assert_int_equal(p.ipver, 6);
    assert_memory_equal(p.src, A6, 16);
    assert_memory_equal(p.dst, B6, 16);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_ETHERNET, b.n);
}

/* Four tags are accepted; a fifth is refused (a loop of tags must not go on forever). */
static void test_too_many_vlan_tags(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    eth(&b, 0x88a8);
    for (int i = 0; i < 3; i++) {
        u16(&b, 10 + i);
        u16(&b, 0x8100);
    }
    u16(&b, 13);
    u16(&b, 0x0800);
    build_ip4_udp(&b);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_ptr_equal(p.l3, b.d + 14 + 16);
    assert_payload(&p, &b, PAYLOAD);

    b.n = 0;
    eth(&b, 0x88a8);
    for (int i = 0; i < 4; i++) {
        u16(&b, 10 + i);
        u16(&b, 0x8100);
    }
    u16(&b, 14);
    u16(&b, 0x0800);
    build_ip4_udp(&b);
    int rc = decode(&b, CW_LINKTYPE_ETHERNET, &p);
    assert_int_equal(rc, CW_PKT_TRUNCATED_L2);
    assert_true(cw_pkt_reason_malformed((unsigned)rc));
}

static void test_not_ip(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    eth(&b, 0x0806); /* ARP */
    zeros(&b, 28);
    struct cw_pkt p;
    int rc = decode(&b, CW_LINKTYPE_ETHERNET, &p);
    assert_int_equal(rc, CW_PKT_NOT_IP);
    assert_false(cw_pkt_reason_malformed((unsigned)rc));
    assert_string_equal(cw_pkt_reason_name((unsigned)rc), "not_ip");
}

static void test_linux_sll(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    u16(&b, 0);     /* packet type: to us */
    u16(&b, 1);     /* ARPHRD_ETHER */
    u16(&b, 6);     /* address length */
    BIN(&b, "\x02\x42\xac\x11\x00\x02\x00\x00");
    u16(&b, 0x0800);
    assert_int_equal(b.n, 16);
    build_ip4_udp(&b);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_LINUX_SLL, &p), CW_PKT_OK);
    assert_ptr_equal(p.l3, b.d + 16);
    assert_int_equal(p.sport, 5060);
    assert_memory_equal(p.dst, B4, 4);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_LINUX_SLL, b.n);
}

static void test_linux_sll2(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    u16(&b, 0x86dd); /* protocol */
    u16(&b, 0);      /* reserved */
    u32(&b, 3);      /* interface index */
    u16(&b, 1);      /* ARPHRD_ETHER */
    u8(&b, 4);       /* outgoing */
    u8(&b, 6);
    BIN(&b, "\x02\x42\xac\x11\x00\x02\x00\x00");
    assert_int_equal(b.n, 20);
    build_ip6_udp(&b, B6, A6);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_LINUX_SLL2, &p), CW_PKT_OK);
    assert_ptr_equal(p.l3, b.d + 20);
    assert_int_equal(p.ipver, 6);
    assert_memory_equal(p.src, B6, 16);
    assert_memory_equal(p.dst, A6, 16);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_LINUX_SLL2, b.n);
}

static void test_raw_ipv4(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_ip4_udp(&b);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_RAW, &p), CW_PKT_OK);
    assert_ptr_equal(p.l3, b.d);
    assert_int_equal(p.l3_len, b.n);
    assert_int_equal(p.ipver, 4);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_RAW, b.n);
    assert_int_equal(decode(&b, CW_LINKTYPE_IPV4, &p), CW_PKT_OK);
    assert_payload(&p, &b, PAYLOAD);
}

static void test_raw_ipv6(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_ip6_udp(&b, A6, B6);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_RAW, &p), CW_PKT_OK);
    assert_ptr_equal(p.l3, b.d);
    assert_int_equal(p.l3_len, b.n);
    assert_int_equal(p.ipver, 6);
    assert_int_equal(p.l4proto, CW_L4_UDP);
    assert_memory_equal(p.src, A6, 16);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_RAW, b.n);
    assert_int_equal(decode(&b, CW_LINKTYPE_IPV6, &p), CW_PKT_OK);
    assert_payload(&p, &b, PAYLOAD);

    /* version nibble neither 4 nor 6 */
    b.d[0] = 0x55;
    assert_int_equal(decode(&b, CW_LINKTYPE_RAW, &p), CW_PKT_BAD_IP_HEADER);
}

static void test_bsd_loopback(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    BIN(&b, "\x02\x00\x00\x00"); /* AF_INET, little-endian host order */
    build_ip4_udp(&b);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_NULL, &p), CW_PKT_OK);
    assert_ptr_equal(p.l3, b.d + 4);
    assert_int_equal(p.ipver, 4);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_NULL, b.n);

    /* the same family written big-endian by a big-endian host */
    memcpy(b.d, "\x00\x00\x00\x02", 4);
    assert_int_equal(decode(&b, CW_LINKTYPE_NULL, &p), CW_PKT_OK);
    assert_payload(&p, &b, PAYLOAD);
    /* LINKTYPE_LOOP is always network order */
    assert_int_equal(decode(&b, CW_LINKTYPE_LOOP, &p), CW_PKT_OK);

    /* AF_INET6 as FreeBSD numbers it (28), little-endian */
    b.n = 0;
    BIN(&b, "\x1c\x00\x00\x00");
    build_ip6_udp(&b, A6, B6);
    assert_int_equal(decode(&b, CW_LINKTYPE_NULL, &p), CW_PKT_OK);
    assert_int_equal(p.ipver, 6);
    assert_payload(&p, &b, PAYLOAD);

    /* an address family that is not IP */
    memcpy(b.d, "\x07\x00\x00\x00", 4);
    assert_int_equal(decode(&b, CW_LINKTYPE_NULL, &p), CW_PKT_NOT_IP);
}

static void test_ipv6_ext_headers(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    eth(&b, 0x86dd);
    size_t ip = ip6(&b, 0, A6, B6); /* hop-by-hop first */
    u8(&b, 60);                     /* next: destination options */
    u8(&b, 0);                      /* 8 bytes */
    BIN(&b, "\x01\x04\x00\x00\x00\x00"); /* PadN */
    u8(&b, 17);                     /* next: UDP */
    u8(&b, 1);                      /* 16 bytes */
    u8(&b, 0x01);                   /* PadN of 12 */
    u8(&b, 12);
    zeros(&b, 12);
    size_t u = udp(&b, 5060, 5070);
    str(&b, PAYLOAD);
    udp_end(&b, u);
    ip6_end(&b, ip);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.ipver, 6);
    assert_int_equal(p.l4proto, CW_L4_UDP);
    assert_int_equal(p.sport, 5060);
    assert_int_equal(p.dport, 5070);
    assert_ptr_equal(p.l3, b.d + 14);
    assert_int_equal(p.l3_len, b.n - 14);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_ETHERNET, b.n);

    /* the destination options header claims 8 * (1 + 200) bytes */
    b.d[14 + 40 + 8 + 1] = 200;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_IPV6_EXT);
}

static void test_ipv4_fragment(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_eth_udp(&b);
    /* first fragment: MF set, offset 0 */
    set16(&b, 14 + 6, 0x2000);
    struct cw_pkt p;
    int rc = decode(&b, CW_LINKTYPE_ETHERNET, &p);
    assert_int_equal(rc, CW_PKT_IP_FRAGMENT);
    assert_false(cw_pkt_reason_malformed((unsigned)rc));
    assert_string_equal(cw_pkt_reason_name((unsigned)rc), "ip_fragment");
    assert_int_equal(p.ipver, 4);
    assert_ptr_equal(p.l3, b.d + 14);
    /* a later fragment: offset 185 * 8, MF clear */
    set16(&b, 14 + 6, 185);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_IP_FRAGMENT);

    /* IPv6 fragment header */
    b.n = 0;
    eth(&b, 0x86dd);
    size_t ip = ip6(&b, 44, A6, B6);
    u8(&b, 17);
    u8(&b, 0);
    u16(&b, 0x0001); /* offset 0, M */
    u32(&b, 0xdeadbeef);
    size_t u = udp(&b, 5060, 5060);
    str(&b, PAYLOAD);
    udp_end(&b, u);
    ip6_end(&b, ip);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_IP_FRAGMENT);
}

static void build_tcp(struct pb *b, unsigned doff_words, unsigned flags, const char *data)
{
    eth(b, 0x0800);
    size_t ip = ip4(b, 6, A4, B4);
    u16(b, 40000);
    u16(b, 5060);
    u32(b, 0xfedcba98); /* seq */
    u32(b, 0x01020304); /* ack */
    u8(b, doff_words << 4);
    u8(b, flags);
    u16(b, 65535); /* window */
    u16(b, 0);     /* checksum */
    u16(b, 0);     /* urgent */
    if (doff_words > 5) {
        /* MSS, SACK permitted, timestamps, NOP padding: 12 bytes for data offset 8 */
        BIN(b, "\x02\x04\x05\xb4\x01\x01\x08\x0a\x00\x00\x00\x01");
        zeros(b, (doff_words - 8) * 4);
    }
    str(b, data);
    ip4_end(b, ip);
}

static void test_tcp_options(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_tcp(&b, 8, 0x18 /* PSH ACK */, PAYLOAD);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.l4proto, CW_L4_TCP);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.dport, 5060);
    assert_int_equal(p.tcp_seq, 0xfedcba98u);
    assert_int_equal(p.tcp_flags, 0x18);
    assert_int_equal(p.tcp_flags & CW_TCP_ACK, CW_TCP_ACK);
    assert_ptr_equal(p.payload.p, b.d + 14 + 20 + 32);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_ETHERNET, b.n);

    /* a bare SYN: no payload, flags kept */
    b.n = 0;
    build_tcp(&b, 5, CW_TCP_SYN, "");
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.tcp_flags, CW_TCP_SYN);
    assert_int_equal(p.payload.len, 0);
    assert_ptr_equal(p.payload.p, b.d + b.n);
}

static size_t gre_hdr(struct pb *b, unsigned flags, unsigned proto)
{
    size_t off = b->n;
    u16(b, flags);
    u16(b, proto);
    if (flags & 0x8000)
        u32(b, 0); /* checksum + reserved */
    if (flags & 0x2000)
        u32(b, 0x0000abcd); /* key */
    if (flags & 0x1000)
        u32(b, 7); /* sequence */
    return off;
}

/* GRE transparent Ethernet bridging: an Ethernet frame inside GRE. */
static void test_gre_teb(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    eth(&b, 0x0800);
    size_t outer = ip4(&b, 47, C4, D4);
    gre_hdr(&b, 0, 0x6558);
    size_t inner_eth = b.n;
    eth(&b, 0x0800);
    size_t ip = ip4(&b, 17, A4, B4);
    size_t u = udp(&b, 5060, 5260);
    str(&b, PAYLOAD);
    udp_end(&b, u);
    ip4_end(&b, ip);
    ip4_end(&b, outer);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.tunnels, 1);
    assert_ptr_equal(p.l3, b.d + inner_eth + 14);
    assert_int_equal(p.l3_len, b.n - inner_eth - 14);
    assert_memory_equal(p.src, A4, 4);
    assert_memory_equal(p.dst, B4, 4);
    assert_int_equal(p.sport, 5060);
    assert_int_equal(p.dport, 5260);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_ETHERNET, b.n);
}

static void test_gre_key_seq(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    eth(&b, 0x0800);
    size_t outer = ip4(&b, 47, C4, D4);
    gre_hdr(&b, 0x3000, 0x0800); /* K and S */
    size_t inner = b.n;
    build_ip4_udp(&b);
    ip4_end(&b, outer);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.tunnels, 1);
    assert_ptr_equal(p.l3, b.d + 14 + 20 + 12);
    assert_ptr_equal(p.l3, b.d + inner);
    assert_memory_equal(p.src, A4, 4);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_ETHERNET, b.n);

    /* with the checksum too (C, K, S): 12 optional bytes */
    b.n = 0;
    eth(&b, 0x0800);
    outer = ip4(&b, 47, C4, D4);
    gre_hdr(&b, 0xb000, 0x86dd);
    inner = b.n;
    build_ip6_udp(&b, A6, B6);
    ip4_end(&b, outer);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_ptr_equal(p.l3, b.d + inner);
    assert_int_equal(inner, 14 + 20 + 16);
    assert_int_equal(p.ipver, 6);
    assert_payload(&p, &b, PAYLOAD);

    /* GRE version 2 does not exist */
    set16(&b, 14 + 20, 0xb002);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_TUNNEL);
}

static void test_gre_ppp(void **state)
{
    (void)state;
    /* GRE v0, PPP in HDLC-like framing: ff 03, protocol 0x0021 (IPv4) */
    struct pb b = {.n = 0};
    eth(&b, 0x0800);
    size_t outer = ip4(&b, 47, C4, D4);
    gre_hdr(&b, 0, 0x880b);
    BIN(&b, "\xff\x03");
    u16(&b, 0x0021);
    size_t inner = b.n;
    build_ip4_udp(&b);
    ip4_end(&b, outer);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.tunnels, 1);
    assert_ptr_equal(p.l3, b.d + inner);
    assert_memory_equal(p.src, A4, 4);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_ETHERNET, b.n);

    /* enhanced GRE (PPTP, version 1): key always, S set; no HDLC framing, protocol field
     * compressed to one byte (0x21) */
    b.n = 0;
    eth(&b, 0x0800);
    outer = ip4(&b, 47, C4, D4);
    u16(&b, 0x3001); /* K S, version 1 */
    u16(&b, 0x880b);
    u16(&b, 42);     /* payload length (not checked) */
    u16(&b, 0x1111); /* call id */
    u32(&b, 9);      /* sequence */
    u8(&b, 0x21);
    inner = b.n;
    build_ip4_udp(&b);
    ip4_end(&b, outer);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.tunnels, 1);
    assert_ptr_equal(p.l3, b.d + inner);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_ETHERNET, b.n);

    /* PPP carrying LCP (0xc021) is not IP */
    b.d[inner - 1] = 0xc0;
    b.n = inner;
    u8(&b, 0x21);
    zeros(&b, 8);
    ip4_end(&b, outer);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_NOT_IP);
}

/* GTP-U on UDP 2152 (outer IPv4) carrying IPv6 / UDP / PAYLOAD. @p flags: 0x30 plain,
 * 0x32 with sequence number, 0x36 with sequence number and one extension header. */
static size_t build_gtpu(struct pb *b, unsigned flags, unsigned type)
{
    eth(b, 0x0800);
    size_t outer = ip4(b, 17, C4, D4);
    size_t ou = udp(b, 2152, 2152);
    size_t g = b->n;
    u8(b, flags);
    u8(b, type);
    u16(b, 0); /* length after the mandatory 8 bytes, patched */
    u32(b, 0x00c0ffee);
    if (flags & 0x07) {
        u16(b, 0x0102); /* sequence number */
        u8(b, 0);       /* N-PDU number */
        if (flags & 0x04) {
            u8(b, 0x85); /* next: PDU session container */
            u8(b, 1);    /* 4 bytes */
            u8(b, 0x00);
            u8(b, 0x09); /* QFI 9 */
            u8(b, 0);    /* no more */
        } else {
            u8(b, 0);
        }
    }
    size_t inner = b->n;
    if (type == 0xff)
        build_ip6_udp(b, A6, B6);
    else
        BIN(b, "\x0e\x00"); /* echo: Recovery IE */
    set16(b, g + 2, b->n - g - 8);
    udp_end(b, ou);
    ip4_end(b, outer);
    return inner;
}

static void test_gtpu(void **state)
{
    (void)state;
    static const unsigned flags[] = {0x30, 0x32, 0x36};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        struct pb b = {.n = 0};
        size_t inner = build_gtpu(&b, flags[i], 0xff);
        struct cw_pkt p;
        assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
        assert_int_equal(p.tunnels, 1);
        assert_int_equal(p.ipver, 6);
        assert_int_equal(p.l4proto, CW_L4_UDP);
        assert_ptr_equal(p.l3, b.d + inner);
        assert_int_equal(p.l3_len, b.n - inner);
        assert_memory_equal(p.src, A6, 16);
        assert_memory_equal(p.dst, B6, 16);
        assert_int_equal(p.sport, 5060);
        assert_int_equal(p.dport, 5061);
        assert_payload(&p, &b, PAYLOAD);
        truncations(&b, CW_LINKTYPE_ETHERNET, b.n);
    }
}

/* A GTP-U message that is not a G-PDU carries no user packet: the outer UDP is the packet. */
static void test_gtpu_echo(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_gtpu(&b, 0x32, 0x01);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.tunnels, 0);
    assert_int_equal(p.ipver, 4);
    assert_memory_equal(p.src, C4, 4);
    assert_memory_equal(p.dst, D4, 4);
    assert_int_equal(p.sport, 2152);
    assert_int_equal(p.dport, 2152);
    assert_ptr_equal(p.payload.p, b.d + 14 + 20 + 8);
    assert_int_equal(p.payload.len, 14);
    assert_int_equal(p.payload.p[1], 0x01);
    truncations(&b, CW_LINKTYPE_ETHERNET, b.n);
}

/* ---- malformed ---- */

static void test_bad_ipv4(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_eth_udp(&b);
    struct cw_pkt p;
    /* IHL 4 (16 bytes) */
    b.d[14] = 0x44;
    int rc = decode(&b, CW_LINKTYPE_ETHERNET, &p);
    assert_int_equal(rc, CW_PKT_BAD_IP_HEADER);
    assert_true(cw_pkt_reason_malformed((unsigned)rc));
    /* IHL 15 (60 bytes) but only 20 + 8 + payload there... make it really past the end */
    b.n = 0;
    eth(&b, 0x0800);
    size_t ip = ip4(&b, 17, A4, B4);
    size_t u = udp(&b, 1, 2);
    str(&b, "xy");
    udp_end(&b, u);
    ip4_end(&b, ip);
    assert_true(b.n - 14 < 60);
    b.d[14] = 0x4f;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_IP_HEADER);
    /* version 6 in an IPv4 ethertype */
    b.d[14] = 0x65;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_IP_HEADER);
    /* total length smaller than the header */
    b.d[14] = 0x45;
    set16(&b, 14 + 2, 19);
    rc = decode(&b, CW_LINKTYPE_ETHERNET, &p);
    assert_int_equal(rc, CW_PKT_BAD_IP_LENGTH);
    assert_string_equal(cw_pkt_reason_name((unsigned)rc), "bad_ip_length");
    /* total length larger than the frame: what is there is decoded, the packet is flagged */
    set16(&b, 14 + 2, 1400);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_TRUNCATED_IP);
    /* a protocol we do not look into */
    set16(&b, 14 + 2, b.n - 14);
    b.d[14 + 9] = 1; /* ICMP */
    rc = decode(&b, CW_LINKTYPE_ETHERNET, &p);
    assert_int_equal(rc, CW_PKT_OTHER_L4);
    assert_false(cw_pkt_reason_malformed((unsigned)rc));
}

static void test_bad_udp(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_eth_udp(&b);
    size_t ulen = 14 + 20 + 4;
    struct cw_pkt p;
    set16(&b, ulen, 7);
    int rc = decode(&b, CW_LINKTYPE_ETHERNET, &p);
    assert_int_equal(rc, CW_PKT_BAD_UDP);
    assert_string_equal(cw_pkt_reason_name((unsigned)rc), "bad_udp_header");
    set16(&b, ulen, 0);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_UDP);
    set16(&b, ulen, 8 + strlen(PAYLOAD) + 10);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_UDP);
    /* a UDP length shorter than the datagram is believed (payload cut to it) */
    set16(&b, ulen, 8 + 7);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.payload.len, 7);
    assert_memory_equal(p.payload.p, PAYLOAD, 7);
}

static void test_bad_tcp(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_tcp(&b, 5, 0x18, "xy");
    size_t doff = 14 + 20 + 12;
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.payload.len, 2);
    b.d[doff] = 0x40; /* data offset 4 */
    int rc = decode(&b, CW_LINKTYPE_ETHERNET, &p);
    assert_int_equal(rc, CW_PKT_BAD_TCP);
    assert_true(cw_pkt_reason_malformed((unsigned)rc));
    b.d[doff] = 0x00;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_TCP);
    b.d[doff] = 0xf0; /* 60 bytes, 22 there */
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_TCP);
    b.d[doff] = 0x60; /* 24 bytes, 22 there */
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_TCP);
    /* a TCP header shorter than 20 bytes */
    b.n = 0;
    eth(&b, 0x0800);
    size_t ip = ip4(&b, 6, A4, B4);
    zeros(&b, 19);
    ip4_end(&b, ip);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_TCP);
}

static void test_bad_ipv6(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    eth(&b, 0x86dd);
    size_t ip = ip6(&b, 0, A6, B6);
    u8(&b, 17);
    u8(&b, 0);
    zeros(&b, 6);
    size_t u = udp(&b, 5060, 5060);
    str(&b, "x");
    udp_end(&b, u);
    ip6_end(&b, ip);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    /* hop-by-hop length past the end */
    b.d[14 + 41] = 3;
    int rc = decode(&b, CW_LINKTYPE_ETHERNET, &p);
    assert_int_equal(rc, CW_PKT_BAD_IPV6_EXT);
    assert_string_equal(cw_pkt_reason_name((unsigned)rc), "bad_ipv6_ext_header");
    /* an IPv6 header cut short */
    b.n = 14 + 39;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_IP_HEADER);

    /* nine extension headers: more than we follow */
    b.n = 0;
    eth(&b, 0x86dd);
    ip = ip6(&b, 60, A6, B6);
    for (int i = 0; i < 9; i++) {
        u8(&b, i == 8 ? 17 : 60);
        u8(&b, 0);
        zeros(&b, 6);
    }
    u = udp(&b, 5060, 5060);
    udp_end(&b, u);
    ip6_end(&b, ip);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_IPV6_EXT);
}

/* GRE in IPv4, @p n deep, around IPv4 / UDP / PAYLOAD. */
static void build_nested_gre(struct pb *b, int n)
{
    size_t offs[8];
    eth(b, 0x0800);
    for (int i = 0; i < n; i++) {
        offs[i] = ip4(b, 47, C4, D4);
        gre_hdr(b, 0, 0x0800);
    }
    build_ip4_udp(b);
    for (int i = n - 1; i >= 0; i--)
        ip4_end(b, offs[i]);
}

static void test_tunnel_depth(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_nested_gre(&b, 4);
    struct cw_pkt p;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(p.tunnels, 4);
    assert_memory_equal(p.src, A4, 4);
    assert_payload(&p, &b, PAYLOAD);
    truncations(&b, CW_LINKTYPE_ETHERNET, b.n);

    b.n = 0;
    build_nested_gre(&b, 5);
    int rc = decode(&b, CW_LINKTYPE_ETHERNET, &p);
    assert_int_equal(rc, CW_PKT_TUNNEL_TOO_DEEP);
    assert_true(cw_pkt_reason_malformed((unsigned)rc));
    assert_string_equal(cw_pkt_reason_name((unsigned)rc), "tunnel_too_deep");
}

static void test_bad_gtpu(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_gtpu(&b, 0x30, 0xff);
    size_t g = 14 + 20 + 8;
    struct cw_pkt p;
    /* GTP length says more than the datagram holds */
    set16(&b, g + 2, b.n - g - 8 + 1);
    int rc = decode(&b, CW_LINKTYPE_ETHERNET, &p);
    assert_int_equal(rc, CW_PKT_BAD_TUNNEL);
    assert_string_equal(cw_pkt_reason_name((unsigned)rc), "bad_tunnel_header");
    set16(&b, g + 2, 0xffff);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_TUNNEL);
    /* a G-PDU with nothing inside */
    set16(&b, g + 2, 0);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_TUNNEL);

    /* extension header of length 0 (would loop on itself) */
    b.n = 0;
    build_gtpu(&b, 0x36, 0xff);
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_OK);
    assert_int_equal(b.d[g + 12], 1); /* the extension's length byte */
    b.d[g + 12] = 0;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_TUNNEL);
    /* extension header longer than the message */
    b.d[g + 12] = 60;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_TUNNEL);

    /* a G-PDU whose inner packet is neither IPv4 nor IPv6 */
    b.n = 0;
    size_t inner = build_gtpu(&b, 0x30, 0xff);
    b.d[inner] = 0x50;
    assert_int_equal(decode(&b, CW_LINKTYPE_ETHERNET, &p), CW_PKT_BAD_TUNNEL);
}

static void test_unknown_linktype(void **state)
{
    (void)state;
    struct pb b = {.n = 0};
    build_eth_udp(&b);
    struct cw_pkt p;
    int rc = decode(&b, 147 /* LINKTYPE_USER0 */, &p);
    assert_int_equal(rc, CW_PKT_UNKNOWN_LINKTYPE);
    assert_false(cw_pkt_reason_malformed((unsigned)rc));
    assert_int_equal(cw_pkt_decode(b.d, 0, -1, &p), CW_PKT_UNKNOWN_LINKTYPE);
    assert_string_equal(cw_pkt_reason_name(CW_PKT_OK), "ok");
    assert_string_equal(cw_pkt_reason_name(CW_PKT__COUNT), "unknown");
    assert_true(cw_pkt_reason_malformed(CW_PKT__COUNT + 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eth_ipv4_udp_hex),
        cmocka_unit_test(test_eth_ipv4_udp),
        cmocka_unit_test(test_eth_padding),
        cmocka_unit_test(test_vlan_8021q),
        cmocka_unit_test(test_qinq),
        cmocka_unit_test(test_too_many_vlan_tags),
        cmocka_unit_test(test_not_ip),
        cmocka_unit_test(test_linux_sll),
        cmocka_unit_test(test_linux_sll2),
        cmocka_unit_test(test_raw_ipv4),
        cmocka_unit_test(test_raw_ipv6),
        cmocka_unit_test(test_bsd_loopback),
        cmocka_unit_test(test_ipv6_ext_headers),
        cmocka_unit_test(test_ipv4_fragment),
        cmocka_unit_test(test_tcp_options),
        cmocka_unit_test(test_gre_teb),
        cmocka_unit_test(test_gre_key_seq),
        cmocka_unit_test(test_gre_ppp),
        cmocka_unit_test(test_gtpu),
        cmocka_unit_test(test_gtpu_echo),
        cmocka_unit_test(test_bad_ipv4),
        cmocka_unit_test(test_bad_udp),
        cmocka_unit_test(test_bad_tcp),
        cmocka_unit_test(test_bad_ipv6),
        cmocka_unit_test(test_tunnel_depth),
        cmocka_unit_test(test_bad_gtpu),
        cmocka_unit_test(test_unknown_linktype),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
