/* gtp.c - GTP-C decoder: data sessions (Create Session / Modify Bearer / Create PDP Context).
 *
 * Implements the control-plane headers and information elements of GTPv2-C, 3GPP TS 29.274
 * (5.1 header, 5.5 piggybacking, 8.2 IE format, 8.3 IMSI, 8.10 MEI, 8.11 MSISDN, 8.21 User
 * Location Information) and of GTPv1-C, TS 29.060 (6 header, 6.1 extension headers, 7.7 IEs,
 * table 37 TV lengths, 7.7.51 User Location Information), and of
 * GTPv0, GSM 09.60 release 97/98 (Create PDP Context Request: the IMSI is in the TID):
 *
 *   GTPv2-C                                 GTPv1-C
 *   +-----+-+-+--+--+--------+---------+    +-----+--+-+-+-+--+--------+---------+
 *   | v=2 |P|T|MP|00|  type  | length  |    | v=1 |PT|0|E|S|PN|  type  | length  |
 *   +-----+-+-+--+--+--------+---------+    +-----+--+-+-+-+--+--------+---------+
 *   | TEID (4, when T) | seq (3) | sp  |    | TEID (4)  | seq (2) N-PDU (1) next (1)
 *   +----------------------------------+    |           | (4, when E, S or PN)   |
 *   | IE: type(1) len(2) sp/inst(1) v  |    | ext hdr: len*4 (1) content next (1)... |
 *   +----------------------------------+    | IE: TV  type<128 (fixed len) value     |
 *   | [P: next message, same header]   |    |     TLV type>=128 len(2) value         |
 *                                           +----------------------------------------+
 * length counts the octets after the first four (v2) / eight (v1). Identities are read from
 * top-level IEs only; a grouped IE's content is skipped. Every read is bounded by the slice;
 * nothing is allocated; malformed input is counted by reason.
 */
#include "decode/gtp.h"

#include <stdio.h>
#include <string.h>

#include "util/cursor.h"
#include "util/imei.h"
#include "util/tbcd.h"

#define GTP_PORT_HDR 4u /* version/flags, type, length: the part before what length counts */
#define GTP1_HDR_LEN 8u

/* GTPv2 (TS 29.274 table 6.1-1, 8.1-1). */
#define GTP2_FLAG_P 0x10u
#define GTP2_FLAG_T 0x08u
#define GTP2_MSG_CREATE_SESSION_REQ 32u
#define GTP2_MSG_MODIFY_BEARER_REQ 34u
#define GTP2_IE_IMSI 1u
#define GTP2_IE_MEI 75u
#define GTP2_IE_MSISDN 76u
#define GTP2_IE_ULI 86u

/* GTPv1 (TS 29.060 table 1, 7.7). */
#define GTP1_FLAG_PT 0x10u
#define GTP1_FLAGS_OPT 0x07u /* E, S, PN: the 4 optional octets are there */
#define GTP1_MSG_CREATE_PDP_REQ 16u
#define GTP1_MSG_DATA_RECORD_REQ 240u /* GTP' (TS 32.295), not GTP-C */
#define GTP1_MSG_DATA_RECORD_RSP 241u
#define GTP1_MSG_GPDU 255u
#define GTP1_IE_IMSI 2u
#define GTP1_IE_MSISDN 134u
#define GTP1_IE_IMEISV 154u
#define GTP1_IE_ULI 152u

/* ISDN-AddressString first octet (TS 29.002 17.7.8): ext(1) TON(3) NPI(4). */
#define TON_INTERNATIONAL 1u

