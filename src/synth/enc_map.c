/* enc_map.c - MAP over TCAP over SCCP over M3UA encoders (3GPP TS 29.002, ITU-T Q.773,
 * Q.713, RFC 4666).
 *
 *   M3UA DATA: 01 00 01 01 len(4) | Routing Context | Protocol Data (0x0210): OPC DPC SI NI MP
 *              SLS, then the SCCP message
 *   SCCP UDT:  09 class ptr ptr ptr | called | calling | data      (address: AI SSN TT NP/ES
 *              NAI digits)
 *   TCAP:      Begin 62 { otid 48, dialogue 6b { 28 { OID, a0 { AARQ 60 { 80 07 80,
 *              a1 { OID 0.4.0.0.1.0.ac.v } } } } }, components 6c { invoke a1 { id, op, arg } } }
 *              End 64 { dtid 49, dialogue (AARE 61), 6c { returnResultLast a2 { id, 30 { op,
 *              res } } } }
 */
#include "synth/enc.h"

#include <string.h>

/* A BER writer: constructed values are opened and closed; lengths are fixed up on close
 * (short form, or 0x81 / 0x82 long form, moving the content up). */
struct ber {
    struct cw_wbuf b;
    size_t open[10];
    int depth;
};

static void ber_open(struct ber *e, unsigned tag)
{
    if (e->depth >= 10) {
        e->b.err = 1;
        return;
    }
    cw_wb_u8(&e->b, tag);
    e->open[e->depth++] = e->b.len;
    cw_wb_u8(&e->b, 0);
}

static void ber_close(struct ber *e)
{
    if (e->depth <= 0 || e->b.err) {
        e->b.err = 1;
        return;
    }
    size_t at = e->open[--e->depth];
    size_t len = e->b.len - at - 1;
    if (len < 128) {
        e->b.p[at] = (uint8_t)len;
        return;
    }
    size_t extra = len < 256 ? 1 : 2;
    if (len > 65535 || !cw_wb_room(&e->b, extra))
        return;
    memmove(e->b.p + at + 1 + extra, e->b.p + at + 1, len);
    e->b.p[at] = (uint8_t)(0x80 | extra);
    if (extra == 1) {
        e->b.p[at + 1] = (uint8_t)len;
    } else {
        e->b.p[at + 1] = (uint8_t)(len >> 8);
        e->b.p[at + 2] = (uint8_t)len;
    }
    e->b.len += extra;
}

static void ber_prim(struct ber *e, unsigned tag, const void *v, size_t n)
{
    cw_wb_u8(&e->b, tag);
    if (n < 128) {
        cw_wb_u8(&e->b, (unsigned)n);
    } else if (n < 256) {
        cw_wb_u8(&e->b, 0x81);
        cw_wb_u8(&e->b, (unsigned)n);
    } else {
        cw_wb_u8(&e->b, 0x82);
        cw_wb_u16(&e->b, (unsigned)n);
    }
    cw_wb_mem(&e->b, v, n);
}

static void ber_int(struct ber *e, unsigned tag, int v)
{
    uint8_t x[2];
    if (v >= -128 && v < 128) {
        x[0] = (uint8_t)v;
        ber_prim(e, tag, x, 1);
    } else {
        x[0] = (uint8_t)((unsigned)v >> 8);
        x[1] = (uint8_t)v;
        ber_prim(e, tag, x, 2);
    }
}

static void ber_tbcd(struct ber *e, unsigned tag, const char *digits)
{
    uint8_t v[10];
    size_t n = cw_enc_tbcd(digits, v, sizeof v);
    if (!n)
        e->b.err = 1;
    ber_prim(e, tag, v, n);
}

/* AddressString / ISDN-AddressString (TS 29.002 17.7.8): ext, international, E.164. */
static void ber_addr(struct ber *e, unsigned tag, const char *digits)
{
    uint8_t v[11] = {0x91};
    size_t n = cw_enc_tbcd(digits, v + 1, sizeof v - 1);
    if (!n)
        e->b.err = 1;
    ber_prim(e, tag, v, n + 1);
}

