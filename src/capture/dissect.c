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
#include "decode/sigtran.h"
#include "decode/sip.h"
#include "decode/smpp.h"
#include "decode/websocket.h"
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
    struct cw_sigtran *sigtran; /* SCCP reassembly */
    size_t stream_mem; /* bytes of stream buffers and held segments over all flows */
    size_t stream_cap; /* at most this many (CW_STREAM_TOTAL_MAX unless set) */
    cw_dissect_trace_fn trace;  /* optional: every decoded message (decode --trace) */
    void *trace_user;
    struct cw_pkt_meta meta_now; /* the packet being decoded, for the trace */
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
 * for SMPP (2775), Diameter (3868), GTP-C (2123; 3386 GTPv0) and RADIUS (1812/1813, and the old
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
            if (p == CW_PORT_M3UA)
                return CW_APP_M3UA;
            if (p == CW_PORT_M2PA)
                return CW_APP_M2PA;
        } else {
            if (p == 2123 || p == 3386) /* GTPv1/v2-C; GTPv0 (and GTP', told apart there) */
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
    /* SIP over WebSocket was found in the HTTP upgrade; nDPI sees only HTTP (or the SIP). */
    if (app != CW_APP_NONE && app != f->app && f->app != CW_APP_WEBSOCKET) {
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

static size_t held_bytes(const struct cw_tcp_dir *s)
{
    size_t n = 0;
    for (unsigned i = 0; i < s->nooo; i++)
        n += s->ooo[i].len;
    return n;
}

static size_t parts_bytes(const struct cw_tcp_dir *s)
{
    size_t n = 0;
    if (s->parts)
        for (int k = 0; k < CW_SCTP_PARTS; k++)
            n += s->parts[k].cap;
    return n;
}

/* A flow leaves the table: its buffers go with it. */
static void flow_gone(void *user, struct cw_flow *f)
{
    struct cw_dissector *d = user;
    for (int i = 0; i < 2; i++)
        d->stream_mem -= f->tcp[i].cap + held_bytes(&f->tcp[i]) + parts_bytes(&f->tcp[i]);
    flow_end(user, f);
}

int cw_dissect_new(const struct cw_event_sink *sink, struct cw_dissector **out)
{
    struct cw_dissector *d = calloc(1, sizeof *d);
    if (!d)
        return CW_ENOMEM;
    d->sink = *sink;
    d->stream_cap = CW_STREAM_TOTAL_MAX;
    int rc = cw_classify_new(&d->cls);
    if (rc == 0)
        rc = cw_flow_table_new(MAX_FLOWS, FLOW_IDLE_US, &d->flows);
    if (rc == 0)
        rc = cw_frag_new(MAX_FRAG_DATAGRAMS, FRAG_TIMEOUT_US, &d->frags);
    if (rc == 0 && cw_sigtran_new(&d->sigtran) != 0)
        rc = CW_ENOMEM;
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
    cw_flow_table_free(d->flows, flow_gone, d);
    cw_classify_free(d->cls);
    cw_frag_free(d->frags);
    cw_sigtran_free(d->sigtran);
    free(d->proto_flows);
    free(d);
}

static void trace_rec(void *user, unsigned proto, const void *rec)
{
    struct cw_dissector *d = user;
    d->trace(d->trace_user, proto, &d->meta_now, rec);
}

void cw_dissect_set_trace(struct cw_dissector *d, cw_dissect_trace_fn fn, void *user)
{
    d->trace = fn;
    d->trace_user = user;
}

static int decode_app(struct cw_dissector *d, unsigned app, struct cw_slice data,
                      const struct cw_pkt_meta *meta, size_t *consumed, size_t *needed)
{
    struct cw_event_sink counting = {count_event, d, d->trace ? trace_rec : NULL};
    if (d->trace)
        d->meta_now = *meta;
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
    case CW_APP_M3UA:
    case CW_APP_M2PA: /* SCTP user messages only: one whole message each */
        *consumed = data.len;
        return cw_sigtran_decode(d->sigtran, app == CW_APP_M2PA ? CW_SIGTRAN_M2PA
                                                                : CW_SIGTRAN_M3UA,
                                 data, meta, &counting, &d->st.dec);
    default:
        *consumed = data.len;
        return CW_PARSE_OK;
    }
}

/* Room for @p n bytes in the direction's buffer, within CW_STREAM_MAX per direction and the
 * stream cap over all flows (a refusal there is counted in stream_memcap). */
static int grow(struct cw_dissector *d, uint8_t **buf, uint32_t *bufcap, size_t n)
{
    if (n > CW_STREAM_MAX)
        return -1;
    if (n > *bufcap) {
        uint32_t cap = *bufcap ? *bufcap : 2048;
        while (cap < n)
            cap *= 2;
        if (d->stream_mem + (cap - *bufcap) > d->stream_cap) {
            d->st.stream_memcap++;
            return -1;
        }
        uint8_t *nb = realloc(*buf, cap);
        if (!nb)
            return -1;
        d->stream_mem += cap - *bufcap;
        *buf = nb;
        *bufcap = cap;
    }
    return 0;
}

static int ensure_cap(struct cw_dissector *d, struct cw_tcp_dir *s, size_t n)
{
    return grow(d, &s->buf, &s->cap, n);
}


/* ---- TCP streams ---- */

/* Where one direction of a TCP stream is (struct cw_tcp_dir.mode). */
enum {
    TCP_MODE_START = 0, /* no byte delivered yet: an HTTP upgrade to WebSocket may come first */
    TCP_MODE_HTTP,      /* in an HTTP header block, kept in the buffer until its empty line */
    TCP_MODE_WS,        /* WebSocket frames (RFC 6455), each message a SIP message */
    TCP_MODE_APP,       /* the flow's application protocol, as it is */
};

/* Is the stream in step with the messages (struct cw_tcp_dir.resync)? */
enum {
    RESYNC_NO = 0,   /* yes: the next byte starts a message or goes on with the one kept */
    RESYNC_PENDING,  /* maybe not (after a gap, or joined mid-stream): scan before decoding */
    RESYNC_SKIPPING, /* no: bytes were skipped looking for a message boundary */
};

static uint64_t messages_total(const struct cw_dissector *d)
{
    uint64_t n = 0;
    for (unsigned p = 0; p < CW_PROTO__COUNT; p++)
        n += d->st.dec.messages[p];
    return n;
}

static int app_has_resync(unsigned app)
{
    return app == CW_APP_SIP || app == CW_APP_SMPP || app == CW_APP_DIAMETER;
}

/* Offset of the first possible message start in @p data, by the protocol's rule. */
static size_t app_resync(unsigned app, struct cw_slice data)
{
    switch (app) {
    case CW_APP_SIP:
        return cw_sip_resync(data);
    case CW_APP_SMPP:
        return cw_smpp_resync(data);
    case CW_APP_DIAMETER:
        return cw_diameter_resync(data);
    default:
        return 0;
    }
}

static void resync_skip(struct cw_dissector *d, struct cw_tcp_dir *s, size_t n)
{
    d->st.tcp_resync_bytes += n;
    s->resync = RESYNC_SKIPPING;
}

/* A message was decoded: the stream is in step again. */
static void resync_done(struct cw_dissector *d, struct cw_tcp_dir *s)
{
    if (s->resync == RESYNC_SKIPPING)
        d->st.tcp_resyncs++;
    s->resync = RESYNC_NO;
}

/* @p n bytes of the stream will never come (a hole given up): the partial message kept is not
 * followed by its next bytes, so it goes, and the next bytes are scanned for a boundary. Bytes
 * lost inside a message that is being dropped (s->skip) only shorten the drop. */
static void tcp_lost(struct cw_tcp_dir *s, uint32_t n)
{
    if (s->skip > n) {
        s->skip -= n;
        return;
    }
    s->skip = 0;
    s->len = 0;
    if (s->resync == RESYNC_NO)
        s->resync = RESYNC_PENDING;
}

/* Decode the messages in @p data (the packet's bytes, or the buffer with them appended).
 * Returns how many bytes are finished with; the rest is the start of a message, or of what may
 * be one, for the caller to keep. Out of step, the bytes are first scanned for a message
 * boundary; a message the decoder refuses is skipped by scanning from its next byte. A message
 * longer than CW_STREAM_MAX is dropped (s->skip: the bytes of it still to come). */
static size_t tcp_parse(struct cw_dissector *d, struct cw_flow *f, struct cw_tcp_dir *s,
                        struct cw_slice data, const struct cw_pkt_meta *meta)
{
    size_t pos = 0;
    if (s->resync && !app_has_resync(f->app))
        s->resync = RESYNC_NO; /* no rule to scan by: decode from here, as ever */
    while (pos < data.len) {
        if (s->resync) {
            size_t off = app_resync(f->app, cw_slice_make(data.p + pos, data.len - pos));
            if (off) {
                resync_skip(d, s, off);
                pos += off;
                if (pos >= data.len)
                    return data.len;
            }
        }
        struct cw_slice rest = cw_slice_make(data.p + pos, data.len - pos);
        uint64_t before = s->resync ? messages_total(d) : 0;
        size_t consumed = 0, needed = 0;
        int rc = decode_app(d, f->app, rest, meta, &consumed, &needed);
        if (consumed > rest.len)
            consumed = rest.len;
        if (s->resync && messages_total(d) != before)
            resync_done(d, s);
        pos += consumed;
        if (rc == CW_PARSE_OK)
            return data.len;
        if (rc == CW_PARSE_INCOMPLETE) {
            size_t have = data.len - pos;
            if (have <= CW_STREAM_MAX && needed <= CW_STREAM_MAX - have)
                return pos; /* keep it: the rest comes with the next segments */
            if (s->resync) { /* a start found by scanning, too long to wait for: not one */
                resync_skip(d, s, 1);
                pos++;
                continue;
            }
            d->st.tcp_overflows++;
            s->skip = needed > UINT32_MAX ? UINT32_MAX : (uint32_t)needed;
            s->resync = RESYNC_PENDING; /* the skip lands on the next message; check it */
            return data.len;
        }
        d->st.decode_errors++;
        if (!app_has_resync(f->app) || pos >= data.len)
            return data.len; /* the rest is dropped */
        resync_skip(d, s, 1);
        pos++;
    }
    return data.len;
}

/* Append to the direction's buffer as much of @p data as fits in CW_STREAM_MAX (*taken says
 * how much). Returns -1 when it could not be kept: those bytes are dropped and the partial
 * message is lost (counted as an overflow); the next call starts from an empty buffer. */
static int append_what_fits(struct cw_dissector *d, struct cw_tcp_dir *s, struct cw_slice data,
                            size_t *taken)
{
    size_t n = CW_STREAM_MAX - s->len;
    if (n > data.len)
        n = data.len;
    *taken = n;
    if (n == 0 || ensure_cap(d, s, (size_t)s->len + n)) {
        d->st.tcp_overflows++;
        tcp_lost(s, 0);
        return -1;
    }
    memcpy(s->buf + s->len, data.p, n);
    s->len += (uint32_t)n;
    return 0;
}

/* Bytes for the flow's decoder. Returns how many of @p data were taken (all, unless a message
 * too long to keep began: the caller drops its bytes, s->skip, then calls again). */
static size_t app_feed(struct cw_dissector *d, struct cw_flow *f, struct cw_tcp_dir *s,
                       struct cw_slice data, const struct cw_pkt_meta *meta)
{
    if (s->len == 0) {
        /* Common case: nothing carried over, parse straight from the packet. */
        size_t done = tcp_parse(d, f, s, data, meta);
        size_t rest = data.len - done;
        if (rest && ensure_cap(d, s, rest) == 0) {
            memcpy(s->buf, data.p + done, rest);
            s->len = (uint32_t)rest;
        } else if (rest) {
            d->st.tcp_overflows++;
            tcp_lost(s, 0);
        }
        return data.len;
    }
    /* Append what fits (a message never needs more than CW_STREAM_MAX), parse, keep the rest. */
    size_t n;
    if (append_what_fits(d, s, data, &n))
        return n;
    size_t done = tcp_parse(d, f, s, cw_slice_make(s->buf, s->len), meta);
    memmove(s->buf, s->buf + done, s->len - done);
    s->len -= (uint32_t)done;
    return n;
}

/* Does @p data hold a whole SIP start line (and the start of a header line after it)? */
static int sip_inside(struct cw_slice data)
{
    size_t off = cw_sip_resync(data);
    return off < data.len && memchr(data.p + off, '\n', data.len - off) != NULL;
}

/* payload_ok of cw_ws_resync: the payload starts like a SIP message. */
static int ws_sip_start(const uint8_t *p, size_t n)
{
    return cw_sip_resync(cw_slice_make(p, n)) == 0;
}

/* One whole WebSocket message, its frames at [start, end) of the buffer (data frames, and the
 * control frames sent between them): the payloads are unmasked and joined in place at start
 * (each lands before the bytes it came from), and go to the SIP decoder as one datagram
 * (RFC 7118 5: one SIP message per WebSocket message). */
static void ws_message(struct cw_dissector *d, struct cw_tcp_dir *s, size_t start, size_t end,
                       const struct cw_pkt_meta *meta)
{
    uint8_t *msg = s->buf + start;
    size_t pos = start, n = 0;
    int first = 1, usable = 1;
    while (pos < end) {
        struct cw_ws_frame fr;
        if (cw_ws_frame_parse(cw_slice_make(s->buf + pos, end - pos), &fr, NULL) != CW_PARSE_OK)
            return; /* not reached: the frames were walked before */
        size_t plen = (size_t)fr.payload_len;
        if (cw_ws_is_control(fr.opcode)) {
            d->st.ws_control++;
        } else {
            if (first && fr.rsv)
                usable = 0; /* compressed (permessage-deflate) or another extension's */
            first = 0;
            cw_ws_unmask(msg + n, s->buf + pos + fr.hdr_len, plen, fr.key, 0);
            n += plen;
        }
        pos += fr.hdr_len + plen;
    }
    resync_done(d, s);
    if (!usable) {
        d->st.ws_unusable++;
        return;
    }
    d->st.ws_messages++;
    struct cw_pkt_meta m = *meta;
    m.is_stream = 0;
    size_t consumed, needed;
    if (decode_app(d, CW_APP_SIP, cw_slice_make(msg, n), &m, &consumed, &needed) ==
        CW_PARSE_ERROR)
        d->st.decode_errors++;
}

/* The WebSocket frames in the buffer: each whole message is decoded; a message still coming
 * stays (all its frames, from its first one). */
static void ws_parse(struct cw_dissector *d, struct cw_tcp_dir *s, const struct cw_pkt_meta *meta)
{
    size_t start = 0;
    int wait = 0;
    while (start < s->len && !wait) {
        if (s->resync) {
            size_t off = cw_ws_resync(cw_slice_make(s->buf + start, s->len - start),
                                      CW_STREAM_MAX, ws_sip_start);
            if (off) {
                resync_skip(d, s, off);
                start += off;
                continue;
            }
        }
        /* Walk the frames of the message that starts at start. */
        size_t pos = start;
        for (;;) {
            struct cw_ws_frame fr;
            int rc = cw_ws_frame_parse(cw_slice_make(s->buf + pos, s->len - pos), &fr, NULL);
            if (rc == CW_PARSE_INCOMPLETE) {
                wait = 1;
                break;
            }
            /* A frame longer than any message we keep is taken for a length that lies (RFC
             * 7118 SIP messages are far shorter): its bytes are scanned, not skipped blind. */
            if (rc == CW_PARSE_OK && fr.payload_len > CW_STREAM_MAX)
                rc = CW_PARSE_ERROR;
            if (rc == CW_PARSE_ERROR) { /* framing lost: drop the message, scan for frames */
                d->st.decode_errors++;
                resync_skip(d, s, pos - start + 1);
                start = pos + 1;
                break;
            }
            uint64_t flen = fr.hdr_len + fr.payload_len;
            size_t have = s->len - pos;
            if (pos > start && (fr.opcode == CW_WS_TEXT || fr.opcode == CW_WS_BINARY)) {
                d->st.ws_unusable++; /* a new message before the last one ended */
                start = pos;
                break;
            }
            if (pos == start && fr.opcode == CW_WS_CONTINUATION) {
                d->st.ws_unusable++; /* the rest of a message whose start is gone */
                if (flen > have)
                    s->skip = (uint32_t)(flen - have > UINT32_MAX ? UINT32_MAX : flen - have);
                start = flen > have ? s->len : pos + (size_t)flen;
                break;
            }
            if (flen > have) {
                if ((pos - start) + flen <= CW_STREAM_MAX) {
                    wait = 1; /* the rest of the frame comes with the next segments */
                } else if (s->resync) { /* a start found by scanning, too long: not one */
                    resync_skip(d, s, 1);
                    start++;
                } else { /* too long to keep: drop it; its continuations go as orphans */
                    d->st.tcp_overflows++;
                    s->skip = (uint32_t)(flen - have > UINT32_MAX ? UINT32_MAX : flen - have);
                    start = s->len;
                }
                break;
            }
            size_t fend = pos + (size_t)flen;
            if (!cw_ws_is_control(fr.opcode) && fr.fin) {
                ws_message(d, s, start, fend, meta);
                start = fend;
                break;
            }
            if (pos == start && cw_ws_is_control(fr.opcode)) {
                d->st.ws_control++;
                start = fend;
                break;
            }
            pos = fend; /* a fragment, or a control frame between two */
        }
    }
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= (uint32_t)start;
}

/* Bytes of a WebSocket direction: appended to the buffer (unmasking writes there), parsed. */
static size_t ws_feed(struct cw_dissector *d, struct cw_flow *f, struct cw_tcp_dir *s,
                      struct cw_slice data, const struct cw_pkt_meta *meta)
{
    if (f->app != CW_APP_WEBSOCKET) { /* upgraded to another subprotocol: nothing to decode */
        s->len = 0;
        return data.len;
    }
    size_t n;
    if (append_what_fits(d, s, data, &n))
        return n;
    ws_parse(d, s, meta);
    return n;
}

/* The HTTP header block a direction starts with: an upgrade to WebSocket switches it to
 * frames (and, with the "sip" subprotocol, the flow to SIP over WebSocket); anything else
 * leaves it to the flow's decoder, if any. */
static size_t http_feed(struct cw_dissector *d, struct cw_flow *f, struct cw_tcp_dir *s,
                        struct cw_slice data, const struct cw_pkt_meta *meta)
{
    size_t n = CW_WS_HTTP_MAX - (s->len < CW_WS_HTTP_MAX ? s->len : CW_WS_HTTP_MAX);
    if (n > data.len)
        n = data.len;
    if (ensure_cap(d, s, (size_t)s->len + n)) {
        s->mode = TCP_MODE_APP;
        s->len = 0;
        return data.len;
    }
    memcpy(s->buf + s->len, data.p, n);
    s->len += (uint32_t)n;
    struct cw_ws_http h;
    int rc = cw_ws_http_parse(cw_slice_make(s->buf, s->len), &h);
    if (rc == CW_PARSE_INCOMPLETE)
        return n;
    if (rc == CW_PARSE_ERROR) {
        if (f->app == CW_APP_WEBSOCKET) { /* lost its place (a gap): look for frames */
            s->mode = TCP_MODE_WS;
            if (s->resync == RESYNC_NO)
                s->resync = RESYNC_PENDING;
            ws_parse(d, s, meta);
        } else {
            s->mode = TCP_MODE_APP;
            s->len = 0;
        }
        return n;
    }
    memmove(s->buf, s->buf + h.len, s->len - h.len);
    s->len -= (uint32_t)h.len;
    if (!h.upgrade) {
        s->mode = TCP_MODE_APP;
        s->len = 0;
        return n;
    }
    s->mode = TCP_MODE_WS;
    if (h.sip && f->app == CW_APP_NONE) {
        f->app = CW_APP_WEBSOCKET;
        d->st.ws_upgrades++;
    }
    if (f->app == CW_APP_WEBSOCKET)
        ws_parse(d, s, meta); /* frames right behind the header block */
    else
        s->len = 0;
    return n;
}

/* Bytes of one direction that follow on from the last ones delivered: parse them together
 * with the partial message carried over; application messages may span segments and a segment
 * may hold several messages. A direction may start with an HTTP upgrade to WebSocket. */
static void tcp_deliver(struct cw_dissector *d, struct cw_flow *f, struct cw_tcp_dir *s,
                        struct cw_slice data, const struct cw_pkt_meta *meta)
{
    /* Joined mid-stream, a segment need not start with a message, and then neither nDPI nor the
     * SIP probe of cw_dissect_packet know it: a whole SIP start line inside it names the flow
     * (looked for only while nDPI is still deciding, so the work per flow is bounded). */
    if (f->app == CW_APP_NONE && s->resync && !f->ndpi_done && s->mode != TCP_MODE_HTTP &&
        s->mode != TCP_MODE_WS && sip_inside(data))
        f->app = CW_APP_SIP;
    while (data.len) {
        if (s->skip) { /* the rest of a message too long to keep */
            size_t k = s->skip < data.len ? s->skip : data.len;
            s->skip -= (uint32_t)k;
            data.p += k;
            data.len -= k;
            continue;
        }
        int web = f->app == CW_APP_NONE || f->app == CW_APP_WEBSOCKET;
        if (s->mode == TCP_MODE_START) {
            struct cw_ws_http h;
            s->mode = web && cw_ws_http_parse(data, &h) != CW_PARSE_ERROR ? TCP_MODE_HTTP
                                                                           : TCP_MODE_APP;
        } else if (!web && s->mode != TCP_MODE_APP) {
            s->mode = TCP_MODE_APP; /* the flow turned out to be another protocol */
        }
        size_t n;
        if (s->mode == TCP_MODE_HTTP)
            n = http_feed(d, f, s, data, meta);
        else if (s->mode == TCP_MODE_WS)
            n = ws_feed(d, f, s, data, meta);
        else if (!web)
            n = app_feed(d, f, s, data, meta);
        else
            return; /* nothing decodes these bytes */
        data.p += n;
        data.len -= n;
    }
}

static int tcp_hold(struct cw_dissector *d, struct cw_tcp_dir *s, uint32_t seq,
                    struct cw_slice data)
{
    if (s->nooo == CW_TCP_OOO_MAX || data.len > CW_STREAM_MAX)
        return -1;
    if (d->stream_mem + data.len > d->stream_cap) {
        d->st.stream_memcap++;
        return -1;
    }
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
    d->stream_mem += data.len;
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
        d->stream_mem -= g.len;
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
    tcp_lost(s, first - s->next_seq);
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
        s->mode = TCP_MODE_START;
        s->resync = RESYNC_NO;
        s->skip = 0;
        d->stream_mem -= held_bytes(s);
        cw_tcp_dir_drop_held(s);
    }
    if (data.len == 0)
        return;
    if (!s->has_seq) { /* joined mid-stream: the first bytes may be inside a message */
        s->next_seq = seq;
        s->has_seq = 1;
        s->resync = RESYNC_PENDING;
    }
    if ((int32_t)(seq - s->next_seq) > 0) {
        if (tcp_hold(d, s, seq, data) == 0) {
            d->st.tcp_out_of_order++;
            return;
        }
        tcp_skip_hole(d, f, s, meta); /* no room to wait: what is held goes on */
        if ((int32_t)(seq - s->next_seq) > 0) {
            d->st.tcp_gaps++; /* and the hole before this segment too */
            tcp_lost(s, seq - s->next_seq);
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
 * names one (an association may carry several), else as for other flows (port, nDPI, SIP
 * probe). */
static void sctp_message(struct cw_dissector *d, struct cw_flow *f, uint32_t ppid,
                         struct cw_slice msg, const struct cw_pkt_meta *meta)
{
    unsigned app = ppid == CW_PPID_DIAMETER || ppid == CW_PPID_DIAMETER_DTLS ? CW_APP_DIAMETER
                   : ppid == CW_PPID_M3UA                                   ? CW_APP_M3UA
                   : ppid == CW_PPID_M2PA                                   ? CW_APP_M2PA
                                                                            : f->app;
    if (app == CW_APP_NONE && cw_sip_probe(msg))
        app = f->app = CW_APP_SIP;
    if (app == CW_APP_NONE)
        return;
    size_t consumed, needed;
    if (decode_app(d, app, msg, meta, &consumed, &needed) == CW_PARSE_ERROR)
        d->st.decode_errors++;
}

/* 1 when DATA chunk TSN @p tsn was delivered already in this direction (a retransmission, or
 * the same packet captured twice); else records it. The last 64 TSNs are remembered. */
static int sctp_seen_before(struct cw_tcp_dir *s, uint32_t tsn)
{
    if (!s->sctp_has_tsn) {
        s->sctp_has_tsn = 1;
        s->sctp_top_tsn = tsn;
        s->sctp_seen = 1;
        return 0;
    }
    int32_t ahead = (int32_t)(tsn - s->sctp_top_tsn);
    if (ahead > 0) {
        s->sctp_seen = ahead >= 64 ? 0 : s->sctp_seen << ahead;
        s->sctp_seen |= 1;
        s->sctp_top_tsn = tsn;
        return 0;
    }
    uint32_t back = (uint32_t)-ahead;
    if (back >= 64)
        return 0; /* too old to tell: a new association reusing the ports, say */
    uint64_t bit = 1ull << back;
    if (s->sctp_seen & bit)
        return 1;
    s->sctp_seen |= bit;
    return 0;
}

/* The message a fragment belongs to. A beginning takes a free slot (when every slot is taken,
 * the first one's message is given up); a middle or end fragment goes on the message of its
 * stream whose next TSN it is: messages of other streams, and of the same stream when packets
 * came out of order, may be in progress at the same time. NULL, counted, for a middle or end
 * fragment whose beginning was not seen (or which came before the fragment it follows). */
static struct cw_sctp_part *sctp_part(struct cw_dissector *d, struct cw_tcp_dir *s,
                                      const struct cw_sctp_chunk *ch, int begin)
{
    if (!s->parts) {
        if (!begin) {
            d->st.sctp_lost_fragments++;
            return NULL;
        }
        s->parts = calloc(CW_SCTP_PARTS, sizeof *s->parts);
        if (!s->parts)
            return NULL;
    }
    struct cw_sctp_part *free_slot = NULL;
    for (int k = 0; k < CW_SCTP_PARTS; k++) {
        struct cw_sctp_part *p = &s->parts[k];
        if (!begin && p->used && p->stream == ch->stream && p->next_tsn == ch->tsn)
            return p;
        if (!p->used && !free_slot)
            free_slot = p;
    }
    if (!begin) {
        d->st.sctp_lost_fragments++; /* middle or end without its beginning */
        return NULL;
    }
    if (!free_slot) {
        d->st.sctp_lost_fragments++; /* more messages in progress than slots */
        free_slot = &s->parts[0];
    }
    free_slot->used = 1;
    free_slot->stream = ch->stream;
    free_slot->len = 0;
    return free_slot;
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
        if (sctp_seen_before(s, ch.tsn)) {
            d->st.sctp_retransmissions++;
            continue;
        }
        unsigned be = ch.flags & (CW_SCTP_FLAG_B | CW_SCTP_FLAG_E);
        if (be == (CW_SCTP_FLAG_B | CW_SCTP_FLAG_E)) {
            sctp_message(d, f, ch.ppid, ch.data, meta);
            continue;
        }
        struct cw_sctp_part *part = sctp_part(d, s, &ch, be == CW_SCTP_FLAG_B);
        if (!part)
            continue; /* counted */
        if (grow(d, &part->buf, &part->cap, (size_t)part->len + ch.data.len)) {
            d->st.sctp_lost_fragments++;
            part->used = 0;
            continue;
        }
        memcpy(part->buf + part->len, ch.data.p, ch.data.len);
        part->len += (uint32_t)ch.data.len;
        part->next_tsn = ch.tsn + 1;
        if (be == CW_SCTP_FLAG_E) {
            d->st.sctp_reassembled++;
            part->used = 0;
            sctp_message(d, f, ch.ppid, cw_slice_make(part->buf, part->len), meta);
        }
    }
    if (rc < 0)
        d->st.sctp_bad_chunks++;
}

void cw_dissect_packet(struct cw_dissector *d, const struct cw_raw_pkt *raw, int linktype,
                       uint32_t file_idx)
{
    struct cw_pkt pkt;
    int r = cw_pkt_decode(raw->data, raw->caplen, linktype, &pkt);
    cw_dissect_decoded(d, raw, &pkt, r, file_idx);
}

void cw_dissect_decoded(struct cw_dissector *d, const struct cw_raw_pkt *raw, struct cw_pkt *pkt,
                        int r, uint32_t file_idx)
{
    if (!d->flows)
        return; /* finished */
    d->st.packets++;
    d->st.bytes += raw->len;
    if (r == CW_PKT_IP_FRAGMENT) {
        const uint8_t *whole;
        size_t wlen;
        if (cw_frag_add(d->frags, pkt, raw->ts_us, &whole, &wlen) != 1)
            return; /* held until the datagram is complete (or dropped: counted there) */
        r = cw_pkt_decode(whole, wlen, CW_LINKTYPE_RAW, pkt);
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
    struct cw_flow *f = cw_flow_get(d->flows, pkt, raw->ts_us, &dir, &created, flow_gone, d);
    if (!f)
        return;
    if (created)
        f->app = (uint8_t)app_by_port(pkt);
    if (!f->ndpi_done) {
        if (!f->ndpi)
            f->ndpi = cw_classify_flow_new();
        uint16_t proto;
        if (f->ndpi &&
            cw_classify_packet(d->cls, f->ndpi, pkt->l3, pkt->l3_len, raw->ts_us / 1000, &proto))
            classified(d, f, proto);
        else if (++f->ndpi_packets >= NDPI_MAX_PACKETS)
            flow_end(d, f);
    }
    if (pkt->payload.len == 0 && pkt->l4proto != CW_L4_TCP)
        return;
    struct cw_pkt_meta meta = {raw->ts_us, raw->frame, file_idx, pkt->l4proto == CW_L4_TCP,
                               f->account};
    if (pkt->l4proto == CW_L4_SCTP) {
        sctp_data(d, f, dir, pkt, &meta);
        return;
    }
    /* Where nDPI has not (yet) named the protocol, the payload itself may say it is SIP. */
    if (f->app == CW_APP_NONE && pkt->payload.len && cw_sip_probe(pkt->payload))
        f->app = CW_APP_SIP;

    if (pkt->l4proto == CW_L4_TCP) {
        tcp_data(d, f, dir, pkt, &meta);
        return;
    }
    if (f->app == CW_APP_NONE)
        return;
    size_t consumed, needed;
    if (decode_app(d, f->app, pkt->payload, &meta, &consumed, &needed) == CW_PARSE_ERROR)
        d->st.decode_errors++;
}

void cw_dissect_finish(struct cw_dissector *d)
{
    if (!d->flows)
        return;
    cw_flow_table_stats(d->flows, &d->st.flows);
    cw_flow_table_free(d->flows, flow_gone, d);
    d->flows = NULL;
}

void cw_dissect_set_stream_cap(struct cw_dissector *d, size_t bytes)
{
    d->stream_cap = bytes;
}

void cw_dissect_stats(const struct cw_dissector *d, struct cw_dissect_stats *st)
{
    *st = d->st;
    st->stream_mem = d->stream_mem;
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
