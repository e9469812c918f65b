/* fuzz_map.c - libFuzzer target for the TCAP / MAP decoder: the input is one TCAP message
 * (SCCP user data), decoded from an exactly-sized copy twice, as delivered and as returned by
 * the network. Every record and event is checked against the contract of map.h: strings
 * NUL-terminated inside their fields, identities digits only and of their lengths, IMEIs with
 * a right Luhn digit, text valid UTF-8 of bounded length, the lower layers' fields kept, at
 * most one event per record and none for a returned message, the result -1 exactly when a
 * TCAP-level anomaly was counted, and the same records whether returned or not. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/map.h"
#include "util/imei.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TEXT_MAX 800 /* map.c's text buffer */

struct run {
    struct cw_map_rec ctx;
    unsigned nrec, nev;
    int event_since_trace;
    struct cw_map_rec last; /* the record before the event (its text still valid then) */
    uint32_t sum;           /* over the records: the same with or without "returned" */
};

/* Length of a NUL-terminated string inside @p cap bytes; aborts when there is no NUL. */
static size_t cstr(const char *s, size_t cap)
{
    const char *nul = memchr(s, 0, cap);
    if (!nul)
        abort();
    return (size_t)(nul - s);
}

static size_t digits(const char *s, size_t cap, size_t min, size_t max)
{
    size_t n = cstr(s, cap);
    if (n && (n < min || n > max))
        abort();
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            abort();
    return n;
}

static void imei_ok(const char *s)
{
    if (digits(s, CW_IMEI_MAX, 15, 15) && cw_imei_luhn(s) != s[14])
        abort();
}

static void utf8_ok(struct cw_slice t)
{
    if (t.len > TEXT_MAX || (t.len && !t.p))
        abort();
    for (size_t i = 0; i < t.len;) {
        uint8_t c = t.p[i];
        size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0 || (n == 2 && c < 0xc2) || n > t.len - i)
            abort();
        uint32_t cp = n == 1 ? c : (uint32_t)c & (0x7fu >> n);
        for (size_t k = 1; k < n; k++) {
            if ((t.p[i + k] & 0xc0) != 0x80)
                abort();
            cp = cp << 6 | (t.p[i + k] & 0x3fu);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            abort();
        i += n;
    }
}

static void on_trace(void *user, unsigned proto, const void *p)
{
    struct run *r = user;
    const struct cw_map_rec *rec = p;
    if (proto != CW_PROTO_MAP)
        abort();
    /* the lower layers' fields are the context's */
    if (rec->opc != r->ctx.opc || rec->dpc != r->ctx.dpc || rec->si != r->ctx.si ||
        rec->returned != r->ctx.returned || rec->cdpa_ssn != r->ctx.cdpa_ssn ||
        strcmp(rec->cgpa, r->ctx.cgpa) != 0 || strcmp(rec->cdpa, r->ctx.cdpa) != 0)
        abort();
    if (rec->tcap < CW_TCAP_UNIDIRECTIONAL || rec->tcap > CW_TCAP_ABORT)
        abort();
    if (rec->otid_len > 4 || rec->dtid_len > 4)
        abort();
    switch (rec->comp) {
    case CW_COMP_NONE:
        if (rec->invoke_id != CW_MAP_ABSENT || rec->opcode != -1 || rec->error != -1)
            abort();
        break;
    case CW_COMP_INVOKE:
    case CW_COMP_RESULT_LAST:
    case CW_COMP_RESULT_NOT_LAST:
    case CW_COMP_REJECT:
        if (rec->error != -1)
            abort();
        break;
    case CW_COMP_ERROR:
        if (rec->opcode != -1)
            abort();
        break;
    default:
        abort();
    }
    if (rec->acn && !rec->acn_version)
        abort(); /* an application context without a version */
    digits(rec->imsi, sizeof rec->imsi, 6, 15);
    digits(rec->msisdn, sizeof rec->msisdn, 1, CW_NUM_MAX - 1);
    digits(rec->sc, sizeof rec->sc, 1, CW_NUM_MAX - 1);
    imei_ok(rec->imei);
    size_t oa = cstr(rec->tp_oa, sizeof rec->tp_oa), da = cstr(rec->tp_da, sizeof rec->tp_da);
    utf8_ok(rec->text);
    if (!rec->has_tpdu && (oa || da || rec->text.len || rec->tpdu_mti))
        abort();
    if (rec->tpdu_mti > 3 || (oa && da) || (oa && rec->tpdu_mti != 0) ||
        (da && rec->tpdu_mti != 1))
        abort();
    r->nrec++;
    r->event_since_trace = 0;
    r->last = *rec;
    r->sum = r->sum * 31u + rec->comp + (uint32_t)rec->opcode * 7u + (uint32_t)rec->error +
             (uint32_t)strlen(rec->imsi) + (uint32_t)strlen(rec->msisdn) + (uint32_t)oa +
             (uint32_t)da + (uint32_t)rec->text.len + rec->acn + rec->otid_len;
}

