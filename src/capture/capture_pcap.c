/* capture_pcap.c - pcap/pcapng files and live Linux interfaces through libpcap (the only
 * libpcap user).
 *
 * Live captures use libpcap's TPACKET_V3 ring: the kernel fills blocks of packets and hands a
 * block over when it is full or when its timeout expires. libpcap then blocks in poll() with no
 * timeout (it counts on the block timeout, which never fires while a block is empty), so on an
 * idle interface pcap_next_ex would never return. Hence the handle is non-blocking and
 * cw_capture_next does its own poll() with the timeout, over the socket and an eventfd that
 * cw_capture_break writes to. */
#include "capture/capture.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
    /* live */
    int live;
    int wake;       /* eventfd written by cw_capture_break; -1 for files */
    int timeout_ms; /* cw_capture_next's wait */
    unsigned last_recv, last_drop, last_ifdrop; /* libpcap's 32-bit counters when last read */
    struct cw_capture_stats totals;
    char err[512];
};

/* pcap_datalink gives DLT_* values; map back to LINKTYPE_* where they differ. */
static int linktype_of(pcap_t *p)
{
    int dlt = pcap_datalink(p); /* pcap_datalink_ext() is only the FCS/extension bits */
    return dlt == DLT_RAW ? 101 : dlt;
}

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
    c->wake = -1;
    c->linktype = linktype_of(p);
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
        c->wake = -1;
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
    c->wake = -1;
    c->linktype = linktype_of(p);
    c->size = (uint64_t)st.st_size;
    *out = c;
    return 0;
}

/* ---- live ---- */

/* "IFACE: reason" for a failed pcap_activate (libpcap's own words say little to people). */
static int activate_error(pcap_t *p, int rc, const char *iface, char *err, size_t errlen)
{
    const char *why = pcap_geterr(p);
    if (!why || !*why)
        why = pcap_statustostr(rc);
    switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        snprintf(err, errlen, "%s: no such interface", iface);
        return CW_ENOTFOUND;
    case PCAP_ERROR_PERM_DENIED:
        snprintf(err, errlen, "%s: capture needs root or CAP_NET_RAW (permission denied)", iface);
        return CW_EIO;
    case PCAP_ERROR_PROMISC_PERM_DENIED:
        snprintf(err, errlen, "%s: promiscuous mode not permitted (%s)", iface, why);
        return CW_EIO;
    case PCAP_ERROR_IFACE_NOT_UP:
        snprintf(err, errlen, "%s: interface is down", iface);
        return CW_EIO;
    default: snprintf(err, errlen, "%s: cannot capture: %s", iface, why); return CW_EIO;
    }
}

static int join_fanout(int fd, int group, const char *iface, char *err, size_t errlen)
{
    uint32_t val = (uint32_t)(group & 0xffff) |
                   (uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16;
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof val) == 0)
        return 0;
    int e = errno;
    if (e == ENOPROTOOPT)
        snprintf(err, errlen, "%s: packet fanout not supported by this kernel", iface);
    else if (e == EINVAL)
        snprintf(err, errlen,
                 "%s: cannot join fanout group %d: it exists with other settings (another "
                 "interface or mode), or the kernel lacks hash/defrag fanout",
                 iface, group & 0xffff);
    else
        snprintf(err, errlen, "%s: cannot join fanout group %d: %s", iface, group & 0xffff,
                 strerror(e));
    return CW_EUNSUPPORTED;
}

