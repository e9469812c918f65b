/* test_synth_tshark.c - differential test of synth's captures against tshark: for each protocol
 * (`--protocols X`, a few thousand packets) and for the default mix, tshark runs the corpus's
 * field extraction commands (../shared/corpus/MANIFEST.md, with the columns they leave out:
 * tshark_expect.c) and every message it shows that names a card must be an event of
 * `cardwatch decode` at the same frame with the same identities and text, and no other event
 * of that protocol may appear (tshark_expect.h has the mapping). tshark must also flag no
 * malformed packet and no error in any of them. Without tshark the tests skip, saying so.
 *
 * SIP is compared through its own tshark run here (the corpus command's columns and the
 * Contact header): synth's requests carry the handset's IMEI in +sip.instance (RFC 7255) and
 * scripted actors send CANCELs, which the corpus's expectation does not know. test_actors
 * plants every scripted actor and also compares the cells: P-Access-Network-Info's
 * utran-cell-id-3gpp and GTPv2's ULI ECGI as tshark reads them against the events' cell, and
 * that each cell is in a province (the ECI's top 8 bits, as cells.csv maps them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "corpus.h"
#include "store/idcard.h"
#include "synth/synth.h"
#include "testutil.h"
#include "tshark_expect.h"

/* ---- captures ---- */

struct capture {
    char *dir;
    char pcap[4200];
    struct cw_synth_stats st;
};

static void gen_actors(struct capture *c, unsigned protocols, uint64_t packets, double rate)
{
    c->dir = tu_mkdtemp();
    struct cw_synth_opts o;
    memset(&o, 0, sizeof o);
    o.seed = 11;
    o.cards = 3000;
    o.packets = packets;
    o.out_dir = c->dir;
    o.black_rate = 0.02;
    o.protocols = protocols;
    o.spam_rate = rate / 4;
    o.fraud_content_rate = rate;
    o.simbox_rate = rate * 4;
    o.imei_hopping_rate = rate;
    o.agent_batch_rate = rate * 2;
    o.wangiri_rate = rate / 2;
    o.newyear_rate = rate;
    o.family_device_rate = rate * 2;
    o.phone_change_rate = rate;
    o.caller_rate = rate * 2;
    o.agent_far_rate = rate * 2;
    o.traveller_rate = rate * 2;
    o.new_traveller_rate = rate * 2;
    char err[512];
    int rc = cw_synth_run(&o, &c->st, err, sizeof err);
    if (rc)
        fail_msg("synth: %s", err);
    snprintf(c->pcap, sizeof c->pcap, "%s/traffic.pcap", c->dir);
}

static void drop(struct capture *c)
{
    tu_rmrf(c->dir);
    free(c->dir);
}

/* tshark flags no malformed packet and no error anywhere in the capture. */
static void check_clean(const char *pcap)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd,
             "tshark -r '%s' -n -Y '_ws.malformed || _ws.expert.severity==error' "
             "-T fields -e frame.number 2>/dev/null | head -20 | tr '\\n' ' '",
             pcap);
    int st;
    char *out = tu_run(cmd, &st);
    if (out[0])
        fail_msg("tshark flags frames of %s as malformed or in error: %s", pcap, out);
    free(out);
}

/* ---- SIP with the handset's IMEI and CANCEL ---- */

static const char *const SIP_FIELDS =
    "-e frame.number -e sip.Method -e sip.Status-Code -e sip.CSeq.method -e sip.Call-ID "
    "-e sip.r-uri -e sip.from.addr -e sip.to.addr -e sip.from.user -e sip.to.user "
    "-e sip.P-Asserted-Identity -e sip.auth.username -e sip.Content-Type -e gsm_sms.tp-oa "
    "-e gsm_sms.tp-da -e gsm_sms.sms_text -e sip.From -e sip.Contact";

static void run_tshark(const char *pcap, const char *filter, const char *fields, const char *out)
{
    size_t need = strlen(pcap) + strlen(fields) + strlen(out) + strlen(filter) + 256;
    char *cmd = malloc(need);
    assert_non_null(cmd);
    snprintf(cmd, need,
             "tshark -r '%s' -Y '%s' -n -T fields -E header=y -E separator=/t "
             "-E occurrence=a -E aggregator=, -E quote=n %s > '%s' 2>/dev/null",
             pcap, filter, fields, out);
    int st;
    char *o = tu_run(cmd, &st);
    free(o);
    free(cmd);
    assert_int_equal(st, 0);
}

