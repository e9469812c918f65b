/* test_sigtran.c - M3UA, M2PA/MTP3 and SCCP (decode/sigtran.h) with hand-built messages: the
 * lower layers' fields in the MAP records, XUDT segment reassembly (in order, lost, out of
 * order, interleaved, evicted, timed out), LUDT, the returned-message variants, and every
 * malformed case counted by reason. The TCAP inside is one sendAuthenticationInfo invoke
 * (MAP v2: a bare IMSI), which the MAP decoder turns into an auth event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/map.h"
#include "decode/sigtran.h"
#include "decoder_test.h"

#define MAX_REC 64

struct got {
    struct tu_cap ev;
    int nrec;
    struct cw_map_rec rec[MAX_REC];
};

static void on_trace(void *user, unsigned proto, const void *rec)
{
    struct got *g = user;
    assert_int_equal(proto, CW_PROTO_MAP);
    if (g->nrec < MAX_REC)
        memcpy(&g->rec[g->nrec], rec, sizeof g->rec[0]);
    g->nrec++;
}

struct buf {
    uint8_t b[8192];
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof b->b);
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void put8(struct buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void put32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, x, 4);
}

/* TBCD of a digit string (filler F when odd). */
static size_t tbcd(const char *d, uint8_t *out)
{
    size_t n = strlen(d), o = 0;
    for (size_t i = 0; i < n; i += 2)
        out[o++] = (uint8_t)((d[i] - '0') | ((i + 1 < n ? d[i + 1] - '0' : 0xf) << 4));
    return o;
}

/* TCAP Begin {otid 01020304, invoke {id 1, op 56 sendAuthenticationInfo, IMSI (v2)}}. */
static size_t tcap_sai(const char *imsi, uint8_t *out)
{
    uint8_t t[16];
    size_t tl = tbcd(imsi, t);
    uint8_t inv[40];
    size_t n = 0;
    inv[n++] = 0x02, inv[n++] = 0x01, inv[n++] = 0x01; /* invokeID 1 */
    inv[n++] = 0x02, inv[n++] = 0x01, inv[n++] = 56;   /* opcode */
    inv[n++] = 0x04, inv[n++] = (uint8_t)tl;
    memcpy(inv + n, t, tl);
    n += tl;
    size_t o = 0;
    out[o++] = 0x62;
    out[o++] = (uint8_t)(6 + 4 + n);
    out[o++] = 0x48, out[o++] = 0x04, out[o++] = 1, out[o++] = 2, out[o++] = 3, out[o++] = 4;
    out[o++] = 0x6c, out[o++] = (uint8_t)(2 + n);
    out[o++] = 0xa1, out[o++] = (uint8_t)n;
    memcpy(out + o, inv, n);
    return o + n;
}

/* A party address routed on a GTI-4 global title with an SSN: BCD digits, encoding scheme
 * odd or even by their count. */
static size_t gt_addr(const char *digits, uint8_t ssn, uint8_t *out)
{
    size_t o = 0;
    out[o++] = 0; /* length, below */
    out[o++] = 0x12;
    out[o++] = ssn;
    out[o++] = 0x00;                                   /* translation type */
    out[o++] = (uint8_t)(0x10 | (strlen(digits) % 2 ? 1 : 2)); /* E.164, BCD odd/even */
    out[o++] = 0x04;                                   /* international */
    size_t n = strlen(digits);
    for (size_t i = 0; i < n; i += 2)
        out[o++] = (uint8_t)((digits[i] - '0') | ((i + 1 < n ? digits[i + 1] - '0' : 0) << 4));
    out[0] = (uint8_t)(o - 1);
    return o;
}

/* SCCP UDT/UDTS (1-byte pointers, no hop counter) or XUDT/XUDTS (hop counter, optional part
 * with the segmentation parameter when @p seg is not NULL: {first|remaining, ref[3]}). */
