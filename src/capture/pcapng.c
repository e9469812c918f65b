/* pcapng.c - pcapng blocks (draft-ietf-opsawg-pcapng-02):
 *
 *   block: type(4) total_length(4) body total_length(4), body padded to 4 bytes
 *   SHB 0x0A0D0D0A: byte-order magic 0x1A2B3C4D(4) major(2) minor(2) section_length(8) options
 *   IDB 1: linktype(2) reserved(2) snaplen(4) options (if_tsresol = 9: 1 byte)
 *   EPB 6: interface(4) ts_high(4) ts_low(4) caplen(4) origlen(4) data options
 *   SPB 3: origlen(4) data (caplen = what the block holds, at most the snaplen)
 *   PB  2 (obsolete): interface(2) drops(2) ts_high(4) ts_low(4) caplen(4) origlen(4) data
 * Other blocks are skipped. Every length is checked against the block; a block larger than
 * CW_PCAPNG_MAX_BLOCK is refused as damage rather than allocated.
 */
#include "capture/pcapng.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define CW_PCAPNG_MAX_BLOCK (16u << 20)
#define MAX_IFACES 256

struct iface {
    int linktype;
    uint64_t units_per_s; /* timestamp resolution */
    uint32_t snaplen;
};

struct cw_pcapng {
    FILE *fp;
    const char *path;
    int swap; /* section written in the other byte order */
    int seen_shb;
    int first_linktype; /* of the file's first interface, found when opening */
    struct iface ifs[MAX_IFACES];
    unsigned nifs;
    uint8_t *buf;
    size_t cap;
    uint64_t frame;
};

static uint32_t rd32(const struct cw_pcapng *r, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return r->swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const struct cw_pcapng *r, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return r->swap ? __builtin_bswap16(v) : v;
}

int cw_pcapng_open(FILE *fp, const char *path, struct cw_pcapng **out, char *err, size_t errlen)
{
    struct cw_pcapng *r = calloc(1, sizeof *r);
    if (!r) {
        fclose(fp);
        snprintf(err, errlen, "%s: out of memory", path);
        return CW_ENOMEM;
    }
    r->fp = fp;
    r->path = path;
    /* The file's link type is its first interface's: look ahead for it, then start over. */
    struct cw_raw_pkt pkt;
    char scratch[256];
    for (int i = 0; i < 16 && r->nifs == 0; i++)
        if (cw_pcapng_next(r, &pkt, scratch, sizeof scratch) != 1 && r->nifs == 0)
            break;
    r->first_linktype = r->nifs ? r->ifs[0].linktype : 0;
    r->nifs = 0;
    r->seen_shb = 0;
    r->frame = 0;
    if (fseek(fp, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "%s: cannot seek", path);
        cw_pcapng_free(r);
        return CW_EIO;
    }
    *out = r;
    return 0;
}

void cw_pcapng_free(struct cw_pcapng *r)
{
    if (!r)
        return;
    fclose(r->fp);
    free(r->buf);
    free(r);
}

int cw_pcapng_linktype(const struct cw_pcapng *r)
{
    return r->first_linktype;
}

static int damaged(struct cw_pcapng *r, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s: after frame %llu: %s", r->path, (unsigned long long)r->frame,
             what);
    return CW_EFORMAT;
}

/* The options of an IDB: only if_tsresol matters here. */
static void idb_options(struct cw_pcapng *r, const uint8_t *p, size_t n, struct iface *ifc)
{
    while (n >= 4) {
        uint16_t code = rd16(r, p), len = rd16(r, p + 2);
        size_t padded = ((size_t)len + 3) & ~(size_t)3;
        if (code == 0 || padded > n - 4)
            return;
        if (code == 9 && len >= 1) {
            uint8_t v = p[4];
            uint64_t u = 1;
            unsigned e = v & 0x7f;
            if (e > 19 && !(v & 0x80))
                e = 19; /* beyond 10^19 does not fit: the resolution is nonsense anyway */
            if ((v & 0x80) && e > 63)
                e = 63;
            for (unsigned i = 0; i < e; i++)
                u = (v & 0x80) ? u * 2 : u * 10;
            ifc->units_per_s = u;
        }
        p += 4 + padded;
        n -= 4 + padded;
    }
}

static uint64_t to_us(const struct iface *ifc, uint64_t ts)
{
    uint64_t u = ifc->units_per_s ? ifc->units_per_s : 1000000;
    if (u == 1000000)
        return ts;
    if (u > 1000000)
        return ts / (u / 1000000); /* exact for powers of ten; close for powers of two */
    return ts * (1000000 / u);
}

