/* test_synth_tshark.c - differential test of synth's captures against tshark: for each protocol
 * (`--protocols X`, a few thousand packets) and for the default mix, tshark runs the corpus's
 * field extraction commands (../shared/corpus/MANIFEST.md, with the columns they leave out:
 * tshark_expect.c) and every message it shows that names a card must be an event of
 * `cardwatch decode` at the same frame with the same identities and text, and no other event
 * of that protocol may appear (tshark_expect.h has the mapping). tshark must also flag no
 * malformed packet and no error in any of them. Without tshark the tests skip, saying so.
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
#include "synth/synth.h"
#include "testutil.h"
#include "tshark_expect.h"

/* ---- captures ---- */

struct capture {
    char *dir;
    char pcap[4200];
    struct cw_synth_stats st;
};

static void gen(struct capture *c, unsigned protocols, uint64_t packets)
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

/* ---- the tests ---- */

static const struct tx_source SRC_SIP = {"sip", expect_sip, "sip", 0};
static const struct tx_source SRC_SMPP = {"smpp", expect_smpp, "smpp", 1};
static const struct tx_source SRC_MAP = {"map", expect_map, "map", 0};
static const struct tx_source SRC_DIA = {"diameter", expect_diameter, "diameter", 0};
static const struct tx_source SRC_GTPV2 = {"gtpv2", expect_gtpv2, "gtp", 0};
static const struct tx_source SRC_GTPV1 = {"gtpv1", expect_gtpv1, "gtp", 0};
static const struct tx_source SRC_RADIUS = {"radius", expect_radius, "radius", 0};

/* A capture of @p protocols (0: the default mix) compared with tshark's outputs @p src: at
 * least @p min_msgs messages with identities, each matched, and no other event. */
static void compare(const char *label, unsigned protocols, const struct tx_source *src,
                    size_t nsrc, uint64_t packets, int min_msgs)
{
    struct capture c;
    gen(&c, protocols, packets);
    char paths[8][4300];
    const char *tsv[8];
    assert_true(nsrc <= 8);
    for (size_t s = 0; s < nsrc; s++) {
        snprintf(paths[s], sizeof paths[s], "%s.%s.tsv", c.pcap, src[s].proto);
        tsv[s] = paths[s];
        if (tx_tshark(c.pcap, src[s].proto, paths[s]) == 77) {
            drop(&c);
            skip();
        }
    }
    check_clean(c.pcap);
    struct report rep = {0};
    struct tx_result res;
    tx_compare_sources(label, c.pcap, tsv, src, nsrc, NULL, 0, &rep, &res);
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
    const struct tx_source src[] = {SRC_SIP, SRC_SMPP, SRC_MAP, SRC_DIA, SRC_GTPV2, SRC_GTPV1,
                                    SRC_RADIUS};
    compare("mix", 0, src, sizeof src / sizeof src[0], 6000, 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sip),      cmocka_unit_test(test_smpp),
        cmocka_unit_test(test_map),      cmocka_unit_test(test_diameter),
        cmocka_unit_test(test_gtp),      cmocka_unit_test(test_radius),
        cmocka_unit_test(test_mix),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    return rc == 0 && !tx_have_tshark() ? CW_TEST_SKIPPED : rc; /* ctest says "skipped" */
}
