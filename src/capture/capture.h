/* capture.h - packet sources: an opaque handle over a pcap or pcapng file.
 * capture_pcap.c is the only libpcap user in the project. */
#ifndef CW_CAPTURE_H
#define CW_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct cw_capture; /* opaque */

/* One packet as read; data is owned by the capture and valid until the next call. */
struct cw_raw_pkt {
    uint64_t ts_us;
    const uint8_t *data;
    uint32_t caplen; /* bytes present */
    uint32_t len;    /* bytes on the wire */
    uint64_t frame;  /* 1-based frame number in the file */
    int linktype;    /* LINKTYPE_* of this packet (pcapng interfaces may differ) */
};

/**
 * Open a pcap or pcapng file for reading (classic pcap through libpcap; pcapng by pcapng.c,
 * which reads files whose interfaces differ, as libpcap 1.10 does not). On error returns a CW_E*
 * code and writes
 * "FILE: reason" into @p err (not a capture file, empty file, unreadable, ...).
 * A @p path of "-" reads standard input (a pipe will do: nothing is read twice), through
 * libpcap alone; the capture then owns stdin and closes it when freed.
 */
int cw_capture_open_file(const char *path, struct cw_capture **out, char *err, size_t errlen);

/** The file's link type (LINKTYPE_* values as in the pcap file format); for pcapng, that of
 *  its first interface (each packet carries its own in struct cw_raw_pkt). */
int cw_capture_linktype(const struct cw_capture *c);

/**
 * Next packet: 1 with *pkt filled, 0 at the end of the file, or a negative CW_E* code when
 * the file is damaged (e.g. cut mid-record); cw_capture_error() then says what and where.
 */
int cw_capture_next(struct cw_capture *c, struct cw_raw_pkt *pkt);

/** Message for the last error: "FILE: after frame N: reason". */
const char *cw_capture_error(const struct cw_capture *c);

/** Bytes of the file read so far and its total size (for progress), 0 when unknown. */
void cw_capture_progress(const struct cw_capture *c, uint64_t *done, uint64_t *total);

void cw_capture_free(struct cw_capture *c);

#endif
