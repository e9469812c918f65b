/* test_map.c - the TCAP + GSM MAP decoder (decode/map.h) on hand-built messages: every
 * operation that gives an event in its MAP v1/v2/v3 forms, in Begin / Continue / End /
 * Unidirectional, with and without a dialogue portion, several components in one message,
 * results, errors and rejects, messages without components, definite and indefinite lengths
 * (the whole message and nested parts), SMS text in GSM 7-bit with the extension table, UCS-2,
 * 8-bit data and concatenated parts; returned messages (records, no events); and malformed
 * input: lengths that lie, long and 5-octet lengths, indefinite primitives, missing
 * end-of-contents, depth bombs, endless tags, odd TBCD fillers, truncated TPDUs, wrong types
 * for each field, every truncation of every message in an exactly-sized buffer. Anomalies
 * are checked by reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/map.h"
#include "testutil.h"

static const struct cw_pkt_meta META = {1767225600123456ull, 77, 2, 0, NULL};

/* ---- a small BER builder ---- */

#define BB_DEPTH 64

struct bb {
    uint8_t b[65536];
    size_t len;
    size_t at[BB_DEPTH]; /* where each open value's contents start */
    uint8_t ind[BB_DEPTH];
    int sp;
    unsigned indef; /* bit d set: values opened at depth d get an indefinite length */
};

#define ALL_INDEF (~0u)

static struct bb *bb_new(unsigned indef)
{
    struct bb *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->indef = indef;
    return m;
}

static void put(struct bb *m, const void *p, size_t n)
{
    assert_true(n <= sizeof m->b - m->len);
    if (n)
        memcpy(m->b + m->len, p, n);
    m->len += n;
}

static void put1(struct bb *m, uint8_t v)
{
    put(m, &v, 1);
}

static void put_hex(struct bb *m, const char *hex)
{
    size_t n;
    uint8_t *b = tu_hex(hex, &n);
    put(m, b, n);
    free(b);
}

static size_t len_octets(size_t n, uint8_t out[3])
{
    if (n < 0x80) {
        out[0] = (uint8_t)n;
        return 1;
    }
    if (n < 0x100) {
        out[0] = 0x81;
        out[1] = (uint8_t)n;
        return 2;
    }
    out[0] = 0x82;
    out[1] = (uint8_t)(n >> 8);
    out[2] = (uint8_t)n;
    return 3;
}

static void open_(struct bb *m, uint8_t id)
{
    assert_true(m->sp < BB_DEPTH);
    int indef = m->sp < 32 && ((m->indef >> m->sp) & 1u);
    put1(m, id);
    if (indef)
        put1(m, 0x80);
    m->ind[m->sp] = (uint8_t)indef;
    m->at[m->sp++] = m->len;
}

static void close_(struct bb *m)
{
    assert_true(m->sp > 0);
    size_t at = m->at[--m->sp];
    if (m->ind[m->sp]) {
        put1(m, 0);
        put1(m, 0);
        return;
    }
    uint8_t l[3];
    size_t k = len_octets(m->len - at, l);
    assert_true(k <= sizeof m->b - m->len);
    memmove(m->b + at + k, m->b + at, m->len - at);
    memcpy(m->b + at, l, k);
    m->len += k;
}

static void close_all(struct bb *m)
{
    while (m->sp)
        close_(m);
}

static void prim(struct bb *m, uint8_t id, const void *v, size_t n)
{
    uint8_t l[3];
    put1(m, id);
    put(m, l, len_octets(n, l));
    put(m, v, n);
}

static void prim_hex(struct bb *m, uint8_t id, const char *hex)
{
    size_t n;
    uint8_t *b = tu_hex(hex, &n);
    prim(m, id, b, n);
    free(b);
}

static void prim_u8(struct bb *m, uint8_t id, uint8_t v)
{
    prim(m, id, &v, 1);
}

/* Digits as TBCD (low nibble first, 0xF filler for an odd count). */
static size_t tbcd(const char *d, uint8_t *out)
{
    size_t n = strlen(d), k = 0;
    for (size_t i = 0; i < n; i += 2) {
        uint8_t lo = (uint8_t)(d[i] - '0');
        uint8_t hi = i + 1 < n ? (uint8_t)(d[i + 1] - '0') : 0x0f;
        out[k++] = (uint8_t)(lo | hi << 4);
    }
    return k;
}

static void prim_tbcd(struct bb *m, uint8_t id, const char *digits)
{
    uint8_t b[32];
    prim(m, id, b, tbcd(digits, b));
}

/* AddressString: nature of address / numbering plan octet, then TBCD digits. */
static void addr(struct bb *m, uint8_t id, uint8_t toa, const char *digits)
{
    uint8_t b[32];
    b[0] = toa;
    prim(m, id, b, 1 + tbcd(digits, b + 1));
}

/* ---- TCAP ---- */

#define BEGIN 0x62
#define END 0x64
#define CONTINUE 0x65
#define ABORT 0x67
#define UNIDIRECTIONAL 0x61
#define AARQ 0x60
#define AARE 0x61

static void tcap_open(struct bb *m, uint8_t type, const char *otid, const char *dtid)
{
    open_(m, type);
    if (otid)
        prim_hex(m, 0x48, otid);
    if (dtid)
        prim_hex(m, 0x49, dtid);
}

/* DialoguePortion with an AARQ or AARE naming MAP application context 0.4.0.0.1.0.ac.ver */
static void dialogue(struct bb *m, uint8_t pdu, uint8_t ac, uint8_t ver)
{
    open_(m, 0x6b);
    open_(m, 0x28);
    prim_hex(m, 0x06, "00 11 86 05 01 01 01"); /* dialogue-as-id */
    open_(m, 0xa0);
    open_(m, pdu);
    prim_hex(m, 0x80, "07 80"); /* protocol-version */
    open_(m, 0xa1);
    uint8_t oid[7] = {0x04, 0x00, 0x00, 0x01, 0x00, ac, ver};
    prim(m, 0x06, oid, sizeof oid);
    close_(m);
    if (pdu == AARE) {
        open_(m, 0xa2); /* result: accepted */
        prim_u8(m, 0x02, 0);
        close_(m);
        open_(m, 0xa3); /* result-source-diagnostic: dialogue-service-user null */
        open_(m, 0xa1);
        prim_u8(m, 0x02, 0);
        close_(m);
        close_(m);
    }
    close_(m);
    close_(m);
    close_(m);
    close_(m);
}

static void invoke_open(struct bb *m, uint8_t iid, uint8_t op)
{
    open_(m, 0xa1);
    prim_u8(m, 0x02, iid);
    prim_u8(m, 0x02, op);
}

/* returnResultLast (0xa2) or NotLast (0xa7): leaves the result SEQUENCE open after opcode */
static void result_open(struct bb *m, uint8_t comp, uint8_t iid, uint8_t op)
{
    open_(m, comp);
    prim_u8(m, 0x02, iid);
    open_(m, 0x30);
    prim_u8(m, 0x02, op);
}

/* ---- SMS TPDUs (TS 23.040) ---- */

/* GSM 7-bit septets of a UTF-8 string: letters, digits, space and the punctuation the
 * default alphabet shares with ASCII; '€', '{', '}' through the extension table. */
static size_t septets(const char *s, uint8_t *out)
{
    size_t n = 0;
    while (*s) {
        if (strncmp(s, "\xe2\x82\xac", 3) == 0) {
            out[n++] = 0x1b;
            out[n++] = 0x65;
            s += 3;
            continue;
        }
        char ch = *s++;
        if (ch == '{' || ch == '}') {
            out[n++] = 0x1b;
            out[n++] = ch == '{' ? 0x28 : 0x29;
            continue;
        }
        assert_true((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '%' && ch <= '?') || (ch >= ' ' && ch <= '#'));
        out[n++] = (uint8_t)ch;
    }
    return n;
}

/* Pack septets after a UDH (fill bits up to a septet boundary); returns octets, *udl septets. */
static size_t pack7(const uint8_t *udh, size_t udhlen, const uint8_t *sept, size_t n,
                    uint8_t *out, uint8_t *udl)
{
    size_t start = (udhlen * 8 + 6) / 7 * 7;
    size_t octets = (start + n * 7 + 7) / 8;
    memset(out, 0, octets);
    if (udhlen)
        memcpy(out, udh, udhlen);
    for (size_t i = 0; i < n; i++) {
        size_t pos = start + 7 * i;
        unsigned v = (unsigned)sept[i] << (pos % 8);
        out[pos / 8] |= (uint8_t)v;
        if (v >> 8)
            out[pos / 8 + 1] |= (uint8_t)(v >> 8);
    }
    *udl = (uint8_t)(start / 7 + n);
    return octets;
}

struct tp {
    int deliver;
    const char *addr; /* digits, or a name when toa is 0xd0 */
    uint8_t toa;
    uint8_t dcs;
    const char *udh;  /* hex, with its UDHL octet */
    const char *text; /* GSM 7-bit text (dcs 0) */
    const char *data; /* hex user data (UCS-2, 8-bit) */
};

static size_t tpdu(const struct tp *t, uint8_t *out)
{
    size_t k = 0, udhlen = 0;
    uint8_t udh[32];
    if (t->udh) {
        uint8_t *h = tu_hex(t->udh, &udhlen);
        memcpy(udh, h, udhlen);
        free(h);
    }
    out[k++] = (uint8_t)((t->deliver ? 0x04 : 0x11) | (udhlen ? 0x40 : 0));
    if (!t->deliver)
        out[k++] = 0x2a; /* TP-MR */
    if (t->toa == 0xd0) {
        uint8_t s[16], udl;
        size_t n = septets(t->addr, s);
        size_t o = pack7(NULL, 0, s, n, out + k + 2, &udl);
        out[k] = (uint8_t)((n * 7 + 3) / 4);
        out[k + 1] = t->toa;
        k += 2 + o;
    } else {
        out[k++] = (uint8_t)strlen(t->addr);
        out[k++] = t->toa;
        k += tbcd(t->addr, out + k);
    }
    out[k++] = 0x00; /* TP-PID */
    out[k++] = t->dcs;
    if (t->deliver) {
        static const uint8_t scts[7] = {0x62, 0x11, 0x29, 0x10, 0x00, 0x00, 0x00};
        memcpy(out + k, scts, 7);
        k += 7;
    } else {
        out[k++] = 0xa7; /* TP-VP relative: 24 hours */
    }
    if (t->text) {
        uint8_t s[400], udl;
        size_t n = septets(t->text, s);
        size_t o = pack7(udh, udhlen, s, n, out + k + 1, &udl);
        out[k] = udl;
        k += 1 + o;
    } else {
        size_t n = 0;
        uint8_t *d = t->data ? tu_hex(t->data, &n) : NULL;
        out[k++] = (uint8_t)(udhlen + n);
        memcpy(out + k, udh, udhlen);
        k += udhlen;
        if (n)
            memcpy(out + k, d, n);
        k += n;
        free(d);
    }
    return k;
}

/* ---- MAP arguments ---- */

#define DA_IMSI 0x80
#define DA_LMSI 0x81
#define OA_MSISDN 0x82
#define XX_SC 0x84
#define XX_NO 0x85

/* forwardSM / mo-forwardSM / mt-forwardSM argument. */
static void arg_fsm(struct bb *m, uint8_t da_id, const char *da, uint8_t oa_id, const char *oa,
                    const uint8_t *ui, size_t uin, int more, const char *imsi3)
{
    open_(m, 0x30);
    if (da_id == DA_IMSI)
        prim_tbcd(m, DA_IMSI, da);
    else if (da_id == DA_LMSI)
        prim_hex(m, DA_LMSI, da);
    else if (da_id == XX_SC)
        addr(m, XX_SC, 0x91, da);
    else
        prim(m, da_id, NULL, 0);
    if (oa_id == OA_MSISDN || oa_id == XX_SC)
        addr(m, oa_id, (uint8_t)(oa[0] == '8' ? 0x91 : 0x81), oa);
    else
        prim(m, oa_id, NULL, 0);
    prim(m, 0x04, ui, uin);
    if (more)
        prim(m, 0x05, NULL, 0);
    if (imsi3) {
        open_(m, 0x30); /* extensionContainer (empty) */
        close_(m);
        prim_tbcd(m, 0x04, imsi3);
    }
    close_(m);
}

