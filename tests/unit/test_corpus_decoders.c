/* test_corpus_decoders.c - differential test against tshark for the GTP-C, RADIUS, Diameter and
 * SMPP captures of the shared corpus (CW_CORPUS_DIR; columns in its MANIFEST.md): every message
 * tshark shows that carries a card's identity in a message kind we report must give one event
 * at the same frame with the same identities, and no other event may appear.
 *
 * Expected events from tshark's columns (the mapping the decoders follow):
 *   GTPv2-C  Create Session / Modify Bearer Request (32, 34) with an identity: data_session;
 *            imsi = e212.imsi, calling = e164.msisdn, imei = gtpv2.mei (IMEI with Luhn digit)
 *   GTPv1-C  Create PDP Context Request (0x10): data_session; imsi, calling = e164.msisdn,
 *            imei = gtp.ext_imeisv (Luhn)
 *   RADIUS   Accounting-Request (4): data_session; calling = Calling-Station-Id, called =
 *            Called-Station-Id (digits when a number, else as they are), imsi = 3GPP-IMSI,
 *            imei = 3GPP-IMEISV (Luhn)
 *   Diameter requests: ULR (316) register, AIR (318) auth, CCR (272) data_session, OFR
 *            (8388645) sms_mo, TFR (8388646) sms_mt; imsi = User-Name when it is an IMSI (the
 *            part before '@'), or the END_USER_IMSI Subscription-Id; calling = the
 *            END_USER_E164 Subscription-Id, else MSISDN; imei = diameter.IMEI (Luhn)
 *   SMPP     submit_sm, data_sm: sms_mo; deliver_sm: sms_mt; calling = source_addr, called =
 *            destination_addr, text = message_text
 * GTP-C and RADIUS messages of those kinds without any identity give no event; Diameter
 * requests of those kinds always give one (diameter_no_identity is counted when it is empty).
 * An IMEI is compared with its check digit recomputed from the first 14 digits (TS 23.003
 * 6.2.1): gtpv2-create-session's MEI 436587092110203 has a wrong one on the wire, we report
 * 436587092110204.
 * What we do not decode yet is in KNOWN_GAPS, printed as "known gap:" lines; a gap that starts
 * to decode fails the test, so the list only shrinks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>

#include "corpus.h"
#include "testutil.h"

struct known_gap {
    const char *file;
    uint64_t frame;
    const char *why;
};

static const struct known_gap KNOWN_GAPS[] = {
    {"gtpv1-create-pdp-context-imsi-msisdn.pcapng", 9,
     "GTPv0 (GSM 09.60) on UDP 3386: tshark shows it as a Create PDP Context Request; only "
     "GTPv1-C and GTPv2-C are decoded"},
};

static const struct known_gap *gap_at(const char *file, uint64_t frame)
{
    for (size_t i = 0; i < sizeof KNOWN_GAPS / sizeof KNOWN_GAPS[0]; i++)
        if (!strcmp(KNOWN_GAPS[i].file, file) && KNOWN_GAPS[i].frame == frame)
            return &KNOWN_GAPS[i];
    return NULL;
}

struct want {
    const char *kind;
    char calling[64], called[64], imsi[32], imei[32], text[512];
};

/* What a row of tshark's TSV makes us expect: 1 with *w filled, 0 for no event. */
typedef int (*expect_fn)(const struct tsv *t, int r, struct want *w);

static const char *cell(const struct tsv *t, int r, const char *col)
{
    return tsv_cell(t, r, tsv_col(t, col));
}

static void set(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src);
}

/* An identity as we report it: digits when it is a number (a leading '+' dropped), else as it
 * is, cut to 31 bytes. */
static void party(char *dst, size_t n, const char *v)
{
    const char *p = v[0] == '+' ? v + 1 : v;
    int number = *p != 0;
    for (const char *q = p; *q; q++)
        number &= *q >= '0' && *q <= '9';
    snprintf(dst, n < 32 ? n : 32, "%s", number ? p : v);
}

/* 14 digits + Luhn check digit (3GPP TS 23.003 6.2), from tshark's IMEI or IMEISV digits. */
static void imei(char *dst, size_t n, const char *v)
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

static int any_identity(const struct want *w)
{
    return w->calling[0] || w->imsi[0] || w->imei[0];
}

static int only_one(const char *v, const char *what)
{
    if (strchr(v, ','))
        fail_msg("several %s in one frame (%s): not handled by this test", what, v);
    return 1;
}

static int expect_gtpv2(const struct tsv *t, int r, struct want *w)
{
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
    party(w->calling, sizeof w->calling, cell(t, r, "e164.msisdn"));
    imei(w->imei, sizeof w->imei, cell(t, r, "gtpv2.mei"));
    return any_identity(w);
}

static int expect_gtpv1(const struct tsv *t, int r, struct want *w)
{
    if (strcmp(cell(t, r, "gtp.message"), "0x10"))
        return 0;
    w->kind = "data_session";
    set(w->imsi, sizeof w->imsi, cell(t, r, "e212.imsi"));
    party(w->calling, sizeof w->calling, cell(t, r, "e164.msisdn"));
    imei(w->imei, sizeof w->imei, cell(t, r, "gtp.ext_imeisv"));
    return any_identity(w);
}

