/* map.h - TCAP (ITU-T Q.773) and GSM MAP (3GPP TS 29.002) over SCCP: the top of the SIGTRAN
 * stack. sigtran.c unwraps M3UA or M2PA/MTP3 and SCCP and hands each SCCP user-data block here
 * with the lower layers' fields already in a struct cw_map_rec; this file reads the TCAP
 * message (BER, util/ber.h), its dialogue portion (application context) and each component,
 * and the MAP argument of the operations that name a card.
 *
 * One record per component goes to sink->trace (proto CW_PROTO_MAP) when that is set; an event
 * goes to sink->emit for these invokes (and the SRI-SM result):
 *
 *   op  name (MAP version)                 event         identities
 *   46  mo-forwardSM (v3) / forwardSM(v1,2) sms_mo        calling = sm-RP-OA msisdn,
 *       sm-RP-OA msisdn: mobile originated                called = TP-DA of the SMS-SUBMIT,
 *                                                         imsi = the v3 trailing imsi, text
 *   46  forwardSM with sm-RP-DA imsi/lmsi,  sms_mt        imsi = sm-RP-DA imsi, calling = TP-OA
 *   44  mt-forwardSM (v3)                                 of the SMS-DELIVER, text
 *   45  sendRoutingInfoForSM                lookup        called = msisdn
 *   45  its returnResultLast                lookup        imsi
 *   22  sendRoutingInfo                     lookup        called = msisdn
 *   71  anyTimeInterrogation                lookup        imsi or called (subscriberIdentity)
 *    2  updateLocation                      register      imsi
 *   23  updateGprsLocation                  register      imsi
 *   56  sendAuthenticationInfo (v2: bare IMSI, v3: SEQUENCE) auth  imsi
 *   43  checkIMEI (v1/2: bare IMEI, v3: SEQUENCE)         auth          imei (14 digits + Luhn)
 * Other operations, results and errors: a record, no event. A message the SCCP network returned
 * (UDTS/XUDTS, rec.returned) gives records but no events: it was never delivered.
 */
#ifndef CW_MAP_H
#define CW_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "event/event.h"
#include "util/slice.h"

enum cw_tcap_type {
    CW_TCAP_NONE = 0,
    CW_TCAP_UNIDIRECTIONAL, /* [APPLICATION 1] 0x61 */
    CW_TCAP_BEGIN,          /* [APPLICATION 2] 0x62 */
    CW_TCAP_END,            /* [APPLICATION 4] 0x64 */
    CW_TCAP_CONTINUE,       /* [APPLICATION 5] 0x65 */
    CW_TCAP_ABORT,          /* [APPLICATION 7] 0x67 */
};

/* Component types as tshark numbers them (gsm_map.old.Component). */
enum cw_tcap_comp {
    CW_COMP_NONE = 0, /* a TCAP message without components (an Abort, a bare Continue) */
    CW_COMP_INVOKE = 1,
    CW_COMP_RESULT_LAST = 2,
    CW_COMP_ERROR = 3,
    CW_COMP_REJECT = 4,
    CW_COMP_RESULT_NOT_LAST = 7,
};

/* invoke_id, opcode, error: not in the component. */
#define CW_MAP_ABSENT (-32768)

/* What the stack read for one TCAP component. Strings are NUL-terminated, empty when absent. */
struct cw_map_rec {
    /* MTP3 / M3UA (filled by sigtran.c) */
    uint32_t opc, dpc;  /* point codes */
    uint8_t si, ni;     /* service indicator (3 = SCCP), network indicator */
    /* SCCP (filled by sigtran.c) */
    uint8_t sccp_type;  /* 0x09 UDT, 0x0a UDTS, 0x11 XUDT, 0x12 XUDTS, 0x13 LUDT, 0x14 LUDTS */
    uint8_t returned;   /* 1: UDTS/XUDTS/LUDTS, the network returned the message undelivered */
    uint8_t cdpa_ssn, cgpa_ssn; /* subsystem numbers, 0 when absent (6 HLR, 7 VLR, 8 MSC, ...) */
    char cdpa[CW_NUM_MAX], cgpa[CW_NUM_MAX]; /* global-title digits (called, calling) */
    /* TCAP (filled by map.c) */
    uint8_t tcap;       /* enum cw_tcap_type */
    uint8_t otid_len, dtid_len; /* 0 when absent; 1..4 bytes */
    uint8_t otid[4], dtid[4];
    uint8_t acn_version; /* last arc of the dialogue's application-context-name OID
                          * (0.4.0.0.1.0.<ac>.<version>); 0 without a dialogue portion */
    uint8_t acn;         /* the <ac> arc (e.g. 21 shortMsgMO-Relay, 25 shortMsgMT-Relay) */
    uint8_t comp;        /* enum cw_tcap_comp */
    int16_t invoke_id;   /* -128..127; CW_MAP_ABSENT when absent */
    int16_t opcode;      /* local operation code (invoke, returnResult); -1 when absent */
    int16_t error;       /* local error code of a returnError; -1 otherwise */
    /* MAP (filled by map.c for the operations above; ISD's imsi and msisdn too) */
    char imsi[CW_IMSI_MAX];
    char msisdn[CW_NUM_MAX]; /* the subscriber's MSISDN the operation names */
    char sc[CW_NUM_MAX];     /* service centre address (SRI-SM, forwardSM's SC address) */
    char imei[CW_IMEI_MAX];  /* 14 digits + Luhn */
    uint8_t has_tpdu;        /* an SMS TPDU was read from sm-RP-UI */
    uint8_t tpdu_mti;        /* 0 SMS-DELIVER, 1 SMS-SUBMIT (as tshark's gsm_sms.tp-mti) */
    char tp_oa[CW_NUM_MAX], tp_da[CW_NUM_MAX];
    struct cw_slice text;    /* UTF-8, valid during the trace call */
};

/* Nesting depth past which BER is refused (a depth bomb is malformed, not a stack overflow). */
#define CW_MAP_MAX_DEPTH 16

/**
 * Decode one TCAP message @p tcap (SCCP user data). @p ctx holds the lower layers' fields
 * (the TCAP and MAP fields are ignored); each component's record starts as a copy of it.
 * Records go to sink->trace, events (per the table above; none when ctx->returned) to
 * sink->emit; ts/frame/file of events from @p meta. Anomalies are counted in @p st (may be
 * NULL) and st->messages[CW_PROTO_MAP] counts TCAP messages read.
 * Returns 0, or -1 when the TCAP message is malformed (a tcap_* anomaly; the components
 * read before the fault, and those after a fault confined to one component, the dialogue or
 * one field, have been reported). Never reads outside @p tcap, never allocates.
 */
int cw_map_decode(struct cw_slice tcap, const struct cw_map_rec *ctx,
                  const struct cw_pkt_meta *meta, const struct cw_event_sink *sink,
                  struct cw_decode_stats *st);

#endif
