/* enc_diameter.c - Diameter message encoders (RFC 6733 3, 4; S6a TS 29.272, SGd TS 29.338,
 * Gx TS 29.212 / RFC 4006).
 *
 *   version(1)=1 length(3) | flags(1) command(3) | application(4) | hop-by-hop(4) | end-to-end(4)
 *   AVP: code(4) flags(1) length(3) [vendor(4)] data, padded to 4 (length without padding)
 */
#include "synth/enc.h"

#include <string.h>

/* AVP codes, vendor 0 */
enum {
    AVP_USER_NAME = 1,
    AVP_FRAMED_IP_ADDRESS = 8,
    AVP_CALLED_STATION_ID = 30,
    AVP_HOST_IP_ADDRESS = 257,
    AVP_AUTH_APPLICATION_ID = 258,
    AVP_VENDOR_SPECIFIC_APPLICATION_ID = 260,
    AVP_SESSION_ID = 263,
    AVP_ORIGIN_HOST = 264,
    AVP_SUPPORTED_VENDOR_ID = 265,
    AVP_VENDOR_ID = 266,
    AVP_FIRMWARE_REVISION = 267,
    AVP_RESULT_CODE = 268,
    AVP_PRODUCT_NAME = 269,
    AVP_AUTH_SESSION_STATE = 277,
    AVP_ORIGIN_STATE_ID = 278,
    AVP_DESTINATION_REALM = 283,
    AVP_DESTINATION_HOST = 293,
    AVP_ORIGIN_REALM = 296,
    AVP_CC_REQUEST_NUMBER = 415,
    AVP_CC_REQUEST_TYPE = 416,
    AVP_SUBSCRIPTION_ID = 443,
    AVP_SUBSCRIPTION_ID_DATA = 444,
    AVP_SUBSCRIPTION_ID_TYPE = 450,
    AVP_USER_EQUIPMENT_INFO = 458,
    AVP_USER_EQUIPMENT_INFO_TYPE = 459,
    AVP_USER_EQUIPMENT_INFO_VALUE = 460,
};

/* AVP codes, vendor 3GPP */
enum {
    AVP_MSISDN = 701,
    AVP_RAT_TYPE = 1032,
    AVP_TERMINAL_INFORMATION = 1401,
    AVP_IMEI = 1402,
    AVP_SOFTWARE_VERSION = 1403,
    AVP_ULR_FLAGS = 1405,
    AVP_VISITED_PLMN_ID = 1407,
    AVP_REQ_EUTRAN_AUTH_INFO = 1408,
    AVP_NUMBER_OF_REQUESTED_VECTORS = 1410,
    AVP_IMMEDIATE_RESPONSE_PREFERRED = 1412,
    AVP_ULA_FLAGS = 1406,
    AVP_USER_IDENTIFIER = 3102,
    AVP_SC_ADDRESS = 3300,
    AVP_SM_RP_UI = 3301,
    AVP_SM_DELIVERY_OUTCOME = 3316,
};

void cw_dia_begin(struct cw_dia *d, uint8_t *out, size_t cap, uint8_t flags, uint32_t cmd,
                  uint32_t app, uint32_t hbh, uint32_t e2e)
{
    d->b = cw_wb_make(out, cap);
    d->depth = 0;
    cw_wb_u32(&d->b, 0x01000000u); /* version 1, length patched */
    cw_wb_u8(&d->b, flags);
    cw_wb_u24(&d->b, cmd);
    cw_wb_u32(&d->b, app);
    cw_wb_u32(&d->b, hbh);
    cw_wb_u32(&d->b, e2e);
}

static void avp_header(struct cw_dia *d, uint32_t code, uint32_t vendor, size_t n)
{
    /* Mandatory bit as the applications set it; the 3GPP AVPs the S6a/SGd specs mark M too */
    uint8_t flags = CW_DIA_AVP_M | (vendor ? CW_DIA_AVP_V : 0);
    if (vendor && (code == AVP_SOFTWARE_VERSION || code == AVP_IMEI))
        flags = CW_DIA_AVP_V; /* TS 29.272 7.3.1: IMEI, Software-Version are not M */
    cw_wb_u32(&d->b, code);
    cw_wb_u8(&d->b, flags);
    cw_wb_u24(&d->b, (uint32_t)(n + (vendor ? 12 : 8)));
    if (vendor)
        cw_wb_u32(&d->b, vendor);
}

