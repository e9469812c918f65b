/* pktbuild.c - Ethernet / IPv4 / IPv6 / UDP / TCP frame builders (RFC 791, 8200, 768, 793). */
#include "synth/pktbuild.h"

#include <arpa/inet.h>
#include <string.h>

#include "util/error.h"

#define ETH_LEN 14
#define VLAN_LEN 4
#define IP4_LEN 20
#define IP6_LEN 40
#define UDP_LEN 8
#define TCP_LEN 20

static const uint8_t default_src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t default_dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One's complement sum of 16-bit big-endian words (RFC 1071), not yet folded. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (; n >= 2; p += 2, n -= 2)
        sum += (uint32_t)(p[0] << 8 | p[1]);
    if (n)
        sum += (uint32_t)(p[0] << 8);
    /* keep the partial sum from overflowing on long inputs */
    while (sum >> 24)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static int is_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* The L4 checksum's pseudo-header sum (RFC 768 / RFC 8200 8.1), not folded. */
static uint32_t pseudo_sum(const struct cw_pkt_addr *a, uint8_t proto, size_t l4len)
{
    uint32_t sum = 0;
    if (a->ipver == 4) {
        uint8_t ph[4] = {0, proto, (uint8_t)(l4len >> 8), (uint8_t)l4len};
        sum = csum_add(sum, a->src, 4);
        sum = csum_add(sum, a->dst, 4);
        sum = csum_add(sum, ph, 4);
    } else {
        uint8_t ph6[8] = {0};
        put32(ph6, (uint32_t)l4len);
        ph6[7] = proto;
        sum = csum_add(sum, a->src, 16);
        sum = csum_add(sum, a->dst, 16);
        sum = csum_add(sum, ph6, 8);
    }
    return sum;
}

/* Ethernet + optional VLAN tags + IP header (+ an IPv6 Fragment header when @p frag);
 * returns the offset of the L4 bytes or 0. @p l4len is what follows the IP header(s); for a
 * fragment, @p frag_off its offset in the datagram and @p more its More Fragments bit. */
static size_t build_l3(uint8_t *out, size_t cap, const struct cw_pkt_addr *a, uint8_t proto,
                       size_t l4len, int frag, size_t frag_off, int more)
{
    if (!out || !a || (a->ipver != 4 && a->ipver != 6) || a->vlan > 4094 ||
        a->vlan_outer > 4094 || (a->vlan_outer && !a->vlan))
        return 0;
    size_t l2 = ETH_LEN + (a->vlan ? VLAN_LEN : 0) + (a->vlan_outer ? VLAN_LEN : 0);
    size_t fh = frag && a->ipver == 6 ? 8 : 0;
    size_t l3 = (a->ipver == 4 ? IP4_LEN : IP6_LEN) + fh;
    if (l4len > (a->ipver == 4 ? 65535u - IP4_LEN : 65535u - fh))
        return 0;
    if (cap < l2 || cap - l2 < l3 || cap - l2 - l3 < l4len)
        return 0;
    memcpy(out, is_zero(a->dst_mac, 6) ? default_dst_mac : a->dst_mac, 6);
    memcpy(out + 6, is_zero(a->src_mac, 6) ? default_src_mac : a->src_mac, 6);
    uint8_t *p = out + 12;
    if (a->vlan_outer) {
        put16(p, 0x88a8);
        put16(p + 2, a->vlan_outer);
        p += 4;
    }
    if (a->vlan) {
        put16(p, 0x8100);
        put16(p + 2, a->vlan);
        p += 4;
    }
    put16(p, a->ipver == 4 ? 0x0800 : 0x86dd);
    p += 2;
    if (a->ipver == 4) {
        p[0] = 0x45;
        p[1] = 0;
        put16(p + 2, (uint16_t)(IP4_LEN + l4len));
        put16(p + 4, a->ip_id);
        put16(p + 6, frag ? (uint16_t)((more ? 0x2000 : 0) | (frag_off / 8)) : 0x4000);
        p[8] = 64;
        p[9] = proto;
        put16(p + 10, 0);
        memcpy(p + 12, a->src, 4);
        memcpy(p + 16, a->dst, 4);
        put16(p + 10, csum_fold(csum_add(0, p, IP4_LEN)));
    } else {
        put32(p, 0x60000000u);
        put16(p + 4, (uint16_t)(l4len + fh));
        p[6] = fh ? 44 : proto;
        p[7] = 64;
        memcpy(p + 8, a->src, 16);
        memcpy(p + 24, a->dst, 16);
        if (fh) {
            uint8_t *f = p + IP6_LEN;
            f[0] = proto;
            f[1] = 0;
            put16(f + 2, (uint16_t)(frag_off | (more ? 1 : 0)));
            put32(f + 4, a->frag_id);
        }
    }
    return l2 + l3;
}