/* RoutingInfoForSM-Arg: msisdn [0], sm-RP-PRI [1], serviceCentreAddress [2] */
static void arg_sri_sm(struct bb *m, uint8_t toa, const char *msisdn, const char *sc)
{
    open_(m, 0x30);
    addr(m, 0x80, toa, msisdn);
    prim_u8(m, 0x81, 0xff);
    addr(m, 0x82, 0x91, sc);
    close_(m);
}

/* ---- capture ---- */

#define MAXR 16
#define TEXTSZ 1024

struct cap {
    int nrec, nev;
    struct cw_map_rec rec[MAXR];
    char rtext[MAXR][TEXTSZ];
    struct cw_event ev[MAXR];
    char etext[MAXR][TEXTSZ];
};

static struct cap C;
static struct cw_map_rec CTX;

static void assert_cstr(const char *s, size_t cap)
{
    assert_non_null(memchr(s, 0, cap));
}

static void on_trace(void *user, unsigned proto, const void *r)
{
    struct cap *c = user;
    const struct cw_map_rec *rec = r;
    assert_int_equal(proto, CW_PROTO_MAP);
    assert_cstr(rec->imsi, sizeof rec->imsi);
    assert_cstr(rec->msisdn, sizeof rec->msisdn);
    assert_cstr(rec->sc, sizeof rec->sc);
    assert_cstr(rec->imei, sizeof rec->imei);
    assert_cstr(rec->tp_oa, sizeof rec->tp_oa);
    assert_cstr(rec->tp_da, sizeof rec->tp_da);
    assert_true(rec->text.len < TEXTSZ);
    if (c->nrec < MAXR) {
        c->rec[c->nrec] = *rec;
        if (rec->text.len)
            memcpy(c->rtext[c->nrec], rec->text.p, rec->text.len);
        c->rtext[c->nrec][rec->text.len] = 0;
        c->rec[c->nrec].text.p = (const uint8_t *)c->rtext[c->nrec];
    }
    c->nrec++;
}

static void on_event(void *user, const struct cw_event *ev)
{
    struct cap *c = user;
    assert_int_equal(ev->proto, CW_PROTO_MAP);
    assert_int_equal(ev->ts_us, META.ts_us);
    assert_int_equal(ev->frame, META.frame);
    assert_int_equal(ev->file_idx, META.file_idx);
    assert_cstr(ev->calling, sizeof ev->calling);
    assert_cstr(ev->called, sizeof ev->called);
    assert_cstr(ev->imsi, sizeof ev->imsi);
    assert_cstr(ev->imei, sizeof ev->imei);
    assert_true(ev->text.len < TEXTSZ);
    if (c->nev < MAXR) {
        c->ev[c->nev] = *ev;
        if (ev->text.len)
            memcpy(c->etext[c->nev], ev->text.p, ev->text.len);
        c->etext[c->nev][ev->text.len] = 0;
        c->ev[c->nev].text.p = (const uint8_t *)c->etext[c->nev];
    }
    c->nev++;
}

static uint64_t tcap_anomalies(const struct cw_decode_stats *st)
{
    return st->anomalies[CW_DA_TCAP_BAD_BER] + st->anomalies[CW_DA_TCAP_TOO_DEEP] +
           st->anomalies[CW_DA_TCAP_UNKNOWN_TYPE] + st->anomalies[CW_DA_TCAP_BAD_FIELD];
}

/* Decode @p len bytes from an exactly-sized heap copy (ASan sees any over-read) into C and
 * @p st, with @p ctx; checks what holds for every message. */
static int run_bytes(const uint8_t *msg, size_t len, const struct cw_map_rec *ctx,
                     struct cw_decode_stats *st)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, msg, len);
    memset(&C, 0, sizeof C);
    memset(st, 0, sizeof *st);
    struct cw_event_sink sink = {on_event, &C, on_trace};
    int rc = cw_map_decode(cw_slice_make(copy, len), ctx, &META, &sink, st);
    free(copy);
    assert_true(rc == 0 || rc == -1);
    /* -1 exactly when the TCAP message was malformed; map_* reasons do not make it so */
    assert_int_equal(rc == -1, tcap_anomalies(st) != 0);
    assert_true(C.nev <= C.nrec);
    assert_true(st->messages[CW_PROTO_MAP] <= 1);
    for (unsigned p = 0; p < CW_PROTO__COUNT; p++)
        if (p != CW_PROTO_MAP)
            assert_int_equal(st->messages[p], 0);
    if (ctx && ctx->returned)
        assert_int_equal(C.nev, 0);
    return rc;
}

static int run(struct bb *m, struct cw_decode_stats *st)
{
    assert_int_equal(m->sp, 0);
    return run_bytes(m->b, m->len, &CTX, st);
}

static int run_hex(const char *hex, struct cw_decode_stats *st)
{
    size_t n;
    uint8_t *b = tu_hex(hex, &n);
    int rc = run_bytes(b, n, &CTX, st);
    free(b);
    return rc;
}

/* Exact anomaly counts by reason (and none of the other decoders'). */
static void assert_anoms(const struct cw_decode_stats *st, unsigned bad_ber, unsigned too_deep,
                         unsigned unknown, unsigned bad_field, unsigned bad_arg, unsigned bad_sms)
{
    assert_int_equal(st->anomalies[CW_DA_TCAP_BAD_BER], bad_ber);
    assert_int_equal(st->anomalies[CW_DA_TCAP_TOO_DEEP], too_deep);
    assert_int_equal(st->anomalies[CW_DA_TCAP_UNKNOWN_TYPE], unknown);
    assert_int_equal(st->anomalies[CW_DA_TCAP_BAD_FIELD], bad_field);
    assert_int_equal(st->anomalies[CW_DA_MAP_BAD_ARG], bad_arg);
    assert_int_equal(st->anomalies[CW_DA_MAP_BAD_SMS], bad_sms);
    uint64_t all = 0;
    for (unsigned i = 0; i < CW_DA__COUNT; i++)
        all += st->anomalies[i];
    assert_int_equal(all, bad_ber + too_deep + unknown + bad_field + bad_arg + bad_sms);
}

static void assert_clean(const struct cw_decode_stats *st)
{
    assert_anoms(st, 0, 0, 0, 0, 0, 0);
    assert_int_equal(st->messages[CW_PROTO_MAP], 1);
}

static void make_ctx(struct cw_map_rec *c)
{
    memset(c, 0, sizeof *c);
    c->opc = 2057;
    c->dpc = 4129;
    c->si = 3;
    c->ni = 2;
    c->sccp_type = 0x09;
    c->cdpa_ssn = 6;
    c->cgpa_ssn = 8;
    strcpy(c->cdpa, "8613900000000");
    strcpy(c->cgpa, "8613800250500");
    /* what a caller leaves in the TCAP and MAP part is not used */
    c->tcap = 9;
    c->otid_len = 3;
    c->comp = 4;
    c->opcode = 99;
    c->invoke_id = 5;
    c->error = 6;
    c->acn = 7;
    c->acn_version = 7;
    c->has_tpdu = 1;
    strcpy(c->imsi, "999999");
    strcpy(c->sc, "1");
    strcpy(c->tp_oa, "2");
}

static int setup(void **state)
{
    (void)state;
    make_ctx(&CTX);
    return 0;
}

/* The record carries the lower layers' fields of the context. */
static void assert_lower(const struct cw_map_rec *r)
{
    assert_int_equal(r->opc, 2057);
    assert_int_equal(r->dpc, 4129);
    assert_int_equal(r->si, 3);
    assert_int_equal(r->ni, 2);
    assert_int_equal(r->sccp_type, 0x09);
    assert_int_equal(r->returned, CTX.returned);
    assert_int_equal(r->cdpa_ssn, 6);
    assert_int_equal(r->cgpa_ssn, 8);
    assert_string_equal(r->cdpa, "8613900000000");
    assert_string_equal(r->cgpa, "8613800250500");
}

static void assert_tid(const uint8_t *b, uint8_t n, const char *hex)
{
    size_t k = 0;
    uint8_t *want = hex ? tu_hex(hex, &k) : NULL;
    assert_int_equal(n, k);
    if (k)
        assert_memory_equal(b, want, k);
    free(want);
}

static void assert_tcap(const struct cw_map_rec *r, uint8_t tcap, const char *otid,
                        const char *dtid, int acn, int ver)
{
    assert_lower(r);
    assert_int_equal(r->tcap, tcap);
    assert_tid(r->otid, r->otid_len, otid);
    assert_tid(r->dtid, r->dtid_len, dtid);
    assert_int_equal(r->acn, acn);
    assert_int_equal(r->acn_version, ver);
}

static void assert_comp(const struct cw_map_rec *r, uint8_t comp, int iid, int op, int err)
{
    assert_int_equal(r->comp, comp);
    assert_int_equal(r->invoke_id, iid);
    assert_int_equal(r->opcode, op);
    assert_int_equal(r->error, err);
}

static void assert_map(const struct cw_map_rec *r, const char *imsi, const char *msisdn,
                       const char *sc, const char *imei)
{
    assert_string_equal(r->imsi, imsi);
    assert_string_equal(r->msisdn, msisdn);
    assert_string_equal(r->sc, sc);
    assert_string_equal(r->imei, imei);
}

static void assert_no_tpdu(const struct cw_map_rec *r)
{
    assert_int_equal(r->has_tpdu, 0);
    assert_int_equal(r->tpdu_mti, 0);
    assert_string_equal(r->tp_oa, "");
    assert_string_equal(r->tp_da, "");
    assert_int_equal(r->text.len, 0);
}

static void assert_event(const struct cw_event *ev, int kind, const char *calling,
                         const char *called, const char *imsi, const char *imei, uint8_t flags,
                         const char *text)
{
    assert_int_equal(ev->kind, kind);
    assert_string_equal(ev->calling, calling);
    assert_string_equal(ev->called, called);
    assert_string_equal(ev->imsi, imsi);
    assert_string_equal(ev->imei, imei);
    assert_int_equal(ev->flags, flags);
    assert_int_equal(ev->text.len, strlen(text));
    assert_string_equal((const char *)ev->text.p, text);
}

/* ---- message builders used by several tests ---- */

#define IMSI1 "460001234567890"
#define MSISDN1 "8613912345678"
#define SC1 "8613800250500"

/* Begin { otid, AARQ shortMsgGatewayContext-v3, invoke SRI-SM } */
static void build_sri_sm(struct bb *m)
{
    tcap_open(m, BEGIN, "0000080e", NULL);
    dialogue(m, AARQ, 20, 3);
    open_(m, 0x6c);
    invoke_open(m, 1, 45);
    arg_sri_sm(m, 0x91, MSISDN1, SC1);
    close_all(m);
}

/* End { dtid, AARE, returnResultLast SRI-SM { imsi, locationInfoWithLMSI } } */
static void build_sri_sm_res(struct bb *m, uint8_t comp)
{
    tcap_open(m, END, NULL, "25c60f");
    dialogue(m, AARE, 20, 3);
    open_(m, 0x6c);
    result_open(m, comp, 1, 45);
    open_(m, 0x30);
    prim_tbcd(m, 0x04, IMSI1);
    open_(m, 0xa0);
    addr(m, 0x81, 0x91, "8613900000");
    close_(m);
    close_all(m);
}

static const char MO_TEXT[] = "Win 5\xe2\x82\xac {now}";

/* Continue { otid, dtid, AARQ shortMsgMO-Relay-v3, invoke mo-forwardSM v3 } */
static void build_mo_v3(struct bb *m)
{
    uint8_t ui[200];
    struct tp t = {0, "8613700000001", 0x91, 0x00, NULL, MO_TEXT, NULL};
    size_t n = tpdu(&t, ui);
    tcap_open(m, CONTINUE, "01", "a5050001");
    dialogue(m, AARQ, 21, 3);
    open_(m, 0x6c);
    invoke_open(m, 3, 46);
    arg_fsm(m, XX_SC, SC1, OA_MSISDN, MSISDN1, ui, n, 0, IMSI1);
    close_all(m);
}

