/* enc.h - message encoders for synth and the tests: the inverse of src/decode/.
 *
 *   text      UTF-8 to GSM 7-bit (3GPP TS 23.038 6.2.1, with the extension table), packed
 *             septets (TS 23.040 9.2.3.24 fill bits), UCS-2 / UTF-16BE, Latin-1
 *   TPDU      SMS-SUBMIT / SMS-DELIVER (TS 23.040 9.2.2) with a concatenation UDH, RP-DATA
 *             (TS 24.011 7.3.1)                                           enc_sms.c
 *   SMPP      SMPP 3.4 PDUs: bind_*, submit_sm, deliver_sm, data_sm, responses   enc_smpp.c
 *   Diameter  RFC 6733 messages with (grouped) AVPs; S6a, SGd, Gx requests  enc_diameter.c
 *   GTP       GTPv2-C (TS 29.274) and GTPv1-C (TS 29.060) session messages     enc_gtp.c
 *   RADIUS    RFC 2866 Accounting-Request / -Response with 3GPP VSAs     enc_radius.c
 *   MAP       M3UA DATA (RFC 4666) / SCCP UDT (Q.713) / TCAP (Q.773) / MAP (TS 29.002)
 *                                                                          enc_map.c
 *   SCTP      packets with CRC32c (RFC 9260, RFC 3309), chunks               enc_sctp.c
 *
 * Every encoder writes into a caller buffer and returns the bytes written, or 0 when they do
 * not fit (or an argument is invalid). Nothing is allocated; nothing depends on the host's
 * byte order. Numbers are given as digit strings ("8613800000000"), without '+'.
 */
#ifndef CW_SYNTH_ENC_H
#define CW_SYNTH_ENC_H

#include <stddef.h>
#include <stdint.h>

/* ---- byte writer ------------------------------------------------------------------------ */

/* A bounded writer: a write that does not fit sets err and writes nothing more. */
struct cw_wbuf {
    uint8_t *p;
    size_t len, cap;
    int err;
};

static inline struct cw_wbuf cw_wb_make(uint8_t *p, size_t cap)
{
    struct cw_wbuf b = {p, 0, cap, p == NULL};
    return b;
}

static inline int cw_wb_room(struct cw_wbuf *b, size_t n)
{
    if (b->err || n > b->cap - b->len) {
        b->err = 1;
        return 0;
    }
    return 1;
}

static inline void cw_wb_u8(struct cw_wbuf *b, unsigned v)
{
    if (cw_wb_room(b, 1))
        b->p[b->len++] = (uint8_t)v;
}

static inline void cw_wb_u16(struct cw_wbuf *b, unsigned v)
{
    if (cw_wb_room(b, 2)) {
        b->p[b->len++] = (uint8_t)(v >> 8);
        b->p[b->len++] = (uint8_t)v;
    }
}

static inline void cw_wb_u24(struct cw_wbuf *b, uint32_t v)
{
    if (cw_wb_room(b, 3)) {
        b->p[b->len++] = (uint8_t)(v >> 16);
        b->p[b->len++] = (uint8_t)(v >> 8);
        b->p[b->len++] = (uint8_t)v;
    }
}

static inline void cw_wb_u32(struct cw_wbuf *b, uint32_t v)
{
    if (cw_wb_room(b, 4)) {
        b->p[b->len++] = (uint8_t)(v >> 24);
        b->p[b->len++] = (uint8_t)(v >> 16);
        b->p[b->len++] = (uint8_t)(v >> 8);
        b->p[b->len++] = (uint8_t)v;
    }
}

static inline void cw_wb_mem(struct cw_wbuf *b, const void *s, size_t n)
{
    if (n && cw_wb_room(b, n)) {
        const uint8_t *q = s;
        for (size_t i = 0; i < n; i++)
            b->p[b->len + i] = q[i];
        b->len += n;
    }
}

