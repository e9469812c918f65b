/* map.c - TCAP messages and the GSM MAP operations that name a card (map.h).
 *
 * Implements ITU-T Q.773 (TCAP messages, dialogue portion, components; X.690 BER through
 * util/ber.h) and the arguments of these 3GPP TS 29.002 operations (17.6 / 17.7 ASN.1):
 * updateLocation 2, insertSubscriberData 7, sendRoutingInfo 22, updateGprsLocation 23,
 * checkIMEI 43, mt-forwardSM 44, sendRoutingInfoForSM 45 (and its result), mo-forwardSM /
 * forwardSM 46, sendAuthenticationInfo 56, anyTimeInterrogation 71; SMS TPDUs per TS 23.040.
 *
 *   62 Begin (61 Unidirectional, 64 End, 65 Continue, 67 Abort)
 *   ├─ 48 otid 1-4 octets            49 dtid 1-4 octets           (4a p-abortCause)
 *   ├─ 6b DialoguePortion
 *   │   └─ 28 EXTERNAL ─ 06 dialogue-as-id, a0 ─ 60 AARQ | 61 AARE | 64 ABRT
 *   │                                            └─ a1 ─ 06 application context
 *   │                                                   0.4.0.0.1.0.<ac>.<version>
 *   └─ 6c ComponentPortion
 *       ├─ a1 invoke       02 invokeID [80 linkedID] 02 opcode (06 global) [argument]
 *       ├─ a2 / a7 result  02 invokeID [30 { 02 opcode, result }]
 *       ├─ a3 returnError  02 invokeID 02 errorCode [parameter]
 *       └─ a4 reject       02 invokeID (05 not derivable) 8x problem
 *
 * Lengths may be definite or indefinite at any level. One record per component goes to the
 * trace; the operations of map.h give an event. Nothing is allocated; every read is bounded
 * by the message; nesting is bounded by CW_MAP_MAX_DEPTH.
 */
#include "decode/map.h"

#include <stddef.h>
#include <string.h>

#include "decode/sms_tpdu.h"
#include "util/ber.h"
#include "util/imei.h"
#include "util/tbcd.h"

/* Q.773 TCMessage: [APPLICATION n] constructed. */
#define TAG_UNIDIRECTIONAL 1u
#define TAG_BEGIN 2u
#define TAG_END 4u
#define TAG_CONTINUE 5u
#define TAG_ABORT 7u
#define TAG_OTID 8u      /* [APPLICATION 8] primitive */
#define TAG_DTID 9u      /* [APPLICATION 9] primitive */
#define TAG_PABORT 10u   /* [APPLICATION 10] primitive */
#define TAG_DIALOGUE 11u /* [APPLICATION 11] constructed */
#define TAG_COMPS 12u    /* [APPLICATION 12] constructed */

/* Dialogue PDUs (Q.773 4.2.2): [APPLICATION n] constructed. */
#define TAG_AARQ 0u /* also AUDT of the unidialogue */
#define TAG_AARE 1u
#define TAG_ABRT 4u

/* MAP operation codes (TS 29.002 17.5). */
enum {
    OP_UPDATE_LOCATION = 2,
    OP_INSERT_SUBSCRIBER_DATA = 7,
    OP_SEND_ROUTING_INFO = 22,
    OP_UPDATE_GPRS_LOCATION = 23,
    OP_CHECK_IMEI = 43,
    OP_MT_FORWARD_SM = 44,
    OP_SEND_ROUTING_INFO_FOR_SM = 45,
    OP_MO_FORWARD_SM = 46,
    OP_SEND_AUTHENTICATION_INFO = 56,
    OP_ANY_TIME_INTERROGATION = 71,
};

/* What the portions of one message may hold, by message type. */
#define HAS_OTID 1u
#define HAS_DTID 2u
#define HAS_DIALOGUE 4u
#define HAS_COMPS 8u
#define HAS_PABORT 16u

/* UTF-8 of the longest TP-User-Data (255 septets / 140 octets) is never cut in this. */
#define MAP_TEXT_MAX 800u

/* ISDN-AddressString (TS 29.002 17.7.8): ext(1) nature of address(3) numbering plan(4). */
#define NATURE_INTERNATIONAL 1u

/* One TCAP message's decoding context. */
struct map_ctx {
    const struct cw_pkt_meta *meta;
    const struct cw_event_sink *sink;
    struct cw_decode_stats *st;
    int returned; /* the SCCP network returned the message: records, no events */
    int bad;      /* a tcap_* anomaly: the result is -1 */
    int is_map;   /* the application context is MAP's (or was not given) */
    uint8_t text[MAP_TEXT_MAX];
};

/* One component's MAP argument (or result) being read. */
struct map_arg {
    struct map_ctx *x;
    struct cw_map_rec *rec;
    struct cw_event ev;
    int kind; /* enum cw_event_kind, or -1: no event */
    int bad;  /* the argument could not be read: no event */
};

static void count(struct map_ctx *x, enum cw_decode_anomaly a)
{
    if (x->st)
        x->st->anomalies[a]++;
}

static void tcap_fault(struct map_ctx *x, enum cw_decode_anomaly a)
{
    count(x, a);
    x->bad = 1;
}

