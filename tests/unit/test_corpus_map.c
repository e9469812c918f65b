/* test_corpus_map.c - the SIGTRAN stack layer by layer against tshark on the MAP captures of
 * the shared corpus: for every frame tshark shows as GSM MAP, `cardwatch decode --trace` must
 * give one record per TCAP component at that frame, with tshark's
 *   OPC and DPC (m3ua.protocol_data_opc/dpc, or mtp3.opc/dpc under M2PA),
 *   SCCP calling and called global-title digits,
 *   TCAP otid and dtid (hex),
 *   component type (gsm_map.old.Component) and operation or error code (gsm_old.localValue:
 *   the operation of an invoke or result, the error code of a returnError),
 *   for the operations we read (map.h): the IMSI (e212.imsi) where tshark shows one, the
 *   MSISDN and service centre among tshark's E.164 addresses, and the SMS TPDU's type,
 *   originating and destination address and text;
 * and no record at a frame tshark does not show as MAP. (The events these give are compared
 * by test_corpus_decoders.)
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

static const char *const FILES[] = {
    "map-m2pa-sri-sm-forwardsm-sms-xudt.pcap",
    "map-m3ua-ati-sendidentification-updatelocation.pcap",
    "map-m3ua-gprs-sai-updategprslocation-with-gb.pcap",
    "map-m3ua-sai-single.pcap",
    "map-m3ua-sri-sm-single.pcap",
    "map-m3ua-updatelocation-insertsubscriberdata.pcap",
    "map-m3ua-updatelocation-single.pcap",
};

struct rec {
    char line[4096];
    uint64_t frame;
    int used;
};

static const char *cell(const struct tsv *t, int r, const char *col)
{
    return tsv_cell(t, r, tsv_col(t, col));
}

static void get(const struct rec *r, const char *key, char *out, size_t n)
{
    if (corpus_json_get(r->line, key, out, n) != 0)
        out[0] = 0;
}

static int in_list(const char *v, const char *list)
{
    size_t n = strlen(v);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strcspn(p, ",") == n && !strncmp(p, v, n))
            return 1;
    return 0;
}

static void check(struct report *rep, const char *file, uint64_t frame, const char *what,
                  const char *ours, const char *want)
{
    if (strcmp(ours, want))
        corpus_problem(rep, "%s frame %llu: %s ours \"%s\", tshark \"%s\"", file,
                       (unsigned long long)frame, what, ours, want);
}

/* Operations whose argument (or result) we read, and so whose IMSI we must give. */
static int imsi_read(int comp, int op)
{
    if (comp == 1)
        return op == 46 || op == 44 || op == 71 || op == 2 || op == 23 || op == 56 || op == 7;
    return comp == 2 && op == 45;
}

