/* smpp.c - SMPP PDU framing and SMS event extraction (submit_sm, deliver_sm, data_sm,
 * submit_multi).
 *
 * Implements the PDU formats of the SMPP v3.4 specification (Issue 1.2, sections 3-5) and the
 * TLVs SMPP v5.0 adds after the mandatory fields; SMS text by data_coding via util/sms_text.
 *
 *   0        4          8              12               16
 *   +--------+----------+--------------+----------------+------------------------------+
 *   | length | command  | status       | sequence       | mandatory body   [TLVs ...]  |
 *   +--------+----------+--------------+----------------+------------------------------+
 *   command_length counts the header; responses set bit 0x80000000 of command_id.
 *   submit_sm / deliver_sm body:
 *     service_type\0 ton npi source_addr\0 ton npi destination_addr\0 esm_class protocol_id
 *     priority schedule_delivery_time\0 validity_period\0 registered_delivery replace_if_present
 *     data_coding sm_default_msg_id sm_length short_message[sm_length]  TLVs: tag(2) len(2) value
 *
 * A stream is framed by command_length alone: a length below 16 or above SMPP_MAX_PDU, or a
 * command_id no version of SMPP defines, means the bytes are not (or no longer) SMPP and the
 * decoder returns ERROR. A PDU whose body is malformed is counted and skipped; the PDUs after
 * it are still decoded. Every read is bounded by the PDU; nothing is allocated.
 */
#include "decode/smpp.h"

#include <string.h>

#include "util/cursor.h"
#include "util/sms_text.h"

#define SMPP_HDR_LEN 16
/* Largest PDU accepted: a submit_sm with a message_payload TLV of 64 KiB does not fit the
 * reassembly buffer (CW_STREAM_MAX) anyway. */
#define SMPP_MAX_PDU (64u * 1024u)
/* UTF-8 text kept per message; longer texts are cut (counted as smpp_text_too_long). */
#define SMPP_TEXT_MAX 8192
/* submit_multi: number_of_dests is one octet (the spec allows 254). */
#define SMPP_MAX_DESTS 255

#define SMPP_RESP_BIT 0x80000000u

enum smpp_command {
    SMPP_GENERIC_NACK = 0x80000000u,
    SMPP_BIND_RECEIVER = 0x00000001u,
    SMPP_BIND_TRANSMITTER = 0x00000002u,
    SMPP_QUERY_SM = 0x00000003u,
    SMPP_SUBMIT_SM = 0x00000004u,
    SMPP_DELIVER_SM = 0x00000005u,
    SMPP_UNBIND = 0x00000006u,
    SMPP_REPLACE_SM = 0x00000007u,
    SMPP_CANCEL_SM = 0x00000008u,
    SMPP_BIND_TRANSCEIVER = 0x00000009u,
    SMPP_OUTBIND = 0x0000000Bu,
    SMPP_ENQUIRE_LINK = 0x00000015u,
    SMPP_SUBMIT_MULTI = 0x00000021u,
    SMPP_ALERT_NOTIFICATION = 0x00000102u,
    SMPP_DATA_SM = 0x00000103u,
    SMPP_BROADCAST_SM = 0x00000111u, /* 5.0 */
    SMPP_QUERY_BROADCAST_SM = 0x00000112u,
    SMPP_CANCEL_BROADCAST_SM = 0x00000113u,
};

/* TLV tags (SMPP 3.4 5.3.2, 5.0 4.8.4). */
#define TLV_SAR_MSG_REF_NUM 0x020Cu
#define TLV_SAR_TOTAL_SEGMENTS 0x020Eu
#define TLV_SAR_SEGMENT_SEQNUM 0x020Fu
#define TLV_MESSAGE_PAYLOAD 0x0424u

/* C-Octet String maximum sizes, terminating NUL included (SMPP 3.4 section 4). */
#define MAX_SERVICE_TYPE 6
#define MAX_ADDR 21      /* source_addr, destination_addr of submit_sm / deliver_sm / multi */
#define MAX_ADDR_DATA 65 /* source_addr, destination_addr of data_sm */
#define MAX_TIME 17
#define MAX_SYSTEM_ID 16
#define MAX_PASSWORD 9
#define MAX_SYSTEM_TYPE 13
#define MAX_ADDRESS_RANGE 41

