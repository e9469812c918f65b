/* decoder_test.h - what the datagram decoders' cmocka tests share: an event sink that keeps
 * copies, the anomaly count, and a decode call on an exactly-sized copy (ASan sees any read
 * past the end) that checks the datagram contract. */
#ifndef CW_TEST_DECODER_TEST_H
#define CW_TEST_DECODER_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

#define TU_MAX_EV 16

struct tu_cap {
    int n; /* events seen (may exceed TU_MAX_EV; only the first are kept) */
    struct cw_event ev[TU_MAX_EV];
    char text[TU_MAX_EV][512]; /* copies of the texts (ev[i].text points here), cut to 511 */
};

/** Event sink callback: @p user is a struct tu_cap. Keeps a copy of each event and its text. */
void tu_cap_event(void *user, const struct cw_event *ev);

/** All anomalies counted in @p st. */
uint64_t tu_anomalies(const struct cw_decode_stats *st);

typedef int (*tu_decode_fn)(struct cw_slice data, const struct cw_pkt_meta *meta,
                            const struct cw_event_sink *sink, struct cw_decode_stats *st,
                            size_t *consumed, size_t *needed);

/**
 * Decode @p len bytes of @p msg as one datagram with @p fn, from an exactly-sized heap copy,
 * into a cleared @p c and @p st. Asserts the datagram contract (all bytes consumed, nothing
 * needed, OK or ERROR) and returns the status.
 */
int tu_decode_datagram(tu_decode_fn fn, const void *msg, size_t len,
                       const struct cw_pkt_meta *meta, struct tu_cap *c,
                       struct cw_decode_stats *st);

#endif
