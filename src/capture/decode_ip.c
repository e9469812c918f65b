/* decode_ip.c - IPv4 (RFC 791), IPv6 (RFC 8200) with extension headers, UDP (RFC 768),
 * TCP (RFC 9293), and the tunnels met at carrier taps: GRE (RFC 2784/2890, with PPP and
 * transparent Ethernet bridging) and GTP-U (3GPP TS 29.281) on UDP port 2152.
 *
 *   IPv4: ver/ihl(1) tos(1) total_len(2) id(2) flags/frag(2) ttl(1) proto(1) csum(2) src dst
 *   IPv6: ver/tc/flow(4) payload_len(2) next(1) hops(1) src(16) dst(16) [ext headers]
 *   GRE:  C.K.S flags/ver(2) protocol(2) [csum+rsvd(4)] [key(4)] [seq(4)]
 *   GTPv1-U: flags(1) type(1) length(2) teid(4) [seq(2) npdu(1) next_ext(1) [ext...]]
 */
#include <string.h>

#include "capture/packet_int.h"

#define MAX_IPV6_EXT 8
#define GTPU_PORT 2152

static int transport(struct cw_cursor *c, uint8_t proto, struct cw_pkt *out, unsigned depth);

/* The bytes the IP header says the packet holds, cut to what was captured. */
static int ip_body(struct cw_cursor *c, size_t body_len, struct cw_cursor *body)
{
    size_t left = cw_cur_left(c);
    int rc = CW_PKT_OK;
    if (body_len > left) {
        body_len = left; /* snaplen cut or a lying length: decode what is there */
        rc = CW_PKT_TRUNCATED_IP;
    }
    *body = cw_cur_make(c->p, body_len);
    return rc;
}

int cw_pkt_ipv4(struct cw_cursor *c, struct cw_pkt *out, unsigned depth)
{
    const uint8_t *ip = c->p;
    if (cw_cur_left(c) < 20)
        return CW_PKT_BAD_IP_HEADER;
    uint8_t vihl = ip[0];
    size_t ihl = (size_t)(vihl & 0x0f) * 4;
    if ((vihl >> 4) != 4 || ihl < 20 || ihl > cw_cur_left(c))
        return CW_PKT_BAD_IP_HEADER;
    size_t total = (size_t)ip[2] << 8 | ip[3];
    if (total < ihl)
        return CW_PKT_BAD_IP_LENGTH;
    uint16_t frag = (uint16_t)(ip[6] << 8 | ip[7]);
    uint8_t proto = ip[9];
    struct cw_cursor body;
    int trunc = ip_body(c, total, &body);
    out->ipver = 4;
    memset(out->src, 0, sizeof out->src);
    memset(out->dst, 0, sizeof out->dst);
    memcpy(out->src, ip + 12, 4);
    memcpy(out->dst, ip + 16, 4);
    out->l3 = ip;
    out->l3_len = (size_t)(body.end - ip);
    if ((frag & 0x3fff) != 0) { /* MF set or offset != 0: frag.c puts the pieces together */
        out->frag_id = (uint32_t)(ip[4] << 8 | ip[5]);
        out->frag_offset = (uint32_t)(frag & 0x1fff) * 8;
        out->frag_more = (frag & 0x2000) != 0;
        out->frag_proto = proto;
        cw_cur_skip(&body, ihl);
        out->payload = cw_cur_rest(&body);
        return CW_PKT_IP_FRAGMENT;
    }
    cw_cur_skip(&body, ihl);
    int rc = transport(&body, proto, out, depth);
    if (rc == CW_PKT_OK && trunc != CW_PKT_OK)
        return trunc;
    return rc;
}

