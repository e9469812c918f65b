/* classify.h - flow classification by nDPI (classify_ndpi.c is the only nDPI user). */
#ifndef CW_CLASSIFY_H
#define CW_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

struct cw_classifier;    /* one nDPI detection module per worker */
struct cw_classify_flow; /* nDPI's per-flow state, freed once the flow is classified */

/* Which of our decoders a classified protocol goes to. */
enum cw_app {
    CW_APP_NONE = 0,
    CW_APP_SIP,
    CW_APP_SMPP,
    CW_APP_DIAMETER,
    CW_APP_GTPC,
    CW_APP_RADIUS,
    CW_APP_M3UA, /* not named by nDPI: SCTP payload protocol id or port (decode/sigtran.h) */
    CW_APP_M2PA,
    CW_APP_WEBSOCKET, /* not named by nDPI: an HTTP upgrade to WebSocket "sip" (RFC 7118) */
};

int cw_classify_new(struct cw_classifier **out);
void cw_classify_free(struct cw_classifier *c);

struct cw_classify_flow *cw_classify_flow_new(void);
void cw_classify_flow_free(struct cw_classify_flow *f);

/**
 * Feed one packet (from its IP header) of the flow. Returns 1 when nDPI has decided, with the
 * protocol id in *proto, 0 when it wants more packets.
 */
int cw_classify_packet(struct cw_classifier *c, struct cw_classify_flow *f, const uint8_t *l3,
                       size_t len, uint64_t ts_ms, uint16_t *proto);
/** Give up on a flow that is over: nDPI's best guess (may be its "Unknown"). */
uint16_t cw_classify_giveup(struct cw_classifier *c, struct cw_classify_flow *f);

/** Number of protocol ids (array size for per-protocol counters). */
unsigned cw_classify_nprotos(const struct cw_classifier *c);
const char *cw_classify_name(const struct cw_classifier *c, uint16_t proto);
enum cw_app cw_classify_app(uint16_t proto);

#endif
