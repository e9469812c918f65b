/* packet_int.h - internal steps of the L2-L4 decode, shared by decode_l2.c and decode_ip.c. */
#ifndef CW_PACKET_INT_H
#define CW_PACKET_INT_H

#include "capture/packet.h"
#include "util/cursor.h"

/* Encapsulations removed at most (GRE, GTP-U, ...); beyond that the packet is refused. */
#define CW_PKT_MAX_TUNNELS 4

int cw_pkt_ethernet(struct cw_cursor *c, struct cw_pkt *out, unsigned depth);
int cw_pkt_ethertype(struct cw_cursor *c, uint16_t et, struct cw_pkt *out, unsigned depth);
int cw_pkt_ipv4(struct cw_cursor *c, struct cw_pkt *out, unsigned depth);
int cw_pkt_ipv6(struct cw_cursor *c, struct cw_pkt *out, unsigned depth);

#endif
