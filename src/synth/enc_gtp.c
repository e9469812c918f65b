/* enc_gtp.c - GTP-C session message encoders: GTPv2-C (3GPP TS 29.274 5.1, 8) Create Session
 * and Modify Bearer, GTPv1-C (TS 29.060 6, 7.7) Create PDP Context, requests and responses.
 *
 *   v2: flags(0x48: v2, T) type length(2) TEID(4) seq(3) spare(1) | IE type len(2) inst value
 *   v1: flags(0x32: v1, PT, S) type length(2) TEID(4) seq(2) N-PDU(1) next(1) | TV / TLV IEs
 */
#include "synth/enc.h"

#include <string.h>

enum {
    V2_CREATE_SESSION_REQ = 32,
    V2_CREATE_SESSION_RSP = 33,
    V2_MODIFY_BEARER_REQ = 34,
    V2_MODIFY_BEARER_RSP = 35,
    V2_IE_IMSI = 1,
    V2_IE_CAUSE = 2,
    V2_IE_RECOVERY = 3,
    V2_IE_APN = 71,
    V2_IE_AMBR = 72,
    V2_IE_EBI = 73,
    V2_IE_MEI = 75,
    V2_IE_MSISDN = 76,
    V2_IE_PAA = 79,
    V2_IE_BEARER_QOS = 80,
    V2_IE_RAT_TYPE = 82,
    V2_IE_SERVING_NETWORK = 83,
    V2_IE_ULI = 86,
    V2_IE_FTEID = 87,
    V2_IE_BEARER_CONTEXT = 93,
    V2_IE_PDN_TYPE = 99,
    V2_IE_APN_RESTRICTION = 127,
    V2_IE_SELECTION_MODE = 128,
};

static void v2_ie(struct cw_wbuf *b, unsigned type, unsigned inst, const void *v, size_t n)
{
    cw_wb_u8(b, type);
    cw_wb_u16(b, (unsigned)n);
    cw_wb_u8(b, inst & 0x0f);
    cw_wb_mem(b, v, n);
}

static void v2_ie_u8(struct cw_wbuf *b, unsigned type, unsigned inst, unsigned v)
{
    uint8_t x = (uint8_t)v;
    v2_ie(b, type, inst, &x, 1);
}

static void v2_tbcd(struct cw_wbuf *b, unsigned type, const char *digits)
{
    uint8_t v[10];
    size_t n = cw_enc_tbcd(digits, v, sizeof v);
    if (!n)
        b->err = 1;
    v2_ie(b, type, 0, v, n);
}

static void v2_fteid(struct cw_wbuf *b, unsigned inst, unsigned iface, uint32_t teid,
                     const uint8_t ip[4])
{
    uint8_t v[9] = {(uint8_t)(0x80 | iface), (uint8_t)(teid >> 24), (uint8_t)(teid >> 16),
                    (uint8_t)(teid >> 8), (uint8_t)teid, ip[0], ip[1], ip[2], ip[3]};
    v2_ie(b, V2_IE_FTEID, inst, v, sizeof v);
}

/* APN in DNS label form (TS 23.003 9.1). */
static size_t apn_labels(const char *apn, uint8_t *out, size_t cap)
{
    size_t n = strlen(apn), k = 0, start = 0;
    if (n + 1 > cap)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || apn[i] == '.') {
            out[k++] = (uint8_t)(i - start);
            memcpy(out + k, apn + start, i - start);
            k += i - start;
            start = i + 1;
        }
    }
    return k;
}

static void v2_header(struct cw_wbuf *b, unsigned type, uint32_t teid, uint32_t seq)
{
    cw_wb_u8(b, 0x48);
    cw_wb_u8(b, type);
    cw_wb_u16(b, 0); /* patched */
    cw_wb_u32(b, teid);
    cw_wb_u24(b, seq & 0xffffff);
    cw_wb_u8(b, 0);
}

static size_t v2_finish(struct cw_wbuf *b)
{
    cw_wb_patch(b, 2, (uint32_t)(b->len - 4), 2);
    return b->err ? 0 : b->len;
}