/* A cw_ber_next / cw_ber_enter failure. */
static void ber_fault(struct map_ctx *x, int r)
{
    tcap_fault(x, r == CW_BER_EDEEP ? CW_DA_TCAP_TOO_DEEP : CW_DA_TCAP_BAD_BER);
}

static void arg_bad(struct map_arg *a)
{
    if (!a->bad)
        count(a->x, CW_DA_MAP_BAD_ARG);
    a->bad = 1;
}

/* A BER fault inside the argument: counted as such, and no event. */
static void arg_ber(struct map_arg *a, int r)
{
    ber_fault(a->x, r);
    a->bad = 1;
}

/* ---- MAP values ---- */

/* IMSI ::= TBCD-STRING (SIZE (3..8)): MCC + MNC + MSIN, 6 to 15 digits (TS 23.003 2.2). */
static int get_imsi(struct map_arg *a, const struct cw_ber_tlv *t, char out[CW_IMSI_MAX])
{
    if (t->cons || t->val.len < 3 || t->val.len > 8 ||
        cw_tbcd_digits(t->val.p, t->val.len, 6, 15, out, CW_IMSI_MAX) < 0) {
        out[0] = 0;
        arg_bad(a);
        return -1;
    }
    return 0;
}

/* AddressString / ISDN-AddressString: the nature/plan octet, then TBCD digits (1 or more). */
static int get_addr(struct map_arg *a, const struct cw_ber_tlv *t, char out[CW_NUM_MAX],
                    int *intl)
{
    if (t->cons || t->val.len < 2 ||
        cw_tbcd_digits(t->val.p + 1, t->val.len - 1, 1, CW_NUM_MAX - 1, out, CW_NUM_MAX) < 0) {
        out[0] = 0;
        arg_bad(a);
        return -1;
    }
    if (intl)
        *intl = ((t->val.p[0] >> 4) & 7u) == NATURE_INTERNATIONAL;
    return 0;
}

/* IMEI ::= TBCD-STRING (SIZE (8)): 14 digits + check or spare digit, or 16 with the SVN. */
static int get_imei(struct map_arg *a, const struct cw_ber_tlv *t, char out[CW_IMEI_MAX])
{
    char d[17];
    int n = t->cons || t->val.len != 8 ? -1
                                        : cw_tbcd_digits(t->val.p, t->val.len, 14, 16, d, sizeof d);
    if (n < 0 || cw_imei_normalize(d, (size_t)n, out) != 0) {
        out[0] = 0;
        arg_bad(a);
        return -1;
    }
    return 0;
}

static int is_seq(const struct cw_ber_tlv *t)
{
    return cw_ber_is(t, CW_BER_UNIVERSAL, 1, CW_BER_TAG_SEQUENCE);
}

static int is_ctx(const struct cw_ber_tlv *t, uint32_t tag)
{
    return cw_ber_is(t, CW_BER_CONTEXT, 0, tag);
}

static int is_octets(const struct cw_ber_tlv *t)
{
    return cw_ber_is(t, CW_BER_UNIVERSAL, 0, CW_BER_TAG_OCTET_STRING);
}

/* Enter the SEQUENCE an argument must be; a wrong type is a bad argument. */
static int arg_seq(struct map_arg *a, const struct cw_ber_it *outer, const struct cw_ber_tlv *t,
                   struct cw_ber_it *it)
{
    if (!is_seq(t)) {
        arg_bad(a);
        return -1;
    }
    int r = cw_ber_enter(outer, t, it);
    if (r != 0) {
        arg_ber(a, r);
        return -1;
    }
    return 0;
}

/* The next element of a SEQUENCE, or 0 at its end (a BER fault counted, also 0). */
static int arg_next(struct map_arg *a, struct cw_ber_it *it, struct cw_ber_tlv *t)
{
    int r = cw_ber_next(it, t);
    if (r < 0) {
        arg_ber(a, r);
        return 0;
    }
    return r;
}

/* Identity the event needs, or the argument is bad. */
static void need(struct map_arg *a, int have)
{
    if (!have && !a->bad)
        arg_bad(a);
}

/* ---- MAP operations ---- */

/* SM-RP-DA / SM-RP-OA choices (TS 29.002 17.7.6). */
enum { RP_NONE = 0, RP_IMSI, RP_LMSI, RP_MSISDN, RP_SC, RP_NO };

/* ForwardSM-Arg (v1/v2), MO-ForwardSM-Arg and MT-ForwardSM-Arg (v3):
 * SEQUENCE { sm-RP-DA, sm-RP-OA, sm-RP-UI OCTET STRING, moreMessagesToSend NULL OPTIONAL,
 *            extensionContainer OPTIONAL, ..., imsi IMSI OPTIONAL (MO v3), ... } */