int cw_pkt_ipv6(struct cw_cursor *c, struct cw_pkt *out, unsigned depth)
{
    const uint8_t *ip = c->p;
    if (cw_cur_left(c) < 40 || (ip[0] >> 4) != 6)
        return CW_PKT_BAD_IP_HEADER;
    size_t plen = (size_t)ip[4] << 8 | ip[5];
    uint8_t next = ip[6];
    out->ipver = 6;
    memcpy(out->src, ip + 8, 16);
    memcpy(out->dst, ip + 24, 16);
    cw_cur_skip(c, 40);
    struct cw_cursor body;
    int trunc = ip_body(c, plen, &body);
    out->l3 = ip;
    out->l3_len = (size_t)(body.end - ip);
    for (int n = 0;; n++) {
        switch (next) {
        case 0:  /* hop-by-hop */
        case 43: /* routing */
        case 60: /* destination options */
        {
            if (n == MAX_IPV6_EXT)
                return CW_PKT_BAD_IPV6_EXT;
            uint8_t nh = cw_cur_u8(&body);
            uint8_t hlen = cw_cur_u8(&body);
            cw_cur_skip(&body, (size_t)hlen * 8 + 6);
            if (body.err)
                return CW_PKT_BAD_IPV6_EXT;
            next = nh;
            continue;
        }
        case 44: { /* fragment: next(1) reserved(1) offset/res/M(2) identification(4) */
            uint8_t nh = cw_cur_u8(&body);
            cw_cur_skip(&body, 1);
            uint16_t om = cw_cur_u16be(&body);
            uint32_t id = cw_cur_u32be(&body);
            if (body.err)
                return CW_PKT_BAD_IPV6_EXT;
            out->frag_id = id;
            out->frag_offset = (uint32_t)(om & 0xfff8);
            out->frag_more = om & 1;
            out->frag_proto = nh;
            out->payload = cw_cur_rest(&body);
            return CW_PKT_IP_FRAGMENT;
        }
        default: {
            int rc = transport(&body, next, out, depth);
            if (rc == CW_PKT_OK && trunc != CW_PKT_OK)
                return trunc;
            return rc;
        }
        }
    }
}

/* GRE payload: IPv4, IPv6, PPP (HDLC-like framing optional) or an Ethernet frame. */
static int gre(struct cw_cursor *c, struct cw_pkt *out, unsigned depth)
{
    uint16_t flags = cw_cur_u16be(c);
    uint16_t proto = cw_cur_u16be(c);
    if (c->err)
        return CW_PKT_BAD_TUNNEL;
    unsigned ver = flags & 7;
    if (ver == 1) {
        /* Enhanced GRE (PPTP): key always present, optional seq and ack. */
        cw_cur_skip(c, 4);
        if (flags & 0x1000)
            cw_cur_skip(c, 4);
        if (flags & 0x0080)
            cw_cur_skip(c, 4);
    } else if (ver == 0) {
        if (flags & 0x8000)
            cw_cur_skip(c, 4);
        if (flags & 0x2000)
            cw_cur_skip(c, 4);
        if (flags & 0x1000)
            cw_cur_skip(c, 4);
    } else {
        return CW_PKT_BAD_TUNNEL;
    }
    if (c->err)
        return CW_PKT_BAD_TUNNEL;
    out->tunnels++;
    switch (proto) {
    case 0x6558: /* transparent Ethernet bridging */
        return cw_pkt_ethernet(c, out, depth);
    case 0x880b: { /* PPP */
        if (cw_cur_left(c) >= 2 && c->p[0] == 0xff && c->p[1] == 0x03)
            cw_cur_skip(c, 2);
        uint16_t pp = cw_cur_u8(c);
        if (!(pp & 1)) /* two-byte protocol field unless compressed */
            pp = (uint16_t)(pp << 8 | cw_cur_u8(c));
        if (c->err)
            return CW_PKT_BAD_TUNNEL;
        if (pp == 0x0021)
            return cw_pkt_ipv4(c, out, depth);
        if (pp == 0x0057)
            return cw_pkt_ipv6(c, out, depth);
        return CW_PKT_NOT_IP;
    }
    default:
        return cw_pkt_ethertype(c, proto, out, depth);
    }
}

/* GTP-U G-PDU: the user's own IP packet follows. Other GTP-U messages carry no user packet. */
static int gtpu(struct cw_cursor *c, struct cw_pkt *out, unsigned depth)
{
    uint8_t flags = cw_cur_u8(c);
    uint8_t type = cw_cur_u8(c);
    uint16_t len = cw_cur_u16be(c);
    cw_cur_skip(c, 4); /* TEID */
    if (c->err || (flags >> 5) != 1 || !(flags & 0x10))
        return CW_PKT_BAD_TUNNEL;
    if (type != 0xff)
        return CW_PKT_OK; /* echo, error indication: the outer UDP is the packet */
    if (len > cw_cur_left(c))
        return CW_PKT_BAD_TUNNEL;
    struct cw_cursor in = cw_cur_make(c->p, len);
    if (flags & 0x07) {
        cw_cur_skip(&in, 3); /* sequence number, N-PDU number */
        uint8_t next = cw_cur_u8(&in);
        for (int n = 0; next && !in.err; n++) {
            if (n == 8)
                return CW_PKT_BAD_TUNNEL;
            uint8_t elen = cw_cur_u8(&in); /* in units of 4 bytes, including itself */
            if (elen == 0)
                return CW_PKT_BAD_TUNNEL;
            cw_cur_skip(&in, (size_t)elen * 4 - 2);
            next = cw_cur_u8(&in);
        }
        if (in.err)
            return CW_PKT_BAD_TUNNEL;
    }
    if (cw_cur_left(&in) < 1)
        return CW_PKT_BAD_TUNNEL;
    out->tunnels++;
    switch (in.p[0] >> 4) {
    case 4:
        return cw_pkt_ipv4(&in, out, depth);
    case 6:
        return cw_pkt_ipv6(&in, out, depth);
    default:
        return CW_PKT_BAD_TUNNEL;
    }
}