static void v2_uli(struct cw_wbuf *b, const struct cw_enc_gtp *g)
{
    const uint8_t *p = g->plmn;
    uint8_t v[13] = {0x18, p[0], p[1], p[2], (uint8_t)(g->tac >> 8), (uint8_t)g->tac, p[0],
                     p[1], p[2], (uint8_t)((g->eci >> 24) & 0x0f), (uint8_t)(g->eci >> 16),
                     (uint8_t)(g->eci >> 8), (uint8_t)g->eci};
    v2_ie(b, V2_IE_ULI, 0, v, sizeof v);
}

static void v2_bearer_qos(struct cw_wbuf *b)
{
    uint8_t q[22] = {0x49, 9}; /* PCI/PL 9/PVI, QCI 9, MBR and GBR 0 (non-GBR) */
    v2_ie(b, V2_IE_BEARER_QOS, 0, q, sizeof q);
}

size_t cw_enc_gtpv2_csr(const struct cw_enc_gtp *g, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    v2_header(&b, V2_CREATE_SESSION_REQ, g->teid, g->seq);
    v2_tbcd(&b, V2_IE_IMSI, g->imsi);
    if (g->msisdn)
        v2_tbcd(&b, V2_IE_MSISDN, g->msisdn);
    if (g->imeisv)
        v2_tbcd(&b, V2_IE_MEI, g->imeisv);
    v2_uli(&b, g);
    v2_ie(&b, V2_IE_SERVING_NETWORK, 0, g->plmn, 3);
    v2_ie_u8(&b, V2_IE_RAT_TYPE, 0, g->rat ? g->rat : 6);
    v2_fteid(&b, 0, 10, g->teid_c, g->addr_c); /* S11 MME GTP-C */
    v2_fteid(&b, 1, 7, 0, g->addr_u);          /* S5/S8 PGW GTP-C (the PGW to use) */
    uint8_t apn[128];
    size_t an = apn_labels(g->apn, apn, sizeof apn);
    v2_ie(&b, V2_IE_APN, 0, apn, an);
    v2_ie_u8(&b, V2_IE_SELECTION_MODE, 0, 0);
    v2_ie_u8(&b, V2_IE_PDN_TYPE, 0, 1);
    uint8_t paa[5] = {1, 0, 0, 0, 0};
    v2_ie(&b, V2_IE_PAA, 0, paa, 5);
    v2_ie_u8(&b, V2_IE_APN_RESTRICTION, 0, 0);
    uint8_t ambr[8] = {0, 0, 0x27, 0x10, 0, 0, 0x4e, 0x20}; /* 10 / 20 Mbit/s */
    v2_ie(&b, V2_IE_AMBR, 0, ambr, 8);
    /* Bearer Context (grouped): EBI, Bearer QoS */
    size_t bc = b.len;
    v2_ie(&b, V2_IE_BEARER_CONTEXT, 0, NULL, 0);
    v2_ie_u8(&b, V2_IE_EBI, 0, g->ebi);
    v2_bearer_qos(&b);
    cw_wb_patch(&b, bc + 1, (uint32_t)(b.len - bc - 4), 2);
    v2_ie_u8(&b, V2_IE_RECOVERY, 0, 1);
    return v2_finish(&b);
}

size_t cw_enc_gtpv2_csrsp(const struct cw_enc_gtp *g, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    v2_header(&b, V2_CREATE_SESSION_RSP, g->teid, g->seq);
    uint8_t cause[2] = {g->cause ? g->cause : 16, 0};
    v2_ie(&b, V2_IE_CAUSE, 0, cause, 2);
    v2_fteid(&b, 0, 11, g->teid_c, g->addr_c); /* S11/S4 SGW GTP-C */
    v2_fteid(&b, 1, 7, g->teid_c ^ 0x5a5a, g->addr_u);
    uint8_t paa[5] = {1, g->ue_ip[0], g->ue_ip[1], g->ue_ip[2], g->ue_ip[3]};
    v2_ie(&b, V2_IE_PAA, 0, paa, 5);
    v2_ie_u8(&b, V2_IE_APN_RESTRICTION, 0, 0);
    size_t bc = b.len;
    v2_ie(&b, V2_IE_BEARER_CONTEXT, 0, NULL, 0);
    v2_ie_u8(&b, V2_IE_EBI, 0, g->ebi);
    v2_ie(&b, V2_IE_CAUSE, 0, cause, 2);
    v2_fteid(&b, 0, 1, g->teid_u, g->addr_u); /* S1-U SGW */
    cw_wb_patch(&b, bc + 1, (uint32_t)(b.len - bc - 4), 2);
    return v2_finish(&b);
}

