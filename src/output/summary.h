/* summary.h - the end-of-run summary printed to stderr by decode and analyze. */
#ifndef CW_SUMMARY_H
#define CW_SUMMARY_H

#include <stdio.h>

#include "capture/dissect.h"
#include "output/alerts.h"
#include "output/realname.h"
#include "rules/rules.h"

/* What reading the input files came to (filled by the reading loop). */
struct cw_run_result {
    uint64_t files_ok, files_damaged, files_unreadable;
    double seconds;
    int stopped;
};

struct cw_summary_in {
    const struct cw_dissector *const *d; /* one per worker; their counts are added up */
    unsigned nd;
    struct cw_run_result run;
    const char *interface; /* a live capture's (then run.files_* are not shown) */
    /* analyze only (NULL for decode) */
    const struct cw_ruleset *rules;
    const struct cw_engine *const *engines; /* one per shard of the rule state */
    unsigned ne;
    const struct cw_alert_writer *alerts;
    uint64_t lookups, registered, home, home_unregistered, home_unverified, lookup_errors;
    uint64_t registry_gets; /* lookups that went to LMDB (not answered by the hot-card cache) */
    uint64_t over_quota;  /* lookups of cards whose holder is over 5 cards in the province */
    uint64_t refreshes;   /* registry snapshots renewed after an update was committed */
    const struct cw_realname *realname; /* the real-name rate in traffic */
};

void cw_summary_print(FILE *f, const struct cw_summary_in *in);

/** @p v with thousands separators ("1,234"), written into and returning @p buf. */
const char *cw_summary_grouped(uint64_t v, char buf[32]);

#endif