static void pad(struct cw_wbuf *b)
{
    while (!b->err && (b->len & 3))
        cw_wb_u8(b, 0);
}

void cw_dia_avp(struct cw_dia *d, uint32_t code, uint32_t vendor, const void *data, size_t n)
{
    if (n > 0xffffff - 12) {
        d->b.err = 1;
        return;
    }
    avp_header(d, code, vendor, n);
    cw_wb_mem(&d->b, data, n);
    pad(&d->b);
}

void cw_dia_avp_str(struct cw_dia *d, uint32_t code, uint32_t vendor, const char *s)
{
    if (s)
        cw_dia_avp(d, code, vendor, s, strlen(s));
}

void cw_dia_avp_u32(struct cw_dia *d, uint32_t code, uint32_t vendor, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    cw_dia_avp(d, code, vendor, x, 4);
}

void cw_dia_group(struct cw_dia *d, uint32_t code, uint32_t vendor)
{
    if (d->depth >= 4) {
        d->b.err = 1;
        return;
    }
    d->open[d->depth++] = d->b.len;
    avp_header(d, code, vendor, 0);
}

void cw_dia_group_end(struct cw_dia *d)
{
    if (d->depth <= 0) {
        d->b.err = 1;
        return;
    }
    size_t start = d->open[--d->depth];
    cw_wb_patch(&d->b, start + 5, (uint32_t)(d->b.len - start), 3);
}

size_t cw_dia_end(struct cw_dia *d)
{
    if (d->depth)
        d->b.err = 1;
    cw_wb_patch(&d->b, 1, (uint32_t)d->b.len, 3);
    return d->b.err ? 0 : d->b.len;
}

static void tbcd_avp(struct cw_dia *d, uint32_t code, const char *digits)
{
    uint8_t v[16];
    size_t n = cw_enc_tbcd(digits, v, sizeof v);
    if (!n)
        d->b.err = 1;
    cw_dia_avp(d, code, CW_DIA_VENDOR_3GPP, v, n);
}

static uint32_t app_of(uint32_t cmd)
{
    switch (cmd) {
    case CW_DIA_CMD_UL:
    case CW_DIA_CMD_AI:
        return CW_DIA_APP_S6A;
    case CW_DIA_CMD_OFR:
    case CW_DIA_CMD_TFR:
        return CW_DIA_APP_SGD;
    case CW_DIA_CMD_CC:
        return CW_DIA_APP_GX;
    default:
        return 0;
    }
}

static void common(struct cw_dia *d, const struct cw_enc_dia *m, int answer, uint32_t app)
{
    cw_dia_avp_str(d, AVP_SESSION_ID, 0, m->session);
    if (app != CW_DIA_APP_GX) {
        /* S6a / SGd: Vendor-Specific-Application-Id, then the stateless session */
        cw_dia_group(d, AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0);
        cw_dia_avp_u32(d, AVP_VENDOR_ID, 0, CW_DIA_VENDOR_3GPP);
        cw_dia_avp_u32(d, AVP_AUTH_APPLICATION_ID, 0, app);
        cw_dia_group_end(d);
        cw_dia_avp_u32(d, AVP_AUTH_SESSION_STATE, 0, 1); /* NO_STATE_MAINTAINED */
    } else {
        cw_dia_avp_u32(d, AVP_AUTH_APPLICATION_ID, 0, app);
    }
    /* an answer comes from the request's destination */
    cw_dia_avp_str(d, AVP_ORIGIN_HOST, 0, answer ? m->dest_host : m->origin_host);
    cw_dia_avp_str(d, AVP_ORIGIN_REALM, 0, answer ? m->dest_realm : m->origin_realm);
    if (!answer) {
        if (m->dest_host && app != CW_DIA_APP_GX)
            cw_dia_avp_str(d, AVP_DESTINATION_HOST, 0, m->dest_host);
        cw_dia_avp_str(d, AVP_DESTINATION_REALM, 0, m->dest_realm);
    }
}