static int transport(struct cw_cursor *c, uint8_t proto, struct cw_pkt *out, unsigned depth)
{
    switch (proto) {
    case CW_L4_UDP: {
        uint16_t sp = cw_cur_u16be(c);
        uint16_t dp = cw_cur_u16be(c);
        uint16_t ulen = cw_cur_u16be(c);
        cw_cur_skip(c, 2);
        if (c->err || ulen < 8)
            return CW_PKT_BAD_UDP;
        size_t plen = (size_t)ulen - 8;
        if (plen > cw_cur_left(c))
            return CW_PKT_BAD_UDP; /* the UDP length lies (or the capture was cut) */
        out->l4proto = CW_L4_UDP;
        out->sport = sp;
        out->dport = dp;
        out->tcp_flags = 0;
        out->tcp_seq = 0;
        out->payload = cw_slice_make(c->p, plen);
        if ((sp == GTPU_PORT || dp == GTPU_PORT) && plen >= 8 && (c->p[0] >> 5) == 1 &&
            (c->p[0] & 0x10)) {
            if (depth + 1 > CW_PKT_MAX_TUNNELS)
                return CW_PKT_TUNNEL_TOO_DEEP;
            struct cw_cursor in = cw_cur_make(c->p, plen);
            return gtpu(&in, out, depth + 1);
        }
        return CW_PKT_OK;
    }
    case CW_L4_TCP: {
        const uint8_t *th = c->p;
        if (cw_cur_left(c) < 20)
            return CW_PKT_BAD_TCP;
        size_t off = (size_t)(th[12] >> 4) * 4;
        if (off < 20 || off > cw_cur_left(c))
            return CW_PKT_BAD_TCP;
        out->l4proto = CW_L4_TCP;
        out->sport = (uint16_t)(th[0] << 8 | th[1]);
        out->dport = (uint16_t)(th[2] << 8 | th[3]);
        out->tcp_seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 |
                       th[7];
        out->tcp_ack = (uint32_t)th[8] << 24 | (uint32_t)th[9] << 16 | (uint32_t)th[10] << 8 |
                       th[11];
        out->tcp_flags = th[13];
        cw_cur_skip(c, off);
        out->payload = cw_cur_rest(c);
        return CW_PKT_OK;
    }
    case CW_L4_SCTP: {
        /* RFC 9260 3.1: common header, then chunks (walked by sctp.c) */
        uint16_t sp = cw_cur_u16be(c);
        uint16_t dp = cw_cur_u16be(c);
        cw_cur_skip(c, 8); /* verification tag, checksum */
        if (c->err)
            return CW_PKT_BAD_SCTP;
        out->l4proto = CW_L4_SCTP;
        out->sport = sp;
        out->dport = dp;
        out->tcp_flags = 0;
        out->tcp_seq = 0;
        out->payload = cw_cur_rest(c);
        return CW_PKT_OK;
    }
    case 47: /* GRE */
        if (depth + 1 > CW_PKT_MAX_TUNNELS)
            return CW_PKT_TUNNEL_TOO_DEEP;
        return gre(c, out, depth + 1);
    case 4: /* IP in IP */
        if (depth + 1 > CW_PKT_MAX_TUNNELS)
            return CW_PKT_TUNNEL_TOO_DEEP;
        out->tunnels++;
        return cw_pkt_ipv4(c, out, depth + 1);
    case 41: /* IPv6 in IP */
        if (depth + 1 > CW_PKT_MAX_TUNNELS)
            return CW_PKT_TUNNEL_TOO_DEEP;
        out->tunnels++;
        return cw_pkt_ipv6(c, out, depth + 1);
    default:
        return CW_PKT_OTHER_L4;
    }
}