static inline void cw_wb_zero(struct cw_wbuf *b, size_t n)
{
    if (n && cw_wb_room(b, n)) {
        for (size_t i = 0; i < n; i++)
            b->p[b->len + i] = 0;
        b->len += n;
    }
}

/* Overwrite @p n bytes (big-endian @p v) at @p off, already written. */
static inline void cw_wb_patch(struct cw_wbuf *b, size_t off, uint32_t v, int n)
{
    if (!b->err && off + (size_t)n <= b->len)
        for (int i = n - 1; i >= 0; i--, v >>= 8)
            b->p[off + (size_t)i] = (uint8_t)v;
}

/* ---- numbers ---------------------------------------------------------------------------- */

/** TBCD (TS 29.002): digits two per octet, low nibble first, 0xF filler. Returns octets, 0 when
 *  @p digits is empty, holds a non-digit, or does not fit. */
size_t cw_enc_tbcd(const char *digits, uint8_t *out, size_t cap);

/** A 14-digit IMEI body's Luhn digit appended: writes 15 digits + NUL into @p out. */
void cw_enc_imei15(const char *digits14, char out[16]);

/* ---- SMS text (enc_sms.c) --------------------------------------------------------------- */

/**
 * UTF-8 to unpacked GSM 7-bit septets (one per octet; extension-table characters as 0x1B +
 * code). Returns the septet count, or (size_t)-1 when a character has no GSM 7-bit form or the
 * output does not fit.
 */
size_t cw_enc_gsm7(const char *utf8, size_t n, uint8_t *out, size_t cap);

/** Pack @p n septets after @p fill_bits (0..6) zero bits (TS 23.040 9.2.3.24). Returns octets. */
size_t cw_enc_gsm7_pack(const uint8_t *sept, size_t n, unsigned fill_bits, uint8_t *out,
                        size_t cap);

/** UTF-8 to UTF-16BE (UCS-2; characters past U+FFFF as surrogate pairs). Returns octets, or
 *  (size_t)-1 for invalid UTF-8 or no room. */
size_t cw_enc_ucs2(const char *utf8, size_t n, uint8_t *out, size_t cap);

/** UTF-8 to ISO-8859-1. Returns octets, or (size_t)-1 when a character is past U+00FF. */
size_t cw_enc_latin1(const char *utf8, size_t n, uint8_t *out, size_t cap);

/** UTF-8 characters in @p n bytes (what a part of a long message is counted in). */
size_t cw_enc_utf8_chars(const char *utf8, size_t n);

/** Byte length of the first @p chars UTF-8 characters of @p utf8 (at most @p n). */
size_t cw_enc_utf8_prefix(const char *utf8, size_t n, size_t chars);

/* ---- SMS TPDU and RP-DATA (enc_sms.c) ---------------------------------------------------- */

enum { CW_ENC_DCS_GSM7 = 0x00, CW_ENC_DCS_UCS2 = 0x08 };

struct cw_enc_tpdu {
    int submit;            /* 1 SMS-SUBMIT (TP-DA), 0 SMS-DELIVER (TP-OA) */
    const char *addr;      /* digits, or a sender name (GSM 7-bit) with addr_alnum */
    int addr_intl;         /* type of number international (else unknown) */
    int addr_alnum;
    uint8_t mr;            /* TP-MR of a SUBMIT */
    uint8_t dcs;           /* CW_ENC_DCS_GSM7 or CW_ENC_DCS_UCS2 */
    const char *text;      /* UTF-8; must fit in one TPDU (with the UDH) */
    size_t text_len;
    int concat;            /* add a concatenation UDH (IE 0x00, 8-bit reference) */
    uint8_t ref, total, seq;
    uint8_t scts[7];       /* SMS-DELIVER service centre time stamp (semi-octets) */
};

/** Encode the TPDU. Returns its length, 0 when the text does not fit 140 octets of user data
 *  or has no form in the chosen alphabet. */
