/* pipeline.c - analyze's workers, their rings and the order shards take events in
 * (pipeline.h). */
#include "cli/pipeline.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/dissect.h"
#include "capture/packet.h"
#include "cli/run_files.h"
#include "output/realname.h"
#include "store/card_cache.h"
#include "util/error.h"
#include "util/spsc.h"

/* Look this often (events) whether a registry update was committed, and renew the snapshot
 * then: a cheap check (no system call), so updates are seen within a few events. */
#define POLL_EVERY 64
/* Publish the counters for the stats line this often (packets). */
#define PUBLISH_EVERY 1024
/* Rulesets kept at once: a reload waits until the one this many back is out of use. */
#define RS_SLOTS 8
/* Live: a worker that saw no packet for a while says it will see none older than this. */
#define LIVE_SLACK_US 2000000u
#define CACHE_LOG2 16

/* One event on its way to a shard. */
struct rec {
    uint64_t order; /* the packet's place: its index in the input, or its time (live) */
    uint32_t sub;   /* the event's place among those of its packet */
    uint32_t gen;   /* the rules it was routed with */
    struct cw_route route;
    struct cw_card card;
    struct cw_event ev; /* ev.text points into text[] once taken */
    uint8_t text[];
};

/* A counter one thread writes and others read. */
typedef _Atomic uint64_t pub_u64;

struct worker {
    struct cw_pipe *p;
    unsigned idx;
    pthread_t th;
    int started;
    struct cw_dissector *d;
    struct cw_reg_reader *rd;
    struct cw_card_cache *cache;
    struct cw_engine *router; /* evaluates the rules for routing (several workers) */
    struct cw_engine *shard;  /* this worker's share of the rule state */
    struct cw_realname *realname;
    struct cw_capture *cap; /* live */
    struct cw_run_result res;
    uint64_t seq;   /* offline: packets of the input seen so far (every worker sees all) */
    uint64_t order; /* the packet in hand */
    uint32_t sub;
    unsigned router_gen, shard_gen;
    uint64_t since_poll, since_publish;
    /* registry counters (cmd_analyze's summary) */
    uint64_t lookups, registered, home, home_unregistered, home_unverified, lookup_errors;
    uint64_t over_quota, refreshes;
    struct cw_route routes[CW_ROUTE_SHARDS_MAX];
    /* what other threads read */
    alignas(64) _Atomic uint64_t lb; /* every event still to come from here is at or after */
    _Atomic int done;
    _Atomic unsigned pub_router_gen, pub_shard_gen;
    pub_u64 pkts, bytes, malformed, decode_errors, events, krecv, kdrop;
};