size_t cw_enc_map_arg(const struct cw_enc_map_arg *a, uint8_t *out, size_t cap)
{
    struct ber e = {cw_wb_make(out, cap), {0}, 0};
    switch (a->op) {
    case CW_MAP_OP_MO_FSM:
        ber_open(&e, 0x30);
        if (a->imsi && !a->msisdn) { /* forwardSM v2 towards the MS: sm-RP-DA imsi */
            ber_tbcd(&e, 0x80, a->imsi);
            ber_addr(&e, 0x84, a->sc); /* sm-RP-OA serviceCentreAddressOA */
            ber_prim(&e, 0x04, a->tpdu, a->tpdu_len);
        } else {
            ber_addr(&e, 0x84, a->sc);     /* sm-RP-DA serviceCentreAddressDA */
            ber_addr(&e, 0x82, a->msisdn); /* sm-RP-OA msisdn */
            ber_prim(&e, 0x04, a->tpdu, a->tpdu_len);
            if (a->version >= 3 && a->mo_imsi && a->imsi)
                ber_tbcd(&e, 0x04, a->imsi);
        }
        ber_close(&e);
        break;
    case CW_MAP_OP_MT_FSM:
        ber_open(&e, 0x30);
        ber_tbcd(&e, 0x80, a->imsi);   /* sm-RP-DA imsi */
        ber_addr(&e, 0x84, a->sc);     /* sm-RP-OA serviceCentreAddressOA */
        ber_prim(&e, 0x04, a->tpdu, a->tpdu_len);
        if (a->more_msgs)
            ber_prim(&e, 0x05, NULL, 0);
        ber_close(&e);
        break;
    case CW_MAP_OP_SRI_SM: {
        static const uint8_t yes = 0xff;
        ber_open(&e, 0x30);
        ber_addr(&e, 0x80, a->msisdn); /* msisdn */
        ber_prim(&e, 0x81, &yes, 1);   /* sm-RP-PRI */
        ber_addr(&e, 0x82, a->sc);     /* serviceCentreAddress */
        ber_close(&e);
        break;
    }
    case CW_MAP_OP_UPDATE_LOCATION:
        ber_open(&e, 0x30);
        ber_tbcd(&e, 0x04, a->imsi);
        ber_addr(&e, 0x81, a->msc); /* msc-Number */
        ber_addr(&e, 0x04, a->vlr); /* vlr-Number */
        ber_open(&e, 0xa6);         /* vlr-Capability */
        ber_prim(&e, 0x80, "\x05\xe0", 2); /* supportedCamelPhases 1, 2, 3 */
        ber_close(&e);
        ber_close(&e);
        break;
    case CW_MAP_OP_SAI:
        if (a->version >= 3) {
            ber_open(&e, 0x30);
            ber_tbcd(&e, 0x80, a->imsi);
            ber_int(&e, 0x02, a->nvec ? a->nvec : 1);
            ber_close(&e);
        } else {
            ber_tbcd(&e, 0x04, a->imsi);
        }
        break;
    case CW_MAP_OP_CHECK_IMEI: {
        uint8_t im[8];
        if (!a->imei || cw_enc_tbcd(a->imei, im, sizeof im) != 8)
            return 0;
        if (a->version >= 3) {
            static const uint8_t req[2] = {0x06, 0x80}; /* equipmentStatus */
            ber_open(&e, 0x30);
            ber_prim(&e, 0x04, im, 8);
            ber_prim(&e, 0x03, req, 2);
            ber_close(&e);
        } else {
            ber_prim(&e, 0x04, im, 8);
        }
        break;
    }
    default:
        return 0;
    }
    return e.b.err ? 0 : e.b.len;
}

