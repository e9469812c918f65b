/* sip.h - SIP (RFC 3261) message parser and event extraction. */
#ifndef CW_SIP_H
#define CW_SIP_H

#include "decode/decode.h"

/* Largest SIP message accepted (headers + body); larger is an anomaly, not a buffer. */
#define CW_SIP_MAX_MSG 65535

/* One parsed SIP message; every slice points into the parsed bytes. */
struct cw_sip_msg {
    int is_request;
    struct cw_slice method;      /* requests: "INVITE"; responses: empty */
    unsigned status;             /* responses: 100..699; requests: 0 */
    struct cw_slice request_uri; /* requests only */
    struct cw_slice from_uri;    /* the URI inside From (name-addr or addr-spec), no params */
    struct cw_slice to_uri;
    struct cw_slice pai_uri; /* first P-Asserted-Identity URI (prefers a tel: one) */
    struct cw_slice call_id;
    struct cw_slice cseq_method;
    struct cw_slice content_type; /* media type only, without parameters */
    struct cw_slice body;
    /* The first P-Access-Network-Info access-net-spec carrying a cell identity (RFC 7315,
     * 3GPP TS 24.229 7.2A.4): its access-type ("3GPP-E-UTRAN-FDD") and the value of its
     * utran-cell-id-3gpp / cgi-3gpp / nrcgi parameter, without quotes; empty when none. */
    struct cw_slice pani_access;
    struct cw_slice pani_cell_id;
    /* The first Contact's +sip.instance value (RFC 5626 4.1), without its double quotes:
     * "<urn:gsma:imei:35332510-123456-0>" (RFC 7255) or another instance id; empty when none. */
    struct cw_slice sip_instance;
    int has_content_length;
    size_t content_length;
};

/**
 * Parse one SIP message at the start of @p data.
 * Returns CW_PARSE_OK and sets *consumed to the message's length (start line + headers +
 * body); CW_PARSE_INCOMPLETE when the headers are not complete or, for @p is_stream, the body
 * declared by Content-Length is not all there (*needed says how much more); CW_PARSE_ERROR when
 * this is not a SIP message. For datagrams (is_stream 0) the body is the rest of the datagram
 * when Content-Length is absent, and a Content-Length larger than what is there is an anomaly
 * counted in @p st (the body is cut to what is there), as tshark does.
 */
int cw_sip_parse(const uint8_t *data, size_t len, int is_stream, struct cw_sip_msg *msg,
                 size_t *consumed, size_t *needed, struct cw_decode_stats *st);

/**
 * Extract the user part of a sip:/sips:/tel: URI as digits only: a leading '+' and visual
 * separators ('-', '.', '(', ')', ' ') are dropped; parameters (";...") and "@host" are cut.
 * Returns 1 when the user part is all digits (a number), 0 when it is not a number (then @p out
 * holds the raw user part, truncated, for information), -1 when there is no user part.
 */
int cw_sip_uri_user(struct cw_slice uri, char *out, size_t outsz);

/**
 * Decode SIP from @p data (datagram or stream bytes of one direction), emitting an event for
 * each MESSAGE (sms_mo, with its text/plain body as text), INVITE (call), CANCEL (call_cancel)
 * and REGISTER (register) request. The calling party is the P-Asserted-Identity when present,
 * else From; the called party is the Request-URI user when it is a number, else To (CANCEL as
 * INVITE). Every event also carries the sending device's cell (P-Access-Network-Info, written
 * as docs/decoders.md says) and IMEI (Contact +sip.instance urn:gsma:imei, 15 digits with its
 * Luhn digit) when the request has them; a malformed one leaves the field empty.
 * Contract as in decode.h.
 */
int cw_sip_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                  const struct cw_event_sink *sink, struct cw_decode_stats *st, size_t *consumed,
                  size_t *needed);

/** Does this payload start like a SIP message (request line or "SIP/2.0 ")? Cheap heuristic. */
int cw_sip_probe(struct cw_slice data);

/**
 * Where a stream that lost its place (a capture starting mid-stream, bytes lost in a gap, a
 * message the decoder refused) can pick up again: the offset in @p data of the first line that
 * starts a SIP message, or data.len when there is none. A line starts at offset 0 or after an
 * LF; empty lines are skipped. It starts a message when it is
 *   - a status line "SIP/2.0" SP 3DIGIT (100..699) [SP reason], or a request line
 *     METHOD SP Request-URI (scheme ":" ...) SP "SIP/2.0", METHOD one of INVITE ACK BYE CANCEL
 *     OPTIONS REGISTER PRACK SUBSCRIBE NOTIFY PUBLISH INFO REFER MESSAGE UPDATE (case as
 *     written: a cut request line such as "NVITE sip:..." is no start), and
 *   - the line after it, when present, is a header line (token, optional blanks, ':'), not the
 *     empty line (a message always has headers), which rules out most SIP-looking body lines;
 * or when the bytes end inside a line that could still become one (a prefix of that shape, at
 * most 2048 bytes): the caller keeps the bytes from there and looks again when more arrive.
 * Reads nothing outside @p data.
 */
size_t cw_sip_resync(struct cw_slice data);

#endif
