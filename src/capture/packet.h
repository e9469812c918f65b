/* packet.h - L2-L4 decode of one captured packet down to its transport payload.
 *
 * Link layers: Ethernet (802.1Q / QinQ), Linux cooked SLL and SLL2, raw IP, BSD loopback.
 * Network: IPv4 and IPv6 (extension headers). Tunnels: GRE (IP, PPP, transparent Ethernet
 * bridging) and GTP-U (UDP 2152), to a bounded depth; the innermost IP packet is reported.
 * Transport: UDP, TCP and SCTP (the payload is the chunk area: sctp.h walks it). Every length
 * is checked against the bytes really captured.
 */
#ifndef CW_PACKET_H
#define CW_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "util/slice.h"

/* Why a packet was not decoded to a payload. MALFORMED ones count as malformed packets;
 * the others are packets we do not look into (ARP, ICMP, SCTP, fragments for now). */
#define CW_PKT_REASONS(X)                                                                \
    X(TRUNCATED_L2, "truncated_l2", 1)                                                   \
    X(BAD_IP_HEADER, "bad_ip_header", 1)                                                 \
    X(BAD_IP_LENGTH, "bad_ip_length", 1)                                                 \
    X(TRUNCATED_IP, "truncated_ip", 1)                                                   \
    X(BAD_IPV6_EXT, "bad_ipv6_ext_header", 1)                                            \
    X(BAD_UDP, "bad_udp_header", 1)                                                      \
    X(BAD_TCP, "bad_tcp_header", 1)                                                      \
    X(BAD_SCTP, "bad_sctp_header", 1)                                                    \
    X(BAD_TUNNEL, "bad_tunnel_header", 1)                                                \
    X(TUNNEL_TOO_DEEP, "tunnel_too_deep", 1)                                             \
    X(UNKNOWN_LINKTYPE, "unknown_linktype", 0)                                           \
    X(NOT_IP, "not_ip", 0)                                                               \
    X(OTHER_L4, "other_l4", 0)                                                           \
    X(IP_FRAGMENT, "ip_fragment", 0)

enum cw_pkt_reason {
    CW_PKT_OK = 0,
#define CW_X(id, name, bad) CW_PKT_##id,
    CW_PKT_REASONS(CW_X)
#undef CW_X
    CW_PKT__COUNT
};

const char *cw_pkt_reason_name(unsigned r);
/** 1 when the reason means the packet is malformed (not just uninteresting). */
int cw_pkt_reason_malformed(unsigned r);

enum { CW_L4_UDP = 17, CW_L4_TCP = 6, CW_L4_SCTP = 132 };

enum cw_tcp_flag { CW_TCP_FIN = 1, CW_TCP_SYN = 2, CW_TCP_RST = 4, CW_TCP_ACK = 16 };

/* A decoded packet; every pointer points into the captured bytes. */
struct cw_pkt {
    const uint8_t *l3; /* innermost IP header (what nDPI wants) */
    size_t l3_len;     /* IP header + payload as the IP length says, cut to what is there */
    uint8_t ipver;     /* 4 or 6 */
    uint8_t l4proto;   /* CW_L4_UDP, CW_L4_TCP or CW_L4_SCTP */
    uint8_t tunnels;   /* encapsulations removed */
    uint8_t tcp_flags;
    uint8_t src[16], dst[16]; /* IPv4 addresses in the first 4 bytes */
    uint16_t sport, dport;
    uint32_t tcp_seq;
    uint32_t tcp_ack; /* acknowledgment number (with CW_TCP_ACK) */
    /* With CW_PKT_IP_FRAGMENT (for frag.c): which datagram, where this piece goes; payload is
     * then the fragment's data and l3 its IP header. */
    uint32_t frag_id;     /* IPv4 identification, or IPv6 fragment header identification */
    uint32_t frag_offset; /* bytes */
    uint8_t frag_more;    /* more fragments follow */
    uint8_t frag_proto;   /* transport protocol of the whole datagram */
    struct cw_slice payload; /* transport payload; for SCTP the chunks after the common header */
};

/* Link types we read (values of the pcap LINKTYPE_* registry). */
enum {
    CW_LINKTYPE_NULL = 0,
    CW_LINKTYPE_ETHERNET = 1,
    CW_LINKTYPE_RAW = 101,
    CW_LINKTYPE_LOOP = 108,
    CW_LINKTYPE_LINUX_SLL = 113,
    CW_LINKTYPE_IPV4 = 228,
    CW_LINKTYPE_IPV6 = 229,
    CW_LINKTYPE_LINUX_SLL2 = 276,
};

/** Decode @p len captured bytes of link type @p linktype. Returns CW_PKT_OK or a reason. */
int cw_pkt_decode(const uint8_t *data, size_t len, int linktype, struct cw_pkt *out);

#endif