static void forward_sm(struct map_arg *a, const struct cw_ber_it *outer,
                       const struct cw_ber_tlv *arg)
{
    struct cw_ber_it it;
    struct cw_ber_tlv t, ui, imsi3 = {0}; /* read only with has_imsi3 (gcc cannot tell) */
    int da = RP_NONE, oa = RP_NONE, has_ui = 0, has_imsi3 = 0, msisdn_intl = 0;
    if (arg_seq(a, outer, arg, &it) != 0)
        return;
    if (arg_next(a, &it, &t)) { /* sm-RP-DA */
        if (is_ctx(&t, 0) && get_imsi(a, &t, a->rec->imsi) == 0)
            da = RP_IMSI;
        else if (is_ctx(&t, 1) && t.val.len == 4)
            da = RP_LMSI;
        else if (is_ctx(&t, 4) && get_addr(a, &t, a->rec->sc, NULL) == 0)
            da = RP_SC;
        else if (is_ctx(&t, 5) && t.val.len == 0)
            da = RP_NO;
    }
    if (da != RP_NONE && arg_next(a, &it, &t)) { /* sm-RP-OA */
        if (is_ctx(&t, 2) && get_addr(a, &t, a->rec->msisdn, &msisdn_intl) == 0)
            oa = RP_MSISDN;
        else if (is_ctx(&t, 4) && get_addr(a, &t, a->rec->sc, NULL) == 0)
            oa = RP_SC;
        else if (is_ctx(&t, 5) && t.val.len == 0)
            oa = RP_NO;
    }
    if (oa != RP_NONE && arg_next(a, &it, &ui) && is_octets(&ui))
        has_ui = 1;
    while (has_ui && arg_next(a, &it, &t))
        if (is_octets(&t) && !has_imsi3) { /* the MO v3 imsi; the rest is optional */
            imsi3 = t;
            has_imsi3 = 1;
        }
    if (!has_ui || a->bad) {
        arg_bad(a);
        return;
    }
    /* Which way: the subscriber's side names the mobile (IMSI/LMSI as destination: mobile
     * terminated; MSISDN as origin: mobile originated), the other side is the SC. */
    int mt;
    if (da == RP_IMSI || da == RP_LMSI)
        mt = oa == RP_MSISDN ? -1 : 1;
    else if (da == RP_SC)
        mt = oa == RP_SC ? -1 : 0;
    else
        mt = oa == RP_MSISDN ? 0 : oa == RP_SC ? 1 : -1;
    if (mt < 0) {
        arg_bad(a); /* both sides a mobile, both an SC, or neither named */
        return;
    }
    if (!mt && has_imsi3 && get_imsi(a, &imsi3, a->rec->imsi) != 0)
        return;

    struct cw_sms_tpdu tp;
    int r = cw_sms_tpdu_parse(ui.val, !mt, &tp, a->x->text, sizeof a->x->text);
    if (r < 0) {
        count(a->x, CW_DA_MAP_BAD_SMS);
    } else {
        a->rec->has_tpdu = 1;
        a->rec->tpdu_mti = (uint8_t)(ui.val.p[0] & 3u);
        if (r == 0 && tp.mti == CW_TPDU_SUBMIT)
            memcpy(a->rec->tp_da, tp.addr, sizeof a->rec->tp_da);
        else if (r == 0)
            memcpy(a->rec->tp_oa, tp.addr, sizeof a->rec->tp_oa);
        if (r == 0 && tp.has_text)
            a->rec->text = cw_slice_make(a->x->text, tp.text_len);
    }
    struct cw_event *ev = &a->ev;
    ev->text = a->rec->text;
    memcpy(ev->imsi, a->rec->imsi, sizeof ev->imsi);
    if (mt) {
        a->kind = CW_EV_SMS_MT;
        if (r == 0) {
            memcpy(ev->calling, tp.addr, sizeof ev->calling);
            ev->flags |= (uint8_t)((tp.addr_alnum ? CW_EVF_CALLING_ALNUM : 0) |
                                   (tp.addr_intl ? CW_EVF_CALLING_INTL : 0));
        }
        /* with an LMSI the recipient is not named here: the event stands on the sender */
    } else {
        a->kind = CW_EV_SMS_MO;
        memcpy(ev->calling, a->rec->msisdn, sizeof ev->calling);
        if (msisdn_intl)
            ev->flags |= CW_EVF_CALLING_INTL;
        if (r == 0) {
            memcpy(ev->called, tp.addr, sizeof ev->called);
            ev->flags |= (uint8_t)((tp.addr_alnum ? CW_EVF_CALLED_ALNUM : 0) |
                                   (tp.addr_intl ? CW_EVF_CALLED_INTL : 0));
        }
        need(a, a->rec->msisdn[0] || a->rec->imsi[0]);
    }
}

/* RoutingInfoForSM-Arg ::= SEQUENCE { msisdn [0], sm-RP-PRI [1] BOOLEAN,
 *                                     serviceCentreAddress [2], ... } */
static void sri_sm(struct map_arg *a, const struct cw_ber_it *outer, const struct cw_ber_tlv *arg)
{
    struct cw_ber_it it;
    struct cw_ber_tlv t;
    int intl = 0, has_msisdn = 0, has_sc = 0;
    if (arg_seq(a, outer, arg, &it) != 0)
        return;
    while (arg_next(a, &it, &t)) {
        if (is_ctx(&t, 0) && !has_msisdn) {
            has_msisdn = 1;
            get_addr(a, &t, a->rec->msisdn, &intl);
        } else if (is_ctx(&t, 2) && !has_sc) {
            has_sc = 1;
            get_addr(a, &t, a->rec->sc, NULL);
        }
    }
    need(a, has_msisdn && has_sc);
    a->kind = CW_EV_LOOKUP;
    memcpy(a->ev.called, a->rec->msisdn, sizeof a->ev.called);
    if (intl)
        a->ev.flags |= CW_EVF_CALLED_INTL;
}

