/* capture.h - packet sources: an opaque handle over a pcap or pcapng file, or a live interface
 * (Linux AF_PACKET through libpcap, optionally one of several captures sharing the interface's
 * traffic through PACKET_FANOUT). capture_pcap.c is the only libpcap user in the project.
 * A handle is used by one thread at a time; only cw_capture_break may be called from another
 * thread or a signal handler. */
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
    uint64_t frame;  /* 1-based frame number in the file (live: packets read from this capture) */
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

/** Options of a live capture; zero means the default. */
struct cw_live_opts {
    const char *iface; /* required */
    const char *bpf;   /* NULL or "": no filter */
    int snaplen;       /* bytes kept of each packet; 0: 65535 */
    int buffer_mib;    /* kernel ring size in MiB (1..2047); 0: 64 */
    int timeout_ms;    /* how long cw_capture_next waits for a packet before returning 0; 0: 100.
                        * Packets come in blocks: one is seen at most min(timeout_ms, 100) ms
                        * after it arrived (the ring's block timeout) */
    int fanout_group;  /* 0: none; else join PACKET_FANOUT group (fanout_group & 0xffff) with
                        * PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG: both directions of a flow
                        * and all fragments of an IPv4 datagram (delivered reassembled) reach the
                        * same capture; captures on one interface in one group share its traffic */
    int promisc;       /* put the interface in promiscuous mode */
};

/**
 * Open a live capture on o->iface: libpcap's TPACKET_V3 ring (immediate mode off, so packets
 * come in blocks), then the BPF filter (compiled with the interface's netmask when known), then
 * the fanout group when asked. Needs root or CAP_NET_RAW; the capture keeps working after the
 * process drops privileges (cw_drop_privileges).
 * On error returns a CW_E* code and writes "IFACE: reason" into @p err:
 *   CW_ENOTFOUND     "eth9: no such interface"
 *   CW_EIO           "eth0: capture needs root or CAP_NET_RAW (permission denied)", interface
 *                    down, and other libpcap failures (libpcap's words)
 *   CW_EINVAL        "eth0: filter 'tcp port': syntax error", bad option values
 *   CW_EUNSUPPORTED  the fanout group cannot be joined (kernel without PACKET_FANOUT, or the
 *                    group already exists with other settings, e.g. on another interface): the
 *                    caller may fall back to one capture without fanout
 * On success @p err holds libpcap's warning if pcap_activate gave one (e.g. promiscuous mode
 * not supported), else "".
 */
int cw_capture_open_live(const struct cw_live_opts *o, struct cw_capture **out, char *err,
                         size_t errlen);

/** 1 if @p c is a live capture, 0 if it reads a file. */
int cw_capture_is_live(const struct cw_capture *c);

/** The file's link type (LINKTYPE_* values as in the pcap file format); for pcapng, that of
 *  its first interface (each packet carries its own in struct cw_raw_pkt); for a live capture,
 *  the interface's. */
int cw_capture_linktype(const struct cw_capture *c);

/**
 * Next packet: 1 with *pkt filled, 0 at the end of the file, or a negative CW_E* code when
 * the file is damaged (e.g. cut mid-record); cw_capture_error() then says what and where.
 * Live: 1 with a packet (ts_us is the kernel's time stamp), 0 when none came within the
 * timeout or cw_capture_break was called (not the end: call again), <0 on an error such as
 * the interface going away.
 */
int cw_capture_next(struct cw_capture *c, struct cw_raw_pkt *pkt);

/** Message for the last error: "FILE: after frame N: reason" ("IFACE: after packet N: ..."). */
const char *cw_capture_error(const struct cw_capture *c);

/** Bytes of the file read so far and its total size (for progress), 0 when unknown (always 0
 *  for a live capture). */
void cw_capture_progress(const struct cw_capture *c, uint64_t *done, uint64_t *total);

/** Kernel counters of a live capture since it was opened, as 64-bit running totals. */
struct cw_capture_stats {
    uint64_t received;  /* packets that passed the filter, including those dropped */
    uint64_t dropped;   /* dropped because the ring was full */
    uint64_t ifdropped; /* dropped by the interface (only known in promiscuous mode) */
};

/** Fill @p st: 0, or CW_EUNSUPPORTED for a file, CW_EIO when the kernel does not answer.
 *  The totals stay right across the 32-bit wrap of libpcap's counters as long as this is
 *  called at least once per 2^32 packets. Not for a signal handler. */
int cw_capture_stats(struct cw_capture *c, struct cw_capture_stats *st);

/** Make a cw_capture_next that is waiting on a live capture return 0 soon (or the next one,
 *  if none is waiting). Async-signal-safe, and safe from another thread; no-op on a file. */
void cw_capture_break(struct cw_capture *c);

void cw_capture_free(struct cw_capture *c);

#endif
