/* rules.h - rule files, and the engine that applies them to joined events.
 *
 * A ruleset is read from a file or every *.rules file of a directory (docs/rules.md). The
 * engine keeps per-rule, per-key state over windows of packet time and reports one alert per
 * key per rule per window, through the sink, when the window closes or at flush.
 */
#ifndef CW_RULES_H
#define CW_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "store/registry.h"

struct cw_ruleset; /* opaque, immutable once loaded */

/**
 * Load rules from @p path (a file, or a directory whose *.rules files are read in name
 * order), and the content lists they declare (paths relative to the declaring file). On a syntax or
 * semantic error returns CW_EFORMAT and writes "FILE:LINE:COL: error: what was expected" into @p
 * err. The ruleset is owned by the caller.
 */
int cw_rules_load(const char *path, struct cw_ruleset **out, char *err, size_t errlen);
/**
 * Parse rules from @p len bytes at @p buf (need not be NUL-terminated; may hold any bytes),
 * named @p name in error messages; the lists it declares are read relative to the directory
 * of @p name. What cw_rules_load does for each file; an empty ruleset is
 * an error ("no rules in NAME"). Returns 0, CW_EFORMAT (message in @p err) or CW_ENOMEM.
 */
int cw_rules_parse_buffer(const char *name, const char *buf, size_t len, struct cw_ruleset **out,
                          char *err, size_t errlen);
void cw_rules_free(struct cw_ruleset *rs);
size_t cw_rules_count(const struct cw_ruleset *rs);
/** Name of rule @p i (0-based), valid while the ruleset lives. */
const char *cw_rules_name(const struct cw_ruleset *rs, size_t i);

#define CW_ALERT_SAMPLES_MAX 8

struct cw_alert_sample {
    uint64_t ts_us;
    uint64_t frame;
    uint32_t file_idx;
    uint8_t kind, proto;
    char calling[CW_NUM_MAX];
    char called[CW_NUM_MAX];
    char imei[CW_IMEI_MAX];
    char cell[CW_CELL_MAX];
};

#define CW_ALERT_MATCHES_MAX 8
#define CW_ALERT_MATCH_TEXT_MAX 64

/* A pattern of a content list that matched an event of the alert (one per pattern). */
struct cw_alert_match {
    const char *list;    /* the list's name, as the rule file declares it */
    const char *pattern; /* the pattern as written in the list file (a prefix: its digits) */
    unsigned line;       /* the pattern's line in the list file */
    unsigned text_len;
    char text[CW_ALERT_MATCH_TEXT_MAX + 1]; /* the matched text, NUL-terminated: the first
                                             * match's span (cut to 64 bytes on a UTF-8
                                             * boundary), or the number a prefix matched */
};

#define CW_ALERT_AGGS_MAX 8
/* Cards an alert of a rule grouped by something other than the card names (the first seen). */
#define CW_ALERT_MEMBERS_MAX 16

/* An aggregate a 'threshold' line of the rule tested, with its value when the alert fired. */
struct cw_alert_agg {
    const char *name;      /* "events", "received", "distinct_called", "rate_per_min",
                            * "span_s", "ratio_events_received" */
    const char *threshold; /* the line: "distinct called >= 40" */
    double value;
};

/* One alert; pointers valid only during the sink call. */
struct cw_alert {
    const char *rule;     /* rule name */
    const char *category; /* e.g. "black_card" */
    const char *severity; /* "low", "medium", "high", "critical" */
    const char *description;
    const char *rule_file; /* the rule's file as loaded, and the line its block starts on */
    unsigned rule_line;
    uint64_t window_us;   /* the rule's window of packet time */
    uint64_t threshold;   /* the fewest events it can fire at */
    uint64_t suppress_us; /* the rule's suppression period, 0 when none */
    int sliding;          /* the rule's windows overlap (one opens every half window) */
    int update;           /* 1: a later report of an alert already raised for this key, in its
                           * suppression period, with the counts since it opened */
    uint64_t received;    /* rules using 'received' */
    unsigned nmembers;    /* rules grouped by imei, id, outlet, cell, called or pair: the distinct
                           * cards (MSISDNs) seen in the window, first seen first */
    char members[CW_ALERT_MEMBERS_MAX][16];
    unsigned naggs; /* the rule's thresholds, in the order written */
    struct cw_alert_agg aggs[CW_ALERT_AGGS_MAX];
    const char *group;   /* what the key is: "card", "called", ... */
    const char *key;     /* the key value, e.g. the card's MSISDN */
    uint64_t ts_us;      /* packet time the alert was raised (the last event's) */
    struct cw_card card; /* the card the alert names, as the registry saw it at first event */
    uint64_t first_ts_us, last_ts_us;
    uint64_t events;
    uint64_t by_kind[CW_EV__COUNT];
    unsigned nsamples;
    struct cw_alert_sample samples[CW_ALERT_SAMPLES_MAX];
    unsigned nmatches; /* rules with content conditions: the patterns that matched, in the
                        * order first seen, at most CW_ALERT_MATCHES_MAX */
    struct cw_alert_match matches[CW_ALERT_MATCHES_MAX];
};

struct cw_alert_sink {
    void (*alert)(void *user, const struct cw_alert *a);
    void *user;
};

struct cw_engine; /* per worker */

