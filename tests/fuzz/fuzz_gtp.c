/* fuzz_gtp.c - libFuzzer target for the GTP-C decoder: the input is one UDP datagram, decoded
 * from an exactly-sized copy; the return value, counters and every event are checked against
 * the decode contract (digits-only identities, NUL-terminated inside their fields, IMEIs of 15
 * digits with a right Luhn digit, at most one event per counted message). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/gtp.h"
#include "util/imei.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t check_digits(const char *s, size_t cap, size_t max)
{
    const char *nul = memchr(s, 0, cap);
    if (!nul || (size_t)(nul - s) > max)
        abort(); /* not NUL-terminated inside its field, or too long */
    for (const char *p = s; p < nul; p++)
        if (*p < '0' || *p > '9')
            abort();
    return (size_t)(nul - s);
}

static void on_event(void *user, const struct cw_event *ev)
{
    unsigned *n = user;
    size_t calling = check_digits(ev->calling, sizeof ev->calling, sizeof ev->calling - 1);
    size_t imsi = check_digits(ev->imsi, sizeof ev->imsi, 15);
    size_t imei = check_digits(ev->imei, sizeof ev->imei, 15);
    check_digits(ev->called, sizeof ev->called, 0);
    if ((imsi && imsi < 6) || (imei && imei != 15) || (!calling && !imsi && !imei))
        abort();
    if (imei && cw_imei_luhn(ev->imei) != ev->imei[14])
        abort();
    if (ev->kind != CW_EV_DATA_SESSION || ev->proto != CW_PROTO_GTP || ev->text.len)
        abort();
    if (ev->flags & ~CW_EVF_CALLING_INTL)
        abort();
    if (ev->ts_us != 1767225600000000ull || ev->frame != 9 || ev->file_idx != 1)
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
    struct cw_pkt_meta meta = {1767225600000000ull, 9, 1, 0, NULL};
    unsigned n = 0;
    struct cw_event_sink sink = {on_event, &n, NULL};
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    size_t consumed = (size_t)-1, needed = (size_t)-1;
    int rc = cw_gtp_decode(cw_slice_make(buf, size), &meta, &sink, &st, &consumed, &needed);
    free(buf);
    if (consumed != size || needed != 0)
        abort();
    uint64_t anomalies = 0;
    for (unsigned i = 0; i < CW_DA__COUNT; i++)
        anomalies += st.anomalies[i];
    if (rc == CW_PARSE_OK ? anomalies != 0 : (rc != CW_PARSE_ERROR || anomalies == 0))
        abort();
    /* every message is at least 8 octets and gives at most one event */
    if (st.messages[CW_PROTO_GTP] < n || st.messages[CW_PROTO_GTP] * 8 > size)
        abort();
    for (unsigned p = 0; p < CW_PROTO__COUNT; p++)
        if (p != CW_PROTO_GTP && st.messages[p])
            abort();
    return 0;
}
