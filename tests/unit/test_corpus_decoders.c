/* test_corpus_decoders.c - differential test against tshark for the GTP-C, RADIUS, Diameter,
 * SMPP and MAP captures of the shared corpus (CW_CORPUS_DIR; columns in its MANIFEST.md): every
 * message tshark shows that carries a card's identity in a message kind we report must give one
 * event at the same frame with the same identities, and no other event may appear. The mapping
 * from tshark's columns to events is in tshark_expect.h.
 * gtpv2-create-session's MEI 436587092110203 has a wrong check digit on the wire; we report
 * 436587092110204 (the IMEI's 14 digits and their Luhn digit).
 * What we do not decode yet is in KNOWN_GAPS, printed as "known gap:" lines; a gap that starts
 * to decode fails the test, so the list only shrinks. Where we knowingly read more than tshark
 * shows, the entry names the field and our value ("known difference:").
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
#include "tshark_expect.h"

static const struct known_gap KNOWN_GAPS[] = {
    {"gtpv1-create-pdp-context-imsi-msisdn.pcapng", 9,
     "GTPv0 (GSM 09.60) carries the IMSI in the header's TID (tshark: gtp.tid "
     "2400101234567890, the IMSI and NSAPI 0) and has no IMSI IE, so tshark's e212.imsi is "
     "empty; we report the TID's IMSI",
     "imsi", "240010123456789"},
};

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
    {"map-m2pa-sri-sm-forwardsm-sms-xudt.pcap", expect_map},
    {"map-m3ua-ati-sendidentification-updatelocation.pcap", expect_map},
    {"map-m3ua-gprs-sai-updategprslocation-with-gb.pcap", expect_map},
    {"map-m3ua-sai-single.pcap", expect_map},
    {"map-m3ua-sri-sm-single.pcap", expect_map},
    {"map-m3ua-updatelocation-insertsubscriberdata.pcap", expect_map},
    {"map-m3ua-updatelocation-single.pcap", expect_map},
};

static void test_file(void **state)
{
    if (!corpus_present())
        skip();
    const struct corpus_case *c = *state;
    char path[1024], tsvpath[1100];
    snprintf(path, sizeof path, "%s/%s", CW_CORPUS_DIR, c->file);
    snprintf(tsvpath, sizeof tsvpath, "%s/expected/%s.tsv", CW_CORPUS_DIR, c->file);
    struct report rep = {0};
    tx_compare(c->file, path, tsvpath, c->expect, KNOWN_GAPS,
               sizeof KNOWN_GAPS / sizeof KNOWN_GAPS[0], &rep, NULL);
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
    static const char *const prefixes[] = {"gtp", "radius-", "diameter-", "smpp-", "map-"};
    int missing = 0;
    while ((de = readdir(dir))) {
        int ours = 0;
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
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
    tx_imei(out, sizeof out, "3520980727163206"); /* IMEISV */
    assert_string_equal(out, "352098072716325");
    tx_imei(out, sizeof out, "490154203237518");
    assert_string_equal(out, "490154203237518");
    tx_party(out, sizeof out, "+919080000016");
    assert_string_equal(out, "919080000016");
    tx_party(out, sizeof out, "00-14-22-E9-54-5E");
    assert_string_equal(out, "00-14-22-E9-54-5E");
    tx_imsi_of_user(out, sizeof out, "310260123456789@lte.operator.net");
    assert_string_equal(out, "310260123456789");
    tx_imsi_of_user(out, sizeof out, "user001@3gpp.com");
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
    return corpus_exit(_cmocka_run_group_tests("corpus_decoders", tests, N + 2, NULL, NULL));
}
