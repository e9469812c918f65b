/* fuzz_sms_text.c - libFuzzer target for the SMS text conversions (util/sms_text.h): every
 * converter on an exactly-sized copy of the input, into a roomy and into a small exactly-sized
 * output buffer; the output must be well-formed UTF-8, never longer than the buffer, the small
 * one a prefix of the roomy one cut at a character boundary, and CUT set exactly when cut. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/sms_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        size_t k = 9; /* continuation bytes after the lead byte; 9: not a lead byte */
        if (c < 0x80)
            k = 0;
        else if ((c & 0xE0) == 0xC0)
            k = 1;
        else if ((c & 0xF0) == 0xE0)
            k = 2;
        else if ((c & 0xF8) == 0xF0)
            k = 3;
        if (k == 9 || k > n - i - 1)
            abort();
        for (size_t j = 1; j <= k; j++)
            if ((p[i + j] & 0xC0) != 0x80)
                abort();
        i += k + 1;
    }
}

/* One conversion and its input; run() writes into (out, outsz) and returns the length. */
struct job {
    int which;
    const uint8_t *in;
    size_t n, nsept;
    unsigned fill;
};

static size_t run(const struct job *j, uint8_t *out, size_t outsz, unsigned *flags)
{
    switch (j->which) {
    case 0:
        return cw_sms_gsm7_to_utf8(j->in, j->n, out, outsz, flags);
    case 1:
        return cw_sms_gsm7_packed_to_utf8(j->in, j->n, j->nsept, j->fill, out, outsz, flags);
    case 2:
        return cw_sms_ucs2_to_utf8(j->in, j->n, out, outsz, flags);
    case 3:
        return cw_sms_latin1_to_utf8(j->in, j->n, out, outsz, flags);
    default:
        return cw_sms_ascii_to_utf8(j->in, j->n, out, outsz, flags);
    }
}

static void check(const struct job *j, size_t small)
{
    size_t cap = 3 * (j->which == 1 ? j->nsept : j->n) + 4;
    uint8_t *full = malloc(cap);
    uint8_t *part = malloc(small ? small : 1);
    if (!full || !part)
        abort();
    unsigned ff = 0, pf = 0;
    size_t fl = run(j, full, cap, &ff);
    if (fl > cap || (ff & CW_SMS_TEXT_CUT))
        abort(); /* 3 bytes per input unit always suffice */
    check_utf8(full, fl);
    size_t pl = run(j, small ? part : NULL, small, &pf);
    if (pl > small || pl > fl || memcmp(part, full, pl) != 0)
        abort();
    if (((pf & CW_SMS_TEXT_CUT) != 0) != (pl < fl))
        abort();
    if (pl < fl && (full[pl] & 0xC0) == 0x80)
        abort(); /* cut inside a character */
    if (pl < fl && pl + 4 <= small)
        abort(); /* cut although the next character would have fitted */
    free(full);
    free(part);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* data[0]: packed fill bits and a small output size; data[1]: septet count slack */
    unsigned fill = data[0] % 7;
    size_t small = data[0] >> 3;
    uint8_t *in = malloc(size - 2 ? size - 2 : 1);
    if (!in)
        abort();
    memcpy(in, data + 2, size - 2);
    size_t n = size - 2;
    for (int w = 0; w < 5; w++) {
        struct job j = {w, n ? in : NULL, n, 0, fill};
        j.nsept = (n * 8 + 6) / 7 + (data[1] & 3) - (n ? (data[1] >> 2) % 2 : 0);
        check(&j, small);
    }
    struct cw_sms_udh udh;
    if (cw_sms_udh_parse(n ? in : NULL, n, &udh) == 0) {
        if (udh.len < 1 || udh.len > n)
            abort();
    } else if (udh.len != 0 || udh.concat) {
        abort();
    }
    free(in);
    return 0;
}
