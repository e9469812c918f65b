/* summary.c - what a run did, for people: counters, rates, alerts by rule, top cards. */
#include "output/summary.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

struct proto_list {
    FILE *f;
    int n;
};

static void print_proto(void *user, const char *name, uint64_t flows)
{
    struct proto_list *pl = user;
    fprintf(pl->f, "%s%s %" PRIu64, pl->n++ ? ", " : "", name, flows);
}

const char *cw_summary_grouped(uint64_t v, char buf[32])
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

/* Rule state memory: peak, cap, windows evicted to stay under it. */
static void print_state(FILE *f, const struct cw_engine_stats *es)
{
    char b1[32], b2[32];
    fprintf(f, "rule state   %.1f MiB peak", (double)es->state_peak / (1024.0 * 1024.0));
    if (es->state_limit)
        fprintf(f, es->state_limit % (1u << 20) ? " of %.2f MiB cap" : " of %.0f MiB cap",
                (double)es->state_limit / (1024.0 * 1024.0));
    else
        fputs(", no cap", f);
    fprintf(f, "; %s windows evicted (%s alerted early)", cw_summary_grouped(es->evicted, b1),
            cw_summary_grouped(es->evicted_alerted, b2));
    if (es->dropped)
        fprintf(f, ", %s rule matches not counted (no state)", cw_summary_grouped(es->dropped, b1));
    fputc('\n', f);
}

/* Several workers' counters added up; every field of cw_dissect_stats is a uint64_t count
 * (for the peaks, the sum is an upper bound). */
static void sum_dissect(const struct cw_summary_in *in, struct cw_dissect_stats *st)
{
    _Static_assert(sizeof *st % sizeof(uint64_t) == 0, "cw_dissect_stats holds only counters");
    memset(st, 0, sizeof *st);
    for (unsigned i = 0; i < in->nd; i++) {
        struct cw_dissect_stats one;
        cw_dissect_stats(in->d[i], &one);
        uint64_t a[sizeof one / sizeof(uint64_t)], b[sizeof one / sizeof(uint64_t)];
        memcpy(a, st, sizeof a);
        memcpy(b, &one, sizeof b);
        for (size_t k = 0; k < sizeof a / sizeof a[0]; k++)
            a[k] += b[k];
        memcpy(st, a, sizeof a);
    }
}

/* The flows of every worker by nDPI protocol, added up by name. */
struct proto_sum {
    const char *name[512];
    uint64_t flows[512];
    unsigned n;
};

static void add_proto(void *user, const char *name, uint64_t flows)
{
    struct proto_sum *ps = user;
    for (unsigned i = 0; i < ps->n; i++)
        if (strcmp(ps->name[i], name) == 0) {
            ps->flows[i] += flows;
            return;
        }
    if (ps->n < sizeof ps->name / sizeof ps->name[0]) {
        ps->name[ps->n] = name;
        ps->flows[ps->n++] = flows;
    }
}

static void sum_engines(const struct cw_summary_in *in, struct cw_engine_stats *es, uint64_t *per,
                        size_t nr)
{
    memset(es, 0, sizeof *es);
    uint64_t *one = calloc(nr ? nr : 1, sizeof *one);
    for (unsigned i = 0; i < in->ne; i++) {
        struct cw_engine_stats s;
        cw_engine_stats(in->engines[i], &s, one);
        es->events += s.events;
        es->matched += s.matched;
        es->keys += s.keys;
        es->keys_peak += s.keys_peak;
        es->alerts += s.alerts;
        es->updates += s.updates;
        es->dropped += s.dropped;
        es->state_bytes += s.state_bytes;
        es->state_peak += s.state_peak;
        es->state_limit += s.state_limit;
        es->evicted += s.evicted;
        es->evicted_alerted += s.evicted_alerted;
        es->reloads = s.reloads;
        es->reload_kept = s.reload_kept;
        es->reload_fresh = s.reload_fresh;
        es->reload_removed = s.reload_removed;
        for (size_t r = 0; one && per && r < nr; r++)
            per[r] += one[r];
    }
    free(one);
}