struct cw_pipe {
    unsigned n;
    struct worker *w;
    struct cw_spsc *rings; /* rings[from * n + to] */
    char *const *files;
    int nfiles, progress;
    struct cw_registry *reg;
    struct cw_alert_sink sink;
    pthread_mutex_t alert_lock;
    pub_u64 alerts;
    _Atomic int stop;
    _Atomic unsigned gen; /* the newest ruleset */
    const struct cw_ruleset *rs[RS_SLOTS];
    struct cw_ruleset *owned[RS_SLOTS]; /* rulesets loaded by reloads (freed at the end) */
    const char *rules_path;
    _Atomic int reload_said;
    struct cw_realname *realname; /* all workers' merged, after join */
    unsigned running_init;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- alerts: one writer for all shards ---- */

static void locked_alert(void *user, const struct cw_alert *a)
{
    struct cw_pipe *p = user;
    pthread_mutex_lock(&p->alert_lock); /* per alert, never per packet */
    p->sink.alert(p->sink.user, a);
    pthread_mutex_unlock(&p->alert_lock);
    atomic_fetch_add_explicit(&p->alerts, 1, memory_order_relaxed);
}

/* ---- which worker a packet belongs to ---- */

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint64_t addr_sum(const uint8_t a[16], int v6)
{
    uint64_t x, y = 0;
    memcpy(&x, a, 8);
    if (v6)
        memcpy(&y, a + 8, 8);
    else
        x &= 0xffffffffull; /* IPv4: the first 4 bytes only */
    return mix64(x) ^ mix64(y + 0x9e3779b97f4a7c15ull);
}

/* Which worker packet @p pkt (as cw_pkt_decode gave it, with result @p r) belongs to.
 * Symmetric: both directions of a flow give the same worker, and all fragments of a datagram
 * (hashed by their addresses alone, as the ports are in the first one only). Packets that are
 * not IP go to worker 0, which counts them. */
static unsigned owner_of(const struct cw_pkt *pkt, int r, unsigned n)
{
    if (r != CW_PKT_OK && r != CW_PKT_IP_FRAGMENT)
        return 0;
    int v6 = pkt->ipver == 6;
    uint64_t h = addr_sum(pkt->src, v6) + addr_sum(pkt->dst, v6); /* + commutes: symmetric */
    if (r == CW_PKT_OK)
        h += mix64(((uint64_t)pkt->sport + pkt->dport) ^ ((uint64_t)pkt->sport * pkt->dport << 20) ^
                   (uint64_t)pkt->l4proto << 56);
    else
        h += (uint64_t)pkt->frag_proto << 56;
    return (unsigned)(mix64(h) % n);
}

/* ---- a shard taking its events in order ---- */

struct key {
    uint64_t order;
    unsigned worker;
    uint32_t sub;
};

static int key_less(const struct key *a, const struct key *b)
{
    if (a->order != b->order)
        return a->order < b->order;
    if (a->worker != b->worker)
        return a->worker < b->worker;
    return a->sub < b->sub;
}

static void shard_reload(struct worker *w, unsigned gen)
{
    struct cw_pipe *p = w->p;
    const struct cw_ruleset *rs = p->rs[gen % RS_SLOTS];
    if (cw_engine_reload(w->shard, rs) != 0) {
        fprintf(stderr, "cardwatch: analyze: worker %u: out of memory: its rules not reloaded\n",
                w->idx);
    } else if (!atomic_exchange(&p->reload_said, 1)) {
        struct cw_engine_stats st;
        cw_engine_stats(w->shard, &st, NULL);
        fprintf(stderr,
                "cardwatch: analyze: rules reloaded from %s: %llu unchanged (state kept), %llu "
                "changed or new, %llu removed\n",
                p->rules_path, (unsigned long long)st.reload_kept,
                (unsigned long long)st.reload_fresh, (unsigned long long)st.reload_removed);
    }
    w->shard_gen = gen;
    atomic_store_explicit(&w->pub_shard_gen, gen, memory_order_release);
}

static void take(struct worker *w, struct rec *r)
{
    r->ev.text.p = r->text;
    if (r->gen > w->shard_gen)
        shard_reload(w, r->gen);
    if (r->gen == w->shard_gen)
        cw_engine_event_routed(w->shard, &r->ev, &r->card, &r->route);
    else /* routed by older rules: this shard's own keys of the rules in force */
        cw_engine_event(w->shard, &r->ev, &r->card);
}

/* Take every event that is next in the global order. Returns how many. */
static unsigned drain(struct worker *w)
{
    struct cw_pipe *p = w->p;
    unsigned n = p->n, did = 0;
    for (;;) {
        struct key best = {UINT64_MAX, UINT32_MAX, UINT32_MAX};
        int best_q = -1; /* -1: the earliest is a worker's bound, not an event */
        const struct rec *best_rec = NULL;
        size_t best_len = 0;
        for (unsigned q = 0; q < n; q++) {
            /* the bound first: events behind it are in the ring by the time it is seen */
            uint64_t lb = atomic_load_explicit(&p->w[q].lb, memory_order_acquire);
            size_t len;
            const struct rec *r = cw_spsc_peek(&p->rings[q * n + w->idx], &len);
            struct key k;
            if (r)
                k = (struct key){r->order, q, r->sub};
            else
                k = (struct key){lb, q, 0};
            if (!key_less(&k, &best))
                continue;
            best = k;
            best_q = r ? (int)q : -1;
            best_rec = r;
            best_len = len;
        }
        if (best_q < 0)
            return did;
        take(w, (struct rec *)(uintptr_t)best_rec);
        cw_spsc_release(&p->rings[(unsigned)best_q * n + w->idx], best_len);
        did++;
    }
}

/* Several workers: a shard with nothing to take switches to the newest rules once no event
 * routed with older ones can still come. */
static void shard_catch_up(struct worker *w)
{
    struct cw_pipe *p = w->p;
    unsigned gen = atomic_load_explicit(&p->gen, memory_order_acquire);
    if (w->shard_gen == gen)
        return;
    for (unsigned q = 0; q < p->n; q++) {
        size_t len;
        if (atomic_load_explicit(&p->w[q].pub_router_gen, memory_order_acquire) < gen ||
            cw_spsc_peek(&p->rings[q * p->n + w->idx], &len))
            return;
    }
    shard_reload(w, gen);
}

/* ---- a worker's events ---- */

static void push(struct worker *w, unsigned s, const struct cw_event *ev, const struct cw_card *c)
{
    struct cw_pipe *p = w->p;
    struct cw_spsc *ring = &p->rings[w->idx * p->n + s];
    size_t tlen = ev->text.len, len = sizeof(struct rec) + tlen;
    struct rec *r;
    unsigned spins = 0;
    while (!(r = cw_spsc_reserve(ring, len))) {
        if (tlen > ring->cap / 8) { /* never fits: cut the text */
            tlen = ring->cap / 8;
            len = sizeof(struct rec) + tlen;
            continue;
        }
        /* the shard is behind: help by taking this worker's own share meanwhile */
        if (!drain(w) && ++spins > 64)
            sched_yield();
    }
    r->order = w->order;
    r->sub = w->sub;
    r->gen = w->router_gen;
    r->route = w->routes[s];
    r->card = *c;
    r->ev = *ev;
    r->ev.text.p = NULL;
    r->ev.text.len = tlen;
    if (tlen)
        memcpy(r->text, ev->text.p, tlen);
    cw_spsc_commit(ring, len);
}

static void router_catch_up(struct worker *w)
{
    struct cw_pipe *p = w->p;
    unsigned gen = atomic_load_explicit(&p->gen, memory_order_acquire);
    if (gen == w->router_gen)
        return;
    if (p->n == 1) {
        shard_reload(w, gen); /* one worker: its one engine */
    } else if (cw_engine_reload(w->router, p->rs[gen % RS_SLOTS]) != 0) {
        return; /* out of memory: try again at the next event */
    }
    w->router_gen = gen;
    atomic_store_explicit(&w->pub_router_gen, gen, memory_order_release);
}

static void on_event(void *user, const struct cw_event *ev)
{
    struct worker *w = user;
    router_catch_up(w);
    struct cw_card card;
    /* A number sent in global form keeps its digits as they are; only a national number
     * gets the carrier's country code (cw_msisdn_normalize). */
    char num[CW_NUM_MAX + 2] = "";
    if (!(ev->flags & CW_EVF_CALLING_ALNUM) && ev->calling[0]) {
        size_t plus = (ev->flags & CW_EVF_CALLING_INTL) != 0;
        size_t n = strnlen(ev->calling, sizeof ev->calling - 1);
        num[0] = '+';
        memcpy(num + plus, ev->calling, n);
        num[plus + n] = '\0';
    }
    int rc = cw_card_cache_lookup(w->cache, num, ev->imsi, &card);
    w->lookups++;
    if (rc < 0)
        w->lookup_errors++;
    else if (rc == 1)
        w->registered++;
    if (card.person_cards_province > 5)
        w->over_quota++;
    if (card.home) {
        w->home++;
        if (!card.registered)
            w->home_unregistered++;
        else if (!card.verified)
            w->home_unverified++;
    }
    if (rc >= 0 && cw_realname_event(w->realname, ev, &card) != 0)
        w->lookup_errors++; /* the set of cards in use could not grow */
    struct cw_pipe *p = w->p;
    if (p->n == 1) {
        cw_engine_event(w->shard, ev, &card);
    } else {
        uint64_t to = cw_engine_route(w->router, ev, &card, p->n, w->routes);
        for (unsigned s = 0; to; s++, to >>= 1)
            if (to & 1)
                push(w, s, ev, &card);
        w->sub++;
    }
    if (++w->since_poll >= POLL_EVERY) {
        w->since_poll = 0;
        int r = cw_card_cache_poll(w->cache);
        if (r < 0)
            w->lookup_errors++;
        else
            w->refreshes += (uint64_t)r;
    }
}

/* The engine's locator: the registry's cells table, in this worker's snapshot. */
static int locate_cell(void *user, const char *cell, char province[3])
{
    struct worker *w = user;
    return cw_reg_cell_province(w->rd, cell, province);
}

static void publish(struct worker *w)
{
    struct cw_dissect_stats st;
    cw_dissect_stats(w->d, &st);
    uint64_t ev = 0;
    for (unsigned k = 0; k < CW_EV__COUNT; k++)
        ev += st.events[k];
    atomic_store_explicit(&w->pkts, st.packets, memory_order_relaxed);
    atomic_store_explicit(&w->bytes, st.bytes, memory_order_relaxed);
    atomic_store_explicit(&w->malformed, st.malformed, memory_order_relaxed);
    atomic_store_explicit(&w->decode_errors, st.decode_errors, memory_order_relaxed);
    atomic_store_explicit(&w->events, ev, memory_order_relaxed);
    if (w->cap) {
        struct cw_capture_stats cs;
        if (cw_capture_stats(w->cap, &cs) == 0) {
            atomic_store_explicit(&w->krecv, cs.received, memory_order_relaxed);
            atomic_store_explicit(&w->kdrop, cs.dropped + cs.ifdropped, memory_order_relaxed);
        }
    }
}

/* The packet in hand is at @p order: publish it as this worker's bound. */
static void at_order(struct worker *w, uint64_t order)
{
    w->order = order;
    w->sub = 0;
    atomic_store_explicit(&w->lb, order, memory_order_release);
}

static void on_packet(void *user, const struct cw_raw_pkt *pkt, uint32_t file_idx)
{
    struct worker *w = user;
    struct cw_pipe *p = w->p;
    uint64_t order = ++w->seq;
    struct cw_pkt dec;
    int r;
    if (p->n == 1) {
        cw_dissect_packet(w->d, pkt, pkt->linktype, file_idx);
    } else if (r = cw_pkt_decode(pkt->data, pkt->caplen, pkt->linktype, &dec),
               owner_of(&dec, r, p->n) == w->idx) {
        at_order(w, order);
        cw_dissect_decoded(w->d, pkt, &dec, r, file_idx); /* decoded once */
    } else {
        /* another worker's packet: nothing comes from here before the next one */
        atomic_store_explicit(&w->lb, order + 1, memory_order_release);
    }
    if ((order & 63) == 0 && p->n > 1) {
        at_order(w, order + 1); /* nothing more comes from here before the next packet */
        if (!drain(w))
            shard_catch_up(w);
    }
    if (++w->since_publish >= PUBLISH_EVERY) {
        w->since_publish = 0;
        publish(w);
    }
}

static void run_live(struct worker *w)
{
    struct cw_pipe *p = w->p;
    struct cw_raw_pkt pkt;
    uint64_t last_publish = 0;
    while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        int rc = cw_capture_next(w->cap, &pkt);
        if (rc < 0) {
            fprintf(stderr, "cardwatch: %s (worker %u stops)\n", cw_capture_error(w->cap), w->idx);
            w->res.files_damaged++;
            break;
        }
        uint64_t order = w->order;
        if (rc == 1 && pkt.ts_us > order)
            order = pkt.ts_us;
        if (rc == 0) {
            uint64_t t = now_us() - LIVE_SLACK_US;
            if (t > order)
                order = t;
        }
        if (p->n > 1)
            at_order(w, order);
        else
            w->order = order;
        if (rc == 1)
            cw_dissect_packet(w->d, &pkt, pkt.linktype, 0);
        if (p->n > 1 && (rc == 0 || (++w->seq & 63) == 0) && !drain(w))
            shard_catch_up(w);
        if (rc == 0)
            router_catch_up(w);
        if (rc == 0 || ++w->since_publish >= PUBLISH_EVERY) {
            uint64_t t = now_us();
            w->since_publish = 0;
            if (t - last_publish >= 250000u) { /* pcap_stats is a system call */
                publish(w);
                last_publish = t;
            }
        }
    }
    w->res.files_ok = 1;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct cw_pipe *p = w->p;
    double t0 = cw_now_seconds();
    if (w->cap)
        run_live(w);
    else
        cw_run_files(p->files, p->nfiles,
                     w->idx        ? CW_RUN_QUIET
                     : p->progress ? CW_RUN_PROGRESS
                                   : 0,
                     on_packet, w, &w->res);
    /* end of input: the flows' last events, after every packet (the same place in all
     * workers), then nothing more from here */
    at_order(w, w->seq + 1 > w->order ? w->seq + 1 : w->order + 1);
    cw_dissect_finish(w->d);
    publish(w);
    atomic_store_explicit(&w->lb, UINT64_MAX, memory_order_release);
    atomic_store_explicit(&w->done, 1, memory_order_release);
    if (p->n > 1) {
        /* take what the others still send, until all of them are done */
        for (;;) {
            int all = 1;
            for (unsigned q = 0; q < p->n; q++)
                all &= atomic_load_explicit(&p->w[q].done, memory_order_acquire);
            unsigned got = drain(w);
            if (all && !drain(w))
                break;
            if (!got)
                sched_yield();
        }
    }
    router_catch_up(w);
    cw_engine_flush(w->shard);
    w->res.seconds = cw_now_seconds() - t0;
    return NULL;
}

