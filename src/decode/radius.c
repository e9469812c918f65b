/* radius.c - RADIUS decoder: data sessions reported by a gateway's accounting.
 *
 * Implements the packet format of RFC 2865 (3 packet format, 5 attributes, 5.26
 * Vendor-Specific, 5.30/5.31 Called-/Calling-Station-Id), the Accounting-Request of RFC 2866
 * and the 3GPP vendor attributes of TS 29.061 16.4.7 (vendor 10415: 1 3GPP-IMSI, 20
 * 3GPP-IMEISV):
 *
 *   +--------+--------+-----------------+
 *   |  Code  |   Id   |  Length (>= 20) |   Length covers the whole packet; octets after it
 *   +--------+--------+-----------------+   in the datagram are padding (ignored)
 *   |        Authenticator (16)         |
 *   +--------+--------+-----------------+
 *   |  Type  | Len>=2 |  Value ...      |   attributes up to Length
 *   +--------+--------+-----------------+
 *   |   26   |  Len   | Vendor-Id (4)   |   Vendor-Specific; for 3GPP the value is
 *   |  vtype | vlen>=2| value ...       |   sub-attributes type(1) len(1) value
 *   +--------+--------+-----------------+
 *
 * Every read is bounded by the slice; nothing is allocated; malformed input is counted.
 */
#include "decode/radius.h"

#include <string.h>

#include "util/cursor.h"
#include "util/imei.h"
#include "util/tbcd.h"

#define RADIUS_HDR_LEN 20u

#define RADIUS_CODE_ACCOUNTING_REQUEST 4u
#define RADIUS_CODE_RESERVED 255u

#define ATTR_VENDOR_SPECIFIC 26u
#define ATTR_CALLED_STATION_ID 30u
#define ATTR_CALLING_STATION_ID 31u

#define VENDOR_3GPP 10415u
#define VSA_3GPP_IMSI 1u
#define VSA_3GPP_IMEISV 20u

struct radius_ctx {
    struct cw_decode_stats *st;
    int bad;
};

/* What the attribute walk found; the first of each wins. */
struct radius_ids {
    struct cw_slice calling, called, imsi, imeisv;
    int has_calling, has_called, has_imsi, has_imeisv;
};

static void note(struct radius_ctx *x, enum cw_decode_anomaly a)
{
    if (x->st)
        x->st->anomalies[a]++;
    x->bad = 1;
}

static void set_first(struct cw_slice *dst, int *has, struct cw_slice v)
{
    if (!*has) {
        *dst = v;
        *has = 1;
    }
}

