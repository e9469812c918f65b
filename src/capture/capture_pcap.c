/* capture_pcap.c - offline pcap/pcapng reading through libpcap (the only libpcap user). */
#include "capture/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/pcapng.h"
#include "util/error.h"

struct cw_capture {
    pcap_t *pcap;         /* classic pcap */
    struct cw_pcapng *ng; /* or pcapng */
    FILE *fp;             /* owned by pcap once opened; kept for ftell progress */
    char *path;
    int linktype;
    uint64_t frame;
    uint64_t size;
    int nsec; /* pcap timestamps in nanoseconds */
    char err[512];
};

/* Standard input: libpcap reads the header itself (no peeking, no rewinding a pipe). */
static int open_stdin(struct cw_capture **out, char *err, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(stdin, PCAP_TSTAMP_PRECISION_MICRO, perr);
    if (!p) {
        snprintf(err, errlen, "-: standard input: not a pcap capture (%s)", perr);
        return CW_EFORMAT;
    }
    struct cw_capture *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup("-"))) {
        free(c);
        pcap_close(p);
        snprintf(err, errlen, "-: out of memory");
        return CW_ENOMEM;
    }
    c->pcap = p;
    c->fp = stdin;
    c->linktype = pcap_datalink(p);
    if (c->linktype == DLT_RAW)
        c->linktype = 101;
    *out = c;
    return 0;
}

int cw_capture_open_file(const char *path, struct cw_capture **out, char *err, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    struct stat st;
    *out = NULL;
    if (strcmp(path, "-") == 0)
        return open_stdin(out, err, errlen);
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CW_EIO;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory, expected a pcap or pcapng file", path);
        return CW_EINVAL;
    }
    if (st.st_size == 0) {
        snprintf(err, errlen, "%s: empty file, expected a pcap or pcapng file", path);
        return CW_EFORMAT;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CW_EIO;
    }
    uint8_t magic[4] = {0};
    size_t got = fread(magic, 1, 4, fp);
    rewind(fp);
    uint32_t m;
    memcpy(&m, magic, 4);
    if (got == 4 && m == CW_PCAPNG_SHB) {
        struct cw_capture *c = calloc(1, sizeof *c);
        if (!c || !(c->path = strdup(path))) {
            free(c);
            fclose(fp);
            snprintf(err, errlen, "%s: out of memory", path);
            return CW_ENOMEM;
        }
        int rc = cw_pcapng_open(fp, c->path, &c->ng, err, errlen);
        if (rc) {
            free(c->path);
            free(c);
            return rc;
        }
        c->fp = fp;
        c->size = (uint64_t)st.st_size;
        *out = c;
        return 0;
    }
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, perr);
    if (!p) {
        fclose(fp);
        /* libpcap's wording ("unknown file format") is made clearer for people. */
        if (strstr(perr, "unknown file format") || strstr(perr, "truncated"))
            snprintf(err, errlen, "%s: not a pcap or pcapng capture file (%s)", path, perr);
        else
            snprintf(err, errlen, "%s: %s", path, perr);
        return CW_EFORMAT;
    }
    struct cw_capture *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        pcap_close(p);
        snprintf(err, errlen, "%s: out of memory", path);
        return CW_ENOMEM;
    }
    c->pcap = p;
    c->fp = fp;
    c->linktype = pcap_datalink(p); /* pcap_datalink_ext() is only the FCS/extension bits */
    /* pcap_datalink gives DLT_* values; map back to LINKTYPE_* where they differ. */
    if (c->linktype == DLT_RAW)
        c->linktype = 101;
    c->size = (uint64_t)st.st_size;
    *out = c;
    return 0;
}

int cw_capture_linktype(const struct cw_capture *c)
{
    return c->ng ? cw_pcapng_linktype(c->ng) : c->linktype;
}

int cw_capture_next(struct cw_capture *c, struct cw_raw_pkt *pkt)
{
    if (c->ng)
        return cw_pcapng_next(c->ng, pkt, c->err, sizeof c->err);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(c->pcap, &h, &data);
    if (rc == 1) {
        c->frame++;
        pkt->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        pkt->data = data;
        pkt->caplen = h->caplen;
        pkt->len = h->len;
        pkt->frame = c->frame;
        pkt->linktype = c->linktype;
        return 1;
    }
    if (rc == PCAP_ERROR_BREAK) /* -2: no more packets */
        return 0;
    snprintf(c->err, sizeof c->err, "%s: after frame %llu: %s", c->path,
             (unsigned long long)c->frame, pcap_geterr(c->pcap));
    return CW_EFORMAT;
}

const char *cw_capture_error(const struct cw_capture *c)
{
    return c->err;
}

void cw_capture_progress(const struct cw_capture *c, uint64_t *done, uint64_t *total)
{
    long pos = ftell(c->fp);
    *done = pos > 0 ? (uint64_t)pos : 0;
    *total = c->size;
}

void cw_capture_free(struct cw_capture *c)
{
    if (!c)
        return;
    if (c->ng)
        cw_pcapng_free(c->ng); /* closes fp */
    else
        pcap_close(c->pcap); /* closes fp */
    free(c->path);
    free(c);
}
