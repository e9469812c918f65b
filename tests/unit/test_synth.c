/* test_synth.c - the synthetic data generator: PRNG permutations, frame builders, the pcap
 * writer, and the data set (formats, invariants of the planted black cards, over-quota and
 * nationwide over-limit IDs, bad outlets, old ID numbers; determinism). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <strings.h>

#include <cmocka.h>

#include "store/idcard.h"
#include "synth/enc.h"
#include "synth/pcapw.h"
#include "synth/pktbuild.h"
#include "synth/rng.h"
#include "synth/synth.h"
#include "corpus.h"
#include "testutil.h"
#include "util/error.h"

/* ---------------------------------------------------------------------------------------- */
/* small helpers */

/* The provinces synth's carrier serves: the mainland's 31 (the table lists 71, 81, 82 last). */
static size_t mainland(void)
{
    size_t n = 0;
    while (n < cw_province_count() && cw_province_code_at(n)[0] < '7')
        n++;
    assert_int_equal(n, 31);
    return n;
}

/* cells.csv: prefixes and provinces. */
struct cells {
    char prefix[64][16], prov[64][3];
    size_t n;
};

static char *read_in(const char *dir, const char *name, size_t *len);
static char *next_line(char **cur);
static int split(char *line, char **f, int max);

/* Read DIR/cells.csv and check it: the header, then "46000-XX,PP" for each mainland province
 * in the table's order, XX the province code's number in 2 lowercase hex digits. */
static void read_cells(const char *dir, struct cells *c)
{
    size_t len;
    char *d = read_in(dir, "cells.csv", &len), *cur = d, *line;
    memset(c, 0, sizeof *c);
    assert_int_equal(strncmp(d, "cell_prefix,province\n", 21), 0);
    next_line(&cur);
    while ((line = next_line(&cur))) {
        char *f[3], want[16];
        assert_int_equal(split(line, f, 3), 2);
        assert_true(c->n < mainland());
        const char *prov = cw_province_code_at(c->n);
        snprintf(want, sizeof want, "46000-%02x", (unsigned)atoi(prov));
        assert_string_equal(f[0], want);
        assert_string_equal(f[1], prov);
        snprintf(c->prefix[c->n], sizeof c->prefix[0], "%s", f[0]);
        snprintf(c->prov[c->n], sizeof c->prov[0], "%s", f[1]);
        c->n++;
    }
    assert_true(c->n == mainland());
    free(d);
}

/* The province of a cell string by the longest matching prefix; "" when none matches. */
static const char *cell_province(const struct cells *c, const char *cell)
{
    const char *best = "";
    size_t blen = 0;
    for (size_t i = 0; i < c->n; i++) {
        size_t k = strlen(c->prefix[i]);
        if (k > blen && !strncmp(cell, c->prefix[i], k)) {
            best = c->prov[i];
            blen = k;
        }
    }
    return best;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
    for (; n >= 2; p += 2, n -= 2)
        sum += be16(p);
    if (n)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static char *read_in(const char *dir, const char *name, size_t *len)
{
    char *p = path_in(dir, name);
    char *data = tu_read_file(p, len);
    free(p);
    assert_non_null(data);
    return data;
}

static int contains(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, n))
            return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Split a CSV line (no quoting in synth's files) in place; returns the field count. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == ',') {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

/* Next line of a buffer (modified in place), NULL at the end. */
static char *next_line(char **cur)
{
    char *s = *cur;
    if (!s || !*s)
        return NULL;
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = 0;
        *cur = nl + 1;
    } else {
        *cur = s + strlen(s);
    }
    return s;
}

/* ---------------------------------------------------------------------------------------- */
/* rng.h */

static void test_rng_deterministic(void **state)
{
    (void)state;
    struct cw_rng a, b, c;
    cw_rng_seed(&a, 42);
    cw_rng_seed(&b, 42);
    cw_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = cw_rng_next(&a), y = cw_rng_next(&b), z = cw_rng_next(&c);
        assert_true(x == y);
        differ |= x != z;
    }
    assert_true(differ);
    /* splitmix64's published first output for seed 0 */
    uint64_t s = 0;
    assert_true(cw_splitmix64(&s) == 0xe220a8397b1dcdafull);
    for (int i = 0; i < 1000; i++) {
        uint64_t v = cw_rng_below(&a, 7);
        assert_true(v < 7);
        double u = cw_rng_unit(&a);
        assert_true(u >= 0.0 && u < 1.0);
        uint64_t r = cw_rng_range(&a, 5, 9);
        assert_true(r >= 5 && r <= 9);
    }
}

static void test_perm_bijective(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {1, 2, 3, 7, 100, 1000, 4096, 4097, 65537};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint64_t n = sizes[k];
        uint8_t *hit = calloc(n, 1);
        struct cw_perm p;
        cw_perm_init(&p, n, 1234 + k);
        uint64_t fixed = 0;
        for (uint64_t x = 0; x < n; x++) {
            uint64_t y = cw_perm_fwd(&p, x);
            assert_true(y < n);
            assert_int_equal(hit[y], 0);
            hit[y] = 1;
            assert_true(cw_perm_inv(&p, y) == x);
            fixed += y == x;
        }
        if (n >= 1000)
            assert_true(fixed < n / 100); /* it does shuffle */
        free(hit);
    }
    /* large domains: round trips */
    struct cw_perm p;
    cw_perm_init(&p, 1900000000ull, 99);
    for (uint64_t x = 0; x < 100000; x += 7) {
        uint64_t y = cw_perm_fwd(&p, x);
        assert_true(y < 1900000000ull);
        assert_true(cw_perm_inv(&p, y) == x);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* pktbuild */

static void check_ipv4_frame(const uint8_t *f, size_t n, size_t l3off, uint8_t proto, size_t paylen)
{
    const uint8_t *ip = f + l3off;
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(be16(ip + 2), n - l3off);
    assert_int_equal(ip[9], proto);
    assert_int_equal(fold(sum16(ip, 20, 0)), 0xffff); /* header checksum */
    size_t l4len = n - l3off - 20;
    assert_int_equal(l4len, paylen + (proto == 17 ? 8 : 20));
    uint8_t ph[12] = {0};
    memcpy(ph, ip + 12, 8);
    ph[9] = proto;
    ph[10] = (uint8_t)(l4len >> 8);
    ph[11] = (uint8_t)l4len;
    assert_int_equal(fold(sum16(ip + 20, l4len, sum16(ph, 12, 0))), 0xffff);
}

static void test_pkt_udp4(void **state)
{
    (void)state;
    struct cw_pkt_addr a;
    memset(&a, 0, sizeof a);
    assert_int_equal(cw_pkt_addr_set(&a, "10.0.0.1", "192.168.1.200"), 0);
    a.sport = 5060;
    a.dport = 5062;
    a.ip_id = 0x1234;
    uint8_t f[256];
    const char *msg = "OPTIONS sip:x SIP/2.0\r\n\r\n!"; /* odd length */
    size_t len = strlen(msg);
    size_t n = cw_pkt_build_udp(f, sizeof f, &a, msg, len);
    assert_int_equal(n, 14 + 20 + 8 + len);
    assert_int_equal(be16(f + 12), 0x0800);
    assert_int_equal(f[6], 0x02); /* default MACs */
    assert_int_equal(f[11], 0x01);
    assert_int_equal(f[5], 0x02);
    check_ipv4_frame(f, n, 14, 17, len);
    assert_int_equal(be16(f + 34), 5060);
    assert_int_equal(be16(f + 36), 5062);
    assert_int_equal(be16(f + 38), 8 + len);
    assert_memory_equal(f + 42, msg, len);
    assert_int_equal(f[26], 10);
    assert_int_equal(f[33], 200);
    /* too small a buffer: 0, at every length short of the frame */
    for (size_t cap = 0; cap < n; cap++)
        assert_int_equal(cw_pkt_build_udp(f, cap, &a, msg, len), 0);
    assert_int_equal(cw_pkt_build_udp(f, n, &a, msg, len), n);
    /* empty payload */
    assert_int_equal(cw_pkt_build_udp(f, sizeof f, &a, NULL, 0), 42);
    check_ipv4_frame(f, 42, 14, 17, 0);
    /* invalid */
    a.ipver = 5;
    assert_int_equal(cw_pkt_build_udp(f, sizeof f, &a, msg, len), 0);
    assert_int_equal(cw_pkt_addr_set(&a, "10.0.0.300", "10.0.0.1"), CW_EINVAL);
}

static void test_pkt_vlan_tcp4(void **state)
{
    (void)state;
    struct cw_pkt_addr a;
    memset(&a, 0, sizeof a);
    assert_int_equal(cw_pkt_addr_set(&a, "10.1.2.3", "10.3.2.1"), 0);
    a.sport = 40000;
    a.dport = 2775;
    a.vlan = 100;
    a.tcp_seq = 0xdeadbeef;
    a.tcp_ack = 7;
    uint8_t f[256];
    const uint8_t pdu[] = {0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1};
    size_t n = cw_pkt_build_tcp(f, sizeof f, &a, pdu, sizeof pdu);
    assert_int_equal(n, 14 + 4 + 20 + 20 + sizeof pdu);
    assert_int_equal(be16(f + 12), 0x8100);
    assert_int_equal(be16(f + 14), 100);
    assert_int_equal(be16(f + 16), 0x0800);
    check_ipv4_frame(f, n, 18, 6, sizeof pdu);
    const uint8_t *t = f + 38;
    assert_int_equal(be16(t), 40000);
    assert_int_equal(be16(t + 2), 2775);
    assert_true(((uint32_t)be16(t + 4) << 16 | be16(t + 6)) == 0xdeadbeefu);
    assert_int_equal(t[12], 0x50);
    assert_int_equal(t[13], CW_PKT_TCP_PSH | CW_PKT_TCP_ACK);
    a.tcp_flags = CW_PKT_TCP_SYN;
    n = cw_pkt_build_tcp(f, sizeof f, &a, NULL, 0);
    assert_int_equal(f[38 + 13], CW_PKT_TCP_SYN);
    check_ipv4_frame(f, n, 18, 6, 0);
    a.vlan = 4095;
    assert_int_equal(cw_pkt_build_tcp(f, sizeof f, &a, NULL, 0), 0);
}

static void test_pkt_udp6(void **state)
{
    (void)state;
    struct cw_pkt_addr a;
    memset(&a, 0, sizeof a);
    assert_int_equal(cw_pkt_addr_set(&a, "2001:db8::1", "2001:db8::2:3"), 0);
    assert_int_equal(a.ipver, 6);
    a.sport = 5060;
    a.dport = 5060;
    uint8_t f[256];
    const char *msg = "MESSAGE sip:y SIP/2.0\r\n\r\n";
    size_t len = strlen(msg);
    size_t n = cw_pkt_build_udp(f, sizeof f, &a, msg, len);
    assert_int_equal(n, 14 + 40 + 8 + len);
    assert_int_equal(be16(f + 12), 0x86dd);
    const uint8_t *ip = f + 14;
    assert_int_equal(ip[0] >> 4, 6);
    assert_int_equal(be16(ip + 4), 8 + len);
    assert_int_equal(ip[6], 17);
    /* UDP checksum over the IPv6 pseudo-header (mandatory in IPv6) */
    uint8_t ph[40] = {0};
    memcpy(ph, ip + 8, 32);
    ph[34] = (uint8_t)((8 + len) >> 8);
    ph[35] = (uint8_t)(8 + len);
    ph[39] = 17;
    assert_int_not_equal(be16(ip + 40 + 6), 0);
    assert_int_equal(fold(sum16(ip + 40, 8 + len, sum16(ph, 40, 0))), 0xffff);
}

/* ---------------------------------------------------------------------------------------- */
/* pcapw */

static void test_pcapw_roundtrip(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char *path = path_in(dir, "t.pcap");
    struct cw_pcapw *w;
    assert_int_equal(cw_pcapw_open(path, 101, &w), 0);
    uint8_t big[70000];
    memset(big, 0xab, sizeof big);
    assert_int_equal(cw_pcapw_write(w, 1772323200000001ull, "abc", 3), 0);
    assert_int_equal(cw_pcapw_write(w, 1772323201999999ull, big, sizeof big), 0);
    assert_int_equal(cw_pcapw_write(w, 5, NULL, 0), 0);
    assert_true(cw_pcapw_count(w) == 3);
    assert_int_equal(cw_pcapw_close(w), 0);
    assert_int_equal(cw_pcapw_close(NULL), 0);
    size_t len;
    uint8_t *d = (uint8_t *)tu_read_file(path, &len);
    assert_non_null(d);
    assert_int_equal(len, 24 + 16 + 3 + 16 + 65535 + 16);
    static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0,   0, 0, 0,
                                    0,    0,    0,    0,    0xff, 0xff, 0, 0, 101, 0, 0, 0};
    assert_memory_equal(d, hdr, 24);
    const uint8_t *r = d + 24;
    assert_int_equal(le32(r), 1772323200u);
    assert_int_equal(le32(r + 4), 1);
    assert_int_equal(le32(r + 8), 3);
    assert_int_equal(le32(r + 12), 3);
    assert_memory_equal(r + 16, "abc", 3);
    r += 19;
    assert_int_equal(le32(r), 1772323201u);
    assert_int_equal(le32(r + 4), 999999);
    assert_int_equal(le32(r + 8), 65535);       /* cut to the snaplen */
    assert_int_equal(le32(r + 12), sizeof big); /* original length kept */
    r += 16 + 65535;
    assert_int_equal(le32(r), 0);
    assert_int_equal(le32(r + 4), 5);
    assert_int_equal(le32(r + 8), 0);
    free(d);
    assert_int_equal(cw_pcapw_open(NULL, 1, &w), CW_EINVAL);
    char *bad = path_in(dir, "no/such/dir/x.pcap");
    assert_int_equal(cw_pcapw_open(bad, 1, &w), CW_EIO);
    assert_null(w);
    free(bad);
    free(path);
    tu_rmrf(dir);
    free(dir);
}

