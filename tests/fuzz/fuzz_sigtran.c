/* fuzz_sigtran.c - libFuzzer target for the SIGTRAN stack (M3UA or M2PA, MTP3, SCCP with XUDT
 * reassembly, then TCAP/MAP): the first input byte picks the layer, the rest is a run of
 * messages, each preceded by a 2-byte big-endian length, decoded from exactly-sized copies
 * through one long-lived reassembly state (so segments of one input meet). Checked: the return
 * value against the counters, records' strings NUL-terminated inside their fields, events
 * only from records, never from a returned message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/map.h"
#include "decode/sigtran.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct tally {
    unsigned recs, events, returned_recs;
};

static void nul_inside(const char *s, size_t cap)
{
    if (!memchr(s, 0, cap))
        abort();
}

static void on_trace(void *user, unsigned proto, const void *rec)
{
    struct tally *t = user;
    const struct cw_map_rec *r = rec;
    if (proto != CW_PROTO_MAP || r->otid_len > 4 || r->dtid_len > 4)
        abort();
    nul_inside(r->cdpa, sizeof r->cdpa);
    nul_inside(r->cgpa, sizeof r->cgpa);
    nul_inside(r->imsi, sizeof r->imsi);
    nul_inside(r->msisdn, sizeof r->msisdn);
    nul_inside(r->sc, sizeof r->sc);
    nul_inside(r->imei, sizeof r->imei);
    nul_inside(r->tp_oa, sizeof r->tp_oa);
    nul_inside(r->tp_da, sizeof r->tp_da);
    if (r->text.len && !r->text.p)
        abort();
    t->recs++;
    t->returned_recs += r->returned;
}

static void on_event(void *user, const struct cw_event *ev)
{
    struct tally *t = user;
    if (ev->proto != CW_PROTO_MAP || ev->kind >= CW_EV__COUNT)
        abort();
    nul_inside(ev->calling, sizeof ev->calling);
    nul_inside(ev->called, sizeof ev->called);
    nul_inside(ev->imsi, sizeof ev->imsi);
    nul_inside(ev->imei, sizeof ev->imei);
    t->events++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum cw_sigtran_layer layer = data[0] & 1 ? CW_SIGTRAN_M2PA : CW_SIGTRAN_M3UA;
    struct cw_sigtran *s;
    if (cw_sigtran_new(&s) != 0)
        abort();
    size_t at = 1;
    uint64_t frame = 1;
    while (at + 2 <= size) {
        size_t n = (size_t)data[at] << 8 | data[at + 1];
        at += 2;
        if (n > size - at)
            n = size - at;
        uint8_t *buf = malloc(n ? n : 1);
        if (!buf)
            abort();
        memcpy(buf, data + at, n);
        at += n;
        struct tally t = {0, 0, 0};
        struct cw_event_sink sink = {on_event, &t, on_trace};
        struct cw_decode_stats st;
        memset(&st, 0, sizeof st);
        struct cw_pkt_meta meta = {frame * 1000000ull, frame, 0, 0, NULL};
        int rc = cw_sigtran_decode(s, layer, cw_slice_make(buf, n), &meta, &sink, &st);
        free(buf);
        frame++;
        uint64_t anomalies = 0;
        for (unsigned i = 0; i < CW_DA__COUNT; i++)
            anomalies += st.anomalies[i];
        if (rc != CW_PARSE_OK && rc != CW_PARSE_ERROR)
            abort();
        if (rc == CW_PARSE_ERROR && anomalies == 0)
            abort(); /* a refusal always says why */
        if (t.events > t.recs || (t.returned_recs && t.returned_recs == t.recs && t.events))
            abort();
    }
    cw_sigtran_free(s);
    return 0;
}