size_t cw_enc_dia_request(uint32_t cmd, const struct cw_enc_dia *m, uint8_t *out, size_t cap)
{
    uint32_t app = app_of(cmd);
    if (!app || !m)
        return 0;
    struct cw_dia d;
    cw_dia_begin(&d, out, cap, CW_DIA_FLAG_R | CW_DIA_FLAG_P, cmd, app, m->hbh, m->e2e);
    common(&d, m, 0, app);
    switch (cmd) {
    case CW_DIA_CMD_UL:
        cw_dia_avp_str(&d, AVP_USER_NAME, 0, m->imsi);
        if (m->imeisv) { /* IMEI: the 14 digits of TAC and SNR (TS 29.272 7.3.4) */
            cw_dia_group(&d, AVP_TERMINAL_INFORMATION, CW_DIA_VENDOR_3GPP);
            cw_dia_avp(&d, AVP_IMEI, CW_DIA_VENDOR_3GPP, m->imeisv, 14);
            cw_dia_avp(&d, AVP_SOFTWARE_VERSION, CW_DIA_VENDOR_3GPP, m->imeisv + 14, 2);
            cw_dia_group_end(&d);
        }
        cw_dia_avp_u32(&d, AVP_RAT_TYPE, CW_DIA_VENDOR_3GPP, 1004); /* EUTRAN */
        cw_dia_avp_u32(&d, AVP_ULR_FLAGS, CW_DIA_VENDOR_3GPP, 0x22); /* S6a/S6d, initial */
        cw_dia_avp(&d, AVP_VISITED_PLMN_ID, CW_DIA_VENDOR_3GPP, m->plmn, 3);
        break;
    case CW_DIA_CMD_AI:
        cw_dia_avp_str(&d, AVP_USER_NAME, 0, m->imsi);
        cw_dia_group(&d, AVP_REQ_EUTRAN_AUTH_INFO, CW_DIA_VENDOR_3GPP);
        cw_dia_avp_u32(&d, AVP_NUMBER_OF_REQUESTED_VECTORS, CW_DIA_VENDOR_3GPP, 1);
        cw_dia_avp_u32(&d, AVP_IMMEDIATE_RESPONSE_PREFERRED, CW_DIA_VENDOR_3GPP, 1);
        cw_dia_group_end(&d);
        cw_dia_avp(&d, AVP_VISITED_PLMN_ID, CW_DIA_VENDOR_3GPP, m->plmn, 3);
        break;
    case CW_DIA_CMD_OFR:
    case CW_DIA_CMD_TFR:
        if (cmd == CW_DIA_CMD_TFR)
            cw_dia_avp_str(&d, AVP_USER_NAME, 0, m->imsi);
        tbcd_avp(&d, AVP_SC_ADDRESS, m->sc);
        if (cmd == CW_DIA_CMD_OFR || (m->msisdn && !m->sgd_no_msisdn)) {
            cw_dia_group(&d, AVP_USER_IDENTIFIER, CW_DIA_VENDOR_3GPP);
            if (cmd == CW_DIA_CMD_OFR)
                cw_dia_avp_str(&d, AVP_USER_NAME, 0, m->imsi);
            if (m->msisdn)
                tbcd_avp(&d, AVP_MSISDN, m->msisdn);
            cw_dia_group_end(&d);
        }
        cw_dia_avp(&d, AVP_SM_RP_UI, CW_DIA_VENDOR_3GPP, m->tpdu, m->tpdu_len);
        break;
    case CW_DIA_CMD_CC:
        cw_dia_avp_u32(&d, AVP_CC_REQUEST_TYPE, 0, m->cc_type);
        cw_dia_avp_u32(&d, AVP_CC_REQUEST_NUMBER, 0, m->cc_number);
        if (m->msisdn) {
            cw_dia_group(&d, AVP_SUBSCRIPTION_ID, 0);
            cw_dia_avp_u32(&d, AVP_SUBSCRIPTION_ID_TYPE, 0, 0); /* END_USER_E164 */
            cw_dia_avp_str(&d, AVP_SUBSCRIPTION_ID_DATA, 0, m->msisdn);
            cw_dia_group_end(&d);
        }
        if (m->imsi) {
            cw_dia_group(&d, AVP_SUBSCRIPTION_ID, 0);
            cw_dia_avp_u32(&d, AVP_SUBSCRIPTION_ID_TYPE, 0, 1); /* END_USER_IMSI */
            cw_dia_avp_str(&d, AVP_SUBSCRIPTION_ID_DATA, 0, m->imsi);
            cw_dia_group_end(&d);
        }
        if (m->cc_type == 1) {
            cw_dia_avp(&d, AVP_FRAMED_IP_ADDRESS, 0, m->framed_ip, 4);
            if (m->imeisv) {
                cw_dia_group(&d, AVP_USER_EQUIPMENT_INFO, 0);
                cw_dia_avp_u32(&d, AVP_USER_EQUIPMENT_INFO_TYPE, 0, 0); /* IMEISV */
                cw_dia_avp_str(&d, AVP_USER_EQUIPMENT_INFO_VALUE, 0, m->imeisv);
                cw_dia_group_end(&d);
            }
            cw_dia_avp_u32(&d, AVP_RAT_TYPE, CW_DIA_VENDOR_3GPP, 1004);
            cw_dia_avp_str(&d, AVP_CALLED_STATION_ID, 0, m->apn);
        }
        break;
    default:
        return 0;
    }
    return cw_dia_end(&d);
}