static void test_pcapw_write_error(void **state)
{
    (void)state;
    if (!tu_exists("/dev/full"))
        skip();
    struct cw_pcapw *w;
    assert_int_equal(cw_pcapw_open("/dev/full", 1, &w), 0); /* buffered: fails later */
    uint8_t pkt[1500] = {0};
    int rc = 0;
    for (int i = 0; i < 2000 && rc == 0; i++)
        rc = cw_pcapw_write(w, (uint64_t)i, pkt, sizeof pkt);
    assert_int_equal(rc, CW_EIO); /* the 1 MiB buffer filled and its flush failed */
    assert_int_equal(cw_pcapw_write(w, 0, pkt, 1), CW_EIO); /* sticky */
    assert_int_equal(cw_pcapw_close(w), CW_EIO);
    assert_int_equal(cw_pcapw_open("/dev/full", 1, &w), 0);
    assert_int_equal(cw_pcapw_write(w, 0, pkt, 10), 0);
    assert_int_equal(cw_pcapw_close(w), CW_EIO); /* the final flush fails */
}

/* ---------------------------------------------------------------------------------------- */
/* the data set */

struct dataset {
    char *dir;
    struct cw_synth_stats st;
};

static void gen_rates(struct dataset *ds, uint64_t seed, uint64_t cards, uint64_t packets,
                      double rate, unsigned protocols, int plain, double oq_rate, double nat_rate)
{
    ds->dir = tu_mkdtemp();
    char *out = path_in(ds->dir, "sub/out"); /* created with its parent */
    struct cw_synth_opts o = {.seed = seed,
                              .cards = cards,
                              .packets = packets,
                              .out_dir = out,
                              .black_rate = rate,
                              .protocols = protocols,
                              .plain = plain,
                              .over_quota_rate = oq_rate,
                              .national_rate = nat_rate};
    char err[512];
    int rc = cw_synth_run(&o, &ds->st, err, sizeof err);
    if (rc)
        fprintf(stderr, "synth: %s\n", err);
    assert_int_equal(rc, 0);
    free(ds->dir);
    ds->dir = out;
}

/* The default over-quota and national rates. */
static void gen_with(struct dataset *ds, uint64_t seed, uint64_t cards, uint64_t packets,
                     double rate, unsigned protocols, int plain)
{
    gen_rates(ds, seed, cards, packets, rate, protocols, plain, CW_SYNTH_DEFAULT_OVER_QUOTA_RATE,
              CW_SYNTH_DEFAULT_NATIONAL_RATE);
}

static void gen(struct dataset *ds, uint64_t seed, uint64_t cards, uint64_t packets, double rate)
{
    gen_with(ds, seed, cards, packets, rate, 0, 0);
}

static void drop(struct dataset *ds)
{
    /* ds->dir is <tmp>/sub/out: remove <tmp> */
    char *top = strdup(ds->dir);
    *strrchr(top, '/') = 0;
    *strrchr(top, '/') = 0;
    tu_rmrf(top);
    free(top);
    free(ds->dir);
}

static int home_prefix(const char *ranges, const char *msisdn)
{
    char *copy = strdup(ranges), *cur = copy, *line;
    int home = 0;
    next_line(&cur); /* header */
    while ((line = next_line(&cur))) {
        char *f[4];
        if (split(line, f, 4) >= 1 && *f[0] && !strncmp(msisdn, f[0], strlen(f[0])))
            home = 1;
    }
    free(copy);
    return home;
}

struct pcap_check {
    uint64_t packets, fragments, vlan, ipv6, tcp, sctp;
    uint64_t proto[CW_SYNTH_NPROTO]; /* frames by well-known port */
    char **callers; /* calling numbers of the sms_mo and call events cardwatch decodes */
    size_t ncallers;
};

/* The protocol of a frame by its ports, or -1. */
static int proto_of_ports(unsigned a, unsigned b)
{
    static const unsigned ports[CW_SYNTH_NPROTO] = {5060, 2775, 2905, 3868, 2123, 1813};
    for (int i = 0; i < CW_SYNTH_NPROTO; i++)
        if (a == ports[i] || b == ports[i])
            return i;
    return -1;
}

/* Walk traffic.pcap: record framing and times; Ethernet, VLAN tags, IPv4 header checksums,
 * UDP / TCP checksums over the pseudo-header, SCTP CRC32c; frames per protocol. Then the
 * senders of SMS and calls as `cardwatch decode` reads them. (Since synth writes every
 * protocol, this replaces the walk of SIP-over-UDP frames and the SIP header parsing that
 * found the senders when the capture was SIP only; the protocol's own tests compare the
 * messages with tshark: test_synth_tshark.c.) */
static void check_pcap(const char *dir, uint64_t want_packets, struct pcap_check *pc)
{
    memset(pc, 0, sizeof *pc);
    size_t len;
    uint8_t *d = (uint8_t *)read_in(dir, "traffic.pcap", &len);
    assert_true(len >= 24);
    assert_int_equal(le32(d), 0xa1b2c3d4u);
    assert_int_equal(d[4] | d[5] << 8, 2);
    assert_int_equal(d[6] | d[7] << 8, 4);
    assert_int_equal(le32(d + 16), 65535);
    assert_int_equal(le32(d + 20), 1);
    size_t off = 24;
    uint64_t prev_ts = 0;
    while (off < len) {
        assert_true(len - off >= 16);
        uint64_t ts = (uint64_t)le32(d + off) * 1000000u + le32(d + off + 4);
        uint32_t caplen = le32(d + off + 8), wire = le32(d + off + 12);
        assert_int_equal(caplen, wire);
        assert_true(le32(d + off + 4) < 1000000u);
        assert_true(ts >= prev_ts);
        if (pc->packets == 0)
            assert_true(ts == 1772323200000000ull); /* 2026-03-01T00:00:00Z */
        prev_ts = ts;
        off += 16;
        assert_true(len - off >= caplen);
        const uint8_t *f = d + off;
        size_t l3 = 12;
        unsigned et = be16(f + l3), tags = 0;
        while (et == 0x8100 || et == 0x88a8) {
            l3 += 4;
            tags++;
            et = be16(f + l3);
        }
        l3 += 2;
        pc->vlan += tags > 0;
        const uint8_t *ip = f + l3, *l4;
        size_t l4len;
        uint8_t proto;
        uint32_t ph;
        if (et == 0x0800) {
            assert_int_equal(ip[0], 0x45);
            assert_int_equal(fold(sum16(ip, 20, 0)), 0xffff);
            assert_int_equal(be16(ip + 2), caplen - l3);
            proto = ip[9];
            if (be16(ip + 6) & 0x3fff) { /* a fragment: its datagram's checksum is whole only */
                pc->fragments++;
                goto next;
            }
            l4 = ip + 20;
            l4len = caplen - l3 - 20;
            uint8_t p4[12] = {0};
            memcpy(p4, ip + 12, 8);
            p4[9] = proto;
            p4[10] = (uint8_t)(l4len >> 8);
            p4[11] = (uint8_t)l4len;
            ph = sum16(p4, 12, 0);
        } else {
            assert_int_equal(et, 0x86dd);
            assert_int_equal(ip[0] >> 4, 6);
            assert_int_equal(be16(ip + 4), caplen - l3 - 40);
            pc->ipv6++;
            proto = ip[6];
            if (proto == 44) {
                pc->fragments++;
                goto next;
            }
            l4 = ip + 40;
            l4len = caplen - l3 - 40;
            uint8_t p6[40] = {0};
            memcpy(p6, ip + 8, 32);
            p6[34] = (uint8_t)(l4len >> 8);
            p6[35] = (uint8_t)l4len;
            p6[39] = proto;
            ph = sum16(p6, 40, 0);
        }
        if (proto == 17 || proto == 6) {
            assert_int_equal(fold(sum16(l4, l4len, ph)), 0xffff);
            pc->tcp += proto == 6;
        } else {
            assert_int_equal(proto, 132);
            uint8_t copy[2048];
            assert_true(l4len <= sizeof copy && l4len >= 12);
            memcpy(copy, l4, l4len);
            memset(copy + 8, 0, 4);
            assert_true(cw_crc32c(0, copy, l4len) == le32(l4 + 8));
            pc->sctp++;
        }
        int p = proto_of_ports(be16(l4), be16(l4 + 2));
        assert_true(p >= 0);
        pc->proto[p]++;
    next:
        off += caplen;
        pc->packets++;
    }
    assert_true(pc->packets == want_packets);
    free(d);
    /* who sends SMS and places calls, as the decoders read the capture */
    char *pcap = path_in(dir, "traffic.pcap"), cmd[4400];
    snprintf(cmd, sizeof cmd, "%s decode --quiet '%s'", CW_BINARY, pcap);
    free(pcap);
    int st;
    char *out = tu_run(cmd, &st);
    assert_int_equal(st, 0);
    size_t cap = 1024;
    pc->callers = calloc(cap, sizeof *pc->callers);
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strstr(line, "\"kind\":\"sms_mo\"") && !strstr(line, "\"kind\":\"call\""))
            continue;
        char *c = strstr(line, "\"calling\":\"");
        if (!c)
            continue;
        c += 11;
        size_t n = strcspn(c, "\"");
        char num[40];
        /* national 11-digit numbers get the country code, as the analyzer joins them */
        snprintf(num, sizeof num, "%s%.*s", n == 11 && c[0] == '1' ? "86" : "", (int)n, c);
        if (pc->ncallers == cap) {
            cap *= 2;
            pc->callers = realloc(pc->callers, cap * sizeof *pc->callers);
        }
        pc->callers[pc->ncallers++] = strdup(num);
    }
    free(out);
    qsort(pc->callers, pc->ncallers, sizeof *pc->callers, cmp_str);
}

static void free_pcap_check(struct pcap_check *pc)
{
    for (size_t i = 0; i < pc->ncallers; i++)
        free(pc->callers[i]);
    free(pc->callers);
}