static void sccp(struct buf *b, uint8_t type, const uint8_t *data, size_t dlen,
                 const uint8_t *seg)
{
    uint8_t cd[32], cg[32];
    size_t cdl = gt_addr("8613800000", 6, cd), cgl = gt_addr("861390000123", 8, cg);
    int x = type == 0x11 || type == 0x12;
    put8(b, type);
    put8(b, type == 0x0a || type == 0x12 ? 1 : 0x80); /* return cause or class 0 + return */
    if (x)
        put8(b, 15); /* hop counter */
    size_t nptr = x ? 4 : 3;
    size_t base = b->n;
    size_t p_called = nptr, p_calling = nptr - 1 + cdl, p_data = nptr - 2 + cdl + cgl;
    put8(b, p_called);
    put8(b, p_calling);
    put8(b, p_data);
    if (x)
        put8(b, seg ? nptr - 3 + cdl + cgl + 1 + dlen : 0);
    put(b, cd, cdl);
    put(b, cg, cgl);
    put8(b, dlen);
    put(b, data, dlen);
    if (x && seg) {
        put8(b, 0x10);
        put8(b, 4);
        put(b, seg, 4);
        put8(b, 0);
    }
    assert_int_equal(b->b[base] + base, base + nptr); /* the called address follows */
}

/* M3UA DATA {Protocol Data {OPC, DPC, SI 3, NI 2, MP 0, SLS 5}, SCCP}. */
static void m3ua(struct buf *out, uint32_t opc, uint32_t dpc, uint8_t si, const struct buf *s)
{
    size_t plen = 4 + 12 + s->n, pad = (4 - plen % 4) % 4;
    put8(out, 1), put8(out, 0), put8(out, 1), put8(out, 1);
    put32(out, (uint32_t)(8 + plen + pad));
    put8(out, 0x02), put8(out, 0x10), put8(out, (unsigned)(plen >> 8)), put8(out, plen & 0xff);
    put32(out, opc);
    put32(out, dpc);
    put8(out, si), put8(out, 2), put8(out, 0), put8(out, 5);
    put(out, s->b, s->n);
    for (size_t i = 0; i < pad; i++)
        put8(out, 0);
}

/* M2PA User Data {BSN, FSN, priority, SIO (NI 2, SI), ITU routing label, SCCP}. */
static void m2pa(struct buf *out, uint32_t opc, uint32_t dpc, uint8_t si, const struct buf *s)
{
    put8(out, 1), put8(out, 0), put8(out, 11), put8(out, 1);
    put32(out, (uint32_t)(16 + 6 + s->n));
    put32(out, 7);
    put32(out, 8);
    put8(out, 0);
    put8(out, 0x80 | si);
    uint32_t label = (dpc & 0x3fff) | (opc & 0x3fff) << 14 | 9u << 28;
    put8(out, label & 0xff), put8(out, (label >> 8) & 0xff), put8(out, (label >> 16) & 0xff),
        put8(out, label >> 24);
    put(out, s->b, s->n);
}

static int run(struct cw_sigtran *s, enum cw_sigtran_layer layer, const struct buf *b,
               uint64_t ts, uint64_t frame, struct got *g, struct cw_decode_stats *st)
{
    uint8_t *copy = malloc(b->n ? b->n : 1); /* exactly sized: ASan sees any overrun */
    assert_non_null(copy);
    memcpy(copy, b->b, b->n);
    struct cw_pkt_meta meta = {ts, frame, 0, 0, NULL};
    struct cw_event_sink sink = {tu_cap_event, &g->ev, on_trace};
    /* the trace's user is the struct got: tu_cap is its first member */
    sink.user = g;
    int rc = cw_sigtran_decode(s, layer, cw_slice_make(copy, b->n), &meta, &sink, st);
    free(copy);
    return rc;
}

static void udt_sai(struct buf *m, uint8_t type, const char *imsi)
{
    uint8_t t[64];
    size_t tl = tcap_sai(imsi, t);
    struct buf s = {.n = 0};
    sccp(&s, type, t, tl, NULL);
    m3ua(m, 1234, 5678, 3, &s);
}

