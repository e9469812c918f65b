/* test_corpus_sip.c - differential test against tshark on the real SIP/IMS captures of the
 * shared corpus (CW_CORPUS_DIR, see its MANIFEST.md): `cardwatch decode --quiet FILE` must give
 * one event for each INVITE (call), CANCEL (call_cancel), MESSAGE (sms_mo) and REGISTER
 * (register) request that tshark shows in expected/FILE.tsv, at the same frame, with the same
 * calling and called party, and no other event. What we do not decode yet is listed in KNOWN_GAPS
 * below and reported as "known gap:" lines; a gap that starts to decode fails the test, so the list
 * only shrinks.
 *
 * Expected values from tshark's columns (the rules cw_sip_decode follows):
 *   INVITE, CANCEL, MESSAGE:
 *     calling = P-Asserted-Identity user when present and a number (a tel: one preferred),
 *               else the From user (for tel: URIs the number in sip.from.addr: tshark leaves
 *               sip.from.user empty for them), else a P-Asserted-Identity user that is not a
 *               number;
 *     called  = Request-URI user when a number, else the To user, else the Request-URI user;
 *               for SMS over IP (application/vnd.3gpp.sms) the TPDU's TP-DA (gsm_sms.tp-da):
 *               the Request-URI names the SMS centre there;
 *   REGISTER (there is no called party: the card registering is the address of record):
 *     imsi    = the user of an IMSI-derived identity (3GPP TS 23.003 13.3:
 *               IMSI@ims.mncMNC.mccMCC.3gppnetwork.org) in the Request-URI, To or From;
 *     calling = the To user, else the From user (those that are not IMSI-derived);
 *     called  = none.
 *   Numbers are digits only: '+' and visual separators dropped. A user part that is not a
 *   number is kept as it is, cut to CW_NUM_MAX - 1 bytes.
 *
 * The device's cell and IMEI (test_cell_imei) are compared with tshark run here, on the files
 * of CELL_FILES (the MANIFEST's columns do not have them): every event's cell must be what
 * sip.P-Access-Network-Info.access-type and .utran-cell-id-3gpp give (E-UTRAN: MCC MNC "-"
 * ECI, the TAC dropped; other access types are not in the corpus), its IMEI the urn:gsma:imei
 * of the +sip.instance among sip.contact.parameter (14 digits and the Luhn digit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <strings.h>
#include <unistd.h>

#include "event/event.h"
#include "corpus.h"
#include "testutil.h"
#include "tshark_expect.h"

/* ---- what we know we do not decode yet ---- */

enum gap_kind {
    GAP_EVENT, /* no event expected at these frames: the transport is not decoded */
    GAP_TEXT,  /* event compared (kind, calling, called) but not its SMS text */
    GAP_BUG,   /* a reported decoder bug: field @field is @ours where tshark says otherwise
                * (sip-compact-headers-invite.pcap frame 1, calling "" for 816666, was one:
                * fixed in sip.c) */
};

struct sip_gap {
    const char *file;
    uint64_t frames[8]; /* 0-terminated */
    enum gap_kind kind;
    const char *why;
    const char *field; /* GAP_BUG: "calling", "called" or "imsi" */
    const char *ours;  /* GAP_BUG: what we give now (anything else fails the test) */
};

static const struct sip_gap KNOWN_GAPS[] = {
    /* none now: sip-websocket-invite.pcap frames 11 and 18 (SIP over WebSocket) decode since
     * the WebSocket framing (decode/websocket.c). The entry with no file ends the list. */
    {.file = NULL},
};

/* The captures compared (all sip-* and ims-* files of the corpus; test_corpus_complete checks
 * that none is missing from this list). */
