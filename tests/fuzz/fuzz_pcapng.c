/* fuzz_pcapng.c - libFuzzer target for the pcapng reader: the input is a capture file (read
 * from memory). Every packet handed out must lie inside the reader's block buffer as the
 * lengths say; damage must end in an error, never a crash or a runaway allocation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    FILE *fp = fmemopen(copy, size, "rb");
    if (!fp) {
        free(copy);
        return 0;
    }
    struct cw_pcapng *r;
    char err[512];
    if (cw_pcapng_open(fp, "fuzz.pcapng", &r, err, sizeof err) != 0) {
        free(copy);
        return 0;
    }
    struct cw_raw_pkt pkt;
    uint64_t last = 0;
    int rc;
    unsigned sum = 0;
    while ((rc = cw_pcapng_next(r, &pkt, err, sizeof err)) == 1) {
        if (pkt.frame != last + 1)
            abort();
        last = pkt.frame;
        for (uint32_t i = 0; i < pkt.caplen; i++) /* ASan checks every byte is really there */
            sum += pkt.data[i];
    }
    if (rc < 0 && strncmp(err, "fuzz.pcapng: ", 13) != 0)
        abort(); /* errors name the file */
    cw_pcapng_free(r);
    free(copy);
    return (int)(sum & 0);
}
