/* reg_lookup.c - registry lookup rate: random cw_reg_lookup calls on one thread in one read
 * transaction, warm, as `analyze` makes them (one per event, the holder's card counts included).
 *
 * Usage: cw_reg_lookup DB REGISTRY.CSV [SAMPLE [LOOKUPS]]   (defaults 1000000, = SAMPLE)
 *
 * A reservoir sample of SAMPLE cards (MSISDN and IMSI) is read from the registry file the store
 * was imported from, and shuffled. One untimed pass over the sample warms the page cache; then
 * three timed passes of LOOKUPS lookups each:
 *   msisdn  by MSISDN, cards that are in the registry
 *   absent  by MSISDN, numbers mostly without a record (the sample's numbers with the last 6
 *           digits drawn at random: same home ranges, same neighbourhood of the B-tree; the
 *           few that hit a card are counted as found)
 *   imsi    by IMSI (the IMSI index, then the card, then the holder's counts)
 * Each prints one line: "NAME lookups N found F home H seconds S rate R ns T" (F with a record,
 * H in the home ranges, R lookups/s, T ns per lookup), and a checksum of the holder counts so the
 * work cannot be optimised away.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/registry.h"
#include "util/error.h"

struct key {
    char msisdn[16];
    char imsi[16];
    char absent[16]; /* msisdn with the last 6 digits drawn at random */
};

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* splitmix64: a fixed sequence, so every run samples the same cards */
static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The index of column @p name in the header line @p hdr, or -1. */
static int column(const char *hdr, const char *name)
{
    size_t n = strlen(name);
    int i = 0;
    for (const char *p = hdr;; i++) {
        size_t len = strcspn(p, ",\r\n");
        if (len == n && !memcmp(p, name, n))
            return i;
        if (p[len] != ',')
            return -1;
        p += len + 1;
    }
}

/* Copy field @p col of CSV line @p line (no quoting: the registry's numbers have none). */
static void field(const char *line, int col, char *out, size_t outlen)
{
    const char *p = line;
    for (int i = 0; i < col && p; i++) {
        p = strchr(p, ',');
        if (p)
            p++;
    }
    size_t len = p ? strcspn(p, ",\r\n") : 0;
    if (len >= outlen)
        len = 0; /* too long for a number: not one */
    if (len)
        memcpy(out, p, len);
    out[len] = 0;
}

/* Reservoir sample (Algorithm R) of up to @p want cards from @p path; returns how many. */
static size_t sample(const char *path, struct key *keys, size_t want, uint64_t *rows)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 0;
    }
    static char line[4096];
    if (!fgets(line, sizeof line, f)) {
        fprintf(stderr, "cw_reg_lookup: %s: empty file\n", path);
        fclose(f);
        return 0;
    }
    int cm = column(line, "msisdn"), ci = column(line, "imsi");
    if (cm < 0) {
        fprintf(stderr, "cw_reg_lookup: %s: no msisdn column\n", path);
        fclose(f);
        return 0;
    }
    size_t n = 0;
    uint64_t seen = 0;
    while (fgets(line, sizeof line, f)) {
        struct key k;
        field(line, cm, k.msisdn, sizeof k.msisdn);
        if (!k.msisdn[0])
            continue;
        if (ci >= 0)
            field(line, ci, k.imsi, sizeof k.imsi);
        else
            k.imsi[0] = 0;
        seen++;
        if (n < want) {
            keys[n++] = k;
        } else {
            uint64_t j = rng_next() % seen;
            if (j < want)
                keys[j] = k;
        }
    }
    fclose(f);
    for (size_t i = n; i > 1; i--) { /* the reservoir keeps file order at its start */
        size_t j = rng_next() % i;
        struct key t = keys[i - 1];
        keys[i - 1] = keys[j];
        keys[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        struct key *k = &keys[i];
        size_t len = strlen(k->msisdn);
        memcpy(k->absent, k->msisdn, sizeof k->absent);
        for (size_t d = len > 6 ? len - 6 : 0; d < len; d++)
            k->absent[d] = (char)('0' + rng_next() % 10);
    }
    *rows = seen;
    return n;
}