/* The IMEIs (15 digits, comma-separated) of the +sip.instance URNs in a Contact column. */
static void contact_imeis(const char *contact, char *out, size_t outsz)
{
    size_t n = 0;
    out[0] = 0;
    for (const char *p = contact; (p = strstr(p, "urn:gsma:imei:")) != NULL;) {
        p += 14;
        char d[16];
        size_t k = 0;
        for (; *p && k < 15 && (*p == '-' || (*p >= '0' && *p <= '9')); p++)
            if (*p != '-')
                d[k++] = *p;
        d[k] = 0;
        int w = snprintf(out + n, outsz - n, "%s%s", n ? "," : "", d);
        if (w > 0 && (size_t)w < outsz - n)
            n += (size_t)w;
    }
}

/* expect_sip, with the IMEI of +sip.instance, and CANCEL: call_cancel, the calling and
 * called numbers of its INVITE (synth's CANCELs are alone in their frame). */
static int expect_sip_synth(const struct tsv *t, int r, struct want *w, int max)
{
    const char *methods = tsv_cell(t, r, tsv_col(t, "sip.Method"));
    char imeis[256];
    contact_imeis(tsv_cell(t, r, tsv_col(t, "sip.Contact")), imeis, sizeof imeis);
    if (!strcmp(methods, "CANCEL")) {
        if (max < 1)
            return 0;
        w->kind = "call_cancel";
        const char *pai = tsv_cell(t, r, tsv_col(t, "sip.P-Asserted-Identity"));
        size_t ul;
        const char *u = tx_sip_pai_uri(pai, &ul);
        if (u)
            tx_sip_uri_user(u, ul, w->calling, sizeof w->calling);
        else if (*tsv_cell(t, r, tsv_col(t, "sip.from.addr")))
            tx_sip_party(tsv_cell(t, r, tsv_col(t, "sip.from.addr")),
                         tsv_cell(t, r, tsv_col(t, "sip.from.user")), w->calling,
                         sizeof w->calling);
        else { /* a bare addr-spec From: tshark 4.0 shows it in sip.From only */
            const char *from = tsv_cell(t, r, tsv_col(t, "sip.From"));
            const char *fu = strstr(from, "sip:") ? strstr(from, "sip:") : strstr(from, "tel:");
            if (fu)
                tx_sip_uri_user(fu, strcspn(fu, ";>"), w->calling, sizeof w->calling);
        }
        const char *ruri = tsv_cell(t, r, tsv_col(t, "sip.r-uri"));
        tx_sip_uri_user(ruri, strlen(ruri), w->called, sizeof w->called);
        return 1;
    }
    int n = expect_sip(t, r, w, max);
    for (int i = 0; i < n; i++)
        snprintf(w[i].imei, sizeof w[i].imei, "%s", imeis);
    return n;
}

/* The cells of the requests as tshark reads them (P-Access-Network-Info's
 * utran-cell-id-3gpp: MCC MNC TAC ECI; GTPv2 ULI ECGI's ECI, decimal) against the cell of the
 * events `cardwatch decode` gives at the same frame ("46000-" and the ECI in 7 hex digits).
 * Frames with several requests and frames without an event are passed by. Returns the number
 * of events compared; differences go to @p rep. */