#define ESM_UDHI 0x40
/* esm_class bits 5-2, the message type (SMPP 3.4 5.2.12): 0 is a message someone wrote;
 * the others are delivery receipts, acknowledgements and notifications, which carry the
 * original message's addresses swapped: no event, or a sender asking for receipts would
 * appear to receive as much as it sends. */
#define ESM_MSG_TYPE 0x3c
#define TON_INTERNATIONAL 1
#define TON_ALPHANUMERIC 5

#define DEST_FLAG_SME 1
#define DEST_FLAG_DL 2

/* Concatenation of a long message (UDH IE 0x00 / 0x08, or the sar_* TLVs). Each part is its
 * own event for now; a later joiner can key on (flow, source, ref). */
struct concat {
    int present;
    uint16_t ref;
    uint8_t total, seq;
};

struct dest {
    struct cw_slice addr;
    uint8_t ton;
};

/* The fields of a short-message PDU that make an event. */
struct sm {
    uint8_t src_ton, dst_ton, esm_class, data_coding;
    struct cw_slice src, dst;
    struct cw_slice ud; /* short_message, or the message_payload TLV when present */
    int has_payload;
    struct concat sar; /* from the sar_* TLVs */
    struct concat udh; /* from the user data header */
};

/* Parse state of one PDU body. */
struct body {
    struct cw_cursor c;
    struct cw_decode_stats *st;
    int noted; /* an anomaly was counted already: a cursor error after it is its consequence */
};

static void bump(struct cw_decode_stats *st, enum cw_decode_anomaly a)
{
    if (st)
        st->anomalies[a]++;
}

static void note(struct body *b, enum cw_decode_anomaly a)
{
    bump(b->st, a);
    b->noted = 1;
}

/* True when the body could not be read to its end; counts it once. */
static int failed(struct body *b)
{
    if (!b->c.err)
        return 0;
    if (!b->noted)
        note(b, CW_DA_SMPP_TRUNCATED_BODY);
    return 1;
}

static int command_known(uint32_t id)
{
    switch (id & ~SMPP_RESP_BIT) {
    case 0: /* generic_nack (with the response bit) */
        return id == SMPP_GENERIC_NACK;
    case SMPP_BIND_RECEIVER:
    case SMPP_BIND_TRANSMITTER:
    case SMPP_QUERY_SM:
    case SMPP_SUBMIT_SM:
    case SMPP_DELIVER_SM:
    case SMPP_UNBIND:
    case SMPP_REPLACE_SM:
    case SMPP_CANCEL_SM:
    case SMPP_BIND_TRANSCEIVER:
    case SMPP_OUTBIND:
    case SMPP_ENQUIRE_LINK:
    case SMPP_SUBMIT_MULTI:
    case SMPP_ALERT_NOTIFICATION:
    case SMPP_DATA_SM:
    case SMPP_BROADCAST_SM:
    case SMPP_QUERY_BROADCAST_SM:
    case SMPP_CANCEL_BROADCAST_SM:
        return 1;
    default:
        /* 3.4 5.1.2.1: 0x00010200-0x000102FF are reserved for SMSC vendors. */
        return (id & ~SMPP_RESP_BIT) >= 0x00010200u && (id & ~SMPP_RESP_BIT) <= 0x000102FFu;
    }
}

/* A C-Octet String of at most @p max octets with its NUL. Unterminated: the cursor fails.
 * Longer than the spec allows but terminated: counted, and taken as it is (as tshark does). */
static struct cw_slice cstr(struct body *b, size_t max)
{
    struct cw_slice s = {0, 0};
    size_t left = cw_cur_left(&b->c);
    if (b->c.err)
        return s;
    const uint8_t *nul = memchr(b->c.p, 0, left);
    if (!nul) {
        note(b, CW_DA_SMPP_UNTERMINATED_STRING);
        b->c.err = 1;
        return s;
    }
    size_t n = (size_t)(nul - b->c.p);
    if (n + 1 > max)
        bump(b->st, CW_DA_SMPP_STRING_TOO_LONG);
    s = cw_cur_take(&b->c, n);
    cw_cur_skip(&b->c, 1);
    return s;
}

/* Optional parameters up to the end of the PDU. A malformed TLV ends the list (counted);
 * what was read before it is kept. */