static size_t build_l2l3(uint8_t *out, size_t cap, const struct cw_pkt_addr *a, uint8_t proto,
                         size_t l4len, uint32_t *ph_sum)
{
    size_t off = build_l3(out, cap, a, proto, l4len, 0, 0, 0);
    if (off)
        *ph_sum = pseudo_sum(a, proto, l4len);
    return off;
}

size_t cw_pkt_l4_udp(uint8_t *out, size_t cap, const struct cw_pkt_addr *a, const void *payload,
                     size_t len)
{
    if (!out || !a || (!payload && len) || len > 65535u - UDP_LEN || cap < UDP_LEN + len ||
        (a->ipver != 4 && a->ipver != 6))
        return 0;
    put16(out, a->sport);
    put16(out + 2, a->dport);
    put16(out + 4, (uint16_t)(UDP_LEN + len));
    put16(out + 6, 0);
    if (len)
        memcpy(out + UDP_LEN, payload, len);
    uint16_t c = csum_fold(csum_add(pseudo_sum(a, 17, UDP_LEN + len), out, UDP_LEN + len));
    put16(out + 6, c ? c : 0xffff);
    return UDP_LEN + len;
}

size_t cw_pkt_build_ip(uint8_t *out, size_t cap, const struct cw_pkt_addr *a, uint8_t proto,
                       const void *l4, size_t l4len)
{
    if (!l4 && l4len)
        return 0;
    size_t off = build_l3(out, cap, a, proto, l4len, 0, 0, 0);
    if (!off)
        return 0;
    if (l4len)
        memcpy(out + off, l4, l4len);
    return off + l4len;
}

size_t cw_pkt_build_frag(uint8_t *out, size_t cap, const struct cw_pkt_addr *a, uint8_t proto,
                         const void *l4, size_t l4len, size_t off, size_t n)
{
    if (!l4 || off % 8 || off > l4len || n > l4len - off || off > 65528)
        return 0;
    int more = off + n < l4len;
    if (more && n % 8)
        return 0;
    size_t h = build_l3(out, cap, a, proto, n, 1, off, more);
    if (!h)
        return 0;
    memcpy(out + h, (const uint8_t *)l4 + off, n);
    return h + n;
}

size_t cw_pkt_build_udp(uint8_t *out, size_t cap, const struct cw_pkt_addr *a,
                        const void *payload, size_t len)
{
    if (!payload && len)
        return 0;
    if (len > 65535u - UDP_LEN)
        return 0;
    uint32_t sum;
    size_t off = build_l2l3(out, cap, a, 17, UDP_LEN + len, &sum);
    if (!off)
        return 0;
    uint8_t *u = out + off;
    put16(u, a->sport);
    put16(u + 2, a->dport);
    put16(u + 4, (uint16_t)(UDP_LEN + len));
    put16(u + 6, 0);
    if (len)
        memcpy(u + UDP_LEN, payload, len);
    uint16_t c = csum_fold(csum_add(sum, u, UDP_LEN + len));
    put16(u + 6, c ? c : 0xffff); /* 0 means "no checksum" in UDP */
    return off + UDP_LEN + len;
}

size_t cw_pkt_build_tcp(uint8_t *out, size_t cap, const struct cw_pkt_addr *a,
                        const void *payload, size_t len)
{
    if (!payload && len)
        return 0;
    if (len > 65535u - TCP_LEN)
        return 0;
    uint32_t sum;
    size_t off = build_l2l3(out, cap, a, 6, TCP_LEN + len, &sum);
    if (!off)
        return 0;
    uint8_t *t = out + off;
    put16(t, a->sport);
    put16(t + 2, a->dport);
    put32(t + 4, a->tcp_seq);
    put32(t + 8, a->tcp_ack);
    t[12] = (TCP_LEN / 4) << 4;
    t[13] = a->tcp_flags ? a->tcp_flags : (CW_PKT_TCP_PSH | CW_PKT_TCP_ACK);
    put16(t + 14, 65535);
    put16(t + 16, 0);
    put16(t + 18, 0);
    if (len)
        memcpy(t + TCP_LEN, payload, len);
    put16(t + 16, csum_fold(csum_add(sum, t, TCP_LEN + len)));
    return off + TCP_LEN + len;
}

int cw_pkt_addr_set(struct cw_pkt_addr *a, const char *src, const char *dst)
{
    if (!a || !src || !dst)
        return CW_EINVAL;
    uint8_t s[16], d[16];
    if (inet_pton(AF_INET, src, s) == 1 && inet_pton(AF_INET, dst, d) == 1) {
        a->ipver = 4;
        memset(a->src, 0, sizeof a->src);
        memset(a->dst, 0, sizeof a->dst);
        memcpy(a->src, s, 4);
        memcpy(a->dst, d, 4);
        return 0;
    }
    if (inet_pton(AF_INET6, src, s) == 1 && inet_pton(AF_INET6, dst, d) == 1) {
        a->ipver = 6;
        memcpy(a->src, s, 16);
        memcpy(a->dst, d, 16);
        return 0;
    }
    return CW_EINVAL;
}
