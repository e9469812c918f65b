/* sms_tpdu.h - SMS on the air interface: RP-DATA (3GPP TS 24.011 7.3.1) carrying an SMS-SUBMIT
 * or SMS-DELIVER TPDU (TS 23.040 9.2.2), as IMS carries them in SIP MESSAGE bodies of type
 * application/vnd.3gpp.sms (TS 24.341) and Diameter SGd in SM-RP-UI. Gives the real other party
 * (TP-DA of a SUBMIT, TP-OA of a DELIVER) and the text as UTF-8. */
#ifndef CW_SMS_TPDU_H
#define CW_SMS_TPDU_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "util/slice.h"
#include "util/sms_text.h"

enum { CW_TPDU_DELIVER = 0, CW_TPDU_SUBMIT = 1 };

struct cw_sms_tpdu {
    int mti;                /* CW_TPDU_DELIVER or CW_TPDU_SUBMIT */
    char addr[CW_NUM_MAX];  /* TP-DA of a SUBMIT, TP-OA of a DELIVER: digits, or a name */
    int addr_intl;          /* type of number international: digits include the country code */
    int addr_alnum;         /* alphanumeric address (a sender name, GSM 7-bit) */
    int has_udh;
    struct cw_sms_udh udh;  /* concatenation, when has_udh */
    int has_text;           /* 0 for 8-bit data and compressed text */
    size_t text_len;        /* UTF-8 bytes written to the caller's buffer */
    unsigned text_flags;    /* CW_SMS_TEXT_* */
};

/**
 * Parse a TPDU sent mobile to network (@p ms_to_net 1: an SMS-SUBMIT) or network to mobile
 * (0: an SMS-DELIVER); other TPDUs (reports, commands) return 1 without text. The text goes as
 * UTF-8 into @p text (room @p textsz; cut, flagged, when short). Returns 0, 1 for a TPDU that is
 * not a message, or -1 when malformed (a length past the end, an address too long).
 */
int cw_sms_tpdu_parse(struct cw_slice tpdu, int ms_to_net, struct cw_sms_tpdu *out,
                      uint8_t *text, size_t textsz);

/**
 * Parse an RP message; for RP-DATA give its TPDU and direction (*ms_to_net). Returns 0 for
 * RP-DATA, 1 for other RP messages (ACK, ERROR, SMMA: no SMS), -1 when malformed.
 */
int cw_sms_rp_parse(struct cw_slice rp, struct cw_slice *tpdu, int *ms_to_net);

#endif