/* RoutingInfoForSM-Res ::= SEQUENCE { imsi IMSI, locationInfoWithLMSI [0], ... } */
static void sri_sm_res(struct map_arg *a, const struct cw_ber_it *outer,
                       const struct cw_ber_tlv *res)
{
    struct cw_ber_it it;
    struct cw_ber_tlv t;
    if (arg_seq(a, outer, res, &it) != 0)
        return;
    if (arg_next(a, &it, &t) && is_octets(&t))
        get_imsi(a, &t, a->rec->imsi);
    need(a, a->rec->imsi[0]);
    a->kind = CW_EV_LOOKUP;
    memcpy(a->ev.imsi, a->rec->imsi, sizeof a->ev.imsi);
}

/* SendRoutingInfoArg ::= SEQUENCE { msisdn [0], cug-CheckInfo [1] OPTIONAL, ... } */
static void sri(struct map_arg *a, const struct cw_ber_it *outer, const struct cw_ber_tlv *arg)
{
    struct cw_ber_it it;
    struct cw_ber_tlv t;
    int intl = 0;
    if (arg_seq(a, outer, arg, &it) != 0)
        return;
    if (arg_next(a, &it, &t) && is_ctx(&t, 0))
        get_addr(a, &t, a->rec->msisdn, &intl);
    need(a, a->rec->msisdn[0]);
    a->kind = CW_EV_LOOKUP;
    memcpy(a->ev.called, a->rec->msisdn, sizeof a->ev.called);
    if (intl)
        a->ev.flags |= CW_EVF_CALLED_INTL;
}

/* AnyTimeInterrogationArg ::= SEQUENCE { subscriberIdentity [0] CHOICE { imsi [0],
 *     msisdn [1] }, requestedInfo [1], gsmSCF-Address [3], ... } */
static void ati(struct map_arg *a, const struct cw_ber_it *outer, const struct cw_ber_tlv *arg)
{
    struct cw_ber_it it, sub;
    struct cw_ber_tlv t, id;
    int intl = 0;
    if (arg_seq(a, outer, arg, &it) != 0)
        return;
    if (arg_next(a, &it, &t) && cw_ber_is(&t, CW_BER_CONTEXT, 1, 0)) {
        int r = cw_ber_enter(&it, &t, &sub);
        if (r != 0) {
            arg_ber(a, r);
        } else if (arg_next(a, &sub, &id)) {
            if (is_ctx(&id, 0))
                get_imsi(a, &id, a->rec->imsi);
            else if (is_ctx(&id, 1))
                get_addr(a, &id, a->rec->msisdn, &intl);
        }
    }
    need(a, a->rec->imsi[0] || a->rec->msisdn[0]);
    a->kind = CW_EV_LOOKUP;
    memcpy(a->ev.imsi, a->rec->imsi, sizeof a->ev.imsi);
    memcpy(a->ev.called, a->rec->msisdn, sizeof a->ev.called);
    if (intl)
        a->ev.flags |= CW_EVF_CALLED_INTL;
}

/* UpdateLocationArg ::= SEQUENCE { imsi IMSI, msc-Number [1], vlr-Number, ... };
 * UpdateGprsLocationArg ::= SEQUENCE { imsi IMSI, sgsn-Number, sgsn-Address, ... } */
static void update_location(struct map_arg *a, const struct cw_ber_it *outer,
                            const struct cw_ber_tlv *arg)
{
    struct cw_ber_it it;
    struct cw_ber_tlv t;
    if (arg_seq(a, outer, arg, &it) != 0)
        return;
    if (arg_next(a, &it, &t) && is_octets(&t))
        get_imsi(a, &t, a->rec->imsi);
    need(a, a->rec->imsi[0]);
    a->kind = CW_EV_REGISTER;
    memcpy(a->ev.imsi, a->rec->imsi, sizeof a->ev.imsi);
}

/* v2: SendAuthenticationInfoArg ::= IMSI; v3: SEQUENCE { imsi [0], numberOfRequestedVectors,
 * ... } */
static void send_auth_info(struct map_arg *a, const struct cw_ber_it *outer,
                           const struct cw_ber_tlv *arg)
{
    struct cw_ber_it it;
    struct cw_ber_tlv t;
    if (is_octets(arg)) {
        get_imsi(a, arg, a->rec->imsi);
    } else if (arg_seq(a, outer, arg, &it) == 0) {
        if (arg_next(a, &it, &t) && is_ctx(&t, 0))
            get_imsi(a, &t, a->rec->imsi);
    }
    need(a, a->rec->imsi[0]);
    a->kind = CW_EV_AUTH;
    memcpy(a->ev.imsi, a->rec->imsi, sizeof a->ev.imsi);
}