size_t cw_enc_dia_answer(uint32_t cmd, const struct cw_enc_dia *m, uint32_t result, uint8_t *out,
                         size_t cap)
{
    uint32_t app = app_of(cmd);
    if (!app || !m)
        return 0;
    struct cw_dia d;
    cw_dia_begin(&d, out, cap, CW_DIA_FLAG_P, cmd, app, m->hbh, m->e2e);
    common(&d, m, 1, app);
    cw_dia_avp_u32(&d, AVP_RESULT_CODE, 0, result);
    switch (cmd) {
    case CW_DIA_CMD_UL:
        cw_dia_avp_u32(&d, AVP_ULA_FLAGS, CW_DIA_VENDOR_3GPP, 1);
        break;
    case CW_DIA_CMD_CC:
        cw_dia_avp_u32(&d, AVP_CC_REQUEST_TYPE, 0, m->cc_type);
        cw_dia_avp_u32(&d, AVP_CC_REQUEST_NUMBER, 0, m->cc_number);
        break;
    case CW_DIA_CMD_TFR:
        break;
    default:
        break;
    }
    return cw_dia_end(&d);
}

size_t cw_enc_dia_cer(int answer, const struct cw_enc_dia *m, const uint8_t host_ip[4],
                      uint32_t app, uint8_t *out, size_t cap)
{
    struct cw_dia d;
    cw_dia_begin(&d, out, cap, answer ? 0 : CW_DIA_FLAG_R, CW_DIA_CMD_CE, 0, m->hbh, m->e2e);
    if (answer)
        cw_dia_avp_u32(&d, AVP_RESULT_CODE, 0, 2001);
    cw_dia_avp_str(&d, AVP_ORIGIN_HOST, 0, answer ? m->dest_host : m->origin_host);
    cw_dia_avp_str(&d, AVP_ORIGIN_REALM, 0, answer ? m->dest_realm : m->origin_realm);
    uint8_t addr[6] = {0, 1, host_ip[0], host_ip[1], host_ip[2], host_ip[3]};
    cw_dia_avp(&d, AVP_HOST_IP_ADDRESS, 0, addr, 6);
    cw_dia_avp_u32(&d, AVP_VENDOR_ID, 0, 0);
    cw_dia_avp_str(&d, AVP_PRODUCT_NAME, 0, "cardwatch-synth");
    cw_dia_avp_u32(&d, AVP_ORIGIN_STATE_ID, 0, 1);
    cw_dia_avp_u32(&d, AVP_SUPPORTED_VENDOR_ID, 0, CW_DIA_VENDOR_3GPP);
    cw_dia_group(&d, AVP_VENDOR_SPECIFIC_APPLICATION_ID, 0);
    cw_dia_avp_u32(&d, AVP_VENDOR_ID, 0, CW_DIA_VENDOR_3GPP);
    cw_dia_avp_u32(&d, AVP_AUTH_APPLICATION_ID, 0, app);
    cw_dia_group_end(&d);
    cw_dia_avp_u32(&d, AVP_FIRMWARE_REVISION, 0, 1);
    return cw_dia_end(&d);
}
