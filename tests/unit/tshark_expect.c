/* tshark_expect.c - tshark's reading turned into expected events, and the comparison with
 * `cardwatch decode` (tshark_expect.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "tshark_expect.h"

static const char *cell(const struct tsv *t, int r, const char *col)
{
    return tsv_cell(t, r, tsv_col(t, col));
}

static const char *cell_opt(const struct tsv *t, int r, const char *col)
{
    int c = tsv_col_opt(t, col);
    return c < 0 ? "" : tsv_cell(t, r, c);
}

int tsv_col_opt(const struct tsv *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->head[i], name) == 0)
            return i;
    return -1;
}

static void set(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src);
}

void tx_party(char *dst, size_t n, const char *v)
{
    const char *p = v[0] == '+' ? v + 1 : v;
    int number = *p != 0;
    for (const char *q = p; *q; q++)
        number &= *q >= '0' && *q <= '9';
    snprintf(dst, n < 32 ? n : 32, "%s", number ? p : v);
}

void tx_imei(char *dst, size_t n, const char *v)
{
    size_t len = strlen(v);
    if (len < 14) {
        set(dst, n, "");
        return;
    }
    unsigned sum = 0;
    for (int i = 0; i < 14; i++) {
        unsigned d = (unsigned)(v[i] - '0');
        if (i % 2) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    snprintf(dst, n, "%.14s%u", v, (10 - sum % 10) % 10);
}

void tx_imsi_of_user(char *dst, size_t n, const char *user)
{
    size_t len = strcspn(user, "@");
    int digits = len >= 6 && len <= 15;
    for (size_t i = 0; i < len && digits; i++)
        digits = user[i] >= '0' && user[i] <= '9';
    snprintf(dst, n, "%.*s", digits ? (int)len : 0, user);
}

static int any_identity(const struct want *w)
{
    return w->calling[0] || w->imsi[0] || w->imei[0];
}

static void only_one(const char *v, const char *what)
{
    if (strchr(v, ','))
        fail_msg("several %s in one frame (%s): not handled by this test", what, v);
}

int expect_gtpv2(const struct tsv *t, int r, struct want *w, int max)
{
    (void)max;
    const char *type = cell(t, r, "gtpv2.message_type");
    if (strchr(type, ',')) { /* piggybacked: fine as long as none of them is ours */
        for (const char *p = type; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
            if (atoi(p) == 32 || atoi(p) == 34)
                fail_msg("piggybacked %s holds a request we report: not handled here", type);
        return 0;
    }
    if (strcmp(type, "32") && strcmp(type, "34"))
        return 0;
    w->kind = "data_session";
    set(w->imsi, sizeof w->imsi, cell(t, r, "e212.imsi"));
    tx_party(w->calling, sizeof w->calling, cell(t, r, "e164.msisdn"));
    tx_imei(w->imei, sizeof w->imei, cell(t, r, "gtpv2.mei"));
    return any_identity(w);
}

int expect_gtpv1(const struct tsv *t, int r, struct want *w, int max)
{
    (void)max;
    if (strcmp(cell(t, r, "gtp.message"), "0x10"))
        return 0;
    w->kind = "data_session";
    set(w->imsi, sizeof w->imsi, cell(t, r, "e212.imsi"));
    tx_party(w->calling, sizeof w->calling, cell(t, r, "e164.msisdn"));
    tx_imei(w->imei, sizeof w->imei, cell(t, r, "gtp.ext_imeisv"));
    return any_identity(w);
}

int expect_radius(const struct tsv *t, int r, struct want *w, int max)
{
    (void)max;
    if (strcmp(cell(t, r, "radius.code"), "4"))
        return 0;
    w->kind = "data_session";
    tx_party(w->calling, sizeof w->calling, cell(t, r, "radius.Calling_Station_Id"));
    tx_party(w->called, sizeof w->called, cell(t, r, "radius.Called_Station_Id"));
    set(w->imsi, sizeof w->imsi, cell(t, r, "radius.3GPP_IMSI"));
    tx_imei(w->imei, sizeof w->imei, cell(t, r, "radius.3GPP_IMEISV"));
    return any_identity(w);
}