enum pass { P_MSISDN, P_ABSENT, P_IMSI };

/* @p lookups lookups cycling over the sample; returns -1 on a lookup error. */
static int run(struct cw_reg_reader *rd, const struct key *keys, size_t n, uint64_t lookups,
               enum pass pass, const char *name, uint64_t *checksum)
{
    uint64_t found = 0, home = 0;
    struct cw_card c;
    double t0 = now();
    for (uint64_t i = 0; i < lookups; i++) {
        const struct key *k = &keys[i % n];
        int rc;
        switch (pass) {
        case P_MSISDN: rc = cw_reg_lookup(rd, k->msisdn, NULL, &c); break;
        case P_ABSENT: rc = cw_reg_lookup(rd, k->absent, NULL, &c); break;
        default: rc = cw_reg_lookup(rd, NULL, k->imsi, &c); break;
        }
        if (rc < 0) {
            fprintf(stderr, "cw_reg_lookup: lookup of %s: %s\n",
                    pass == P_IMSI     ? k->imsi
                    : pass == P_ABSENT ? k->absent
                                       : k->msisdn,
                    cw_strerror(rc));
            return -1;
        }
        found += (uint64_t)rc;
        home += c.home;
        *checksum += c.person_cards_total + c.person_cards_province + c.home;
    }
    double s = now() - t0;
    if (name)
        printf("%s lookups %" PRIu64 " found %" PRIu64 " home %" PRIu64
               " seconds %.3f rate %.0f ns %.0f\n",
               name, lookups, found, home, s, s > 0 ? (double)lookups / s : 0.0,
               lookups ? s * 1e9 / (double)lookups : 0.0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: cw_reg_lookup DB REGISTRY.CSV [SAMPLE [LOOKUPS]]\n");
        return 2;
    }
    size_t want = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000000;
    uint64_t lookups = argc > 4 ? strtoull(argv[4], NULL, 10) : want;
    if (!want || !lookups) {
        fprintf(stderr, "cw_reg_lookup: SAMPLE and LOOKUPS must be positive\n");
        return 2;
    }
    struct key *keys = malloc(want * sizeof *keys);
    if (!keys) {
        fprintf(stderr, "cw_reg_lookup: out of memory for %zu sample keys\n", want);
        return 1;
    }
    uint64_t rows = 0;
    double t0 = now();
    size_t n = sample(argv[2], keys, want, &rows);
    if (!n) {
        free(keys);
        return 1;
    }
    printf("sample %zu of %" PRIu64 " cards in %.1f s\n", n, rows, now() - t0);

    char err[512];
    struct cw_registry *reg;
    struct cw_reg_reader *rd;
    if (cw_registry_open(argv[1], CW_REG_RDONLY, &reg, err, sizeof err) != 0) {
        fprintf(stderr, "cw_reg_lookup: %s\n", err);
        free(keys);
        return 1;
    }
    if (cw_reg_reader_new(reg, &rd) != 0) {
        fprintf(stderr, "cw_reg_lookup: %s: cannot start a read transaction\n", argv[1]);
        cw_registry_free(reg);
        free(keys);
        return 1;
    }
    uint64_t sum = 0;
    int rc = 0;
    t0 = now();
    /* warm: every sampled key of each pass, untimed */
    if (run(rd, keys, n, n, P_MSISDN, NULL, &sum) || run(rd, keys, n, n, P_ABSENT, NULL, &sum) ||
        run(rd, keys, n, n, P_IMSI, NULL, &sum))
        rc = 1;
    else
        printf("warm %zu cards in %.1f s\n", n, now() - t0);
    if (!rc && (run(rd, keys, n, lookups, P_MSISDN, "msisdn", &sum) ||
                run(rd, keys, n, lookups, P_ABSENT, "absent", &sum) ||
                run(rd, keys, n, lookups, P_IMSI, "imsi", &sum)))
        rc = 1;
    printf("checksum %" PRIu64 "\n", sum);
    cw_reg_reader_free(rd);
    cw_registry_free(reg);
    free(keys);
    return rc;
}
