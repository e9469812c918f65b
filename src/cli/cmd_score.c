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
    "usage: cardwatch score --truth TRUTH.csv --alerts ALERTS.jsonl [--cards N]\n"
    "                       [--min-precision P] [--min-recall R] [--max-normal-rate F]\n"
    "\n"
    "Score alerts (as written by 'cardwatch analyze') against the ground truth written by\n"
    "'cardwatch synth'. For each category: true positives (truth cards alerted in that\n"
    "category), false positives (alerted cards not in the truth for it), false negatives\n"
    "(truth cards never alerted for it), precision = TP/(TP+FP), recall = TP/(TP+FN).\n"
    "An alert counts for the card it names (card.msisdn) and, for a rule grouped by a\n"
    "device, outlet, ID or cell, for each card it lists under \"cards\".\n"
    "A card alerted several times counts once.\n"
    "\n"
    "Only truth rows with scope 'traffic' are scored (every row when the file has no 'scope'\n"
    "column); rows of scope 'registry' (over_national cards, agent_outlet outlets) are what\n"
    "'cardwatch registry audit' finds and are only counted; rows without an msisdn are skipped.\n"
    "Rows of scope 'normal' are ordinary people planted to tempt false alarms (people texting\n"
    "many friends at New Year, families sharing a phone, ...): an alert on one is a false\n"
    "positive, and they are counted by category.\n"
    "\n"
    "Normal cards alerted: alerted cards that are not planted fraud of any category. With\n"
    "--cards N (the population synth made) they are also given per 1,000 normal cards.\n"
    "\n"
    "  --cards N              population size, for the rate of normal cards alerted\n"
    "  --min-precision P      exit 3 when a category's precision is below P (0..1)\n"
    "  --min-recall R         exit 3 when a category's recall is below R (0..1)\n"
    "  --max-normal-rate F    exit 3 when more than F of the normal cards are alerted (needs\n"
    "                         --cards; 0.001 is 1 in 1,000)\n"
    "\n"
    "exit status: 0 scored (and the targets given were met); 1 a file could not be read;\n"
    "2 usage error; 3 a target given was not met (each miss is named on stderr).\n";

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
                                         {"cards", required_argument, 0, 'n'},
                                         {"min-precision", required_argument, 0, 'p'},
                                         {"min-recall", required_argument, 0, 'r'},
                                         {"max-normal-rate", required_argument, 0, 'm'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *truth = NULL, *alerts = NULL;
    double min_p = -1, min_r = -1, max_normal = -1;
    unsigned long long cards = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "t:a:h", opts, NULL)) != -1) {
        char *end;
        switch (ch) {
        case 't': truth = optarg; break;
        case 'a': alerts = optarg; break;
        case 'n':
            errno = 0;
            cards = strtoull(optarg, &end, 10);
            if (errno || *end || !cards || optarg[0] == '-') {
                cw_cli_err("score: --cards: expected a positive whole number, got '%s'", optarg);
                return 2;
            }
            break;
        case 'p':
        case 'r':
        case 'm': {
            double v = strtod(optarg, &end);
            if (*end || end == optarg || !(v >= 0 && v <= 1)) {
                cw_cli_err("score: --%s: expected a number from 0 to 1, got '%s'",
                           ch == 'p'   ? "min-precision"
                           : ch == 'r' ? "min-recall"
                                       : "max-normal-rate",
                           optarg);
                return 2;
            }
            *(ch == 'p' ? &min_p : ch == 'r' ? &min_r : &max_normal) = v;
            break;
        }
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!truth || !alerts) {
        cw_cli_err("score: both --truth and --alerts are required");
        return 2;
    }
    if (max_normal >= 0 && !cards) {
        cw_cli_err("score: --max-normal-rate needs --cards (the population size)");
        return 2;
    }
    /* T: traffic-scope truth; N: normal-scope (tempters); P: every planted card, any scope */
    struct set T = {0}, A = {0}, N = {0}, P = {0};
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
        const char *scope = ci_scope < 0             ? "traffic"
                            : row.nfields > ci_scope ? row.field[ci_scope]
                                                     : "";
        const char *msisdn = row.field[ci_msisdn];
        if (!strcmp(scope, "normal")) {
            if (msisdn[0] && add(&N, msisdn, row.field[ci_cat]) != 0)
                goto nomem;
            continue;
        }
        if (msisdn[0] && add(&P, msisdn, "") != 0)
            goto nomem;
        if (strcmp(scope, "traffic") != 0) {
            not_scored++;
            continue;
        }
        if (!msisdn[0])
            continue;
        if (add(&T, msisdn, row.field[ci_cat]) != 0) {
        nomem:
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
            fprintf(stderr,
                    "cardwatch: score: %s:%lu: alert without category or card.msisdn, "
                    "not scored\n",
                    alerts, ln);
            continue;
        }
        add(&A, card, cat);
        /* an alert on a group (a device, an outlet, an ID) names its cards as well */
        const char *m = strstr(line, "\"cards\":[");
        if (m) {
            m += strlen("\"cards\":[");
            while (*m == '"') {
                const char *e = strchr(m + 1, '"');
                if (!e || (size_t)(e - m - 1) >= sizeof card)
                    break;
                memcpy(card, m + 1, (size_t)(e - m - 1));
                card[e - m - 1] = '\0';
                add(&A, card, cat);
                m = e + 1;
                if (*m == ',')
                    m++;
            }
        }
    }
    fclose(f);
    uniq(&T);
    uniq(&A);
    uniq(&N);
    uniq(&P);
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
        double prec = tp + fp ? (double)tp / (double)(tp + fp) : 0.0;
        double rec = tp + fn ? (double)tp / (double)(tp + fn) : 0.0;
        printf("%-16s %8zu %8zu %8zu %10.4f %8.4f\n", cats[k], tp, fp, fn, prec, rec);
        if (min_p >= 0 && prec < min_p) {
            fprintf(stderr, "cardwatch: score: %s: precision %.4f is below %.4f\n", cats[k], prec,
                    min_p);
            status = 3;
        }
        if (min_r >= 0 && rec < min_r) {
            fprintf(stderr, "cardwatch: score: %s: recall %.4f is below %.4f\n", cats[k], rec,
                    min_r);
            status = 3;
        }
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
    /* normal cards alerted: alerted cards (any category) that are planted nowhere */
    size_t normal_alerted = 0, tempters_alerted = 0;
    const char *last = "";
    for (size_t i = 0; i < A.n; i++) {
        struct pair q;
        snprintf(q.card, sizeof q.card, "%s", A.v[i].card);
        q.cat[0] = '\0';
        if (has(&P, &q))
            continue;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = !strcmp(A.v[k].card, A.v[i].card);
        if (seen || !strcmp(last, A.v[i].card))
            continue;
        last = A.v[i].card;
        normal_alerted++;
        for (size_t k = 0; k < N.n; k++)
            if (!strcmp(N.v[k].card, A.v[i].card)) {
                tempters_alerted++;
                break;
            }
    }
    if (cards) {
        unsigned long long normal = cards > P.n ? cards - P.n : 0;
        double rate = normal ? (double)normal_alerted / (double)normal : 0.0;
        printf("normal cards alerted: %zu of %llu (%.3f per 1000)\n", normal_alerted, normal,
               rate * 1000);
        if (max_normal >= 0 && rate > max_normal) {
            fprintf(stderr,
                    "cardwatch: score: %zu of %llu normal cards alerted (%.3f per 1000), more "
                    "than %.3f per 1000\n",
                    normal_alerted, normal, rate * 1000, max_normal * 1000);
            status = 3;
        }
    } else {
        printf("normal cards alerted: %zu\n", normal_alerted);
    }
    if (N.n) {
        /* the tempters by category: how many, how many alerted */
        printf("tempters (normal people planted to tempt false alarms): %zu alerted of %zu\n",
               tempters_alerted, N.n);
        for (size_t i = 0; i < N.n;) {
            size_t j = i, hit = 0;
            for (; j < N.n && !strcmp(N.v[j].cat, N.v[i].cat); j++) {
                struct pair q = N.v[j];
                int alerted = 0;
                for (size_t k = 0; k < A.n && !alerted; k++)
                    alerted = !strcmp(A.v[k].card, q.card);
                hit += (size_t)alerted;
            }
            printf("  %-16s %8zu cards %8zu alerted\n", N.v[i].cat, j - i, hit);
            i = j;
        }
    }
out:
    free(line);
    free(T.v);
    free(A.v);
    free(N.v);
    free(P.v);
    return status;
}