static int sent(const struct pcap_check *pc, const char *msisdn)
{
    return bsearch(&msisdn, pc->callers, pc->ncallers, sizeof *pc->callers, cmp_str) != NULL;
}

/* A registry row, for the checks per ID number. */
struct regrow {
    char id[19]; /* the 18-character form (a 15-digit one converted) */
    char prov[3];
    char outlet[16];
    int64_t t; /* registered_at, seconds */
    int cat;   /* CAT_* of the card in the truth */
};

enum { CAT_NONE, CAT_BLACK, CAT_OQ, CAT_NAT, CAT_ACT /* + enum cw_synth_act */ };

/* A card listed in truth.csv. */
struct truthcard {
    const char *msisdn, *imsi, *id, *outlet;
    int cat, seen;
};

static int cmp_regrow(const void *a, const void *b)
{
    const struct regrow *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : strcmp(x->prov, y->prov);
}

static int cmp_truthcard(const void *a, const void *b)
{
    return strcmp(((const struct truthcard *)a)->msisdn, ((const struct truthcard *)b)->msisdn);
}

static struct truthcard *find_truth(struct truthcard *v, size_t n, const char *msisdn)
{
    struct truthcard key = {.msisdn = msisdn};
    return bsearch(&key, v, n, sizeof *v, cmp_truthcard);
}

/* "2024-05-01T10:22:00Z" in seconds since the epoch. */
static int64_t iso_seconds(const char *s)
{
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    return days * 86400 + atoi(s + 11) * 3600 + atoi(s + 14) * 60 + atoi(s + 17);
}

/* The 18-character form of an old 15-digit ID number: century 19, check character added. */
static void id_from_15(const char *id15, char out[19])
{
    memcpy(out, id15, 6);
    memcpy(out + 6, "19", 2);
    memcpy(out + 8, id15 + 6, 9);
    out[17] = 0;
    out[17] = cw_idcard_check_char(out);
    out[18] = 0;
}

static int outlet_ok(char *const *outlets, size_t n, const char *outlet)
{
    return bsearch(&outlet, outlets, n, sizeof *outlets, cmp_str) != NULL;
}

/* What check_dataset found beyond the stats, for tests that want more. */
struct dataset_facts {
    size_t rows_15digit;                   /* registry rows with a 15-digit ID number */
    size_t oq_split;                       /* over-quota IDs registered at two outlets */
    size_t black_registered, black_at_bad; /* registered black cards, ... at a bad outlet */
    size_t normal_at_bad;                  /* cards not in the truth registered at a bad outlet */
};

/* Every invariant of a data set. */
static void check_dataset_facts(const struct dataset *ds, uint64_t cards, uint64_t packets,
                                struct dataset_facts *facts)
{
    size_t len;
    char *ranges = read_in(ds->dir, "ranges.csv", &len);
    char *registry = read_in(ds->dir, "registry.csv", &len);
    char *truth = read_in(ds->dir, "truth.csv", &len);
    char *outlets = read_in(ds->dir, "outlets.csv", &len);
    struct dataset_facts local;
    if (!facts)
        facts = &local;
    memset(facts, 0, sizeof *facts);
    static const char reg_hdr[] =
        "msisdn,imsi,id_number,province,status,verified,outlet,registered_at\n";
    static const char truth_hdr[] = "msisdn,imsi,category,scope,id_number,outlet\n";
    static const char outlets_hdr[] = "outlet,province,kind,name\n";
    assert_int_equal(strncmp(ranges, "prefix,operator,province\n", 25), 0);
    assert_int_equal(strncmp(registry, reg_hdr, strlen(reg_hdr)), 0);
    assert_int_equal(strncmp(truth, truth_hdr, strlen(truth_hdr)), 0);
    assert_int_equal(strncmp(outlets, outlets_hdr, strlen(outlets_hdr)), 0);
    assert_non_null(strstr(ranges, "\n86134,CMCC,\n"));
    assert_non_null(strstr(ranges, "\n86198,CMCC,\n"));
    assert_null(strstr(ranges, "86130")); /* Unicom is not ours */

    struct pcap_check pc;
    check_pcap(ds->dir, packets, &pc);
    /* the summary's counts are the capture's */
    assert_true(pc.ipv6 == ds->st.ipv6_frames);
    assert_true(pc.vlan == ds->st.vlan_frames);
    assert_true(pc.fragments == ds->st.ip_fragments);
    for (int p = 0; p < CW_SYNTH_NPROTO; p++) {
        uint64_t frames = pc.proto[p] + (p == CW_SYNTH_GTP ? pc.fragments : 0);
        if (frames != ds->st.proto_packets[p])
            fail_msg("%s: %llu frames, the summary says %llu", cw_synth_proto_name((unsigned)p),
                     (unsigned long long)frames, (unsigned long long)ds->st.proto_packets[p]);
    }

    /* outlets.csv: every outlet of every province, own or agent, an ASCII name */
    size_t nout = 0, cap_out = 1024;
    char **outlet_ids = calloc(cap_out, sizeof *outlet_ids),
         **agents = calloc(cap_out, sizeof *agents);
    size_t nagents = 0;
    char *cur = outlets, *line;
    next_line(&cur);
    while ((line = next_line(&cur))) {
        char *f[5];
        assert_int_equal(split(line, f, 5), 4);
        assert_int_equal(strlen(f[0]), 11);
        assert_int_equal(strncmp(f[0], "OUT-", 4), 0);
        assert_int_equal(strncmp(f[0] + 4, f[1], 2), 0);
        assert_non_null(cw_province_name(f[1]));
        assert_true(!strcmp(f[2], "own") || !strcmp(f[2], "agent"));
        assert_non_null(strstr(f[3], cw_province_name(f[1])));
        for (const char *c = f[3]; *c; c++)
            assert_true(*c >= 0x20 && *c < 0x7f);
        if (nout == cap_out) {
            cap_out *= 2;
            outlet_ids = realloc(outlet_ids, cap_out * sizeof *outlet_ids);
            agents = realloc(agents, cap_out * sizeof *agents);
        }
        outlet_ids[nout++] = f[0];
        if (!strcmp(f[2], "agent"))
            agents[nagents++] = f[0];
    }
    assert_true(nout == ds->st.outlets);
    assert_true(nout >= 5 * mainland());
    qsort(outlet_ids, nout, sizeof *outlet_ids, cmp_str);
    for (size_t i = 1; i < nout; i++)
        assert_true(strcmp(outlet_ids[i - 1], outlet_ids[i]) != 0);
    qsort(agents, nagents, sizeof *agents, cmp_str);
    assert_true(nagents > nout / 4 && nagents < nout * 3 / 4); /* about half */

    /* truth: black and over-quota cards send, home numbers; registry-scope rows; bad outlets */
    struct truthcard *tc = calloc(cards + 1, sizeof *tc);
    size_t ntc = 0, nblack = 0, noq = 0, nnat = 0, nbad = 0, nact[CW_SYNTH_NACT] = {0};
    char **bad = calloc(nout + 1, sizeof *bad);
    cur = truth;
    next_line(&cur);
    while ((line = next_line(&cur))) {
        char *f[7];
        assert_int_equal(split(line, f, 7), 6);
        if (!strcmp(f[2], "agent_outlet")) {
            assert_string_equal(f[0], "");
            assert_string_equal(f[1], "");
            assert_string_equal(f[3], "registry");
            assert_string_equal(f[4], "");
            if (!outlet_ok(agents, nagents, f[5]))
                fail_msg("bad outlet %s is not an agent of outlets.csv", f[5]);
            bad[nbad++] = f[5];
            continue;
        }
        assert_true(ntc < cards);
        struct truthcard *t = &tc[ntc++];
        t->msisdn = f[0];
        t->imsi = f[1];
        t->id = f[4];
        t->outlet = f[5];
        assert_int_equal(strlen(f[0]), 13);
        assert_int_equal(strncmp(f[1], "46000", 5), 0);
        assert_int_equal(strlen(f[1]), 15);
        assert_true(home_prefix(ranges, f[0]));
        if (!strcmp(f[2], "black_card")) {
            t->cat = CAT_BLACK;
            nblack++;
        } else if (!strcmp(f[2], "over_quota")) {
            t->cat = CAT_OQ;
            noq++;
        } else if (!strcmp(f[2], "over_national")) {
            t->cat = CAT_NAT;
            nnat++;
        } else {
            /* (agent_far cards are listed as agent_batch: counted under the first act of the
             * name) */
            unsigned a = 0;
            while (a < CW_SYNTH_NACT && strcmp(f[2], cw_synth_act_name(a)))
                a++;
            if (a == CW_SYNTH_NACT)
                fail_msg("truth category '%s'", f[2]);
            t->cat = CAT_ACT + (int)a;
            nact[a]++;
        }
        assert_string_equal(f[3], t->cat == CAT_NAT                             ? "registry"
                                  : t->cat >= CAT_ACT + CW_SYNTH_A_FIRST_NORMAL ? "normal"
                                                                                : "traffic");
        /* the 18-character form; an unregistered black card has neither ID nor outlet */
        assert_true(strlen(f[4]) == 18 || (t->cat == CAT_BLACK && !*f[4]));
        assert_true(!*f[4] == !*f[5]);
        if (*f[5] && !outlet_ok(outlet_ids, nout, f[5]))
            fail_msg("truth outlet %s is not in outlets.csv", f[5]);
        if (t->cat != CAT_NAT && !sent(&pc, f[0]))
            fail_msg("%s card %s is never seen sending an SMS or placing a call", f[2], f[0]);
    }
    assert_true(nblack == ds->st.black_cards);
    for (unsigned a = 0; a < CW_SYNTH_NACT; a++) {
        uint64_t want = 0; /* the acts of the same truth category, counted under the first */
        unsigned first = 0;
        while (strcmp(cw_synth_act_name(first), cw_synth_act_name(a)))
            first++;
        for (unsigned b = first; first == a && b < CW_SYNTH_NACT; b++)
            if (!strcmp(cw_synth_act_name(b), cw_synth_act_name(a)))
                want += ds->st.act_cards[b];
        if (nact[a] != want)
            fail_msg("%zu %s rows in the truth, the summary says %llu", nact[a],
                     cw_synth_act_name(a), (unsigned long long)want);
    }
    struct cells cells;
    read_cells(ds->dir, &cells);
    assert_true(noq == ds->st.over_quota_cards);
    assert_true(nnat == ds->st.national_cards);
    assert_true(nbad == ds->st.bad_outlets);
    assert_true(nblack + noq <= packets / 10);
    assert_true(nbad >= mainland()); /* at least one per (mainland) province */
    qsort(bad, nbad, sizeof *bad, cmp_str);
    qsort(tc, ntc, sizeof *tc, cmp_truthcard);
    for (size_t i = 1; i < ntc; i++)
        assert_true(strcmp(tc[i - 1].msisdn, tc[i].msisdn) != 0); /* one row per card */

