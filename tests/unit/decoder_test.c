/* decoder_test.c - shared helpers of the decoder tests (decoder_test.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decoder_test.h"

void tu_cap_event(void *user, const struct cw_event *ev)
{
    struct tu_cap *c = user;
    if (c->n < TU_MAX_EV) {
        size_t n = ev->text.len < sizeof c->text[0] ? ev->text.len : sizeof c->text[0] - 1;
        if (n)
            memcpy(c->text[c->n], ev->text.p, n);
        c->text[c->n][n] = 0;
        c->ev[c->n] = *ev;
        c->ev[c->n].text = cw_slice_make(c->text[c->n], n);
    }
    c->n++;
}

uint64_t tu_anomalies(const struct cw_decode_stats *st)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < CW_DA__COUNT; i++)
        n += st->anomalies[i];
    return n;
}

int tu_decode_datagram(tu_decode_fn fn, const void *msg, size_t len,
                       const struct cw_pkt_meta *meta, struct tu_cap *c,
                       struct cw_decode_stats *st)
{
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    if (len)
        memcpy(buf, msg, len);
    struct cw_event_sink sink = {tu_cap_event, c, NULL};
    size_t consumed = 12345, needed = 12345;
    memset(c, 0, sizeof *c);
    memset(st, 0, sizeof *st);
    int rc = fn(cw_slice_make(buf, len), meta, &sink, st, &consumed, &needed);
    free(buf);
    assert_int_equal(consumed, len);
    assert_int_equal(needed, 0);
    assert_true(rc == CW_PARSE_OK || rc == CW_PARSE_ERROR);
    return rc;
}
