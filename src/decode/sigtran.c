/* sigtran.c - M3UA / M2PA+MTP3 / SCCP down to the TCAP bytes handed to map.c (sigtran.h).
 *
 * M3UA (RFC 4666 3.1, 3.3.1): common header {version 1, reserved, class, type, length}; a DATA
 * message (class 1 transfer, type 1) holds tag-length-value parameters (padded to 4 bytes), of
 * which Protocol Data (0x0210) carries {OPC, DPC (4 bytes each), SI, NI, MP, SLS} and the user
 * part's bytes. M2PA (RFC 4165 2.1, 2.3.2): common header {version 1, spare, class 11, type,
 * length}, BSN and FSN (4 bytes each); User Data (type 1) then holds one octet of priority/LI
 * and the MTP3 MSU: SIO (service indicator in the low nibble, network indicator in the top two
 * bits) and the ITU routing label (Q.704 2.2: 32 bits little-endian, DPC bits 0-13, OPC 14-27,
 * SLS 28-31). Service indicator 3 is SCCP.
 *
 * SCCP (Q.713 4): UDT, UDTS (1-byte pointers), XUDT, XUDTS (hop counter, optional part),
 * LUDT, LUDTS (2-byte pointers and data length). Each pointer counts from its own position.
 * A party address (Q.713 3.4): address indicator {PC, SSN, GT indicator, routing}, the point
 * code (2 bytes, ITU), the SSN, then the global title: GTI 1 {odd/even + nature of address},
 * 2 {translation type}, 3 {TT, numbering plan + encoding scheme}, 4 {TT, NP + ES, NAI}, then
 * BCD digits low nibble first. XUDT segmentation (Q.713 3.17): {first-segment bit, class,
 * remaining segments; 3-byte local reference}; segments are joined per (OPC, DPC, calling
 * address, local reference) in fixed slots.
 */
#include "decode/sigtran.h"

#include <stdlib.h>
#include <string.h>

#include "decode/map.h"
#include "util/cursor.h"

struct reasm_slot {
    uint64_t last_us; /* packet time of the last segment; 0: free */
    uint32_t opc, dpc;
    uint32_t ref;     /* segmentation local reference */
    char cgpa[CW_NUM_MAX];
    uint8_t remaining; /* segments still to come */
    uint16_t len;
    uint8_t data[CW_SCCP_REASM_MAX];
};

struct cw_sigtran {
    struct reasm_slot slot[CW_SCCP_REASM_SLOTS];
};

int cw_sigtran_new(struct cw_sigtran **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -1;
}

void cw_sigtran_free(struct cw_sigtran *s)
{
    free(s);
}

static void count(struct cw_decode_stats *st, unsigned a)
{
    if (st)
        st->anomalies[a]++;
}

/* ---- SCCP ---- */

enum {
    SCCP_UDT = 0x09,
    SCCP_UDTS = 0x0a,
    SCCP_XUDT = 0x11,
    SCCP_XUDTS = 0x12,
    SCCP_LUDT = 0x13,
    SCCP_LUDTS = 0x14,
};

/* Q.713 3.4.2.3: BCD digits, low nibble first; the last high nibble is a filler when @p odd. */
static void gt_digits(const uint8_t *p, size_t n, int odd, char *out)
{
    static const char hexd[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n && o + 2 < CW_NUM_MAX; i++) {
        out[o++] = hexd[p[i] & 0x0f];
        if (i + 1 == n && odd)
            break;
        out[o++] = hexd[p[i] >> 4];
    }
    out[o] = 0;
}

/* One party address (its length octet already read: @p a, @p n). Returns 0 or -1. */
static int party_address(const uint8_t *a, size_t n, uint8_t *ssn, char *digits)
{
    digits[0] = 0;
    *ssn = 0;
    if (n < 1)
        return -1;
    uint8_t ai = a[0];
    size_t i = 1;
    if (ai & 0x01)
        i += 2; /* ITU signalling point code */
    if (ai & 0x02) {
        if (i >= n)
            return -1;
        *ssn = a[i++];
    }
    if (i > n)
        return -1;
    unsigned gti = (ai >> 2) & 0x0f;
    int odd = 0;
    switch (gti) {
    case 0: return 0;
    case 1:
        if (i + 1 > n)
            return -1;
        odd = a[i] >> 7;
        i += 1;
        break;
    case 2: i += 1; break;
    case 3:
    case 4: {
        size_t h = gti == 3 ? 2 : 3;
        if (i + h > n)
            return -1;
        unsigned es = a[i + 1] & 0x0f;
        odd = es == 1;
        i += h;
        break;
    }
    default: return 0; /* national or spare indicators: no digits we can read */
    }
    if (i > n)
        return -1;
    gt_digits(a + i, n - i, odd, digits);
    return 0;
}

