/* pcapw.h - a classic pcap file writer (the libpcap savefile format, written by hand).
 *
 *   global header (24 bytes): magic 0xa1b2c3d4, version 2.4, thiszone 0, sigfigs 0,
 *                             snaplen 65535, linktype
 *   per record   (16 bytes):  ts_sec, ts_usec, caplen, len; then caplen bytes of packet
 *
 * Every field is written little-endian, whatever the host, so that the same packets give the
 * same file on every machine (readers tell the byte order from the magic). Writes go through
 * a stdio buffer; the first failure is remembered and reported by every later call and by
 * cw_pcapw_close(). Used by synth and by tests that need a capture; it does not use libpcap
 * (only src/capture/capture_pcap.c may).
 */
#ifndef CW_SYNTH_PCAPW_H
#define CW_SYNTH_PCAPW_H

#include <stddef.h>
#include <stdint.h>

#define CW_PCAPW_SNAPLEN 65535u

struct cw_pcapw;

/**
 * Create (or truncate) @p path and write the global header for link type @p linktype
 * (1 = Ethernet, 101 = raw IP, ...). On success *w is a handle the caller must pass to
 * cw_pcapw_close(). Returns 0, CW_EINVAL (bad arguments), CW_ENOMEM, or CW_EIO (errno tells why).
 */
int cw_pcapw_open(const char *path, int linktype, struct cw_pcapw **w);

/**
 * Append one packet captured at @p ts_us (microseconds since the epoch, UTC), @p len bytes of
 * @p data. Packets longer than the snaplen are cut to it (the record keeps the original len).
 * Returns 0, or CW_EIO when this or an earlier write failed.
 */
int cw_pcapw_write(struct cw_pcapw *w, uint64_t ts_us, const void *data, size_t len);

/** Packets written so far. */
uint64_t cw_pcapw_count(const struct cw_pcapw *w);

/**
 * Flush and close the file and free the handle (NULL is fine). Returns 0, or CW_EIO when any
 * write, the flush or the close failed: then the file is incomplete.
 */
int cw_pcapw_close(struct cw_pcapw *w);

#endif
