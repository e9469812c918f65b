/* fuzz_smpp.c - libFuzzer target for the SMPP decoder: the input is decoded as stream bytes
 * (whole, and split in two at a point the input picks, as TCP reassembly would feed it) and as
 * one datagram, from exactly-sized copies; every event and return value is checked against
 * the decode contract (decode.h, smpp.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/smpp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SMPP_MAX_PDU (64u * 1024u)

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

static void check_str(const char *s, size_t cap)
{
    if (memchr(s, 0, cap) == NULL)
        abort(); /* not NUL-terminated inside its field */
}

/* Well-formed UTF-8 (the converters write nothing else), shortest forms, no surrogates. */
static void check_utf8(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3;
            cp = c & 0x07;
        } else {
            abort();
        }
        if (k > n - i - 1)
            abort();
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                abort();
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            abort();
        i += k + 1;
    }
}

static void on_event(void *user, const struct cw_event *ev)
{
    struct seen *s = user;
    check_str(ev->calling, sizeof ev->calling);
    check_str(ev->called, sizeof ev->called);
    check_str(ev->imsi, sizeof ev->imsi);
    check_str(ev->imei, sizeof ev->imei);
    check_str(ev->account, sizeof ev->account);
    if ((ev->kind != CW_EV_SMS_MO && ev->kind != CW_EV_SMS_MT) || ev->proto != CW_PROTO_SMPP)
        abort();
    if (ev->imsi[0] || ev->imei[0])
        abort();
    if (ev->text.len && (!ev->text.p || ev->text.len > 8192))
        abort();
    check_utf8(ev->text.p, ev->text.len);
    s->n++;
    s->hash = mix(s->hash, &ev->kind, 1);
    s->hash = mix(s->hash, &ev->flags, 1);
    s->hash = mix(s->hash, ev->calling, strlen(ev->calling));
    s->hash = mix(s->hash, ev->called, strlen(ev->called));
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
    /* the flow's account, as the dissector keeps it: a bind writes it, events copy it */
    static char account[CW_ACCOUNT_MAX];
    struct cw_pkt_meta meta = {1767225600000000ull, 1, 0, stream, account};
    struct cw_event_sink sink = {on_event, s, NULL};
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    *consumed = (size_t)-1;
    *needed = (size_t)-1;
    int rc = cw_smpp_decode(cw_slice_make(buf, len), &meta, &sink, &st, consumed, needed);
    free(buf);
    if (!memchr(account, 0, sizeof account))
        abort();
    if (*consumed > len)
        abort();
    if (rc == CW_PARSE_OK && (*consumed != len || *needed != 0))
        abort();
    if (rc == CW_PARSE_INCOMPLETE &&
        (!stream || *needed == 0 || *needed > SMPP_MAX_PDU || *consumed == len))
        abort();
    if (rc != CW_PARSE_OK && rc != CW_PARSE_INCOMPLETE && rc != CW_PARSE_ERROR)
        abort();
    if (st.messages[CW_PROTO_SMPP] > len / 16)
        abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t consumed, needed;

    struct seen dg;
    memset(&dg, 0, sizeof dg);
    decode(data, size, 0, &dg, &consumed, &needed);

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
        if (rc == CW_PARSE_INCOMPLETE && cut - c1 + n1 <= size - c1) {
            /* needed is exact: with that many more bytes the next PDU is whole (or, when only
             * the header was missing, at least the header is) and one fewer completes none */
            struct seen more, less;
            memset(&more, 0, sizeof more);
            memset(&less, 0, sizeof less);
            size_t c3, n3;
            int r = decode(data + c1, cut - c1 + n1, 1, &more, &c3, &n3);
            if (r == CW_PARSE_INCOMPLETE && cut - c1 >= 4)
                abort();
            if (decode(data + c1, cut - c1 + n1 - 1, 1, &less, &c3, &n3) == CW_PARSE_OK &&
                cut - c1 + n1 - 1 > 0)
                abort();
            if (less.n != 0)
                abort();
        }
        if (rc != CW_PARSE_ERROR) {
            int rc2 = decode(data + c1, size - c1, 1, &split, &c2, &n2);
            if (split.n != whole.n || split.hash != whole.hash || rc2 != rc_whole)
                abort();
        }
    }
    /* A datagram gives the same events as the stream up to where the stream waits. */
    if (rc_whole == CW_PARSE_OK && (dg.n != whole.n || dg.hash != whole.hash))
        abort();
    return 0;
}