int expect_diameter(const struct tsv *t, int r, struct want *w, int max)
{
    (void)max;
    const char *req = cell(t, r, "diameter.flags.request");
    const char *code = cell(t, r, "diameter.cmd.code");
    only_one(code, "Diameter messages");
    if (strcmp(req, "1") && strcmp(req, "True"))
        return 0;
    long c = atol(code);
    w->kind = c == 316       ? "register"
              : c == 318     ? "auth"
              : c == 272     ? "data_session"
              : c == 8388645 ? "sms_mo"
              : c == 8388646 ? "sms_mt"
                             : NULL;
    if (!w->kind)
        return 0;
    tx_imsi_of_user(w->imsi, sizeof w->imsi, cell(t, r, "diameter.User-Name"));
    /* Subscription-Id pairs: types and data in the same order */
    char types[256], data[512];
    set(types, sizeof types, cell(t, r, "diameter.Subscription-Id-Type"));
    set(data, sizeof data, cell(t, r, "diameter.Subscription-Id-Data"));
    char *ts = NULL, *ds = NULL;
    for (char *ty = strtok_r(types, ",", &ts), *da = strtok_r(data, ",", &ds); ty && da;
         ty = strtok_r(NULL, ",", &ts), da = strtok_r(NULL, ",", &ds)) {
        if (!strcmp(ty, "0") && !w->calling[0])
            tx_party(w->calling, sizeof w->calling, da);
        if (!strcmp(ty, "1") && !w->imsi[0])
            set(w->imsi, sizeof w->imsi, da);
    }
    if (!w->calling[0])
        tx_party(w->calling, sizeof w->calling, cell(t, r, "diameter.MSISDN"));
    tx_imei(w->imei, sizeof w->imei, cell(t, r, "diameter.IMEI"));
    return 1;
}

int expect_smpp(const struct tsv *t, int r, struct want *w, int max)
{
    (void)max;
    const char *id = cell(t, r, "smpp.command_id");
    only_one(id, "SMPP PDUs");
    if (!strcmp(id, "0x00000004") || !strcmp(id, "0x00000103"))
        w->kind = "sms_mo";
    else if (!strcmp(id, "0x00000005"))
        w->kind = "sms_mt";
    else
        return 0;
    tx_party(w->calling, sizeof w->calling, cell(t, r, "smpp.source_addr"));
    tx_party(w->called, sizeof w->called, cell(t, r, "smpp.destination_addr"));
    set(w->text, sizeof w->text, cell(t, r, "smpp.message_text"));
    return any_identity(w);
}

/* The n-th (0-based) comma-separated value of @p list into @p out ("" when there is none). */
static void nth(const char *list, int n, char *out, size_t outsz)
{
    const char *p = list;
    for (int i = 0; i < n && p; i++) {
        p = strchr(p, ',');
        if (p)
            p++;
    }
    if (!p) {
        set(out, outsz, "");
        return;
    }
    size_t len = strcspn(p, ",");
    snprintf(out, outsz, "%.*s", (int)len, p);
}

/* Is @p v one of the comma-separated values of @p list (as they are)? */
static int in_list_raw(const char *v, const char *list)
{
    size_t n = strlen(v);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strcspn(p, ",") == n && !strncmp(p, v, n))
            return 1;
    return 0;
}

static int count_values(const char *list)
{
    if (!*list)
        return 0;
    int n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    return n;
}

/* The event kind a MAP component gives (see the header), or NULL. */
static const char *map_kind(int comp, int op, const char *mti, int has_imsi)
{
    if (comp == 2)
        return op == 45 && has_imsi ? "lookup" : NULL;
    if (comp != 1)
        return NULL;
    switch (op) {
    case 44:
    case 46:
        return !strcmp(mti, "1") ? "sms_mo" : !strcmp(mti, "0") ? "sms_mt" : NULL;
    case 45: case 22: case 71: return "lookup";
    case 2: case 23: return "register";
    case 56: case 43: return "auth";
    default: return NULL;
    }
}

/* The IMEIs tshark read from a MAP frame (14 digits + Luhn, comma-separated): the TBCD digit
 * strings of 14 to 16 digits that are not an IMSI (checkIMEI's only TBCD strings). A frame of
 * one message has at most one. */
static void map_imei(const struct tsv *t, int r, char *out, size_t outsz)
{
    char v[64], one[32];
    const char *all = cell_opt(t, r, "gsm_map.tbcd_digits");
    const char *imsis = cell(t, r, "e212.imsi");
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < count_values(all); i++) {
        nth(all, i, v, sizeof v);
        if (strlen(v) < 14 || strlen(v) > 16 || in_list_raw(v, imsis))
            continue;
        tx_imei(one, sizeof one, v);
        int n = snprintf(out + o, outsz - o, "%s%s", o ? "," : "", one);
        if (n < 0 || (size_t)n >= outsz - o)
            break;
        o += (size_t)n;
    }
}

