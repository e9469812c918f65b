/* pcapng.h - a pcapng reader (draft-ietf-opsawg-pcapng) for capture_pcap.c. libpcap 1.10
 * refuses files whose interfaces differ in snapshot length or link type (tshark reads them, and
 * captures merged from several taps have them), so pcapng files are read here, each packet
 * with its own interface's link type and timestamp resolution. */
#ifndef CW_PCAPNG_H
#define CW_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"

#define CW_PCAPNG_SHB 0x0A0D0D0Au

struct cw_pcapng;

/** Start reading @p fp (positioned at the Section Header Block; owned by the reader from now
 *  on, closed by cw_pcapng_free). Errors name @p path. */
int cw_pcapng_open(FILE *fp, const char *path, struct cw_pcapng **out, char *err, size_t errlen);

/** Next packet (pkt->linktype set): 1, 0 at the end, or a negative CW_E* code with @p err
 *  saying what is wrong and after which frame. */
int cw_pcapng_next(struct cw_pcapng *r, struct cw_raw_pkt *pkt, char *err, size_t errlen);

/** Link type of the first interface (0 before one is seen). */
int cw_pcapng_linktype(const struct cw_pcapng *r);

void cw_pcapng_free(struct cw_pcapng *r);

#endif
