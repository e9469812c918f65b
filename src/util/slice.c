/* slice.c - helpers on borrowed byte ranges. */
#include "util/slice.h"

struct cw_slice cw_slice_trim(struct cw_slice a)
{
    while (a.len && (a.p[0] == ' ' || a.p[0] == '\t')) {
        a.p++;
        a.len--;
    }
    while (a.len && (a.p[a.len - 1] == ' ' || a.p[a.len - 1] == '\t'))
        a.len--;
    return a;
}

int cw_slice_to_u64(struct cw_slice a, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (a.len == 0)
        return -1;
    for (size_t i = 0; i < a.len; i++) {
        if (a.p[i] < '0' || a.p[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(a.p[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}