/* The value a pointer at @p at (of @p psize bytes) points to: its length field (@p lsize bytes)
 * and content, checked against the message end. */
static int pointed(const uint8_t *msg, size_t len, size_t at, unsigned psize, unsigned lsize,
                   struct cw_slice *out)
{
    if (at + psize > len)
        return -1;
    size_t ptr = psize == 1 ? msg[at] : (size_t)(msg[at] | msg[at + 1] << 8);
    if (ptr == 0)
        return -1;
    size_t pos = at + ptr;
    if (pos + lsize > len)
        return -1;
    size_t vlen = lsize == 1 ? msg[pos] : (size_t)(msg[pos] | msg[pos + 1] << 8);
    if (pos + lsize + vlen > len)
        return -1;
    *out = cw_slice_make(msg + pos + lsize, vlen);
    return 0;
}

struct segmentation {
    int present, first;
    unsigned remaining;
    uint32_t ref;
};

/* XUDT/LUDT optional part: parameters {type, length, value} up to end-of-parameters (0). */
static int optional_part(const uint8_t *msg, size_t len, size_t at, unsigned psize,
                         struct segmentation *seg)
{
    memset(seg, 0, sizeof *seg);
    if (at + psize > len)
        return -1;
    size_t ptr = psize == 1 ? msg[at] : (size_t)(msg[at] | msg[at + 1] << 8);
    if (ptr == 0)
        return 0;
    size_t pos = at + ptr;
    while (pos < len && msg[pos] != 0) {
        if (pos + 2 > len)
            return -1;
        uint8_t type = msg[pos], plen = msg[pos + 1];
        if (pos + 2 + plen > len)
            return -1;
        if (type == 0x10 && plen >= 4) {
            const uint8_t *v = msg + pos + 2;
            seg->present = 1;
            seg->first = v[0] >> 7;
            seg->remaining = v[0] & 0x0f;
            seg->ref = (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
        }
        pos += 2 + (size_t)plen;
    }
    return 0;
}

static struct reasm_slot *slot_find(struct cw_sigtran *s, const struct cw_map_rec *ctx,
                                    uint32_t ref)
{
    for (unsigned i = 0; i < CW_SCCP_REASM_SLOTS; i++) {
        struct reasm_slot *sl = &s->slot[i];
        if (sl->last_us && sl->ref == ref && sl->opc == ctx->opc && sl->dpc == ctx->dpc &&
            !strcmp(sl->cgpa, ctx->cgpa))
            return sl;
    }
    return NULL;
}

/* A free slot, else one timed out, else the stalest (its message is lost). */
static struct reasm_slot *slot_take(struct cw_sigtran *s, uint64_t now,
                                    struct cw_decode_stats *st)
{
    struct reasm_slot *old = &s->slot[0];
    for (unsigned i = 0; i < CW_SCCP_REASM_SLOTS; i++) {
        struct reasm_slot *sl = &s->slot[i];
        if (!sl->last_us)
            return sl;
        if (sl->last_us < old->last_us)
            old = sl;
    }
    (void)now;
    count(st, CW_DA_SCCP_REASM_LOST);
    old->last_us = 0;
    return old;
}

/* Drop reassemblies that have waited too long (their message is lost). */
static void slots_expire(struct cw_sigtran *s, uint64_t now, struct cw_decode_stats *st)
{
    for (unsigned i = 0; i < CW_SCCP_REASM_SLOTS; i++) {
        struct reasm_slot *sl = &s->slot[i];
        if (sl->last_us && now > sl->last_us + CW_SCCP_REASM_TIMEOUT_US) {
            sl->last_us = 0;
            count(st, CW_DA_SCCP_REASM_LOST);
        }
    }
}

/* One segment of a segmented XUDT/LUDT: 1 with the whole message in *whole when this was the
 * last, 0 when more are to come, -1 when it does not fit with what came before (counted). */
static int reassemble(struct cw_sigtran *s, const struct cw_map_rec *ctx,
                      const struct segmentation *seg, struct cw_slice data, uint64_t now,
                      struct cw_decode_stats *st, struct cw_slice *whole)
{
    if (!s) {
        count(st, CW_DA_SCCP_REASM_LOST);
        return -1;
    }
    slots_expire(s, now, st);
    struct reasm_slot *sl = slot_find(s, ctx, seg->ref);
    if (seg->first) {
        if (sl) {
            count(st, CW_DA_SCCP_REASM_LOST); /* a message never finished */
            sl->last_us = 0;
        }
        sl = slot_take(s, now, st);
        sl->opc = ctx->opc;
        sl->dpc = ctx->dpc;
        sl->ref = seg->ref;
        memcpy(sl->cgpa, ctx->cgpa, sizeof sl->cgpa);
        sl->len = 0;
    } else if (!sl || seg->remaining + 1 != sl->remaining) {
        count(st, CW_DA_SCCP_REASM_LOST); /* without its start, or out of order */
        if (sl)
            sl->last_us = 0;
        return -1;
    }
    if ((size_t)sl->len + data.len > CW_SCCP_REASM_MAX) {
        count(st, CW_DA_SCCP_REASM_LOST);
        sl->last_us = 0;
        return -1;
    }
    memcpy(sl->data + sl->len, data.p, data.len);
    sl->len = (uint16_t)(sl->len + data.len);
    sl->remaining = (uint8_t)seg->remaining;
    sl->last_us = now ? now : 1;
    if (seg->remaining)
        return 0;
    sl->last_us = 0; /* free again; the data stay valid until the next segment comes */
    *whole = cw_slice_make(sl->data, sl->len);
    return 1;
}

static int sccp(struct cw_sigtran *s, struct cw_slice m, struct cw_map_rec *ctx,
                const struct cw_pkt_meta *meta, const struct cw_event_sink *sink,
                struct cw_decode_stats *st)
{
    const uint8_t *p = m.p;
    size_t len = m.len;
    if (len < 1) {
        count(st, CW_DA_SCCP_BAD_MESSAGE);
        return CW_PARSE_ERROR;
    }
    uint8_t type = p[0];
    size_t ptrs; /* offset of the called party pointer */
    unsigned psize = 1, lsize = 1;
    int has_opt = 0;
    switch (type) {
    case SCCP_UDT:
    case SCCP_UDTS: ptrs = 2; break;
    case SCCP_XUDT:
    case SCCP_XUDTS: ptrs = 3; has_opt = 1; break;
    case SCCP_LUDT:
    case SCCP_LUDTS: ptrs = 3; psize = 2; lsize = 2; has_opt = 1; break;
    default:
        count(st, CW_DA_SCCP_UNSUPPORTED);
        return CW_PARSE_OK; /* connection-oriented and management: not read */
    }
    ctx->sccp_type = type;
    ctx->returned = type == SCCP_UDTS || type == SCCP_XUDTS || type == SCCP_LUDTS;
    struct cw_slice called, calling, data;
    if (pointed(p, len, ptrs, psize, 1, &called) || pointed(p, len, ptrs + psize, psize, 1,
                                                              &calling) ||
        pointed(p, len, ptrs + 2 * psize, psize, lsize, &data)) {
        count(st, CW_DA_SCCP_BAD_MESSAGE);
        return CW_PARSE_ERROR;
    }
    if (party_address(called.p, called.len, &ctx->cdpa_ssn, ctx->cdpa) ||
        party_address(calling.p, calling.len, &ctx->cgpa_ssn, ctx->cgpa)) {
        count(st, CW_DA_SCCP_BAD_ADDRESS);
        return CW_PARSE_ERROR;
    }
    struct segmentation seg = {0};
    if (has_opt && optional_part(p, len, ptrs + 3 * psize, psize, &seg)) {
        count(st, CW_DA_SCCP_BAD_MESSAGE);
        return CW_PARSE_ERROR;
    }
    if (seg.present && !(seg.first && seg.remaining == 0)) {
        if (ctx->returned) {
            count(st, CW_DA_SCCP_RETURNED_SEGMENT);
            return CW_PARSE_OK;
        }
        struct cw_slice whole;
        int r = reassemble(s, ctx, &seg, data, meta ? meta->ts_us : 0, st, &whole);
        if (r <= 0)
            return CW_PARSE_OK; /* held, or lost (counted) */
        data = whole;
    }
    return cw_map_decode(data, ctx, meta, sink, st) == 0 ? CW_PARSE_OK : CW_PARSE_ERROR;
}

/* ---- MTP3 user part ---- */

static int user_part(struct cw_sigtran *s, struct cw_slice sif, struct cw_map_rec *ctx,
                     const struct cw_pkt_meta *meta, const struct cw_event_sink *sink,
                     struct cw_decode_stats *st)
{
    if (ctx->si != 3)
        return CW_PARSE_OK; /* MTP3 management, ISUP, ...: not ours */
    return sccp(s, sif, ctx, meta, sink, st);
}

/* The common header M3UA (RFC 4666 3.1) and M2PA (RFC 4165 2.1) share: version 1, a spare
 * octet, message class and type, and a length that covers the header and fits the message.
 * Returns 0, or -1 when it is not that. */
static int common_header(struct cw_slice msg, uint32_t min_len, uint8_t *mclass, uint8_t *type,
                         uint32_t *mlen)
{
    struct cw_cursor c = cw_cur_make(msg.p, msg.len);
    uint8_t version = cw_cur_u8(&c);
    cw_cur_u8(&c);
    *mclass = cw_cur_u8(&c);
    *type = cw_cur_u8(&c);
    *mlen = cw_cur_u32be(&c);
    return c.err || version != 1 || *mlen < min_len || *mlen > msg.len ? -1 : 0;
}

static int m3ua(struct cw_sigtran *s, struct cw_slice msg, const struct cw_pkt_meta *meta,
                const struct cw_event_sink *sink, struct cw_decode_stats *st)
{
    uint8_t mclass, type;
    uint32_t mlen;
    if (common_header(msg, 8, &mclass, &type, &mlen)) {
        count(st, CW_DA_M3UA_BAD_HEADER);
        return CW_PARSE_ERROR;
    }
    if (mclass != 1 || type != 1)
        return CW_PARSE_OK; /* management, ASP state and traffic, SSNM, routing keys */
    struct cw_cursor c = cw_cur_make(msg.p + 8, mlen - 8);
    while (cw_cur_left(&c) >= 4) {
        uint16_t tag = cw_cur_u16be(&c), plen = cw_cur_u16be(&c);
        if (plen < 4 || (size_t)plen - 4 > cw_cur_left(&c)) {
            count(st, CW_DA_M3UA_BAD_PARAM);
            return CW_PARSE_ERROR;
        }
        struct cw_slice v = cw_slice_make(c.p, (size_t)plen - 4);
        size_t pad = ((size_t)plen + 3) / 4 * 4 - 4;
        c.p += pad < cw_cur_left(&c) ? pad : cw_cur_left(&c);
        if (tag != 0x0210)
            continue;
        if (v.len < 12) {
            count(st, CW_DA_M3UA_BAD_PARAM);
            return CW_PARSE_ERROR;
        }
        struct cw_map_rec ctx;
        memset(&ctx, 0, sizeof ctx);
        ctx.opc = (uint32_t)v.p[0] << 24 | (uint32_t)v.p[1] << 16 | (uint32_t)v.p[2] << 8 | v.p[3];
        ctx.dpc = (uint32_t)v.p[4] << 24 | (uint32_t)v.p[5] << 16 | (uint32_t)v.p[6] << 8 | v.p[7];
        ctx.si = v.p[8];
        ctx.ni = v.p[9];
        return user_part(s, cw_slice_make(v.p + 12, v.len - 12), &ctx, meta, sink, st);
    }
    return CW_PARSE_OK; /* a DATA message without protocol data */
}

static int m2pa(struct cw_sigtran *s, struct cw_slice msg, const struct cw_pkt_meta *meta,
                const struct cw_event_sink *sink, struct cw_decode_stats *st)
{
    uint8_t mclass, type;
    uint32_t mlen;
    if (common_header(msg, 16, &mclass, &type, &mlen) || mclass != 11) {
        count(st, CW_DA_M2PA_BAD_HEADER);
        return CW_PARSE_ERROR;
    }
    if (type != 1 || mlen == 16)
        return CW_PARSE_OK; /* link status, or a user data message that only acknowledges */
    const uint8_t *d = msg.p + 16; /* after BSN and FSN */
    size_t n = mlen - 16;
    if (n < 6) { /* priority, SIO, routing label */
        count(st, CW_DA_M2PA_BAD_HEADER);
        return CW_PARSE_ERROR;
    }
    struct cw_map_rec ctx;
    memset(&ctx, 0, sizeof ctx);
    uint8_t sio = d[1];
    ctx.si = sio & 0x0f;
    ctx.ni = sio >> 6;
    uint32_t label = (uint32_t)d[2] | (uint32_t)d[3] << 8 | (uint32_t)d[4] << 16 |
                     (uint32_t)d[5] << 24;
    ctx.dpc = label & 0x3fff;
    ctx.opc = (label >> 14) & 0x3fff;
    return user_part(s, cw_slice_make(d + 6, n - 6), &ctx, meta, sink, st);
}

int cw_sigtran_decode(struct cw_sigtran *s, enum cw_sigtran_layer layer, struct cw_slice msg,
                      const struct cw_pkt_meta *meta, const struct cw_event_sink *sink,
                      struct cw_decode_stats *st)
{
    return layer == CW_SIGTRAN_M2PA ? m2pa(s, msg, meta, sink, st) : m3ua(s, msg, meta, sink, st);
}