static void on_event(void *user, const struct cw_event *ev)
{
    struct run *r = user;
    const struct cw_map_rec *rec = &r->last;
    if (r->ctx.returned || r->nrec == 0 || r->event_since_trace)
        abort(); /* none for a returned message, at most one per record, after its record */
    r->event_since_trace = 1;
    r->nev++;
    if (ev->proto != CW_PROTO_MAP || ev->ts_us != 1767225600000000ull || ev->frame != 9 ||
        ev->file_idx != 1)
        abort();
    if (ev->flags & ~(CW_EVF_CALLING_ALNUM | CW_EVF_CALLED_ALNUM | CW_EVF_CALLING_INTL |
                      CW_EVF_CALLED_INTL))
        abort();
    size_t calling = cstr(ev->calling, sizeof ev->calling);
    size_t called = cstr(ev->called, sizeof ev->called);
    if (!(ev->flags & CW_EVF_CALLING_ALNUM))
        digits(ev->calling, sizeof ev->calling, 1, CW_NUM_MAX - 1);
    if (!(ev->flags & CW_EVF_CALLED_ALNUM))
        digits(ev->called, sizeof ev->called, 1, CW_NUM_MAX - 1);
    size_t imsi = digits(ev->imsi, sizeof ev->imsi, 6, 15);
    size_t imei = digits(ev->imei, sizeof ev->imei, 15, 15);
    imei_ok(ev->imei);
    if (!calling && !called && !imsi && !imei)
        abort(); /* an event names someone */
    if ((imsi && strcmp(ev->imsi, rec->imsi) != 0) || (imei && strcmp(ev->imei, rec->imei) != 0))
        abort(); /* the event's identities are the record's */
    utf8_ok(ev->text);
    if (ev->text.len != rec->text.len ||
        (ev->text.len && memcmp(ev->text.p, rec->text.p, ev->text.len) != 0))
        abort();
    switch (ev->kind) {
    case CW_EV_SMS_MO:
        if (strcmp(ev->calling, rec->msisdn) != 0 || strcmp(ev->called, rec->tp_da) != 0)
            abort();
        break;
    case CW_EV_SMS_MT:
        if (called || strcmp(ev->calling, rec->tp_oa) != 0)
            abort();
        break;
    case CW_EV_LOOKUP:
        if (calling || imei || (called && strcmp(ev->called, rec->msisdn) != 0))
            abort();
        break;
    case CW_EV_REGISTER:
    case CW_EV_AUTH:
        if (calling || called || (ev->kind == CW_EV_REGISTER && (imei || !imsi)))
            abort();
        break;
    default:
        abort();
    }
    if (ev->kind != CW_EV_SMS_MO && ev->kind != CW_EV_SMS_MT && ev->text.len)
        abort();
}

static int decode(const uint8_t *buf, size_t size, struct run *r, struct cw_decode_stats *st)
{
    struct cw_pkt_meta meta = {1767225600000000ull, 9, 1, 0, NULL};
    struct cw_event_sink sink = {on_event, r, on_trace};
    memset(st, 0, sizeof *st);
    int rc = cw_map_decode(cw_slice_make(buf, size), &r->ctx, &meta, &sink, st);
    uint64_t tcap = st->anomalies[CW_DA_TCAP_BAD_BER] + st->anomalies[CW_DA_TCAP_TOO_DEEP] +
                    st->anomalies[CW_DA_TCAP_UNKNOWN_TYPE] + st->anomalies[CW_DA_TCAP_BAD_FIELD];
    uint64_t all = 0;
    for (unsigned i = 0; i < CW_DA__COUNT; i++)
        all += st->anomalies[i];
    if ((rc != 0 && rc != -1) || (rc == -1) != (tcap != 0))
        abort();
    if (all != tcap + st->anomalies[CW_DA_MAP_BAD_ARG] + st->anomalies[CW_DA_MAP_BAD_SMS])
        abort(); /* only MAP's reasons */
    for (unsigned p = 0; p < CW_PROTO__COUNT; p++)
        if (st->messages[p] > (p == CW_PROTO_MAP ? 1u : 0u))
            abort();
    /* a message read gives at least one record; a component takes at least 2 bytes */
    if ((rc == 0 && (r->nrec == 0 || st->messages[CW_PROTO_MAP] != 1)) ||
        (r->nrec > 1 && r->nrec > size / 2) || (r->nrec && !st->messages[CW_PROTO_MAP]))
        abort();
    if (r->nev > r->nrec)
        abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    if (size)
        memcpy(buf, data, size);
    static struct run r[2];
    struct cw_decode_stats st[2];
    int rc[2];
    for (int k = 0; k < 2; k++) {
        memset(&r[k], 0, sizeof r[k]);
        r[k].ctx.opc = 2057;
        r[k].ctx.dpc = 4129;
        r[k].ctx.si = 3;
        r[k].ctx.sccp_type = k ? 0x0a : 0x09;
        r[k].ctx.returned = (uint8_t)k;
        r[k].ctx.cdpa_ssn = 6;
        strcpy(r[k].ctx.cdpa, "8613900000000");
        strcpy(r[k].ctx.cgpa, "8613800250500");
        r[k].ctx.opcode = 77; /* ignored */
        rc[k] = decode(buf, size, &r[k], &st[k]);
    }
    free(buf);
    if (rc[0] != rc[1] || r[0].nrec != r[1].nrec || r[0].sum != r[1].sum || r[1].nev != 0 ||
        memcmp(st[0].anomalies, st[1].anomalies, sizeof st[0].anomalies) != 0)
        abort();
    return 0;
}
