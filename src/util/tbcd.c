/* tbcd.c - telephony BCD digits. */
#include "util/tbcd.h"

int cw_tbcd_decode(const uint8_t *p, size_t len, char *out, size_t outsz)
{
    static const char digit[16] = "0123456789*#abc";
    size_t n = 0;
    int ended = 0;
    if (outsz == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
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
