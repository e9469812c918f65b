/* sigtran.h - SS7 over IP up to SCCP: M3UA (RFC 4666) DATA, or M2PA (RFC 4165) User Data
 * carrying MTP3 (ITU-T Q.704); then SCCP (ITU-T Q.713) connectionless messages UDT, XUDT
 * (segmented XUDTs reassembled), LUDT and their service variants, whose user data is TCAP,
 * handed to the MAP decoder (map.h) with the point codes and global titles.
 *
 * Reassembly of segmented XUDTs needs state across packets: one struct cw_sigtran per worker,
 * of fixed size (CW_SCCP_REASM_SLOTS messages of at most CW_SCCP_REASM_MAX bytes at once). */
#ifndef CW_SIGTRAN_H
#define CW_SIGTRAN_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "util/slice.h"

/* SCTP payload protocol identifiers (IANA) and the usual ports. */
#define CW_PPID_M3UA 3
#define CW_PPID_M2PA 5
#define CW_PORT_M3UA 2905
#define CW_PORT_M2PA 3565

#define CW_SCCP_REASM_SLOTS 16
#define CW_SCCP_REASM_MAX 4096 /* 16 segments of up to 255 bytes: what XUDT can carry */
#define CW_SCCP_REASM_TIMEOUT_US (10ull * 1000000ull)

enum cw_sigtran_layer {
    CW_SIGTRAN_M3UA = 0,
    CW_SIGTRAN_M2PA = 1,
};

struct cw_sigtran;

int cw_sigtran_new(struct cw_sigtran **out);
void cw_sigtran_free(struct cw_sigtran *s);

/**
 * Decode one M3UA or M2PA message (one SCTP user message) down to MAP. Management messages
 * (ASP, SSNM, link status) are read and ignored. Returns CW_PARSE_OK or CW_PARSE_ERROR
 * (counted by reason in @p st). @p s may be NULL: segmented XUDTs are then counted as lost.
 */
int cw_sigtran_decode(struct cw_sigtran *s, enum cw_sigtran_layer layer, struct cw_slice msg,
                      const struct cw_pkt_meta *meta, const struct cw_event_sink *sink,
                      struct cw_decode_stats *st);

#endif
