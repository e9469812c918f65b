/* diameter.c - Diameter message framing and subscriber events: attach, authentication, SMS and
 * charging sessions.
 *
 * Implements the base protocol of RFC 6733 (section 3 header, 4 AVPs, 4.4 Grouped AVPs) and
 * reads the AVPs that name a subscriber in these applications:
 *   S6a/S6d  3GPP TS 29.272  Update-Location-Request 316, Authentication-Information-Request 318
 *   SGd/Gdd  3GPP TS 29.338  MO-Forward-Short-Message-Request 8388645, MT-... 8388646
 *   Gx       3GPP TS 29.212, Gy/Ro RFC 4006 + TS 32.299: Credit-Control-Request 272
 *
 *   byte 0         1 2 3                      AVP (at byte 20, then every 4n)
 *   +---------+------------------+             +--------------------------------+
 *   | version | message length   |             | AVP code (4)                   |
 *   | = 1     | (>= 20, 4n)      |             +--------+-----------------------+
 *   +---------+------------------+             | V M P  | AVP length (3): header |
 *   | R P E T | command code     |             | flags  | + data, no padding     |
 *   +---------+------------------+             +--------+-----------------------+
 *   | application id (4)         |             | vendor id (4), only with V     |
 *   | hop-by-hop identifier (4)  |             +--------------------------------+
 *   | end-to-end identifier (4)  |             | data ... | padding to 4        |
 *   +----------------------------+             +--------------------------------+
 *
 * A Grouped AVP's data is itself a list of AVPs; the ones that carry identities are walked
 * recursively, each AVP's length checked against its parent's end, to a fixed depth.
 * Every read is bounded by the slice; nothing is allocated; malformed input is counted.
 */
#include "decode/diameter.h"

#include "decode/sms_tpdu.h"

#include <string.h>

#include "util/cursor.h"
#include "util/imei.h"
#include "util/tbcd.h"

#define DIA_HDR_LEN 20u
#define DIA_AVP_HDR 8u
#define DIA_AVP_HDR_V 12u
/* Grouped AVPs inside Grouped AVPs: the real ones nest 2 or 3 deep. */
#define DIA_MAX_DEPTH 8u

#define DIA_FLAG_REQUEST 0x80u
#define DIA_AVP_FLAG_VENDOR 0x80u

#define VENDOR_3GPP 10415u

/* Command codes (RFC 6733, RFC 4006, TS 29.272 7.2, TS 29.338 6.3.1). */
enum {
    CMD_CREDIT_CONTROL = 272,
    CMD_UPDATE_LOCATION = 316,
    CMD_AUTHENTICATION_INFORMATION = 318,
    CMD_MO_FORWARD_SHORT_MESSAGE = 8388645,
    CMD_MT_FORWARD_SHORT_MESSAGE = 8388646,
};

/* AVP codes, vendor 0 (RFC 6733, RFC 4006 8.46-8.53). */
enum {
    AVP_USER_NAME = 1,
    AVP_SUBSCRIPTION_ID = 443,
    AVP_SUBSCRIPTION_ID_DATA = 444,
    AVP_SUBSCRIPTION_ID_TYPE = 450,
    AVP_USER_EQUIPMENT_INFO = 458,
    AVP_USER_EQUIPMENT_INFO_TYPE = 459,
    AVP_USER_EQUIPMENT_INFO_VALUE = 460,
    AVP_CC_REQUEST_TYPE = 416,
};

/* AVP codes, vendor 3GPP (TS 29.329 6.3.2, TS 29.272 7.3.3-7.3.5, TS 29.338 6.3.3). */
enum {
    AVP_3GPP_MSISDN = 701,
    AVP_3GPP_TERMINAL_INFORMATION = 1401,
    AVP_3GPP_IMEI = 1402,
    AVP_3GPP_USER_IDENTIFIER = 3102,
    AVP_3GPP_SM_RP_UI = 3301,
};

/* Enumerated values (RFC 4006 8.47, 8.50). */
#define SUBSCRIPTION_ID_END_USER_E164 0u
#define SUBSCRIPTION_ID_END_USER_IMSI 1u
#define USER_EQUIPMENT_INFO_IMEISV 0u