/* TS 29.060 table 37: value length of each TV IE (type < 128); 0 = not a TV type. */
static const uint8_t tv_len[128] = {
    [1] = 1,   /* Cause */
    [2] = 8,   /* IMSI */
    [3] = 6,   /* Routeing Area Identity */
    [4] = 4,   /* TLLI */
    [5] = 4,   /* P-TMSI */
    [8] = 1,   /* Reordering Required */
    [9] = 28,  /* Authentication Triplet */
    [11] = 1,  /* MAP Cause */
    [12] = 3,  /* P-TMSI Signature */
    [13] = 1,  /* MS Validated */
    [14] = 1,  /* Recovery */
    [15] = 1,  /* Selection Mode */
    [16] = 4,  /* TEID Data I */
    [17] = 4,  /* TEID Control Plane */
    [18] = 5,  /* TEID Data II */
    [19] = 1,  /* Teardown Ind */
    [20] = 1,  /* NSAPI */
    [21] = 1,  /* RANAP Cause */
    [22] = 9,  /* RAB Context */
    [23] = 1,  /* Radio Priority SMS */
    [24] = 1,  /* Radio Priority */
    [25] = 2,  /* Packet Flow Id */
    [26] = 2,  /* Charging Characteristics */
    [27] = 2,  /* Trace Reference */
    [28] = 2,  /* Trace Type */
    [29] = 1,  /* MS Not Reachable Reason */
    [127] = 4, /* Charging ID */
};

/* GSM 09.60 (GTPv0, release 97/98) 7.9: the TV lengths where they differ from GTPv1's: QoS
 * Profile is TV 3 and the flow labels are 2 and 3 octets (TEIDs came with v1). */
static size_t v0_tv_len(uint8_t type)
{
    switch (type) {
    case 6: return 3;  /* Quality of Service Profile */
    case 16: return 2; /* Flow Label Data I */
    case 17: return 2; /* Flow Label Signalling */
    case 18: return 3; /* Flow Label Data II */
    case 19: return 1; /* MS Not Reachable Reason */
    case 20:
    case 21:
    case 22:
    case 23:
    case 24:
    case 25:
    case 26:
    case 27:
    case 28:
    case 29: return 0; /* GTPv1 only */
    default: return tv_len[type];
    }
}

/* One datagram's decoding context. */
struct gtp_ctx {
    const struct cw_pkt_meta *meta;
    const struct cw_event_sink *sink;
    struct cw_decode_stats *st;
    int bad; /* an anomaly was counted: the datagram's result is CW_PARSE_ERROR */
};

/* The identity IEs of one message (first one of each wins), the MSISDN's TON, and the User
 * Location Information (GTPv2's, or GTPv1's when uli_v1). */
struct gtp_ids {
    struct cw_slice imsi, msisdn, mei, uli;
    int has_imsi, has_msisdn, has_mei, has_uli;
    int msisdn_intl;
    int uli_v1;
};

static void note(struct gtp_ctx *x, enum cw_decode_anomaly a)
{
    if (x->st)
        x->st->anomalies[a]++;
    x->bad = 1;
}

static void count_message(struct gtp_ctx *x)
{
    if (x->st)
        x->st->messages[CW_PROTO_GTP]++;
}

static void set_first(struct cw_slice *dst, int *has, struct cw_slice v)
{
    if (!*has) {
        *dst = v;
        *has = 1;
    }
}

/* ---- User Location Information: the serving cell ---- */

/* MCC and MNC of a 3-octet PLMN identity (TS 24.008 10.5.1.3): MCC2 MCC1 | MNC3 MCC3 |
 * MNC2 MNC1, MNC3 0xF for a two-digit MNC. Writes the 5 or 6 digits and returns 0, or -1
 * when a digit is not decimal. */
static int plmn_digits(const uint8_t *p, char out[7])
{
    const uint8_t nib[6] = {p[0] & 15u, p[0] >> 4, p[1] & 15u, p[2] & 15u, p[2] >> 4, p[1] >> 4};
    int n = nib[5] == 0x0f ? 5 : 6;
    for (int i = 0; i < n; i++) {
        if (nib[i] > 9)
            return -1;
        out[i] = (char)('0' + nib[i]);
    }
    out[n] = 0;
    return 0;
}

/* "<MCC><MNC>-<ECI>" from an ECGI (TS 29.274 8.21.5: PLMN, 4 spare bits, 28-bit ECI): the
 * string SIP's P-Access-Network-Info gives for the same cell. */
static int ecgi_cell(const uint8_t *p, char cell[CW_CELL_MAX])
{
    char plmn[7];
    if (plmn_digits(p, plmn) != 0)
        return -1;
    unsigned long eci = (unsigned long)(p[3] & 0x0fu) << 24 | (unsigned long)p[4] << 16 |
                        (unsigned long)p[5] << 8 | p[6];
    snprintf(cell, CW_CELL_MAX, "%s-%07lx", plmn, eci);
    return 0;
}