struct cw_engine_stats {
    uint64_t events, matched, keys, keys_peak, alerts;
    uint64_t updates; /* later reports of held (suppressing) alerts */
    uint64_t dropped; /* rule matches not counted because window state could not be allocated */
    uint64_t state_bytes, state_peak, state_limit; /* window pool and key tables; 0: no cap */
    uint64_t evicted, evicted_alerted;
    uint64_t reloads, reload_kept, reload_fresh, reload_removed;
};
/* events: events fed; matched: events that matched at least one rule (with a non-empty key);
 * keys: (rule, key) windows open now; keys_peak: most open at once; alerts: alerts reported.
 * state_bytes: bytes the window states and key tables take now; state_peak: most at once;
 * state_limit: the cap (cw_engine_set_limit). evicted: windows closed early to stay under the
 * cap; evicted_alerted: those of them that had reached the threshold and reported their alert
 * then. reloads: successful cw_engine_reload calls; reload_kept, reload_fresh, reload_removed:
 * the last one's rules whose state was kept, rules changed or new, and rules removed. */

/** Default cap on an engine's rule state: 256 MiB. */
#define CW_ENGINE_LIMIT_DEFAULT ((size_t)256 << 20)

/** New engine over @p rs (which must outlive it, or until cw_engine_reload replaces it). Its
 *  state is capped at CW_ENGINE_LIMIT_DEFAULT bytes. */
int cw_engine_new(const struct cw_ruleset *rs, const struct cw_alert_sink *sink,
                  struct cw_engine **out);
void cw_engine_free(struct cw_engine *e);

/**
 * Cap the bytes of the engine's rule state (window states and key tables) at @p bytes; 0
 * removes the cap. When opening a window would pass the cap, the least recently updated
 * windows (across all rules) are closed early: one that has reached its rule's threshold
 * reports its alert then, one that has not is dropped (docs/rules.md, "Memory").
 */
void cw_engine_set_limit(struct cw_engine *e, size_t bytes);

/**
 * The carrier's country code ("86"): numbers an event is addressed to are normalised with it
 * (cw_msisdn_normalize) to find the window of the card that received it ('received'). Without
 * it they are compared as written.
 */
void cw_engine_set_country(struct cw_engine *e, const char *cc);

/**
 * Where cells are: @p fn(@p user, cell, province) fills the 2-digit province of a cell and
 * returns 1, or returns 0 when it does not know the cell. Called at most once per event, and
 * only for events with a cell that reach a condition on cell.* (docs/rules.md). Without a
 * locator no cell is located.
 */
void cw_engine_set_locator(struct cw_engine *e,
                           int (*fn)(void *user, const char *cell, char province[3]), void *user);

/**
 * Switch the engine to ruleset @p rs. Rules whose name and compiled definition are unchanged
 * (and that use no content list) keep their open windows and alert counts; changed and new
 * rules start empty; the windows of changed and removed rules are closed first, their due
 * alerts reported under the old rules. The old ruleset must stay alive until this returns;
 * the caller frees it after, and @p rs must then outlive the engine. Counts of the switch are
 * in cw_engine_stats (reload_*). Returns 0, or CW_ENOMEM with the engine unchanged.
 */
int cw_engine_reload(struct cw_engine *e, const struct cw_ruleset *rs);

/**
 * Feed one event with the registry's view of its calling card. Closes windows that packet
 * time has passed (reporting their alerts) before counting the event.
 */
void cw_engine_event(struct cw_engine *e, const struct cw_event *ev, const struct cw_card *card);

/* ---- several engines, each owning a share of the keys (analyze --threads) ----
 * A router engine (any engine over the same rules) works out, for an event, which rules it
 * matches and which shard owns each of their keys (cw_engine_route); each shard's engine then
 * counts the event for just those rules (cw_engine_event_routed). A key belongs to shard
 * cw_engine_shard_of(key) on every thread, so each window lives in exactly one engine. */
#define CW_ROUTE_RULES_MAX 256 /* rules a routed event can name; more need one thread */
#define CW_ROUTE_SHARDS_MAX 64

/* What one shard must do with an event: the rules to count it for, and whether it is counted
 * as received by a number that shard owns. */
struct cw_route {
    uint64_t rules[CW_ROUTE_RULES_MAX / 64];
    uint8_t received;
};

/** The shard (0 .. @p nshards - 1) that owns rule key @p key: a fixed hash, the same on every
 *  thread and in every run. */
unsigned cw_engine_shard_of(const char *key, size_t len, unsigned nshards);

/** Make @p e keep only the windows of keys cw_engine_shard_of() gives to @p shard: a sharded
 *  engine fed every event with cw_engine_event counts each in its own keys only. */
void cw_engine_set_shard(struct cw_engine *e, unsigned shard, unsigned nshards);

/**
 * Route one event: evaluate every rule's conditions for it, and for each rule it matches set
 * the rule's bit in per_shard[s].rules, s being the shard of the rule's key; set
 * per_shard[s].received for the shard owning the number the event is addressed to, when a rule
 * counts it as received. Returns the set of shards (bit s) whose per_shard[s] was filled (the
 * others are left as they were); 0 when none, or when nshards > CW_ROUTE_SHARDS_MAX or the rules
 * are more than CW_ROUTE_RULES_MAX. Keeps no state: any engine over the same rules will do.
 */
uint64_t cw_engine_route(struct cw_engine *e, const struct cw_event *ev, const struct cw_card *card,
                         unsigned nshards, struct cw_route *per_shard);

/** Count an event routed here (cw_engine_route on an engine over the same rules) for the rules
 *  @p route names, as cw_engine_event would for them. */
void cw_engine_event_routed(struct cw_engine *e, const struct cw_event *ev,
                            const struct cw_card *card, const struct cw_route *route);

/** Close every open window (end of input), reporting due alerts. */
void cw_engine_flush(struct cw_engine *e);

/** Alerts raised so far per rule: @p counts has cw_rules_count() entries. */
void cw_engine_stats(const struct cw_engine *e, struct cw_engine_stats *st,
                     uint64_t *alerts_per_rule);

#endif