/* v1/v2: CheckIMEI-Arg ::= IMEI; v3: SEQUENCE { imei IMEI, requestedEquipmentInfo, ... } */
static void check_imei(struct map_arg *a, const struct cw_ber_it *outer,
                       const struct cw_ber_tlv *arg)
{
    struct cw_ber_it it;
    struct cw_ber_tlv t;
    if (is_octets(arg)) {
        get_imei(a, arg, a->rec->imei);
    } else if (arg_seq(a, outer, arg, &it) == 0) {
        if (arg_next(a, &it, &t) && is_octets(&t))
            get_imei(a, &t, a->rec->imei);
    }
    need(a, a->rec->imei[0]);
    a->kind = CW_EV_AUTH;
    memcpy(a->ev.imei, a->rec->imei, sizeof a->ev.imei);
}

/* InsertSubscriberDataArg ::= SEQUENCE { imsi [0] OPTIONAL, COMPONENTS OF SubscriberData
 * (msisdn [1] OPTIONAL, ...) }: the record only. */
static void insert_subscriber_data(struct map_arg *a, const struct cw_ber_it *outer,
                                   const struct cw_ber_tlv *arg)
{
    struct cw_ber_it it;
    struct cw_ber_tlv t;
    int has_imsi = 0, has_msisdn = 0;
    if (arg_seq(a, outer, arg, &it) != 0)
        return;
    while (arg_next(a, &it, &t)) {
        if (is_ctx(&t, 0) && !has_imsi) {
            has_imsi = 1;
            get_imsi(a, &t, a->rec->imsi);
        } else if (is_ctx(&t, 1) && !has_msisdn) {
            has_msisdn = 1;
            get_addr(a, &t, a->rec->msisdn, NULL);
        }
    }
}

/* An invoke's argument, or (@p result) a returnResult's result, by operation. */
static void map_payload(struct map_arg *a, const struct cw_ber_it *outer, int result,
                        int opcode, const struct cw_ber_tlv *arg)
{
    if (result) {
        if (opcode == OP_SEND_ROUTING_INFO_FOR_SM) {
            if (arg)
                sri_sm_res(a, outer, arg);
            else
                arg_bad(a);
        }
        return;
    }
    switch (opcode) {
    case OP_MO_FORWARD_SM:
    case OP_MT_FORWARD_SM:
    case OP_SEND_ROUTING_INFO_FOR_SM:
    case OP_SEND_ROUTING_INFO:
    case OP_ANY_TIME_INTERROGATION:
    case OP_UPDATE_LOCATION:
    case OP_UPDATE_GPRS_LOCATION:
    case OP_SEND_AUTHENTICATION_INFO:
    case OP_CHECK_IMEI:
    case OP_INSERT_SUBSCRIBER_DATA:
        break;
    default:
        return; /* not an operation that names a card: the record is all */
    }
    if (!arg) {
        /* v3 sendAuthenticationInfo may go without one (more vectors for the subscriber the
         * dialogue began with: its ARGUMENT is OPTIONAL); insertSubscriberData's fields are
         * all optional */
        if (opcode != OP_SEND_AUTHENTICATION_INFO && opcode != OP_INSERT_SUBSCRIBER_DATA)
            arg_bad(a);
        return;
    }
    switch (opcode) {
    case OP_MO_FORWARD_SM:
    case OP_MT_FORWARD_SM: forward_sm(a, outer, arg); break;
    case OP_SEND_ROUTING_INFO_FOR_SM: sri_sm(a, outer, arg); break;
    case OP_SEND_ROUTING_INFO: sri(a, outer, arg); break;
    case OP_ANY_TIME_INTERROGATION: ati(a, outer, arg); break;
    case OP_UPDATE_LOCATION:
    case OP_UPDATE_GPRS_LOCATION: update_location(a, outer, arg); break;
    case OP_SEND_AUTHENTICATION_INFO: send_auth_info(a, outer, arg); break;
    case OP_CHECK_IMEI: check_imei(a, outer, arg); break;
    default: insert_subscriber_data(a, outer, arg); break;
    }
}

/* ---- TCAP ---- */

/* InvokeIdType ::= INTEGER (-128..127). */
static int invoke_id(struct map_ctx *x, const struct cw_ber_tlv *t, int16_t *out)
{
    int64_t v;
    if (!cw_ber_is(t, CW_BER_UNIVERSAL, 0, CW_BER_TAG_INTEGER) || cw_ber_int(t, &v) != 0 ||
        v < -128 || v > 127) {
        tcap_fault(x, CW_DA_TCAP_BAD_FIELD);
        return -1;
    }
    *out = (int16_t)v;
    return 0;
}

/* An operation or error code: local INTEGER (kept), or global OBJECT IDENTIFIER (-1). */
static int op_code(struct map_ctx *x, const struct cw_ber_tlv *t, int16_t *out)
{
    int64_t v;
    if (cw_ber_is(t, CW_BER_UNIVERSAL, 0, CW_BER_TAG_OID) && t->val.len > 0)
        return 0;
    if (!cw_ber_is(t, CW_BER_UNIVERSAL, 0, CW_BER_TAG_INTEGER) || cw_ber_int(t, &v) != 0 ||
        v < INT16_MIN || v > INT16_MAX) {
        tcap_fault(x, CW_DA_TCAP_BAD_FIELD);
        return -1;
    }
    *out = (int16_t)v;
    return 0;
}