size_t cw_enc_tpdu(const struct cw_enc_tpdu *t, uint8_t *out, size_t cap);

/** RP-DATA (MS to network: RP-OA empty, RP-DA the service centre @p sc; network to MS: RP-OA
 *  the service centre, RP-DA empty) around @p tpdu. */
size_t cw_enc_rp_data(int ms_to_net, uint8_t mr, const char *sc, const uint8_t *tpdu,
                      size_t tpdu_len, uint8_t *out, size_t cap);

/* ---- SMPP 3.4 (enc_smpp.c) --------------------------------------------------------------- */

#define CW_SMPP_BIND_RECEIVER 0x00000001u
#define CW_SMPP_BIND_TRANSMITTER 0x00000002u
#define CW_SMPP_SUBMIT_SM 0x00000004u
#define CW_SMPP_DELIVER_SM 0x00000005u
#define CW_SMPP_UNBIND 0x00000006u
#define CW_SMPP_BIND_TRANSCEIVER 0x00000009u
#define CW_SMPP_ENQUIRE_LINK 0x00000015u
#define CW_SMPP_DATA_SM 0x00000103u
#define CW_SMPP_RESP 0x80000000u

struct cw_enc_smpp_sm {
    uint32_t cmd;          /* submit_sm, deliver_sm or data_sm */
    uint32_t seq;
    uint8_t src_ton, src_npi;
    const char *src;
    uint8_t dst_ton, dst_npi;
    const char *dst;
    uint8_t esm_class;     /* 0x40 (UDHI) when @p ud starts with a UDH */
    uint8_t data_coding;
    uint8_t registered_delivery;
    const uint8_t *ud;     /* short_message octets (UDH + text), or the message_payload */
    size_t ud_len;
    int payload;           /* carry @p ud in a message_payload TLV (sm_length 0); data_sm
                            * always does */
    int sar;               /* add sar_msg_ref_num / sar_total_segments / sar_segment_seqnum */
    uint16_t sar_ref;
    uint8_t sar_total, sar_seq;
};

size_t cw_enc_smpp_sm(const struct cw_enc_smpp_sm *m, uint8_t *out, size_t cap);

/** bind_transmitter / bind_receiver / bind_transceiver (interface version 0x34). */
size_t cw_enc_smpp_bind(uint32_t cmd, uint32_t seq, const char *system_id, const char *password,
                        const char *system_type, uint8_t *out, size_t cap);

/** A PDU of header only (enquire_link, unbind and their responses) when @p body is NULL, else
 *  the header and the C-octet string @p body (bind_*_resp system_id, submit_sm_resp
 *  message_id). */
size_t cw_enc_smpp_simple(uint32_t cmd, uint32_t status, uint32_t seq, const char *body,
                          uint8_t *out, size_t cap);

/* ---- Diameter (enc_diameter.c) ------------------------------------------------------------ */

#define CW_DIA_FLAG_R 0x80u
#define CW_DIA_FLAG_P 0x40u
#define CW_DIA_AVP_V 0x80u
#define CW_DIA_AVP_M 0x40u
#define CW_DIA_VENDOR_3GPP 10415u

#define CW_DIA_APP_S6A 16777251u
#define CW_DIA_APP_SGD 16777313u
#define CW_DIA_APP_GX 16777238u

#define CW_DIA_CMD_CE 257u
#define CW_DIA_CMD_DW 280u
#define CW_DIA_CMD_CC 272u
#define CW_DIA_CMD_UL 316u
#define CW_DIA_CMD_AI 318u
#define CW_DIA_CMD_OFR 8388645u
#define CW_DIA_CMD_TFR 8388646u

/* A message being written: AVPs appended, Grouped AVPs opened and closed (nesting <= 4). */
struct cw_dia {
    struct cw_wbuf b;
    size_t open[4];
    int depth;
};