    /* registry: formats, IDs, what each planted kind looks like, agreement with the truth */
    char **msisdns = calloc(cards + 1, sizeof *msisdns);
    char **imsis = calloc(cards + 1, sizeof *imsis);
    size_t nm = 0;
    char **ids15 = calloc(cards + 1, sizeof *ids15);
    size_t n15 = 0;
    cur = registry;
    next_line(&cur);
    size_t rows = 0, unverified = 0, invalid = 0;
    struct regrow *rr = calloc(cards + 1, sizeof *rr);
    while ((line = next_line(&cur))) {
        char *f[9];
        assert_int_equal(split(line, f, 9), 8);
        assert_true(rows < cards);
        assert_int_equal(strlen(f[0]), 13);
        assert_true(home_prefix(ranges, f[0]));
        assert_int_equal(strlen(f[1]), 15);
        assert_int_equal(strlen(f[3]), 2);
        assert_non_null(cw_province_name(f[3]));
        assert_true(!strcmp(f[4], "active") || !strcmp(f[4], "suspended"));
        assert_true(!strcmp(f[5], "1") || !strcmp(f[5], "0"));
        assert_int_equal(strncmp(f[6] + 4, f[3], 2), 0);
        if (!outlet_ok(outlet_ids, nout, f[6]))
            fail_msg("registry outlet %s is not in outlets.csv", f[6]);
        assert_int_equal(strlen(f[7]), 20);
        assert_int_equal(f[7][10], 'T');
        assert_int_equal(f[7][19], 'Z');
        assert_true(strcmp(f[7], "2015-01-01T00:00:00Z") >= 0);
        assert_true(strcmp(f[7], "2026-03-01T00:00:00Z") < 0);
        struct truthcard *t = find_truth(tc, ntc, f[0]);
        int cat = t ? t->cat : CAT_NONE;
        struct regrow *r = &rr[rows];
        char id[19];
        struct cw_idcard_info info;
        if (strlen(f[2]) == 15) {
            /* an old ID number: a person born before 1980, never a planted ID */
            assert_true(cat == CAT_NONE || (cat == CAT_BLACK && !strcmp(f[5], "0")));
            for (int i = 0; i < 15; i++)
                assert_true(f[2][i] >= '0' && f[2][i] <= '9');
            id_from_15(f[2], id);
            ids15[n15++] = f[2];
        } else {
            assert_int_equal(strlen(f[2]), 18);
            memcpy(id, f[2], 19);
        }
        int v = cw_idcard_validate(id, 18, &info);
        if (cat == CAT_BLACK && !strcmp(f[5], "1")) {
            /* the third kind: verified, but the ID number's check character is wrong */
            if (v != CW_IDCARD_ECHECK)
                fail_msg("black card %s: id_number %s: %s, not a wrong check character", f[0], f[2],
                         cw_idcard_reason(v));
            invalid++;
        } else if (v) {
            fail_msg("registry id_number %s: %s", f[2], cw_idcard_reason(v));
        } else {
            assert_true(info.birth_year >= 1950 && info.birth_year <= 2006);
            if (strlen(f[2]) == 15)
                assert_true(info.birth_year < 1980);
        }
        if (cat == CAT_NONE) {
            assert_string_equal(f[5], "1");
        } else {
            /* planted cards are active; the truth names the row's ID (18-character form) and
             * outlet */
            assert_string_equal(f[4], "active");
            if (strcmp(t->id, id) != 0)
                fail_msg("card %s: truth id_number %s, registry %s", f[0], t->id, f[2]);
            assert_string_equal(t->outlet, f[6]);
            if (cat == CAT_BLACK) {
                unverified += !strcmp(f[5], "0");
                facts->black_registered++;
                facts->black_at_bad += outlet_ok(bad, nbad, f[6]);
            } else {
                assert_string_equal(f[5], "1");
            }
            t->seen = 1;
        }
        if (cat == CAT_NONE && outlet_ok(bad, nbad, f[6]))
            facts->normal_at_bad++;
        memcpy(r->id, id, 19);
        memcpy(r->prov, f[3], 3);
        snprintf(r->outlet, sizeof r->outlet, "%s", f[6]);
        r->t = iso_seconds(f[7]);
        r->cat = cat;
        msisdns[nm] = f[0];
        imsis[nm++] = f[1];
        rows++;
    }
    assert_true(rows == ds->st.registry_rows);
    assert_true(unverified == ds->st.black_unverified);
    assert_true(invalid == ds->st.black_invalid_id);
    facts->rows_15digit = n15;
    qsort(ids15, n15, sizeof *ids15, cmp_str);
    size_t distinct15 = 0;
    for (size_t i = 0; i < n15; i++)
        distinct15 += i == 0 || strcmp(ids15[i - 1], ids15[i]) != 0;
    assert_true(distinct15 == ds->st.ids_15digit);
    /* every planted card but the unregistered black ones has its row; those complete the
     * population */
    size_t unregistered = 0;
    for (size_t i = 0; i < ntc; i++) {
        if (tc[i].seen)
            continue;
        assert_int_equal(tc[i].cat, CAT_BLACK);
        assert_string_equal(tc[i].id, "");
        unregistered++;
        msisdns[nm] = (char *)tc[i].msisdn;
        imsis[nm++] = (char *)tc[i].imsi;
    }
    assert_true(unregistered == ds->st.black_unregistered);
    assert_true(ds->st.black_unregistered + ds->st.black_unverified + ds->st.black_invalid_id ==
                nblack);
    /* the three kinds take turns by rank */
    if (nblack >= 3)
        assert_true(unregistered >= nblack / 3 && unregistered <= nblack / 3 + 1 &&
                    unverified >= (nblack - 1) / 3 && invalid >= (nblack - 2) / 3);
    assert_true(rows + unregistered == cards);
    /* numbers and IMSIs are unique */
    assert_true(nm == cards);
    qsort(msisdns, nm, sizeof *msisdns, cmp_str);
    qsort(imsis, nm, sizeof *imsis, cmp_str);
    for (size_t i = 1; i < nm; i++) {
        assert_true(strcmp(msisdns[i - 1], msisdns[i]) != 0);
        assert_true(strcmp(imsis[i - 1], imsis[i]) != 0);
    }

    /* per ID number: over-quota IDs hold 6-10 cards in their own province, mostly at one bad
     * outlet, registered within 1 to 48 hours; nationwide over-limit IDs more than 5 in all
     * and at most 5 in any province; everyone else 1 to 3 */
    qsort(rr, rows, sizeof *rr, cmp_regrow);
    size_t oq_ids = 0, nat_ids = 0, maxnormal = 0;
    for (size_t i = 0; i < rows;) {
        size_t j = i;
        while (j < rows && !strcmp(rr[j].id, rr[i].id))
            j++;
        size_t n = j - i;
        int cat = rr[i].cat;
        if (cat == CAT_OQ || cat == CAT_NAT)
            for (size_t k = i; k < j; k++)
                if (rr[k].cat != cat)
                    fail_msg("ID %s: a planted ID shares its number with another card", rr[i].id);
        if (cat == CAT_OQ) {
            oq_ids++;
            if (n < 6 || n > 10)
                fail_msg("over-quota ID %s holds %zu cards", rr[i].id, n);
            int64_t lo = rr[i].t, hi = rr[i].t;
            size_t best = 0, outlets_used = 0;
            const char *top = NULL;
            for (size_t k = i; k < j; k++) {
                assert_int_equal(strncmp(rr[k].prov, rr[i].id, 2), 0); /* its own province */
                lo = rr[k].t < lo ? rr[k].t : lo;
                hi = rr[k].t > hi ? rr[k].t : hi;
                size_t same = 0, first = 1;
                for (size_t m = i; m < j; m++) {
                    same += !strcmp(rr[m].outlet, rr[k].outlet);
                    if (m < k && !strcmp(rr[m].outlet, rr[k].outlet))
                        first = 0;
                }
                outlets_used += first;
                if (same > best) {
                    best = same;
                    top = rr[k].outlet;
                }
            }
            if (hi - lo < 3600 || hi - lo > 48 * 3600)
                fail_msg("over-quota ID %s registered over %lld s", rr[i].id, (long long)(hi - lo));
            assert_true(outlet_ok(bad, nbad, top)); /* mostly at a bad outlet */
            assert_true(best * 2 > n);
            assert_true(outlets_used <= 2);
            facts->oq_split += outlets_used == 2;
        } else if (cat == CAT_NAT) {
            nat_ids++;
            if (n <= 5 || n > 8)
                fail_msg("nationwide over-limit ID %s holds %zu cards", rr[i].id, n);
            size_t provs = 0;
            for (size_t k = i; k < j;) { /* sorted by province within the ID */
                size_t m = k;
                while (m < j && !strcmp(rr[m].prov, rr[k].prov))
                    m++;
                if (m - k > 4)
                    fail_msg("nationwide over-limit ID %s: %zu cards in province %s", rr[i].id,
                             m - k, rr[k].prov);
                provs++;
                k = m;
            }
            assert_true(provs >= 2 && provs <= 3);
        } else if (n > maxnormal) {
            maxnormal = n;
        }
        i = j;
    }
    assert_true(oq_ids == ds->st.over_quota_ids);
    assert_true(nat_ids == ds->st.national_ids);
    assert_true(maxnormal <= 3); /* persons hold 1-3 cards */
    if (rows >= 1000)
        assert_true(maxnormal >= 2); /* some people do hold several cards */

    free(rr);
    free(ids15);
    free(bad);
    free(tc);
    free(outlet_ids);
    free(agents);
    free(msisdns);
    free(imsis);
    free_pcap_check(&pc);
    free(ranges);
    free(registry);
    free(truth);
    free(outlets);
}

static void check_dataset(const struct dataset *ds, uint64_t cards, uint64_t packets)
{
    check_dataset_facts(ds, cards, packets, NULL);
}

static void test_synth_small(void **state)
{
    (void)state;
    struct dataset ds;
    gen(&ds, 7, 1000, 100, 0.02);
    assert_true(ds.st.packets == 100);
    assert_true(ds.st.black_cards == 10);     /* 20 wanted, capped to packets / 10 */
    assert_true(ds.st.over_quota_cards == 0); /* nothing left under the cap */
    assert_int_equal(ds.st.files, 6);
    check_dataset(&ds, 1000, 100);
    drop(&ds);
}

static void test_synth_medium(void **state)
{
    (void)state;
    struct dataset ds;
    gen(&ds, 1, 20000, 20000, 0.02);
    assert_true(ds.st.black_cards == 400);
    assert_true(ds.st.black_unregistered == 134 && ds.st.black_unverified == 133 &&
                ds.st.black_invalid_id == 133);
    assert_true(ds.st.over_quota_cards == 200 && ds.st.over_quota_ids == 25);
    assert_true(ds.st.national_cards == 79 && ds.st.national_ids == 11); /* 80: whole groups */
    assert_true(ds.st.suspended > 0);
    assert_true(ds.st.offnet_requests > 0 && ds.st.foreign_requests > 0);
    /* black cards send more than normal cards, per card */
    double per_black = (double)ds.st.black_requests / (double)ds.st.black_cards;
    uint64_t normal_requests = ds.st.sms + ds.st.calls - ds.st.black_requests -
                               ds.st.offnet_requests - ds.st.foreign_requests;
    double per_normal = (double)normal_requests / (double)(20000 - ds.st.black_cards);
    assert_true(per_black > 3 * per_normal);
    check_dataset(&ds, 20000, 20000);
    /* the variety the decoders must handle is there */
    size_t len;
    char *pcap = read_in(ds.dir, "traffic.pcap", &len);
    static const char *const needles[] = {
        ";user=phone>",
        "<tel:+86",
        "\r\nf: ",
        "\r\nt: ",
        "\r\ni: ",
        "\r\nl: ",
        "\r\nc: ",
        "\r\nv: ",
        "\r\nP-Asserted-Identity: ",
        "\"Xiao Ming\" <",
        "\\\"Mike\\\"",
        "sip:13",
        "Content-Type: text/plain;charset=UTF-8",
        "m=audio",
        "SIP/2.0 200 OK",
        "sip:+447700900",
        "\xe6\x99\x9a" /* a Chinese character */,
        "\r\nfrom:",
        /* the other protocols and transports */
        "SIP/2.0/TCP ",
        "Content-Type: application/vnd.3gpp.sms",
        "bankcn" /* SMPP bind */,
        "ExampleBank" /* SMPP alphanumeric sender */,
        "cardwatch-synth" /* Diameter CER */,
        "pcrf01.epc.mnc000.mcc460.3gppnetwork.org",
        "\x05"
        "cmnet" /* an APN in GTP */,
        "[2001:db8:20::8]" /* SIP over IPv6 */,
    };
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        if (!contains(pcap, len, needles[i]))
            fail_msg("traffic.pcap has no '%s'", needles[i]);
    free(pcap);
    drop(&ds);
}

static int same_file(const char *a, const char *b, const char *name)
{
    size_t la, lb;
    char *x = read_in(a, name, &la), *y = read_in(b, name, &lb);
    int same = la == lb && !memcmp(x, y, la);
    free(x);
    free(y);
    return same;
}