static void tlvs(struct body *b, struct sm *m)
{
    while (cw_cur_left(&b->c) > 0) {
        if (cw_cur_left(&b->c) < 4) {
            bump(b->st, CW_DA_SMPP_BAD_TLV);
            return;
        }
        uint16_t tag = cw_cur_u16be(&b->c);
        uint16_t len = cw_cur_u16be(&b->c);
        struct cw_slice v = cw_cur_take(&b->c, len);
        if (b->c.err) {
            bump(b->st, CW_DA_SMPP_BAD_TLV); /* value runs past the PDU */
            return;
        }
        if (!m)
            continue;
        switch (tag) {
        case TLV_MESSAGE_PAYLOAD:
            if (!m->has_payload) {
                m->ud = v;
                m->has_payload = 1;
            }
            break;
        case TLV_SAR_MSG_REF_NUM:
            if (len != 2) {
                bump(b->st, CW_DA_SMPP_BAD_TLV);
                break;
            }
            m->sar.ref = (uint16_t)((v.p[0] << 8) | v.p[1]);
            m->sar.present |= 1;
            break;
        case TLV_SAR_TOTAL_SEGMENTS:
        case TLV_SAR_SEGMENT_SEQNUM:
            if (len != 1) {
                bump(b->st, CW_DA_SMPP_BAD_TLV);
                break;
            }
            if (tag == TLV_SAR_TOTAL_SEGMENTS) {
                m->sar.total = v.p[0];
                m->sar.present |= 2;
            } else {
                m->sar.seq = v.p[0];
                m->sar.present |= 4;
            }
            break;
        default:
            break;
        }
    }
}

/* After destination_addr up to the short message (submit_sm, deliver_sm, submit_multi). */
static void sm_tail(struct body *b, struct sm *m)
{
    m->esm_class = cw_cur_u8(&b->c);
    cw_cur_skip(&b->c, 2); /* protocol_id, priority_flag */
    cstr(b, MAX_TIME);     /* schedule_delivery_time */
    cstr(b, MAX_TIME);     /* validity_period */
    cw_cur_skip(&b->c, 2); /* registered_delivery, replace_if_present_flag */
    m->data_coding = cw_cur_u8(&b->c);
    cw_cur_skip(&b->c, 1); /* sm_default_msg_id */
    uint8_t sm_length = cw_cur_u8(&b->c);
    if (b->c.err)
        return;
    if (sm_length > cw_cur_left(&b->c)) {
        note(b, CW_DA_SMPP_BAD_SM_LENGTH);
        b->c.err = 1;
        return;
    }
    m->ud = cw_cur_take(&b->c, sm_length);
}

/* The number as digits (a leading '+' dropped), or, for an alphanumeric sender or anything
 * that is not all digits, the raw address cut to fit with its ALNUM flag. */
static void put_addr(struct cw_slice a, uint8_t ton, char dst[CW_NUM_MAX], uint8_t *flags,
                     uint8_t alnum_flag, uint8_t intl_flag)
{
    size_t start = (a.len && a.p[0] == '+') ? 1 : 0, n = 0;
    int digits = a.len > start;
    for (size_t i = start; i < a.len && digits; i++)
        digits = a.p[i] >= '0' && a.p[i] <= '9';
    if (digits && ton != TON_ALPHANUMERIC) {
        for (size_t i = start; i < a.len && n + 1 < CW_NUM_MAX; i++)
            dst[n++] = (char)a.p[i];
        if (ton == TON_INTERNATIONAL || start)
            *flags |= intl_flag;
    } else if (a.len) {
        for (size_t i = 0; i < a.len && n + 1 < CW_NUM_MAX; i++)
            dst[n++] = (a.p[i] < 0x20 || a.p[i] > 0x7E) ? '?' : (char)a.p[i];
        *flags |= alnum_flag;
    }
    dst[n] = 0;
}

/* The message text as UTF-8 in @p buf by data_coding; 0 bytes for binary and for codings
 * not decoded (SMPP 3.4 5.2.19: 0 SMSC default alphabet, taken as GSM 7-bit unpacked;
 * 1 IA5; 3 Latin-1; 8 UCS-2; 2 and 4 are octets). */