/* ---- set-up ---- */

int cw_pipe_new(const struct cw_pipe_opts *o, struct cw_pipe **out, char *err, size_t errlen)
{
    *out = NULL;
    if (o->workers < 1 || o->workers > CW_PIPE_WORKERS_MAX) {
        snprintf(err, errlen, "%u workers: from 1 to %d", o->workers, CW_PIPE_WORKERS_MAX);
        return CW_EINVAL;
    }
    if (o->workers > 1 && cw_rules_count(o->rs) > CW_ROUTE_RULES_MAX) {
        snprintf(err, errlen, "%zu rules: several workers can route at most %d; use --threads 1",
                 cw_rules_count(o->rs), CW_ROUTE_RULES_MAX);
        return CW_EINVAL;
    }
    struct cw_pipe *p = calloc(1, sizeof *p);
    if (!p)
        goto nomem;
    p->n = o->workers;
    p->files = o->files;
    p->nfiles = o->nfiles;
    p->progress = o->progress;
    p->reg = o->reg;
    p->sink = o->sink;
    p->rs[0] = o->rs;
    pthread_mutex_init(&p->alert_lock, NULL);
    struct cw_alert_sink sink = {locked_alert, p};
    if (!(p->w = calloc(p->n, sizeof *p->w)) ||
        (p->n > 1 && !(p->rings = calloc((size_t)p->n * p->n, sizeof *p->rings))))
        goto nomem;
    if (p->rings) {
        /* about 32 MiB in all, 256 KiB to 4 MiB each */
        size_t cap = ((size_t)32 << 20) / ((size_t)p->n * p->n);
        cap = cap < (256u << 10) ? (256u << 10) : cap > (4u << 20) ? (4u << 20) : cap;
        for (size_t i = 0; i < (size_t)p->n * p->n; i++)
            if (cw_spsc_init(&p->rings[i], cap) != 0)
                goto nomem;
    }
    struct cw_registry_info info;
    int have_info = cw_registry_info(o->reg, &info) == 0;
    for (unsigned i = 0; i < p->n; i++) {
        struct worker *w = &p->w[i];
        w->p = p;
        w->idx = i;
        atomic_init(&w->lb, 0);
        struct cw_event_sink es = {on_event, w, NULL};
        if (cw_reg_reader_new(o->reg, &w->rd) != 0) {
            snprintf(err, errlen, "cannot open a registry reader for worker %u", i);
            cw_pipe_free(p);
            return CW_EDB;
        }
        if (cw_card_cache_new(w->rd, CACHE_LOG2, &w->cache) != 0 ||
            cw_realname_new(&w->realname) != 0 || cw_dissect_new(&es, &w->d) != 0 ||
            cw_engine_new(o->rs, &sink, &w->shard) != 0 ||
            (p->n > 1 && cw_engine_new(o->rs, NULL, &w->router) != 0))
            goto nomem;
        /* each shard gets its share of the cap; a sharded engine keeps only its own keys */
        cw_engine_set_limit(w->shard, o->state_mem ? (o->state_mem + p->n - 1) / p->n : 0);
        cw_engine_set_shard(w->shard, i, p->n);
        cw_engine_set_locator(w->shard, locate_cell, w);
        if (w->router)
            cw_engine_set_locator(w->router, locate_cell, w);
        if (have_info) {
            /* what a card received is found by its number in the registry's form */
            cw_engine_set_country(w->shard, info.cc);
            if (w->router)
                cw_engine_set_country(w->router, info.cc);
        }
    }
    if (o->caps)
        for (unsigned i = 0; i < p->n; i++) {
            p->w[i].cap = o->caps[i]; /* the workers own them now */
            o->caps[i] = NULL;
        }
    *out = p;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory setting up %u workers", o->workers);
    cw_pipe_free(p);
    return CW_ENOMEM;
}