int expect_map(const struct tsv *t, int r, struct want *w, int max)
{
    const char *comps = cell(t, r, "gsm_map.old.Component");
    const char *ops = cell(t, r, "gsm_old.localValue");
    const char *imsi = cell(t, r, "e212.imsi");
    const char *e164 = cell(t, r, "e164.msisdn");
    const char *mti = cell(t, r, "gsm_sms.tp-mti");
    int ncomp = count_values(comps);
    if (ncomp <= 1) {
        if (!ncomp)
            return 0;
        int comp = atoi(comps), op = atoi(ops);
        const char *kind = map_kind(comp, op, mti, *imsi != 0);
        if (!kind || max < 1)
            return 0;
        w->kind = kind;
        if (!strcmp(kind, "sms_mo")) {
            w->loose = 1; /* calling is one of the addresses: the sm-RP-OA msisdn */
            set(w->calling, sizeof w->calling, e164);
            tx_party(w->called, sizeof w->called, cell(t, r, "gsm_sms.tp-da"));
            set(w->imsi, sizeof w->imsi, imsi);
            set(w->imei, sizeof w->imei, "");
            set(w->text, sizeof w->text, cell(t, r, "gsm_sms.sms_text"));
        } else if (!strcmp(kind, "sms_mt")) {
            set(w->imsi, sizeof w->imsi, imsi);
            tx_party(w->calling, sizeof w->calling, cell(t, r, "gsm_sms.tp-oa"));
            set(w->text, sizeof w->text, cell(t, r, "gsm_sms.sms_text"));
        } else if (!strcmp(kind, "lookup")) {
            if (comp == 2 || (op == 71 && *imsi))
                set(w->imsi, sizeof w->imsi, imsi);
            else
                nth(e164, 0, w->called, sizeof w->called);
        } else if (op == 43) {
            map_imei(t, r, w->imei, sizeof w->imei);
        } else {
            set(w->imsi, sizeof w->imsi, imsi);
        }
        /* an invoke without an identity (a SAI continuation without its IMSI) gives none */
        return any_identity(w) || w->called[0];
    }
    /* Several components in one frame: which operation each is, when that can be told. */
    int nops = count_values(ops);
    if (nops != ncomp)
        for (int i = 0; i < ncomp; i++) {
            char c[8];
            nth(comps, i, c, sizeof c);
            if (atoi(c) == 4 || atoi(c) == 2 || atoi(c) == 7)
                fail_msg("frame with components %s and values %s: which value is whose cannot "
                         "be told", comps, ops);
        }
    int n = 0;
    for (int i = 0; i < ncomp && n < max; i++) {
        char c[8], o[16];
        nth(comps, i, c, sizeof c);
        nth(ops, i, o, sizeof o);
        /* a bundled frame's TPDU types: any SUBMIT/DELIVER tshark saw */
        const char *kind = NULL;
        if (atoi(c) == 1 && (atoi(o) == 46 || atoi(o) == 44))
            kind = strstr(mti, "1") && !strstr(mti, "0") ? "sms_mo"
                   : strstr(mti, "0") && !strstr(mti, "1") ? "sms_mt"
                                                          : NULL;
        else
            kind = map_kind(atoi(c), atoi(o), "", *imsi != 0);
        if (!kind)
            continue;
        struct want *x = &w[n++];
        memset(x, 0, sizeof *x);
        x->kind = kind;
        x->loose = 1;
        snprintf(x->calling, sizeof x->calling, "%s%s%s", e164,
                 *e164 && *cell(t, r, "gsm_sms.tp-oa") ? "," : "", cell(t, r, "gsm_sms.tp-oa"));
        snprintf(x->called, sizeof x->called, "%s%s%s", e164,
                 *e164 && *cell(t, r, "gsm_sms.tp-da") ? "," : "", cell(t, r, "gsm_sms.tp-da"));
        set(x->imsi, sizeof x->imsi, imsi);
        map_imei(t, r, x->imei, sizeof x->imei);
        set(x->text, sizeof x->text, cell(t, r, "gsm_sms.sms_text"));
    }
    return n;
}

/* ---- the comparison ---- */

static const struct known_gap *gap_at(const struct known_gap *gaps, size_t ngaps,
                                      const char *file, uint64_t frame)
{
    for (size_t i = 0; i < ngaps; i++)
        if (!strcmp(gaps[i].file, file) && gaps[i].frame == frame)
            return &gaps[i];
    return NULL;
}