static size_t sm_text(struct sm *m, uint8_t *buf, size_t cap, struct cw_decode_stats *st)
{
    struct cw_slice ud = m->ud;
    if (m->esm_class & ESM_UDHI) {
        struct cw_sms_udh udh;
        if (cw_sms_udh_parse(ud.p, ud.len, &udh) != 0) {
            bump(st, CW_DA_SMPP_BAD_UDH);
            return 0;
        }
        if (udh.bad_ie)
            bump(st, CW_DA_SMPP_BAD_UDH);
        if (udh.concat) {
            m->udh.present = 1;
            m->udh.ref = udh.ref;
            m->udh.total = udh.total;
            m->udh.seq = udh.seq;
        }
        ud.p += udh.len;
        ud.len -= udh.len;
    }
    unsigned flags = 0;
    size_t n;
    switch (m->data_coding) {
    case 0:
        n = cw_sms_gsm7_to_utf8(ud.p, ud.len, buf, cap, &flags);
        break;
    case 1:
        n = cw_sms_ascii_to_utf8(ud.p, ud.len, buf, cap, &flags);
        break;
    case 3:
        n = cw_sms_latin1_to_utf8(ud.p, ud.len, buf, cap, &flags);
        break;
    case 8:
        n = cw_sms_ucs2_to_utf8(ud.p, ud.len, buf, cap, &flags);
        break;
    default:
        return 0;
    }
    if (flags & CW_SMS_TEXT_INVALID)
        bump(st, CW_DA_SMPP_BAD_TEXT);
    if (flags & CW_SMS_TEXT_CUT)
        bump(st, CW_DA_SMPP_TEXT_TOO_LONG);
    return n;
}

static void emit(uint8_t kind, uint8_t src_ton, struct cw_slice src, uint8_t dst_ton,
                 struct cw_slice dst, struct cw_slice text, const struct cw_pkt_meta *meta,
                 const struct cw_event_sink *sink)
{
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    ev.ts_us = meta ? meta->ts_us : 0;
    ev.frame = meta ? meta->frame : 0;
    ev.file_idx = meta ? meta->file_idx : 0;
    ev.kind = kind;
    ev.proto = CW_PROTO_SMPP;
    put_addr(src, src_ton, ev.calling, &ev.flags, CW_EVF_CALLING_ALNUM, CW_EVF_CALLING_INTL);
    put_addr(dst, dst_ton, ev.called, &ev.flags, CW_EVF_CALLED_ALNUM, CW_EVF_CALLED_INTL);
    ev.text = text;
    if (meta && meta->account) {
        size_t n = strnlen(meta->account, CW_ACCOUNT_MAX - 1);
        memcpy(ev.account, meta->account, n);
    }
    if (sink && sink->emit)
        sink->emit(sink->user, &ev);
}

/* submit_sm, deliver_sm (3.4 4.4.1, 4.6.1) and data_sm (4.7.1). */
static void pdu_sm(uint32_t id, struct body *b, const struct cw_pkt_meta *meta,
                   const struct cw_event_sink *sink)
{
    struct sm m;
    memset(&m, 0, sizeof m);
    size_t amax = id == SMPP_DATA_SM ? MAX_ADDR_DATA : MAX_ADDR;
    cstr(b, MAX_SERVICE_TYPE);
    m.src_ton = cw_cur_u8(&b->c);
    cw_cur_skip(&b->c, 1); /* source_addr_npi */
    m.src = cstr(b, amax);
    m.dst_ton = cw_cur_u8(&b->c);
    cw_cur_skip(&b->c, 1); /* dest_addr_npi */
    m.dst = cstr(b, amax);
    if (id == SMPP_DATA_SM) {
        m.esm_class = cw_cur_u8(&b->c);
        cw_cur_skip(&b->c, 1); /* registered_delivery */
        m.data_coding = cw_cur_u8(&b->c);
    } else {
        sm_tail(b, &m);
    }
    if (failed(b))
        return;
    tlvs(b, &m);

    if (m.esm_class & ESM_MSG_TYPE)
        return; /* a receipt or notification, not a message */
    uint8_t buf[SMPP_TEXT_MAX];
    size_t n = sm_text(&m, buf, sizeof buf, b->st);
    /* m.sar / m.udh hold the part's place in a concatenated message (not joined yet). */
    uint8_t kind = id == SMPP_DELIVER_SM ? CW_EV_SMS_MT : CW_EV_SMS_MO;
    emit(kind, m.src_ton, m.src, m.dst_ton, m.dst, cw_slice_make(n ? buf : NULL, n), meta, sink);
}

/* submit_multi (3.4 4.5.1): one event per SME destination; distribution lists are names the
 * SMSC expands, so they give no event. */