/* "<MCC><MNC>-<LAC>-<CI>" from a CGI or SAI (PLMN, LAC, CI or SAC: 7 octets), or with
 * @p id_len 1 "<MCC><MNC>-<LAC>-<RAC>" from a RAI (TS 29.060 7.7.51). */
static int lac_cell(const uint8_t *p, size_t id_len, char cell[CW_CELL_MAX])
{
    char plmn[7];
    if (plmn_digits(p, plmn) != 0)
        return -1;
    unsigned lac = (unsigned)p[3] << 8 | p[4];
    if (id_len == 1)
        snprintf(cell, CW_CELL_MAX, "%s-%04x-%02x", plmn, lac, (unsigned)p[5]);
    else
        snprintf(cell, CW_CELL_MAX, "%s-%04x-%04x", plmn, lac, (unsigned)p[5] << 8 | p[6]);
    return 0;
}

/* GTPv2 ULI (TS 29.274 8.21): a flags octet, then for each flag set, in this order, CGI(7)
 * SAI(7) RAI(7) TAI(5) ECGI(7) LAI(5) macro eNodeB ID(6) extended macro eNodeB ID(6); what a
 * later release adds after them is not read. The cell: the ECGI, else the CGI, else the SAI.
 * Returns 0 (the cell may be empty: no such part), or -1 when the IE is malformed. */
static int v2_uli_cell(struct cw_slice v, char cell[CW_CELL_MAX])
{
    static const uint8_t part_len[8] = {7, 7, 7, 5, 7, 5, 6, 6};
    const uint8_t *part[8] = {NULL};
    struct cw_cursor c = cw_cur_make(v.p, v.len);
    uint8_t flags = cw_cur_u8(&c);
    if (c.err)
        return -1;
    for (unsigned i = 0; i < 8; i++) {
        if (!(flags & (1u << i)))
            continue;
        if (part_len[i] > cw_cur_left(&c))
            return -1;
        part[i] = cw_cur_take(&c, part_len[i]).p;
    }
    if (part[4])
        return ecgi_cell(part[4], cell);
    if (part[0])
        return lac_cell(part[0], 2, cell);
    if (part[1])
        return lac_cell(part[1], 2, cell);
    return 0;
}

/* GTPv1 ULI (TS 29.060 7.7.51): Geographic Location Type, then 0 CGI, 1 SAI (PLMN, LAC,
 * CI / SAC: 7 octets) or 2 RAI (PLMN, LAC, RAC; the octet after the RAC is not read). Other
 * types have no cell. Returns 0, or -1 when the IE is malformed. */
static int v1_uli_cell(struct cw_slice v, char cell[CW_CELL_MAX])
{
    if (v.len < 1)
        return -1;
    uint8_t type = v.p[0];
    if (type > 2)
        return 0;
    size_t need = type == 2 ? 6 : 7;
    if (need > v.len - 1)
        return -1;
    return lac_cell(v.p + 1, type == 2 ? 1 : 2, cell);
}