/* Begin { AARQ shortMsgMT-Relay-v3, invoke mt-forwardSM: UCS-2 Chinese from an
 * international number, more messages to send } */
static const char MT_TEXT[] = "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c"; /* 你好世界 */

static void build_mt_v3(struct bb *m)
{
    uint8_t ui[200];
    struct tp t = {1, "8613800138000", 0x91, 0x08, NULL, NULL, "4f60 597d 4e16 754c"};
    size_t n = tpdu(&t, ui);
    tcap_open(m, BEGIN, "c5050001", NULL);
    dialogue(m, AARQ, 25, 3);
    open_(m, 0x6c);
    invoke_open(m, 1, 44);
    arg_fsm(m, DA_IMSI, IMSI1, XX_SC, SC1, ui, n, 1, NULL);
    close_all(m);
}

/* Begin { AARQ networkLocUp-v3, invoke updateLocation v3 } */
static void build_ul_v3(struct bb *m)
{
    tcap_open(m, BEGIN, "1122", NULL);
    dialogue(m, AARQ, 1, 3);
    open_(m, 0x6c);
    invoke_open(m, 1, 2);
    open_(m, 0x30);
    prim_tbcd(m, 0x04, IMSI1);
    addr(m, 0x81, 0x91, "8613900001");
    addr(m, 0x04, 0x91, "8613900002");
    open_(m, 0xa6); /* vlr-Capability */
    prim_hex(m, 0x80, "00");
    close_(m);
    close_all(m);
}

/* ---- the operations ---- */

static void test_sri_sm(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    struct bb *m = bb_new(0);
    build_sri_sm(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_int_equal(C.nrec, 1);
    const struct cw_map_rec *r = &C.rec[0];
    assert_tcap(r, CW_TCAP_BEGIN, "0000080e", NULL, 20, 3);
    assert_comp(r, CW_COMP_INVOKE, 1, 45, -1);
    assert_map(r, "", MSISDN1, SC1, "");
    assert_no_tpdu(r);
    assert_int_equal(C.nev, 1);
    assert_event(&C.ev[0], CW_EV_LOOKUP, "", MSISDN1, "", "", CW_EVF_CALLED_INTL, "");

    /* a national number: no INTL flag; MAP v2, no dialogue portion (v1 style) */
    free(m);
    m = bb_new(0);
    tcap_open(m, BEGIN, "7f", NULL);
    open_(m, 0x6c);
    invoke_open(m, 0x7f, 45);
    arg_sri_sm(m, 0x81, "13912345678", SC1);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "7f", NULL, 0, 0);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 127, 45, -1);
    assert_int_equal(C.nev, 1);
    assert_event(&C.ev[0], CW_EV_LOOKUP, "", "13912345678", "", "", 0, "");
    free(m);
    /* -1 is an invoke id like any other (INTEGER -128..127), not "absent" */
    m = bb_new(0);
    tcap_open(m, BEGIN, "7f", NULL);
    open_(m, 0x6c);
    invoke_open(m, 0xff, 45);
    arg_sri_sm(m, 0x81, "13912345678", SC1);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, -1, 45, -1);
    free(m);
}

static void test_sri_sm_result(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    static const uint8_t comps[2] = {0xa2, 0xa7};
    for (int k = 0; k < 2; k++) {
        struct bb *m = bb_new(0);
        build_sri_sm_res(m, comps[k]);
        assert_int_equal(run(m, &st), 0);
        assert_clean(&st);
        assert_int_equal(C.nrec, 1);
        assert_tcap(&C.rec[0], CW_TCAP_END, NULL, "25c60f", 20, 3);
        assert_comp(&C.rec[0], k ? CW_COMP_RESULT_NOT_LAST : CW_COMP_RESULT_LAST, 1, 45, -1);
        assert_map(&C.rec[0], IMSI1, "", "", "");
        assert_int_equal(C.nev, 1);
        assert_event(&C.ev[0], CW_EV_LOOKUP, "", "", IMSI1, "", 0, "");
        free(m);
    }
    /* the result of another operation: a record only (sendAuthenticationInfo's vectors) */
    struct bb *m = bb_new(0);
    tcap_open(m, END, NULL, "25c60f");
    open_(m, 0x6c);
    result_open(m, 0xa2, 1, 56);
    open_(m, 0x30);
    prim_tbcd(m, 0x04, IMSI1); /* looks like an IMSI, but is not read */
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_comp(&C.rec[0], CW_COMP_RESULT_LAST, 1, 56, -1);
    assert_map(&C.rec[0], "", "", "", "");
    assert_int_equal(C.nev, 0);
    free(m);
}

static void test_mo_forward_sm_v3(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    struct bb *m = bb_new(0);
    build_mo_v3(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_int_equal(C.nrec, 1);
    const struct cw_map_rec *r = &C.rec[0];
    assert_tcap(r, CW_TCAP_CONTINUE, "01", "a5050001", 21, 3);
    assert_comp(r, CW_COMP_INVOKE, 3, 46, -1);
    assert_map(r, IMSI1, MSISDN1, SC1, "");
    assert_int_equal(r->has_tpdu, 1);
    assert_int_equal(r->tpdu_mti, 1);
    assert_string_equal(r->tp_da, "8613700000001");
    assert_string_equal(r->tp_oa, "");
    assert_string_equal((const char *)r->text.p, MO_TEXT);
    assert_int_equal(C.nev, 1);
    assert_event(&C.ev[0], CW_EV_SMS_MO, MSISDN1, "8613700000001", IMSI1, "",
                 CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL, MO_TEXT);
    free(m);
}

static void test_forward_sm_v2_mo(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    /* forwardSM v2 from a national MSISDN to a short code, 8-bit data: no text */
    uint8_t ui[200];
    struct tp t = {0, "10086", 0x81, 0x04, NULL, NULL, "ca fe ba be"};
    size_t n = tpdu(&t, ui);
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "00000002", NULL);
    dialogue(m, AARQ, 21, 2);
    open_(m, 0x6c);
    invoke_open(m, 1, 46);
    arg_fsm(m, XX_SC, SC1, OA_MSISDN, "13912345678", ui, n, 0, NULL);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    const struct cw_map_rec *r = &C.rec[0];
    assert_tcap(r, CW_TCAP_BEGIN, "00000002", NULL, 21, 2);
    assert_map(r, "", "13912345678", SC1, "");
    assert_int_equal(r->has_tpdu, 1);
    assert_int_equal(r->tpdu_mti, 1);
    assert_string_equal(r->tp_da, "10086");
    assert_int_equal(r->text.len, 0);
    assert_int_equal(C.nev, 1);
    assert_event(&C.ev[0], CW_EV_SMS_MO, "13912345678", "10086", "", "", 0, "");

    /* the same to an alphanumeric-looking service code "*1#": CALLED_ALNUM */
    free(m);
    m = bb_new(0);
    n = tpdu(&t, ui);
    ui[2] = 3;    /* TP-DA "*1#": 3 semi-octets ('*' = 0xA, '#' = 0xB), 2 octets not 3 */
    ui[4] = 0x1a;
    ui[5] = 0xfb;
    memmove(ui + 6, ui + 7, n - 7);
    n--;
    tcap_open(m, BEGIN, "00000002", NULL);
    open_(m, 0x6c);
    invoke_open(m, 1, 46);
    arg_fsm(m, XX_SC, SC1, OA_MSISDN, MSISDN1, ui, n, 0, NULL);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_string_equal(C.rec[0].tp_da, "*1#");
    assert_event(&C.ev[0], CW_EV_SMS_MO, MSISDN1, "*1#", "", "",
                 CW_EVF_CALLING_INTL | CW_EVF_CALLED_ALNUM, "");
    free(m);
}

static void test_mt_forward_sm_v3_ucs2(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    struct bb *m = bb_new(0);
    build_mt_v3(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_int_equal(C.nrec, 1);
    const struct cw_map_rec *r = &C.rec[0];
    assert_tcap(r, CW_TCAP_BEGIN, "c5050001", NULL, 25, 3);
    assert_comp(r, CW_COMP_INVOKE, 1, 44, -1);
    assert_map(r, IMSI1, "", SC1, "");
    assert_int_equal(r->has_tpdu, 1);
    assert_int_equal(r->tpdu_mti, 0);
    assert_string_equal(r->tp_oa, "8613800138000");
    assert_string_equal(r->tp_da, "");
    assert_string_equal((const char *)r->text.p, MT_TEXT);
    assert_int_equal(C.nev, 1);
    assert_event(&C.ev[0], CW_EV_SMS_MT, "8613800138000", "", IMSI1, "", CW_EVF_CALLING_INTL,
                 MT_TEXT);
    free(m);
}

static void test_forward_sm_mt_lmsi_udh(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    /* forwardSM v1 (no dialogue) to an LMSI from the alphanumeric sender "BANK": part 1 of 2
     * of a concatenated GSM 7-bit message */
    uint8_t ui[200];
    struct tp t = {1, "BANK", 0xd0, 0x00, "05 00 03 2a 02 01", "Part one {1}", NULL};
    size_t n = tpdu(&t, ui);
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "0a0b0c0d", NULL);
    open_(m, 0x6c);
    invoke_open(m, 1, 46);
    arg_fsm(m, DA_LMSI, "01020304", XX_SC, SC1, ui, n, 0, NULL);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    const struct cw_map_rec *r = &C.rec[0];
    assert_tcap(r, CW_TCAP_BEGIN, "0a0b0c0d", NULL, 0, 0);
    assert_map(r, "", "", SC1, "");
    assert_int_equal(r->has_tpdu, 1);
    assert_int_equal(r->tpdu_mti, 0);
    assert_string_equal(r->tp_oa, "BANK");
    assert_string_equal((const char *)r->text.p, "Part one {1}");
    assert_int_equal(C.nev, 1);
    assert_event(&C.ev[0], CW_EV_SMS_MT, "BANK", "", "", "", CW_EVF_CALLING_ALNUM,
                 "Part one {1}");

    /* an MT with no sender we can name (a status report) to an LMSI: a record, no event, and
     * nothing malformed */
    free(m);
    m = bb_new(0);
    /* SMS-STATUS-REPORT: MR, RA, SCTS, DT, ST */
    static const uint8_t report[] = {0x02, 0x2a, 0x04, 0x81, 0x21, 0x43, 0x62, 0x11,
                                     0x29, 0x10, 0x00, 0x00, 0x00, 0x62, 0x11, 0x29,
                                     0x10, 0x01, 0x00, 0x00, 0x00};
    tcap_open(m, BEGIN, "0a0b0c0d", NULL);
    open_(m, 0x6c);
    invoke_open(m, 1, 46);
    arg_fsm(m, DA_LMSI, "01020304", XX_SC, SC1, report, sizeof report, 0, NULL);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_int_equal(C.rec[0].has_tpdu, 1);
    assert_int_equal(C.rec[0].tpdu_mti, 2);
    assert_string_equal(C.rec[0].tp_oa, "");
    assert_int_equal(C.nev, 0);

    /* the same report to an IMSI: an sms_mt event on the IMSI alone */
    free(m);
    m = bb_new(0);
    tcap_open(m, BEGIN, "0a0b0c0d", NULL);
    open_(m, 0x6c);
    invoke_open(m, 1, 46);
    arg_fsm(m, DA_IMSI, IMSI1, XX_SC, SC1, report, sizeof report, 0, NULL);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_int_equal(C.nev, 1);
    assert_event(&C.ev[0], CW_EV_SMS_MT, "", "", IMSI1, "", 0, "");
    free(m);
}