/* What the AVP walk found in one message; slices point into the message, first one wins. */
struct dia_msg {
    struct cw_slice user_name; /* User-Name, top level or in User-Identifier */
    struct cw_slice msisdn;    /* MSISDN (TBCD), top level or in User-Identifier */
    struct cw_slice e164;      /* Subscription-Id-Data of type END_USER_E164 */
    struct cw_slice sub_imsi;  /* Subscription-Id-Data of type END_USER_IMSI */
    struct cw_slice imei;      /* Terminal-Information / IMEI (UTF8String digits) */
    struct cw_slice imeisv;    /* User-Equipment-Info-Value of type IMEISV */
    /* SGd SM-RP-UI (TS 29.338 6.3.3.2): the SMS TPDU of TS 23.040 (sms_tpdu.c). */
    struct cw_slice sm_rp_ui;
    uint32_t cc_request_type; /* CC-Request-Type (RFC 4006 8.3): 1 initial .. 4 event; 0 none */
    int depth_noted;
};

/* The members of one Grouped AVP being walked (type/value pairs whose order is free). */
struct dia_group {
    int has_type;
    uint32_t type;
    struct cw_slice value;
};

static void note(struct cw_decode_stats *st, enum cw_decode_anomaly a)
{
    if (st)
        st->anomalies[a]++;
}

static void set_first(struct cw_slice *dst, struct cw_slice v)
{
    if (dst->len == 0)
        *dst = v;
}

static void walk(struct cw_slice s, unsigned depth, uint32_t parent, struct dia_msg *m,
                 struct dia_group *g, struct cw_decode_stats *st);

/* A Grouped AVP we read: walk its members one level down, then use what they said. */
static void grouped(uint32_t code, struct cw_slice data, unsigned depth, struct dia_msg *m,
                    struct cw_decode_stats *st)
{
    if (depth + 1 > DIA_MAX_DEPTH) {
        if (!m->depth_noted)
            note(st, CW_DA_DIAMETER_DEPTH);
        m->depth_noted = 1;
        return;
    }
    struct dia_group g;
    memset(&g, 0, sizeof g);
    walk(data, depth + 1, code, m, &g, st);
    switch (code) {
    case AVP_SUBSCRIPTION_ID:
        if (g.has_type && g.type == SUBSCRIPTION_ID_END_USER_E164)
            set_first(&m->e164, g.value);
        else if (g.has_type && g.type == SUBSCRIPTION_ID_END_USER_IMSI)
            set_first(&m->sub_imsi, g.value);
        break;
    case AVP_USER_EQUIPMENT_INFO:
        if (g.has_type && g.type == USER_EQUIPMENT_INFO_IMEISV)
            set_first(&m->imeisv, g.value);
        break;
    case AVP_3GPP_TERMINAL_INFORMATION:
        set_first(&m->imei, g.value);
        break;
    default: /* User-Identifier: its members were taken directly */
        break;
    }
}

/* An Enumerated member of a group (4 octets, RFC 6733 4.3.1). */
static void group_type(struct dia_group *g, struct cw_slice data, struct cw_decode_stats *st)
{
    if (data.len != 4) {
        note(st, CW_DA_DIAMETER_BAD_VALUE);
        return;
    }
    if (!g->has_type) {
        struct cw_cursor c = cw_cur_make(data.p, data.len);
        g->type = cw_cur_u32be(&c);
        g->has_type = 1;
    }
}

static void on_avp(uint32_t code, uint32_t vendor, struct cw_slice data, unsigned depth,
                   uint32_t parent, struct dia_msg *m, struct dia_group *g,
                   struct cw_decode_stats *st)
{
    if (vendor == 0) {
        switch (code) {
        case AVP_USER_NAME:
            if (parent == 0 || parent == AVP_3GPP_USER_IDENTIFIER)
                set_first(&m->user_name, data);
            break;
        case AVP_SUBSCRIPTION_ID:
        case AVP_USER_EQUIPMENT_INFO:
            grouped(code, data, depth, m, st);
            break;
        case AVP_SUBSCRIPTION_ID_TYPE:
            if (parent == AVP_SUBSCRIPTION_ID)
                group_type(g, data, st);
            break;
        case AVP_USER_EQUIPMENT_INFO_TYPE:
            if (parent == AVP_USER_EQUIPMENT_INFO)
                group_type(g, data, st);
            break;
        case AVP_SUBSCRIPTION_ID_DATA:
            if (parent == AVP_SUBSCRIPTION_ID)
                set_first(&g->value, data);
            break;
        case AVP_USER_EQUIPMENT_INFO_VALUE:
            if (parent == AVP_USER_EQUIPMENT_INFO)
                set_first(&g->value, data);
            break;
        case AVP_CC_REQUEST_TYPE:
            if (parent == 0 && data.len == 4 && !m->cc_request_type)
                m->cc_request_type = (uint32_t)data.p[0] << 24 | (uint32_t)data.p[1] << 16 |
                                     (uint32_t)data.p[2] << 8 | data.p[3];
            break;
        default:
            break;
        }
    } else if (vendor == VENDOR_3GPP) {
        switch (code) {
        case AVP_3GPP_MSISDN:
            if (parent == 0 || parent == AVP_3GPP_USER_IDENTIFIER)
                set_first(&m->msisdn, data);
            break;
        case AVP_3GPP_TERMINAL_INFORMATION:
        case AVP_3GPP_USER_IDENTIFIER:
            grouped(code, data, depth, m, st);
            break;
        case AVP_3GPP_IMEI:
            if (parent == AVP_3GPP_TERMINAL_INFORMATION)
                set_first(&g->value, data);
            break;
        case AVP_3GPP_SM_RP_UI:
            if (parent == 0)
                set_first(&m->sm_rp_ui, data);
            break;
        default:
            break;
        }
    }
}