void cw_summary_print(FILE *f, const struct cw_summary_in *in)
{
    struct cw_dissect_stats st;
    sum_dissect(in, &st);
    double secs = in->run.seconds > 0 ? in->run.seconds : 1e-9;
    fprintf(f, "---- cardwatch summary ----\n");
    if (in->interface)
        fprintf(f, "interface    %s (live)", in->interface);
    else
        fprintf(f, "files        %" PRIu64 " read", in->run.files_ok);
    if (in->nd > 1)
        fprintf(f, ", %u worker threads", in->nd);
    if (in->run.stopped)
        fputs(", interrupted", f);
    if (in->run.files_damaged && !in->interface)
        fprintf(f, ", %" PRIu64 " damaged (read up to the damage)", in->run.files_damaged);
    if (in->run.files_unreadable)
        fprintf(f, ", %" PRIu64 " unreadable (skipped)", in->run.files_unreadable);
    fputc('\n', f);
    fprintf(
        f, "packets      %" PRIu64 " (%.1f MB), malformed %" PRIu64 ", not inspected %" PRIu64 "\n",
        st.packets, (double)st.bytes / 1e6, st.malformed, st.skipped);
    int any = 0;
    for (unsigned r = 1; r < CW_PKT__COUNT; r++) {
        if (!st.reasons[r])
            continue;
        fprintf(f, "%s%s %" PRIu64,
                any++ ? ", " : "             by reason: ", cw_pkt_reason_name(r), st.reasons[r]);
    }
    if (any)
        fputc('\n', f);
    fprintf(f, "time         %.3f s wall, %.0f packets/s, %.1f Mbit/s\n", in->run.seconds,
            (double)st.packets / secs, (double)st.bytes * 8 / secs / 1e6);
    fprintf(f, "flows        %" PRIu64 " (peak %" PRIu64 " open)", st.flows.created, st.flows.peak);
    struct proto_list pl = {f, 0};
    fputs(" by nDPI protocol: ", f);
    struct proto_sum *ps = calloc(1, sizeof *ps);
    for (unsigned i = 0; ps && i < in->nd; i++)
        cw_dissect_proto_flows(in->d[i], add_proto, ps);
    for (unsigned i = 0; ps && i < ps->n; i++)
        print_proto(&pl, ps->name[i], ps->flows[i]);
    free(ps);
    if (!pl.n)
        fputs("none", f);
    fputc('\n', f);
    if (st.tcp_gaps || st.tcp_retransmissions || st.tcp_overflows || st.tcp_out_of_order ||
        st.tcp_resyncs || st.tcp_resync_bytes)
        fprintf(f,
                "tcp          gaps %" PRIu64 ", out of order %" PRIu64 ", retransmissions %" PRIu64
                ", oversized messages %" PRIu64 ", resyncs %" PRIu64 " (%" PRIu64
                " bytes skipped)\n",
                st.tcp_gaps, st.tcp_out_of_order, st.tcp_retransmissions, st.tcp_overflows,
                st.tcp_resyncs, st.tcp_resync_bytes);
    if (st.stream_memcap)
        fprintf(f,
                "memory       stream buffers at their cap: %" PRIu64
                " partial messages or held segments not kept\n",
                st.stream_memcap);
    if (st.ws_upgrades)
        fprintf(f,
                "websocket    flows %" PRIu64 ", messages %" PRIu64 ", control frames %" PRIu64
                ", unusable messages %" PRIu64 "\n",
                st.ws_upgrades, st.ws_messages, st.ws_control, st.ws_unusable);
    if (st.frags.fragments)
        fprintf(f,
                "fragments    %" PRIu64 ": %" PRIu64 " datagrams reassembled, %" PRIu64
                " overlaps, %" PRIu64 " timed out, %" PRIu64 " evicted, %" PRIu64 " unusable\n",
                st.frags.fragments, st.frags.reassembled, st.frags.overlaps, st.frags.timeouts,
                st.frags.evicted, st.frags.bad);
    if (st.sctp_chunks)
        fprintf(f,
                "sctp         chunks %" PRIu64 ", data %" PRIu64 ", reassembled messages %" PRIu64
                ", malformed chunks %" PRIu64 ", lost fragments %" PRIu64
                ", retransmissions %" PRIu64 "\n",
                st.sctp_chunks, st.sctp_data, st.sctp_reassembled, st.sctp_bad_chunks,
                st.sctp_lost_fragments, st.sctp_retransmissions);
    uint64_t total = 0;
    for (unsigned k = 0; k < CW_EV__COUNT; k++)
        total += st.events[k];
    fprintf(f, "events       %" PRIu64, total);
    for (unsigned k = 0; k < CW_EV__COUNT; k++)
        if (st.events[k])
            fprintf(f, ", %s %" PRIu64, cw_event_kind_name(k), st.events[k]);
    fputc('\n', f);
    fprintf(f, "messages     ");
    any = 0;
    for (unsigned p = 0; p < CW_PROTO__COUNT; p++)
        if (st.dec.messages[p])
            fprintf(f, "%s%s %" PRIu64, any++ ? ", " : "", cw_proto_name(p), st.dec.messages[p]);
    fprintf(f, "%s; decoder errors %" PRIu64 "\n", any ? "" : "none", st.decode_errors);
    any = 0;
    for (unsigned a = 0; a < CW_DA__COUNT; a++)
        if (st.dec.anomalies[a])
            fprintf(f, "%s%s %" PRIu64, any++ ? ", " : "anomalies    ", cw_decode_anomaly_name(a),
                    st.dec.anomalies[a]);
    if (any)
        fputc('\n', f);
    if (!in->rules)
        return;
    fprintf(f,
            "registry     %" PRIu64 " lookups: %" PRIu64 " registered, %" PRIu64
            " home numbers, %" PRIu64 " home unregistered, %" PRIu64 " home unverified",
            in->lookups, in->registered, in->home, in->home_unregistered, in->home_unverified);
    if (in->over_quota)
        fprintf(f, ", %" PRIu64 " of cards whose holder has more than 5 in the province",
                in->over_quota);
    if (in->lookups)
        fprintf(f, " (%" PRIu64 " from LMDB, %.2f per event; the rest from the hot-card cache)",
                in->registry_gets, (double)in->registry_gets / (double)in->lookups);
    if (in->refreshes)
        fprintf(f, ", snapshot renewed %" PRIu64 " times after updates", in->refreshes);
    if (in->lookup_errors)
        fprintf(f, ", %" PRIu64 " lookup errors", in->lookup_errors);
    fputc('\n', f);
    if (in->realname)
        cw_realname_print(f, in->realname);
    size_t nr = cw_rules_count(in->rules);
    uint64_t *per = calloc(nr ? nr : 1, sizeof *per);
    struct cw_engine_stats es;
    sum_engines(in, &es, per, nr);
    fprintf(f,
            "alerts       %" PRIu64 " and %" PRIu64
            " updates of them (suppression, sliding windows); state: %" PRIu64 " keys peak\n",
            es.alerts, es.updates, es.keys_peak);
    print_state(f, &es);
    for (size_t i = 0; i < nr; i++)
        fprintf(f, "  %-28s %" PRIu64 "\n", cw_rules_name(in->rules, i), per ? per[i] : 0);
    free(per);
    if (in->alerts && in->alerts->ntop) {
        /* most active alerted cards first */
        const struct cw_top_card *order[CW_TOP_CARDS];
        unsigned n = in->alerts->ntop;
        for (unsigned i = 0; i < n; i++)
            order[i] = &in->alerts->top[i];
        for (unsigned i = 1; i < n; i++)
            for (unsigned k = i; k > 0 && order[k]->events > order[k - 1]->events; k--) {
                const struct cw_top_card *t = order[k];
                order[k] = order[k - 1];
                order[k - 1] = t;
            }
        fprintf(f, "top cards    (by events in one alert)\n");
        for (unsigned i = 0; i < n; i++)
            fprintf(f, "  %-18s %-28s %" PRIu64 " events\n", order[i]->msisdn, order[i]->rule,
                    order[i]->events);
    }
}