static void test_synth_deterministic(void **state)
{
    (void)state;
    struct dataset a, b, c;
    gen(&a, 99, 3000, 5000, 0.05);
    gen(&b, 99, 3000, 5000, 0.05);
    gen(&c, 100, 3000, 5000, 0.05);
    static const char *const files[] = {"registry.csv", "ranges.csv",  "truth.csv",
                                        "traffic.pcap", "outlets.csv", "cells.csv"};
    for (int i = 0; i < 6; i++)
        if (!same_file(a.dir, b.dir, files[i]))
            fail_msg("%s differs between two runs with the same seed", files[i]);
    assert_false(same_file(a.dir, c.dir, "registry.csv"));
    assert_false(same_file(a.dir, c.dir, "traffic.pcap"));
    assert_false(same_file(a.dir, c.dir, "truth.csv"));
    assert_false(same_file(a.dir, c.dir, "outlets.csv"));
    /* the files are all there, nothing else (no temporary left) */
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | tr '\\n' ' '", a.dir);
    char *ls = tu_run(cmd, NULL);
    assert_string_equal(ls,
                        "cells.csv outlets.csv ranges.csv registry.csv traffic.pcap truth.csv ");
    free(ls);
    drop(&a);
    drop(&b);
    drop(&c);
}

static void test_synth_card_get_matches_files(void **state)
{
    (void)state;
    struct dataset ds;
    gen(&ds, 5, 500, 1000, 0.1);
    struct cw_synth_opts o = {.seed = 5,
                              .cards = 500,
                              .packets = 1000,
                              .out_dir = ds.dir,
                              .black_rate = 0.1,
                              .over_quota_rate = CW_SYNTH_DEFAULT_OVER_QUOTA_RATE,
                              .national_rate = CW_SYNTH_DEFAULT_NATIONAL_RATE};
    struct cw_synth_pop pop;
    assert_int_equal(cw_synth_pop_init(&pop, &o), 0);
    assert_true(pop.black == 50);
    size_t len;
    char *registry = read_in(ds.dir, "registry.csv", &len);
    char row[256];
    for (uint64_t i = 0; i < 500; i++) {
        struct cw_synth_card c;
        cw_synth_card_get(&pop, i, &c);
        snprintf(row, sizeof row, "\n%s,%s,%s,%s,%s,%d,%s,%s\n", c.msisdn, c.imsi, c.id_registered,
                 c.province, c.suspended ? "suspended" : "active", c.verified, c.outlet,
                 c.registered_at);
        assert_int_equal(strstr(registry, row) != NULL, c.registered);
        char num[20];
        snprintf(num, sizeof num, "\n%s,", c.msisdn);
        assert_int_equal(strstr(registry, num) != NULL, c.registered);
    }
    free(registry);
    drop(&ds);
}

/* The registry-level fraud in a population large enough for every kind: the cards of the
 * over-quota and nationwide over-limit IDs, bad outlets registering black cards (and ordinary
 * ones), old 15-digit ID numbers. check_dataset_facts checks each of them from the files. */
static void test_synth_planted(void **state)
{
    (void)state;
    struct dataset ds;
    gen_rates(&ds, 12, 30000, 40000, 0.02, 0, 0, 0.02, 0.01);
    const struct cw_synth_stats *st = &ds.st;
    assert_true(st->black_cards == 600);
    assert_true(st->over_quota_cards == 600 && st->over_quota_ids == 75);
    assert_true(st->national_cards == 300 && st->national_ids >= 300 / 8);
    assert_true(st->bad_outlets == mainland()); /* 9 outlets a province: 1 bad */
    assert_true(st->outlets == 9 * mainland());
    assert_true(st->ids_15digit > 0 && st->black_invalid_id == 200);
    struct dataset_facts f;
    check_dataset_facts(&ds, 30000, 40000, &f);
    assert_true(f.rows_15digit >= st->ids_15digit);
    assert_true(f.oq_split == 0); /* one bad outlet a province: a group is never split */
    assert_true(f.black_at_bad * 10 >= f.black_registered * 6); /* 70% at bad outlets */
    assert_true(f.black_at_bad < f.black_registered);
    assert_true(f.normal_at_bad > 0); /* a share, not a monopoly */
    drop(&ds);
    /* the cap: black and over-quota cards together at most packets / 10, black cards first */
    gen_rates(&ds, 12, 30000, 5000, 0.01, 0, 0, 0.02, 0.0);
    assert_true(ds.st.black_cards == 300);
    assert_true(ds.st.over_quota_cards == 200 && ds.st.national_cards == 0);
    check_dataset(&ds, 30000, 5000);
    drop(&ds);
    /* no over-quota card when nothing can show it sending */
    gen_rates(&ds, 12, 3000, 2000, 0.02, 1u << CW_SYNTH_GTP, 0, 0.05, 0.05);
    assert_true(ds.st.black_cards == 0 && ds.st.over_quota_cards == 0);
    assert_true(ds.st.national_cards == 147); /* national cards need no traffic */
    check_dataset(&ds, 3000, 2000);
    drop(&ds);
}

/* cw_synth_card_get: the planted kinds, and the 15-digit form converts to the 18-digit one. */
static void test_synth_card_kinds(void **state)
{
    (void)state;
    struct cw_synth_opts o = {.seed = 8,
                              .cards = 20000,
                              .packets = 20000,
                              .out_dir = "/nonexistent",
                              .black_rate = 0.02,
                              .over_quota_rate = 0.01,
                              .national_rate = 0.004};
    struct cw_synth_pop pop;
    assert_int_equal(cw_synth_pop_init(&pop, &o), 0);
    uint64_t kinds[4] = {0}, old = 0, bk[3] = {0};
    for (uint64_t i = 0; i < 20000; i++) {
        struct cw_synth_card c;
        cw_synth_card_get(&pop, i, &c);
        kinds[c.kind]++;
        assert_int_equal(c.black, c.kind == CW_SYNTH_BLACK);
        assert_int_equal(strlen(c.id_number), 18);
        if (c.black)
            bk[c.black_kind]++;
        if (c.kind == CW_SYNTH_OVER_QUOTA || c.kind == CW_SYNTH_NATIONAL) {
            assert_true(c.registered && c.verified && !c.suspended);
            assert_string_equal(c.id_registered, c.id_number);
        }
        if (c.kind == CW_SYNTH_OVER_QUOTA) {
            assert_true(c.group < pop.over_quota_ids);
            assert_int_equal(memcmp(c.province, c.id_number, 2), 0);
        } else if (c.kind == CW_SYNTH_NATIONAL) {
            assert_true(c.group < pop.national_ids);
        }
        if (strlen(c.id_registered) == 15) {
            char id[19];
            id_from_15(c.id_registered, id);
            assert_string_equal(id, c.id_number);
            assert_int_equal(cw_idcard_validate(id, 18, NULL), 0);
            assert_true(memcmp(c.id_number + 6, "1980", 4) < 0);
            old++;
        } else {
            assert_string_equal(c.id_registered, c.id_number);
        }
        int v = cw_idcard_validate(c.id_number, 18, NULL);
        if (c.black && c.black_kind == CW_SYNTH_BLACK_INVALID_ID)
            assert_int_equal(v, CW_IDCARD_ECHECK);
        else
            assert_int_equal(v, 0);
        assert_int_equal(c.bad_outlet,
                         cw_synth_outlet_bad(&pop, c.province, (unsigned)atoi(c.outlet + 7)));
    }
    assert_true(kinds[CW_SYNTH_BLACK] == 400 && kinds[CW_SYNTH_OVER_QUOTA] == 200 &&
                kinds[CW_SYNTH_NATIONAL] == 79);
    assert_true(bk[0] == 134 && bk[1] == 133 && bk[2] == 133);
    assert_true(old > 20 && old < 300); /* about 1% of the persons born before 1980 */
    /* bad outlets: max(1, outlets / 16) per province */
    unsigned nbad = 0;
    for (unsigned k = 1; k <= pop.outlets; k++)
        nbad += cw_synth_outlet_bad(&pop, "33", k);
    assert_true(nbad == pop.bad_outlets && nbad == 1);
}

/* cardwatch score: only truth rows of scope traffic with an msisdn are scored; the registry
 * rows are counted; a truth without a scope column is scored whole. */
static void test_score_scope(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp(), cmd[4400];
    char *truth = path_in(dir, "truth.csv"), *alerts = path_in(dir, "alerts.jsonl");
    char *old = path_in(dir, "old.csv");
    FILE *f = fopen(truth, "w");
    fputs("msisdn,imsi,category,scope,id_number,outlet\n"
          "8613800000001,460000000000001,black_card,traffic,,\n"
          "8613800000002,460000000000002,over_quota,traffic,330106199003071234,OUT-33-0001\n"
          "8613800000003,460000000000003,over_national,registry,330106199003071235,OUT-33-0002\n"
          ",,agent_outlet,registry,,OUT-33-0001\n",
          f);
    fclose(f);
    f = fopen(old, "w");
    fputs("msisdn,imsi,category\n8613800000001,460000000000001,black_card\n"
          "8613800000003,460000000000003,over_national\n",
          f);
    fclose(f);
    f = fopen(alerts, "w");
    fputs("{\"category\":\"black_card\",\"card\":{\"msisdn\":\"8613800000001\"}}\n"
          "{\"category\":\"over_national\",\"card\":{\"msisdn\":\"8613800000003\"}}\n",
          f);
    fclose(f);
    int st;
    snprintf(cmd, sizeof cmd, "%s score --truth '%s' --alerts '%s'", CW_BINARY, truth, alerts);
    char *out = tu_run(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "black_card              1        0        0"));
    assert_non_null(strstr(out, "over_quota              0        0        1"));
    /* not in the scored truth: the alert is a false positive */
    assert_non_null(strstr(out, "over_national           0        1        0"));
    assert_null(strstr(out, "agent_outlet"));
    assert_non_null(strstr(out, "2 registry-scope truth rows not scored (see `cardwatch registry "
                                "audit`)"));
    free(out);
    snprintf(cmd, sizeof cmd, "%s score --truth '%s' --alerts '%s'", CW_BINARY, old, alerts);
    out = tu_run(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "over_national           1        0        0"));
    assert_null(strstr(out, "not scored"));
    free(out);
    free(truth);
    free(alerts);
    free(old);
    tu_rmrf(dir);
    free(dir);
}

static void test_synth_edges(void **state)
{
    (void)state;
    struct dataset ds;
    /* no packets: no black card can be seen, so none is planted */
    gen(&ds, 1, 100, 0, 0.02);
    size_t len;
    char *p = read_in(ds.dir, "traffic.pcap", &len);
    assert_int_equal(len, 24);
    free(p);
    check_dataset(&ds, 100, 0);
    assert_true(ds.st.black_cards == 0 && ds.st.registry_rows == 100);
    drop(&ds);
    /* one card */
    gen(&ds, 1, 1, 50, 0.02);
    check_dataset(&ds, 1, 50);
    drop(&ds);
    /* every card black (as many as the packets allow) */
    gen(&ds, 3, 50, 1000, 1.0);
    assert_true(ds.st.black_cards == 50);
    check_dataset(&ds, 50, 1000);
    drop(&ds);
    /* no black card at all */
    gen(&ds, 3, 500, 2000, 0.0);
    assert_true(ds.st.black_cards == 0);
    check_dataset(&ds, 500, 2000);
    drop(&ds);
}