static void test_forward_sm_no_rp(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    uint8_t ui[200];
    struct tp sub = {0, "8613700000001", 0x91, 0x00, NULL, "hi", NULL};
    struct tp del = {1, "8613700000001", 0x91, 0x00, NULL, "hi", NULL};
    /* noSM-RP-DA with an MSISDN origin: mobile originated */
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "01", NULL);
    open_(m, 0x6c);
    invoke_open(m, 1, 46);
    arg_fsm(m, XX_NO, NULL, OA_MSISDN, MSISDN1, ui, tpdu(&sub, ui), 0, NULL);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_event(&C.ev[0], CW_EV_SMS_MO, MSISDN1, "8613700000001", "", "",
                 CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL, "hi");
    /* noSM-RP-DA with an SC origin: mobile terminated (no recipient named: the sender) */
    free(m);
    m = bb_new(0);
    tcap_open(m, BEGIN, "01", NULL);
    open_(m, 0x6c);
    invoke_open(m, 1, 44);
    arg_fsm(m, XX_NO, NULL, XX_SC, SC1, ui, tpdu(&del, ui), 0, NULL);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_event(&C.ev[0], CW_EV_SMS_MT, "8613700000001", "", "", "", CW_EVF_CALLING_INTL,
                 "hi");
    /* SC destination, noSM-RP-OA, v3 imsi: mobile originated on the IMSI */
    free(m);
    m = bb_new(0);
    tcap_open(m, BEGIN, "01", NULL);
    dialogue(m, AARQ, 21, 3);
    open_(m, 0x6c);
    invoke_open(m, 1, 46);
    arg_fsm(m, XX_SC, SC1, XX_NO, NULL, ui, tpdu(&sub, ui), 0, IMSI1);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_event(&C.ev[0], CW_EV_SMS_MO, "", "8613700000001", IMSI1, "", CW_EVF_CALLED_INTL,
                 "hi");
    free(m);
}

static void test_update_location(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    /* v3 */
    struct bb *m = bb_new(0);
    build_ul_v3(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "1122", NULL, 1, 3);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, 2, -1);
    assert_map(&C.rec[0], IMSI1, "", "", "");
    assert_int_equal(C.nev, 1);
    assert_event(&C.ev[0], CW_EV_REGISTER, "", "", IMSI1, "", 0, "");
    /* v1: locationInfo CHOICE msc-Number [1], no dialogue; a 6-digit IMSI (the shortest) */
    free(m);
    m = bb_new(0);
    tcap_open(m, BEGIN, "11", NULL);
    open_(m, 0x6c);
    invoke_open(m, 9, 2);
    open_(m, 0x30);
    prim_tbcd(m, 0x04, "460001");
    addr(m, 0x81, 0x91, "8613900001");
    addr(m, 0x04, 0x91, "8613900002");
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_event(&C.ev[0], CW_EV_REGISTER, "", "", "460001", "", 0, "");
    /* updateGprsLocation v3: imsi, sgsn-Number, sgsn-Address */
    free(m);
    m = bb_new(0);
    tcap_open(m, BEGIN, "c5050001", NULL);
    dialogue(m, AARQ, 32, 3);
    open_(m, 0x6c);
    invoke_open(m, 1, 23);
    open_(m, 0x30);
    prim_tbcd(m, 0x04, "46000410000010");
    addr(m, 0x04, 0x91, "861370800");
    prim_hex(m, 0x04, "04 0a 00 00 01");
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "c5050001", NULL, 32, 3);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, 23, -1);
    assert_map(&C.rec[0], "46000410000010", "", "", "");
    assert_event(&C.ev[0], CW_EV_REGISTER, "", "", "46000410000010", "", 0, "");
    free(m);
}

static void test_send_auth_info(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    /* v2: the argument is the IMSI itself */
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "a5050001", NULL);
    dialogue(m, AARQ, 14, 2);
    open_(m, 0x6c);
    invoke_open(m, 1, 56);
    prim_tbcd(m, 0x04, IMSI1);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "a5050001", NULL, 14, 2);
    assert_map(&C.rec[0], IMSI1, "", "", "");
    assert_event(&C.ev[0], CW_EV_AUTH, "", "", IMSI1, "", 0, "");
    /* v3: SEQUENCE { imsi [0], numberOfRequestedVectors, requestingNodeType [3] } */
    free(m);
    m = bb_new(0);
    tcap_open(m, BEGIN, "a5050001", NULL);
    dialogue(m, AARQ, 14, 3);
    open_(m, 0x6c);
    invoke_open(m, 1, 56);
    open_(m, 0x30);
    prim_tbcd(m, 0x80, IMSI1);
    prim_u8(m, 0x02, 5);
    prim_u8(m, 0x83, 1);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_event(&C.ev[0], CW_EV_AUTH, "", "", IMSI1, "", 0, "");
    /* v3 without an argument (more vectors in the same dialogue): a record, no event, fine */
    free(m);
    m = bb_new(0);
    tcap_open(m, CONTINUE, "a5050001", "840001ff");
    open_(m, 0x6c);
    invoke_open(m, 2, 56);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_tcap(&C.rec[0], CW_TCAP_CONTINUE, "a5050001", "840001ff", 0, 0);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 2, 56, -1);
    assert_map(&C.rec[0], "", "", "", "");
    assert_int_equal(C.nev, 0);
    free(m);
}

static void test_check_imei(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    /* v2: the bare IMEI, 15 digits + filler (the last one the spare 0, replaced by Luhn) */
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "01020304", NULL);
    dialogue(m, AARQ, 11, 2);
    open_(m, 0x6c);
    invoke_open(m, 1, 43);
    prim_tbcd(m, 0x04, "490154203237510");
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "01020304", NULL, 11, 2);
    assert_map(&C.rec[0], "", "", "", "490154203237518");
    assert_event(&C.ev[0], CW_EV_AUTH, "", "", "", "490154203237518", 0, "");
    /* v3: SEQUENCE { imei (an IMEISV: 16 digits), requestedEquipmentInfo BIT STRING } */
    free(m);
    m = bb_new(0);
    tcap_open(m, BEGIN, "01020304", NULL);
    dialogue(m, AARQ, 11, 3);
    open_(m, 0x6c);
    invoke_open(m, 1, 43);
    open_(m, 0x30);
    prim_tbcd(m, 0x04, "4901542032375101");
    prim_hex(m, 0x03, "06 c0");
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_map(&C.rec[0], "", "", "", "490154203237518");
    assert_event(&C.ev[0], CW_EV_AUTH, "", "", "", "490154203237518", 0, "");
    free(m);
}

static void test_any_time_interrogation(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    for (int by_msisdn = 0; by_msisdn < 2; by_msisdn++) {
        struct bb *m = bb_new(0);
        tcap_open(m, BEGIN, "0000080e", NULL);
        dialogue(m, AARQ, 29, 3);
        open_(m, 0x6c);
        invoke_open(m, 1, 71);
        open_(m, 0x30);
        open_(m, 0xa0);
        if (by_msisdn)
            addr(m, 0x81, 0x91, "918793714126");
        else
            prim_tbcd(m, 0x80, "405037027451342");
        close_(m);
        open_(m, 0xa1); /* requestedInfo { locationInformation, subscriberState } */
        prim(m, 0x80, NULL, 0);
        prim(m, 0x81, NULL, 0);
        close_(m);
        addr(m, 0x83, 0x91, "35699410525");
        close_all(m);
        assert_int_equal(run(m, &st), 0);
        assert_clean(&st);
        assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "0000080e", NULL, 29, 3);
        assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, 71, -1);
        assert_int_equal(C.nev, 1);
        if (by_msisdn) {
            assert_map(&C.rec[0], "", "918793714126", "", "");
            assert_event(&C.ev[0], CW_EV_LOOKUP, "", "918793714126", "", "", CW_EVF_CALLED_INTL,
                         "");
        } else {
            assert_map(&C.rec[0], "405037027451342", "", "", "");
            assert_event(&C.ev[0], CW_EV_LOOKUP, "", "", "405037027451342", "", 0, "");
        }
        free(m);
    }
}

static void test_send_routing_info(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "4d1f", NULL);
    dialogue(m, AARQ, 5, 3);
    open_(m, 0x6c);
    invoke_open(m, 1, 22);
    open_(m, 0x30);
    addr(m, 0x80, 0x91, "447799119004");
    prim_u8(m, 0x83, 0); /* interrogationType basicCall */
    addr(m, 0x86, 0x91, "447799000001");
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "4d1f", NULL, 5, 3);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, 22, -1);
    assert_map(&C.rec[0], "", "447799119004", "", "");
    assert_event(&C.ev[0], CW_EV_LOOKUP, "", "447799119004", "", "", CW_EVF_CALLED_INTL, "");
    free(m);
}

/* insertSubscriberData, sendIdentification and an unknown operation: records, no events; a
 * reject and a returnError; several components in one message. */
static void test_records_only_and_several_components(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    struct bb *m = bb_new(0);
    tcap_open(m, CONTINUE, "850001ff", "c5050001");
    dialogue(m, AARE, 32, 3);
    open_(m, 0x6c);
    invoke_open(m, 2, 7); /* insertSubscriberData { imsi, msisdn, category, ... } */
    open_(m, 0x30);
    prim_tbcd(m, 0x80, IMSI1);
    addr(m, 0x81, 0x91, "8615221000101");
    prim_u8(m, 0x82, 0x0a);
    close_(m);
    close_(m);
    invoke_open(m, 3, 55); /* sendIdentification { tmsi } */
    prim_hex(m, 0x04, "01 02 03 04");
    close_(m);
    invoke_open(m, 4, 99); /* not a MAP operation we know */
    prim_hex(m, 0x04, "ff");
    close_(m);
    open_(m, 0xa4); /* reject, invoke id not derivable, generalProblem */
    prim(m, 0x05, NULL, 0);
    prim_u8(m, 0x80, 1);
    close_(m);
    open_(m, 0xa4); /* reject of invoke 9, invokeProblem */
    prim_u8(m, 0x02, 9);
    prim_u8(m, 0x81, 2);
    close_(m);
    invoke_open(m, 5, 45); /* and one that gives an event, after them all */
    arg_sri_sm(m, 0x91, MSISDN1, SC1);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_int_equal(C.nrec, 6);
    for (int i = 0; i < 6; i++)
        assert_tcap(&C.rec[i], CW_TCAP_CONTINUE, "850001ff", "c5050001", 32, 3);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 2, 7, -1);
    assert_map(&C.rec[0], IMSI1, "8615221000101", "", "");
    assert_comp(&C.rec[1], CW_COMP_INVOKE, 3, 55, -1);
    assert_map(&C.rec[1], "", "", "", "");
    assert_comp(&C.rec[2], CW_COMP_INVOKE, 4, 99, -1);
    assert_comp(&C.rec[3], CW_COMP_REJECT, CW_MAP_ABSENT, -1, -1);
    assert_comp(&C.rec[4], CW_COMP_REJECT, 9, -1, -1);
    assert_comp(&C.rec[5], CW_COMP_INVOKE, 5, 45, -1);
    assert_map(&C.rec[5], "", MSISDN1, SC1, "");
    assert_int_equal(C.nev, 1);
    assert_event(&C.ev[0], CW_EV_LOOKUP, "", MSISDN1, "", "", CW_EVF_CALLED_INTL, "");

    /* End with a returnError (roamingNotAllowed, with its parameter), a returnResultLast
     * without parameters, and an invoke with a linked id in between */
    free(m);
    m = bb_new(0);
    tcap_open(m, END, NULL, "00000811");
    open_(m, 0x6c);
    open_(m, 0xa3);
    prim_u8(m, 0x02, 1);
    prim_u8(m, 0x02, 8);
    open_(m, 0x30);
    prim_u8(m, 0x0a, 0);
    close_(m);
    close_(m);
    open_(m, 0xa1);
    prim_u8(m, 0x02, 2);
    prim_u8(m, 0x80, 1); /* linkedID */
    prim_u8(m, 0x02, 2);
    open_(m, 0x30);
    prim_tbcd(m, 0x04, IMSI1);
    close_(m);
    close_(m);
    open_(m, 0xa2);
    prim_u8(m, 0x02, 3);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_int_equal(C.nrec, 3);
    assert_tcap(&C.rec[0], CW_TCAP_END, NULL, "00000811", 0, 0);
    assert_comp(&C.rec[0], CW_COMP_ERROR, 1, -1, 8);
    assert_comp(&C.rec[1], CW_COMP_INVOKE, 2, 2, -1);
    assert_map(&C.rec[1], IMSI1, "", "", "");
    assert_comp(&C.rec[2], CW_COMP_RESULT_LAST, 3, -1, -1);
    assert_int_equal(C.nev, 1);
    assert_event(&C.ev[0], CW_EV_REGISTER, "", "", IMSI1, "", 0, "");
    free(m);
}