int cw_pcapng_next(struct cw_pcapng *r, struct cw_raw_pkt *pkt, char *err, size_t errlen)
{
    for (;;) {
        uint8_t hdr[8];
        size_t got = fread(hdr, 1, 8, r->fp);
        if (got == 0 && feof(r->fp))
            return 0;
        if (got != 8)
            return damaged(r, err, errlen, "file ends inside a block header");
        uint32_t type;
        memcpy(&type, hdr, 4);
        if (type == CW_PCAPNG_SHB) {
            /* the byte-order magic decides how this section is read */
            uint8_t magic[4];
            if (fread(magic, 1, 4, r->fp) != 4)
                return damaged(r, err, errlen, "file ends inside a section header");
            uint32_t m;
            memcpy(&m, magic, 4);
            if (m == 0x1A2B3C4Du)
                r->swap = 0;
            else if (m == 0x4D3C2B1Au)
                r->swap = 1;
            else
                return damaged(r, err, errlen, "section header with a bad byte-order magic");
            r->nifs = 0; /* interfaces are numbered per section */
            r->seen_shb = 1;
            if (fseek(r->fp, -4, SEEK_CUR) != 0)
                return damaged(r, err, errlen, "cannot seek");
        } else if (!r->seen_shb) {
            return damaged(r, err, errlen, "does not start with a section header block");
        }
        uint32_t total = rd32(r, hdr + 4);
        if (type != CW_PCAPNG_SHB)
            type = rd32(r, hdr);
        if (total < 12 || total % 4 || total > CW_PCAPNG_MAX_BLOCK)
            return damaged(r, err, errlen, "block with an impossible length");
        size_t body = total - 12;
        if (body + 4 > r->cap) {
            size_t cap = r->cap ? r->cap : 65536;
            while (cap < body + 4)
                cap *= 2;
            uint8_t *nb = realloc(r->buf, cap);
            if (!nb)
                return damaged(r, err, errlen, "out of memory for a block");
            r->buf = nb;
            r->cap = cap;
        }
        if (fread(r->buf, 1, body + 4, r->fp) != body + 4)
            return damaged(r, err, errlen, "file ends inside a block");
        if (rd32(r, r->buf + body) != total)
            return damaged(r, err, errlen, "block lengths at its two ends differ");
        const uint8_t *b = r->buf;
        switch (type) {
        case 1: { /* IDB */
            if (body < 8)
                return damaged(r, err, errlen, "interface description block too short");
            if (r->nifs == MAX_IFACES)
                return damaged(r, err, errlen, "more interfaces than supported (256)");
            struct iface *ifc = &r->ifs[r->nifs++];
            ifc->linktype = rd16(r, b);
            ifc->snaplen = rd32(r, b + 4);
            ifc->units_per_s = 1000000;
            idb_options(r, b + 8, body - 8, ifc);
            continue;
        }
        case 6:   /* EPB */
        case 2: { /* PB */
            if (body < 20)
                return damaged(r, err, errlen, "packet block too short");
            uint32_t ifid = type == 6 ? rd32(r, b) : rd16(r, b);
            uint64_t ts = (uint64_t)rd32(r, b + 4) << 32 | rd32(r, b + 8);
            uint32_t caplen = rd32(r, b + 12), len = rd32(r, b + 16);
            if (ifid >= r->nifs)
                return damaged(r, err, errlen, "packet of an interface never described");
            if (caplen > body - 20)
                return damaged(r, err, errlen, "packet longer than its block");
            r->frame++;
            pkt->ts_us = to_us(&r->ifs[ifid], ts);
            pkt->data = b + 20;
            pkt->caplen = caplen;
            pkt->len = len < caplen ? caplen : len;
            pkt->frame = r->frame;
            pkt->linktype = r->ifs[ifid].linktype;
            return 1;
        }
        case 3: { /* SPB: interface 0, no timestamp */
            if (body < 4 || r->nifs == 0)
                return damaged(r, err, errlen, "simple packet block without an interface");
            uint32_t len = rd32(r, b);
            uint32_t caplen = (uint32_t)(body - 4);
            if (caplen > len)
                caplen = len;
            if (r->ifs[0].snaplen && caplen > r->ifs[0].snaplen)
                caplen = r->ifs[0].snaplen;
            r->frame++;
            pkt->ts_us = 0;
            pkt->data = b + 4;
            pkt->caplen = caplen;
            pkt->len = len;
            pkt->frame = r->frame;
            pkt->linktype = r->ifs[0].linktype;
            return 1;
        }
        default:
            continue; /* SHB, name resolution, statistics, custom blocks */
        }
    }
}
