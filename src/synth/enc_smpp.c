/* enc_smpp.c - SMPP 3.4 PDU encoders (SMPP v3.4 Issue 1.2, sections 3-5).
 *
 *   header: command_length(4) command_id(4) command_status(4) sequence_number(4)
 *   submit_sm / deliver_sm: service_type\0 ton npi source_addr\0 ton npi destination_addr\0
 *     esm_class protocol_id priority_flag schedule_delivery_time\0 validity_period\0
 *     registered_delivery replace_if_present_flag data_coding sm_default_msg_id sm_length
 *     short_message [TLVs]
 *   data_sm: service_type\0 src dst esm_class registered_delivery data_coding [TLVs]
 */
#include "synth/enc.h"

#include <string.h>

#define TLV_SAR_MSG_REF_NUM 0x020Cu
#define TLV_SAR_TOTAL_SEGMENTS 0x020Eu
#define TLV_SAR_SEGMENT_SEQNUM 0x020Fu
#define TLV_MESSAGE_PAYLOAD 0x0424u
#define TLV_SC_INTERFACE_VERSION 0x0210u

static void cstr(struct cw_wbuf *b, const char *s)
{
    cw_wb_mem(b, s ? s : "", s ? strlen(s) : 0);
    cw_wb_u8(b, 0);
}

static void header(struct cw_wbuf *b, uint32_t cmd, uint32_t status, uint32_t seq)
{
    cw_wb_u32(b, 0); /* length, patched */
    cw_wb_u32(b, cmd);
    cw_wb_u32(b, status);
    cw_wb_u32(b, seq);
}

static size_t finish(struct cw_wbuf *b)
{
    cw_wb_patch(b, 0, (uint32_t)b->len, 4);
    return b->err ? 0 : b->len;
}

size_t cw_enc_smpp_sm(const struct cw_enc_smpp_sm *m, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    if (!m || (!m->ud && m->ud_len) || m->ud_len > 65535)
        return 0;
    int data_sm = m->cmd == CW_SMPP_DATA_SM;
    int payload = m->payload || data_sm;
    if (!payload && m->ud_len > 254)
        return 0;
    header(&b, m->cmd, 0, m->seq);
    cstr(&b, ""); /* service_type: the SMSC default */
    cw_wb_u8(&b, m->src_ton);
    cw_wb_u8(&b, m->src_npi);
    cstr(&b, m->src);
    cw_wb_u8(&b, m->dst_ton);
    cw_wb_u8(&b, m->dst_npi);
    cstr(&b, m->dst);
    cw_wb_u8(&b, m->esm_class);
    if (data_sm) {
        cw_wb_u8(&b, m->registered_delivery);
        cw_wb_u8(&b, m->data_coding);
    } else {
        cw_wb_u8(&b, 0); /* protocol_id */
        cw_wb_u8(&b, 0); /* priority_flag */
        cstr(&b, "");    /* schedule_delivery_time: now */
        cstr(&b, "");    /* validity_period: the SMSC default */
        cw_wb_u8(&b, m->registered_delivery);
        cw_wb_u8(&b, 0); /* replace_if_present_flag */
        cw_wb_u8(&b, m->data_coding);
        cw_wb_u8(&b, 0); /* sm_default_msg_id */
        cw_wb_u8(&b, payload ? 0 : (unsigned)m->ud_len);
        if (!payload)
            cw_wb_mem(&b, m->ud, m->ud_len);
    }
    if (m->sar) {
        cw_wb_u16(&b, TLV_SAR_MSG_REF_NUM);
        cw_wb_u16(&b, 2);
        cw_wb_u16(&b, m->sar_ref);
        cw_wb_u16(&b, TLV_SAR_TOTAL_SEGMENTS);
        cw_wb_u16(&b, 1);
        cw_wb_u8(&b, m->sar_total);
        cw_wb_u16(&b, TLV_SAR_SEGMENT_SEQNUM);
        cw_wb_u16(&b, 1);
        cw_wb_u8(&b, m->sar_seq);
    }
    if (payload) {
        cw_wb_u16(&b, TLV_MESSAGE_PAYLOAD);
        cw_wb_u16(&b, (unsigned)m->ud_len);
        cw_wb_mem(&b, m->ud, m->ud_len);
    }
    return finish(&b);
}

size_t cw_enc_smpp_bind(uint32_t cmd, uint32_t seq, const char *system_id, const char *password,
                        const char *system_type, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    header(&b, cmd, 0, seq);
    cstr(&b, system_id);
    cstr(&b, password);
    cstr(&b, system_type);
    cw_wb_u8(&b, 0x34); /* interface_version 3.4 */
    cw_wb_u8(&b, 0);    /* addr_ton */
    cw_wb_u8(&b, 0);    /* addr_npi */
    cstr(&b, "");       /* address_range */
    return finish(&b);
}

size_t cw_enc_smpp_simple(uint32_t cmd, uint32_t status, uint32_t seq, const char *body,
                          uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    header(&b, cmd, status, seq);
    if (body)
        cstr(&b, body);
    if (body && (cmd & ~CW_SMPP_RESP) == CW_SMPP_BIND_TRANSCEIVER) {
        cw_wb_u16(&b, TLV_SC_INTERFACE_VERSION);
        cw_wb_u16(&b, 1);
        cw_wb_u8(&b, 0x34);
    }
    return finish(&b);
}