static int all_digits(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* A station id: a phone number (digits, optional leading '+': international) as digits; any
 * other value (a MAC address, an APN, an IP address) as it is, cut to fit, printable ASCII
 * with other octets shown as '?', and flagged alphanumeric. */
static void put_station(struct cw_slice v, char dst[CW_NUM_MAX], uint8_t *flags,
                        uint8_t alnum_flag, uint8_t intl_flag)
{
    size_t start = (v.len && v.p[0] == '+') ? 1 : 0, n = 0;
    size_t nd = v.len - start;
    if (nd > 0 && nd < CW_NUM_MAX && all_digits(v.p + start, nd)) {
        memcpy(dst, v.p + start, nd);
        n = nd;
        if (start)
            *flags |= intl_flag;
    } else if (v.len) {
        for (size_t i = 0; i < v.len && n + 1 < CW_NUM_MAX; i++)
            dst[n++] = (v.p[i] < 0x20 || v.p[i] > 0x7e) ? '?' : (char)v.p[i];
        *flags |= alnum_flag;
    }
    dst[n] = 0;
}

/* 3GPP-IMSI (TS 29.061 16.4.7.2): UTF-8 decimal digits, 6 to 15 of them (TS 23.003 2.2). */
static int imsi_digits(struct cw_slice v, char out[CW_IMSI_MAX])
{
    if (v.len < 6 || v.len > 15 || !all_digits(v.p, v.len))
        return -1;
    memcpy(out, v.p, v.len);
    out[v.len] = 0;
    return 0;
}

/* 3GPP-IMEISV (TS 29.061 16.4.7.2): the IMEISV (16 digits) or IMEI (15) as UTF-8 text; a
 * filler 'F' padding an IMEI to 16 is dropped as TS 32.299 writes it. Some gateways copy the
 * 8 TBCD octets of the GTP IMEI(SV) IE (TS 29.060 7.7.53) instead: text is 14 to 16 octets,
 * TBCD at most 8, so the length tells them apart. */
static int imeisv_digits(struct cw_slice v, char out[CW_IMEI_MAX])
{
    char tmp[17];
    size_t n = v.len;
    if (n >= 14 && n <= 16) {
        while (n > 14 && (v.p[n - 1] == 'F' || v.p[n - 1] == 'f'))
            n--;
        if (!all_digits(v.p, n))
            return -1;
        memcpy(tmp, v.p, n);
        return cw_imei_normalize(tmp, n, out);
    }
    if (n == 7 || n == 8) {
        int d = cw_tbcd_decode(v.p, n, tmp, sizeof tmp);
        if (d < 0 || !all_digits((const uint8_t *)tmp, (size_t)d))
            return -1;
        return cw_imei_normalize(tmp, (size_t)d, out);
    }
    return -1;
}

/* Sub-attributes of a 3GPP Vendor-Specific attribute. */
static void walk_3gpp(struct radius_ctx *x, struct cw_cursor *c, struct radius_ids *ids)
{
    while (cw_cur_left(c) > 0) {
        if (cw_cur_left(c) < 2) {
            note(x, CW_DA_RADIUS_VSA_BAD_LENGTH);
            return;
        }
        uint8_t type = cw_cur_u8(c);
        uint8_t len = cw_cur_u8(c);
        if (len < 2 || (size_t)(len - 2) > cw_cur_left(c)) {
            note(x, CW_DA_RADIUS_VSA_BAD_LENGTH);
            return;
        }
        struct cw_slice v = cw_cur_take(c, (size_t)len - 2);
        if (type == VSA_3GPP_IMSI)
            set_first(&ids->imsi, &ids->has_imsi, v);
        else if (type == VSA_3GPP_IMEISV)
            set_first(&ids->imeisv, &ids->has_imeisv, v);
    }
}

/* The attributes of one packet (up to its Length). A bad attribute length ends the walk. */
static void walk(struct radius_ctx *x, struct cw_slice attrs, struct radius_ids *ids)
{
    struct cw_cursor c = cw_cur_make(attrs.p, attrs.len);
    while (cw_cur_left(&c) > 0) {
        if (cw_cur_left(&c) < 2) {
            note(x, CW_DA_RADIUS_ATTR_OVERRUN);
            return;
        }
        uint8_t type = cw_cur_u8(&c);
        uint8_t len = cw_cur_u8(&c);
        if (len < 2) {
            note(x, CW_DA_RADIUS_ATTR_BAD_LENGTH);
            return;
        }
        if ((size_t)(len - 2) > cw_cur_left(&c)) {
            note(x, CW_DA_RADIUS_ATTR_OVERRUN);
            return;
        }
        struct cw_slice v = cw_cur_take(&c, (size_t)len - 2);
        switch (type) {
        case ATTR_CALLING_STATION_ID:
            if (v.len)
                set_first(&ids->calling, &ids->has_calling, v);
            break;
        case ATTR_CALLED_STATION_ID:
            if (v.len)
                set_first(&ids->called, &ids->has_called, v);
            break;
        case ATTR_VENDOR_SPECIFIC: {
            struct cw_cursor vc = cw_cur_make(v.p, v.len);
            uint32_t vendor = cw_cur_u32be(&vc);
            if (vc.err) {
                note(x, CW_DA_RADIUS_VSA_BAD_LENGTH);
                break;
            }
            /* Other vendors' sub-attribute formats are their own (RFC 2865 5.26 only
             * suggests type/length): only 3GPP's are walked. */
            if (vendor == VENDOR_3GPP)
                walk_3gpp(x, &vc, ids);
            break;
        }
        default:
            break;
        }
    }
}

static void emit_event(struct radius_ctx *x, const struct radius_ids *ids,
                       const struct cw_pkt_meta *meta, const struct cw_event_sink *sink)
{
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    if (meta) {
        ev.ts_us = meta->ts_us;
        ev.frame = meta->frame;
        ev.file_idx = meta->file_idx;
    }
    ev.kind = CW_EV_DATA_SESSION;
    ev.proto = CW_PROTO_RADIUS;
    if (ids->has_calling)
        put_station(ids->calling, ev.calling, &ev.flags, CW_EVF_CALLING_ALNUM,
                    CW_EVF_CALLING_INTL);
    if (ids->has_called)
        put_station(ids->called, ev.called, &ev.flags, CW_EVF_CALLED_ALNUM, CW_EVF_CALLED_INTL);
    if (ids->has_imsi && imsi_digits(ids->imsi, ev.imsi) != 0) {
        ev.imsi[0] = 0;
        note(x, CW_DA_RADIUS_BAD_VALUE);
    }
    if (ids->has_imeisv && imeisv_digits(ids->imeisv, ev.imei) != 0) {
        ev.imei[0] = 0;
        note(x, CW_DA_RADIUS_BAD_VALUE);
    }
    if (sink && sink->emit)
        sink->emit(sink->user, &ev);
}

int cw_radius_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                     const struct cw_event_sink *sink, struct cw_decode_stats *st,
                     size_t *consumed, size_t *needed)
{
    struct radius_ctx x = {st, 0};
    if (!data.p)
        data.len = 0;
    if (consumed)
        *consumed = data.len;
    if (needed)
        *needed = 0;
    struct cw_cursor c = cw_cur_make(data.p, data.len);
    uint8_t code = cw_cur_u8(&c);
    cw_cur_skip(&c, 1); /* identifier */
    uint16_t len = cw_cur_u16be(&c);
    cw_cur_skip(&c, 16); /* authenticator */
    if (c.err) {
        note(&x, CW_DA_RADIUS_TRUNCATED);
        return CW_PARSE_ERROR;
    }
    if (code == 0 || code == RADIUS_CODE_RESERVED) {
        note(&x, CW_DA_RADIUS_BAD_CODE);
        return CW_PARSE_ERROR;
    }
    if (len < RADIUS_HDR_LEN) {
        note(&x, CW_DA_RADIUS_BAD_LENGTH);
        return CW_PARSE_ERROR;
    }
    if (len > data.len) {
        note(&x, CW_DA_RADIUS_TRUNCATED); /* RFC 2865 3: shorter than Length, silently dropped */
        return CW_PARSE_ERROR;
    }
    if (st)
        st->messages[CW_PROTO_RADIUS]++;
    if (code == RADIUS_CODE_ACCOUNTING_REQUEST) {
        struct radius_ids ids;
        memset(&ids, 0, sizeof ids);
        walk(&x, cw_cur_take(&c, (size_t)len - RADIUS_HDR_LEN), &ids);
        emit_event(&x, &ids, meta, sink);
    }
    return x.bad ? CW_PARSE_ERROR : CW_PARSE_OK;
}
