/* pipeline.h - analyze's workers: packets -> events -> registry join -> rules, on N threads.
 *
 * Each worker owns a dissector (its flows: a symmetric hash of the flow, or of the addresses
 * for IP fragments, picks the worker of each packet), a registry reader with a cache of hot
 * cards, and one shard of the rule state (the windows of the keys cw_engine_shard_of gives
 * it). A worker routes each event it decodes (cw_engine_route) to the shards owning the keys
 * of the rules it matches, through lock-free single-producer single-consumer rings, one per
 * (worker, shard) pair. A shard takes the events from its rings in one global order: packet
 * order in the input (files) or packet time (live), ties by worker, then by event; so the
 * alerts of a capture do not depend on the number of threads or on how they were scheduled.
 *
 * Offline, every worker reads the input (cw_run_files) and keeps its own packets, so no packet
 * is copied between threads; live, each worker has its own capture on the interface, in one
 * PACKET_FANOUT group, and the kernel spreads the packets by flow.
 */
#ifndef CW_PIPELINE_H
#define CW_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "output/alerts.h"
#include "output/summary.h"
#include "rules/rules.h"
#include "store/registry.h"

#define CW_PIPE_WORKERS_MAX 64

struct cw_pipe_opts {
    unsigned workers;           /* 1 .. CW_PIPE_WORKERS_MAX */
    char *const *files;         /* offline input (cw_run_files), or NULL when live */
    int nfiles;
    int progress;               /* offline: progress bar on a terminal */
    struct cw_capture **caps;   /* live: one open capture per worker (the pipe owns them) */
    struct cw_registry *reg;    /* outlives the pipe */
    const struct cw_ruleset *rs; /* the rules at start (outlives the pipe) */
    size_t state_mem;           /* cap on all shards' rule state together; 0: none */
    struct cw_alert_sink sink;  /* called under a lock when there are several workers */
};

struct cw_pipe;

/** Set the workers up (nothing runs yet). Errors (out of memory, registry) go to @p err. */
int cw_pipe_new(const struct cw_pipe_opts *o, struct cw_pipe **out, char *err, size_t errlen);
/** Start the worker threads; signals should be blocked in the calling thread first (the
 *  threads inherit its mask). 0 or CW_ENOMEM. */
int cw_pipe_start(struct cw_pipe *p);
/** Number of workers still running. */
unsigned cw_pipe_running(const struct cw_pipe *p);
/** Ask the workers to stop soon (SIGINT): they finish the packet in hand, close their flows and
 *  windows, report due alerts and end. */
void cw_pipe_stop(struct cw_pipe *p);
/** Switch to ruleset @p rs (owned by the pipe from then on, freed by cw_pipe_free). Workers
 *  switch between two events; the first shard to switch prints the usual reload line.
 *  Returns 0, or CW_EBUSY (the previous reloads are still being applied: try again later;
 *  @p rs is not taken) or CW_EINVAL (more rules than several workers can route). */
int cw_pipe_reload(struct cw_pipe *p, struct cw_ruleset *rs, const char *path);
/** Wait for every worker to end. */
void cw_pipe_join(struct cw_pipe *p);

/* Counters for the periodic stats line, read while the workers run. */
struct cw_pipe_progress {
    uint64_t packets, bytes, malformed, decode_errors, events, alerts;
    uint64_t kernel_received, kernel_dropped; /* live: the captures' pcap_stats */
    unsigned workers;
    uint64_t worker_packets[CW_PIPE_WORKERS_MAX];
};
void cw_pipe_progress(const struct cw_pipe *p, struct cw_pipe_progress *pr);

/** After cw_pipe_join: fill the summary's inputs (dissectors, engines, registry counters,
 *  real-name tallies merged from all workers, files read). */
void cw_pipe_summary(struct cw_pipe *p, struct cw_summary_in *in);
/** The ruleset in force at the end. */
const struct cw_ruleset *cw_pipe_rules(const struct cw_pipe *p);

void cw_pipe_free(struct cw_pipe *p);

#endif