int cw_capture_open_live(const struct cw_live_opts *o, struct cw_capture **out, char *err,
                         size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = NULL;
    struct cw_capture *c = NULL;
    int rc;
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (!o || !o->iface || !*o->iface) {
        snprintf(err, errlen, "live capture: no interface given");
        return CW_EINVAL;
    }
    const char *iface = o->iface;
    int snaplen = o->snaplen ? o->snaplen : 65535;
    int mib = o->buffer_mib ? o->buffer_mib : 64;
    int timeout = o->timeout_ms ? o->timeout_ms : 100;
    if (snaplen < 64 || snaplen > 262144) {
        snprintf(err, errlen, "%s: snaplen %d out of range (64..262144)", iface, o->snaplen);
        return CW_EINVAL;
    }
    if (mib < 1 || mib > 2047) {
        snprintf(err, errlen, "%s: buffer of %d MiB out of range (1..2047)", iface, o->buffer_mib);
        return CW_EINVAL;
    }
    if (timeout < 1) {
        snprintf(err, errlen, "%s: timeout %d ms out of range", iface, o->timeout_ms);
        return CW_EINVAL;
    }
    c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(iface))) {
        snprintf(err, errlen, "%s: out of memory", iface);
        rc = CW_ENOMEM;
        goto fail;
    }
    c->wake = -1;
    c->live = 1;
    c->timeout_ms = timeout;
    c->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->wake < 0) {
        snprintf(err, errlen, "%s: eventfd: %s", iface, strerror(errno));
        rc = CW_EIO;
        goto fail;
    }
    p = pcap_create(iface, perr);
    if (!p) {
        snprintf(err, errlen, "%s: %s", iface, perr);
        rc = CW_EIO;
        goto fail;
    }
    /* Immediate mode would make libpcap use TPACKET_V2 (a wakeup per packet); off, it uses
     * TPACKET_V3 blocks, handed over when full or after the block timeout (libpcap's timeout),
     * which bounds the latency of a packet, not the wait in cw_capture_next. */
    if (pcap_set_snaplen(p, snaplen) || pcap_set_buffer_size(p, mib << 20) ||
        pcap_set_timeout(p, timeout < 100 ? timeout : 100) ||
        pcap_set_promisc(p, o->promisc ? 1 : 0) || pcap_set_immediate_mode(p, 0)) {
        snprintf(err, errlen, "%s: cannot set capture options: %s", iface, pcap_geterr(p));
        rc = CW_EIO;
        goto fail;
    }
    int act = pcap_activate(p);
    if (act < 0) {
        rc = activate_error(p, act, iface, err, errlen);
        goto fail;
    }
    if (act > 0) /* a warning: capture works */
        snprintf(err, errlen, "%s: warning: %s", iface,
                 *pcap_geterr(p) ? pcap_geterr(p) : pcap_statustostr(act));
    if (o->bpf && *o->bpf) {
        bpf_u_int32 net = 0, mask = PCAP_NETMASK_UNKNOWN;
        if (pcap_lookupnet(iface, &net, &mask, perr) < 0)
            mask = PCAP_NETMASK_UNKNOWN; /* no IPv4 address: only "ip broadcast" cares */
        struct bpf_program prog;
        if (pcap_compile(p, &prog, o->bpf, 1, mask) < 0) {
            snprintf(err, errlen, "%s: filter '%s': %s", iface, o->bpf, pcap_geterr(p));
            rc = CW_EINVAL;
            goto fail;
        }
        int set = pcap_setfilter(p, &prog);
        pcap_freecode(&prog);
        if (set < 0) {
            snprintf(err, errlen, "%s: filter '%s': %s", iface, o->bpf, pcap_geterr(p));
            rc = CW_EINVAL;
            goto fail;
        }
    }
    if (pcap_setnonblock(p, 1, perr) < 0) {
        snprintf(err, errlen, "%s: cannot make the capture non-blocking: %s", iface, perr);
        rc = CW_EIO;
        goto fail;
    }
    if (o->fanout_group) {
        rc = join_fanout(pcap_fileno(p), o->fanout_group, iface, err, errlen);
        if (rc)
            goto fail;
    }
    c->pcap = p;
    c->linktype = linktype_of(p);
    *out = c;
    return 0;
fail:
    if (p)
        pcap_close(p);
    if (c && c->wake >= 0)
        close(c->wake);
    if (c)
        free(c->path);
    free(c);
    return rc;
}