/* Identities into an event; emits it when at least one is valid. */
static void emit_ids(struct gtp_ctx *x, const struct gtp_ids *ids)
{
    struct cw_event ev;
    memset(&ev, 0, sizeof ev);
    if (x->meta) {
        ev.ts_us = x->meta->ts_us;
        ev.frame = x->meta->frame;
        ev.file_idx = x->meta->file_idx;
    }
    ev.kind = CW_EV_DATA_SESSION;
    ev.proto = CW_PROTO_GTP;
    /* IMSI: MCC + MNC + MSIN, 6 to 15 digits (TS 23.003 2.2), at most 8 octets. */
    if (ids->has_imsi &&
        cw_tbcd_digits(ids->imsi.p, ids->imsi.len, 6, 15, ev.imsi, sizeof ev.imsi) < 0) {
        ev.imsi[0] = 0;
        note(x, CW_DA_GTP_BAD_VALUE);
    }
    if (ids->has_msisdn) {
        if (cw_tbcd_digits(ids->msisdn.p, ids->msisdn.len, 1, CW_NUM_MAX - 1, ev.calling,
                           sizeof ev.calling) < 0) {
            ev.calling[0] = 0;
            note(x, CW_DA_GTP_BAD_VALUE);
        } else if (ids->msisdn_intl) {
            ev.flags |= CW_EVF_CALLING_INTL;
        }
    }
    if (ids->has_mei) {
        char d[17];
        int n = cw_tbcd_digits(ids->mei.p, ids->mei.len, 14, 16, d, sizeof d);
        if (n < 0 || cw_imei_normalize(d, (size_t)n, ev.imei) != 0) {
            ev.imei[0] = 0;
            note(x, CW_DA_GTP_BAD_VALUE);
        }
    }
    if (ids->has_uli &&
        (ids->uli_v1 ? v1_uli_cell(ids->uli, ev.cell) : v2_uli_cell(ids->uli, ev.cell)) != 0) {
        ev.cell[0] = 0;
        note(x, CW_DA_GTP_BAD_VALUE);
    }
    /* The cell alone names no card: no event without an identity. */
    if (!ev.imsi[0] && !ev.calling[0] && !ev.imei[0])
        return;
    if (x->sink && x->sink->emit)
        x->sink->emit(x->sink->user, &ev);
}

/* ---- GTPv2-C ---- */

/* Top-level IEs of one message body. A grouped IE (Bearer Context ...) is skipped whole: the
 * identities of a session are top-level IEs. An IE that does not fit ends the walk. */
static void v2_walk(struct gtp_ctx *x, struct cw_slice body, struct gtp_ids *ids)
{
    struct cw_cursor c = cw_cur_make(body.p, body.len);
    while (cw_cur_left(&c) > 0) {
        if (cw_cur_left(&c) < 4) {
            note(x, CW_DA_GTP_IE_OVERRUN);
            return;
        }
        uint8_t type = cw_cur_u8(&c);
        uint16_t len = cw_cur_u16be(&c);
        uint8_t instance = cw_cur_u8(&c) & 0x0fu;
        if (len > cw_cur_left(&c)) {
            note(x, CW_DA_GTP_IE_OVERRUN);
            return;
        }
        struct cw_slice v = cw_cur_take(&c, len);
        if (instance != 0)
            continue; /* TS 29.274 7.7.8: an unexpected instance is an unknown IE */
        switch (type) {
        case GTP2_IE_IMSI: set_first(&ids->imsi, &ids->has_imsi, v); break;
        case GTP2_IE_MSISDN: set_first(&ids->msisdn, &ids->has_msisdn, v); break;
        case GTP2_IE_MEI: set_first(&ids->mei, &ids->has_mei, v); break;
        case GTP2_IE_ULI: set_first(&ids->uli, &ids->has_uli, v); break;
        default: break;
        }
    }
}

/* GTPv2 messages of one datagram: the first, then each piggybacked one (TS 29.274 5.5). */
static void v2_datagram(struct gtp_ctx *x, struct cw_slice data)
{
    size_t pos = 0;
    for (;;) {
        struct cw_cursor c = cw_cur_make(data.p + pos, data.len - pos);
        uint8_t flags = cw_cur_u8(&c);
        uint8_t type = cw_cur_u8(&c);
        uint16_t len = cw_cur_u16be(&c);
        if (c.err) {
            note(x, CW_DA_GTP_TRUNCATED);
            return;
        }
        if ((flags >> 5) != 2) {
            note(x, CW_DA_GTP_BAD_VERSION); /* only a piggybacked message gets here */
            return;
        }
        if (len > cw_cur_left(&c)) {
            note(x, CW_DA_GTP_TRUNCATED);
            return;
        }
        size_t hdr_rest = (flags & GTP2_FLAG_T) ? 8u : 4u; /* [TEID] seq(3) spare(1) */
        if (len < hdr_rest) {
            note(x, CW_DA_GTP_BAD_LENGTH);
            return;
        }
        cw_cur_skip(&c, hdr_rest);
        struct cw_slice ies = cw_cur_take(&c, len - hdr_rest);
        count_message(x);
        if (type == GTP2_MSG_CREATE_SESSION_REQ || type == GTP2_MSG_MODIFY_BEARER_REQ) {
            struct gtp_ids ids;
            memset(&ids, 0, sizeof ids);
            v2_walk(x, ies, &ids);
            ids.msisdn_intl = 1; /* TS 29.274 8.11: E.164 in international format */
            emit_ids(x, &ids);
        }
        pos += GTP_PORT_HDR + len;
        if (!(flags & GTP2_FLAG_P)) {
            if (pos < data.len)
                note(x, CW_DA_GTP_TRAILING);
            return;
        }
        if (pos >= data.len) {
            note(x, CW_DA_GTP_TRUNCATED); /* P flag, but no message follows */
            return;
        }
    }
}