static const char *const FILES[] = {
    "sip-compact-headers-invite.pcap",
    "sip-gre-teb-subscribe-notify-refer.pcapng",
    "sip-invalid-content-length.pcap",
    "sip-ipv6-udp-invite.pcap",
    "sip-rawip-register-invite.pcap",
    "sip-register-digest.pcapng",
    "sip-responses-mixed-ims.pcap",
    "sip-rtp-call-udp.pcap",
    "sip-sctp-invite-sll.pcap",
    "sip-tcp-invite-bye.pcap",
    "sip-tcp-port6060-segmented.pcap",
    "sip-tcp-register-retrans-sll.pcap",
    "sip-udp-nonstandard-ports-invite.pcap",
    "sip-udp-register-invite-cancel.pcap",
    "sip-vlan-gre-ppp-100trying.pcapng",
    "sip-websocket-invite.pcap",
    "ims-sip-message-sms-over-gtpu-ipv6-sll.pcap",
};
#define NFILES (sizeof FILES / sizeof FILES[0])

static const struct sip_gap *gap_at(const char *file, uint64_t frame)
{
    for (size_t i = 0; KNOWN_GAPS[i].file; i++) {
        if (strcmp(KNOWN_GAPS[i].file, file) != 0)
            continue;
        for (const uint64_t *f = KNOWN_GAPS[i].frames; *f; f++)
            if (*f == frame)
                return &KNOWN_GAPS[i];
    }
    return NULL;
}

/* ---- the comparison ---- */

static const char *kind_of_method(const char *m)
{
    if (!strcmp(m, "INVITE"))
        return "call";
    if (!strcmp(m, "CANCEL"))
        return "call_cancel";
    if (!strcmp(m, "MESSAGE"))
        return "sms_mo";
    if (!strcmp(m, "REGISTER"))
        return "register";
    return NULL;
}

/* IMSI-derived identity (3GPP TS 23.003 13.3): sip:IMSI@ims.mncMNC.mccMCC.3gppnetwork.org. */
static int imsi_of(const char *uri, char *out, size_t outsz)
{
    static const char tail[] = ".3gppnetwork.org";
    const char *at = strchr(uri, '@');
    if (strncmp(uri, "sip:", 4) != 0 || !at)
        return 0;
    size_t ulen = (size_t)(at - uri - 4);
    const char *host = at + 1;
    size_t hlen = strcspn(host, ";:>");
    if (ulen < 6 || ulen > 15 || ulen + 1 > outsz || strncmp(host, "ims.mnc", 7) != 0 ||
        hlen < sizeof tail || strncmp(host + hlen - (sizeof tail - 1), tail, sizeof tail - 1))
        return 0;
    for (size_t i = 0; i < ulen; i++)
        if (uri[4 + i] < '0' || uri[4 + i] > '9')
            return 0;
    memcpy(out, uri + 4, ulen);
    out[ulen] = 0;
    return 1;
}

struct sip_want {
    char calling[256], called[256], imsi[32];
};

