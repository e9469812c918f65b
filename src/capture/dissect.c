/* dissect.c - packets to events: decode, flow, classify, reassemble, dispatch. */
#include "capture/dissect.h"

#include <stdlib.h>
#include <string.h>

#include "capture/classify.h"
#include "capture/frag.h"
#include "capture/sctp.h"
#include "decode/diameter.h"
#include "decode/gtp.h"
#include "decode/radius.h"
#include "decode/sip.h"
#include "decode/smpp.h"
#include "util/error.h"

#define MAX_FLOWS (1u << 20)
#define FLOW_IDLE_US (300ull * 1000000ull)
/* nDPI gets this many packets of a flow to decide; then it gives its best guess. */
#define NDPI_MAX_PACKETS 16
/* Datagrams reassembled at once (64 KiB each at most) and how long a piece waits. */
#define MAX_FRAG_DATAGRAMS 64
#define FRAG_TIMEOUT_US (30ull * 1000000ull)

struct cw_dissector {
    struct cw_event_sink sink;
    struct cw_classifier *cls;
    struct cw_flow_table *flows;
    struct cw_frag_table *frags;
    uint64_t *proto_flows; /* classified flows per nDPI protocol id */
    unsigned nprotos;
    struct cw_dissect_stats st;
};

static void count_event(void *user, const struct cw_event *ev)
{
    struct cw_dissector *d = user;
    if (ev->kind < CW_EV__COUNT)
        d->st.events[ev->kind]++;
    d->sink.emit(d->sink.user, ev);
}

/* Well-known ports decide where nDPI has not (yet) named the protocol: IANA's registrations
 * for SMPP (2775), Diameter (3868), GTP-C (2123) and RADIUS (1812/1813, and the old
 * 1645/1646), each on the transport it runs over. */
static unsigned app_by_port(const struct cw_pkt *pkt)
{
    uint16_t ports[2] = {pkt->sport, pkt->dport};
    for (int i = 0; i < 2; i++) {
        uint16_t p = ports[i];
        if (pkt->l4proto == CW_L4_TCP) {
            if (p == 2775)
                return CW_APP_SMPP;
            if (p == 3868)
                return CW_APP_DIAMETER;
        } else if (pkt->l4proto == CW_L4_SCTP) {
            if (p == 3868)
                return CW_APP_DIAMETER;
        } else {
            if (p == 2123)
                return CW_APP_GTPC;
            if (p == 1812 || p == 1813 || p == 1645 || p == 1646)
                return CW_APP_RADIUS;
        }
    }
    return CW_APP_NONE;
}

static void classified(struct cw_dissector *d, struct cw_flow *f, uint16_t proto)
{
    f->ndpi_done = 1;
    f->ndpi_proto = proto;
    if (proto < d->nprotos)
        d->proto_flows[proto]++;
    cw_classify_flow_free(f->ndpi);
    f->ndpi = NULL;
    /* nDPI's verdict wins over a port guess where it names a protocol we decode; GTP-U
     * (port 2152) user-plane signalling is not GTP-C. */
    unsigned app = cw_classify_app(proto);
    if (app == CW_APP_GTPC && (f->key.pa == 2152 || f->key.pb == 2152))
        app = CW_APP_NONE;
    if (app != CW_APP_NONE && app != f->app) {
        f->app = (uint8_t)app;
        f->tcp[0].len = f->tcp[1].len = 0; /* a partial message of another protocol */
    }
}

static void flow_end(void *user, struct cw_flow *f)
{
    struct cw_dissector *d = user;
    if (!f->ndpi_done) {
        uint16_t proto = f->ndpi ? cw_classify_giveup(d->cls, f->ndpi) : 0;
        classified(d, f, proto);
    }
}