int cw_capture_is_live(const struct cw_capture *c)
{
    return c->live;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fill(struct cw_capture *c, const struct pcap_pkthdr *h, const u_char *data,
                 struct cw_raw_pkt *pkt)
{
    c->frame++;
    pkt->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
    pkt->data = data;
    pkt->caplen = h->caplen;
    pkt->len = h->len;
    pkt->frame = c->frame;
    pkt->linktype = c->linktype;
}

static int live_next(struct cw_capture *c, struct cw_raw_pkt *pkt)
{
    int64_t deadline = 0;
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(c->pcap, &h, &data);
        if (rc == 1) {
            fill(c, h, data, pkt);
            return 1;
        }
        if (rc == PCAP_ERROR_BREAK)
            return 0;
        if (rc < 0) {
            snprintf(c->err, sizeof c->err, "%s: after packet %llu: %s", c->path,
                     (unsigned long long)c->frame, pcap_geterr(c->pcap));
            return CW_EIO;
        }
        /* Nothing ready: wait for a block to be handed over, a break, or the timeout. */
        int64_t now = now_ms();
        if (!deadline)
            deadline = now + c->timeout_ms;
        if (now >= deadline)
            return 0;
        struct pollfd pf[2] = {{pcap_fileno(c->pcap), POLLIN, 0}, {c->wake, POLLIN, 0}};
        int n = poll(pf, 2, (int)(deadline - now));
        if (n == 0 || (n < 0 && errno == EINTR)) /* a signal: let the caller look at it */
            return 0;
        if (n < 0) {
            snprintf(c->err, sizeof c->err, "%s: after packet %llu: poll: %s", c->path,
                     (unsigned long long)c->frame, strerror(errno));
            return CW_EIO;
        }
        if (pf[1].revents & POLLIN) {
            uint64_t v;
            ssize_t r = read(c->wake, &v, sizeof v); /* EAGAIN: already drained */
            (void)r;
            return 0;
        }
        if (pf[0].revents & POLLNVAL) {
            snprintf(c->err, sizeof c->err, "%s: after packet %llu: capture socket closed", c->path,
                     (unsigned long long)c->frame);
            return CW_EIO;
        }
        /* POLLIN, or POLLERR that libpcap reads and reports on the next pcap_next_ex */
    }
}

int cw_capture_stats(struct cw_capture *c, struct cw_capture_stats *st)
{
    if (!c->live)
        return CW_EUNSUPPORTED;
    struct pcap_stat ps;
    if (pcap_stats(c->pcap, &ps) < 0) {
        snprintf(c->err, sizeof c->err, "%s: statistics: %s", c->path, pcap_geterr(c->pcap));
        return CW_EIO;
    }
    /* libpcap's totals are 32-bit and wrap: add the differences (unsigned arithmetic). */
    c->totals.received += (unsigned)(ps.ps_recv - c->last_recv);
    c->totals.dropped += (unsigned)(ps.ps_drop - c->last_drop);
    c->totals.ifdropped += (unsigned)(ps.ps_ifdrop - c->last_ifdrop);
    c->last_recv = ps.ps_recv;
    c->last_drop = ps.ps_drop;
    c->last_ifdrop = ps.ps_ifdrop;
    *st = c->totals;
    return 0;
}

void cw_capture_break(struct cw_capture *c)
{
    if (!c || c->wake < 0)
        return;
    uint64_t one = 1;
    /* write(2) is async-signal-safe; a full counter (EAGAIN) means a wakeup is pending anyway */
    ssize_t r = write(c->wake, &one, sizeof one);
    (void)r;
}

int cw_capture_linktype(const struct cw_capture *c)
{
    return c->ng ? cw_pcapng_linktype(c->ng) : c->linktype;
}

int cw_capture_next(struct cw_capture *c, struct cw_raw_pkt *pkt)
{
    if (c->ng)
        return cw_pcapng_next(c->ng, pkt, c->err, sizeof c->err);
    if (c->live)
        return live_next(c, pkt);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(c->pcap, &h, &data);
    if (rc == 1) {
        fill(c, h, data, pkt);
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
    if (c->live) {
        *done = *total = 0;
        return;
    }
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
    if (c->wake >= 0)
        close(c->wake);
    free(c->path);
    free(c);
}
