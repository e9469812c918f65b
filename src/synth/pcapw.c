/* pcapw.c - classic pcap file writer (format in pcapw.h). */
#include "synth/pcapw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"

#define PCAPW_BUF (1u << 20)

struct cw_pcapw {
    FILE *f;
    char *buf;
    uint64_t count;
    int failed;
};

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

int cw_pcapw_open(const char *path, int linktype, struct cw_pcapw **w)
{
    if (!path || !w || linktype < 0)
        return CW_EINVAL;
    *w = NULL;
    struct cw_pcapw *pw = calloc(1, sizeof *pw);
    if (!pw)
        return CW_ENOMEM;
    pw->buf = malloc(PCAPW_BUF);
    if (!pw->buf) {
        free(pw);
        return CW_ENOMEM;
    }
    pw->f = fopen(path, "wb");
    if (!pw->f) {
        int e = errno;
        free(pw->buf);
        free(pw);
        errno = e;
        return CW_EIO;
    }
    setvbuf(pw->f, pw->buf, _IOFBF, PCAPW_BUF);
    uint8_t h[24];
    put_le32(h, 0xa1b2c3d4u);
    put_le16(h + 4, 2);
    put_le16(h + 6, 4);
    put_le32(h + 8, 0);  /* thiszone: timestamps are UTC */
    put_le32(h + 12, 0); /* sigfigs */
    put_le32(h + 16, CW_PCAPW_SNAPLEN);
    put_le32(h + 20, (uint32_t)linktype);
    if (fwrite(h, 1, sizeof h, pw->f) != sizeof h)
        pw->failed = 1;
    *w = pw;
    return pw->failed ? CW_EIO : 0;
}

int cw_pcapw_write(struct cw_pcapw *w, uint64_t ts_us, const void *data, size_t len)
{
    if (!w || (!data && len))
        return CW_EINVAL;
    if (w->failed)
        return CW_EIO;
    size_t cap = len > CW_PCAPW_SNAPLEN ? CW_PCAPW_SNAPLEN : len;
    uint32_t wire = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    uint8_t h[16];
    put_le32(h, (uint32_t)(ts_us / 1000000u));
    put_le32(h + 4, (uint32_t)(ts_us % 1000000u));
    put_le32(h + 8, (uint32_t)cap);
    put_le32(h + 12, wire);
    if (fwrite(h, 1, sizeof h, w->f) != sizeof h || (cap && fwrite(data, 1, cap, w->f) != cap)) {
        w->failed = 1;
        return CW_EIO;
    }
    w->count++;
    return 0;
}

uint64_t cw_pcapw_count(const struct cw_pcapw *w)
{
    return w ? w->count : 0;
}

int cw_pcapw_close(struct cw_pcapw *w)
{
    if (!w)
        return 0;
    int failed = w->failed;
    if (fflush(w->f) != 0 || ferror(w->f))
        failed = 1;
    if (fclose(w->f) != 0)
        failed = 1;
    free(w->buf);
    free(w);
    return failed ? CW_EIO : 0;
}