/* Walk the AVPs of @p s (a message body, or a Grouped AVP's data at nesting @p depth inside the
 * AVP @p parent; 0 at the top). A bad AVP length ends the walk of this list: nothing after it
 * can be framed. The parent's own length was checked, so its siblings are still read. */
static void walk(struct cw_slice s, unsigned depth, uint32_t parent, struct dia_msg *m,
                 struct dia_group *g, struct cw_decode_stats *st)
{
    struct cw_cursor c = cw_cur_make(s.p, s.len);
    while (cw_cur_left(&c) > 0) {
        size_t left = cw_cur_left(&c);
        if (left < DIA_AVP_HDR) {
            note(st, CW_DA_DIAMETER_AVP_OVERRUN);
            return;
        }
        uint32_t code = cw_cur_u32be(&c);
        uint8_t flags = cw_cur_u8(&c);
        uint32_t len = (uint32_t)cw_cur_u8(&c) << 16;
        len |= cw_cur_u16be(&c);
        size_t hdr = (flags & DIA_AVP_FLAG_VENDOR) ? DIA_AVP_HDR_V : DIA_AVP_HDR;
        if (len < hdr) {
            note(st, CW_DA_DIAMETER_AVP_BAD_LENGTH);
            return;
        }
        if (len > left) {
            note(st, CW_DA_DIAMETER_AVP_OVERRUN);
            return;
        }
        uint32_t vendor = (flags & DIA_AVP_FLAG_VENDOR) ? cw_cur_u32be(&c) : 0;
        struct cw_slice data = cw_cur_take(&c, len - hdr);
        size_t pad = (4u - (len & 3u)) & 3u;
        int pad_short = pad > cw_cur_left(&c);
        if (c.err)
            return; /* not reached: len <= left was checked */
        if (pad_short)
            note(st, CW_DA_DIAMETER_AVP_PADDING); /* the data is whole: still read it */
        on_avp(code, vendor, data, depth, parent, m, g, st);
        if (pad_short)
            return;
        cw_cur_skip(&c, pad);
    }
}