size_t cw_enc_map_res(const struct cw_enc_map_arg *a, uint8_t *out, size_t cap)
{
    struct ber e = {cw_wb_make(out, cap), {0}, 0};
    static const uint8_t rnd[16] = {0x3f, 0x11, 0x9a, 0x52, 0x0c, 0xe1, 0x77, 0x28,
                                    0x94, 0x6b, 0xd0, 0x05, 0xa3, 0x4e, 0x81, 0x1c};
    static const uint8_t white = 0; /* EquipmentStatus whiteListed */
    switch (a->op) {
    case CW_MAP_OP_SRI_SM:
        ber_open(&e, 0x30);
        ber_tbcd(&e, 0x04, a->imsi);
        ber_open(&e, 0xa0); /* locationInfoWithLMSI */
        ber_addr(&e, 0x81, a->msc); /* networkNode-Number */
        ber_close(&e);
        ber_close(&e);
        break;
    case CW_MAP_OP_UPDATE_LOCATION:
        ber_open(&e, 0x30);
        ber_addr(&e, 0x04, a->hlr); /* hlr-Number */
        ber_close(&e);
        break;
    case CW_MAP_OP_SAI:
        if (a->version >= 3) {
            ber_open(&e, 0xa3); /* SendAuthenticationInfoRes ::= [3] SEQUENCE */
            ber_open(&e, 0xa1); /* quintupletList */
            ber_open(&e, 0x30);
            ber_prim(&e, 0x04, rnd, 16); /* rand */
            ber_prim(&e, 0x04, rnd, 8);  /* xres */
            ber_prim(&e, 0x04, rnd, 16); /* ck */
            ber_prim(&e, 0x04, rnd, 16); /* ik */
            ber_prim(&e, 0x04, rnd, 16); /* autn */
            ber_close(&e);
            ber_close(&e);
            ber_close(&e);
        } else {
            ber_open(&e, 0x30); /* SEQUENCE OF AuthenticationSet */
            ber_open(&e, 0x30);
            ber_prim(&e, 0x04, rnd, 16); /* rand */
            ber_prim(&e, 0x04, rnd, 4);  /* sres */
            ber_prim(&e, 0x04, rnd, 8);  /* kc */
            ber_close(&e);
            ber_close(&e);
        }
        break;
    case CW_MAP_OP_CHECK_IMEI:
        if (a->version >= 3) {
            ber_open(&e, 0x30);
            ber_prim(&e, 0x0a, &white, 1);
            ber_close(&e);
        } else {
            ber_prim(&e, 0x0a, &white, 1);
        }
        break;
    default:
        return 0; /* the forwardSM results carry no parameter */
    }
    return e.b.err ? 0 : e.b.len;
}

/* The dialogue portion: EXTERNAL { dialogue-as-id, AARQ or AARE with the context name }. */
static void dialogue(struct ber *e, int aare, int ac, int version)
{
    static const uint8_t dialogue_as_id[7] = {0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01};
    static const uint8_t proto_version[2] = {0x07, 0x80};
    uint8_t acn[7] = {0x04, 0x00, 0x00, 0x01, 0x00, (uint8_t)ac, (uint8_t)version};
    ber_open(e, 0x6b);
    ber_open(e, 0x28);
    ber_prim(e, 0x06, dialogue_as_id, sizeof dialogue_as_id);
    ber_open(e, 0xa0);
    ber_open(e, aare ? 0x61 : 0x60);
    ber_prim(e, 0x80, proto_version, 2);
    ber_open(e, 0xa1);
    ber_prim(e, 0x06, acn, sizeof acn);
    ber_close(e);
    if (aare) {
        ber_open(e, 0xa2); /* result: accepted */
        ber_int(e, 0x02, 0);
        ber_close(e);
        ber_open(e, 0xa3); /* result-source-diagnostic: dialogue-service-user null */
        ber_open(e, 0xa1);
        ber_int(e, 0x02, 0);
        ber_close(e);
        ber_close(e);
    }
    ber_close(e);
    ber_close(e);
    ber_close(e);
    ber_close(e);
}

static void tid(struct ber *e, unsigned tag, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    ber_prim(e, tag, x, 4);
}

size_t cw_enc_tcap_begin(uint32_t otid, int ac, int version, int invoke_id, int op,
                         const uint8_t *param, size_t plen, uint8_t *out, size_t cap)
{
    struct ber e = {cw_wb_make(out, cap), {0}, 0};
    ber_open(&e, 0x62);
    tid(&e, 0x48, otid);
    dialogue(&e, 0, ac, version);
    ber_open(&e, 0x6c);
    ber_open(&e, 0xa1);
    ber_int(&e, 0x02, invoke_id);
    ber_int(&e, 0x02, op);
    cw_wb_mem(&e.b, param, plen);
    ber_close(&e);
    ber_close(&e);
    ber_close(&e);
    return e.b.err ? 0 : e.b.len;
}