static int expect_radius(const struct tsv *t, int r, struct want *w)
{
    if (strcmp(cell(t, r, "radius.code"), "4"))
        return 0;
    w->kind = "data_session";
    party(w->calling, sizeof w->calling, cell(t, r, "radius.Calling_Station_Id"));
    party(w->called, sizeof w->called, cell(t, r, "radius.Called_Station_Id"));
    set(w->imsi, sizeof w->imsi, cell(t, r, "radius.3GPP_IMSI"));
    imei(w->imei, sizeof w->imei, cell(t, r, "radius.3GPP_IMEISV"));
    return any_identity(w);
}

static void imsi_of_user(char *dst, size_t n, const char *user)
{
    size_t len = strcspn(user, "@");
    int digits = len >= 6 && len <= 15;
    for (size_t i = 0; i < len && digits; i++)
        digits = user[i] >= '0' && user[i] <= '9';
    snprintf(dst, n, "%.*s", digits ? (int)len : 0, user);
}

static int expect_diameter(const struct tsv *t, int r, struct want *w)
{
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
    imsi_of_user(w->imsi, sizeof w->imsi, cell(t, r, "diameter.User-Name"));
    /* Subscription-Id pairs: types and data in the same order */
    char types[256], data[512];
    set(types, sizeof types, cell(t, r, "diameter.Subscription-Id-Type"));
    set(data, sizeof data, cell(t, r, "diameter.Subscription-Id-Data"));
    char *ts = NULL, *ds = NULL;
    for (char *ty = strtok_r(types, ",", &ts), *da = strtok_r(data, ",", &ds); ty && da;
         ty = strtok_r(NULL, ",", &ts), da = strtok_r(NULL, ",", &ds)) {
        if (!strcmp(ty, "0") && !w->calling[0])
            party(w->calling, sizeof w->calling, da);
        if (!strcmp(ty, "1") && !w->imsi[0])
            set(w->imsi, sizeof w->imsi, da);
    }
    if (!w->calling[0])
        party(w->calling, sizeof w->calling, cell(t, r, "diameter.MSISDN"));
    imei(w->imei, sizeof w->imei, cell(t, r, "diameter.IMEI"));
    return 1;
}

static int expect_smpp(const struct tsv *t, int r, struct want *w)
{
    const char *id = cell(t, r, "smpp.command_id");
    only_one(id, "SMPP PDUs");
    if (!strcmp(id, "0x00000004") || !strcmp(id, "0x00000103"))
        w->kind = "sms_mo";
    else if (!strcmp(id, "0x00000005"))
        w->kind = "sms_mt";
    else
        return 0;
    party(w->calling, sizeof w->calling, cell(t, r, "smpp.source_addr"));
    party(w->called, sizeof w->called, cell(t, r, "smpp.destination_addr"));
    set(w->text, sizeof w->text, cell(t, r, "smpp.message_text"));
    return any_identity(w);
}

struct corpus_case {
    const char *file;
    expect_fn expect;
};

static const struct corpus_case CASES[] = {
    {"gtpv2-create-session-imsi-mei-msisdn.pcap", expect_gtpv2},
    {"gtpv2-s11-create-session-modify-bearer.pcap", expect_gtpv2},
    {"gtpv2-modify-bearer-piggyback.pcapng", expect_gtpv2},
    {"gtpv1-create-pdp-context-imsi-msisdn.pcapng", expect_gtpv1},
    {"radius-accounting-interim-vlan.pcap", expect_radius},
    {"radius-access-request-accept.pcap", expect_radius},
    {"radius-loopback-access-challenge.pcap", expect_radius},
    {"diameter-gy-ccr-subscription-id-msisdn.pcap", expect_diameter},
    {"diameter-mixed-cer-gx-s6a-ulr-nasreq-tcp-sctp.pcap", expect_diameter},
    {"diameter-s6a-air-aia-resync.pcap", expect_diameter},
    {"diameter-s6a-air-aia.pcapng", expect_diameter},
    {"smpp-bind-submit-sm-unbind.pcap", expect_smpp},
};

static void field(struct report *rep, const char *name, uint64_t frame, const char *what,
                  const char *ours, const char *want, int *ok)
{
    if (strcmp(ours, want) != 0) {
        corpus_problem(rep, "%s frame %llu: %s ours \"%s\", tshark \"%s\"", name,
                       (unsigned long long)frame, what, ours, want);
        *ok = 0;
    }
}

