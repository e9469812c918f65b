/* fuzz_packet.c - libFuzzer target for the packet path: the first input byte picks a link
 * type we read, the rest is one captured frame. It goes through cw_pkt_decode (the result is
 * checked to point inside the frame) and then through one long-lived dissector (flows, nDPI,
 * TCP reassembly, SIP), frame after frame, so state carries over from one input to the next.
 * Every so often the dissector is finished, its counters checked, and a new one started. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/dissect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int LINKTYPES[] = {
    CW_LINKTYPE_ETHERNET, CW_LINKTYPE_NULL, CW_LINKTYPE_RAW,        CW_LINKTYPE_LOOP,
    CW_LINKTYPE_LINUX_SLL, CW_LINKTYPE_LINUX_SLL2, CW_LINKTYPE_IPV4, CW_LINKTYPE_IPV6,
};
#define NLINKTYPES (sizeof LINKTYPES / sizeof LINKTYPES[0])

/* Inputs per dissector before it is finished and replaced. */
#define DISSECTOR_LIFE 20000

struct run {
    struct cw_dissector *d;
    uint64_t frame, ts_us;
    uint64_t fed, refused, frags; /* frames given, refused by cw_pkt_decode, IP fragments */
    uint64_t events, proto_flows;
};

static struct run R;

/* An invariant of ours that does not hold: say which, then crash for libFuzzer. */
#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_packet: %s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                                \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static void on_event(void *user, const struct cw_event *ev)
{
    struct run *r = user;
    CHECK(ev->kind < CW_EV__COUNT && ev->proto < CW_PROTO__COUNT);
    CHECK(ev->frame == r->frame && ev->ts_us == r->ts_us && ev->file_idx == 7);
    CHECK(memchr(ev->calling, 0, sizeof ev->calling) && memchr(ev->called, 0, sizeof ev->called));
    CHECK(memchr(ev->imsi, 0, sizeof ev->imsi) && memchr(ev->imei, 0, sizeof ev->imei));
    /* read every text byte: ASan checks the slice is live and in bounds */
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < ev->text.len; i++)
        sum ^= ev->text.p[i];
    (void)sum;
    r->events++;
}

static void on_proto(void *user, const char *proto, uint64_t flows)
{
    struct run *r = user;
    CHECK(proto && flows > 0);
    r->proto_flows += flows;
}

static void dissector_start(void)
{
    struct cw_event_sink sink = {on_event, &R, NULL};
    CHECK(cw_dissect_new(&sink, &R.d) == 0);
    R.fed = R.refused = R.frags = R.events = R.proto_flows = 0;
}

static void dissector_end(void)
{
    struct cw_dissect_stats st;
    cw_dissect_finish(R.d);
    cw_dissect_stats(R.d, &st);
    uint64_t by_reason = 0, events = 0;
    for (unsigned i = 0; i < CW_PKT__COUNT; i++)
        by_reason += st.reasons[i];
    for (unsigned i = 0; i < CW_EV__COUNT; i++)
        events += st.events[i];
    CHECK(st.packets == R.fed);
    /* fragments go to the reassembly table; a reassembled datagram is decoded again and may
     * itself be refused */
    CHECK(st.frags.fragments == R.frags);
    CHECK(st.frags.reassembled <= R.frags);
    CHECK(st.malformed + st.skipped >= R.refused &&
          st.malformed + st.skipped <= R.refused + st.frags.reassembled);
    CHECK(by_reason == st.malformed + st.skipped);
    CHECK(st.reasons[CW_PKT_OK] == 0);
    CHECK(events == R.events);
    /* every resync skipped at least one byte; WebSocket frames are read only in flows that
     * upgraded to SIP over WebSocket */
    CHECK(st.tcp_resyncs <= st.tcp_resync_bytes);
    CHECK(st.ws_upgrades <= st.flows.created);
    CHECK(st.ws_upgrades || (st.ws_messages == 0 && st.ws_control == 0 && st.ws_unusable == 0));
    /* every stream buffer and held segment went with its flow */
    CHECK(st.stream_mem == 0);
    /* after finish the flow counters are those of the end of input */
    CHECK(st.flows.created <= R.fed - R.refused && st.flows.active <= st.flows.created);
    CHECK(st.flows.expired + st.flows.evicted + st.flows.active == st.flows.created);
    cw_dissect_proto_flows(R.d, on_proto, &R);
    CHECK(R.proto_flows == st.flows.created); /* every flow got a verdict, if only Unknown */
    cw_dissect_free(R.d);
    R.d = NULL;
}

static void check_decoded(const uint8_t *buf, size_t len, int rc, const struct cw_pkt *p)
{
    CHECK(rc >= 0 && rc < CW_PKT__COUNT);
    if (rc != CW_PKT_OK)
        return;
    const uint8_t *end = buf + len;
    CHECK(p->ipver == 4 || p->ipver == 6);
    CHECK(p->l4proto == CW_L4_UDP || p->l4proto == CW_L4_TCP || p->l4proto == CW_L4_SCTP);
    CHECK(p->l3 >= buf && p->l3 <= end && p->l3_len <= (size_t)(end - p->l3));
    CHECK(p->payload.len == 0 || (p->payload.p >= buf && p->payload.p <= end &&
                                  p->payload.len <= (size_t)(end - p->payload.p)));
    CHECK(p->tunnels <= 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int lt = LINKTYPES[data[0] % NLINKTYPES];
    size_t len = size - 1;
    /* an exactly-sized copy, so ASan sees any read past the end */
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, len);

    struct cw_pkt pkt;
    int rc = cw_pkt_decode(buf, len, lt, &pkt);
    check_decoded(buf, len, rc, &pkt);

    if (!R.d)
        dissector_start();
    struct cw_raw_pkt raw;
    R.frame++;
    /* a second of packet time per frame: idle flows expire, the table stays small */
    R.ts_us = 1767225600000000ull + R.frame * 1000000ull;
    raw.ts_us = R.ts_us;
    raw.data = buf;
    raw.caplen = (uint32_t)len;
    raw.len = (uint32_t)len + (data[0] >> 7); /* sometimes a frame cut by the snaplen */
    raw.frame = R.frame;
    raw.linktype = lt;
    cw_dissect_packet(R.d, &raw, lt, 7);
    R.fed++;
    R.refused += rc != CW_PKT_OK && rc != CW_PKT_IP_FRAGMENT;
    R.frags += rc == CW_PKT_IP_FRAGMENT;
    if (R.fed == DISSECTOR_LIFE)
        dissector_end();
    free(buf);
    return 0;
}