static void test_m3ua_udt(void **state)
{
    (void)state;
    struct buf m = {.n = 0};
    udt_sai(&m, 0x09, "454006107006920");
    struct got g;
    memset(&g, 0, sizeof g);
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(run(NULL, CW_SIGTRAN_M3UA, &m, 5, 1, &g, &st), CW_PARSE_OK);
    assert_int_equal(tu_anomalies(&st), 0);
    assert_int_equal(g.nrec, 1);
    const struct cw_map_rec *r = &g.rec[0];
    assert_int_equal(r->opc, 1234);
    assert_int_equal(r->dpc, 5678);
    assert_int_equal(r->si, 3);
    assert_int_equal(r->ni, 2);
    assert_int_equal(r->sccp_type, 0x09);
    assert_int_equal(r->returned, 0);
    assert_string_equal(r->cdpa, "8613800000");
    assert_string_equal(r->cgpa, "861390000123");
    assert_int_equal(r->cdpa_ssn, 6);
    assert_int_equal(r->cgpa_ssn, 8);
    assert_int_equal(r->tcap, CW_TCAP_BEGIN);
    assert_int_equal(r->opcode, 56);
    assert_string_equal(r->imsi, "454006107006920");
    assert_int_equal(g.ev.n, 1);
    assert_int_equal(g.ev.ev[0].kind, CW_EV_AUTH);
    assert_int_equal(g.ev.ev[0].proto, CW_PROTO_MAP);
    assert_string_equal(g.ev.ev[0].imsi, "454006107006920");
    assert_int_equal(g.ev.ev[0].frame, 1);
}

static void test_m2pa_udt(void **state)
{
    (void)state;
    uint8_t t[64];
    size_t tl = tcap_sai("460001234567890", t);
    struct buf s = {.n = 0}, m = {.n = 0};
    sccp(&s, 0x09, t, tl, NULL);
    m2pa(&m, 3, 4536, 3, &s);
    struct got g;
    memset(&g, 0, sizeof g);
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(run(NULL, CW_SIGTRAN_M2PA, &m, 5, 1, &g, &st), CW_PARSE_OK);
    assert_int_equal(tu_anomalies(&st), 0);
    assert_int_equal(g.nrec, 1);
    assert_int_equal(g.rec[0].opc, 3);
    assert_int_equal(g.rec[0].dpc, 4536);
    assert_int_equal(g.rec[0].ni, 2);
    assert_string_equal(g.rec[0].imsi, "460001234567890");
    assert_int_equal(g.ev.n, 1);
}

/* A returned message (UDTS) is read but was never delivered: a record, no event. */
static void test_udts_returned(void **state)
{
    (void)state;
    struct buf m = {.n = 0};
    udt_sai(&m, 0x0a, "454006107006920");
    struct got g;
    memset(&g, 0, sizeof g);
    assert_int_equal(run(NULL, CW_SIGTRAN_M3UA, &m, 5, 1, &g, NULL), CW_PARSE_OK);
    assert_int_equal(g.nrec, 1);
    assert_int_equal(g.rec[0].returned, 1);
    assert_int_equal(g.rec[0].sccp_type, 0x0a);
    assert_int_equal(g.ev.n, 0);
}

/* Management, non-SCCP users and connection-oriented SCCP: nothing, and only the last is an
 * anomaly (a type we do not read). */
static void test_not_ours(void **state)
{
    (void)state;
    struct got g;
    memset(&g, 0, sizeof g);
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    struct buf aspup = {.n = 0};
    put8(&aspup, 1), put8(&aspup, 0), put8(&aspup, 3), put8(&aspup, 1), put32(&aspup, 8);
    assert_int_equal(run(NULL, CW_SIGTRAN_M3UA, &aspup, 1, 1, &g, &st), CW_PARSE_OK);
    uint8_t t[64];
    size_t tl = tcap_sai("454006107006920", t);
    struct buf s = {.n = 0}, isup = {.n = 0};
    sccp(&s, 0x09, t, tl, NULL);
    m3ua(&isup, 1, 2, 5, &s); /* service indicator 5: ISUP */
    assert_int_equal(run(NULL, CW_SIGTRAN_M3UA, &isup, 1, 2, &g, &st), CW_PARSE_OK);
    assert_int_equal(tu_anomalies(&st), 0);
    struct buf cr = {.n = 0}, m = {.n = 0};
    put8(&cr, 0x01), put8(&cr, 0), put8(&cr, 0), put8(&cr, 0);
    m3ua(&m, 1, 2, 3, &cr);
    assert_int_equal(run(NULL, CW_SIGTRAN_M3UA, &m, 1, 3, &g, &st), CW_PARSE_OK);
    assert_int_equal(st.anomalies[CW_DA_SCCP_UNSUPPORTED], 1);
    struct buf link = {.n = 0}; /* M2PA link status */
    put8(&link, 1), put8(&link, 0), put8(&link, 11), put8(&link, 2), put32(&link, 20);
    put32(&link, 0), put32(&link, 0), put32(&link, 1);
    assert_int_equal(run(NULL, CW_SIGTRAN_M2PA, &link, 1, 4, &g, &st), CW_PARSE_OK);
    assert_int_equal(g.nrec, 0);
    assert_int_equal(g.ev.n, 0);
    assert_int_equal(tu_anomalies(&st), 1);
}