void cw_dia_begin(struct cw_dia *d, uint8_t *out, size_t cap, uint8_t flags, uint32_t cmd,
                  uint32_t app, uint32_t hbh, uint32_t e2e);
void cw_dia_avp(struct cw_dia *d, uint32_t code, uint32_t vendor, const void *data, size_t n);
void cw_dia_avp_str(struct cw_dia *d, uint32_t code, uint32_t vendor, const char *s);
void cw_dia_avp_u32(struct cw_dia *d, uint32_t code, uint32_t vendor, uint32_t v);
void cw_dia_group(struct cw_dia *d, uint32_t code, uint32_t vendor);
void cw_dia_group_end(struct cw_dia *d);
/** Finish: fills the message length. Returns it, 0 when something did not fit. */
size_t cw_dia_end(struct cw_dia *d);

/* The subscriber and peers of one Diameter exchange. */
struct cw_enc_dia {
    uint32_t hbh, e2e;
    const char *session;        /* Session-Id */
    const char *origin_host, *origin_realm, *dest_host, *dest_realm;
    const char *imsi;           /* User-Name (S6a, SGd), END_USER_IMSI (Gx) */
    const char *msisdn;         /* MSISDN (SGd), END_USER_E164 (Gx) */
    const char *imeisv;         /* 16 digits: Terminal-Information IMEI + Software-Version (ULR),
                                 * User-Equipment-Info IMEISV (CCR) */
    const char *apn;            /* Called-Station-Id (CCR) */
    const char *sc;             /* SC-Address (SGd) */
    const uint8_t *tpdu;        /* SM-RP-UI (SGd) */
    size_t tpdu_len;
    uint32_t cc_type, cc_number; /* CCR: CC-Request-Type 1..3, CC-Request-Number */
    uint8_t framed_ip[4];
    uint8_t plmn[3];            /* Visited-PLMN-Id */
    int sgd_no_msisdn;          /* TFR: leave the MSISDN out of User-Identifier */
};

/** A request: CW_DIA_CMD_UL (ULR), _AI (AIR), _CC (Gx CCR), _OFR, _TFR. */
size_t cw_enc_dia_request(uint32_t cmd, const struct cw_enc_dia *m, uint8_t *out, size_t cap);
/** The answer to it, Result-Code @p result (2001 DIAMETER_SUCCESS). */
size_t cw_enc_dia_answer(uint32_t cmd, const struct cw_enc_dia *m, uint32_t result, uint8_t *out,
                         size_t cap);
/** Capabilities-Exchange-Request (@p answer 0) or -Answer (1) naming @p app. */
size_t cw_enc_dia_cer(int answer, const struct cw_enc_dia *m, const uint8_t host_ip[4],
                      uint32_t app, uint8_t *out, size_t cap);

/* ---- GTP-C (enc_gtp.c) ---------------------------------------------------------------------- */

struct cw_enc_gtp {
    uint32_t teid;         /* header TEID (0 in an initial request) */
    uint32_t seq;
    const char *imsi, *msisdn;
    const char *imeisv;    /* 16 digits: MEI (v2), IMEISV (v1); NULL: none */
    const char *apn;       /* "internet" or "cmnet.mnc000.mcc460.gprs" */
    uint8_t plmn[3];       /* MCC/MNC as TS 24.008 encodes them */
    uint16_t tac, lac, rac, ci;
    uint32_t eci;
    uint8_t rat;           /* v2: 6 EUTRAN; v1: 1 UTRAN, 2 GERAN */
    uint32_t teid_c, teid_u; /* the sender's control / user plane TEIDs */
    uint8_t addr_c[4], addr_u[4]; /* the sender's GTP-C / GTP-U IPv4 addresses */
    uint8_t ue_ip[4];      /* PDN address allocated (responses) */
    uint8_t ebi;           /* EPS bearer id (5) */
    uint8_t cause;         /* responses: 16 (v2) / 128 (v1) request accepted */
};