static int all_digits(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

static void copy_digits(char *dst, const uint8_t *p, size_t n)
{
    memcpy(dst, p, n);
    dst[n] = 0;
}

/* IMSI from a User-Name (TS 29.272 7.3.1 IMSI, or an NAI "imsi@realm"): the part before '@' when
 * it is 6 to 15 digits. Anything else (a NAI such as john.doe@isp.com) is not an IMSI. */
static int imsi_from_user_name(struct cw_slice u, char out[CW_IMSI_MAX])
{
    const uint8_t *at = u.len ? memchr(u.p, '@', u.len) : NULL;
    size_t n = at ? (size_t)(at - u.p) : u.len;
    if (n < 6 || n > 15 || !all_digits(u.p, n))
        return -1;
    copy_digits(out, u.p, n);
    return 0;
}

/* Subscription-Id-Data of type END_USER_IMSI (RFC 4006 8.47): UTF8String of digits. */
static int imsi_digits(struct cw_slice v, char out[CW_IMSI_MAX])
{
    if (v.len < 6 || v.len > 15 || !all_digits(v.p, v.len))
        return -1;
    copy_digits(out, v.p, v.len);
    return 0;
}

/* Subscription-Id-Data of type END_USER_E164: the number in international form (ITU-T E.164);
 * a leading '+' is tolerated and dropped. */
static int e164_digits(struct cw_slice v, char out[CW_NUM_MAX])
{
    if (v.len && v.p[0] == '+') {
        v.p++;
        v.len--;
    }
    if (v.len == 0 || v.len >= CW_NUM_MAX || !all_digits(v.p, v.len))
        return -1;
    copy_digits(out, v.p, v.len);
    return 0;
}

/* MSISDN AVP (TS 29.329 6.3.2): E.164 in international form, TBCD-encoded. */
static int msisdn_digits(struct cw_slice v, char out[CW_NUM_MAX])
{
    return cw_tbcd_digits(v.p, v.len, 1, CW_NUM_MAX - 1, out, CW_NUM_MAX) < 0 ? -1 : 0;
}

/* Terminal-Information / IMEI (TS 29.272 7.3.4): UTF8String of 14 or 15 digits. */
static int imei_from_utf8(struct cw_slice v, char out[CW_IMEI_MAX])
{
    char tmp[17];
    if (v.len < 14 || v.len > 16 || !all_digits(v.p, v.len))
        return -1;
    copy_digits(tmp, v.p, v.len);
    return cw_imei_normalize(tmp, v.len, out);
}

/* User-Equipment-Info-Value of type IMEISV (RFC 4006 8.53, TS 29.212 5.3, TS 32.299 7.2.232):
 * an OctetString that TS 32.299 makes the IMEISV as UTF-8 digits (PS charging: 16 characters,
 * an IMEI padded with 'F'; IMS charging: 15 or 16 digits), while some gateways put the 8
 * TBCD octets of the GTP MEI there (TS 29.274 8.10). Text is 14 to 16 characters, TBCD at
 * most 8 octets, so the length tells them apart. */
static int imei_from_uei_value(struct cw_slice v, char out[CW_IMEI_MAX])
{
    char tmp[17];
    size_t n = v.len;
    if (n >= 14 && n <= 16) {
        while (n > 14 && (v.p[n - 1] == 'F' || v.p[n - 1] == 'f'))
            n--;
        if (!all_digits(v.p, n))
            return -1;
        copy_digits(tmp, v.p, n);
        return cw_imei_normalize(tmp, n, out);
    }
    if (n >= 7 && n <= 8) {
        int d = cw_tbcd_decode(v.p, n, tmp, sizeof tmp);
        if (d < 0 || !all_digits((const uint8_t *)tmp, (size_t)d))
            return -1;
        return cw_imei_normalize(tmp, (size_t)d, out);
    }
    return -1;
}

static int event_kind(uint32_t cmd)
{
    switch (cmd) {
    case CMD_UPDATE_LOCATION:
        return CW_EV_REGISTER;
    case CMD_AUTHENTICATION_INFORMATION:
        return CW_EV_AUTH;
    case CMD_CREDIT_CONTROL:
        return CW_EV_DATA_SESSION;
    case CMD_MO_FORWARD_SHORT_MESSAGE:
        return CW_EV_SMS_MO;
    case CMD_MT_FORWARD_SHORT_MESSAGE:
        return CW_EV_SMS_MT;
    default:
        return -1;
    }
}

static void emit_event(int kind, const struct dia_msg *m, const struct cw_pkt_meta *meta,
                       const struct cw_event_sink *sink, struct cw_decode_stats *st)
{
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    if (meta) {
        ev.ts_us = meta->ts_us;
        ev.frame = meta->frame;
        ev.file_idx = meta->file_idx;
    }
    ev.kind = (uint8_t)kind;
    ev.proto = CW_PROTO_DIAMETER;

    if (kind == CW_EV_DATA_SESSION) {
        if (m->e164.len && e164_digits(m->e164, ev.calling) != 0)
            note(st, CW_DA_DIAMETER_BAD_VALUE);
        if (m->sub_imsi.len && imsi_digits(m->sub_imsi, ev.imsi) != 0)
            note(st, CW_DA_DIAMETER_BAD_VALUE);
        if (m->imeisv.len && imei_from_uei_value(m->imeisv, ev.imei) != 0)
            note(st, CW_DA_DIAMETER_BAD_VALUE);
    } else {
        /* S6a and SGd name the subscriber by IMSI in User-Name. */
        if (m->user_name.len)
            (void)imsi_from_user_name(m->user_name, ev.imsi);
        if (kind == CW_EV_REGISTER && m->imei.len && imei_from_utf8(m->imei, ev.imei) != 0)
            note(st, CW_DA_DIAMETER_BAD_VALUE);
    }
    /* The MSISDN AVP: the number of an SGd message's subscriber, and the calling number of a
     * Credit-Control request that has no E.164 Subscription-Id. */
    if ((kind == CW_EV_DATA_SESSION || kind == CW_EV_SMS_MO || kind == CW_EV_SMS_MT) &&
        !ev.calling[0] && m->msisdn.len && msisdn_digits(m->msisdn, ev.calling) != 0)
        note(st, CW_DA_DIAMETER_BAD_VALUE);
    if (ev.calling[0])
        ev.flags |= CW_EVF_CALLING_INTL; /* E.164 and MSISDN carry the country code */
    /* SGd carries the SMS itself: an MO forward an SMS-SUBMIT (its TP-DA is the recipient), an
     * MT forward an SMS-DELIVER (its TP-OA is the sender; the MSISDN is then the recipient's). */
    uint8_t sms_text[1024];
    if ((kind == CW_EV_SMS_MO || kind == CW_EV_SMS_MT) && m->sm_rp_ui.len) {
        struct cw_sms_tpdu t;
        int r = cw_sms_tpdu_parse(m->sm_rp_ui, kind == CW_EV_SMS_MO, &t, sms_text,
                                  sizeof sms_text);
        if (r < 0) {
            note(st, CW_DA_DIAMETER_BAD_SMS_PDU);
        } else if (r == 0 && t.mti == CW_TPDU_SUBMIT) {
            memcpy(ev.called, t.addr, sizeof ev.called);
            ev.flags |= (uint8_t)((t.addr_alnum ? CW_EVF_CALLED_ALNUM : 0) |
                                  (t.addr_intl ? CW_EVF_CALLED_INTL : 0));
        } else if (r == 0) {
            memcpy(ev.called, ev.calling, sizeof ev.called);
            if (ev.called[0])
                ev.flags = CW_EVF_CALLED_INTL;
            memcpy(ev.calling, t.addr, sizeof ev.calling);
            ev.flags |= (uint8_t)((t.addr_alnum ? CW_EVF_CALLING_ALNUM : 0) |
                                  (t.addr_intl ? CW_EVF_CALLING_INTL : 0));
        }
        if (r == 0 && t.has_text)
            ev.text = cw_slice_make(sms_text, t.text_len);
    }
    if (!ev.calling[0] && !ev.imsi[0] && !ev.imei[0]) {
        /* An update or the end of a credit-control session need not name the subscriber
         * again (RFC 4006 8.46, TS 29.212 4.5.1: Subscription-Id is sent at its start): no
         * event, and nothing wrong. */
        if (kind == CW_EV_DATA_SESSION &&
            (m->cc_request_type == 2 || m->cc_request_type == 3))
            return;
        note(st, CW_DA_DIAMETER_NO_IDENTITY);
    }
    if (sink && sink->emit)
        sink->emit(sink->user, &ev);
}

/* One whole message of @p len bytes (header checked by the caller). */
static void parse_message(const uint8_t *p, size_t len, const struct cw_pkt_meta *meta,
                          const struct cw_event_sink *sink, struct cw_decode_stats *st)
{
    struct cw_cursor c = cw_cur_make(p, len);
    cw_cur_skip(&c, 4); /* version, length */
    uint8_t flags = cw_cur_u8(&c);
    uint32_t cmd = (uint32_t)cw_cur_u8(&c) << 16;
    cmd |= cw_cur_u16be(&c);
    cw_cur_skip(&c, 12); /* application id (the command code decides), hop-by-hop, end-to-end */
    if (st)
        st->messages[CW_PROTO_DIAMETER]++;
    int kind = event_kind(cmd);
    if (!(flags & DIA_FLAG_REQUEST) || kind < 0 || c.err)
        return; /* answers and other commands are only counted */
    struct dia_msg m;
    struct dia_group top; /* unused at the top level: no member AVPs there */
    memset(&m, 0, sizeof m);
    memset(&top, 0, sizeof top);
    walk(cw_cur_rest(&c), 0, 0, &m, &top, st);
    emit_event(kind, &m, meta, sink, st);
}

int cw_diameter_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
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
    int stream = meta ? meta->is_stream : 0;
    while (pos < data.len) {
        size_t avail = data.len - pos;
        struct cw_cursor c = cw_cur_make(data.p + pos, avail);
        uint8_t version = cw_cur_u8(&c);
        uint32_t len = (uint32_t)cw_cur_u8(&c) << 16;
        len |= cw_cur_u16be(&c);
        *consumed = pos;
        if (version != 1) {
            note(st, CW_DA_DIAMETER_BAD_VERSION);
            return CW_PARSE_ERROR;
        }
        if (c.err) { /* the length has not arrived yet: wait for the header */
            if (!stream) {
                note(st, CW_DA_DIAMETER_TRUNCATED);
                return CW_PARSE_ERROR;
            }
            *needed = DIA_HDR_LEN - avail;
            return CW_PARSE_INCOMPLETE;
        }
        if (len < DIA_HDR_LEN || (len & 3u) || len > CW_DIAMETER_MAX_MSG) {
            note(st, CW_DA_DIAMETER_BAD_LENGTH);
            return CW_PARSE_ERROR;
        }
        if (len > avail) {
            if (!stream) {
                note(st, CW_DA_DIAMETER_TRUNCATED);
                return CW_PARSE_ERROR;
            }
            *needed = len - avail;
            return CW_PARSE_INCOMPLETE;
        }
        parse_message(data.p + pos, len, meta, sink, st);
        pos += len;
    }
    *consumed = pos;
    return CW_PARSE_OK;
}

