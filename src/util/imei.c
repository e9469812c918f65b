/* imei.c - IMEI normalisation with the Luhn check digit. */
#include "util/imei.h"

#include <string.h>

char cw_imei_luhn(const char *d)
{
    unsigned sum = 0;
    for (int i = 0; i < 14; i++) {
        unsigned v = (unsigned)(d[i] - '0');
        if (i & 1) { /* every second digit from the left is doubled */
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return (char)('0' + (10 - sum % 10) % 10);
}

int cw_imei_normalize(const char *in, size_t n, char out[16])
{
    if (n < 14 || n > 16)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (in[i] < '0' || in[i] > '9')
            return -1;
    memcpy(out, in, 14);
    out[14] = cw_imei_luhn(out);
    out[15] = 0;
    return 0;
}