static void emit(struct map_ctx *x, struct map_arg *a)
{
    struct cw_event *ev = &a->ev;
    if (a->kind < 0 || a->bad || x->returned)
        return;
    if (!ev->calling[0] && !ev->called[0] && !ev->imsi[0] && !ev->imei[0])
        return;
    if (x->meta) {
        ev->ts_us = x->meta->ts_us;
        ev->frame = x->meta->frame;
        ev->file_idx = x->meta->file_idx;
    }
    ev->kind = (uint8_t)a->kind;
    ev->proto = CW_PROTO_MAP;
    if (x->sink && x->sink->emit)
        x->sink->emit(x->sink->user, ev);
}

static void trace(struct map_ctx *x, const struct cw_map_rec *rec)
{
    if (x->sink && x->sink->trace)
        x->sink->trace(x->sink->user, CW_PROTO_MAP, rec);
}

/* Invoke ::= SEQUENCE { invokeID, linkedID [0] OPTIONAL, opcode, argument OPTIONAL }
 * ReturnResult ::= SEQUENCE { invokeID, SEQUENCE { opcode, result } OPTIONAL }
 * ReturnError ::= SEQUENCE { invokeID, errorCode, parameter OPTIONAL }
 * Reject ::= SEQUENCE { invokeID (or NULL), problem } */
static void component_body(struct map_ctx *x, struct cw_ber_it *it, struct map_arg *a)
{
    struct cw_map_rec *rec = a->rec;
    struct cw_ber_tlv t, arg;
    const struct cw_ber_it *arg_it = it;
    struct cw_ber_it res_it;
    int has_arg = 0;
    int r = cw_ber_next(it, &t);
    if (r == 0) {
        tcap_fault(x, CW_DA_TCAP_BAD_FIELD); /* no invoke id */
        return;
    }
    if (r == 1 && rec->comp == CW_COMP_REJECT &&
        cw_ber_is(&t, CW_BER_UNIVERSAL, 0, CW_BER_TAG_NULL)) {
        r = cw_ber_next(it, &t); /* invoke id not derivable */
    } else if (r == 1) {
        if (invoke_id(x, &t, &rec->invoke_id) != 0)
            return;
        r = cw_ber_next(it, &t);
    }
    switch (rec->comp) {
    case CW_COMP_INVOKE:
        if (r == 1 && is_ctx(&t, 0)) /* linkedID */
            r = cw_ber_next(it, &t);
        if (r == 0)
            tcap_fault(x, CW_DA_TCAP_BAD_FIELD); /* no operation code */
        if (r != 1 || op_code(x, &t, &rec->opcode) != 0)
            break;
        r = cw_ber_next(it, &arg);
        has_arg = r == 1;
        break;
    case CW_COMP_RESULT_LAST:
    case CW_COMP_RESULT_NOT_LAST:
        if (r != 1)
            break; /* a result without parameters */
        if (!is_seq(&t)) {
            tcap_fault(x, CW_DA_TCAP_BAD_FIELD);
            return;
        }
        r = cw_ber_enter(it, &t, &res_it);
        if (r == 0)
            r = cw_ber_next(&res_it, &t);
        if (r == 0)
            tcap_fault(x, CW_DA_TCAP_BAD_FIELD); /* no operation code */
        if (r != 1 || op_code(x, &t, &rec->opcode) != 0)
            break;
        r = cw_ber_next(&res_it, &arg);
        has_arg = r == 1;
        arg_it = &res_it;
        break;
    case CW_COMP_ERROR:
        if (r == 0)
            tcap_fault(x, CW_DA_TCAP_BAD_FIELD); /* no error code */
        if (r == 1)
            op_code(x, &t, &rec->error);
        break;
    default: /* reject: the problem is not read, only looked for */
        if (r == 0)
            tcap_fault(x, CW_DA_TCAP_BAD_FIELD);
        break;
    }
    if (r < 0) {
        ber_fault(x, r);
        return;
    }
    if (!x->is_map || rec->opcode < 0)
        return;
    if (rec->comp == CW_COMP_INVOKE)
        map_payload(a, arg_it, 0, rec->opcode, has_arg ? &arg : NULL);
    else if (rec->comp == CW_COMP_RESULT_LAST || rec->comp == CW_COMP_RESULT_NOT_LAST)
        map_payload(a, arg_it, 1, rec->opcode, has_arg ? &arg : NULL);
}

/* One component of the component portion: its record, and its event if it has one. */
static void component(struct map_ctx *x, const struct cw_ber_it *outer,
                      const struct cw_ber_tlv *c, const struct cw_map_rec *hdr)
{
    static const uint8_t known[8] = {[1] = 1, [2] = 1, [3] = 1, [4] = 1, [7] = 1};
    if (c->cls != CW_BER_CONTEXT || !c->cons || c->tag >= 8 || !known[c->tag]) {
        tcap_fault(x, CW_DA_TCAP_BAD_FIELD);
        return;
    }
    struct cw_map_rec rec = *hdr;
    struct map_arg a;
    memset(&a, 0, sizeof a);
    a.x = x;
    a.rec = &rec;
    a.kind = -1;
    rec.comp = (uint8_t)c->tag;
    struct cw_ber_it it;
    int r = cw_ber_enter(outer, c, &it);
    if (r != 0)
        ber_fault(x, r);
    else
        component_body(x, &it, &a);
    trace(x, &rec);
    emit(x, &a);
}

