/* fuzz_diameter.c - libFuzzer target for the Diameter decoder: the input is decoded as one SCTP
 * user message (datagram) and as stream bytes (whole, and split in two at a point the input
 * picks, as TCP reassembly would feed it), each from an exactly-sized copy, and every event and
 * return value is checked against the decode contract. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/diameter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    unsigned n;
    uint32_t hash; /* of everything the events say, to compare two ways of feeding a stream */
};

static uint32_t mix(uint32_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static void check_digits(const char *s, size_t cap, size_t max, int alnum)
{
    const char *nul = memchr(s, 0, cap);
    if (!nul || (size_t)(nul - s) > max)
        abort(); /* not NUL-terminated inside its field, or too long */
    for (const char *p = s; p < nul && !alnum; p++)
        if (*p < '0' || *p > '9')
            abort(); /* identities are digits, unless flagged as a name (an SMS's TP-OA/DA) */
}

static void on_event(void *user, const struct cw_event *ev)
{
    struct seen *s = user;
    int sms = ev->kind == CW_EV_SMS_MO || ev->kind == CW_EV_SMS_MT;
    check_digits(ev->calling, sizeof ev->calling, sizeof ev->calling - 1,
                 ev->flags & CW_EVF_CALLING_ALNUM);
    check_digits(ev->called, sizeof ev->called, sms ? sizeof ev->called - 1 : 0,
                 ev->flags & CW_EVF_CALLED_ALNUM);
    check_digits(ev->imsi, sizeof ev->imsi, 15, 0);
    check_digits(ev->imei, sizeof ev->imei, 15, 0);
    size_t imsi_len = strlen(ev->imsi), imei_len = strlen(ev->imei);
    if ((imsi_len && imsi_len < 6) || (imei_len && imei_len != 15))
        abort();
    if (ev->kind >= CW_EV__COUNT || ev->proto != CW_PROTO_DIAMETER || (ev->text.len && !sms))
        abort();
    volatile uint8_t x = 0;
    for (size_t i = 0; i < ev->text.len; i++) /* ASan: the text is live and in bounds */
        x ^= ev->text.p[i];
    (void)x;
    if (!sms && ev->calling[0] && !(ev->flags & CW_EVF_CALLING_INTL))
        abort();
    s->n++;
    s->hash = mix(s->hash, &ev->kind, 1);
    s->hash = mix(s->hash, &ev->flags, 1);
    s->hash = mix(s->hash, ev->calling, strlen(ev->calling));
    s->hash = mix(s->hash, ev->called, strlen(ev->called));
    s->hash = mix(s->hash, ev->text.p, ev->text.len);
    s->hash = mix(s->hash, ev->imsi, strlen(ev->imsi));
    s->hash = mix(s->hash, ev->imei, strlen(ev->imei));
}

/* Decode an exactly-sized copy of @p len bytes, checking the contract. */
static int decode(const uint8_t *data, size_t len, int stream, struct seen *s, size_t *consumed,
                  size_t *needed)
{
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    if (len)
        memcpy(buf, data, len);
    struct cw_pkt_meta meta = {1767225600000000ull, 1, 0, stream, NULL};
    struct cw_event_sink sink = {on_event, s, NULL};
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    *consumed = (size_t)-1;
    *needed = (size_t)-1;
    unsigned before = s->n;
    int rc = cw_diameter_decode(cw_slice_make(buf, len), &meta, &sink, &st, consumed, needed);
    free(buf);
    if (*consumed > len)
        abort();
    if (rc == CW_PARSE_OK && (*consumed != len || *needed != 0))
        abort();
    if (rc == CW_PARSE_INCOMPLETE &&
        (!stream || *needed == 0 || *needed > CW_DIAMETER_MAX_MSG ||
         len - *consumed + *needed > CW_DIAMETER_MAX_MSG))
        abort();
    if (rc != CW_PARSE_OK && rc != CW_PARSE_INCOMPLETE && rc != CW_PARSE_ERROR)
        abort();
    /* Every whole message is counted, and at most one event comes from each. */
    if (st.messages[CW_PROTO_DIAMETER] < s->n - before ||
        st.messages[CW_PROTO_DIAMETER] * 20 > *consumed)
        abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen dg, whole;
    size_t c0, n0, consumed, needed;

    /* One SCTP user message: the same messages as the stream, never a wait. */
    memset(&dg, 0, sizeof dg);
    int rc_dg = decode(data, size, 0, &dg, &c0, &n0);

    memset(&whole, 0, sizeof whole);
    int rc_whole = decode(data, size, 1, &whole, &consumed, &needed);
    if (dg.n != whole.n || dg.hash != whole.hash || c0 != consumed ||
        (rc_whole == CW_PARSE_OK) != (rc_dg == CW_PARSE_OK))
        abort();

    /* Split in two: the same events, whatever the split. */
    if (size > 1) {
        size_t cut = (size_t)(data[0] | (data[size - 1] << 8)) % size;
        struct seen split;
        memset(&split, 0, sizeof split);
        size_t c1, n1, c2, n2;
        int rc = decode(data, cut, 1, &split, &c1, &n1);
        if (rc == CW_PARSE_INCOMPLETE && n1 > 1 && cut - c1 + n1 - 1 <= size - c1) {
            /* needed is a lower bound: one byte fewer completes no message */
            struct seen less;
            memset(&less, 0, sizeof less);
            if (decode(data + c1, cut - c1 + n1 - 1, 1, &less, &c2, &n2) == CW_PARSE_OK ||
                less.n != 0)
                abort();
        }
        if (rc != CW_PARSE_ERROR) {
            int rc2 = decode(data + c1, size - c1, 1, &split, &c2, &n2);
            if (split.n != whole.n || split.hash != whole.hash || rc2 != rc_whole)
                abort();
        }
    }
    return 0;
}