/* What tshark's row says the event must hold (the rules in the comment at the top). */
static void expected(const struct tsv *t, int r, const char *kind, struct sip_want *w)
{
    const char *ruri = tsv_cell(t, r, tsv_col(t, "sip.r-uri"));
    const char *from_addr = tsv_cell(t, r, tsv_col(t, "sip.from.addr"));
    const char *from_user = tsv_cell(t, r, tsv_col(t, "sip.from.user"));
    const char *to_addr = tsv_cell(t, r, tsv_col(t, "sip.to.addr"));
    const char *to_user = tsv_cell(t, r, tsv_col(t, "sip.to.user"));
    const char *pai = tsv_cell(t, r, tsv_col(t, "sip.P-Asserted-Identity"));
    char tmp[256];
    memset(w, 0, sizeof *w);
    if (!strcmp(kind, "register")) {
        int to_imsi = 0, from_imsi = 0;
        char im[32];
        if (imsi_of(ruri, im, sizeof im))
            snprintf(w->imsi, sizeof w->imsi, "%s", im);
        if ((to_imsi = imsi_of(to_addr, im, sizeof im)) && !w->imsi[0])
            snprintf(w->imsi, sizeof w->imsi, "%s", im);
        if ((from_imsi = imsi_of(from_addr, im, sizeof im)) && !w->imsi[0])
            snprintf(w->imsi, sizeof w->imsi, "%s", im);
        char to[256] = "", from[256] = "";
        if (!to_imsi)
            tx_sip_party(to_addr, to_user, to, sizeof to);
        if (!from_imsi)
            tx_sip_party(from_addr, from_user, from, sizeof from);
        if (tx_is_number(to) || (!tx_is_number(from) && to[0]))
            snprintf(w->calling, sizeof w->calling, "%s", to);
        else
            snprintf(w->calling, sizeof w->calling, "%s", from);
        return;
    }
    char pai_user[256] = "";
    size_t plen;
    const char *pu = tx_sip_pai_uri(pai, &plen);
    if (pu)
        tx_sip_uri_user(pu, plen, pai_user, sizeof pai_user);
    tx_sip_party(from_addr, from_user, tmp, sizeof tmp);
    if (tx_is_number(pai_user))
        snprintf(w->calling, sizeof w->calling, "%s", pai_user);
    else if (tmp[0])
        snprintf(w->calling, sizeof w->calling, "%s", tmp);
    else
        snprintf(w->calling, sizeof w->calling, "%s", pai_user);
    const char *tp_da = tsv_cell(t, r, tsv_col(t, "gsm_sms.tp-da"));
    if (tp_da[0]) {
        snprintf(w->called, sizeof w->called, "%s", tp_da);
        return;
    }
    char ru[256];
    tx_sip_uri_user(ruri, strlen(ruri), ru, sizeof ru);
    tx_sip_party(to_addr, to_user, tmp, sizeof tmp);
    if (tx_is_number(ru))
        snprintf(w->called, sizeof w->called, "%s", ru);
    else if (tmp[0])
        snprintf(w->called, sizeof w->called, "%s", tmp);
    else
        snprintf(w->called, sizeof w->called, "%s", ru);
}

static const struct sip_gap *bug_at(const char *file, uint64_t frame, const char *field)
{
    for (size_t i = 0; KNOWN_GAPS[i].file; i++) {
        const struct sip_gap *g = &KNOWN_GAPS[i];
        if (g->kind != GAP_BUG || strcmp(g->file, file) != 0 || strcmp(g->field, field) != 0)
            continue;
        for (const uint64_t *f = g->frames; *f; f++)
            if (*f == frame)
                return g;
    }
    return NULL;
}

/* Known gaps met in one file, printed together per gap. */
struct met {
    size_t n;
    const struct sip_gap *gap[64];
    uint64_t frame[64];
};

static void met_add(struct met *m, const struct sip_gap *g, uint64_t frame)
{
    if (m->n < 64) {
        m->gap[m->n] = g;
        m->frame[m->n++] = frame;
    }
}

static void met_print(const struct met *m, const char *name)
{
    for (size_t i = 0; KNOWN_GAPS[i].file; i++) {
        const struct sip_gap *g = &KNOWN_GAPS[i];
        char list[256] = "";
        size_t o = 0, n = 0;
        for (size_t j = 0; j < m->n; j++) {
            if (m->gap[j] != g || o >= sizeof list)
                continue;
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%llu", n ? "," : "",
                                  (unsigned long long)m->frame[j]);
            n++;
        }
        if (!n)
            continue;
        if (g->kind == GAP_BUG)
            print_message("known gap: %s frame%s %s: %s \"%s\" is a decoder bug: %s\n", name,
                          n > 1 ? "s" : "", list, g->field, g->ours, g->why);
        else
            print_message("known gap: %s frame%s %s %s: %s\n", name, n > 1 ? "s" : "", list,
                          g->kind == GAP_EVENT ? "not compared" : "text not compared", g->why);
    }
}

/* One field of one event: 1 when equal to tshark; 0 when not (a problem, unless it is a
 * listed bug with exactly the listed value). */