static void test_no_components(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    /* a Begin with only a dialogue portion */
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "00000001", NULL);
    dialogue(m, AARQ, 21, 3);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_int_equal(C.nrec, 1);
    assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "00000001", NULL, 21, 3);
    assert_comp(&C.rec[0], CW_COMP_NONE, CW_MAP_ABSENT, -1, -1);
    assert_map(&C.rec[0], "", "", "", "");
    assert_int_equal(C.nev, 0);
    /* Abort with a P-Abort cause; Abort with a user abort (ABRT); an empty component portion */
    assert_int_equal(run_hex("67 09 49 04 00 00 08 0e 4a 01 01", &st), 0);
    assert_clean(&st);
    assert_int_equal(C.nrec, 1);
    assert_tcap(&C.rec[0], CW_TCAP_ABORT, NULL, "0000080e", 0, 0);
    assert_comp(&C.rec[0], CW_COMP_NONE, CW_MAP_ABSENT, -1, -1);
    assert_int_equal(run_hex("67 17 49 01 07 6b 12 28 10 06 07 00 11 86 05 01 01 01 a0 05 64 03 "
                             "80 01 01",
                             &st),
                     0);
    assert_clean(&st);
    assert_int_equal(C.nrec, 1);
    assert_tcap(&C.rec[0], CW_TCAP_ABORT, NULL, "07", 0, 0);
    assert_comp(&C.rec[0], CW_COMP_NONE, CW_MAP_ABSENT, -1, -1);
    assert_int_equal(run_hex("65 08 48 01 01 49 01 02 6c 00", &st), 0);
    assert_clean(&st);
    assert_int_equal(C.nrec, 1);
    assert_tcap(&C.rec[0], CW_TCAP_CONTINUE, "01", "02", 0, 0);
    assert_comp(&C.rec[0], CW_COMP_NONE, CW_MAP_ABSENT, -1, -1);
    free(m);
}

static void test_unidirectional(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    struct bb *m = bb_new(0);
    open_(m, UNIDIRECTIONAL);
    open_(m, 0x6c);
    invoke_open(m, 0, 45);
    arg_sri_sm(m, 0x91, MSISDN1, SC1);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_tcap(&C.rec[0], CW_TCAP_UNIDIRECTIONAL, NULL, NULL, 0, 0);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 0, 45, -1);
    assert_event(&C.ev[0], CW_EV_LOOKUP, "", MSISDN1, "", "", CW_EVF_CALLED_INTL, "");
    free(m);
}

/* Records and events compared field by field (texts by value). */
static void assert_same_rec(const struct cw_map_rec *a, const struct cw_map_rec *b)
{
    assert_lower(a);
    assert_int_equal(a->tcap, b->tcap);
    assert_int_equal(a->otid_len, b->otid_len);
    assert_memory_equal(a->otid, b->otid, a->otid_len);
    assert_int_equal(a->dtid_len, b->dtid_len);
    assert_memory_equal(a->dtid, b->dtid, a->dtid_len);
    assert_int_equal(a->acn, b->acn);
    assert_int_equal(a->acn_version, b->acn_version);
    assert_comp(a, b->comp, b->invoke_id, b->opcode, b->error);
    assert_map(a, b->imsi, b->msisdn, b->sc, b->imei);
    assert_int_equal(a->has_tpdu, b->has_tpdu);
    assert_int_equal(a->tpdu_mti, b->tpdu_mti);
    assert_string_equal(a->tp_oa, b->tp_oa);
    assert_string_equal(a->tp_da, b->tp_da);
    assert_int_equal(a->text.len, b->text.len);
    assert_string_equal((const char *)a->text.p, (const char *)b->text.p);
}

static void assert_same_event(const struct cw_event *a, const struct cw_event *b)
{
    assert_event(a, b->kind, b->calling, b->called, b->imsi, b->imei, b->flags,
                 (const char *)b->text.p);
}

typedef void (*build_fn)(struct bb *m);

static void build_sri_sm_res_last(struct bb *m)
{
    build_sri_sm_res(m, 0xa2);
}

static const build_fn BUILDERS[] = {build_sri_sm, build_sri_sm_res_last, build_mo_v3,
                                    build_mt_v3, build_ul_v3};
#define NBUILDERS (sizeof BUILDERS / sizeof BUILDERS[0])

static void test_indefinite_lengths(void **state)
{
    (void)state;
    static struct cap want;
    struct cw_decode_stats st;
    /* every constructed value; the TCAP message only; the portions only (depth 1); all that
     * is inside the portions (components, arguments, the dialogue's EXTERNAL) */
    static const unsigned masks[] = {ALL_INDEF, 1u, 2u, ~3u};
    for (size_t k = 0; k < NBUILDERS; k++) {
        struct bb *m = bb_new(0);
        BUILDERS[k](m);
        assert_int_equal(run(m, &st), 0);
        assert_clean(&st);
        want = C;
        assert_int_equal(want.nrec, 1);
        assert_int_equal(want.nev, 1);
        for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
            struct bb *n = bb_new(masks[i]);
            BUILDERS[k](n);
            assert_true(n->len > m->len); /* the 00 00s take room: it is another encoding */
            assert_int_equal(run(n, &st), 0);
            assert_clean(&st);
            assert_int_equal(C.nrec, 1);
            assert_int_equal(C.nev, 1);
            assert_same_rec(&C.rec[0], &want.rec[0]);
            assert_same_event(&C.ev[0], &want.ev[0]);
            free(n);
        }
        free(m);
    }
}

/* ---- what the caller gives ---- */

static void test_returned(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    CTX.returned = 1;
    CTX.sccp_type = 0x12; /* XUDTS */
    for (size_t k = 0; k < NBUILDERS; k++) {
        struct bb *m = bb_new(0);
        BUILDERS[k](m);
        assert_int_equal(run(m, &st), 0);
        assert_anoms(&st, 0, 0, 0, 0, 0, 0);
        assert_int_equal(C.nrec, 1);
        assert_int_equal(C.rec[0].returned, 1);
        assert_int_equal(C.rec[0].sccp_type, 0x12);
        assert_int_equal(C.nev, 0);
        free(m);
    }
    /* the record still holds what was read, text included */
    struct bb *m = bb_new(0);
    build_mo_v3(m);
    assert_int_equal(run(m, &st), 0);
    assert_map(&C.rec[0], IMSI1, MSISDN1, SC1, "");
    assert_string_equal((const char *)C.rec[0].text.p, MO_TEXT);
    free(m);
}

static int n_emitted;

static void count_event(void *user, const struct cw_event *ev)
{
    (void)user;
    assert_int_equal(ev->ts_us, 0); /* no meta: no packet time */
    assert_int_equal(ev->frame, 0);
    assert_int_equal(ev->kind, CW_EV_LOOKUP);
    n_emitted++;
}

static void test_null_arguments(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    struct bb *m = bb_new(0);
    build_sri_sm(m);
    /* no context: the lower layers' fields are zero */
    memset(&C, 0, sizeof C);
    memset(&st, 0, sizeof st);
    struct cw_event_sink sink = {on_event, &C, on_trace};
    assert_int_equal(cw_map_decode(cw_slice_make(m->b, m->len), NULL, &META, &sink, &st), 0);
    assert_int_equal(C.nrec, 1);
    assert_int_equal(C.rec[0].opc, 0);
    assert_string_equal(C.rec[0].cgpa, "");
    assert_int_equal(C.rec[0].returned, 0);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, 45, -1);
    assert_int_equal(C.nev, 1);
    /* no sink, no stats, no meta */
    assert_int_equal(cw_map_decode(cw_slice_make(m->b, m->len), &CTX, NULL, NULL, NULL), 0);
    assert_int_equal(cw_map_decode(cw_slice_make(m->b, m->len - 1), &CTX, NULL, NULL, NULL), -1);
    assert_int_equal(cw_map_decode(cw_slice_make(NULL, 5), &CTX, NULL, NULL, &st), -1);
    struct cw_event_sink emit_only = {count_event, NULL, NULL};
    n_emitted = 0;
    assert_int_equal(cw_map_decode(cw_slice_make(m->b, m->len), &CTX, NULL, &emit_only, NULL),
                     0);
    assert_int_equal(n_emitted, 1);
    free(m);
}

static void test_non_map_context(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    /* CAMEL (CAP v2 gsmSSF-to-gsmSCF, application context 0.4.0.0.1.21.3.50) with operation
     * code 46: not a MAP forwardSM, a record only */
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "01", NULL);
    open_(m, 0x6b);
    open_(m, 0x28);
    prim_hex(m, 0x06, "00 11 86 05 01 01 01");
    open_(m, 0xa0);
    open_(m, AARQ);
    open_(m, 0xa1);
    prim_hex(m, 0x06, "04 00 00 01 15 03 32");
    close_(m);
    close_(m);
    close_(m);
    close_(m);
    close_(m);
    open_(m, 0x6c);
    invoke_open(m, 1, 46);
    arg_fsm(m, XX_SC, SC1, OA_MSISDN, MSISDN1, (const uint8_t *)"\x01", 1, 0, NULL);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "01", NULL, 0, 0);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, 46, -1);
    assert_map(&C.rec[0], "", "", "", "");
    assert_no_tpdu(&C.rec[0]);
    assert_int_equal(C.nev, 0);

    /* a global (OBJECT IDENTIFIER) operation code: opcode -1, a record only */
    free(m);
    m = bb_new(0);
    tcap_open(m, BEGIN, "01", NULL);
    open_(m, 0x6c);
    open_(m, 0xa1);
    prim_u8(m, 0x02, 1);
    prim_hex(m, 0x06, "2a 03 04");
    arg_sri_sm(m, 0x91, MSISDN1, SC1);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, -1, -1);
    assert_map(&C.rec[0], "", "", "", "");
    assert_int_equal(C.nev, 0);
    free(m);
}

/* ---- malformed TCAP ---- */

