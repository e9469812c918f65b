/* run_files.h - the offline reading loop: capture files and directories, merged in timestamp
 * order, each packet handed to a callback. */
#ifndef CW_RUN_FILES_H
#define CW_RUN_FILES_H

#include <signal.h>
#include <stdint.h>

#include "capture/capture.h"
#include "capture/dissect.h"
#include "output/summary.h"

/** Set (from any thread, or a signal handler: a lock-free atomic) to make cw_run_files stop
 *  after the packet in hand; it then sets res->stopped. cw_run_files does not clear it: when it
 *  is already set, nothing is read. */
extern _Atomic int cw_run_stop;

/** Called for each packet, in timestamp order across all files; pkt->data valid only during
 *  the call. */
typedef void (*cw_run_pkt_fn)(void *user, const struct cw_raw_pkt *pkt, uint32_t file_idx);

/**
 * Expand the command line's inputs into a list of files: a directory stands for the capture
 * files directly in it (*.pcap, *.pcapng, *.cap, also matching case-insensitively, and with
 * digits after them as tcpdump -C numbers its files: trace.pcap1; in name
 * order; not recursive; other files, subdirectories and names starting with '.' ignored; a
 * directory with none is an error naming it); "-" and files are kept as given.
 * On success returns 0 and a malloc'ed array (*files, *nfiles) of malloc'ed strings, freed with
 * cw_run_list_free. On error prints "cardwatch: PATH: reason" lines on stderr, sets *files to
 * NULL and *nfiles to 0, and returns the number of bad inputs (>0).
 */
int cw_run_expand(char *const *args, int nargs, char ***files, int *nfiles);

/** Free a list from cw_run_expand (NULL is fine). */
void cw_run_list_free(char **files, int nfiles);

/** Check that all files can be opened as captures before a long run; prints each error.
 *  "-" (standard input) is not opened, so as not to consume it; it may appear once.
 *  Returns the number of files that cannot. */
int cw_run_check_files(char *const *files, int nfiles);

/**
 * Read every file and call @p fn for each packet, file_idx = the file's position in @p files.
 * Packets of all files are merged by timestamp (pkt->ts_us): the next packet is always the
 * earliest of the files' next packets, ties going to the file earlier in the list; within one
 * file its own order is kept even if its timestamps go backwards. So rotated captures are read
 * one after the other and overlapping captures from several taps are interleaved.
 * Each file's first timestamp is pre-scanned at the start; a file is then opened only when the
 * merge reaches that time and closed at its end, so a list of rotated files keeps one or two
 * open. "-" (standard input) is opened at the start.
 * A file that cannot be opened, or is damaged part-way, is reported on stderr naming the file
 * (and the frame) and the run goes on with the others: res->files_ok counts files read to
 * their end, files_damaged those cut short (the packets before the damage were read),
 * files_unreadable those that could not be opened. When stopped by cw_run_stop, files not read
 * to their end are in none of the three and res->stopped is 1.
 * @p flags: CW_RUN_PROGRESS: a progress bar on stderr, only when stderr is a terminal,
 * redrawn at most every 0.5 s and erased at the end; CW_RUN_QUIET: report no file errors (for
 * the workers that read the same files as another that reports them).
 * Checks cw_run_stop before each packet.
 */
#define CW_RUN_PROGRESS 1
#define CW_RUN_QUIET 2
void cw_run_files(char *const *files, int nfiles, int flags, cw_run_pkt_fn fn, void *user,
                  struct cw_run_result *res);

/** The old interface: cw_run_files with a callback that calls
 *  cw_dissect_packet(d, pkt, pkt->linktype, file_idx). */
void cw_run_files_dissect(struct cw_dissector *d, char *const *files, int nfiles, int progress,
                          struct cw_run_result *res);

/** Monotonic clock, in seconds. */
double cw_now_seconds(void);

#endif