/* Segment @p i of @p n of a TCAP message cut in @p n pieces, local reference @p ref. */
static void xudt_segment(struct buf *m, const uint8_t *t, size_t tl, unsigned i, unsigned n,
                         uint32_t ref)
{
    size_t per = (tl + n - 1) / n, off = i * per, len = off + per > tl ? tl - off : per;
    uint8_t seg[4] = {(uint8_t)((i == 0 ? 0x80 : 0) | (n - 1 - i)), (uint8_t)(ref >> 16),
                      (uint8_t)(ref >> 8), (uint8_t)ref};
    struct buf s = {.n = 0};
    sccp(&s, 0x11, t + off, len, seg);
    m3ua(m, 1234, 5678, 3, &s);
}

static void test_xudt_reassembly(void **state)
{
    (void)state;
    struct cw_sigtran *s;
    assert_int_equal(cw_sigtran_new(&s), 0);
    uint8_t t[64];
    size_t tl = tcap_sai("454006107006920", t);
    struct got g;
    memset(&g, 0, sizeof g);
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    for (unsigned i = 0; i < 3; i++) {
        struct buf m = {.n = 0};
        xudt_segment(&m, t, tl, i, 3, 0xabcdef);
        assert_int_equal(run(s, CW_SIGTRAN_M3UA, &m, 100 + i, 10 + i, &g, &st), CW_PARSE_OK);
        assert_int_equal(g.nrec, i == 2 ? 1 : 0); /* nothing until the last */
    }
    assert_int_equal(tu_anomalies(&st), 0);
    assert_int_equal(g.rec[0].sccp_type, 0x11);
    assert_string_equal(g.rec[0].imsi, "454006107006920");
    assert_int_equal(g.ev.n, 1);
    assert_int_equal(g.ev.ev[0].frame, 12); /* the frame that completed it */

    /* two messages interleaved, on two references */
    uint8_t t2[64];
    size_t tl2 = tcap_sai("460009876543210", t2);
    memset(&g, 0, sizeof g);
    for (unsigned i = 0; i < 2; i++) {
        struct buf a = {.n = 0}, b = {.n = 0};
        xudt_segment(&a, t, tl, i, 2, 1);
        xudt_segment(&b, t2, tl2, i, 2, 2);
        run(s, CW_SIGTRAN_M3UA, &a, 200, 20, &g, &st);
        run(s, CW_SIGTRAN_M3UA, &b, 200, 21, &g, &st);
    }
    assert_int_equal(g.nrec, 2);
    assert_string_equal(g.rec[0].imsi, "454006107006920");
    assert_string_equal(g.rec[1].imsi, "460009876543210");
    assert_int_equal(tu_anomalies(&st), 0);
    cw_sigtran_free(s);
}