static void test_malformed_tcap(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    /* not TCAP messages we know: nothing, ANSI TCAP, a SEQUENCE, [APPLICATION 3], a high tag */
    static const char *const unknown[] = {"", "e2 03 c7 01 00", "30 00", "63 00", "7f 22 00",
                                          "42 00"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_int_equal(run_hex(unknown[i], &st), -1);
        assert_anoms(&st, 0, 0, 1, 0, 0, 0);
        assert_int_equal(st.messages[CW_PROTO_MAP], 0);
        assert_int_equal(C.nrec, 0);
    }

    /* a valid sendAuthenticationInfo v2, then its lengths made to lie */
    const char *sai = "62 12 48 01 01 6c 0d a1 0b 02 01 01 02 01 38 04 03 64 00 00";
    assert_int_equal(run_hex(sai, &st), 0);
    assert_clean(&st);
    assert_event(&C.ev[0], CW_EV_AUTH, "", "", "460000", "", 0, "");
    static const struct {
        const char *hex;
        int nrec;
        unsigned msgs;
    } lies[] = {
        {"62 13 48 01 01 6c 0d a1 0b 02 01 01 02 01 38 04 03 64 00 00", 0, 0}, /* message +1 */
        {"62 12 48 01 01 6c 0e a1 0b 02 01 01 02 01 38 04 03 64 00 00", 0, 1}, /* portion +1 */
        {"62 12 48 01 01 6c 0d a1 0c 02 01 01 02 01 38 04 03 64 00 00", 0, 1}, /* component */
        {"62 12 48 01 01 6c 0d a1 0b 02 01 01 02 01 38 04 04 64 00 00", 1, 1}, /* argument */
        {"62 12 48 02 01 6c 0d a1 0b 02 01 01 02 01 38 04 03 64 00 00", 0, 1}, /* otid */
        {"62 11 48 01 01 6c 0d a1 0b 02 01 01 02 01 38 04 03 64 00 00", 0, 1}, /* message -1 */
        /* long form past the end, 5 length octets, 0xff, indefinite primitive */
        {"62 84 00 01 00 00 48 01 01", 0, 0},
        {"62 81 05 48 01 01", 0, 0},
        {"62 85 00 00 00 00 03 48 01 01", 0, 0},
        {"62 ff 48 01 01", 0, 0},
        {"62 80 48 80 01 00 00 00 00", 0, 0},
        {"62 05 48 80 01 00 00", 0, 1},
        {"62 06 48 80 05 00 00 00", 0, 1},
        /* a tag number that never ends: in the message, in a component */
        {"62 08 48 01 01 7f 81 81 81 81", 0, 1},
        {"62 13 48 01 01 6c 0e a1 0c 02 01 01 02 01 38 9f 81 81 81 81 00", 1, 1},
        /* an end-of-contents where no indefinite value is open */
        {"62 07 48 01 01 6c 02 00 00", 0, 1},
    };
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        assert_int_equal(run_hex(lies[i].hex, &st), -1);
        assert_anoms(&st, 1, 0, 0, 0, 0, 0);
        assert_int_equal(C.nrec, lies[i].nrec);
        assert_int_equal(C.nev, 0);
        assert_int_equal(st.messages[CW_PROTO_MAP], lies[i].msgs);
        if (lies[i].nrec)
            assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, 56, -1);
    }
    /* long forms that fit are fine, minimal or not */
    assert_int_equal(run_hex("62 81 03 48 01 01", &st), 0);
    assert_clean(&st);
    assert_int_equal(run_hex("62 84 00 00 00 03 48 01 01", &st), 0);
    assert_clean(&st);
    assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "01", NULL, 0, 0);
    assert_comp(&C.rec[0], CW_COMP_NONE, CW_MAP_ABSENT, -1, -1);

    /* an indefinite message without its end-of-contents, or with half of it */
    struct bb *m = bb_new(ALL_INDEF);
    build_sri_sm(m);
    assert_int_equal(run_bytes(m->b, m->len, &CTX, &st), 0);
    assert_int_equal(C.nev, 1);
    for (size_t cut = 1; cut <= 2; cut++) {
        assert_int_equal(run_bytes(m->b, m->len - cut, &CTX, &st), -1);
        assert_anoms(&st, 1, 0, 0, 0, 0, 0);
        assert_int_equal(C.nrec, 0);
    }
    /* bytes after the message: counted, what the message said still reported */
    m->b[m->len++] = 0x00;
    assert_int_equal(run(m, &st), -1);
    assert_anoms(&st, 1, 0, 0, 0, 0, 0);
    assert_int_equal(C.nrec, 1);
    assert_int_equal(C.nev, 1);
    free(m);

    /* fields Q.773 does not allow: each counted, the rest read */
    static const struct {
        const char *hex;
        uint8_t tcap;
        const char *otid, *dtid;
    } fields[] = {
        {"62 09 48 05 01 02 03 04 05 6c 00", CW_TCAP_BEGIN, NULL, NULL}, /* otid of 5 */
        {"62 04 48 00 6c 00", CW_TCAP_BEGIN, NULL, NULL},                /* otid of 0 */
        {"62 02 6c 00", CW_TCAP_BEGIN, NULL, NULL},                      /* no otid */
        {"64 08 48 01 01 49 01 02 6c 00", CW_TCAP_END, NULL, "02"},      /* End with otid */
        {"65 05 48 01 01 6c 00", CW_TCAP_CONTINUE, "01", NULL},          /* no dtid */
        {"62 07 48 01 01 6c 00 6c 00", CW_TCAP_BEGIN, "01", NULL},       /* two portions */
        {"62 08 48 01 01 48 01 02 6c 00", CW_TCAP_BEGIN, "01", NULL},    /* two otids */
        {"62 05 48 01 01 05 00", CW_TCAP_BEGIN, "01", NULL},             /* unknown element */
        {"62 06 48 01 01 68 01 01", CW_TCAP_BEGIN, "01", NULL},          /* constructed tid */
        {"61 00", CW_TCAP_UNIDIRECTIONAL, NULL, NULL},                   /* no components */
        {"67 07 49 01 01 6c 02 a4 00", CW_TCAP_ABORT, NULL, "01"},       /* Abort components */
        {"67 09 49 01 01 4a 01 01 4a 01 01", CW_TCAP_ABORT, NULL, "01"}, /* two causes */
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        assert_int_equal(run_hex(fields[i].hex, &st), -1);
        assert_anoms(&st, 0, 0, 0, 1, 0, 0);
        assert_int_equal(st.messages[CW_PROTO_MAP], 1);
        assert_int_equal(C.nrec, 1);
        assert_tcap(&C.rec[0], fields[i].tcap, fields[i].otid, fields[i].dtid, 0, 0);
        assert_comp(&C.rec[0], CW_COMP_NONE, CW_MAP_ABSENT, -1, -1);
    }
}

/* Begin { otid 01, components { @p comp (raw), then a valid SRI-SM invoke } } */
static int run_comp(const char *comp, struct cw_decode_stats *st)
{
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "01", NULL);
    open_(m, 0x6c);
    size_t n;
    uint8_t *b = tu_hex(comp, &n);
    put(m, b, n);
    free(b);
    invoke_open(m, 2, 45);
    arg_sri_sm(m, 0x91, MSISDN1, SC1);
    close_all(m);
    int rc = run(m, st);
    free(m);
    return rc;
}

static void test_malformed_components(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    static const struct {
        const char *hex;
        int rec; /* the broken component still gives a record */
        uint8_t comp;
        int iid, op, err;
    } bad[] = {
        {"a5 03 02 01 01", 0, 0, 0, 0, 0},             /* no such component type */
        {"81 01 00", 0, 0, 0, 0, 0},                   /* a primitive */
        {"a1 00", 1, CW_COMP_INVOKE, CW_MAP_ABSENT, -1, -1},      /* no invoke id */
        {"a1 06 04 01 01 02 01 2d", 1, CW_COMP_INVOKE, CW_MAP_ABSENT, -1, -1}, /* invoke id of a type */
        {"a1 07 02 02 01 00 02 01 2d", 1, CW_COMP_INVOKE, CW_MAP_ABSENT, -1, -1}, /* invoke id 256 */
        {"a1 03 02 01 01", 1, CW_COMP_INVOKE, 1, -1, -1},            /* no opcode */
        {"a1 06 02 01 01 04 01 2d", 1, CW_COMP_INVOKE, 1, -1, -1},   /* opcode of a type */
        {"a1 08 02 01 01 02 03 01 00 00", 1, CW_COMP_INVOKE, 1, -1, -1}, /* opcode 65536 */
        {"a1 06 02 01 01 80 01 00", 1, CW_COMP_INVOKE, 1, -1, -1},   /* linked id, no op */
        {"a2 05 02 01 01 04 00", 1, CW_COMP_RESULT_LAST, 1, -1, -1}, /* result not a SEQ */
        {"a2 05 02 01 01 30 00", 1, CW_COMP_RESULT_LAST, 1, -1, -1}, /* no result opcode */
        {"a2 00", 1, CW_COMP_RESULT_LAST, CW_MAP_ABSENT, -1, -1},               /* no invoke id */
        {"a3 03 02 01 01", 1, CW_COMP_ERROR, 1, -1, -1},             /* no error code */
        {"a3 06 02 01 01 05 01 08", 1, CW_COMP_ERROR, 1, -1, -1},    /* error of a type */
        {"a4 03 02 01 01", 1, CW_COMP_REJECT, 1, -1, -1},            /* no problem */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(run_comp(bad[i].hex, &st), -1);
        assert_anoms(&st, 0, 0, 0, 1, 0, 0);
        assert_int_equal(C.nrec, bad[i].rec + 1);
        if (bad[i].rec)
            assert_comp(&C.rec[0], bad[i].comp, bad[i].iid, bad[i].op, bad[i].err);
        /* the component after it is read as ever */
        assert_comp(&C.rec[bad[i].rec], CW_COMP_INVOKE, 2, 45, -1);
        assert_int_equal(C.nev, 1);
        assert_event(&C.ev[0], CW_EV_LOOKUP, "", MSISDN1, "", "", CW_EVF_CALLED_INTL, "");
    }
    /* a component whose insides are broken BER: a record, the next component still read */
    assert_int_equal(run_comp("a1 05 02 01 01 02 05", &st), -1);
    assert_anoms(&st, 1, 0, 0, 0, 0, 0);
    assert_int_equal(C.nrec, 2);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, -1, -1);
    assert_int_equal(C.nev, 1);
    /* the well-formed neighbours of the broken ones give no anomaly */
    assert_int_equal(run_comp("a4 06 02 01 01 80 01 00", &st), 0);
    assert_clean(&st);
    assert_comp(&C.rec[0], CW_COMP_REJECT, 1, -1, -1);
    assert_int_equal(run_comp("a3 06 02 01 01 02 01 22", &st), 0);
    assert_clean(&st);
    assert_comp(&C.rec[0], CW_COMP_ERROR, 1, -1, 34);
    assert_int_equal(run_comp("a1 06 02 01 ff 02 01 7f", &st), 0); /* invoke id -1, op 127 */
    assert_clean(&st);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, -1, 127, -1);
    assert_int_equal(run_comp("a3 07 02 01 01 06 02 2a 03", &st), 0); /* global error */
    assert_clean(&st);
    assert_comp(&C.rec[0], CW_COMP_ERROR, 1, -1, -1);
}

/* Begin { otid 01, @p dlg (raw dialogue portion), components { SRI-SM invoke } } */
static int run_dialogue(const char *dlg, struct cw_decode_stats *st)
{
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "01", NULL);
    size_t n;
    uint8_t *b = tu_hex(dlg, &n);
    put(m, b, n);
    free(b);
    open_(m, 0x6c);
    invoke_open(m, 1, 45);
    arg_sri_sm(m, 0x91, MSISDN1, SC1);
    close_all(m);
    int rc = run(m, st);
    free(m);
    return rc;
}

static void test_malformed_dialogue(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    /* by hand: an application context of 4 arcs (well-formed, but no MAP context, so the
     * components are not read as MAP), then shortMsgGateway v2 */
    assert_int_equal(run_dialogue("6b 1b 28 19 06 07 00 11 86 05 01 01 01 a0 0e 60 0c 80 02 07 "
                                  "80 a1 06 06 04 04 00 00 01",
                                  &st),
                     0);
    assert_clean(&st);
    assert_int_equal(C.nev, 0);
    assert_int_equal(run_dialogue("6b 1e 28 1c 06 07 00 11 86 05 01 01 01 a0 11 60 0f 80 02 07 "
                                  "80 a1 09 06 07 04 00 00 01 00 14 02",
                                  &st),
                     0);
    assert_clean(&st);
    assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "01", NULL, 20, 2);
    assert_int_equal(C.nev, 1);
    /* what is not a dialogue: counted; the components are still MAP's */
    static const char *const bad_field[] = {
        "6b 02 05 00",                                           /* no EXTERNAL */
        "6b 0b 28 09 06 07 00 11 86 05 01 01 01",                /* no single-ASN1-type */
        "6b 0f 28 0d 06 07 00 11 86 05 01 01 01 a0 02 30 00",    /* no dialogue PDU */
        "6b 13 28 11 06 07 00 11 86 05 01 01 01 a0 06 60 04 80 02 07 80", /* no context */
        "6b 15 28 13 06 07 00 11 86 05 01 01 01 a0 08 60 06 a1 04 04 02 04 00", /* not OID */
        "6b 15 28 13 06 07 00 11 86 05 01 01 01 a0 08 60 06 a1 04 06 02 04 80", /* bad OID */
        "6b 11 28 0f 06 07 00 11 86 05 01 01 01 a0 04 60 02 a1 00", /* empty context */
    };
    for (size_t i = 0; i < sizeof bad_field / sizeof bad_field[0]; i++) {
        assert_int_equal(run_dialogue(bad_field[i], &st), -1);
        assert_anoms(&st, 0, 0, 0, 1, 0, 0);
        assert_int_equal(C.nrec, 1);
        assert_tcap(&C.rec[0], CW_TCAP_BEGIN, "01", NULL, 0, 0);
        assert_int_equal(C.nev, 1);
    }
    /* BER faults inside the dialogue portion (EXTERNAL longer than the portion; a PDU whose
     * contents lie): counted as such, the components still read */
    static const char *const bad_ber[] = {
        "6b 0b 28 0a 06 07 00 11 86 05 01 01 01",
        "6b 13 28 11 06 07 00 11 86 05 01 01 01 a0 06 60 04 80 03 07 80",
    };
    for (size_t i = 0; i < sizeof bad_ber / sizeof bad_ber[0]; i++) {
        assert_int_equal(run_dialogue(bad_ber[i], &st), -1);
        assert_anoms(&st, 1, 0, 0, 0, 0, 0);
        assert_int_equal(C.nrec, 1);
        assert_int_equal(C.nev, 1);
    }
    /* an AARE of MAP version 0 or with 7 arcs is no MAP context: records only */
    assert_int_equal(run_dialogue("6b 1e 28 1c 06 07 00 11 86 05 01 01 01 a0 11 61 0f 80 02 07 "
                                  "80 a1 09 06 07 04 00 00 01 00 14 00",
                                  &st),
                     0);
    assert_clean(&st);
    assert_int_equal(C.nev, 0);
    assert_map(&C.rec[0], "", "", "", "");
}

