/* cmd_score.c - `cardwatch score`: precision and recall of alerts against synth's truth.csv.
 * An alert counts for the card it names (card.msisdn) and the category it gives. Only the truth
 * rows of scope `traffic` (all rows of a file without a scope column) name what the analyzer
 * can see; `registry` rows are for the registry audit. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/csv.h"

static const char usage[] =
    "usage: cardwatch score --truth TRUTH.csv --alerts ALERTS.jsonl\n"
    "\n"
    "Score alerts (as written by 'cardwatch analyze') against the ground truth written by\n"
    "'cardwatch synth'. For each category: true positives (truth cards alerted in that\n"
    "category), false positives (alerted cards not in the truth for it), false negatives\n"
    "(truth cards never alerted for it), precision = TP/(TP+FP), recall = TP/(TP+FN).\n"
    "A card alerted several times counts once.\n"
    "\n"
    "Only truth rows with scope 'traffic' are scored (every row when the file has no 'scope'\n"
    "column); rows of scope 'registry' (over_national cards, agent_outlet outlets) are what\n"
    "'cardwatch registry audit' finds and are only counted; rows without an msisdn are skipped.\n"
    "\n"
    "exit status: 0 scored; 1 a file could not be read; 2 usage error.\n";

#define MAX_CATS 32

struct pair {
    char card[32];
    char cat[32];
};

struct set {
    struct pair *v;
    size_t n, cap;
};

static int add(struct set *s, const char *card, const char *cat)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        struct pair *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        s->v = nv;
        s->cap = cap;
    }
    snprintf(s->v[s->n].card, sizeof s->v[s->n].card, "%s", card);
    snprintf(s->v[s->n].cat, sizeof s->v[s->n].cat, "%s", cat);
    s->n++;
    return 0;
}

static int cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    int c = strcmp(x->cat, y->cat);
    return c ? c : strcmp(x->card, y->card);
}

static void uniq(struct set *s)
{
    if (!s->n)
        return;
    qsort(s->v, s->n, sizeof *s->v, cmp_pair);
    size_t w = 1;
    for (size_t i = 1; i < s->n; i++)
        if (cmp_pair(&s->v[i], &s->v[w - 1]))
            s->v[w++] = s->v[i];
    s->n = w;
}

static int has(const struct set *s, const struct pair *p)
{
    return bsearch(p, s->v, s->n, sizeof *p, cmp_pair) != NULL;
}

/* The string value of "key":"..." found after position @p from (no escapes in our values). */
static int json_str(const char *line, const char *key, char *out, size_t outsz)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(line, pat);
    if (!p)
        return -1;
    p += strlen(pat);
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= outsz)
        return -1;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = 0;
    return 0;
}