size_t cw_enc_gtpv2_csr(const struct cw_enc_gtp *g, uint8_t *out, size_t cap);
size_t cw_enc_gtpv2_csrsp(const struct cw_enc_gtp *g, uint8_t *out, size_t cap);
/** Modify Bearer Request; with g->imeisv the MEI IE too. */
size_t cw_enc_gtpv2_mbr(const struct cw_enc_gtp *g, uint8_t *out, size_t cap);
size_t cw_enc_gtpv2_mbrsp(const struct cw_enc_gtp *g, uint8_t *out, size_t cap);
size_t cw_enc_gtpv1_cpdp(const struct cw_enc_gtp *g, uint8_t *out, size_t cap);
size_t cw_enc_gtpv1_cpdp_rsp(const struct cw_enc_gtp *g, uint8_t *out, size_t cap);

/* ---- RADIUS (enc_radius.c) ------------------------------------------------------------------ */

struct cw_enc_radius {
    uint8_t id;
    uint8_t status;         /* Acct-Status-Type: 1 Start, 2 Stop, 3 Interim-Update */
    const char *calling;    /* Calling-Station-Id (the MSISDN) */
    const char *called;     /* Called-Station-Id (the APN) */
    const char *imsi;       /* 3GPP-IMSI */
    const char *imeisv;     /* 3GPP-IMEISV, 16 digits */
    const char *session;    /* Acct-Session-Id */
    uint8_t framed_ip[4], nas_ip[4], sgsn_ip[4];
    uint32_t charging_id, session_time, in_octets, out_octets;
    uint8_t auth[16];       /* Request Authenticator (not a real MD5: no shared secret) */
};

size_t cw_enc_radius_acct(const struct cw_enc_radius *r, uint8_t *out, size_t cap);
size_t cw_enc_radius_acct_rsp(const struct cw_enc_radius *r, uint8_t *out, size_t cap);

/* ---- MAP over TCAP / SCCP / M3UA (enc_map.c) ------------------------------------------------ */

/* MAP operation codes and application contexts (TS 29.002 17.5, 17.3). */
enum {
    CW_MAP_OP_UPDATE_LOCATION = 2,
    CW_MAP_OP_CHECK_IMEI = 43,
    CW_MAP_OP_MT_FSM = 44,
    CW_MAP_OP_SRI_SM = 45,
    CW_MAP_OP_MO_FSM = 46, /* forwardSM in v1/v2 */
    CW_MAP_OP_SAI = 56,
};
enum {
    CW_MAP_AC_NETWORK_LOC_UP = 1,
    CW_MAP_AC_EQUIPMENT_MNGT = 13,
    CW_MAP_AC_INFO_RETRIEVAL = 14,
    CW_MAP_AC_SHORT_MSG_GATEWAY = 20,
    CW_MAP_AC_SHORT_MSG_MO_RELAY = 21, /* shortMsgRelay in v1/v2 */
    CW_MAP_AC_SHORT_MSG_MT_RELAY = 25,
};

/* One MAP invoke's argument fields (those the operation uses). */
struct cw_enc_map_arg {
    int op, version;
    const char *imsi, *msisdn, *sc, *msc, *vlr, *hlr;
    const char *imei;           /* 15 digits (checkIMEI) */
    const uint8_t *tpdu;        /* sm-RP-UI */
    size_t tpdu_len;
    int mo_imsi;                /* mo-forwardSM v3: add the trailing imsi */
    int more_msgs;              /* mt-forwardSM: moreMessagesToSend */
    int nvec;                   /* SAI: numberOfRequestedVectors */
};

/** The MAP argument (the invoke's parameter) of @p a. Returns its length. */
size_t cw_enc_map_arg(const struct cw_enc_map_arg *a, uint8_t *out, size_t cap);
/** The result parameter of a returnResultLast to @p a (0 bytes: no parameter). SRI-SM gives
 *  the IMSI and the serving MSC; updateLocation the HLR number; SAI one quintuplet;
 *  checkIMEI whiteListed. */