/* Begin { otid 01, components { invoke 1 @p op, argument = @p arg's bytes } } */
static int run_arg(uint8_t op, const struct bb *arg, struct cw_decode_stats *st)
{
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "01", NULL);
    open_(m, 0x6c);
    invoke_open(m, 1, op);
    put(m, arg->b, arg->len);
    close_all(m);
    int rc = run(m, st);
    free(m);
    return rc;
}

/* The argument built in @p arg gives its event (@p ok) or is a bad argument: one map_bad_arg,
 * a record, no event. Empties @p arg for the next case. */
static void expect_arg(uint8_t op, struct bb *arg, int ok)
{
    struct cw_decode_stats st;
    assert_int_equal(arg->sp, 0);
    assert_int_equal(run_arg(op, arg, &st), 0);
    assert_anoms(&st, 0, 0, 0, 0, ok ? 0 : 1, 0);
    assert_int_equal(C.nrec, 1);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, op, -1);
    assert_int_equal(C.nev, ok ? 1 : 0);
    arg->len = 0;
}

static void test_malformed_arguments(void **state)
{
    (void)state;
    struct bb *a = bb_new(0);
    uint8_t ui[200];
    struct tp sub = {0, "8613700000001", 0x91, 0x00, NULL, "hi", NULL};
    size_t uin = tpdu(&sub, ui);

    /* updateLocation: the good one, then every way its IMSI goes wrong */
    open_(a, 0x30);
    prim_tbcd(a, 0x04, IMSI1);
    close_(a);
    expect_arg(2, a, 1);
    static const char *const bad_imsi[] = {
        "21 f3 65 87 09",          /* a filler in the middle */
        "ff ff ff ff",             /* all fillers */
        "64 00",                   /* 2 octets */
        "64 00 01 02 03 04 05 06 07", /* 9 octets */
        "64 00 a1 32 54",          /* a '*' nibble */
        "64 f0 00",                /* 3 octets, 3 digits: too few */
    };
    for (size_t i = 0; i < sizeof bad_imsi / sizeof bad_imsi[0]; i++) {
        open_(a, 0x30);
        prim_hex(a, 0x04, bad_imsi[i]);
        close_(a);
        expect_arg(2, a, 0);
        /* the same in sendAuthenticationInfo v2 and v3, anyTimeInterrogation, the v3
         * mo-forwardSM imsi, the SRI-SM result */
        prim_hex(a, 0x04, bad_imsi[i]);
        expect_arg(56, a, 0);
        open_(a, 0x30);
        prim_hex(a, 0x80, bad_imsi[i]);
        close_(a);
        expect_arg(56, a, 0);
        open_(a, 0x30);
        open_(a, 0xa0);
        prim_hex(a, 0x80, bad_imsi[i]);
        close_(a);
        close_(a);
        expect_arg(71, a, 0);
        open_(a, 0x30);
        addr(a, XX_SC, 0x91, SC1);
        addr(a, OA_MSISDN, 0x91, MSISDN1);
        prim(a, 0x04, ui, uin);
        prim_hex(a, 0x04, bad_imsi[i]);
        close_(a);
        expect_arg(46, a, 0);
    }
    /* wrong types around the IMSI */
    open_(a, 0x30);
    prim_tbcd(a, 0x80, IMSI1); /* v3 SAI's tag in updateLocation */
    close_(a);
    expect_arg(2, a, 0);
    open_(a, 0x30);
    open_(a, 0x24); /* a constructed OCTET STRING */
    prim_tbcd(a, 0x04, IMSI1);
    close_(a);
    close_(a);
    expect_arg(2, a, 0);
    prim_tbcd(a, 0x04, IMSI1); /* not a SEQUENCE */
    expect_arg(2, a, 0);
    prim_tbcd(a, 0x04, IMSI1);
    expect_arg(23, a, 0);
    open_(a, 0x30);
    close_(a);
    expect_arg(2, a, 0);
    expect_arg(2, a, 0); /* no argument at all */
    open_(a, 0x30);
    prim_tbcd(a, 0x04, IMSI1); /* v3 SAI wants [0] */
    close_(a);
    expect_arg(56, a, 0);
    prim_u8(a, 0x02, 5);
    expect_arg(56, a, 0);

    /* checkIMEI */
    prim_tbcd(a, 0x04, "490154203237518");
    expect_arg(43, a, 1);
    static const char *const bad_imei[] = {
        "94 10 45 02 23 73 15",          /* 7 octets */
        "94 10 45 02 23 73 15 f0 00",    /* 9 octets */
        "94 10 45 02 23 73 b5 f0",       /* a '#' */
        "94 10 45 02 23 f3 15 f0",       /* a filler in the middle */
        "94 10 45 02 23 73 f1 ff",       /* 13 digits */
    };
    for (size_t i = 0; i < sizeof bad_imei / sizeof bad_imei[0]; i++) {
        prim_hex(a, 0x04, bad_imei[i]);
        expect_arg(43, a, 0);
        open_(a, 0x30);
        prim_hex(a, 0x04, bad_imei[i]);
        close_(a);
        expect_arg(43, a, 0);
    }
    open_(a, 0x30);
    prim_hex(a, 0x03, "06 c0"); /* no IMEI */
    close_(a);
    expect_arg(43, a, 0);
    open_(a, 0x30);
    prim_tbcd(a, 0x80, "490154203237518");
    close_(a);
    expect_arg(43, a, 0);

    /* sendRoutingInfoForSM: msisdn [0] and serviceCentreAddress [2] */
    arg_sri_sm(a, 0x91, MSISDN1, SC1);
    expect_arg(45, a, 1);
    static const char *const bad_addr[] = {"91", "91 21 f3 65", "91 21 a3", ""};
    for (size_t i = 0; i < sizeof bad_addr / sizeof bad_addr[0]; i++) {
        open_(a, 0x30);
        prim_hex(a, 0x80, bad_addr[i]);
        addr(a, 0x82, 0x91, SC1);
        close_(a);
        expect_arg(45, a, 0);
        open_(a, 0x30);
        addr(a, 0x80, 0x91, MSISDN1);
        prim_hex(a, 0x82, bad_addr[i]);
        close_(a);
        expect_arg(45, a, 0);
        open_(a, 0x30); /* sendRoutingInfo */
        prim_hex(a, 0x80, bad_addr[i]);
        close_(a);
        expect_arg(22, a, 0);
        open_(a, 0x30); /* anyTimeInterrogation by msisdn */
        open_(a, 0xa0);
        prim_hex(a, 0x81, bad_addr[i]);
        close_(a);
        close_(a);
        expect_arg(71, a, 0);
        open_(a, 0x30); /* the mo-forwardSM origin */
        addr(a, XX_SC, 0x91, SC1);
        prim_hex(a, OA_MSISDN, bad_addr[i]);
        prim(a, 0x04, ui, uin);
        close_(a);
        expect_arg(46, a, 0);
    }
    open_(a, 0x30);
    addr(a, 0x84, 0x91, MSISDN1); /* msisdn under another tag */
    addr(a, 0x82, 0x91, SC1);
    close_(a);
    expect_arg(45, a, 0);
    open_(a, 0x30);
    addr(a, 0x80, 0x91, MSISDN1); /* no service centre */
    prim_u8(a, 0x81, 0xff);
    close_(a);
    expect_arg(45, a, 0);
    open_(a, 0x30);
    prim_hex(a, 0x80, "91 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11"); /* 32 digits */
    close_(a);
    expect_arg(22, a, 0);
    open_(a, 0x30);
    prim_hex(a, 0x80, "91 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 f1"); /* 31 fit */
    close_(a);
    expect_arg(22, a, 1);
    open_(a, 0x30);
    addr(a, 0x81, 0x91, MSISDN1); /* SRI: msisdn [0] first */
    close_(a);
    expect_arg(22, a, 0);

    /* anyTimeInterrogation: subscriberIdentity not a constructed CHOICE, an unknown choice */
    open_(a, 0x30);
    prim_tbcd(a, 0x80, IMSI1);
    close_(a);
    expect_arg(71, a, 0);
    open_(a, 0x30);
    open_(a, 0xa0);
    addr(a, 0x82, 0x91, MSISDN1);
    close_(a);
    close_(a);
    expect_arg(71, a, 0);
    open_(a, 0x30);
    open_(a, 0xa0);
    close_(a);
    close_(a);
    expect_arg(71, a, 0);

    /* forwardSM: each field of the wrong type, and the combinations that make no sense */
    static const struct {
        uint8_t da;
        const char *dav;
        uint8_t oa;
        const char *oav;
    } fsm[] = {
        {0x83, "01", OA_MSISDN, MSISDN1}, /* DA choice that does not exist */
        {XX_SC, SC1, 0x80, IMSI1},        /* OA choice that does not exist */
        {DA_IMSI, IMSI1, OA_MSISDN, MSISDN1}, /* a mobile at both ends */
        {XX_SC, SC1, XX_SC, SC1},         /* an SC at both ends */
        {XX_NO, NULL, XX_NO, NULL},       /* nobody */
        {XX_SC, SC1, XX_NO, NULL},        /* MO, nobody named (no v3 imsi) */
        {DA_LMSI, "010203", XX_SC, SC1},  /* an LMSI of 3 octets */
    };
    for (size_t i = 0; i < sizeof fsm / sizeof fsm[0]; i++) {
        open_(a, 0x30);
        if (fsm[i].da == DA_IMSI)
            prim_tbcd(a, DA_IMSI, fsm[i].dav);
        else if (fsm[i].da == XX_SC)
            addr(a, XX_SC, 0x91, fsm[i].dav);
        else if (fsm[i].da == XX_NO)
            prim(a, XX_NO, NULL, 0);
        else
            prim_hex(a, fsm[i].da, fsm[i].dav);
        if (fsm[i].oa == OA_MSISDN || fsm[i].oa == XX_SC)
            addr(a, fsm[i].oa, 0x91, fsm[i].oav);
        else if (fsm[i].oa == XX_NO)
            prim(a, XX_NO, NULL, 0);
        else
            prim_tbcd(a, fsm[i].oa, fsm[i].oav);
        prim(a, 0x04, ui, uin);
        close_(a);
        expect_arg(46, a, 0);
    }
    open_(a, 0x30); /* sm-RP-UI of another type; missing; noSM-RP-DA with contents */
    addr(a, XX_SC, 0x91, SC1);
    addr(a, OA_MSISDN, 0x91, MSISDN1);
    prim(a, 0x84, ui, uin);
    close_(a);
    expect_arg(46, a, 0);
    open_(a, 0x30);
    addr(a, XX_SC, 0x91, SC1);
    addr(a, OA_MSISDN, 0x91, MSISDN1);
    close_(a);
    expect_arg(46, a, 0);
    open_(a, 0x30);
    prim_hex(a, XX_NO, "00");
    addr(a, OA_MSISDN, 0x91, MSISDN1);
    prim(a, 0x04, ui, uin);
    close_(a);
    expect_arg(44, a, 0);
    open_(a, 0x30); /* and the good one, to show the cases above fail for their reason */
    addr(a, XX_SC, 0x91, SC1);
    addr(a, OA_MSISDN, 0x91, MSISDN1);
    prim(a, 0x04, ui, uin);
    close_(a);
    expect_arg(46, a, 1);

    /* insertSubscriberData: a bad IMSI or MSISDN is counted (there is no event anyway) */
    struct cw_decode_stats st;
    open_(a, 0x30);
    prim_hex(a, 0x80, "21 f3 65 87 09");
    close_(a);
    assert_int_equal(run_arg(7, a, &st), 0);
    assert_anoms(&st, 0, 0, 0, 0, 1, 0);
    a->len = 0;
    open_(a, 0x30);
    prim_hex(a, 0x81, "91");
    close_(a);
    assert_int_equal(run_arg(7, a, &st), 0);
    assert_anoms(&st, 0, 0, 0, 0, 1, 0);
    a->len = 0;

    /* a BER fault inside the argument is a BER fault (not a bad argument): a record, no event */
    prim_hex(a, 0x30, "04 09 64");
    assert_int_equal(run_arg(2, a, &st), -1);
    assert_anoms(&st, 1, 0, 0, 0, 0, 0);
    assert_int_equal(C.nrec, 1);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, 2, -1);
    assert_int_equal(C.nev, 0);
    a->len = 0;
    open_(a, 0x30); /* in the CHOICE inside anyTimeInterrogation */
    prim_hex(a, 0xa0, "80 09 64");
    close_(a);
    assert_int_equal(run_arg(71, a, &st), -1);
    assert_anoms(&st, 1, 0, 0, 0, 0, 0);
    assert_int_equal(C.nev, 0);
    free(a);

    /* the SRI-SM result without its IMSI, with a bad one, not a SEQUENCE, or with no result */
    static const char *const res[] = {"30 05 a0 03 81 01 00", "30 04 04 02 64 00", "04 03 64 00 00",
                                      ""};
    for (size_t i = 0; i < sizeof res / sizeof res[0]; i++) {
        struct bb *m = bb_new(0);
        tcap_open(m, END, NULL, "02");
        open_(m, 0x6c);
        result_open(m, 0xa2, 1, 45);
        size_t n;
        uint8_t *b = tu_hex(res[i], &n);
        put(m, b, n);
        free(b);
        close_all(m);
        assert_int_equal(run(m, &st), 0);
        assert_anoms(&st, 0, 0, 0, 0, 1, 0);
        assert_comp(&C.rec[0], CW_COMP_RESULT_LAST, 1, 45, -1);
        assert_int_equal(C.nev, 0);
        free(m);
    }
}

