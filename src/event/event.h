/* event.h - one normalised signalling event, the currency between decoders and rules.
 *
 * Fixed-size fields, no allocation: a decoder fills one on its stack per message. The text
 * slice points into the packet or into the decoder's scratch buffer and is valid only during
 * the emit callback that receives the event.
 */
#ifndef CW_EVENT_H
#define CW_EVENT_H

#include <stdint.h>
#include <stdio.h>

#include "util/slice.h"

enum cw_event_kind {
#define CW_EVENT_KIND(id, name) CW_EV_##id,
#include "event/events.def"
    CW_EV__COUNT
};

enum cw_proto {
#define CW_PROTO(id, name) CW_PROTO_##id,
#include "event/events.def"
    CW_PROTO__COUNT
};

/* Numbers are digits only; 15 is the E.164 maximum, room is left for odd dial strings. */
#define CW_NUM_MAX 32
#define CW_IMSI_MAX 16
#define CW_IMEI_MAX 16
#define CW_ACCOUNT_MAX 16 /* SMPP system_id: 15 characters and the NUL (SMPP 3.4 5.2.1) */
/* A cell: "46000-0c3d4e5" (MCC MNC, "-", the E-UTRAN cell identity in 7 hex digits) or another
 * access type's identity as docs/decoders.md says; 23 characters at most. */
#define CW_CELL_MAX 24

enum cw_event_flag {
    CW_EVF_CALLING_ALNUM = 1 << 0, /* calling party is not a number (alphanumeric sender) */
    CW_EVF_CALLED_ALNUM = 1 << 1,
    CW_EVF_CALLING_INTL = 1 << 2, /* calling number was written in global form ("+" first): its
                                   * digits include the country code */
    CW_EVF_CALLED_INTL = 1 << 3,
};

struct cw_event {
    uint64_t ts_us;    /* packet time, microseconds since the epoch (UTC) */
    uint64_t frame;    /* 1-based frame number in its file, as tshark counts */
    uint32_t file_idx; /* index into the run's list of input files */
    uint8_t kind;      /* enum cw_event_kind */
    uint8_t proto;     /* enum cw_proto */
    uint8_t flags;     /* enum cw_event_flag */
    char calling[CW_NUM_MAX]; /* NUL-terminated; empty when absent */
    char called[CW_NUM_MAX];
    char imsi[CW_IMSI_MAX];
    char imei[CW_IMEI_MAX];
    char account[CW_ACCOUNT_MAX]; /* SMPP: the ESME's system_id bound on the link (a bulk
                                   * sender's account at the SMS centre); empty otherwise */
    char cell[CW_CELL_MAX];       /* the serving cell of the sending device, when the message
                                   * says (SIP P-Access-Network-Info, GTP ULI); empty otherwise */
    struct cw_slice text; /* UTF-8 SMS text; len 0 when absent */
};

const char *cw_event_kind_name(unsigned kind);
const char *cw_proto_name(unsigned proto);
/** Kind by name, or -1. */
int cw_event_kind_from_name(const char *name, size_t len);
/** Protocol by name, or -1. */
int cw_proto_from_name(const char *name, size_t len);

/** Format packet time as ISO 8601 UTC with microseconds ("2026-01-01T00:00:00.000000Z"). */
void cw_ts_format(uint64_t ts_us, char out[32]);

struct cw_json;
/** Write the event's fields (without braces) into an open JSON object; absent fields omitted.
 *  @p file is the name of the input file the event came from (may be NULL). */
void cw_event_json_fields(struct cw_json *j, const struct cw_event *ev, const char *file);

#endif
