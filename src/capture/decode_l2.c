/* decode_l2.c - link layers down to the network protocol: Ethernet II with 802.1Q/802.1ad
 * tags (IEEE 802.1Q), Linux cooked capture v1/v2 (SLL, SLL2), raw IP, BSD loopback.
 *
 *   Ethernet: dst(6) src(6) [TPID 8100/88a8/9100 TCI(2)]* ethertype(2) payload
 *   SLL:      type(2) arphrd(2) addrlen(2) addr(8) protocol(2) payload
 *   SLL2:     protocol(2) reserved(2) ifindex(4) arphrd(2) type(1) addrlen(1) addr(8) payload
 */
#include "capture/packet_int.h"

#define MAX_VLAN_TAGS 4

int cw_pkt_ethernet(struct cw_cursor *c, struct cw_pkt *out, unsigned depth)
{
    cw_cur_skip(c, 12);
    uint16_t et = cw_cur_u16be(c);
    for (int tags = 0; !c->err && (et == 0x8100 || et == 0x88a8 || et == 0x9100); tags++) {
        if (tags == MAX_VLAN_TAGS)
            return CW_PKT_TRUNCATED_L2;
        cw_cur_skip(c, 2); /* TCI */
        et = cw_cur_u16be(c);
    }
    if (c->err)
        return CW_PKT_TRUNCATED_L2;
    return cw_pkt_ethertype(c, et, out, depth);
}

int cw_pkt_ethertype(struct cw_cursor *c, uint16_t et, struct cw_pkt *out, unsigned depth)
{
    switch (et) {
    case 0x0800:
        return cw_pkt_ipv4(c, out, depth);
    case 0x86dd:
        return cw_pkt_ipv6(c, out, depth);
    default:
        return CW_PKT_NOT_IP;
    }
}

/* Raw IP: the version nibble says which. */
static int raw_ip(struct cw_cursor *c, struct cw_pkt *out)
{
    if (cw_cur_left(c) < 1)
        return CW_PKT_TRUNCATED_L2;
    switch (c->p[0] >> 4) {
    case 4:
        return cw_pkt_ipv4(c, out, 0);
    case 6:
        return cw_pkt_ipv6(c, out, 0);
    default:
        return CW_PKT_BAD_IP_HEADER;
    }
}

int cw_pkt_decode(const uint8_t *data, size_t len, int linktype, struct cw_pkt *out)
{
    struct cw_cursor c = cw_cur_make(data, len);
    out->tunnels = 0;
    switch (linktype) {
    case CW_LINKTYPE_ETHERNET:
        return cw_pkt_ethernet(&c, out, 0);
    case CW_LINKTYPE_RAW:
    case CW_LINKTYPE_IPV4:
    case CW_LINKTYPE_IPV6:
        return raw_ip(&c, out);
    case CW_LINKTYPE_LINUX_SLL: {
        cw_cur_skip(&c, 14);
        uint16_t proto = cw_cur_u16be(&c);
        if (c.err)
            return CW_PKT_TRUNCATED_L2;
        return cw_pkt_ethertype(&c, proto, out, 0);
    }
    case CW_LINKTYPE_LINUX_SLL2: {
        uint16_t proto = cw_cur_u16be(&c);
        cw_cur_skip(&c, 18);
        if (c.err)
            return CW_PKT_TRUNCATED_L2;
        return cw_pkt_ethertype(&c, proto, out, 0);
    }
    case CW_LINKTYPE_NULL:
    case CW_LINKTYPE_LOOP: {
        /* 4-byte address family, host order for NULL (written by the capturing host: accept
         * either byte order), network order for LOOP. */
        if (cw_cur_left(&c) < 4)
            return CW_PKT_TRUNCATED_L2;
        uint32_t le = (uint32_t)c.p[0] | (uint32_t)c.p[1] << 8 | (uint32_t)c.p[2] << 16 |
                      (uint32_t)c.p[3] << 24;
        uint32_t be = cw_cur_u32be(&c);
        uint32_t fam = (linktype == CW_LINKTYPE_LOOP) ? be : (le < 256 ? le : be);
        if (fam == 2)
            return cw_pkt_ipv4(&c, out, 0);
        if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
            return cw_pkt_ipv6(&c, out, 0);
        return CW_PKT_NOT_IP;
    }
    default:
        return CW_PKT_UNKNOWN_LINKTYPE;
    }
}

static const char *const reason_names[] = {
    "ok",
#define CW_X(id, name, bad) name,
    CW_PKT_REASONS(CW_X)
#undef CW_X
};

static const unsigned char reason_bad[] = {
    0,
#define CW_X(id, name, bad) bad,
    CW_PKT_REASONS(CW_X)
#undef CW_X
};

const char *cw_pkt_reason_name(unsigned r)
{
    return r < CW_PKT__COUNT ? reason_names[r] : "unknown";
}

int cw_pkt_reason_malformed(unsigned r)
{
    return r < CW_PKT__COUNT ? reason_bad[r] : 1;
}