static int in_list(const char *v, const char *list)
{
    if (!*v)
        return 1; /* an identity we do not give is checked by the exact comparisons */
    size_t n = strlen(v);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        char raw[64], one[64];
        snprintf(raw, sizeof raw, "%.*s", (int)len, p);
        tx_party(one, sizeof one, raw);
        if (strlen(one) == n && !memcmp(one, v, n))
            return 1;
        p = p[len] ? p + len + 1 : NULL;
    }
    return 0;
}

static void field(struct report *rep, const char *name, uint64_t frame, const char *what,
                  const char *ours, const char *want, int loose, int *ok)
{
    int same = loose ? (!strcmp(what, "text") ? strstr(want, ours) != NULL : in_list(ours, want))
                     : strcmp(ours, want) == 0;
    if (!same) {
        corpus_problem(rep, "%s frame %llu: %s ours \"%s\", tshark \"%s\"%s", name,
                       (unsigned long long)frame, what, ours, want, loose ? " (one of)" : "");
        *ok = 0;
    }
}

#define MAX_WANTS 16

void tx_compare(const char *label, const char *pcap, const char *tsvpath, expect_fn expect,
                const struct known_gap *gaps, size_t ngaps, struct report *rep,
                struct tx_result *res)
{
    struct tsv t;
    tsv_read(tsvpath, &t);
    size_t nev;
    struct corpus_ev *evs = corpus_decode(pcap, &nev, rep);
    int c_frame = tsv_col(&t, "frame.number");
    int expected = 0, matched = 0;
    static struct want ws[MAX_WANTS];
    for (int r = 0; r < t.nrows; r++) {
        memset(ws, 0, sizeof ws);
        int nw = expect(&t, r, ws, MAX_WANTS);
        uint64_t frame = strtoull(tsv_cell(&t, r, c_frame), NULL, 10);
        for (int k = 0; k < nw; k++) {
            struct want *w = &ws[k];
            expected++;
            struct corpus_ev *ev = NULL;
            for (size_t i = 0; i < nev && !ev; i++)
                if (evs[i].frame == frame && !evs[i].matched && !strcmp(evs[i].kind, w->kind))
                    ev = &evs[i];
            const struct known_gap *gap = gap_at(gaps, ngaps, label, frame);
            if (gap && gap->field) {
                char *f = !strcmp(gap->field, "calling") ? w->calling
                          : !strcmp(gap->field, "called") ? w->called
                          : !strcmp(gap->field, "imsi")   ? w->imsi
                                                          : w->imei;
                print_message("known difference: %s frame %llu %s: ours \"%s\", tshark \"%s\": "
                              "%s\n", label, (unsigned long long)frame, gap->field, gap->ours, f,
                              gap->why);
                snprintf(f, 32, "%s", gap->ours);
                gap = NULL;
            }
            if (gap) {
                expected--;
                if (ev)
                    corpus_problem(rep, "%s frame %llu: listed in KNOWN_GAPS but decoded now: "
                                   "remove it from the list", label, (unsigned long long)frame);
                else
                    print_message("known gap: %s frame %llu not compared: %s\n", label,
                                  (unsigned long long)frame, gap->why);
                continue;
            }
            if (!ev) {
                corpus_problem(rep, "%s frame %llu: tshark shows a %s message (imsi \"%s\", "
                               "calling \"%s\", called \"%s\"), we give no %s event", label,
                               (unsigned long long)frame, w->kind, w->imsi, w->calling,
                               w->called, w->kind);
                continue;
            }
            ev->matched = 1;
            int ok = 1;
            field(rep, label, frame, "calling", ev->calling, w->calling, w->loose, &ok);
            field(rep, label, frame, "called", ev->called, w->called, w->loose, &ok);
            field(rep, label, frame, "imsi", ev->imsi, w->imsi, w->loose, &ok);
            field(rep, label, frame, "imei", ev->imei, w->imei, w->loose, &ok);
            if (w->text[0])
                field(rep, label, frame, "text", ev->text, w->text, w->loose, &ok);
            matched += ok;
        }
    }
    for (size_t i = 0; i < nev; i++)
        if (!evs[i].matched)
            corpus_problem(rep, "%s frame %llu: we give a %s %s event (imsi \"%s\", calling "
                           "\"%s\") where tshark shows no such message", label,
                           (unsigned long long)evs[i].frame, evs[i].proto, evs[i].kind,
                           evs[i].imsi, evs[i].calling);
    print_message("%s: %d messages with identities compared, %d matched, %zu events\n", label,
                  expected, matched, nev);
    free(evs);
    tsv_free(&t);
    if (res) {
        res->expected = expected;
        res->matched = matched;
        res->events = nev;
    }
}