size_t cw_enc_map_res(const struct cw_enc_map_arg *a, uint8_t *out, size_t cap);

/** TCAP Begin with an AARQ dialogue portion (0.4.0.0.1.0.@p ac.@p version) and one invoke. */
size_t cw_enc_tcap_begin(uint32_t otid, int ac, int version, int invoke_id, int op,
                         const uint8_t *param, size_t plen, uint8_t *out, size_t cap);
/** TCAP End with an AARE (accepted) and a returnResultLast (the opcode and @p param when
 *  @p plen > 0, else the invoke id alone). */
size_t cw_enc_tcap_end(uint32_t dtid, int ac, int version, int invoke_id, int op,
                       const uint8_t *param, size_t plen, uint8_t *out, size_t cap);

struct cw_enc_sccp {
    uint8_t pclass;              /* 0 or 1; 0x80 added for return on error */
    const char *cdpa, *cgpa;     /* global titles (E.164 digits) */
    uint8_t cdpa_ssn, cgpa_ssn;  /* 6 HLR, 7 VLR, 8 MSC, 9 EIR, 149 SGSN */
};

/** SCCP UDT (route on GT, GTI 4, TT 0, NP E.164, NAI international) around @p data. */
size_t cw_enc_sccp_udt(const struct cw_enc_sccp *s, const uint8_t *data, size_t n, uint8_t *out,
                       size_t cap);

/** M3UA DATA with a Protocol Data parameter (OPC, DPC, SI, NI, MP, SLS) around @p data. */
size_t cw_enc_m3ua_data(uint32_t opc, uint32_t dpc, uint8_t si, uint8_t ni, uint8_t mp,
                        uint8_t sls, const uint8_t *data, size_t n, uint8_t *out, size_t cap);
/** An M3UA management message with no parameters: ASPUP (3,1), ASPUP_ACK (3,4), ASPAC (4,1),
 *  ASPAC_ACK (4,3), BEAT (3,3)... */
size_t cw_enc_m3ua_simple(uint8_t cls, uint8_t type, uint8_t *out, size_t cap);

/* ---- SCTP (enc_sctp.c) ---------------------------------------------------------------------- */

/** CRC32c (Castagnoli), reflected, initial @p crc (0 to start), final XOR included: the
 *  standard check value of "123456789" is 0xE3069283. */
uint32_t cw_crc32c(uint32_t crc, const void *data, size_t n);

enum { CW_SCTP_F_E = 1, CW_SCTP_F_B = 2, CW_SCTP_F_U = 4 };

/** Append a DATA chunk (padded to 4) to @p b. */
void cw_enc_sctp_data(struct cw_wbuf *b, uint8_t flags, uint32_t tsn, uint16_t stream,
                      uint16_t ssn, uint32_t ppid, const void *data, size_t n);
/** Append a SACK chunk (no gap blocks). */
void cw_enc_sctp_sack(struct cw_wbuf *b, uint32_t cum_tsn, uint32_t a_rwnd);
/** Append INIT (@p ack 0) or INIT ACK (1, with a state cookie of @p cookie_len bytes). */
void cw_enc_sctp_init(struct cw_wbuf *b, int ack, uint32_t init_tag, uint32_t init_tsn,
                      const uint8_t *cookie, size_t cookie_len);
/** Append COOKIE ECHO (with the cookie) or, with @p cookie NULL, COOKIE ACK. */
void cw_enc_sctp_cookie(struct cw_wbuf *b, const uint8_t *cookie, size_t cookie_len);

/** An SCTP packet: the common header (ports, verification tag) and @p chunks, with the
 *  CRC32c checksum filled in. Returns the length. */
size_t cw_enc_sctp_packet(uint16_t sport, uint16_t dport, uint32_t vtag, const uint8_t *chunks,
                          size_t clen, uint8_t *out, size_t cap);

#endif