static void test_xudt_lost(void **state)
{
    (void)state;
    struct cw_sigtran *s;
    assert_int_equal(cw_sigtran_new(&s), 0);
    uint8_t t[64];
    size_t tl = tcap_sai("454006107006920", t);
    struct got g;
    memset(&g, 0, sizeof g);
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    struct buf m0 = {.n = 0}, m1 = {.n = 0}, m2 = {.n = 0};
    xudt_segment(&m0, t, tl, 0, 3, 7);
    xudt_segment(&m1, t, tl, 1, 3, 7);
    xudt_segment(&m2, t, tl, 2, 3, 7);
    /* the middle segment lost: the last does not fit */
    run(s, CW_SIGTRAN_M3UA, &m0, 1, 1, &g, &st);
    run(s, CW_SIGTRAN_M3UA, &m2, 2, 2, &g, &st);
    assert_int_equal(g.nrec, 0);
    assert_int_equal(st.anomalies[CW_DA_SCCP_REASM_LOST], 1);
    /* out of order: a later segment before the one it follows */
    run(s, CW_SIGTRAN_M3UA, &m0, 3, 3, &g, &st);
    run(s, CW_SIGTRAN_M3UA, &m2, 4, 4, &g, &st);
    run(s, CW_SIGTRAN_M3UA, &m1, 5, 5, &g, &st);
    assert_int_equal(g.nrec, 0);
    assert_int_equal(st.anomalies[CW_DA_SCCP_REASM_LOST], 3);
    /* a start that never ends, replaced by a new start on the same reference */
    run(s, CW_SIGTRAN_M3UA, &m0, 6, 6, &g, &st);
    run(s, CW_SIGTRAN_M3UA, &m0, 7, 7, &g, &st);
    run(s, CW_SIGTRAN_M3UA, &m1, 8, 8, &g, &st);
    run(s, CW_SIGTRAN_M3UA, &m2, 9, 9, &g, &st);
    assert_int_equal(g.nrec, 1);
    assert_int_equal(st.anomalies[CW_DA_SCCP_REASM_LOST], 4);
    /* timed out: the rest comes too late */
    run(s, CW_SIGTRAN_M3UA, &m0, 10, 10, &g, &st);
    run(s, CW_SIGTRAN_M3UA, &m1, 10 + CW_SCCP_REASM_TIMEOUT_US + 1, 11, &g, &st);
    assert_int_equal(st.anomalies[CW_DA_SCCP_REASM_LOST], 6); /* expired, then orphan */
    /* more messages in progress than slots: the stalest is given up */
    uint64_t before = st.anomalies[CW_DA_SCCP_REASM_LOST];
    for (unsigned i = 0; i < CW_SCCP_REASM_SLOTS + 3; i++) {
        struct buf m = {.n = 0};
        xudt_segment(&m, t, tl, 0, 2, 100 + i);
        run(s, CW_SIGTRAN_M3UA, &m, 1000000000ull + i, 20 + i, &g, &st);
    }
    assert_int_equal(st.anomalies[CW_DA_SCCP_REASM_LOST] - before, 3);
    /* a returned segment (XUDTS) is not joined, and is not a loss */
    before = st.anomalies[CW_DA_SCCP_REASM_LOST];
    {
        uint8_t seg[4] = {0x81, 0, 0, 9};
        struct buf sx = {.n = 0}, mx = {.n = 0};
        sccp(&sx, 0x12, t, tl / 2, seg);
        m3ua(&mx, 1234, 5678, 3, &sx);
        memset(&g, 0, sizeof g);
        assert_int_equal(run(s, CW_SIGTRAN_M3UA, &mx, 2000000000ull, 50, &g, &st), CW_PARSE_OK);
        assert_int_equal(g.nrec, 0);
        assert_int_equal(st.anomalies[CW_DA_SCCP_RETURNED_SEGMENT], 1);
        assert_int_equal(st.anomalies[CW_DA_SCCP_REASM_LOST], before);
    }
    /* without state, a segment cannot be joined */
    memset(&g, 0, sizeof g);
    run(NULL, CW_SIGTRAN_M3UA, &m0, 1, 1, &g, &st);
    assert_int_equal(g.nrec, 0);
    cw_sigtran_free(s);
}