static void test_synth_bad_options(void **state)
{
    (void)state;
    char err[256];
    struct cw_synth_opts o = {.seed = 1,
                              .cards = 0,
                              .packets = 10,
                              .out_dir = "/tmp/cw-never-written",
                              .black_rate = 0.02,
                              .over_quota_rate = 0.01,
                              .national_rate = 0.004};
    assert_int_equal(cw_synth_run(&o, NULL, err, sizeof err), CW_EINVAL);
    assert_true(strlen(err) > 0);
    o.cards = 10;
    o.black_rate = 1.5;
    assert_int_equal(cw_synth_run(&o, NULL, err, sizeof err), CW_EINVAL);
    o.black_rate = -0.1;
    assert_int_equal(cw_synth_run(&o, NULL, err, sizeof err), CW_EINVAL);
    o.black_rate = 0.02;
    o.over_quota_rate = 1.01;
    assert_int_equal(cw_synth_run(&o, NULL, err, sizeof err), CW_EINVAL);
    o.over_quota_rate = 0.01;
    o.national_rate = -1;
    assert_int_equal(cw_synth_run(&o, NULL, err, sizeof err), CW_EINVAL);
    o.national_rate = 0.004;
    o.out_dir = NULL;
    assert_int_equal(cw_synth_run(&o, NULL, err, sizeof err), CW_EINVAL);
    o.out_dir = "/dev/null/x";
    assert_int_equal(cw_synth_run(&o, NULL, err, sizeof err), CW_EIO);
    assert_non_null(strstr(err, "/dev/null"));
    assert_false(tu_exists("/tmp/cw-never-written"));
}

/* Each protocol alone, and pairs: only its frames; black cards seen in whichever protocol
 * carries them; none planted when no protocol carries SMS or calls. */
static void test_synth_protocols(void **state)
{
    (void)state;
    static const unsigned sets[] = {
        1u << CW_SYNTH_SIP,
        1u << CW_SYNTH_SMPP,
        1u << CW_SYNTH_MAP,
        1u << CW_SYNTH_DIAMETER,
        1u << CW_SYNTH_GTP,
        1u << CW_SYNTH_RADIUS,
        (1u << CW_SYNTH_GTP) | (1u << CW_SYNTH_RADIUS),
        (1u << CW_SYNTH_SMPP) | (1u << CW_SYNTH_DIAMETER),
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        struct dataset ds;
        gen_with(&ds, 21, 2000, 3000, 0.02, sets[i], 0);
        for (unsigned p = 0; p < CW_SYNTH_NPROTO; p++)
            if ((sets[i] >> p & 1) ? ds.st.proto_packets[p] == 0 : ds.st.proto_packets[p] != 0)
                fail_msg("protocols 0x%x: %s has %llu frames", sets[i], cw_synth_proto_name(p),
                         (unsigned long long)ds.st.proto_packets[p]);
        if (sets[i] & CW_SYNTH_SENDING)
            assert_true(ds.st.black_cards == 40);
        else
            assert_true(ds.st.black_cards == 0 && ds.st.sms == 0);
        check_dataset(&ds, 2000, 3000); /* every black card seen sending */
        drop(&ds);
    }
}

/* Every awkward case in a capture of a few thousand packets of the default mix; none with
 * --plain. */
static void test_synth_awkward(void **state)
{
    (void)state;
    struct dataset ds;
    gen(&ds, 4, 2000, 3000, 0.02);
    const struct cw_synth_stats *st = &ds.st;
    const uint64_t cases[] = {
        st->tcp_split,    st->tcp_multi,  st->ip_fragmented, st->ip_frag_ooo, st->ip_fragments,
        st->sctp_bundled, st->sctp_split, st->vlan_frames,   st->qinq_frames, st->ipv6_frames,
        st->sms_gsm7_ext, st->sms_ucs2,   st->sms_concat,    st->sip_3gpp_sms};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!cases[i])
            fail_msg("awkward case %zu never occurs in 3000 packets", i);
    for (unsigned p = 0; p < CW_SYNTH_NPROTO; p++)
        assert_true(st->proto_packets[p] > 0);
    drop(&ds);
    gen_with(&ds, 4, 2000, 3000, 0.02, 0, 1);
    st = &ds.st;
    assert_true(st->tcp_split == 0 && st->tcp_multi == 0 && st->ip_fragmented == 0 &&
                st->ip_fragments == 0 && st->sctp_bundled == 0 && st->sctp_split == 0 &&
                st->vlan_frames == 0 && st->ipv6_frames == 0);
    check_dataset(&ds, 2000, 3000);
    drop(&ds);
    /* the protocol list */
    unsigned m = 0;
    char err[128];
    assert_int_equal(cw_synth_protocols_parse("sip,gtp", &m, err, sizeof err), 0);
    assert_int_equal(m, (1u << CW_SYNTH_SIP) | (1u << CW_SYNTH_GTP));
    assert_int_equal(cw_synth_protocols_parse("sip,,gtp", &m, err, sizeof err), CW_EINVAL);
    assert_int_equal(cw_synth_protocols_parse("SIP", &m, err, sizeof err), CW_EINVAL);
    assert_int_equal(cw_synth_protocols_parse("ss7", &m, err, sizeof err), CW_EINVAL);
    assert_non_null(strstr(err, "ss7"));
}

static void test_cli(void **state)
{
    (void)state;
    int st;
    char *out = tu_run(CW_BINARY " synth --help", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "registry.csv"));
    assert_non_null(strstr(out, "--black-rate"));
    assert_non_null(strstr(out, "--protocols LIST"));
    assert_non_null(strstr(out, "--plain"));
    assert_non_null(strstr(out, "--over-quota-rate F"));
    assert_non_null(strstr(out, "--national-rate F"));
    assert_non_null(strstr(out, "outlets.csv"));
    assert_non_null(strstr(out, "over_national"));
    assert_non_null(strstr(out, "cells.csv"));
    assert_non_null(strstr(out, "--agent-far-rate F"));
    assert_non_null(strstr(out, "--traveller-rate F"));
    assert_non_null(strstr(out, "--new-traveller-rate F"));
    free(out);
    static const char *const bad[] = {
        " synth --cards 10 --packets 10 --out /tmp/cw-x",          /* no seed */
        " synth --seed 1 --packets 10 --out /tmp/cw-x",            /* no cards */
        " synth --seed 1 --cards 10 --out /tmp/cw-x",              /* no packets */
        " synth --seed 1 --cards 10 --packets 10",                 /* no out */
        " synth --seed x --cards 10 --packets 10 --out /tmp/cw-x", /* bad number */
        " synth --seed 1 --cards 0 --packets 10 --out /tmp/cw-x",  /* zero cards */
        " synth --seed 1 --cards 10 --packets -1 --out /tmp/cw-x", /* negative */
        " synth --seed 1 --cards 10 --packets 10 --out /tmp/cw-x --black-rate 2",
        " synth --seed 1 --cards 10 --packets 10 --out /tmp/cw-x --black-rate abc",
        " synth --seed 1 --cards 10 --packets 10 --out /tmp/cw-x --over-quota-rate 1.5",
        " synth --seed 1 --cards 10 --packets 10 --out /tmp/cw-x --national-rate x",
        " synth --seed 1 --cards 10 --packets 10 --out /tmp/cw-x --over-quota-rate",
        " synth --seed 1 --cards 10 --packets 10 --out /tmp/cw-x --frobnicate",
        " synth --seed 1 --cards 10 --packets 10 --out /tmp/cw-x extra",
        " synth --seed 1 --cards 10 --packets 10 --out",
        " synth --seed 1 --cards 10 --packets 10 --out /tmp/cw-x --protocols sip,ss7",
        " synth --seed 1 --cards 10 --packets 10 --out /tmp/cw-x --protocols",
        " synth --seed 1 --cards 10 --packets 10 --out /tmp/cw-x --protocols ''",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "%s%s 2>&1", CW_BINARY, bad[i]);
        out = tu_run(cmd, &st);
        if (st != 2)
            fail_msg("'%s' exited %d, not 2: %s", bad[i], st, out);
        assert_non_null(strstr(out, "cardwatch: synth: "));
        free(out);
    }
    assert_false(tu_exists("/tmp/cw-x"));
    char *dir = tu_mkdtemp();
    char cmd[4300];
    snprintf(cmd, sizeof cmd,
             "%s synth --seed 2 --cards 300 --packets 400 --black-rate 0.1 --out '%s/a/b' 2>&1",
             CW_BINARY, dir);
    out = tu_run(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "300 cards (30 black"));
    assert_non_null(strstr(out, "400 packets"));
    assert_non_null(strstr(out, "6 files written"));
    assert_non_null(strstr(out, "cells.csv"));
    assert_non_null(strstr(out, " invalid ID; "));
    assert_non_null(strstr(out, " over-quota cards of "));
    assert_non_null(strstr(out, " nationwide over-limit cards of "));
    assert_non_null(strstr(out, " outlets ("));
    assert_non_null(strstr(out, " 15-digit IDs, "));
    free(out);
    snprintf(cmd, sizeof cmd,
             "%s synth --seed 2 --cards 300 --packets 400 --protocols smpp,gtp --plain --out "
             "'%s/c' 2>&1",
             CW_BINARY, dir);
    out = tu_run(cmd, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "400 packets (smpp "));
    assert_non_null(strstr(out, " 0 TCP-split messages"));
    assert_null(strstr(out, "sip "));
    free(out);
    char *sub = path_in(dir, "a/b/traffic.pcap");
    assert_true(tu_exists(sub));
    free(sub);
    tu_rmrf(dir);
    free(dir);
}

/* ---------------------------------------------------------------------------------------- */
/* the scripted actors, as the decoders read the capture */

/* One card's activity. */
struct act_acc {
    char msisdn[16], imsi[16];
    int act; /* enum cw_synth_act, -1 */
    int black;
    uint64_t group;
    unsigned sms, calls, cancels, recv_sms, recv_calls, gtp;
    double first, last, first_sms;
    char imeis[12][16];
    unsigned nimei;
    char cells[8][24];
    unsigned ncell;
    char **called; /* actors only: the numbers they sent to or called */
    size_t ncalled, capcalled;
    char text[512];          /* the last text sent */
    int text_same;           /* 1 while every text sent was the same */
    char prov[3], idprov[3]; /* registration province, the ID's */
    int64_t reg;             /* registered_at, seconds */
    /* SMS, calls and data sessions it made: from a cell of its registration province, from
     * another one (the first such province: away, a second one: away2), without a cell */
    unsigned home, far, nocell;
    char away[3], away2[3];
};

static int cmp_acc_msisdn(const void *a, const void *b)
{
    return strcmp(((const struct act_acc *)a)->msisdn, ((const struct act_acc *)b)->msisdn);
}

static struct act_acc *acc_find(struct act_acc *v, size_t n, const char *msisdn)
{
    struct act_acc key;
    snprintf(key.msisdn, sizeof key.msisdn, "%s", msisdn);
    return bsearch(&key, v, n, sizeof *v, cmp_acc_msisdn);
}

static void add_str(char (*set)[16], unsigned *n, unsigned cap, const char *v)
{
    for (unsigned i = 0; i < *n; i++)
        if (!strcmp(set[i], v))
            return;
    if (*n < cap)
        snprintf(set[(*n)++], 16, "%s", v);
}

static size_t distinct_called(struct act_acc *a)
{
    qsort(a->called, a->ncalled, sizeof *a->called, cmp_str);
    size_t d = 0;
    for (size_t i = 0; i < a->ncalled; i++)
        d += i == 0 || strcmp(a->called[i - 1], a->called[i]) != 0;
    return d;
}

/* "2026-03-01T00:00:01.500000Z" in seconds since the capture began. */
static double ev_time(const char *ts)
{
    return (double)(iso_seconds(ts) - 1772323200) + atof(ts + 19);
}

