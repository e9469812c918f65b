/* fuzz_sip.c - libFuzzer target for the SIP decoder: the input is decoded as one datagram and
 * as stream bytes (whole, and split in two at a point the input picks, as TCP reassembly
 * would feed it), and every event and return value is checked against the decode contract. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    const uint8_t *lo, *hi; /* the buffer being decoded: event text must point inside it */
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

static void check_str(const char *s, size_t cap)
{
    if (memchr(s, 0, cap) == NULL)
        abort(); /* not NUL-terminated inside its field */
}

static void on_event(void *user, const struct cw_event *ev)
{
    struct seen *s = user;
    check_str(ev->calling, sizeof ev->calling);
    check_str(ev->called, sizeof ev->called);
    check_str(ev->imsi, sizeof ev->imsi);
    check_str(ev->imei, sizeof ev->imei);
    if (ev->kind >= CW_EV__COUNT || ev->proto != CW_PROTO_SIP)
        abort();
    if (ev->text.len && (ev->text.p < s->lo || ev->text.len > (size_t)(s->hi - ev->text.p)))
        abort();
    s->n++;
    s->hash = mix(s->hash, &ev->kind, 1);
    s->hash = mix(s->hash, &ev->flags, 1);
    s->hash = mix(s->hash, ev->calling, strlen(ev->calling));
    s->hash = mix(s->hash, ev->called, strlen(ev->called));
    s->hash = mix(s->hash, ev->imsi, strlen(ev->imsi));
    s->hash = mix(s->hash, ev->text.p, ev->text.len);
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
    s->lo = buf;
    s->hi = buf + len;
    *consumed = (size_t)-1;
    *needed = (size_t)-1;
    int rc = cw_sip_decode(cw_slice_make(buf, len), &meta, &sink, &st, consumed, needed);
    free(buf);
    if (*consumed > len)
        abort();
    if (rc == CW_PARSE_OK && *consumed != len)
        abort();
    if (rc == CW_PARSE_INCOMPLETE && (!stream || *needed == 0 || *needed > CW_SIP_MAX_MSG))
        abort();
    if (rc != CW_PARSE_OK && rc != CW_PARSE_INCOMPLETE && rc != CW_PARSE_ERROR)
        abort();
    return rc;
}

static void check_uris(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    if (size)
        memcpy(buf, data, size);
    char out[CW_NUM_MAX], tiny[3];
    struct cw_slice whole = cw_slice_make(buf, size);
    if (cw_sip_uri_user(whole, out, sizeof out) > 1 ||
        cw_sip_uri_user(whole, tiny, sizeof tiny) > 1)
        abort();
    check_str(out, sizeof out);
    check_str(tiny, sizeof tiny);
    cw_sip_uri_user(whole, NULL, 0); /* no room at all: nothing written */
    (void)cw_sip_probe(whole);

    struct cw_sip_msg m;
    size_t consumed, needed;
    if (cw_sip_parse(buf, size, 0, &m, &consumed, &needed, NULL) == CW_PARSE_OK) {
        const struct cw_slice uris[] = {m.request_uri, m.from_uri, m.to_uri, m.pai_uri};
        for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
            if (uris[i].len && (uris[i].p < buf || uris[i].len > (size_t)(buf + size - uris[i].p)))
                abort();
            int r = cw_sip_uri_user(uris[i], out, sizeof out);
            if (r < -1 || r > 1)
                abort();
            check_str(out, sizeof out);
        }
        if (consumed > size || m.body.len > size)
            abort();
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen s;
    size_t consumed, needed;

    memset(&s, 0, sizeof s);
    decode(data, size, 0, &s, &consumed, &needed);
    if (s.n > 1)
        abort(); /* one message per datagram */

    /* The stream whole ... */
    struct seen whole;
    memset(&whole, 0, sizeof whole);
    int rc_whole = decode(data, size, 1, &whole, &consumed, &needed);

    /* ... and split in two: the same events, whatever the split. */
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
    check_uris(data, size);
    return 0;
}