/* LUDT: 2-byte pointers and data length. */
static void test_ludt(void **state)
{
    (void)state;
    uint8_t t[64];
    size_t tl = tcap_sai("454006107006920", t);
    uint8_t cd[32], cg[32];
    size_t cdl = gt_addr("8613800000", 6, cd), cgl = gt_addr("86139", 8, cg);
    struct buf s = {.n = 0}, m = {.n = 0};
    put8(&s, 0x13), put8(&s, 0x00), put8(&s, 15);
    size_t p1 = 8, p2 = 6 + cdl, p3 = 4 + cdl + cgl; /* from each pointer's own position */
    put8(&s, p1 & 0xff), put8(&s, p1 >> 8), put8(&s, p2 & 0xff), put8(&s, p2 >> 8);
    put8(&s, p3 & 0xff), put8(&s, p3 >> 8), put8(&s, 0), put8(&s, 0);
    put(&s, cd, cdl);
    put(&s, cg, cgl);
    put8(&s, tl & 0xff), put8(&s, tl >> 8);
    put(&s, t, tl);
    m3ua(&m, 1, 2, 3, &s);
    struct got g;
    memset(&g, 0, sizeof g);
    struct cw_decode_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(run(NULL, CW_SIGTRAN_M3UA, &m, 1, 1, &g, &st), CW_PARSE_OK);
    assert_int_equal(tu_anomalies(&st), 0);
    assert_int_equal(g.nrec, 1);
    assert_int_equal(g.rec[0].sccp_type, 0x13);
    assert_string_equal(g.rec[0].cgpa, "86139"); /* odd number of digits */
    assert_string_equal(g.rec[0].imsi, "454006107006920");
}

/* Global titles of every indicator, and routing on point code and SSN only. */
static void test_gt_forms(void **state)
{
    (void)state;
    char out[CW_NUM_MAX];
    uint8_t t[64];
    size_t tl = tcap_sai("454006107006920", t);
    static const struct {
        uint8_t addr[16];
        size_t len;
        const char *digits;
        uint8_t ssn;
    } cases[] = {
        {{0x04, 0x04, 0x21, 0x43}, 4, "1234", 0},            /* GTI 1, even */
        {{0x04, 0x84, 0x21, 0x03}, 4, "123", 0},             /* GTI 1, odd */
        {{0x0a, 0x08, 0x00, 0x21, 0x43}, 5, "1234", 8},      /* GTI 2, with SSN */
        {{0x0c, 0x00, 0x12, 0x21, 0x43}, 5, "1234", 0},      /* GTI 3 */
        {{0x43, 0x01, 0x02, 0x06}, 4, "", 6},                /* PC + SSN, route on SSN */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct buf s = {.n = 0}, m = {.n = 0};
        uint8_t cd[32];
        size_t cdl = gt_addr("8613800000", 6, cd);
        put8(&s, 0x09), put8(&s, 0x00);
        put8(&s, 3);
        put8(&s, (unsigned)(2 + cdl));
        put8(&s, (unsigned)(1 + cdl + 1 + cases[k].len));
        put(&s, cd, cdl);
        put8(&s, (unsigned)cases[k].len);
        put(&s, cases[k].addr, cases[k].len);
        put8(&s, (unsigned)tl);
        put(&s, t, tl);
        m3ua(&m, 1, 2, 3, &s);
        struct got g;
        memset(&g, 0, sizeof g);
        struct cw_decode_stats st;
        memset(&st, 0, sizeof st);
        assert_int_equal(run(NULL, CW_SIGTRAN_M3UA, &m, 1, 1, &g, &st), CW_PARSE_OK);
        assert_int_equal(tu_anomalies(&st), 0);
        assert_int_equal(g.nrec, 1);
        snprintf(out, sizeof out, "%s", g.rec[0].cgpa);
        assert_string_equal(out, cases[k].digits);
        assert_int_equal(g.rec[0].cgpa_ssn, cases[k].ssn);
    }
}

