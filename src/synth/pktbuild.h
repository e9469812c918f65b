/* pktbuild.h - build whole Ethernet frames around a payload, for synth and for tests.
 *
 *   Ethernet II [802.1ad S-tag] [802.1Q tag] | IPv4 (20 bytes, no options) or IPv6 (40 bytes)
 *   [IPv6 Fragment header (8)] | UDP (8), TCP (20, no options) or any L4 bytes (SCTP) | payload
 *
 * IPv4: TTL 64, DF set (cleared in fragments), identification from the caller; the header
 * checksum is computed. UDP and TCP checksums are computed over the RFC 768 / RFC 793
 * (RFC 8200 for IPv6) pseudo-header. Fragments (RFC 791, RFC 8200 4.5) carry a slice of a
 * whole L4 datagram built first (cw_pkt_l4_udp). Frames are written into a caller buffer;
 * nothing is allocated.
 */
#ifndef CW_SYNTH_PKTBUILD_H
#define CW_SYNTH_PKTBUILD_H

#include <stddef.h>
#include <stdint.h>

#define CW_PKT_TCP_FIN 0x01
#define CW_PKT_TCP_SYN 0x02
#define CW_PKT_TCP_RST 0x04
#define CW_PKT_TCP_PSH 0x08
#define CW_PKT_TCP_ACK 0x10

/* The addressing of one frame. Zero-initialise it and set what matters: an all-zero MAC
 * address is replaced by a fixed locally administered one (02:00:00:00:00:01 source,
 * 02:00:00:00:00:02 destination). */
struct cw_pkt_addr {
    uint8_t ipver;            /* 4 or 6 */
    uint8_t src[16], dst[16]; /* IPv4: the first 4 bytes, network order */
    uint16_t sport, dport;
    uint16_t vlan;            /* 802.1Q VLAN id 1..4094; 0: no tag */
    uint16_t ip_id;           /* IPv4 identification */
    uint8_t src_mac[6], dst_mac[6];
    uint32_t tcp_seq, tcp_ack; /* TCP only */
    uint8_t tcp_flags;         /* TCP only; 0 means PSH|ACK */
    uint16_t vlan_outer;       /* 802.1ad S-tag (QinQ) VLAN id 1..4094 before the 802.1Q tag
                                * (needs vlan); 0: none */
    uint32_t frag_id;          /* IPv6 fragment identification (IPv4 uses ip_id) */
};

/**
 * Build Ethernet + IPv4/IPv6 (per a->ipver) + UDP around @p len bytes of @p payload into
 * @p out (capacity @p cap). Returns the frame length, or 0 when it does not fit in @p cap,
 * the payload is too long for one IP packet, or @p a is invalid.
 */
size_t cw_pkt_build_udp(uint8_t *out, size_t cap, const struct cw_pkt_addr *a,
                        const void *payload, size_t len);

/** As cw_pkt_build_udp() with a TCP header (seq a->tcp_seq, ack a->tcp_ack, window 65535). */
size_t cw_pkt_build_tcp(uint8_t *out, size_t cap, const struct cw_pkt_addr *a,
                        const void *payload, size_t len);

/**
 * The UDP header and payload alone (checksum over @p a's pseudo-header), for fragmenting:
 * returns its length (8 + @p len) or 0.
 */
size_t cw_pkt_l4_udp(uint8_t *out, size_t cap, const struct cw_pkt_addr *a, const void *payload,
                     size_t len);

/** Ethernet + IP (protocol @p proto) around @p l4len complete L4 bytes (an SCTP packet).
 *  Returns the frame length or 0. */
size_t cw_pkt_build_ip(uint8_t *out, size_t cap, const struct cw_pkt_addr *a, uint8_t proto,
                       const void *l4, size_t l4len);

/**
 * One IP fragment of the L4 datagram @p l4 (@p l4len bytes, protocol @p proto): its bytes
 * [@p off, @p off + @p n). @p off must be a multiple of 8, and so must @p n unless the slice
 * ends the datagram (then More Fragments is clear). IPv4: identification a->ip_id, DF clear;
 * IPv6: a Fragment header with identification a->frag_id. Returns the frame length or 0.
 */
size_t cw_pkt_build_frag(uint8_t *out, size_t cap, const struct cw_pkt_addr *a, uint8_t proto,
                         const void *l4, size_t l4len, size_t off, size_t n);

/** Fill a->src/dst from dotted IPv4 or IPv6 text and set a->ipver. Returns 0 or CW_EINVAL. */
int cw_pkt_addr_set(struct cw_pkt_addr *a, const char *src, const char *dst);

#endif