/* ---- GTPv1-C ---- */

/* The IEs of a GTPv1 message: TV with the fixed lengths of table 37, TLV from 128 up. */
static void v1_walk(struct gtp_ctx *x, struct cw_cursor *c, struct gtp_ids *ids, int v0)
{
    while (cw_cur_left(c) > 0) {
        uint8_t type = cw_cur_u8(c);
        size_t len;
        if (type < 128) {
            len = v0 ? v0_tv_len(type) : tv_len[type];
            if (len == 0) {
                note(x, CW_DA_GTP_IE_UNKNOWN_TV); /* cannot tell where the next IE starts */
                return;
            }
        } else {
            if (cw_cur_left(c) < 2) {
                note(x, CW_DA_GTP_IE_OVERRUN);
                return;
            }
            len = cw_cur_u16be(c);
        }
        if (len > cw_cur_left(c)) {
            note(x, CW_DA_GTP_IE_OVERRUN);
            return;
        }
        struct cw_slice v = cw_cur_take(c, len);
        switch (type) {
        case GTP1_IE_IMSI: set_first(&ids->imsi, &ids->has_imsi, v); break;
        case GTP1_IE_MSISDN:
            if (!ids->has_msisdn && v.len >= 1) {
                /* AddressString: ext/TON/NPI octet, then the TBCD digits */
                ids->msisdn_intl = ((v.p[0] >> 4) & 7u) == TON_INTERNATIONAL;
                v.p++;
                v.len--;
            }
            set_first(&ids->msisdn, &ids->has_msisdn, v);
            break;
        case GTP1_IE_IMEISV: set_first(&ids->mei, &ids->has_mei, v); break;
        case GTP1_IE_ULI:
            set_first(&ids->uli, &ids->has_uli, v);
            ids->uli_v1 = 1;
            break;
        default: break;
        }
    }
}

/* GTPv0/v1 with PT set, not a G-PDU or a GTP' data record message: control plane, ours.
 * Otherwise counted (GTP' charging or user plane). */
static int v01_control(struct gtp_ctx *x, uint8_t flags, uint8_t type)
{
    if (!(flags & GTP1_FLAG_PT) || type == GTP1_MSG_GPDU || type == GTP1_MSG_DATA_RECORD_REQ ||
        type == GTP1_MSG_DATA_RECORD_RSP) {
        note(x, CW_DA_GTP_NOT_GTPC);
        return 0;
    }
    return 1;
}

/* The @p len bytes the header's Length counts, at the cursor: -1 when they are not all there
 * (truncated); bytes after them are counted as trailing. */
static int v01_body(struct gtp_ctx *x, struct cw_cursor *c, uint16_t len, struct cw_slice *body)
{
    if (len > cw_cur_left(c)) {
        note(x, CW_DA_GTP_TRUNCATED);
        return -1;
    }
    if (len < cw_cur_left(c))
        note(x, CW_DA_GTP_TRAILING);
    *body = cw_cur_take(c, len);
    return 0;
}