/* Each malformed message: its reason counted, nothing decoded, no read outside the bytes. */
static void test_malformed(void **state)
{
    (void)state;
    struct buf good = {.n = 0};
    udt_sai(&good, 0x09, "454006107006920");
    static const struct {
        size_t at;
        uint8_t val;
        unsigned reason;
    } cases[] = {
        {0, 2, CW_DA_M3UA_BAD_HEADER},        /* version 2 */
        {7, 0xff, CW_DA_M3UA_BAD_HEADER},     /* message length past the end */
        {7, 4, CW_DA_M3UA_BAD_HEADER},        /* shorter than the header */
        {11, 0xff, CW_DA_M3UA_BAD_PARAM},     /* parameter length past the message */
        {11, 10, CW_DA_M3UA_BAD_PARAM},       /* protocol data shorter than its routing part */
        {26, 0xf0, CW_DA_SCCP_BAD_MESSAGE},   /* called party pointer past the end */
        {26, 0, CW_DA_SCCP_BAD_MESSAGE},      /* a zero pointer */
        {29, 0x60, CW_DA_SCCP_BAD_MESSAGE},   /* called party length past the end */
        {29, 0, CW_DA_SCCP_BAD_ADDRESS},      /* empty address */
        {29, 2, CW_DA_SCCP_BAD_ADDRESS},      /* address indicator + SSN, GT cut off */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct buf m = good;
        m.b[cases[k].at] = cases[k].val;
        struct got g;
        memset(&g, 0, sizeof g);
        struct cw_decode_stats st;
        memset(&st, 0, sizeof st);
        int rc = run(NULL, CW_SIGTRAN_M3UA, &m, 1, 1, &g, &st);
        if (rc != CW_PARSE_ERROR || st.anomalies[cases[k].reason] != 1 || g.ev.n != 0)
            fail_msg("case %zu (byte %zu = 0x%02x): rc %d, reason %s counted %llu, %d events", k,
                     cases[k].at, cases[k].val, rc, cw_decode_anomaly_name(cases[k].reason),
                     (unsigned long long)st.anomalies[cases[k].reason], g.ev.n);
    }
    /* M2PA: version, class, length */
    struct buf s = {.n = 0}, m2 = {.n = 0};
    uint8_t t[64];
    size_t tl = tcap_sai("454006107006920", t);
    sccp(&s, 0x09, t, tl, NULL);
    m2pa(&m2, 1, 2, 3, &s);
    static const size_t at[] = {0, 2, 7};
    for (size_t k = 0; k < 3; k++) {
        struct buf m = m2;
        m.b[at[k]] ^= 0x40;
        struct cw_decode_stats st;
        memset(&st, 0, sizeof st);
        struct got g;
        memset(&g, 0, sizeof g);
        assert_int_equal(run(NULL, CW_SIGTRAN_M2PA, &m, 1, 1, &g, &st), CW_PARSE_ERROR);
        assert_int_equal(st.anomalies[CW_DA_M2PA_BAD_HEADER], 1);
    }
}

/* Every prefix of valid M3UA and M2PA messages: never a read outside them (ASan), never an
 * event from a cut message. */
static void test_truncation(void **state)
{
    (void)state;
    struct cw_sigtran *s;
    assert_int_equal(cw_sigtran_new(&s), 0);
    struct buf full = {.n = 0}, s2 = {.n = 0}, m2 = {.n = 0};
    udt_sai(&full, 0x09, "454006107006920");
    uint8_t t[64];
    size_t tl = tcap_sai("454006107006920", t);
    sccp(&s2, 0x09, t, tl, NULL);
    m2pa(&m2, 1, 2, 3, &s2);
    for (int layer = 0; layer < 2; layer++) {
        const struct buf *f = layer ? &m2 : &full;
        for (size_t n = 0; n < f->n; n++) {
            struct buf m = *f;
            m.n = n;
            struct got g;
            memset(&g, 0, sizeof g);
            run(s, layer ? CW_SIGTRAN_M2PA : CW_SIGTRAN_M3UA, &m, 1, 1, &g, NULL);
            assert_int_equal(g.ev.n, 0);
        }
    }
    cw_sigtran_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_m3ua_udt),      cmocka_unit_test(test_m2pa_udt),
        cmocka_unit_test(test_udts_returned), cmocka_unit_test(test_not_ours),
        cmocka_unit_test(test_xudt_reassembly), cmocka_unit_test(test_xudt_lost),
        cmocka_unit_test(test_ludt),          cmocka_unit_test(test_gt_forms),
        cmocka_unit_test(test_malformed),     cmocka_unit_test(test_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
