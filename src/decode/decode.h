/* decode.h - the contract every application-protocol decoder follows.
 *
 * A decoder is handed the payload bytes of one direction of a flow (a UDP datagram, or the
 * in-order TCP byte stream so far) and parses as many whole messages as they hold, emitting
 * zero or more events through the sink. It never reads past the slice, never allocates, and
 * treats malformed input as data: it counts it in its stats and reports CW_PARSE_ERROR.
 *
 * Return contract (Suricata's app-layer style):
 *   CW_PARSE_OK          all of *consumed bytes were whole messages (consumed may be < len
 *                        only when the rest is the start of a message: then INCOMPLETE);
 *   CW_PARSE_INCOMPLETE  *consumed bytes were used; the next message needs at least *needed
 *                        more bytes than are left after consumed;
 *   CW_PARSE_ERROR       the bytes at *consumed are not a message; the caller skips the rest.
 * Slices inside an event point into @p data and live until the sink returns.
 */
#ifndef CW_DECODE_H
#define CW_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "util/slice.h"

enum cw_parse_status {
    CW_PARSE_OK = 0,
    CW_PARSE_INCOMPLETE = 1,
    CW_PARSE_ERROR = 2,
};

/* Per-decoder counters, owned by the caller (one per worker). */
#define CW_SIP_ANOMALIES(X)                                                              \
    X(SIP_BAD_START_LINE, "sip_bad_start_line")                                          \
    X(SIP_BAD_HEADER, "sip_bad_header")                                                  \
    X(SIP_BAD_CONTENT_LENGTH, "sip_bad_content_length")                                  \
    X(SIP_TRUNCATED_BODY, "sip_truncated_body")                                          \
    X(SIP_TOO_LARGE, "sip_too_large")                                                    \
    X(SIP_NO_IDENTITY, "sip_no_identity")                                                \
    X(SIP_NO_HEADER_END, "sip_no_header_end")                                            \
    X(SIP_TRUNCATED_HEADERS, "sip_truncated_headers")                                    \
    X(SIP_BAD_SMS_PDU, "sip_bad_sms_pdu")

/* Each decoder keeps its reasons in its own header. */
#include "decode/anomalies_diameter.h"
#include "decode/anomalies_gtp.h"
#include "decode/anomalies_map.h"
#include "decode/anomalies_radius.h"
#include "decode/anomalies_sigtran.h"
#include "decode/anomalies_smpp.h"

#define CW_DECODE_ANOMALIES(X)                                                           \
    CW_SIP_ANOMALIES(X)                                                                  \
    CW_SMPP_ANOMALIES(X)                                                                 \
    CW_DIAMETER_ANOMALIES(X)                                                             \
    CW_GTP_ANOMALIES(X)                                                                  \
    CW_RADIUS_ANOMALIES(X)                                                               \
    CW_SIGTRAN_ANOMALIES(X)                                                              \
    CW_MAP_ANOMALIES(X)

enum cw_decode_anomaly {
#define CW_X(id, name) CW_DA_##id,
    CW_DECODE_ANOMALIES(CW_X)
#undef CW_X
    CW_DA__COUNT
};

const char *cw_decode_anomaly_name(unsigned a);

struct cw_decode_stats {
    uint64_t messages[CW_PROTO__COUNT]; /* whole messages parsed */
    uint64_t anomalies[CW_DA__COUNT];
};

/* Where events go. The event is only valid during the call. */
struct cw_event_sink {
    void (*emit)(void *user, const struct cw_event *ev);
    void *user;
    /* Optional (NULL normally): every message a decoder read, event or not, as that decoder's
     * record type (MAP: struct cw_map_rec, one per TCAP component). For tests and
     * `decode --trace`; valid only during the call. */
    void (*trace)(void *user, unsigned proto, const void *rec);
};

/* What the decoder knows of the packet that completed the message. */
struct cw_pkt_meta {
    uint64_t ts_us;
    uint64_t frame;
    uint32_t file_idx;
    int is_stream; /* 1: TCP byte stream (messages framed by Content-Length), 0: datagram */
    /* The flow's account (CW_ACCOUNT_MAX bytes, NUL-terminated), kept by the caller across
     * packets: SMPP writes the ESME's system_id from a bind into it and puts it in the events
     * of the link's messages. NULL when the caller keeps none. */
    char *account;
};

#endif