static int compare_cells(const char *pcap, struct report *rep)
{
    char tsvpath[4400];
    snprintf(tsvpath, sizeof tsvpath, "%s.cells.tsv", pcap);
    run_tshark(pcap, "sip.P-Access-Network-Info.utran-cell-id-3gpp || gtpv2.ecgi_eci",
               "-e frame.number -e sip.Method -e sip.P-Access-Network-Info.utran-cell-id-3gpp "
               "-e gtpv2.message_type -e gtpv2.ecgi_eci",
               tsvpath);
    struct tsv t;
    tsv_read(tsvpath, &t);
    size_t cap = 1024, n = 0;
    struct cell_ev {
        uint64_t frame;
        char proto[16], cell[32];
    } *evs = malloc(cap * sizeof *evs);
    char cmd[4500];
    snprintf(cmd, sizeof cmd, "%s decode --quiet '%s'", CW_BINARY, pcap);
    int st;
    char *out = tu_run(cmd, &st);
    assert_int_equal(st, 0);
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char fr[32];
        if (corpus_json_get(line, "frame", fr, sizeof fr))
            continue;
        if (n == cap)
            evs = realloc(evs, (cap *= 2) * sizeof *evs);
        evs[n].frame = strtoull(fr, NULL, 10);
        if (corpus_json_get(line, "proto", evs[n].proto, sizeof evs[n].proto))
            evs[n].proto[0] = 0;
        if (corpus_json_get(line, "cell", evs[n].cell, sizeof evs[n].cell))
            evs[n].cell[0] = 0;
        n++;
    }
    free(out);
    int compared = 0, c_frame = tsv_col(&t, "frame.number"), c_m = tsv_col(&t, "sip.Method");
    int c_pani = tsv_col(&t, "sip.P-Access-Network-Info.utran-cell-id-3gpp");
    int c_type = tsv_col(&t, "gtpv2.message_type"), c_eci = tsv_col(&t, "gtpv2.ecgi_eci");
    size_t lo = 0;
    for (int r = 0; r < t.nrows; r++) {
        uint64_t frame = strtoull(tsv_cell(&t, r, c_frame), NULL, 10);
        const char *pani = tsv_cell(&t, r, c_pani), *eci = tsv_cell(&t, r, c_eci);
        char want[32];
        const char *proto;
        if (*pani && !strchr(pani, ',') && !strchr(tsv_cell(&t, r, c_m), ',') &&
            strlen(pani) == 16) {
            snprintf(want, sizeof want, "46000-%s", pani + 9);
            for (char *p = want; *p; p++)
                if (*p >= 'A' && *p <= 'F')
                    *p = (char)(*p - 'A' + 'a');
            proto = "sip";
        } else if (*eci && !strchr(eci, ',') && !strchr(tsv_cell(&t, r, c_type), ',')) {
            snprintf(want, sizeof want, "46000-%07lx", strtoul(eci, NULL, 10));
            proto = "gtp";
        } else {
            continue;
        }
        /* the ECI's top 8 bits: a mainland province (cells.csv) */
        unsigned long prov = strtoul(want + 6, NULL, 16) >> 20;
        char code[24];
        snprintf(code, sizeof code, "%02lu", prov);
        if (prov < 11 || prov > 65 || !cw_province_name(code))
            corpus_problem(rep, "cells frame %llu: cell \"%s\" is in no province",
                           (unsigned long long)frame, want);
        while (lo < n && evs[lo].frame < frame)
            lo++;
        for (size_t i = lo; i < n && evs[i].frame == frame; i++) {
            if (strcmp(evs[i].proto, proto))
                continue;
            compared++;
            if (strcmp(evs[i].cell, want))
                corpus_problem(rep, "cells frame %llu: cell ours \"%s\", tshark \"%s\"",
                               (unsigned long long)frame, evs[i].cell, want);
        }
    }
    free(evs);
    tsv_free(&t);
    return compared;
}

static const struct tx_source SRC_SIP_SYNTH = {"sip", expect_sip_synth, "sip", 0};

/* The tshark outputs of a source (the SIP one run here). */
static int source_tsv(const char *pcap, const struct tx_source *src, const char *out)
{
    if (src->expect == expect_sip_synth) {
        if (!tx_have_tshark())
            return 77;
        run_tshark(pcap, "sip", SIP_FIELDS, out);
        return 0;
    }
    return tx_tshark(pcap, src->proto, out);
}

/* ---- the tests ---- */

#define SRC_SIP SRC_SIP_SYNTH
static const struct tx_source SRC_SMPP = {"smpp", expect_smpp, "smpp", 1};
static const struct tx_source SRC_MAP = {"map", expect_map, "map", 0};
static const struct tx_source SRC_DIA = {"diameter", expect_diameter, "diameter", 0};
static const struct tx_source SRC_GTPV2 = {"gtpv2", expect_gtpv2, "gtp", 0};
static const struct tx_source SRC_GTPV1 = {"gtpv1", expect_gtpv1, "gtp", 0};
static const struct tx_source SRC_RADIUS = {"radius", expect_radius, "radius", 0};

/* A capture of @p protocols (0: the default mix) compared with tshark's outputs @p src: at
 * least @p min_msgs messages with identities, each matched, and no other event. */