/* ---- resynchronisation on a message boundary ---- */

#define DIA_FLAG_ERROR 0x20u
#define DIA_FLAGS_RESERVED 0x0Fu
#define DIA_AVP_FLAGS_RESERVED 0x1Fu

/* Could the message header at @p p (@p n bytes there, maybe fewer than 20) start a message?
 * Whole fields are checked, a field cut short is not. *len gets the message length (0 when
 * it is not all there). */
static int resync_header(const uint8_t *p, size_t n, uint32_t *len)
{
    *len = 0;
    if (n >= 1 && p[0] != 1)
        return 0;
    if (n >= 2 && p[1] > (CW_DIAMETER_MAX_MSG >> 16)) /* the length's top octet */
        return 0;
    if (n < 4)
        return 1;
    uint32_t l = ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    if (l < DIA_HDR_LEN || (l & 3u) || l > CW_DIAMETER_MAX_MSG)
        return 0;
    *len = l;
    if (n < 5)
        return 1;
    uint8_t flags = p[4];
    /* reserved bits are 0; the E bit is for answers only (RFC 6733 3) */
    if ((flags & DIA_FLAGS_RESERVED) ||
        (flags & (DIA_FLAG_REQUEST | DIA_FLAG_ERROR)) == (DIA_FLAG_REQUEST | DIA_FLAG_ERROR))
        return 0;
    if (n < 8)
        return 1;
    return (p[5] | p[6] | p[7]) != 0; /* command code 0 is not one */
}