int cw_dissect_new(const struct cw_event_sink *sink, struct cw_dissector **out)
{
    struct cw_dissector *d = calloc(1, sizeof *d);
    if (!d)
        return CW_ENOMEM;
    d->sink = *sink;
    int rc = cw_classify_new(&d->cls);
    if (rc == 0)
        rc = cw_flow_table_new(MAX_FLOWS, FLOW_IDLE_US, &d->flows);
    if (rc == 0)
        rc = cw_frag_new(MAX_FRAG_DATAGRAMS, FRAG_TIMEOUT_US, &d->frags);
    if (rc == 0) {
        d->nprotos = cw_classify_nprotos(d->cls);
        d->proto_flows = calloc(d->nprotos, sizeof *d->proto_flows);
        if (!d->proto_flows)
            rc = CW_ENOMEM;
    }
    if (rc) {
        cw_dissect_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

void cw_dissect_free(struct cw_dissector *d)
{
    if (!d)
        return;
    cw_flow_table_free(d->flows, flow_end, d);
    cw_classify_free(d->cls);
    cw_frag_free(d->frags);
    free(d->proto_flows);
    free(d);
}

static int decode_app(struct cw_dissector *d, unsigned app, struct cw_slice data,
                      const struct cw_pkt_meta *meta, size_t *consumed, size_t *needed)
{
    struct cw_event_sink counting = {count_event, d};
    switch (app) {
    case CW_APP_SIP:
        return cw_sip_decode(data, meta, &counting, &d->st.dec, consumed, needed);
    case CW_APP_SMPP:
        return cw_smpp_decode(data, meta, &counting, &d->st.dec, consumed, needed);
    case CW_APP_DIAMETER:
        return cw_diameter_decode(data, meta, &counting, &d->st.dec, consumed, needed);
    case CW_APP_GTPC:
        return cw_gtp_decode(data, meta, &counting, &d->st.dec, consumed, needed);
    case CW_APP_RADIUS:
        return cw_radius_decode(data, meta, &counting, &d->st.dec, consumed, needed);
    default:
        *consumed = data.len;
        return CW_PARSE_OK;
    }
}

static int ensure_cap(struct cw_tcp_dir *s, size_t n)
{
    if (n > CW_STREAM_MAX)
        return -1;
    if (n > s->cap) {
        uint32_t cap = s->cap ? s->cap : 2048;
        while (cap < n)
            cap *= 2;
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb)
            return -1;
        s->buf = nb;
        s->cap = cap;
    }
    return 0;
}

/* Bytes of one direction that follow on from the last ones delivered: parse them together
 * with the partial message carried over; application messages may span segments and a segment
 * may hold several messages. */
static void tcp_deliver(struct cw_dissector *d, struct cw_flow *f, struct cw_tcp_dir *s,
                        struct cw_slice data, const struct cw_pkt_meta *meta)
{
    if (f->app == CW_APP_NONE)
        return;
    size_t consumed = 0, needed = 0;
    int rc;
    if (s->len == 0) {
        /* Common case: nothing carried over, parse straight from the packet. */
        rc = decode_app(d, f->app, data, meta, &consumed, &needed);
        if (rc == CW_PARSE_INCOMPLETE) {
            size_t rest = data.len - consumed;
            if (ensure_cap(s, rest)) {
                d->st.tcp_overflows++;
                return;
            }
            memcpy(s->buf, data.p + consumed, rest);
            s->len = (uint32_t)rest;
        }
    } else {
        if (ensure_cap(s, (size_t)s->len + data.len)) {
            d->st.tcp_overflows++;
            s->len = 0;
            return;
        }
        memcpy(s->buf + s->len, data.p, data.len);
        s->len += (uint32_t)data.len;
        rc = decode_app(d, f->app, cw_slice_make(s->buf, s->len), meta, &consumed, &needed);
        if (rc == CW_PARSE_INCOMPLETE) {
            memmove(s->buf, s->buf + consumed, s->len - consumed);
            s->len -= (uint32_t)consumed;
        } else {
            s->len = 0;
        }
    }
    if (rc == CW_PARSE_ERROR)
        d->st.decode_errors++;
}

static int tcp_hold(struct cw_tcp_dir *s, uint32_t seq, struct cw_slice data)
{
    if (s->nooo == CW_TCP_OOO_MAX || data.len > CW_STREAM_MAX)
        return -1;
    if (!s->ooo && !(s->ooo = calloc(CW_TCP_OOO_MAX, sizeof *s->ooo)))
        return -1;
    uint8_t *copy = malloc(data.len);
    if (!copy)
        return -1;
    memcpy(copy, data.p, data.len);
    s->ooo[s->nooo].seq = seq;
    s->ooo[s->nooo].len = (uint32_t)data.len;
    s->ooo[s->nooo].data = copy;
    s->nooo++;
    return 0;
}

/* Deliver the held segments that now follow on, in sequence order. */
static void tcp_drain(struct cw_dissector *d, struct cw_flow *f, struct cw_tcp_dir *s,
                      const struct cw_pkt_meta *meta)
{
    for (unsigned i = 0; i < s->nooo;) {
        struct cw_tcp_seg g = s->ooo[i];
        int32_t gd = (int32_t)(g.seq - s->next_seq);
        if (gd > 0) {
            i++;
            continue;
        }
        s->ooo[i] = s->ooo[--s->nooo];
        uint32_t old = (uint32_t)-(int64_t)gd;
        if (old < g.len) {
            s->next_seq += g.len - old;
            tcp_deliver(d, f, s, cw_slice_make(g.data + old, g.len - old), meta);
        } else {
            d->st.tcp_retransmissions++;
        }
        free(g.data);
        i = 0; /* the next one may now follow on */
    }
}

/* The hole before the held segments will not fill (lost before the capture): count it, drop
 * the partial message, and go on from the earliest held segment. */
static void tcp_skip_hole(struct cw_dissector *d, struct cw_flow *f, struct cw_tcp_dir *s,
                          const struct cw_pkt_meta *meta)
{
    if (s->nooo == 0)
        return;
    uint32_t first = s->ooo[0].seq;
    for (unsigned i = 1; i < s->nooo; i++)
        if ((int32_t)(s->ooo[i].seq - first) < 0)
            first = s->ooo[i].seq;
    d->st.tcp_gaps++;
    s->len = 0;
    s->next_seq = first;
    tcp_drain(d, f, s, meta);
}

/* TCP reassembly for one direction: in order; a segment that comes early is held (a few per
 * direction) until the hole before it fills. A hole is given up as lost (counted, with the
 * partial message) when the receiver acknowledges bytes past it (the capture missed them), or
 * when no more segments can be held; decoding goes on from the next segment and the decoders
 * resynchronise on a message boundary. Retransmitted bytes are dropped. */
static void tcp_data(struct cw_dissector *d, struct cw_flow *f, int dir, const struct cw_pkt *pkt,
                     const struct cw_pkt_meta *meta)
{
    struct cw_tcp_dir *s = &f->tcp[dir];
    struct cw_tcp_dir *peer = &f->tcp[!dir];
    struct cw_slice data = pkt->payload;
    uint32_t seq = pkt->tcp_seq;
    if ((pkt->tcp_flags & CW_TCP_ACK) && peer->nooo && peer->has_seq &&
        (int32_t)(pkt->tcp_ack - peer->next_seq) > 0)
        tcp_skip_hole(d, f, peer, meta);
    if (pkt->tcp_flags & CW_TCP_SYN) {
        seq++;
        s->next_seq = seq;
        s->has_seq = 1;
        s->len = 0; /* a new connection on the same ports: nothing of the old one carries over */
        cw_tcp_dir_drop_held(s);
    }
    if (data.len == 0)
        return;
    if (!s->has_seq) { /* joined mid-stream */
        s->next_seq = seq;
        s->has_seq = 1;
    }
    if ((int32_t)(seq - s->next_seq) > 0) {
        if (tcp_hold(s, seq, data) == 0) {
            d->st.tcp_out_of_order++;
            return;
        }
        tcp_skip_hole(d, f, s, meta); /* no room to wait: what is held goes on */
        if ((int32_t)(seq - s->next_seq) > 0) {
            d->st.tcp_gaps++; /* and the hole before this segment too */
            s->len = 0;
            s->next_seq = seq;
        }
    }
    int32_t diff = (int32_t)(seq - s->next_seq);
    if (diff < 0) {
        uint32_t old = (uint32_t)-(int64_t)diff;
        if (old >= data.len) {
            d->st.tcp_retransmissions++;
            return;
        }
        data.p += old;
        data.len -= old;
    }
    s->next_seq += (uint32_t)data.len;
    tcp_deliver(d, f, s, data, meta);
    tcp_drain(d, f, s, meta);
}

/* One whole SCTP user message: the protocol is chosen by its payload protocol id where that
 * names one, else as for other flows (port, nDPI, SIP probe). */
static void sctp_message(struct cw_dissector *d, struct cw_flow *f, uint32_t ppid,
                         struct cw_slice msg, const struct cw_pkt_meta *meta)
{
    if (f->app == CW_APP_NONE) {
        if (ppid == CW_PPID_DIAMETER || ppid == CW_PPID_DIAMETER_DTLS)
            f->app = CW_APP_DIAMETER;
        else if (cw_sip_probe(msg))
            f->app = CW_APP_SIP;
    }
    if (f->app == CW_APP_NONE)
        return;
    size_t consumed, needed;
    if (decode_app(d, f->app, msg, meta, &consumed, &needed) == CW_PARSE_ERROR)
        d->st.decode_errors++;
}

/* Every DATA chunk of an SCTP packet, in order. A user message split over several DATA chunks
 * (B ... E, consecutive TSNs on one stream) is reassembled in the direction's buffer; one
 * message is in progress per direction, which is what signalling links send. */
static void sctp_data(struct cw_dissector *d, struct cw_flow *f, int dir, const struct cw_pkt *pkt,
                      const struct cw_pkt_meta *meta)
{
    struct cw_cursor c = cw_cur_make(pkt->payload.p, pkt->payload.len);
    struct cw_sctp_chunk ch;
    struct cw_tcp_dir *s = &f->tcp[dir];
    int rc;
    while ((rc = cw_sctp_next_chunk(&c, &ch)) == 1) {
        d->st.sctp_chunks++;
        if (ch.type != CW_SCTP_DATA)
            continue;
        d->st.sctp_data++;
        unsigned be = ch.flags & (CW_SCTP_FLAG_B | CW_SCTP_FLAG_E);
        if (be == (CW_SCTP_FLAG_B | CW_SCTP_FLAG_E)) {
            sctp_message(d, f, ch.ppid, ch.data, meta);
            continue;
        }
        if (be == CW_SCTP_FLAG_B) {
            if (s->len)
                d->st.sctp_lost_fragments++; /* a message never finished */
            s->len = 0;
            s->sctp_stream = ch.stream;
            s->next_seq = ch.tsn;
            s->has_seq = 1;
        } else if (!s->has_seq || ch.stream != s->sctp_stream || ch.tsn != s->next_seq) {
            d->st.sctp_lost_fragments++; /* middle or end without its beginning */
            s->has_seq = 0;
            s->len = 0;
            continue;
        }
        if (ensure_cap(s, (size_t)s->len + ch.data.len)) {
            d->st.sctp_lost_fragments++;
            s->has_seq = 0;
            s->len = 0;
            continue;
        }
        memcpy(s->buf + s->len, ch.data.p, ch.data.len);
        s->len += (uint32_t)ch.data.len;
        s->next_seq = ch.tsn + 1;
        if (be == CW_SCTP_FLAG_E) {
            d->st.sctp_reassembled++;
            sctp_message(d, f, ch.ppid, cw_slice_make(s->buf, s->len), meta);
            s->has_seq = 0;
            s->len = 0;
        }
    }
    if (rc < 0)
        d->st.sctp_bad_chunks++;
}

void cw_dissect_packet(struct cw_dissector *d, const struct cw_raw_pkt *raw, int linktype,
                       uint32_t file_idx)
{
    struct cw_pkt pkt;
    if (!d->flows)
        return; /* finished */
    d->st.packets++;
    d->st.bytes += raw->len;
    int r = cw_pkt_decode(raw->data, raw->caplen, linktype, &pkt);
    if (r == CW_PKT_IP_FRAGMENT) {
        const uint8_t *whole;
        size_t wlen;
        if (cw_frag_add(d->frags, &pkt, raw->ts_us, &whole, &wlen) != 1)
            return; /* held until the datagram is complete (or dropped: counted there) */
        r = cw_pkt_decode(whole, wlen, CW_LINKTYPE_RAW, &pkt);
        if (r == CW_PKT_IP_FRAGMENT)
            r = CW_PKT_BAD_IP_HEADER; /* a fragment inside a reassembled datagram */
    }
    if (r != CW_PKT_OK) {
        d->st.reasons[r]++;
        if (cw_pkt_reason_malformed((unsigned)r))
            d->st.malformed++;
        else
            d->st.skipped++;
        return;
    }
    int dir, created;
    struct cw_flow *f = cw_flow_get(d->flows, &pkt, raw->ts_us, &dir, &created, flow_end, d);
    if (!f)
        return;
    if (created)
        f->app = (uint8_t)app_by_port(&pkt);
    if (!f->ndpi_done) {
        if (!f->ndpi)
            f->ndpi = cw_classify_flow_new();
        uint16_t proto;
        if (f->ndpi &&
            cw_classify_packet(d->cls, f->ndpi, pkt.l3, pkt.l3_len, raw->ts_us / 1000, &proto))
            classified(d, f, proto);
        else if (++f->ndpi_packets >= NDPI_MAX_PACKETS)
            flow_end(d, f);
    }
    if (pkt.payload.len == 0 && pkt.l4proto != CW_L4_TCP)
        return;
    struct cw_pkt_meta meta = {raw->ts_us, raw->frame, file_idx, pkt.l4proto == CW_L4_TCP};
    if (pkt.l4proto == CW_L4_SCTP) {
        sctp_data(d, f, dir, &pkt, &meta);
        return;
    }
    /* Where nDPI has not (yet) named the protocol, the payload itself may say it is SIP. */
    if (f->app == CW_APP_NONE && pkt.payload.len && cw_sip_probe(pkt.payload))
        f->app = CW_APP_SIP;

    if (pkt.l4proto == CW_L4_TCP) {
        tcp_data(d, f, dir, &pkt, &meta);
        return;
    }
    if (f->app == CW_APP_NONE)
        return;
    size_t consumed, needed;
    if (decode_app(d, f->app, pkt.payload, &meta, &consumed, &needed) == CW_PARSE_ERROR)
        d->st.decode_errors++;
}

void cw_dissect_finish(struct cw_dissector *d)
{
    if (!d->flows)
        return;
    cw_flow_table_stats(d->flows, &d->st.flows);
    cw_flow_table_free(d->flows, flow_end, d);
    d->flows = NULL;
}

void cw_dissect_stats(const struct cw_dissector *d, struct cw_dissect_stats *st)
{
    *st = d->st;
    if (d->flows)
        cw_flow_table_stats(d->flows, &st->flows);
    cw_frag_stats(d->frags, &st->frags);
}

void cw_dissect_proto_flows(const struct cw_dissector *d,
                            void (*fn)(void *user, const char *proto, uint64_t flows),
                            void *user)
{
    for (unsigned i = 0; i < d->nprotos; i++)
        if (d->proto_flows[i])
            fn(user, cw_classify_name(d->cls, (uint16_t)i), d->proto_flows[i]);
}