/* Keywords of rules/lists/<name>: one per line, '#' comments. */
static char **read_list(const char *name, size_t *n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/rules/lists/%s", CW_SOURCE_DIR, name);
    size_t len;
    char *d = tu_read_file(path, &len);
    assert_non_null(d);
    char **v = calloc(256, sizeof *v);
    *n = 0;
    for (char *line = strtok(d, "\n"); line && *n < 256; line = strtok(NULL, "\n"))
        if (*line && *line != '#')
            v[(*n)++] = strdup(line);
    free(d);
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* 1 when @p text holds a fraud keyword (ASCII letters without regard to case) or a link. */
static int fraud_hit(const char *text, char **zh, size_t nzh, char **en, size_t nen)
{
    if (strstr(text, "http://") || strstr(text, "https://"))
        return 1;
    for (size_t i = 0; i < nzh; i++)
        if (strstr(text, zh[i]))
            return 1;
    for (size_t i = 0; i < nen; i++) {
        size_t k = strlen(en[i]);
        for (const char *p = text; *p; p++)
            if (!strncasecmp(p, en[i], k))
                return 1;
    }
    return 0;
}

static void test_synth_actors(void **state)
{
    (void)state;
    const uint64_t cards = 20000, packets = 150000;
    struct dataset ds;
    ds.dir = tu_mkdtemp();
    char *out = path_in(ds.dir, "sub/out");
    struct cw_synth_opts o = {.seed = 3,
                              .cards = cards,
                              .packets = packets,
                              .out_dir = out,
                              .black_rate = 0.02,
                              .over_quota_rate = CW_SYNTH_DEFAULT_OVER_QUOTA_RATE,
                              .national_rate = CW_SYNTH_DEFAULT_NATIONAL_RATE,
                              .spam_rate = CW_SYNTH_DEFAULT_SPAM_RATE,
                              .fraud_content_rate = CW_SYNTH_DEFAULT_FRAUD_CONTENT_RATE,
                              .simbox_rate = CW_SYNTH_DEFAULT_SIMBOX_RATE,
                              .imei_hopping_rate = CW_SYNTH_DEFAULT_IMEI_HOPPING_RATE,
                              .agent_batch_rate = CW_SYNTH_DEFAULT_AGENT_BATCH_RATE,
                              .wangiri_rate = CW_SYNTH_DEFAULT_WANGIRI_RATE,
                              .newyear_rate = CW_SYNTH_DEFAULT_NEWYEAR_RATE,
                              .family_device_rate = CW_SYNTH_DEFAULT_FAMILY_DEVICE_RATE,
                              .phone_change_rate = CW_SYNTH_DEFAULT_PHONE_CHANGE_RATE,
                              .caller_rate = CW_SYNTH_DEFAULT_CALLER_RATE,
                              .agent_far_rate = CW_SYNTH_DEFAULT_AGENT_FAR_RATE,
                              .traveller_rate = CW_SYNTH_DEFAULT_TRAVELLER_RATE,
                              .new_traveller_rate = CW_SYNTH_DEFAULT_NEW_TRAVELLER_RATE};
    char err[512];
    assert_int_equal(cw_synth_run(&o, &ds.st, err, sizeof err), 0);
    free(ds.dir);
    ds.dir = out;
    const struct cw_synth_stats *st = &ds.st;
    /* the rates, whole groups (no cap: their packets fit a quarter of the capture) */
    static const uint64_t want[CW_SYNTH_NACT] = {20, 20, 40, 20, 20, 20, 10,
                                                 60, 40, 40, 40, 60, 10};
    for (unsigned a = 0; a < CW_SYNTH_NACT; a++)
        if (st->act_cards[a] != want[a])
            fail_msg("%llu %s cards, not %llu", (unsigned long long)st->act_cards[a],
                     cw_synth_act_label(a), (unsigned long long)want[a]);
    assert_true(st->act_groups[CW_SYNTH_A_SIMBOX] == 3);      /* 24 + 16: 2 + 1 */
    assert_true(st->act_groups[CW_SYNTH_A_AGENT_BATCH] == 3); /* 12 + 8: 2 + 1 */
    assert_true(st->act_groups[CW_SYNTH_A_FAMILY_DEVICE] >= 14);
    assert_true(st->call_cancels > 20 * 30 && st->business_bursts == 1 && st->roamer_bursts == 1);
    check_dataset(&ds, cards, packets); /* truth = stats; every actor seen sending */

    /* every card, from the library (which the files were checked against) */
    struct cw_synth_pop pop;
    assert_int_equal(cw_synth_pop_init(&pop, &o), 0);
    struct act_acc *acc = calloc(cards, sizeof *acc);
    char **imsi_sorted = calloc(cards, sizeof *imsi_sorted);
    for (uint64_t i = 0; i < cards; i++) {
        struct cw_synth_card c;
        cw_synth_card_get(&pop, i, &c);
        snprintf(acc[i].msisdn, sizeof acc[i].msisdn, "%s", c.msisdn);
        snprintf(acc[i].imsi, sizeof acc[i].imsi, "%s", c.imsi);
        acc[i].act = c.act;
        acc[i].black = c.black;
        acc[i].group = c.group;
        acc[i].first = acc[i].first_sms = 1e18;
        acc[i].text_same = 1;
        memcpy(acc[i].prov, c.province, 3);
        memcpy(acc[i].idprov, c.id_number, 2);
        acc[i].reg = iso_seconds(c.registered_at);
        assert_int_equal(c.kind == CW_SYNTH_ACTOR, c.act >= 0);
    }
    qsort(acc, cards, sizeof *acc, cmp_acc_msisdn);
    /* IMSI -> card: "imsi msisdn" strings, sorted */
    for (uint64_t i = 0; i < cards; i++) {
        imsi_sorted[i] = malloc(40);
        snprintf(imsi_sorted[i], 40, "%s %s", acc[i].imsi, acc[i].msisdn);
    }
    qsort(imsi_sorted, cards, sizeof *imsi_sorted, cmp_str);

    size_t nzh, nen, ntac;
    char **zh = read_list("fraud_zh.kw", &nzh), **en = read_list("fraud_en.kw", &nen);
    char **gw = read_list("simbox_tac.prefix", &ntac);
    assert_true(nzh > 10 && nen > 10 && ntac >= 4);

    char *pcap = path_in(ds.dir, "traffic.pcap"), cmd[4400];
    snprintf(cmd, sizeof cmd, "%s decode --quiet '%s'", CW_BINARY, pcap);
    free(pcap);
    int rc;
    char *evs = tu_run(cmd, &rc);
    assert_int_equal(rc, 0);
    struct cells cells;
    read_cells(ds.dir, &cells);
    size_t fraud_texts = 0, clean_texts = 0;
    for (char *line = strtok(evs, "\n"); line; line = strtok(NULL, "\n")) {
        char kind[32] = "", calling[64] = "", called[64] = "", imsi[32] = "", imei[32] = "";
        char cell[32] = "", ts[40] = "", text[1024] = "";
        corpus_json_get(line, "kind", kind, sizeof kind);
        corpus_json_get(line, "calling", calling, sizeof calling);
        corpus_json_get(line, "called", called, sizeof called);
        corpus_json_get(line, "imsi", imsi, sizeof imsi);
        corpus_json_get(line, "imei", imei, sizeof imei);
        corpus_json_get(line, "cell", cell, sizeof cell);
        corpus_json_get(line, "ts", ts, sizeof ts);
        corpus_json_get(line, "text", text, sizeof text);
        char cg[72], cd[72];
        snprintf(cg, sizeof cg, "%s%s", strlen(calling) == 11 && calling[0] == '1' ? "86" : "",
                 calling);
        snprintf(cd, sizeof cd, "%s%s", strlen(called) == 11 && called[0] == '1' ? "86" : "",
                 called);
        struct act_acc *a = *cg ? acc_find(acc, cards, cg) : NULL;
        if (!a && *imsi) {
            char key[40], *k = key, **hit;
            snprintf(key, sizeof key, "%s ", imsi);
            size_t lo = 0, hi = cards;
            while (lo < hi) { /* the first entry >= "imsi " */
                size_t mid = (lo + hi) / 2;
                if (strcmp(imsi_sorted[mid], k) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            hit =
                lo < cards && !strncmp(imsi_sorted[lo], key, strlen(key)) ? &imsi_sorted[lo] : NULL;
            if (hit)
                a = acc_find(acc, cards, *hit + strlen(key));
        }
        int is_sms = !strcmp(kind, "sms_mo") || !strcmp(kind, "sms_mt");
        /* texts: fraud vocabulary only from fraud_content (and black) cards */
        if (is_sms && *text) {
            int fraud = a && a->act == CW_SYNTH_A_FRAUD_CONTENT;
            if (fraud && !strcmp(kind, "sms_mo")) {
                if (!fraud_hit(text, zh, nzh, en, nen))
                    fail_msg("fraud_content %s: no keyword or link in \"%s\"", cg, text);
                fraud_texts++;
            } else if (!fraud && !(a && a->black) && strcmp(kind, "sms_mt") != 0) {
                if (fraud_hit(text, zh, nzh, en, nen))
                    fail_msg("%s (%s): a fraud keyword or link in \"%s\"", cg,
                             a && a->act >= 0 ? cw_synth_act_name((unsigned)a->act) : "normal",
                             text);
                clean_texts++;
            }
        }
        struct act_acc *r = *cd ? acc_find(acc, cards, cd) : NULL;
        if (r && is_sms)
            r->recv_sms++;
        if (r && !strcmp(kind, "call"))
            r->recv_calls++;
        if (!a)
            continue;
        double tsec = ev_time(ts);
        a->first = tsec < a->first ? tsec : a->first;
        a->last = tsec > a->last ? tsec : a->last;
        if (*imei) {
            add_str(a->imeis, &a->nimei, 12, imei);
            if (a->act != CW_SYNTH_A_SIMBOX)
                for (size_t i = 0; i < ntac; i++)
                    if (!strncmp(imei, gw[i], 8))
                        fail_msg("%s: a SIM-box gateway's TAC on a card that is no box's", cg);
        }
        if (strlen(cell) == 13) { /* E-UTRAN cells (2G/3G ones follow them) */
            unsigned i;
            for (i = 0; i < a->ncell && strcmp(a->cells[i], cell); i++)
                ;
            if (i == a->ncell && a->ncell < 8)
                snprintf(a->cells[a->ncell++], 24, "%.23s", cell);
        }
        a->gtp += !strcmp(kind, "data_session");
        int sent_sms = !strcmp(kind, "sms_mo") && !strcmp(cg, a->msisdn);
        int sent_call = !strcmp(kind, "call") && !strcmp(cg, a->msisdn);
        if (sent_sms || sent_call || !strcmp(kind, "data_session")) {
            /* where it was: the cell's province by cells.csv */
            const char *cp = *cell ? cell_province(&cells, cell) : NULL;
            if (cp && !*cp)
                fail_msg("%s: cell %s is in no province of cells.csv", a->msisdn, cell);
            if (!cp) {
                a->nocell++;
            } else if (!strcmp(cp, a->prov)) {
                a->home++;
            } else {
                a->far++;
                if (!a->away[0])
                    memcpy(a->away, cp, 3);
                else if (strcmp(a->away, cp))
                    memcpy(a->away2, cp, 3);
            }
        }
        a->sms += sent_sms;
        a->calls += sent_call;
        a->cancels += !strcmp(kind, "call_cancel");
        if (sent_sms && tsec < a->first_sms)
            a->first_sms = tsec;
        if (sent_sms && *text) {
            if (a->text[0] && strcmp(a->text, text))
                a->text_same = 0;
            snprintf(a->text, sizeof a->text, "%.511s", text);
        }
        if (a->act >= 0 && (sent_sms || sent_call)) {
            if (a->ncalled == a->capcalled)
                a->called =
                    realloc(a->called, (a->capcalled = a->capcalled * 2 + 16) * sizeof *a->called);
            a->called[a->ncalled++] = strdup(cd);
        }
    }
    free(evs);
    assert_true(fraud_texts >= 20 * 3 && clean_texts > 10000);

    /* per category */
    size_t seen[CW_SYNTH_NACT] = {0};
    const int64_t c0 = 1772323200;
    for (uint64_t i = 0; i < cards; i++) {
        struct act_acc *a = &acc[i];
        int travels = a->act == CW_SYNTH_A_AGENT_FAR || a->act == CW_SYNTH_A_TRAVELLER ||
                      a->act == CW_SYNTH_A_NEW_TRAVELLER;
        /* every card is seen in cells of its registration province, but those that travel */
        if (!travels && a->far)
            fail_msg("%s (%s, registered in %s): %u events in cells of province %s", a->msisdn,
                     a->act >= 0 ? cw_synth_act_label((unsigned)a->act) : "normal", a->prov, a->far,
                     a->away);
        if (travels && (a->away2[0] || a->nocell))
            fail_msg("%s %s: away in %s and %s, %u events without a cell", a->msisdn,
                     cw_synth_act_label((unsigned)a->act), a->away, a->away2, a->nocell);
        if (a->act < 0) {
            /* a normal card: one handset, a few cells */
            if (a->nimei > 1)
                fail_msg("normal card %s on %u handsets", a->msisdn, a->nimei);
            if (a->ncell > 3)
                fail_msg("normal card %s in %u cells: %s %s %s %s", a->msisdn, a->ncell,
                         a->cells[0], a->cells[1], a->cells[2], a->cells[3]);
            continue;
        }
        seen[a->act]++;
        size_t d = distinct_called(a);
        double span = a->last - a->first;
        const char *name = cw_synth_act_name((unsigned)a->act);
        switch (a->act) {
        case CW_SYNTH_A_SPAM:
            if (a->sms < 60 || d < 60 || span > 600 || a->recv_sms + a->recv_calls > 0)
                fail_msg("spam %s: %u SMS to %zu numbers in %.0f s, received %u", a->msisdn, a->sms,
                         d, span, a->recv_sms + a->recv_calls);
            assert_true(a->sms / (span / 60) >= 8.0);
            break;
        case CW_SYNTH_A_FRAUD_CONTENT:
            if (a->sms < 3 || a->sms > 8 * 4 || d < 3 || d > 8)
                fail_msg("fraud_content %s: %u SMS to %zu numbers", a->msisdn, a->sms, d);
            break;
        case CW_SYNTH_A_SIMBOX:
            if (a->calls < 20 || a->calls > 40 || d != a->calls || a->nimei != 1 || a->ncell != 1 ||
                a->recv_sms + a->recv_calls || !a->gtp)
                fail_msg("simbox %s: %u calls to %zu numbers, %u IMEIs, %u cells, received "
                         "%u, %u sessions",
                         a->msisdn, a->calls, d, a->nimei, a->ncell, a->recv_sms + a->recv_calls,
                         a->gtp);
            for (uint64_t k = 0; k < cards; k++) /* the box's cards: one IMEI, one cell */
                if (acc[k].act == CW_SYNTH_A_SIMBOX && acc[k].group == a->group)
                    assert_true(!strcmp(acc[k].imeis[0], a->imeis[0]) &&
                                !strcmp(acc[k].cells[0], a->cells[0]));
            {
                int gateway = 0;
                for (size_t k = 0; k < ntac; k++)
                    gateway |= !strncmp(a->imeis[0], gw[k], 8);
                assert_int_equal(gateway, a->group % 2 == 0); /* half the boxes */
            }
            break;
        case CW_SYNTH_A_IMEI_HOPPING:
            if (a->nimei < 5 || a->nimei > 10 || span > 20 * 60 || a->sms < 1)
                fail_msg("imei_hopping %s: %u IMEIs in %.0f s, %u SMS", a->msisdn, a->nimei, span,
                         a->sms);
            break;
        case CW_SYNTH_A_AGENT_BATCH:
            if (a->sms < 3 || a->sms > 6 * 4 || d < 3 || !a->text_same)
                fail_msg("agent_batch %s: %u SMS to %zu numbers, one text %d", a->msisdn, a->sms, d,
                         a->text_same);
            for (uint64_t k = 0; k < cards; k++) /* the batch: one text, active together */
                if (acc[k].act == CW_SYNTH_A_AGENT_BATCH && acc[k].group == a->group) {
                    assert_string_equal(acc[k].text, a->text);
                    assert_true(fabs(acc[k].first_sms - a->first_sms) <= 10 * 60);
                }
            break;
        case CW_SYNTH_A_WANGIRI:
            if (a->calls < 30 || a->calls > 60 || a->cancels != a->calls || d != a->calls ||
                span > 15 * 60 + 10)
                fail_msg("wangiri %s: %u calls to %zu numbers, %u cancelled, in %.0f s", a->msisdn,
                         a->calls, d, a->cancels, span);
            break;
        case CW_SYNTH_A_NEWYEAR:
            /* 15 to 35 friends, at a person's typing speed: in a capture too short for all
             * of them, fewer (at least 3) */
            if (a->sms < 3 || d < 3 || d > 35 || a->recv_sms < 1 ||
                a->sms > 3.0 * span / 60.0 + 3.0)
                fail_msg("newyear %s: %u SMS to %zu friends in %.0f s, %u replies", a->msisdn,
                         a->sms, d, span, a->recv_sms);
            break;
        case CW_SYNTH_A_FAMILY_DEVICE:
            if (a->nimei != 1)
                fail_msg("family_device %s: %u IMEIs", a->msisdn, a->nimei);
            for (uint64_t k = 0; k < cards; k++)
                if (acc[k].act == CW_SYNTH_A_FAMILY_DEVICE && acc[k].group == a->group)
                    assert_string_equal(acc[k].imeis[0], a->imeis[0]);
            break;
        case CW_SYNTH_A_PHONE_CHANGE:
            if (a->nimei != 2)
                fail_msg("phone_change %s: %u IMEIs", a->msisdn, a->nimei);
            break;
        case CW_SYNTH_A_AGENT_FAR: {
            /* recent, at an agent of province A on an ID of province B, used only in C */
            unsigned n = a->sms + a->calls + a->gtp;
            if (a->reg < c0 - 20 * 86400 || a->reg > c0 - 86400 || !strcmp(a->prov, a->idprov) ||
                a->home || n < 4 || n > 8 || a->far != n || !strcmp(a->away, a->idprov) ||
                a->ncell < 1 || a->ncell > 2)
                fail_msg("agent_far %s: registered %lld s before in %s, ID of %s; %u events, "
                         "%u at home, %u in %s, %u cells",
                         a->msisdn, (long long)(c0 - a->reg), a->prov, a->idprov, n, a->home,
                         a->far, a->away, a->ncell);
            break;
        }
        case CW_SYNTH_A_TRAVELLER:
            if (a->reg >= c0 - 30 * 86400 || strcmp(a->prov, a->idprov) || a->home < 1 ||
                a->far < 3 || a->far > 6)
                fail_msg("traveller %s: registered %lld s before in %s, ID of %s; %u events at "
                         "home, %u in %s",
                         a->msisdn, (long long)(c0 - a->reg), a->prov, a->idprov, a->home, a->far,
                         a->away);
            break;
        case CW_SYNTH_A_NEW_TRAVELLER:
            if (a->reg < c0 - 7 * 86400 || a->reg > c0 - 86400 || strcmp(a->prov, a->idprov) ||
                a->home < 1 || a->far < 1)
                fail_msg("new_traveller %s: registered %lld s before in %s, ID of %s; %u events "
                         "at home, %u in %s",
                         a->msisdn, (long long)(c0 - a->reg), a->prov, a->idprov, a->home, a->far,
                         a->away);
            break;
        default: /* caller */
            if (a->calls < 5 || a->calls > 10 || d < 3 || d > 5 || a->cancels < 1 ||
                a->cancels > 2 || a->recv_calls < 2)
                fail_msg("caller %s: %u calls to %zu numbers, %u cancelled, %u received", a->msisdn,
                         a->calls, d, a->cancels, a->recv_calls);
            break;
        }
        (void)name;
    }
    for (unsigned k = 0; k < CW_SYNTH_NACT; k++)
        assert_true(seen[k] == want[k]);

    /* agent batches: one agent outlet, registered within minutes 1 to 3 days before the
     * capture; other cards rarely registered in the last week */
    size_t len;
    char *registry = read_in(ds.dir, "registry.csv", &len), *cur = registry, *line;
    char *outlets = read_in(ds.dir, "outlets.csv", &len);
    next_line(&cur);
    size_t recent = 0, normal = 0, recent_all = 0, normal_all = 0;
    int64_t t0 = 1772323200;
    struct {
        char outlet[16];
        int64_t lo, hi;
    } batch[8];
    memset(batch, 0, sizeof batch);
    while ((line = next_line(&cur))) {
        char *f[9];
        assert_int_equal(split(line, f, 9), 8);
        struct act_acc *a = acc_find(acc, cards, f[0]);
        assert_non_null(a);
        int64_t t = iso_seconds(f[7]);
        if (a->act == CW_SYNTH_A_AGENT_BATCH) {
            assert_true(a->group < 8);
            __typeof__(&batch[0]) b = &batch[a->group];
            if (!b->outlet[0]) {
                snprintf(b->outlet, sizeof b->outlet, "%s", f[6]);
                b->lo = b->hi = t;
                char row[64];
                snprintf(row, sizeof row, "\n%s,%.2s,agent,", f[6], f[6] + 4);
                assert_non_null(strstr(outlets, row));
            }
            assert_string_equal(b->outlet, f[6]);
            b->lo = t < b->lo ? t : b->lo;
            b->hi = t > b->hi ? t : b->hi;
            assert_true(t >= t0 - 3 * 86400 && t < t0 - 86400);
        } else if (a->act < 0 && !a->black) {
            normal++;
            recent += t >= t0 - 7 * 86400;
        }
        if (!a->black && (a->act < 0 || a->act >= CW_SYNTH_A_FIRST_NORMAL)) {
            normal_all++; /* with the normal-scope actors (new_travellers are recent) */
            recent_all += t >= t0 - 7 * 86400;
        }
    }
    for (unsigned g = 0; g < 3; g++)
        assert_true(batch[g].outlet[0] && batch[g].hi - batch[g].lo <= 10 * 60);
    assert_true(recent * 1000 < normal); /* below 0.1% */
    if (recent_all * 1000 >= normal_all)
        fail_msg("%zu of %zu normal cards registered in the last week", recent_all, normal_all);
    free(registry);
    free(outlets);

    for (uint64_t i = 0; i < cards; i++) {
        for (size_t k = 0; k < acc[i].ncalled; k++)
            free(acc[i].called[k]);
        free(acc[i].called);
        free(imsi_sorted[i]);
    }
    free(imsi_sorted);
    free(acc);
    free_list(zh, nzh);
    free_list(en, nen);
    free_list(gw, ntac);

    /* determinism, and the actors disjoint from each other and the other planted cards (one
     * truth row per card: check_dataset) */
    struct dataset b;
    b.dir = tu_mkdtemp();
    char *out2 = path_in(b.dir, "sub/out");
    o.out_dir = out2;
    assert_int_equal(cw_synth_run(&o, &b.st, err, sizeof err), 0);
    free(b.dir);
    b.dir = out2;
    static const char *const files[] = {"registry.csv", "truth.csv", "traffic.pcap"};
    for (int i = 0; i < 3; i++)
        if (!same_file(ds.dir, b.dir, files[i]))
            fail_msg("%s differs between two runs with the same options", files[i]);
    drop(&b);
    drop(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_deterministic),
        cmocka_unit_test(test_perm_bijective),
        cmocka_unit_test(test_pkt_udp4),
        cmocka_unit_test(test_pkt_vlan_tcp4),
        cmocka_unit_test(test_pkt_udp6),
        cmocka_unit_test(test_pcapw_roundtrip),
        cmocka_unit_test(test_pcapw_write_error),
        cmocka_unit_test(test_synth_small),
        cmocka_unit_test(test_synth_medium),
        cmocka_unit_test(test_synth_deterministic),
        cmocka_unit_test(test_synth_card_get_matches_files),
        cmocka_unit_test(test_synth_edges),
        cmocka_unit_test(test_synth_planted),
        cmocka_unit_test(test_synth_card_kinds),
        cmocka_unit_test(test_score_scope),
        cmocka_unit_test(test_synth_bad_options),
        cmocka_unit_test(test_synth_protocols),
        cmocka_unit_test(test_synth_awkward),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_synth_actors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