size_t cw_enc_gtpv2_mbr(const struct cw_enc_gtp *g, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    v2_header(&b, V2_MODIFY_BEARER_REQ, g->teid, g->seq);
    if (g->imeisv)
        v2_tbcd(&b, V2_IE_MEI, g->imeisv);
    v2_uli(&b, g);
    size_t bc = b.len;
    v2_ie(&b, V2_IE_BEARER_CONTEXT, 0, NULL, 0);
    v2_ie_u8(&b, V2_IE_EBI, 0, g->ebi);
    v2_fteid(&b, 0, 0, g->teid_u, g->addr_u); /* S1-U eNodeB */
    cw_wb_patch(&b, bc + 1, (uint32_t)(b.len - bc - 4), 2);
    return v2_finish(&b);
}

size_t cw_enc_gtpv2_mbrsp(const struct cw_enc_gtp *g, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    v2_header(&b, V2_MODIFY_BEARER_RSP, g->teid, g->seq);
    uint8_t cause[2] = {g->cause ? g->cause : 16, 0};
    v2_ie(&b, V2_IE_CAUSE, 0, cause, 2);
    size_t bc = b.len;
    v2_ie(&b, V2_IE_BEARER_CONTEXT, 0, NULL, 0);
    v2_ie_u8(&b, V2_IE_EBI, 0, g->ebi);
    v2_ie(&b, V2_IE_CAUSE, 0, cause, 2);
    cw_wb_patch(&b, bc + 1, (uint32_t)(b.len - bc - 4), 2);
    return v2_finish(&b);
}

/* ---- GTPv1-C ---- */

enum {
    V1_CREATE_PDP_REQ = 16,
    V1_CREATE_PDP_RSP = 17,
    V1_IE_CAUSE = 1,
    V1_IE_IMSI = 2,
    V1_IE_RAI = 3,
    V1_IE_REORDERING = 8,
    V1_IE_RECOVERY = 14,
    V1_IE_SELECTION_MODE = 15,
    V1_IE_TEID_DATA = 16,
    V1_IE_TEID_CONTROL = 17,
    V1_IE_NSAPI = 20,
    V1_IE_CHARGING_ID = 127,
    V1_IE_END_USER_ADDRESS = 128,
    V1_IE_APN = 131,
    V1_IE_GSN_ADDRESS = 133,
    V1_IE_MSISDN = 134,
    V1_IE_QOS = 135,
    V1_IE_RAT_TYPE = 151,
    V1_IE_ULI = 152,
    V1_IE_IMEISV = 154,
};

static void v1_tv32(struct cw_wbuf *b, unsigned type, uint32_t v)
{
    cw_wb_u8(b, type);
    cw_wb_u32(b, v);
}

static void v1_tlv(struct cw_wbuf *b, unsigned type, const void *v, size_t n)
{
    cw_wb_u8(b, type);
    cw_wb_u16(b, (unsigned)n);
    cw_wb_mem(b, v, n);
}

static void v1_header(struct cw_wbuf *b, unsigned type, uint32_t teid, uint32_t seq)
{
    cw_wb_u8(b, 0x32);
    cw_wb_u8(b, type);
    cw_wb_u16(b, 0);
    cw_wb_u32(b, teid);
    cw_wb_u16(b, seq & 0xffff);
    cw_wb_u8(b, 0); /* N-PDU number */
    cw_wb_u8(b, 0); /* no extension header */
}

static size_t v1_finish(struct cw_wbuf *b)
{
    cw_wb_patch(b, 2, (uint32_t)(b->len - 8), 2);
    return b->err ? 0 : b->len;
}

static const uint8_t v1_qos[4] = {0x0b, 0x13, 0x92, 0x1f}; /* ARP 3; R97/98 QoS */