int cw_pipe_start(struct cw_pipe *p)
{
    for (unsigned i = 0; i < p->n; i++) {
        if (pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i]) != 0) {
            cw_pipe_stop(p);
            return CW_ENOMEM;
        }
        p->w[i].started = 1;
    }
    return 0;
}

unsigned cw_pipe_running(const struct cw_pipe *p)
{
    unsigned n = 0;
    for (unsigned i = 0; i < p->n; i++)
        n += p->w[i].started && !atomic_load_explicit(&p->w[i].done, memory_order_acquire);
    return n;
}

void cw_pipe_stop(struct cw_pipe *p)
{
    atomic_store(&p->stop, 1);
    atomic_store(&cw_run_stop, 1);
    for (unsigned i = 0; i < p->n; i++)
        if (p->w[i].cap)
            cw_capture_break(p->w[i].cap);
}

int cw_pipe_reload(struct cw_pipe *p, struct cw_ruleset *rs, const char *path)
{
    if (p->n > 1 && cw_rules_count(rs) > CW_ROUTE_RULES_MAX)
        return CW_EINVAL;
    unsigned gen = atomic_load(&p->gen) + 1;
    /* the slot gen reuses must be out of use: every router and shard past it */
    for (unsigned i = 0; i < p->n; i++)
        if (gen - atomic_load(&p->w[i].pub_router_gen) >= RS_SLOTS ||
            gen - atomic_load(&p->w[i].pub_shard_gen) >= RS_SLOTS)
            return CW_EFULL;
    unsigned slot = gen % RS_SLOTS;
    cw_rules_free(p->owned[slot]);
    p->owned[slot] = rs;
    p->rs[slot] = rs;
    p->rules_path = path;
    atomic_store(&p->reload_said, 0);
    atomic_store_explicit(&p->gen, gen, memory_order_release);
    return 0;
}