int cw_cmd_score(int argc, char **argv)
{
    static const struct option opts[] = {{"truth", required_argument, 0, 't'},
                                         {"alerts", required_argument, 0, 'a'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *truth = NULL, *alerts = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "t:a:h", opts, NULL)) != -1) {
        switch (ch) {
        case 't': truth = optarg; break;
        case 'a': alerts = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!truth || !alerts) {
        cw_cli_err("score: both --truth and --alerts are required");
        return 2;
    }
    struct set T = {0}, A = {0};
    char *line = NULL;
    size_t cap = 0;
    unsigned long ln = 0;
    int status = 0;
    FILE *f = fopen(truth, "r");
    if (!f) {
        cw_cli_err("score: %s: %s", truth, strerror(errno));
        return 1;
    }
    int ci_msisdn = -1, ci_cat = -1, ci_scope = -1;
    size_t not_scored = 0;
    while (getline(&line, &cap, f) > 0) {
        struct cw_csv_row row;
        int col;
        ln++;
        if (cw_csv_split(line, &row, &col) != 0) {
            cw_cli_err("score: %s:%lu:%d: malformed CSV", truth, ln, col);
            status = 1;
            break;
        }
        if (ln == 1) {
            for (int i = 0; i < row.nfields; i++) {
                if (!strcmp(row.field[i], "msisdn"))
                    ci_msisdn = i;
                if (!strcmp(row.field[i], "category"))
                    ci_cat = i;
                if (!strcmp(row.field[i], "scope"))
                    ci_scope = i;
            }
            if (ci_msisdn < 0 || ci_cat < 0) {
                cw_cli_err("score: %s:1: header needs 'msisdn' and 'category' columns", truth);
                status = 1;
                break;
            }
            continue;
        }
        if (row.nfields <= ci_msisdn || row.nfields <= ci_cat)
            continue;
        if (ci_scope >= 0 &&
            (row.nfields <= ci_scope || strcmp(row.field[ci_scope], "traffic") != 0)) {
            not_scored++;
            continue;
        }
        if (!row.field[ci_msisdn][0])
            continue;
        if (add(&T, row.field[ci_msisdn], row.field[ci_cat]) != 0) {
            cw_cli_err("score: out of memory");
            status = 1;
            break;
        }
    }
    fclose(f);
    if (status)
        goto out;
    f = fopen(alerts, "r");
    if (!f) {
        cw_cli_err("score: %s: %s", alerts, strerror(errno));
        status = 1;
        goto out;
    }
    ln = 0;
    while (getline(&line, &cap, f) > 0) {
        char cat[32], card[32];
        ln++;
        const char *c = strstr(line, "\"card\":{");
        if (json_str(line, "category", cat, sizeof cat) || !c ||
            json_str(c, "msisdn", card, sizeof card)) {
            fprintf(stderr, "cardwatch: score: %s:%lu: alert without category or card.msisdn, "
                            "not scored\n", alerts, ln);
            continue;
        }
        add(&A, card, cat);
    }
    fclose(f);
    uniq(&T);
    uniq(&A);
    /* categories: union of both */
    const char *cats[MAX_CATS];
    int ncats = 0;
    for (int pass = 0; pass < 2; pass++) {
        const struct set *s = pass ? &A : &T;
        for (size_t i = 0; i < s->n; i++) {
            int k;
            for (k = 0; k < ncats && strcmp(cats[k], s->v[i].cat); k++)
                ;
            if (k == ncats && ncats < MAX_CATS)
                cats[ncats++] = s->v[i].cat;
        }
    }
    printf("%-16s %8s %8s %8s %10s %8s\n", "category", "TP", "FP", "FN", "precision", "recall");
    size_t tp_all = 0, fp_all = 0, fn_all = 0;
    for (int k = 0; k < ncats; k++) {
        size_t tp = 0, fp = 0, fn = 0;
        for (size_t i = 0; i < A.n; i++)
            if (!strcmp(A.v[i].cat, cats[k]))
                has(&T, &A.v[i]) ? tp++ : fp++;
        for (size_t i = 0; i < T.n; i++)
            if (!strcmp(T.v[i].cat, cats[k]) && !has(&A, &T.v[i]))
                fn++;
        printf("%-16s %8zu %8zu %8zu %10.4f %8.4f\n", cats[k], tp, fp, fn,
               tp + fp ? (double)tp / (double)(tp + fp) : 0.0,
               tp + fn ? (double)tp / (double)(tp + fn) : 0.0);
        tp_all += tp;
        fp_all += fp;
        fn_all += fn;
    }
    printf("%-16s %8zu %8zu %8zu %10.4f %8.4f\n", "overall", tp_all, fp_all, fn_all,
           tp_all + fp_all ? (double)tp_all / (double)(tp_all + fp_all) : 0.0,
           tp_all + fn_all ? (double)tp_all / (double)(tp_all + fn_all) : 0.0);
    if (ci_scope >= 0)
        printf("%zu registry-scope truth rows not scored (see `cardwatch registry audit`)\n",
               not_scored);
out:
    free(line);
    free(T.v);
    free(A.v);
    return status;
}