/* TransactionID ::= OCTET STRING (SIZE (1..4)). */
static void tid(struct map_ctx *x, const struct cw_ber_tlv *t, uint8_t *out, uint8_t *len)
{
    if (t->val.len < 1 || t->val.len > 4) {
        tcap_fault(x, CW_DA_TCAP_BAD_FIELD);
        return;
    }
    memcpy(out, t->val.p, t->val.len);
    *len = (uint8_t)t->val.len;
}

/* The first child of @p parent with that class, form and tag: 1 (@p inner is left on it, for
 * entering it), 0 when there is none, or a BER fault. */
static int find_child(const struct cw_ber_it *outer, const struct cw_ber_tlv *parent,
                      unsigned cls, unsigned cons, uint32_t tag, struct cw_ber_it *inner,
                      struct cw_ber_tlv *out)
{
    int r = cw_ber_enter(outer, parent, inner);
    if (r != 0)
        return r;
    while ((r = cw_ber_next(inner, out)) == 1)
        if (cw_ber_is(out, cls, cons, tag))
            return 1;
    return r;
}

/* DialoguePortion: EXTERNAL { dialogue-as-id, single-ASN1-type [0] { AARQ | AARE | ABRT } }.
 * The application context of AARQ / AARE says which MAP service (and version) this is. */
static void dialogue(struct map_ctx *x, const struct cw_ber_it *outer, const struct cw_ber_tlv *dp,
                     struct cw_map_rec *hdr)
{
    struct cw_ber_it it, ext_it, pdu_it, acn_it;
    struct cw_ber_tlv ext, sat, pdu, acn, oid;
    int r = find_child(outer, dp, CW_BER_UNIVERSAL, 1, CW_BER_TAG_EXTERNAL, &it, &ext);
    if (r == 1) /* EXTERNAL: direct-reference OID, [indirect-reference], encoding */
        r = find_child(&it, &ext, CW_BER_CONTEXT, 1, 0, &ext_it, &sat);
    if (r == 1) {
        r = cw_ber_enter(&ext_it, &sat, &pdu_it);
        if (r == 0)
            r = cw_ber_next(&pdu_it, &pdu);
    }
    if (r == 1 && (pdu.cls != CW_BER_APPLICATION || !pdu.cons ||
                   (pdu.tag != TAG_AARQ && pdu.tag != TAG_AARE && pdu.tag != TAG_ABRT)))
        r = 0;
    if (r <= 0) {
        if (r < 0)
            ber_fault(x, r);
        else
            tcap_fault(x, CW_DA_TCAP_BAD_FIELD); /* no dialogue PDU */
        return;
    }
    if (pdu.tag == TAG_ABRT)
        return;
    /* AARQ / AARE: protocol-version [0], application-context-name [1] { OID }, ... */
    r = find_child(&pdu_it, &pdu, CW_BER_CONTEXT, 1, 1, &it, &acn);
    if (r == 1) {
        r = cw_ber_enter(&it, &acn, &acn_it);
        if (r == 0)
            r = cw_ber_next(&acn_it, &oid);
    }
    if (r < 0) {
        ber_fault(x, r);
        return;
    }
    uint32_t arcs[16];
    int n = r == 1 && cw_ber_is(&oid, CW_BER_UNIVERSAL, 0, CW_BER_TAG_OID)
                ? cw_ber_oid(oid.val, arcs, sizeof arcs / sizeof arcs[0])
                : -1;
    if (n < 0) {
        tcap_fault(x, CW_DA_TCAP_BAD_FIELD); /* no application context name */
        return;
    }
    /* MAP's contexts are 0.4.0.0.1.0.<ac>.<version> (TS 29.002 17.3.2); CAP's and others'
     * operations have other meanings for the same codes. */
    static const uint32_t map_ac[6] = {0, 4, 0, 0, 1, 0};
    if (n != 8 || memcmp(arcs, map_ac, sizeof map_ac) != 0 || arcs[6] > 255 || arcs[7] > 255 ||
        arcs[7] == 0) {
        x->is_map = 0;
        return;
    }
    hdr->acn = (uint8_t)arcs[6];
    hdr->acn_version = (uint8_t)arcs[7];
}

static unsigned allowed_parts(unsigned type)
{
    switch (type) {
    case TAG_UNIDIRECTIONAL: return HAS_DIALOGUE | HAS_COMPS;
    case TAG_BEGIN: return HAS_OTID | HAS_DIALOGUE | HAS_COMPS;
    case TAG_END: return HAS_DTID | HAS_DIALOGUE | HAS_COMPS;
    case TAG_CONTINUE: return HAS_OTID | HAS_DTID | HAS_DIALOGUE | HAS_COMPS;
    default: return HAS_DTID | HAS_PABORT | HAS_DIALOGUE; /* abort */
    }
}