static void pdu_multi(struct body *b, const struct cw_pkt_meta *meta,
                      const struct cw_event_sink *sink)
{
    struct sm m;
    struct dest dests[SMPP_MAX_DESTS];
    memset(&m, 0, sizeof m);
    cstr(b, MAX_SERVICE_TYPE);
    m.src_ton = cw_cur_u8(&b->c);
    cw_cur_skip(&b->c, 1);
    m.src = cstr(b, MAX_ADDR);
    unsigned ndests = cw_cur_u8(&b->c), nsme = 0;
    for (unsigned i = 0; i < ndests && !b->c.err; i++) {
        uint8_t flag = cw_cur_u8(&b->c);
        if (b->c.err)
            break;
        if (flag == DEST_FLAG_SME) {
            dests[nsme].ton = cw_cur_u8(&b->c);
            cw_cur_skip(&b->c, 1);
            dests[nsme].addr = cstr(b, MAX_ADDR);
            nsme++;
        } else if (flag == DEST_FLAG_DL) {
            cstr(b, MAX_ADDR); /* dl_name */
        } else {
            note(b, CW_DA_SMPP_BAD_DEST_FLAG); /* the layout of the rest is unknown */
            b->c.err = 1;
        }
    }
    sm_tail(b, &m);
    if (failed(b))
        return;
    tlvs(b, &m);

    uint8_t buf[SMPP_TEXT_MAX];
    size_t n = sm_text(&m, buf, sizeof buf, b->st);
    for (unsigned i = 0; i < nsme; i++)
        emit(CW_EV_SMS_MO, m.src_ton, m.src, dests[i].ton, dests[i].addr,
             cw_slice_make(n ? buf : NULL, n), meta, sink);
}

/* bind_transmitter / bind_receiver / bind_transceiver (3.4 4.1): no event. The system_id
 * names the ESME on this link (the bulk sender's account at the SMS centre, not a subscriber):
 * it goes into the flow's account (meta->account), and from there into the events of the
 * link's messages. One that is too long is cut to CW_ACCOUNT_MAX - 1 characters. */
static void pdu_bind(struct body *b, const struct cw_pkt_meta *meta)
{
    struct cw_slice id = cstr(b, MAX_SYSTEM_ID);
    if (!b->c.err && meta && meta->account) {
        size_t n = id.len < CW_ACCOUNT_MAX - 1 ? id.len : CW_ACCOUNT_MAX - 1;
        memcpy(meta->account, id.p, n);
        meta->account[n] = 0;
    }
    cstr(b, MAX_PASSWORD);
    cstr(b, MAX_SYSTEM_TYPE);
    cw_cur_skip(&b->c, 3); /* interface_version, addr_ton, addr_npi */
    cstr(b, MAX_ADDRESS_RANGE);
    if (failed(b))
        return;
    tlvs(b, NULL);
}

static void pdu(uint32_t id, struct cw_slice body, const struct cw_pkt_meta *meta,
                const struct cw_event_sink *sink, struct cw_decode_stats *st)
{
    struct body b;
    b.c = cw_cur_make(body.p, body.len);
    b.st = st;
    b.noted = 0;
    switch (id) {
    case SMPP_SUBMIT_SM:
    case SMPP_DELIVER_SM:
    case SMPP_DATA_SM:
        pdu_sm(id, &b, meta, sink);
        break;
    case SMPP_SUBMIT_MULTI:
        pdu_multi(&b, meta, sink);
        break;
    case SMPP_BIND_RECEIVER:
    case SMPP_BIND_TRANSMITTER:
    case SMPP_BIND_TRANSCEIVER:
        pdu_bind(&b, meta);
        break;
    default:
        break; /* responses, enquire_link, unbind, generic_nack, ...: counted only */
    }
}