size_t cw_enc_tcap_end(uint32_t dtid, int ac, int version, int invoke_id, int op,
                       const uint8_t *param, size_t plen, uint8_t *out, size_t cap)
{
    struct ber e = {cw_wb_make(out, cap), {0}, 0};
    ber_open(&e, 0x64);
    tid(&e, 0x49, dtid);
    dialogue(&e, 1, ac, version);
    ber_open(&e, 0x6c);
    ber_open(&e, 0xa2);
    ber_int(&e, 0x02, invoke_id);
    if (plen) {
        ber_open(&e, 0x30);
        ber_int(&e, 0x02, op);
        cw_wb_mem(&e.b, param, plen);
        ber_close(&e);
    }
    ber_close(&e);
    ber_close(&e);
    ber_close(&e);
    return e.b.err ? 0 : e.b.len;
}

/* A called / calling party address routed on global title (GTI 4) with an SSN. */
static void sccp_addr(struct cw_wbuf *b, const char *digits, uint8_t ssn)
{
    uint8_t bcd[10];
    size_t nd = digits ? strlen(digits) : 0;
    size_t no = cw_enc_tbcd(digits, bcd, sizeof bcd);
    if (!no) {
        b->err = 1;
        return;
    }
    /* odd digit counts keep the filler 0, not F (Q.713 3.4.2.3.1) */
    if (nd & 1)
        bcd[no - 1] &= 0x0f;
    cw_wb_u8(b, (unsigned)(5 + no));
    cw_wb_u8(b, 0x12); /* route on GT, GTI 4, SSN present, no point code */
    cw_wb_u8(b, ssn);
    cw_wb_u8(b, 0);    /* translation type */
    cw_wb_u8(b, 0x10 | ((nd & 1) ? 1 : 2)); /* E.164, BCD odd / even */
    cw_wb_u8(b, 0x04); /* international number */
    cw_wb_mem(b, bcd, no);
}

size_t cw_enc_sccp_udt(const struct cw_enc_sccp *s, const uint8_t *data, size_t n, uint8_t *out,
                       size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    if (n > 255)
        return 0;
    cw_wb_u8(&b, 0x09);
    cw_wb_u8(&b, s->pclass);
    cw_wb_u8(&b, 0); /* pointers, patched */
    cw_wb_u8(&b, 0);
    cw_wb_u8(&b, 0);
    size_t cd = b.len;
    sccp_addr(&b, s->cdpa, s->cdpa_ssn);
    size_t cg = b.len;
    sccp_addr(&b, s->cgpa, s->cgpa_ssn);
    size_t d = b.len;
    cw_wb_u8(&b, (unsigned)n);
    cw_wb_mem(&b, data, n);
    if (b.err)
        return 0;
    out[2] = (uint8_t)(cd - 2);
    out[3] = (uint8_t)(cg - 3);
    out[4] = (uint8_t)(d - 4);
    return b.len;
}

size_t cw_enc_m3ua_data(uint32_t opc, uint32_t dpc, uint8_t si, uint8_t ni, uint8_t mp,
                        uint8_t sls, const uint8_t *data, size_t n, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    cw_wb_u8(&b, 1);
    cw_wb_u8(&b, 0);
    cw_wb_u8(&b, 1); /* transfer */
    cw_wb_u8(&b, 1); /* DATA */
    cw_wb_u32(&b, 0);
    cw_wb_u16(&b, 0x0006); /* Routing Context */
    cw_wb_u16(&b, 8);
    cw_wb_u32(&b, 1);
    cw_wb_u16(&b, 0x0210); /* Protocol Data */
    cw_wb_u16(&b, (unsigned)(16 + n));
    cw_wb_u32(&b, opc);
    cw_wb_u32(&b, dpc);
    cw_wb_u8(&b, si);
    cw_wb_u8(&b, ni);
    cw_wb_u8(&b, mp);
    cw_wb_u8(&b, sls);
    cw_wb_mem(&b, data, n);
    while (!b.err && (b.len & 3))
        cw_wb_u8(&b, 0);
    cw_wb_patch(&b, 4, (uint32_t)b.len, 4);
    return b.err ? 0 : b.len;
}

size_t cw_enc_m3ua_simple(uint8_t cls, uint8_t type, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    cw_wb_u8(&b, 1);
    cw_wb_u8(&b, 0);
    cw_wb_u8(&b, cls);
    cw_wb_u8(&b, type);
    cw_wb_u32(&b, 8);
    return b.err ? 0 : b.len;
}