static int check_field(struct report *rep, struct met *met, const char *name, uint64_t frame,
                       const char *method, const char *field, const char *ours, const char *want)
{
    const struct sip_gap *bug = bug_at(name, frame, field);
    if (!strcmp(ours, want)) {
        if (bug)
            corpus_problem(
                rep,
                "%s frame %llu: %s listed in KNOWN_GAPS as a bug but right now (\"%s\"): "
                "remove it from the list",
                name, (unsigned long long)frame, field, ours);
        return 1;
    }
    if (bug && !strcmp(ours, bug->ours)) {
        met_add(met, bug, frame);
        return 0; /* reported as a known gap, not counted as matched */
    }
    corpus_problem(rep, "%s frame %llu %s: %s ours \"%s\", tshark \"%s\"", name,
                   (unsigned long long)frame, method, field, ours, want);
    return 0;
}

static void compare_file(const char *name)
{
    char path[1024], tsvpath[1024];
    snprintf(path, sizeof path, "%s/%s", CW_CORPUS_DIR, name);
    snprintf(tsvpath, sizeof tsvpath, "%s/expected/%s.tsv", CW_CORPUS_DIR, name);
    if (!tu_exists(path) || !tu_exists(tsvpath))
        fail_msg("%s or its expected TSV is missing from the corpus", name);
    if (!tu_exists(CW_BINARY))
        fail_msg("%s not built", CW_BINARY);

    struct tsv t;
    tsv_read(tsvpath, &t);
    int c_frame = tsv_col(&t, "frame.number"), c_method = tsv_col(&t, "sip.Method");
    int c_text = tsv_col(&t, "gsm_sms.sms_text");

    struct report rep = {0};
    struct met met = {0};
    size_t nev;
    struct corpus_ev *evs = corpus_decode(path, &nev, &rep);
    for (size_t i = 0; i < nev; i++)
        if (strcmp(evs[i].file, path) != 0)
            corpus_problem(&rep, "%s frame %llu: file is \"%s\"", name,
                           (unsigned long long)evs[i].frame, evs[i].file);

    int compared = 0, matched = 0;
    for (int r = 0; r < t.nrows; r++) {
        const char *method = tsv_cell(&t, r, c_method);
        uint64_t frame = strtoull(tsv_cell(&t, r, c_frame), NULL, 10);
        if (strchr(method, ','))
            fail_msg("%s frame %llu: several SIP messages in one frame (%s): not handled by "
                     "this test yet",
                     name, (unsigned long long)frame, method);
        const char *kind = kind_of_method(method);
        if (!kind)
            continue; /* responses, ACK, BYE, ...: no event; checked below as extras */
        struct sip_want w;
        expected(&t, r, kind, &w);
        const char *want_text = tsv_cell(&t, r, c_text);

        const struct sip_gap *gap = gap_at(name, frame);
        struct corpus_ev *ev = NULL;
        for (size_t i = 0; i < nev && !ev; i++)
            if (evs[i].frame == frame && !evs[i].matched && !strcmp(evs[i].kind, kind))
                ev = &evs[i];
        if (gap && gap->kind == GAP_EVENT) {
            if (ev) {
                ev->matched = 1;
                corpus_problem(&rep,
                               "%s frame %llu: listed in KNOWN_GAPS (%s) but decoded now: remove "
                               "it from the list",
                               name, (unsigned long long)frame, gap->why);
            }
            met_add(&met, gap, frame);
            continue;
        }
        compared++;
        if (!ev) {
            corpus_problem(&rep,
                           "%s frame %llu: tshark shows %s (calling \"%s\", called \"%s\"), we "
                           "give no %s event",
                           name, (unsigned long long)frame, method, w.calling, w.called, kind);
            continue;
        }
        ev->matched = 1;
        int ok = check_field(&rep, &met, name, frame, method, "calling", ev->calling, w.calling);
        ok &= check_field(&rep, &met, name, frame, method, "called", ev->called, w.called);
        ok &= check_field(&rep, &met, name, frame, method, "imsi", ev->imsi, w.imsi);
        if (gap && gap->kind == GAP_TEXT) {
            if (ev->text[0] && !strcmp(ev->text, want_text))
                corpus_problem(&rep,
                               "%s frame %llu: text listed in KNOWN_GAPS but decoded now "
                               "(\"%s\"): remove it from the list",
                               name, (unsigned long long)frame, ev->text);
            else if (ev->text[0])
                corpus_problem(&rep, "%s frame %llu: text ours \"%s\", tshark \"%s\"", name,
                               (unsigned long long)frame, ev->text, want_text);
            met_add(&met, gap, frame);
        } else if (want_text[0] && strcmp(ev->text, want_text) != 0) {
            corpus_problem(&rep, "%s frame %llu: text ours \"%s\", tshark \"%s\"", name,
                           (unsigned long long)frame, ev->text, want_text);
            ok = 0;
        } else if (!want_text[0] && ev->text[0] && strcmp(kind, "sms_mo") != 0) {
            corpus_problem(&rep, "%s frame %llu: a %s event with text \"%s\"", name,
                           (unsigned long long)frame, kind, ev->text);
            ok = 0;
        }
        matched += ok;
    }
    for (size_t i = 0; i < nev; i++)
        if (!evs[i].matched)
            corpus_problem(&rep,
                           "%s frame %llu: we give a %s event (calling \"%s\", called \"%s\") "
                           "where tshark shows no INVITE, CANCEL, MESSAGE or "
                           "REGISTER",
                           name, (unsigned long long)evs[i].frame, evs[i].kind, evs[i].calling,
                           evs[i].called);

    print_message("%s: %d requests compared, %d matched, %zu events, %zu known-gap frames\n", name,
                  compared, matched, nev, met.n);
    met_print(&met, name);
    free(evs);
    tsv_free(&t);
    if (rep.count) {
        print_message("%s", rep.text);
        fflush(stdout);
        free(rep.text);
        fail_msg("%s: %d difference%s from tshark", name, rep.count, rep.count > 1 ? "s" : "");
    }
}