int cw_smpp_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                   const struct cw_event_sink *sink, struct cw_decode_stats *st,
                   size_t *consumed, size_t *needed)
{
    size_t pos = 0, dummy_c, dummy_n;
    if (!consumed)
        consumed = &dummy_c;
    if (!needed)
        needed = &dummy_n;
    *consumed = 0;
    *needed = 0;
    if (!data.p)
        data.len = 0;
    int stream = meta ? meta->is_stream : 1;
    while (pos < data.len) {
        size_t left = data.len - pos;
        struct cw_cursor c = cw_cur_make(data.p + pos, left);
        size_t want = SMPP_HDR_LEN;
        if (left >= 4) {
            uint32_t len = cw_cur_u32be(&c);
            if (len < SMPP_HDR_LEN || len > SMPP_MAX_PDU) {
                bump(st, CW_DA_SMPP_BAD_LENGTH);
                *consumed = pos;
                return CW_PARSE_ERROR;
            }
            want = len;
        }
        uint32_t id = 0;
        if (left >= 8) {
            id = cw_cur_u32be(&c);
            if (!command_known(id)) {
                bump(st, CW_DA_SMPP_UNKNOWN_COMMAND);
                *consumed = pos;
                return CW_PARSE_ERROR;
            }
        }
        if (left < want) {
            *consumed = pos;
            if (!stream) {
                bump(st, CW_DA_SMPP_TRUNCATED_PDU);
                return CW_PARSE_ERROR;
            }
            *needed = want - left;
            return CW_PARSE_INCOMPLETE;
        }
        cw_cur_skip(&c, 8); /* command_status, sequence_number */
        if (st)
            st->messages[CW_PROTO_SMPP]++;
        pdu(id, cw_slice_make(data.p + pos + SMPP_HDR_LEN, want - SMPP_HDR_LEN), meta, sink, st);
        pos += want;
    }
    *consumed = pos;
    return CW_PARSE_OK;
}

/* ---- resynchronisation on a PDU boundary ---- */

/* Smallest command_length of the PDUs that carry a message: the mandatory fields of submit_sm
 * / deliver_sm (3.4 4.4.1: 17 octets with every C-Octet String empty) and data_sm (4.7.1: 10). */
#define SMPP_MIN_SM (SMPP_HDR_LEN + 17u)
#define SMPP_MIN_DATA_SM (SMPP_HDR_LEN + 10u)

/* Could the header at @p p (@p n bytes of it there, maybe fewer than 16) start a PDU? The
 * fields that are all there are checked, a field cut short is not. *len gets command_length
 * (0 when it is not all there). */
static int resync_header(const uint8_t *p, size_t n, uint32_t *len)
{
    *len = 0;
    /* command_length <= 64 KiB: its first octet is 0, its second at most 1 */
    if ((n >= 1 && p[0] != 0) || (n >= 2 && p[1] > 1))
        return 0;
    if (n < 4)
        return 1;
    struct cw_cursor c = cw_cur_make(p, n);
    uint32_t l = cw_cur_u32be(&c);
    if (l < SMPP_HDR_LEN || l > SMPP_MAX_PDU)
        return 0;
    *len = l;
    if (n >= 5 && p[4] != 0x00 && p[4] != 0x80) /* command_id: 0x00000000.. or a response */
        return 0;
    if (n < 8)
        return 1;
    uint32_t id = cw_cur_u32be(&c);
    if (!command_known(id))
        return 0;
    switch (id & ~SMPP_RESP_BIT) {
    case 0:
    case SMPP_UNBIND:
    case SMPP_ENQUIRE_LINK:
        if (l != SMPP_HDR_LEN) /* no body, requests and responses alike */
            return 0;
        break;
    case SMPP_SUBMIT_SM:
    case SMPP_DELIVER_SM:
        if (!(id & SMPP_RESP_BIT) && l < SMPP_MIN_SM)
            return 0;
        break;
    case SMPP_DATA_SM:
        if (!(id & SMPP_RESP_BIT) && l < SMPP_MIN_DATA_SM)
            return 0;
        break;
    default:
        break;
    }
    if (n < 12)
        return 1;
    uint32_t status = cw_cur_u32be(&c);
    /* a request has none; 3.4 5.1.3 and 5.0 4.7.6 define errors up to 0xFF (0x112 in 5.0),
     * and 0x400-0x4FF for SMSC vendors */
    if ((!(id & SMPP_RESP_BIT) && status != 0) || status > 0x4FFu)
        return 0;
    if (n < 16)
        return 1;
    uint32_t seq = cw_cur_u32be(&c);
    return seq <= 0x7FFFFFFFu; /* 3.4 5.1.4: 0x00000001 to 0x7FFFFFFF */
}

size_t cw_smpp_resync(struct cw_slice data)
{
    if (!data.p)
        return 0;
    for (size_t i = 0; i < data.len; i++) {
        size_t left = data.len - i;
        uint32_t len;
        if (!resync_header(data.p + i, left < SMPP_HDR_LEN ? left : SMPP_HDR_LEN, &len))
            continue;
        if (len && len < left) { /* the next PDU's header, as far as it is there */
            size_t after = left - len;
            uint32_t next;
            if (!resync_header(data.p + i + len, after < SMPP_HDR_LEN ? after : SMPP_HDR_LEN,
                               &next))
                continue;
        }
        return i;
    }
    return data.len;
}