static void test_file(void **state)
{
    if (!corpus_present())
        skip();
    const struct corpus_case *c = *state;
    char path[1024], tsvpath[1100];
    snprintf(path, sizeof path, "%s/%s", CW_CORPUS_DIR, c->file);
    snprintf(tsvpath, sizeof tsvpath, "%s/expected/%s.tsv", CW_CORPUS_DIR, c->file);
    struct tsv t;
    tsv_read(tsvpath, &t);
    struct report rep = {0};
    size_t nev;
    struct corpus_ev *evs = corpus_decode(path, &nev, &rep);
    int c_frame = tsv_col(&t, "frame.number");
    int expected = 0, matched = 0;
    for (int r = 0; r < t.nrows; r++) {
        struct want w;
        memset(&w, 0, sizeof w);
        if (!c->expect(&t, r, &w))
            continue;
        expected++;
        uint64_t frame = strtoull(tsv_cell(&t, r, c_frame), NULL, 10);
        struct corpus_ev *ev = NULL;
        for (size_t i = 0; i < nev && !ev; i++)
            if (evs[i].frame == frame && !evs[i].matched && !strcmp(evs[i].kind, w.kind))
                ev = &evs[i];
        const struct known_gap *gap = gap_at(c->file, frame);
        if (gap) {
            expected--;
            if (ev)
                corpus_problem(&rep, "%s frame %llu: listed in KNOWN_GAPS but decoded now: "
                               "remove it from the list", c->file, (unsigned long long)frame);
            else
                print_message("known gap: %s frame %llu not compared: %s\n", c->file,
                              (unsigned long long)frame, gap->why);
            continue;
        }
        if (!ev) {
            corpus_problem(&rep, "%s frame %llu: tshark shows a %s message (imsi \"%s\", "
                           "calling \"%s\"), we give no %s event", c->file,
                           (unsigned long long)frame, w.kind, w.imsi, w.calling, w.kind);
            continue;
        }
        ev->matched = 1;
        int ok = 1;
        field(&rep, c->file, frame, "calling", ev->calling, w.calling, &ok);
        field(&rep, c->file, frame, "called", ev->called, w.called, &ok);
        field(&rep, c->file, frame, "imsi", ev->imsi, w.imsi, &ok);
        field(&rep, c->file, frame, "imei", ev->imei, w.imei, &ok);
        if (w.text[0])
            field(&rep, c->file, frame, "text", ev->text, w.text, &ok);
        matched += ok;
    }
    for (size_t i = 0; i < nev; i++)
        if (!evs[i].matched)
            corpus_problem(&rep, "%s frame %llu: we give a %s %s event (imsi \"%s\", calling "
                           "\"%s\") where tshark shows no such message", c->file,
                           (unsigned long long)evs[i].frame, evs[i].proto, evs[i].kind,
                           evs[i].imsi, evs[i].calling);
    print_message("%s: %d messages with identities compared, %d matched, %zu events\n",
                  c->file, expected, matched, nev);
    free(evs);
    tsv_free(&t);
    if (rep.count) {
        print_message("%s", rep.text);
        fflush(stdout);
        free(rep.text);
        fail_msg("%s: %d difference%s from tshark", c->file, rep.count, rep.count > 1 ? "s" : "");
    }
}

/* Every GTP, RADIUS, Diameter and SMPP capture of the corpus is compared here. */
static void test_complete(void **state)
{
    (void)state;
    if (!corpus_present())
        skip();
    DIR *dir = opendir(CW_CORPUS_DIR);
    assert_non_null(dir);
    struct dirent *de;
    static const char *const prefixes[] = {"gtp", "radius-", "diameter-", "smpp-"};
    int missing = 0;
    while ((de = readdir(dir))) {
        int ours = 0;
        for (size_t i = 0; i < 4; i++)
            ours |= !strncmp(de->d_name, prefixes[i], strlen(prefixes[i]));
        if (!ours || !strstr(de->d_name, ".pcap"))
            continue;
        int found = 0;
        for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
            found |= !strcmp(CASES[i].file, de->d_name);
        if (!found) {
            print_message("%s is not compared: add it to CASES\n", de->d_name);
            missing++;
        }
    }
    closedir(dir);
    assert_int_equal(missing, 0);
}

/* The checks of this test's own expectations, independent of the corpus. */
static void test_helpers(void **state)
{
    (void)state;
    char out[64];
    imei(out, sizeof out, "3520980727163206"); /* IMEISV */
    assert_string_equal(out, "352098072716325");
    imei(out, sizeof out, "490154203237518");
    assert_string_equal(out, "490154203237518");
    party(out, sizeof out, "+919080000016");
    assert_string_equal(out, "919080000016");
    party(out, sizeof out, "00-14-22-E9-54-5E");
    assert_string_equal(out, "00-14-22-E9-54-5E");
    imsi_of_user(out, sizeof out, "310260123456789@lte.operator.net");
    assert_string_equal(out, "310260123456789");
    imsi_of_user(out, sizeof out, "user001@3gpp.com");
    assert_string_equal(out, "");
}

int main(void)
{
    enum { N = sizeof CASES / sizeof CASES[0] };
    struct CMUnitTest tests[N + 2];
    for (size_t i = 0; i < N; i++) {
        struct CMUnitTest u = {CASES[i].file, test_file, NULL, NULL, (void *)&CASES[i]};
        tests[i] = u;
    }
    struct CMUnitTest h = {"helpers", test_helpers, NULL, NULL, NULL};
    tests[N] = h;
    struct CMUnitTest all = {"complete", test_complete, NULL, NULL, NULL};
    tests[N + 1] = all;
    return _cmocka_run_group_tests("corpus_decoders", tests, N + 2, NULL, NULL);
}