void cw_pipe_join(struct cw_pipe *p)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->w[i].started) {
            pthread_join(p->w[i].th, NULL);
            p->w[i].started = 0;
        }
}

void cw_pipe_progress(const struct cw_pipe *p, struct cw_pipe_progress *pr)
{
    memset(pr, 0, sizeof *pr);
    pr->workers = p->n;
    for (unsigned i = 0; i < p->n; i++) {
        const struct worker *w = &p->w[i];
        uint64_t k = atomic_load_explicit(&w->pkts, memory_order_relaxed);
        pr->worker_packets[i] = k;
        pr->packets += k;
        pr->bytes += atomic_load_explicit(&w->bytes, memory_order_relaxed);
        pr->malformed += atomic_load_explicit(&w->malformed, memory_order_relaxed);
        pr->decode_errors += atomic_load_explicit(&w->decode_errors, memory_order_relaxed);
        pr->events += atomic_load_explicit(&w->events, memory_order_relaxed);
        pr->kernel_received += atomic_load_explicit(&w->krecv, memory_order_relaxed);
        pr->kernel_dropped += atomic_load_explicit(&w->kdrop, memory_order_relaxed);
    }
    pr->alerts = atomic_load_explicit(&p->alerts, memory_order_relaxed);
}

void cw_pipe_summary(struct cw_pipe *p, struct cw_summary_in *in)
{
    static const struct cw_dissector *ds[CW_PIPE_WORKERS_MAX];
    static const struct cw_engine *es[CW_PIPE_WORKERS_MAX];
    memset(&in->run, 0, sizeof in->run);
    if (!p->realname && cw_realname_new(&p->realname) != 0)
        p->realname = NULL;
    for (unsigned i = 0; i < p->n; i++) {
        struct worker *w = &p->w[i];
        ds[i] = w->d;
        es[i] = w->shard;
        in->lookups += w->lookups;
        in->registered += w->registered;
        in->home += w->home;
        in->home_unregistered += w->home_unregistered;
        in->home_unverified += w->home_unverified;
        in->lookup_errors += w->lookup_errors;
        in->over_quota += w->over_quota;
        in->refreshes += w->refreshes;
        struct cw_card_cache_stats cs;
        cw_card_cache_stats(w->cache, &cs);
        in->registry_gets += cs.misses;
        if (p->realname)
            cw_realname_merge(p->realname, w->realname);
        if (w->res.seconds > in->run.seconds)
            in->run.seconds = w->res.seconds;
        in->run.stopped |= w->res.stopped;
    }
    /* every worker read every file: one worker's count of them is the run's */
    in->run.files_ok = p->w[0].res.files_ok;
    in->run.files_damaged = p->w[0].res.files_damaged;
    in->run.files_unreadable = p->w[0].res.files_unreadable;
    if (p->w[0].cap) {
        in->run.files_ok = 0;
        for (unsigned i = 0; i < p->n; i++)
            in->run.files_damaged += p->w[i].res.files_damaged;
    }
    in->d = ds;
    in->nd = p->n;
    in->engines = es;
    in->ne = p->n;
    in->realname = p->realname;
    in->rules = cw_pipe_rules(p);
}

const struct cw_ruleset *cw_pipe_rules(const struct cw_pipe *p)
{
    return p->rs[atomic_load(&p->gen) % RS_SLOTS];
}

void cw_pipe_free(struct cw_pipe *p)
{
    if (!p)
        return;
    cw_pipe_stop(p);
    cw_pipe_join(p);
    for (unsigned i = 0; p->w && i < p->n; i++) {
        struct worker *w = &p->w[i];
        cw_dissect_free(w->d);
        cw_engine_free(w->shard);
        cw_engine_free(w->router);
        cw_realname_free(w->realname);
        cw_card_cache_free(w->cache);
        cw_reg_reader_free(w->rd);
        cw_capture_free(w->cap);
    }
    if (p->rings)
        for (size_t i = 0; i < (size_t)p->n * p->n; i++)
            cw_spsc_destroy(&p->rings[i]);
    for (unsigned i = 0; i < RS_SLOTS; i++)
        cw_rules_free(p->owned[i]);
    cw_realname_free(p->realname);
    pthread_mutex_destroy(&p->alert_lock);
    free(p->rings);
    free(p->w);
    free(p);
}