size_t cw_enc_gtpv1_cpdp(const struct cw_enc_gtp *g, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    v1_header(&b, V1_CREATE_PDP_REQ, g->teid, g->seq);
    uint8_t imsi[8];
    memset(imsi, 0xff, sizeof imsi);
    if (!cw_enc_tbcd(g->imsi, imsi, sizeof imsi))
        return 0;
    cw_wb_u8(&b, V1_IE_IMSI);
    cw_wb_mem(&b, imsi, 8);
    const uint8_t *p = g->plmn;
    uint8_t rai[7] = {V1_IE_RAI, p[0], p[1], p[2], (uint8_t)(g->lac >> 8), (uint8_t)g->lac,
                      (uint8_t)g->rac};
    cw_wb_mem(&b, rai, 7);
    cw_wb_u8(&b, V1_IE_RECOVERY);
    cw_wb_u8(&b, 1);
    cw_wb_u8(&b, V1_IE_SELECTION_MODE);
    cw_wb_u8(&b, 0xf0);
    v1_tv32(&b, V1_IE_TEID_DATA, g->teid_u);
    v1_tv32(&b, V1_IE_TEID_CONTROL, g->teid_c);
    cw_wb_u8(&b, V1_IE_NSAPI);
    cw_wb_u8(&b, g->ebi);
    uint8_t eua[2] = {0xf1, 0x21}; /* IETF, IPv4, dynamic */
    v1_tlv(&b, V1_IE_END_USER_ADDRESS, eua, 2);
    uint8_t apn[128];
    size_t an = apn_labels(g->apn, apn, sizeof apn);
    v1_tlv(&b, V1_IE_APN, apn, an);
    v1_tlv(&b, V1_IE_GSN_ADDRESS, g->addr_c, 4);
    v1_tlv(&b, V1_IE_GSN_ADDRESS, g->addr_u, 4);
    if (g->msisdn) {
        uint8_t ms[11] = {0x91};
        size_t mn = cw_enc_tbcd(g->msisdn, ms + 1, sizeof ms - 1);
        if (!mn)
            return 0;
        v1_tlv(&b, V1_IE_MSISDN, ms, mn + 1);
    }
    v1_tlv(&b, V1_IE_QOS, v1_qos, sizeof v1_qos);
    uint8_t rat = g->rat ? g->rat : 1;
    v1_tlv(&b, V1_IE_RAT_TYPE, &rat, 1);
    uint8_t uli[8] = {0, p[0], p[1], p[2], (uint8_t)(g->lac >> 8), (uint8_t)g->lac,
                      (uint8_t)(g->ci >> 8), (uint8_t)g->ci}; /* CGI */
    v1_tlv(&b, V1_IE_ULI, uli, 8);
    if (g->imeisv) {
        uint8_t im[8];
        if (cw_enc_tbcd(g->imeisv, im, sizeof im) != 8)
            return 0;
        v1_tlv(&b, V1_IE_IMEISV, im, 8);
    }
    return v1_finish(&b);
}

size_t cw_enc_gtpv1_cpdp_rsp(const struct cw_enc_gtp *g, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    v1_header(&b, V1_CREATE_PDP_RSP, g->teid, g->seq);
    cw_wb_u8(&b, V1_IE_CAUSE);
    cw_wb_u8(&b, g->cause ? g->cause : 128);
    cw_wb_u8(&b, V1_IE_REORDERING);
    cw_wb_u8(&b, 0xfe);
    cw_wb_u8(&b, V1_IE_RECOVERY);
    cw_wb_u8(&b, 1);
    v1_tv32(&b, V1_IE_TEID_DATA, g->teid_u);
    v1_tv32(&b, V1_IE_TEID_CONTROL, g->teid_c);
    v1_tv32(&b, V1_IE_CHARGING_ID, g->teid_c ^ 0x00c0ffee);
    uint8_t eua[6] = {0xf1, 0x21, g->ue_ip[0], g->ue_ip[1], g->ue_ip[2], g->ue_ip[3]};
    v1_tlv(&b, V1_IE_END_USER_ADDRESS, eua, 6);
    v1_tlv(&b, V1_IE_GSN_ADDRESS, g->addr_c, 4);
    v1_tlv(&b, V1_IE_GSN_ADDRESS, g->addr_u, 4);
    v1_tlv(&b, V1_IE_QOS, v1_qos, sizeof v1_qos);
    return v1_finish(&b);
}