static void test_file(void **state)
{
    if (!corpus_present())
        skip();
    compare_file((const char *)*state);
}

/* Every sip-* and ims-* capture with an expected TSV is in FILES, and every known gap names a
 * file of FILES. */
static void test_corpus_complete(void **state)
{
    (void)state;
    if (!corpus_present())
        skip();
    DIR *d = opendir(CW_CORPUS_DIR);
    assert_non_null(d);
    struct dirent *de;
    int missing = 0, seen = 0;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strncmp(n, "sip-", 4) != 0 && strncmp(n, "ims-", 4) != 0)
            continue;
        char tsv[1024];
        snprintf(tsv, sizeof tsv, "%s/expected/%s.tsv", CW_CORPUS_DIR, n);
        if (!tu_exists(tsv))
            continue;
        seen++;
        int found = 0;
        for (size_t i = 0; i < NFILES; i++)
            found |= !strcmp(FILES[i], n);
        if (!found) {
            print_message("corpus file %s is not compared: add it to FILES\n", n);
            missing++;
        }
    }
    closedir(d);
    assert_int_equal(missing, 0);
    assert_int_equal(seen, NFILES);
    for (size_t g = 0; KNOWN_GAPS[g].file; g++) {
        int found = 0;
        for (size_t i = 0; i < NFILES; i++)
            found |= !strcmp(FILES[i], KNOWN_GAPS[g].file);
        assert_true(found);
    }
}

/* ---- cell and IMEI ---- */

/* The captures with P-Access-Network-Info, +sip.instance (urn:gsma:imei and urn:uuid) or
 * CANCEL requests. */
static const char *const CELL_FILES[] = {
    "ims-sip-message-sms-over-gtpu-ipv6-sll.pcap",
    "sip-tcp-register-retrans-sll.pcap",
    "sip-udp-register-invite-cancel.pcap",
};

/* The first of tshark's '|'-joined values of @p v, into @p out. */
static void first_value(const char *v, char *out, size_t outsz)
{
    snprintf(out, outsz, "%.*s", (int)strcspn(v, "|"), v);
}