static void compare_rate(const char *label, unsigned protocols, const struct tx_source *src,
                         size_t nsrc, uint64_t packets, int min_msgs, double rate)
{
    struct capture c;
    gen_actors(&c, protocols, packets, rate);
    char paths[8][4300];
    const char *tsv[8];
    assert_true(nsrc <= 8);
    for (size_t s = 0; s < nsrc; s++) {
        snprintf(paths[s], sizeof paths[s], "%s.%s.tsv", c.pcap, src[s].proto);
        tsv[s] = paths[s];
        if (source_tsv(c.pcap, &src[s], paths[s]) == 77) {
            drop(&c);
            skip();
        }
    }
    check_clean(c.pcap);
    struct report rep = {0};
    struct tx_result res;
    tx_compare_sources(label, c.pcap, tsv, src, nsrc, NULL, 0, &rep, &res);
    int cells = rate > 0 ? compare_cells(c.pcap, &rep) : 0;
    uint64_t cancels = c.st.call_cancels, scripted = c.st.scripted_requests;
    drop(&c);
    if (rep.count) {
        print_message("%s", rep.text);
        fflush(stdout);
        free(rep.text);
        fail_msg("%s: %d difference%s from tshark", label, rep.count, rep.count > 1 ? "s" : "");
    }
    assert_true(res.expected >= min_msgs);
    assert_int_equal(res.matched, res.expected);
    assert_true(res.events == (size_t)res.expected);
    if (rate > 0) {
        if (cells < min_msgs / 4)
            fail_msg("%s: %d cells compared", label, cells);
        assert_true(cancels > 0 && scripted > 0);
    }
}

static void compare(const char *label, unsigned protocols, const struct tx_source *src, size_t nsrc,
                    uint64_t packets, int min_msgs)
{
    compare_rate(label, protocols, src, nsrc, packets, min_msgs, 0.0);
}

static void test_sip(void **state)
{
    (void)state;
    compare("sip", 1u << CW_SYNTH_SIP, &SRC_SIP, 1, 4000, 1000);
}

static void test_smpp(void **state)
{
    (void)state;
    compare("smpp", 1u << CW_SYNTH_SMPP, &SRC_SMPP, 1, 4000, 1000);
}

static void test_map(void **state)
{
    (void)state;
    compare("map", 1u << CW_SYNTH_MAP, &SRC_MAP, 1, 4000, 500);
}

static void test_diameter(void **state)
{
    (void)state;
    compare("diameter", 1u << CW_SYNTH_DIAMETER, &SRC_DIA, 1, 4000, 1000);
}

static void test_gtp(void **state)
{
    (void)state;
    const struct tx_source src[] = {SRC_GTPV2, SRC_GTPV1};
    compare("gtp", 1u << CW_SYNTH_GTP, src, 2, 4000, 1000);
}

static void test_radius(void **state)
{
    (void)state;
    compare("radius", 1u << CW_SYNTH_RADIUS, &SRC_RADIUS, 1, 4000, 500);
}

static void test_mix(void **state)
{
    (void)state;
    const struct tx_source src[] = {SRC_SIP,   SRC_SMPP,  SRC_MAP,   SRC_DIA,
                                    SRC_GTPV2, SRC_GTPV1, SRC_RADIUS};
    compare("mix", 0, src, sizeof src / sizeof src[0], 6000, 2000);
}

/* Every scripted actor (CANCELs, handsets in +sip.instance, cells in P-Access-Network-Info and
 * the GTPv2 ULI, SMPP bursts), SIP, SMPP and GTP. */
static void test_actors(void **state)
{
    (void)state;
    const struct tx_source src[] = {SRC_SIP, SRC_SMPP, SRC_GTPV2, SRC_GTPV1};
    compare_rate("actors", (1u << CW_SYNTH_SIP) | (1u << CW_SYNTH_SMPP) | (1u << CW_SYNTH_GTP), src,
                 sizeof src / sizeof src[0], 12000, 3000, 0.02);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sip), cmocka_unit_test(test_smpp),
        cmocka_unit_test(test_map), cmocka_unit_test(test_diameter),
        cmocka_unit_test(test_gtp), cmocka_unit_test(test_radius),
        cmocka_unit_test(test_mix), cmocka_unit_test(test_actors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    return rc == 0 && !tx_have_tshark() ? CW_TEST_SKIPPED : rc; /* ctest says "skipped" */
}