static void test_bad_sms(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    uint8_t ui[200];
    struct tp sub = {0, "8613700000001", 0x91, 0x00, NULL, MO_TEXT, NULL};
    size_t uin = tpdu(&sub, ui);
    /* every truncation of the TPDU (the MAP lengths right): map_bad_sms, and the event still
     * goes out with the identities the MAP part gave */
    for (size_t k = 0; k <= uin; k++) {
        struct bb *m = bb_new(0);
        tcap_open(m, BEGIN, "01", NULL);
        open_(m, 0x6c);
        invoke_open(m, 1, 46);
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, ui, k);
        arg_fsm(m, XX_SC, SC1, OA_MSISDN, MSISDN1, copy, k, 0, IMSI1);
        free(copy);
        close_all(m);
        assert_int_equal(run(m, &st), 0);
        assert_int_equal(C.nev, 1);
        if (k == uin) {
            assert_clean(&st);
            assert_event(&C.ev[0], CW_EV_SMS_MO, MSISDN1, "8613700000001", IMSI1, "",
                         CW_EVF_CALLING_INTL | CW_EVF_CALLED_INTL, MO_TEXT);
        } else {
            assert_anoms(&st, 0, 0, 0, 0, 0, 1);
            assert_int_equal(C.rec[0].has_tpdu, 0);
            assert_string_equal(C.rec[0].tp_da, "");
            assert_event(&C.ev[0], CW_EV_SMS_MO, MSISDN1, "", IMSI1, "", CW_EVF_CALLING_INTL,
                         "");
        }
        free(m);
    }
    /* a DELIVER where a SUBMIT belongs (a DELIVER-REPORT's type): read, but not a message */
    struct tp del = {1, "8613700000001", 0x91, 0x00, NULL, "hi", NULL};
    uin = tpdu(&del, ui);
    struct bb *m = bb_new(0);
    tcap_open(m, BEGIN, "01", NULL);
    open_(m, 0x6c);
    invoke_open(m, 1, 46);
    arg_fsm(m, XX_SC, SC1, OA_MSISDN, MSISDN1, ui, uin, 0, NULL);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_int_equal(C.rec[0].has_tpdu, 1);
    assert_int_equal(C.rec[0].tpdu_mti, 0);
    assert_string_equal(C.rec[0].tp_oa, "");
    assert_event(&C.ev[0], CW_EV_SMS_MO, MSISDN1, "", "", "", CW_EVF_CALLING_INTL, "");
    free(m);
}

/* n levels of SEQUENCE around a NULL, definite lengths (built from the inside out) */
static size_t definite_bomb(uint8_t *out, size_t cap, size_t levels)
{
    size_t start = cap - 2;
    out[start] = 0x05;
    out[start + 1] = 0x00;
    for (size_t i = 0; i < levels; i++) {
        size_t len = cap - start;
        assert_true(start >= 4 && len <= 0xffff);
        start -= 4;
        out[start] = 0x30;
        out[start + 1] = 0x82;
        out[start + 2] = (uint8_t)(len >> 8);
        out[start + 3] = (uint8_t)len;
    }
    memmove(out, out + start, cap - start);
    return cap - start;
}

static void test_depth_bombs(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    size_t levels = 10000;
    /* the whole message: 10000 indefinite SEQUENCEs in an indefinite invoke, closed */
    struct bb *m = bb_new(ALL_INDEF);
    tcap_open(m, BEGIN, "01", NULL);
    open_(m, 0x6c);
    invoke_open(m, 1, 46);
    for (size_t i = 0; i < levels; i++)
        put_hex(m, "30 80");
    for (size_t i = 0; i < levels; i++)
        put_hex(m, "00 00");
    close_all(m);
    assert_int_equal(run(m, &st), -1);
    assert_anoms(&st, 0, 1, 0, 0, 0, 0);
    assert_int_equal(st.messages[CW_PROTO_MAP], 0);
    assert_int_equal(C.nrec, 0);
    /* never closed */
    assert_int_equal(run_bytes(m->b, 15 + levels * 2, &CTX, &st), -1);
    assert_anoms(&st, 0, 1, 0, 0, 0, 0);
    free(m);

    /* only the argument is indefinite, inside a definite message: the component is recorded,
     * the argument refused */
    struct bb *arg = bb_new(0);
    for (size_t i = 0; i < 40; i++)
        put_hex(arg, "30 80");
    for (size_t i = 0; i < 40; i++)
        put_hex(arg, "00 00");
    assert_int_equal(run_arg(46, arg, &st), -1);
    assert_anoms(&st, 0, 1, 0, 0, 0, 0);
    assert_int_equal(C.nrec, 1);
    assert_comp(&C.rec[0], CW_COMP_INVOKE, 1, 46, -1);
    assert_int_equal(C.nev, 0);

    /* definite nesting is skipped by its length, never walked: a bad argument, no more */
    arg->len = definite_bomb(arg->b, sizeof arg->b, 10000);
    assert_int_equal(run_arg(46, arg, &st), 0);
    assert_anoms(&st, 0, 0, 0, 0, 1, 0);
    assert_int_equal(C.nrec, 1);
    free(arg);

    /* the deepest a real message goes is well within the limit: ATI by IMSI, all indefinite */
    m = bb_new(ALL_INDEF);
    tcap_open(m, BEGIN, "01", NULL);
    dialogue(m, AARQ, 29, 3);
    open_(m, 0x6c);
    invoke_open(m, 1, 71);
    open_(m, 0x30);
    open_(m, 0xa0);
    prim_tbcd(m, 0x80, IMSI1);
    close_all(m);
    assert_int_equal(run(m, &st), 0);
    assert_clean(&st);
    assert_event(&C.ev[0], CW_EV_LOOKUP, "", "", IMSI1, "", 0, "");
    free(m);
}

static void test_truncation(void **state)
{
    (void)state;
    struct cw_decode_stats st;
    /* every truncation of every message, definite and indefinite: malformed, no record, no
     * event, never a read past the exactly-sized copy */
    static const unsigned masks[] = {0, ALL_INDEF, 1u};
    for (size_t k = 0; k < NBUILDERS; k++)
        for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
            struct bb *m = bb_new(masks[i]);
            BUILDERS[k](m);
            assert_int_equal(run(m, &st), 0);
            assert_int_equal(C.nev, 1);
            for (size_t n = 0; n < m->len; n++) {
                assert_int_equal(run_bytes(m->b, n, &CTX, &st), -1);
                assert_true(tcap_anomalies(&st) >= 1);
                assert_int_equal(C.nrec, 0);
                assert_int_equal(C.nev, 0);
            }
            free(m);
        }

    /* every truncation of an argument inside a message whose other lengths are right: a BER
     * fault (or, with nothing left, a missing argument), a record, never an event */
    for (size_t i = 0; i < 2; i++) {
        struct bb *arg = bb_new(i ? ALL_INDEF : 0);
        uint8_t ui[200];
        struct tp sub = {0, "8613700000001", 0x91, 0x00, NULL, MO_TEXT, NULL};
        arg_fsm(arg, XX_SC, SC1, OA_MSISDN, MSISDN1, ui, tpdu(&sub, ui), 0, IMSI1);
        size_t full = arg->len;
        assert_int_equal(run_arg(46, arg, &st), 0);
        assert_int_equal(C.nev, 1);
        for (size_t n = 0; n < full; n++) {
            arg->len = n;
            int rc = run_arg(46, arg, &st);
            assert_int_equal(C.nrec, 1);
            assert_int_equal(C.nev, 0);
            if (n == 0) {
                assert_int_equal(rc, 0);
                assert_anoms(&st, 0, 0, 0, 0, 1, 0);
            } else {
                assert_int_equal(rc, -1);
                assert_anoms(&st, 1, 0, 0, 0, 0, 0);
            }
        }
        free(arg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sri_sm, setup),
        cmocka_unit_test_setup(test_sri_sm_result, setup),
        cmocka_unit_test_setup(test_mo_forward_sm_v3, setup),
        cmocka_unit_test_setup(test_forward_sm_v2_mo, setup),
        cmocka_unit_test_setup(test_mt_forward_sm_v3_ucs2, setup),
        cmocka_unit_test_setup(test_forward_sm_mt_lmsi_udh, setup),
        cmocka_unit_test_setup(test_forward_sm_no_rp, setup),
        cmocka_unit_test_setup(test_update_location, setup),
        cmocka_unit_test_setup(test_send_auth_info, setup),
        cmocka_unit_test_setup(test_check_imei, setup),
        cmocka_unit_test_setup(test_any_time_interrogation, setup),
        cmocka_unit_test_setup(test_send_routing_info, setup),
        cmocka_unit_test_setup(test_records_only_and_several_components, setup),
        cmocka_unit_test_setup(test_no_components, setup),
        cmocka_unit_test_setup(test_unidirectional, setup),
        cmocka_unit_test_setup(test_indefinite_lengths, setup),
        cmocka_unit_test_setup(test_returned, setup),
        cmocka_unit_test_setup(test_null_arguments, setup),
        cmocka_unit_test_setup(test_non_map_context, setup),
        cmocka_unit_test_setup(test_malformed_tcap, setup),
        cmocka_unit_test_setup(test_malformed_components, setup),
        cmocka_unit_test_setup(test_malformed_dialogue, setup),
        cmocka_unit_test_setup(test_malformed_arguments, setup),
        cmocka_unit_test_setup(test_bad_sms, setup),
        cmocka_unit_test_setup(test_depth_bombs, setup),
        cmocka_unit_test_setup(test_truncation, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