/* An E-UTRAN cell (3GPP TS 24.229 7.2A.4): MCC MNC TAC(4 hex) ECI(7 hex) -> "MCCMNC-eci". */
static void want_cell(const char *type, const char *id, char *out, size_t outsz)
{
    char t[64], v[64];
    first_value(type, t, sizeof t);
    first_value(id, v, sizeof v);
    out[0] = 0;
    size_t n = strlen(v);
    if (strncasecmp(t, "3GPP-E-UTRAN", 12) != 0 || (n != 16 && n != 17))
        return;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)v[i]) || (i < n - 11 && !isdigit((unsigned char)v[i])))
            return;
    snprintf(out, outsz, "%.*s-%s", (int)(n - 11), v, v + n - 7);
    for (char *c = out; *c; c++)
        *c = (char)tolower((unsigned char)*c);
}

/* The IMEI of a +sip.instance="<urn:gsma:imei:TAC-SNR-CD...>" among the contact parameters. */
static void want_imei(const char *params, char *out, size_t outsz)
{
    static const char key[] = "+sip.instance=\"<urn:gsma:imei:";
    const char *p = strstr(params, key);
    char d[16];
    size_t n = 0;
    out[0] = 0;
    if (!p)
        return;
    for (p += sizeof key - 1; *p && *p != '>' && *p != ';' && n < 15; p++)
        if (isdigit((unsigned char)*p))
            d[n++] = *p;
    d[n] = 0;
    if (n == 15)
        tx_imei(out, outsz, d);
}

static void test_cell_imei(void **state)
{
    (void)state;
    if (!corpus_present())
        skip();
    if (!tx_have_tshark()) {
        print_message("tshark not installed: cell and IMEI comparison skipped\n");
        skip();
    }
    int with_cell = 0, with_imei = 0, problems = 0;
    for (size_t f = 0; f < sizeof CELL_FILES / sizeof CELL_FILES[0]; f++) {
        char path[1024], cmd[2048];
        snprintf(path, sizeof path, "%s/%s", CW_CORPUS_DIR, CELL_FILES[f]);
        snprintf(cmd, sizeof cmd,
                 "tshark -r '%s' -Y sip.Method -n -T fields -E header=y -E separator=/t "
                 "-E occurrence=a -E aggregator='|' -E quote=n -e frame.number -e sip.Method "
                 "-e sip.P-Access-Network-Info.access-type "
                 "-e sip.P-Access-Network-Info.utran-cell-id-3gpp -e sip.contact.parameter "
                 "2>/dev/null",
                 path);
        int st = -1;
        char *tsvtext = tu_run(cmd, &st);
        assert_int_equal(st, 0);
        char tsvpath[] = "/tmp/cw_cell_imei_XXXXXX";
        int fd = mkstemp(tsvpath);
        assert_true(fd >= 0);
        FILE *fp = fdopen(fd, "w");
        assert_non_null(fp);
        fputs(tsvtext, fp);
        fclose(fp);
        free(tsvtext);
        struct tsv t;
        tsv_read(tsvpath, &t);
        unlink(tsvpath);

        snprintf(cmd, sizeof cmd, "'%s' decode --quiet '%s'", CW_BINARY, path);
        char *out = tu_run(cmd, &st);
        assert_int_equal(st, 0);
        int events = 0;
        for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            if (nl)
                *nl = 0;
            char frame[32], cell[64] = "", imei[64] = "";
            if (corpus_json_get(line, "frame", frame, sizeof frame) != 0)
                continue;
            corpus_json_get(line, "cell", cell, sizeof cell);
            corpus_json_get(line, "imei", imei, sizeof imei);
            events++;
            int r = 0;
            while (r < t.nrows && strcmp(tsv_cell(&t, r, tsv_col(&t, "frame.number")), frame))
                r++;
            if (r == t.nrows) {
                print_message("%s frame %s: an event where tshark shows no request\n",
                              CELL_FILES[f], frame);
                problems++;
                continue;
            }
            char wc[64], wi[64];
            want_cell(tsv_cell(&t, r, tsv_col(&t, "sip.P-Access-Network-Info.access-type")),
                      tsv_cell(&t, r, tsv_col(&t, "sip.P-Access-Network-Info.utran-cell-id-3gpp")),
                      wc, sizeof wc);
            want_imei(tsv_cell(&t, r, tsv_col(&t, "sip.contact.parameter")), wi, sizeof wi);
            with_cell += wc[0] != 0;
            with_imei += wi[0] != 0;
            if (strcmp(cell, wc) || strcmp(imei, wi)) {
                print_message("%s frame %s: cell ours \"%s\" tshark \"%s\", imei ours \"%s\" "
                              "tshark \"%s\"\n",
                              CELL_FILES[f], frame, cell, wc, imei, wi);
                problems++;
            }
        }
        print_message("%s: %d events, cell and IMEI compared\n", CELL_FILES[f], events);
        free(out);
        tsv_free(&t);
    }
    assert_int_equal(problems, 0);
    /* the corpus has both: a comparison that saw none compared nothing */
    assert_true(with_cell > 0);
    assert_true(with_imei > 0);
}