/* ---- running tshark (the commands of the corpus's MANIFEST.md) ---- */

static const char *const FIELDS_SIP =
    "-e frame.number -e sip.Method -e sip.Status-Code -e sip.CSeq.method -e sip.Call-ID "
    "-e sip.r-uri -e sip.from.addr -e sip.to.addr -e sip.from.user -e sip.to.user "
    "-e sip.P-Asserted-Identity -e sip.auth.username -e sip.Content-Type -e gsm_sms.tp-oa "
    "-e gsm_sms.tp-da -e gsm_sms.sms_text";

struct tshark_cmd {
    const char *proto, *opts, *filter, *fields;
};

static const struct tshark_cmd CMDS[] = {
    {"sip", "", "sip", NULL},
    {"smpp", "-o smpp.decode_sms_over_smpp:ASCII", "smpp",
     "-e frame.number -e smpp.command_id -e smpp.command_status -e smpp.sequence_number "
     "-e smpp.system_id -e smpp.source_addr_ton -e smpp.source_addr -e smpp.dest_addr_ton "
     "-e smpp.destination_addr -e smpp.data_coding -e smpp.message_text -e smpp.message "
     "-e smpp.message_id"},
    /* the corpus's MAP command, with the TBCD digits added (checkIMEI's IMEI) */
    {"map", "", "gsm_map",
     "-e frame.number -e m3ua.protocol_data_opc -e m3ua.protocol_data_dpc -e mtp3.opc "
     "-e mtp3.dpc -e sccp.calling.digits -e sccp.called.digits -e tcap.otid -e tcap.dtid "
     "-e gsm_map.old.Component -e gsm_old.localValue -e e212.imsi -e e164.msisdn "
     "-e gsm_sms.tp-mti -e gsm_sms.tp-oa -e gsm_sms.tp-da -e gsm_sms.sms_text "
     "-e gsm_map.tbcd_digits"},
    {"diameter", "", "diameter",
     "-e frame.number -e diameter.flags.request -e diameter.cmd.code -e diameter.applicationId "
     "-e diameter.hopbyhopid -e diameter.Session-Id -e diameter.Origin-Host "
     "-e diameter.User-Name -e e212.imsi -e diameter.Subscription-Id-Type "
     "-e diameter.Subscription-Id-Data -e diameter.MSISDN -e diameter.IMEI "
     "-e diameter.CC-Request-Type -e diameter.Result-Code"},
    {"gtpv2", "", "gtpv2",
     "-e frame.number -e gtpv2.message_type -e gtpv2.teid -e gtpv2.seq -e e212.imsi "
     "-e gtpv2.mei -e e164.msisdn -e gtpv2.apn -e gtpv2.rat_type -e gtpv2.cause"},
    {"gtpv1", "", "gtp.message!=0xff",
     "-e frame.number -e gtp.message -e gtp.teid -e e212.imsi -e e164.msisdn -e gtp.apn "
     "-e gtp.ext_imeisv -e gtp.cause"},
    {"radius", "", "radius",
     "-e frame.number -e radius.code -e radius.id -e radius.User_Name "
     "-e radius.Calling_Station_Id -e radius.Called_Station_Id -e radius.Framed-IP-Address "
     "-e radius.Acct_Status_Type -e radius.Acct_Session_Id -e radius.3GPP_IMSI "
     "-e radius.3GPP_IMEISV"},
};

int tx_tshark(const char *pcap, const char *proto, const char *out_tsv)
{
    int st = -1;
    char *v = tu_run("tshark -v >/dev/null 2>&1 && echo yes", &st);
    int have = v && !strncmp(v, "yes", 3);
    free(v);
    if (!have) {
        print_message("tshark not installed (scripts/install-deps.sh installs it): comparison "
                      "with tshark skipped\n");
        return 77;
    }
    const struct tshark_cmd *c = NULL;
    for (size_t i = 0; i < sizeof CMDS / sizeof CMDS[0]; i++)
        if (!strcmp(CMDS[i].proto, proto))
            c = &CMDS[i];
    if (!c)
        fail_msg("tx_tshark: no command for protocol %s", proto);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "tshark -r '%s' %s -Y '%s' -n -T fields -E header=y -E separator=/t "
             "-E occurrence=a -E aggregator=, -E quote=n %s > '%s' 2>/dev/null",
             pcap, c->opts, c->filter, c->fields ? c->fields : FIELDS_SIP, out_tsv);
    char *out = tu_run(cmd, &st);
    free(out);
    if (st != 0)
        fail_msg("tshark failed (status %d) on %s", st, pcap);
    return 0;
}