/* The first AVP header (at @p p, @p n bytes of it there) of a message of @p len bytes. */
static int resync_avp(const uint8_t *p, size_t n, uint32_t len)
{
    if (n < 5)
        return 1;
    uint8_t flags = p[4];
    if (flags & DIA_AVP_FLAGS_RESERVED)
        return 0;
    if (n < 8)
        return 1;
    uint32_t l = ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
    uint32_t min = (flags & DIA_AVP_FLAG_VENDOR) ? DIA_AVP_HDR_V : DIA_AVP_HDR;
    return l >= min && l <= len - DIA_HDR_LEN;
}

size_t cw_diameter_resync(struct cw_slice data)
{
    if (!data.p)
        return 0;
    for (size_t i = 0; i < data.len; i++) {
        size_t left = data.len - i;
        uint32_t len;
        if (!resync_header(data.p + i, left < DIA_HDR_LEN ? left : DIA_HDR_LEN, &len))
            continue;
        if (len > DIA_HDR_LEN && left > DIA_HDR_LEN) {
            size_t avail = left - DIA_HDR_LEN;
            if (!resync_avp(data.p + i + DIA_HDR_LEN, avail < DIA_AVP_HDR ? avail : DIA_AVP_HDR,
                            len))
                continue;
        }
        if (len && len < left) { /* the next message's header, as far as it is there */
            size_t after = left - len;
            uint32_t next;
            if (!resync_header(data.p + i + len, after < DIA_HDR_LEN ? after : DIA_HDR_LEN,
                               &next))
                continue;
        }
        return i;
    }
    return data.len;
}