static unsigned required_parts(unsigned type)
{
    switch (type) {
    case TAG_UNIDIRECTIONAL: return HAS_COMPS;
    case TAG_BEGIN: return HAS_OTID;
    case TAG_CONTINUE: return HAS_OTID | HAS_DTID;
    default: return HAS_DTID; /* end, abort */
    }
}

static uint8_t tcap_type(unsigned tag)
{
    switch (tag) {
    case TAG_UNIDIRECTIONAL: return CW_TCAP_UNIDIRECTIONAL;
    case TAG_BEGIN: return CW_TCAP_BEGIN;
    case TAG_END: return CW_TCAP_END;
    case TAG_CONTINUE: return CW_TCAP_CONTINUE;
    case TAG_ABORT: return CW_TCAP_ABORT;
    default: return CW_TCAP_NONE;
    }
}

int cw_map_decode(struct cw_slice tcap, const struct cw_map_rec *ctx,
                  const struct cw_pkt_meta *meta, const struct cw_event_sink *sink,
                  struct cw_decode_stats *st)
{
    struct map_ctx x;
    x.meta = meta;
    x.sink = sink;
    x.st = st;
    x.returned = ctx && ctx->returned;
    x.bad = 0;
    x.is_map = 1;

    /* The record starts as the lower layers' fields; the TCAP and MAP part starts empty. */
    struct cw_map_rec hdr;
    if (ctx)
        hdr = *ctx;
    else
        memset(&hdr, 0, sizeof hdr);
    memset((uint8_t *)&hdr + offsetof(struct cw_map_rec, tcap), 0,
           sizeof hdr - offsetof(struct cw_map_rec, tcap));
    hdr.invoke_id = CW_MAP_ABSENT;
    hdr.opcode = -1;
    hdr.error = -1;

    if (!tcap.p)
        tcap.len = 0;
    uint8_t id = tcap.len ? tcap.p[0] : 0;
    if ((id & 0xe0u) != 0x60u || tcap_type(id & 0x1fu) == CW_TCAP_NONE) {
        tcap_fault(&x, CW_DA_TCAP_UNKNOWN_TYPE); /* 0x6n: [APPLICATION n] constructed */
        return -1;
    }
    unsigned type = id & 0x1fu;
    hdr.tcap = tcap_type(type);

    struct cw_ber_it top, it;
    struct cw_ber_tlv msg, t, dlg, comps;
    memset(&dlg, 0, sizeof dlg);
    memset(&comps, 0, sizeof comps);
    cw_ber_init(&top, tcap, CW_MAP_MAX_DEPTH);
    int r = cw_ber_next(&top, &msg);
    if (r == 1)
        r = cw_ber_enter(&top, &msg, &it);
    if (r != 0) {
        ber_fault(&x, r);
        return -1;
    }
    if (st)
        st->messages[CW_PROTO_MAP]++;

    /* The portions first (each one's extent is checked), then what they say. */
    unsigned seen = 0, allowed = allowed_parts(type);
    while ((r = cw_ber_next(&it, &t)) == 1) {
        unsigned part = 0;
        if (cw_ber_is(&t, CW_BER_APPLICATION, 0, TAG_OTID))
            part = HAS_OTID;
        else if (cw_ber_is(&t, CW_BER_APPLICATION, 0, TAG_DTID))
            part = HAS_DTID;
        else if (cw_ber_is(&t, CW_BER_APPLICATION, 1, TAG_DIALOGUE))
            part = HAS_DIALOGUE;
        else if (cw_ber_is(&t, CW_BER_APPLICATION, 1, TAG_COMPS))
            part = HAS_COMPS;
        else if (cw_ber_is(&t, CW_BER_APPLICATION, 0, TAG_PABORT))
            part = HAS_PABORT;
        if (!(part & allowed) || (part & seen)) {
            tcap_fault(&x, CW_DA_TCAP_BAD_FIELD);
            continue;
        }
        seen |= part;
        if (part == HAS_OTID)
            tid(&x, &t, hdr.otid, &hdr.otid_len);
        else if (part == HAS_DTID)
            tid(&x, &t, hdr.dtid, &hdr.dtid_len);
        else if (part == HAS_DIALOGUE)
            dlg = t;
        else if (part == HAS_COMPS)
            comps = t;
    }
    if (r < 0) {
        ber_fault(&x, r);
        return -1;
    }
    if ((seen & required_parts(type)) != required_parts(type))
        tcap_fault(&x, CW_DA_TCAP_BAD_FIELD);
    if (cw_ber_next(&top, &t) != 0)
        tcap_fault(&x, CW_DA_TCAP_BAD_BER); /* bytes after the message */

    if (seen & HAS_DIALOGUE)
        dialogue(&x, &it, &dlg, &hdr);
    if (!(seen & HAS_COMPS)) {
        trace(&x, &hdr);
        return x.bad ? -1 : 0;
    }
    struct cw_ber_it cit;
    r = cw_ber_enter(&it, &comps, &cit);
    int n = 0;
    while (r == 0 && (r = cw_ber_next(&cit, &t)) == 1) {
        component(&x, &cit, &t, &hdr);
        n++;
        r = 0;
    }
    if (r < 0)
        ber_fault(&x, r);
    else if (n == 0)
        trace(&x, &hdr); /* an empty component portion */
    return x.bad ? -1 : 0;
}