static void v1_datagram(struct gtp_ctx *x, struct cw_slice data)
{
    struct cw_cursor c = cw_cur_make(data.p, data.len);
    uint8_t flags = cw_cur_u8(&c);
    uint8_t type = cw_cur_u8(&c);
    uint16_t len = cw_cur_u16be(&c);
    cw_cur_skip(&c, 4); /* TEID */
    if (c.err) {
        note(x, CW_DA_GTP_TRUNCATED);
        return;
    }
    struct cw_slice body;
    if (!v01_control(x, flags, type) || v01_body(x, &c, len, &body))
        return;
    struct cw_cursor b = cw_cur_make(body.p, body.len);
    if (flags & GTP1_FLAGS_OPT) {
        cw_cur_skip(&b, 3); /* sequence number, N-PDU number */
        uint8_t next = cw_cur_u8(&b);
        if (b.err) {
            note(x, CW_DA_GTP_BAD_LENGTH);
            return;
        }
        count_message(x);
        /* Extension headers (6.1): length in 4-octet units, covering itself and the next
         * type; each is read only when E is set (a next type with E clear is ignored). */
        while ((flags & 0x04u) && next != 0) {
            uint8_t units = cw_cur_u8(&b);
            if (b.err || units == 0 || (size_t)units * 4u - 1u > cw_cur_left(&b)) {
                note(x, CW_DA_GTP_BAD_EXT_HEADER);
                return;
            }
            cw_cur_skip(&b, (size_t)units * 4u - 2u);
            next = cw_cur_u8(&b);
        }
    } else {
        count_message(x);
    }
    if (type != GTP1_MSG_CREATE_PDP_REQ)
        return;
    struct gtp_ids ids;
    memset(&ids, 0, sizeof ids);
    v1_walk(x, &b, &ids, 0);
    emit_ids(x, &ids);
}

/* ---- GTPv0 (GSM 09.60 release 97/98, UDP 3386) ----
 *   flags: v=0 PT 111 SNN | type | length (after the 20-octet header) | sequence (2) |
 *   flow label (2) | SNDCP N-PDU number (1) | spare (3) | TID (8): the IMSI's 15 TBCD digits
 *   (0xF fillers when shorter) and the NSAPI in the last nibble | IEs as GTPv1's.
 * GTP' (charging, TS 32.295) shares version 0 with PT clear: not ours. */
#define GTP0_HDR_LEN 20u

static void v0_datagram(struct gtp_ctx *x, struct cw_slice data)
{
    struct cw_cursor c = cw_cur_make(data.p, data.len);
    uint8_t flags = cw_cur_u8(&c);
    uint8_t type = cw_cur_u8(&c);
    uint16_t len = cw_cur_u16be(&c);
    if (!v01_control(x, flags, type))
        return;
    cw_cur_skip(&c, 8); /* sequence, flow label, SNDCP N-PDU number, spare */
    struct cw_slice tid = cw_cur_take(&c, 8);
    struct cw_slice body;
    if (c.err) {
        note(x, CW_DA_GTP_TRUNCATED);
        return;
    }
    if (v01_body(x, &c, len, &body))
        return;
    count_message(x);
    if (type != GTP1_MSG_CREATE_PDP_REQ)
        return;
    struct cw_cursor b = cw_cur_make(body.p, body.len);
    struct gtp_ids ids;
    memset(&ids, 0, sizeof ids);
    /* The IMSI is the TID less its NSAPI nibble: 15 nibbles, a filler ends it. */
    uint8_t imsi[8];
    memcpy(imsi, tid.p, 8);
    imsi[7] |= 0xf0;
    set_first(&ids.imsi, &ids.has_imsi, cw_slice_make(imsi, 8));
    v1_walk(x, &b, &ids, 1);
    emit_ids(x, &ids);
}

int cw_gtp_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                  const struct cw_event_sink *sink, struct cw_decode_stats *st, size_t *consumed,
                  size_t *needed)
{
    struct gtp_ctx x = {meta, sink, st, 0};
    if (!data.p)
        data.len = 0;
    if (consumed)
        *consumed = data.len;
    if (needed)
        *needed = 0;
    if (data.len == 0) {
        note(&x, CW_DA_GTP_TRUNCATED);
        return CW_PARSE_ERROR;
    }
    switch (data.p[0] >> 5) {
    case 2: v2_datagram(&x, data); break;
    case 1: v1_datagram(&x, data); break;
    case 0: v0_datagram(&x, data); break;
    default: note(&x, CW_DA_GTP_BAD_VERSION); break;
    }
    return x.bad ? CW_PARSE_ERROR : CW_PARSE_OK;
}
