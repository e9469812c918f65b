/* fuzz_sms_tpdu.c - libFuzzer target for RP messages and SMS TPDUs: the input as an RP message
 * and as a TPDU in both directions, in an exactly-sized buffer. The address must be a NUL-ended
 * string, the text must fit the buffer given, and a small buffer must give a prefix of the
 * text a large one gives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/sms_tpdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(struct cw_slice s, int m2n)
{
    struct cw_sms_tpdu t, t2;
    uint8_t big[1024], small[7];
    int rc = cw_sms_tpdu_parse(s, m2n, &t, big, sizeof big);
    if (rc < -1 || rc > 1)
        abort();
    if (rc != 0)
        return;
    if (!memchr(t.addr, 0, sizeof t.addr) || t.text_len > sizeof big)
        abort();
    if (cw_sms_tpdu_parse(s, m2n, &t2, small, sizeof small) != 0 || t2.text_len > sizeof small ||
        t2.text_len > t.text_len || memcmp(small, big, t2.text_len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    struct cw_slice in = cw_slice_make(copy, size);
    one(in, 0);
    one(in, 1);
    struct cw_slice tpdu;
    int m2n;
    if (cw_sms_rp_parse(in, &tpdu, &m2n) == 0) {
        if (tpdu.p < copy || tpdu.p + tpdu.len > copy + size)
            abort();
        one(tpdu, m2n);
    }
    free(copy);
    return 0;
}
