/* fuzz_radius.c - libFuzzer target for the RADIUS decoder: the input is one UDP datagram,
 * decoded from an exactly-sized copy; the return value, counters and the event are checked
 * against the decode contract (station ids NUL-terminated, digits unless flagged alphanumeric,
 * printable ASCII when they are; IMSI of 6-15 digits; IMEI of 15 with a right Luhn digit). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/radius.h"
#include "util/imei.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t check_str(const char *s, size_t cap, int alnum)
{
    const char *nul = memchr(s, 0, cap);
    if (!nul)
        abort();
    for (const char *p = s; p < nul; p++)
        if (alnum ? (*p < 0x20 || *p > 0x7e) : (*p < '0' || *p > '9'))
            abort();
    return (size_t)(nul - s);
}

static void on_event(void *user, const struct cw_event *ev)
{
    unsigned *n = user;
    size_t calling = check_str(ev->calling, sizeof ev->calling, ev->flags & CW_EVF_CALLING_ALNUM);
    size_t called = check_str(ev->called, sizeof ev->called, ev->flags & CW_EVF_CALLED_ALNUM);
    size_t imsi = check_str(ev->imsi, sizeof ev->imsi, 0);
    size_t imei = check_str(ev->imei, sizeof ev->imei, 0);
    if ((imsi && imsi < 6) || imsi > 15 || (imei && imei != 15))
        abort();
    if (imei && cw_imei_luhn(ev->imei) != ev->imei[14])
        abort();
    /* a flag only with a value, and never both ALNUM and INTL */
    if ((!calling && (ev->flags & (CW_EVF_CALLING_ALNUM | CW_EVF_CALLING_INTL))) ||
        (!called && (ev->flags & (CW_EVF_CALLED_ALNUM | CW_EVF_CALLED_INTL))) ||
        ((ev->flags & CW_EVF_CALLING_ALNUM) && (ev->flags & CW_EVF_CALLING_INTL)) ||
        ((ev->flags & CW_EVF_CALLED_ALNUM) && (ev->flags & CW_EVF_CALLED_INTL)))
        abort();
    if (ev->kind != CW_EV_DATA_SESSION || ev->proto != CW_PROTO_RADIUS || ev->text.len)
        abort();
    if (ev->ts_us != 1767225600000000ull || ev->frame != 5 || ev->file_idx != 2)
        abort();
    (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    if (size)
        memcpy(buf, data, size);
    struct cw_pkt_meta meta = {1767225600000000ull, 5, 2, 0, NULL};
    unsigned n = 0;
    struct cw_event_sink sink = {on_event, &n, NULL};
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    size_t consumed = (size_t)-1, needed = (size_t)-1;
    int rc = cw_radius_decode(cw_slice_make(buf, size), &meta, &sink, &st, &consumed, &needed);
    free(buf);
    if (consumed != size || needed != 0)
        abort();
    uint64_t anomalies = 0;
    for (unsigned i = 0; i < CW_DA__COUNT; i++)
        anomalies += st.anomalies[i];
    if (rc == CW_PARSE_OK ? anomalies != 0 : (rc != CW_PARSE_ERROR || anomalies == 0))
        abort();
    /* one packet a datagram; an event exactly for a counted Accounting-Request */
    if (st.messages[CW_PROTO_RADIUS] > 1 || n > st.messages[CW_PROTO_RADIUS])
        abort();
    if (st.messages[CW_PROTO_RADIUS] && (n == 1) != (size >= 20 && data[0] == 4))
        abort();
    return 0;
}