static void compare(const char *file, struct report *rep, int *ncomp)
{
    char path[1024], tsvpath[1100], cmd[2300];
    snprintf(path, sizeof path, "%s/%s", CW_CORPUS_DIR, file);
    snprintf(tsvpath, sizeof tsvpath, "%s/expected/%s.tsv", CW_CORPUS_DIR, file);
    snprintf(cmd, sizeof cmd, "'%s' decode --quiet --trace '%s'", CW_BINARY, path);
    int status = -1;
    char *out = tu_run(cmd, &status);
    assert_non_null(out);
    if (status != 0)
        fail_msg("%s: cardwatch decode exited with %d", file, status);
    static struct rec recs[1024];
    size_t nrec = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char v[64];
        if (corpus_json_get(line, "trace", v, sizeof v) != 0)
            continue; /* an event line */
        assert_true(nrec < sizeof recs / sizeof recs[0]);
        snprintf(recs[nrec].line, sizeof recs[nrec].line, "%s", line);
        assert_int_equal(corpus_json_get(line, "frame", v, sizeof v), 0);
        recs[nrec].frame = strtoull(v, NULL, 10);
        recs[nrec].used = 0;
        nrec++;
    }
    free(out);
    struct tsv t;
    tsv_read(tsvpath, &t);
    int m3ua = tsv_col(&t, "m3ua.protocol_data_opc");
    for (int r = 0; r < t.nrows; r++) {
        uint64_t frame = strtoull(cell(&t, r, "frame.number"), NULL, 10);
        const char *comps = cell(&t, r, "gsm_map.old.Component");
        const char *values = cell(&t, r, "gsm_old.localValue");
        int n = 0;
        for (const char *p = comps; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
            n++;
        if (n > 1)
            fail_msg("%s frame %llu: several components, not handled by this test", file,
                     (unsigned long long)frame);
        struct rec *rc = NULL;
        for (size_t i = 0; i < nrec && !rc; i++)
            if (recs[i].frame == frame && !recs[i].used)
                rc = &recs[i];
        if (!rc) {
            corpus_problem(rep, "%s frame %llu: tshark shows a MAP component (%s %s), we give "
                           "no record", file, (unsigned long long)frame, comps, values);
            continue;
        }
        rc->used = 1;
        (*ncomp)++;
        char v[2048];
        const char *opc = *tsv_cell(&t, r, m3ua) ? tsv_cell(&t, r, m3ua) : cell(&t, r, "mtp3.opc");
        const char *dpc = *tsv_cell(&t, r, m3ua) ? cell(&t, r, "m3ua.protocol_data_dpc")
                                                 : cell(&t, r, "mtp3.dpc");
        get(rc, "opc", v, sizeof v);
        check(rep, file, frame, "opc", v, opc);
        get(rc, "dpc", v, sizeof v);
        check(rep, file, frame, "dpc", v, dpc);
        get(rc, "cgpa", v, sizeof v);
        check(rep, file, frame, "calling GT", v, cell(&t, r, "sccp.calling.digits"));
        get(rc, "cdpa", v, sizeof v);
        check(rep, file, frame, "called GT", v, cell(&t, r, "sccp.called.digits"));
        get(rc, "otid", v, sizeof v);
        check(rep, file, frame, "otid", v, cell(&t, r, "tcap.otid"));
        get(rc, "dtid", v, sizeof v);
        check(rep, file, frame, "dtid", v, cell(&t, r, "tcap.dtid"));
        get(rc, "component", v, sizeof v);
        check(rep, file, frame, "component", v, comps);
        int comp = atoi(comps), op = atoi(values);
        get(rc, comp == 3 ? "error" : "opcode", v, sizeof v);
        check(rep, file, frame, comp == 3 ? "error code" : "operation", v, values);
        const char *imsi = cell(&t, r, "e212.imsi");
        get(rc, "imsi", v, sizeof v);
        if (v[0] || (imsi_read(comp, op) && imsi[0]))
            check(rep, file, frame, "imsi", v, imsi);
        const char *e164 = cell(&t, r, "e164.msisdn");
        static const char *const addrs[] = {"msisdn", "sc"};
        for (int k = 0; k < 2; k++) {
            get(rc, addrs[k], v, sizeof v);
            if (v[0] && !in_list(v, e164))
                corpus_problem(rep, "%s frame %llu: %s ours \"%s\", not among tshark's E.164 "
                               "addresses \"%s\"", file, (unsigned long long)frame, addrs[k], v,
                               e164);
        }
        if ((comp == 1 && (op == 45 || op == 22)) && !strstr(rc->line, "\"msisdn\""))
            corpus_problem(rep, "%s frame %llu: no msisdn read from the routing query", file,
                           (unsigned long long)frame);
        const char *mti = cell(&t, r, "gsm_sms.tp-mti");
        get(rc, "tp_mti", v, sizeof v);
        check(rep, file, frame, "TP-MTI", v, mti);
        if (*mti) {
            get(rc, "tp_oa", v, sizeof v);
            check(rep, file, frame, "TP-OA", v, cell(&t, r, "gsm_sms.tp-oa"));
            get(rc, "tp_da", v, sizeof v);
            check(rep, file, frame, "TP-DA", v, cell(&t, r, "gsm_sms.tp-da"));
            get(rc, "text", v, sizeof v);
            check(rep, file, frame, "text", v, cell(&t, r, "gsm_sms.sms_text"));
        }
    }
    for (size_t i = 0; i < nrec; i++)
        if (!recs[i].used)
            corpus_problem(rep, "%s frame %llu: we give a record where tshark shows no MAP: %s",
                           file, (unsigned long long)recs[i].frame, recs[i].line);
    tsv_free(&t);
}

static void test_file(void **state)
{
    if (!corpus_present())
        skip();
    const char *file = *state;
    struct report rep = {0};
    int ncomp = 0;
    compare(file, &rep, &ncomp);
    print_message("%s: %d MAP components compared layer by layer, %d difference%s\n", file,
                  ncomp, rep.count, rep.count == 1 ? "" : "s");
    if (rep.count) {
        print_message("%s", rep.text);
        fflush(stdout);
        free(rep.text);
        fail_msg("%s: %d difference%s from tshark", file, rep.count, rep.count > 1 ? "s" : "");
    }
}

/* Every MAP capture of the corpus is compared here. */
static void test_complete(void **state)
{
    (void)state;
    if (!corpus_present())
        skip();
    DIR *dir = opendir(CW_CORPUS_DIR);
    assert_non_null(dir);
    struct dirent *de;
    int missing = 0;
    while ((de = readdir(dir))) {
        if (strncmp(de->d_name, "map-", 4) || !strstr(de->d_name, ".pcap"))
            continue;
        int found = 0;
        for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++)
            found |= !strcmp(FILES[i], de->d_name);
        if (!found) {
            print_message("%s is not compared: add it to FILES\n", de->d_name);
            missing++;
        }
    }
    closedir(dir);
    assert_int_equal(missing, 0);
}

int main(void)
{
    enum { N = sizeof FILES / sizeof FILES[0] };
    struct CMUnitTest tests[N + 1];
    for (size_t i = 0; i < N; i++) {
        struct CMUnitTest u = {FILES[i], test_file, NULL, NULL, (void *)FILES[i]};
        tests[i] = u;
    }
    struct CMUnitTest all = {"complete", test_complete, NULL, NULL, NULL};
    tests[N] = all;
    return corpus_exit(_cmocka_run_group_tests("corpus_map", tests, N + 1, NULL, NULL));
}
