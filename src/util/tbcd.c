/* tbcd.c - telephony BCD digits. */
#include "util/tbcd.h"

#include <string.h>

int cw_tbcd_decode(const uint8_t *p, size_t len, char *out, size_t outsz)
{
    static const char digit[16] = "0123456789*#abc";
    size_t n = 0, i = 0;
    int ended = 0;
    if (outsz == 0)
        return -1;
    /* Two digits a byte while neither is a filler and both fit (the usual whole number) ... */
    for (; i < len && n + 2 < outsz; i++) {
        unsigned lo = p[i] & 0x0fu, hi = p[i] >> 4;
        if (lo == 0x0f || hi == 0x0f)
            break;
        out[n++] = digit[lo];
        out[n++] = digit[hi];
    }
    /* ... then nibble by nibble: the filler, what follows it, running out of room. */
    for (; i < len; i++) {
        unsigned nib[2] = {p[i] & 0x0fu, p[i] >> 4};
        for (int k = 0; k < 2; k++) {
            if (nib[k] == 0x0f) {
                ended = 1;
                continue;
            }
            if (ended || n + 1 >= outsz)
                return -1;
            out[n++] = digit[nib[k]];
        }
    }
    out[n] = 0;
    return (int)n;
}

int cw_tbcd_digits(const uint8_t *p, size_t len, size_t min, size_t max, char *out,
                   size_t outsz)
{
    char tmp[2 * 20 + 1];
    if (len == 0 || len > 20)
        return -1;
    int n = cw_tbcd_decode(p, len, tmp, sizeof tmp);
    if (n < 0 || (size_t)n < min || (size_t)n > max || (size_t)n >= outsz)
        return -1;
    for (int i = 0; i < n; i++)
        if (tmp[i] < '0' || tmp[i] > '9')
            return -1;
    memcpy(out, tmp, (size_t)n + 1);
    return n;
}