/* The expected-value rules themselves, on tshark's spellings. */
static void test_expected_rules(void **state)
{
    (void)state;
    char out[64];
    size_t n;
    const char *u = tx_sip_pai_uri("<sip:9171969136@astrakhan.megafonvolga.ru;user=phone>,"
                                   "<tel:9171969136;phone-context=+7>",
                                   &n);
    assert_non_null(u);
    assert_int_equal(strncmp(u, "tel:9171969136", 14), 0);
    tx_sip_uri_user(u, n, out, sizeof out);
    assert_string_equal(out, "9171969136");
    u = tx_sip_pai_uri("\"unknown\" <sip:@maxus.lan>", &n);
    tx_sip_uri_user(u, n, out, sizeof out);
    assert_string_equal(out, "");
    assert_null(tx_sip_pai_uri("", &n));
    const char *r = "sip:+3908351673002@157.161.10.72:5060";
    tx_sip_uri_user(r, strlen(r), out, sizeof out);
    assert_string_equal(out, "3908351673002");
    r = "sip:157.161.10.73:5060";
    tx_sip_uri_user(r, strlen(r), out, sizeof out);
    assert_string_equal(out, "");
    tx_sip_uri_user("tel:+7", 6, out, sizeof out);
    assert_string_equal(out, "7");
    tx_sip_party("tel:+88270006", "", out, sizeof out);
    assert_string_equal(out, "88270006");
    tx_sip_party("sip:Ivan@Verso.com", "Ivan", out, sizeof out);
    assert_string_equal(out, "Ivan");
    tx_sip_party("sip:x", "12675941249_Uclx8s21Ck82KTJtkFC1ltbEbcHGKjXLrsz2bdJVWGX", out,
                 sizeof out);
    assert_string_equal(out, "12675941249_Uclx8s21Ck82KTJtkFC");
    assert_int_equal(strlen(out), CW_NUM_MAX - 1);

    struct corpus_ev ev;
    assert_int_equal(
        corpus_json_event("{\"ts\":\"2026-01-01T00:00:00.000000Z\",\"proto\":\"sip\","
                          "\"kind\":\"sms_mo\",\"calling\":\"1\",\"text\":\"a\\\"b\\u00e9\","
                          "\"file\":\"f\",\"frame\":90}",
                          &ev),
        0);
    assert_string_equal(ev.kind, "sms_mo");
    assert_string_equal(ev.calling, "1");
    assert_string_equal(ev.called, "");
    assert_string_equal(ev.text, "a\"b\xc3\xa9");
    assert_int_equal(ev.frame, 90);
    assert_int_equal(corpus_json_event("not json", &ev), -1);
}

int main(void)
{
    struct CMUnitTest tests[NFILES + 3];
    tests[0] = (struct CMUnitTest)cmocka_unit_test(test_expected_rules);
    tests[1] = (struct CMUnitTest)cmocka_unit_test(test_corpus_complete);
    tests[2] = (struct CMUnitTest)cmocka_unit_test(test_cell_imei);
    for (size_t i = 0; i < NFILES; i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(test_file, (void *)FILES[i]);
        t.name = FILES[i];
        tests[i + 3] = t;
    }
    int rc = _cmocka_run_group_tests("test_corpus_sip", tests, NFILES + 3, NULL, NULL);
    return corpus_exit(rc);
}
