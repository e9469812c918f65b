/* enc_radius.c - RADIUS Accounting-Request / -Response encoders (RFC 2865 5, RFC 2866 4-5,
 * 3GPP TS 29.061 16.4.7 vendor-specific attributes).
 *
 *   Code(1) Id(1) Length(2) Authenticator(16) | Type(1) Len(1) Value ... |
 *   26 Len Vendor-Id(4) | vtype vlen value |   (3GPP, vendor 10415)
 */
#include "synth/enc.h"

#include <string.h>

#define CODE_ACCT_REQUEST 4
#define CODE_ACCT_RESPONSE 5

static void attr(struct cw_wbuf *b, unsigned type, const void *v, size_t n)
{
    if (n > 253) {
        b->err = 1;
        return;
    }
    cw_wb_u8(b, type);
    cw_wb_u8(b, (unsigned)(n + 2));
    cw_wb_mem(b, v, n);
}

static void attr_str(struct cw_wbuf *b, unsigned type, const char *s)
{
    if (s)
        attr(b, type, s, strlen(s));
}

static void attr_u32(struct cw_wbuf *b, unsigned type, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    attr(b, type, x, 4);
}

static void vsa_3gpp(struct cw_wbuf *b, unsigned vtype, const void *v, size_t n)
{
    if (n > 245) {
        b->err = 1;
        return;
    }
    cw_wb_u8(b, 26);
    cw_wb_u8(b, (unsigned)(n + 8));
    cw_wb_u32(b, CW_DIA_VENDOR_3GPP);
    cw_wb_u8(b, vtype);
    cw_wb_u8(b, (unsigned)(n + 2));
    cw_wb_mem(b, v, n);
}

size_t cw_enc_radius_acct(const struct cw_enc_radius *r, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    cw_wb_u8(&b, CODE_ACCT_REQUEST);
    cw_wb_u8(&b, r->id);
    cw_wb_u16(&b, 0);
    cw_wb_mem(&b, r->auth, 16);
    attr_u32(&b, 40, r->status);       /* Acct-Status-Type */
    attr_str(&b, 1, r->calling);       /* User-Name: the MSISDN, as GGSNs often send */
    attr(&b, 4, r->nas_ip, 4);         /* NAS-IP-Address */
    attr_u32(&b, 6, 2);                /* Service-Type Framed */
    attr_u32(&b, 7, 1);                /* Framed-Protocol PPP */
    attr(&b, 8, r->framed_ip, 4);      /* Framed-IP-Address */
    attr_str(&b, 30, r->called);       /* Called-Station-Id: the APN */
    attr_str(&b, 31, r->calling);      /* Calling-Station-Id: the MSISDN */
    attr_str(&b, 44, r->session);      /* Acct-Session-Id */
    attr_u32(&b, 45, 1);               /* Acct-Authentic RADIUS */
    if (r->status != 1) {
        attr_u32(&b, 46, r->session_time); /* Acct-Session-Time */
        attr_u32(&b, 42, r->in_octets);    /* Acct-Input-Octets */
        attr_u32(&b, 43, r->out_octets);   /* Acct-Output-Octets */
    }
    attr_u32(&b, 61, 5);               /* NAS-Port-Type Virtual */
    if (r->imsi)
        vsa_3gpp(&b, 1, r->imsi, strlen(r->imsi)); /* 3GPP-IMSI */
    uint8_t cid[4] = {(uint8_t)(r->charging_id >> 24), (uint8_t)(r->charging_id >> 16),
                      (uint8_t)(r->charging_id >> 8), (uint8_t)r->charging_id};
    vsa_3gpp(&b, 2, cid, 4);           /* 3GPP-Charging-ID */
    vsa_3gpp(&b, 6, r->sgsn_ip, 4);    /* 3GPP-SGSN-Address */
    vsa_3gpp(&b, 10, "0", 1);          /* 3GPP-NSAPI */
    if (r->imeisv)
        vsa_3gpp(&b, 20, r->imeisv, strlen(r->imeisv)); /* 3GPP-IMEISV */
    uint8_t rat = 6;
    vsa_3gpp(&b, 21, &rat, 1);         /* 3GPP-RAT-Type EUTRAN */
    cw_wb_patch(&b, 2, (uint32_t)b.len, 2);
    return b.err || b.len > 4096 ? 0 : b.len;
}

size_t cw_enc_radius_acct_rsp(const struct cw_enc_radius *r, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    cw_wb_u8(&b, CODE_ACCT_RESPONSE);
    cw_wb_u8(&b, r->id);
    cw_wb_u16(&b, 20);
    uint8_t auth[16];
    for (int i = 0; i < 16; i++)
        auth[i] = (uint8_t)(r->auth[i] ^ 0x5a);
    cw_wb_mem(&b, auth, 16);
    return b.err ? 0 : b.len;
}
