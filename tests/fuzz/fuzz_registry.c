/* fuzz_registry.c - libFuzzer target for the registry import and update: the input is a CSV
 * file (a registry, outlets, ranges or cells file, by its header) imported into a real LMDB store,
 * then applied again as a delta (an 'op' column may say delete), then every msisdn-looking
 * field is looked up and the whole store walked. Rows, ID numbers, dates and numbers are all
 * validated on this path; nothing may crash, a successful import must leave readable
 * records, and the count of ID holders kept in the metadata must match the index. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/idcard.h"
#include "store/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], db[96], csv[96];
static struct cw_registry *reg;
static FILE *devnull; /* bad rows are reported: thousands a second would drown
                         the output */

static void cleanup(void)
{
    char cmd[128];
    cw_registry_free(reg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_registry: could not remove %s\n", dir);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/cwfuzzreg.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(db, sizeof db, "%s/db", dir);
    snprintf(csv, sizeof csv, "%s/in.csv", dir);
    char err[512];
    if (cw_registry_open(db, CW_REG_CREATE | CW_REG_NOSYNC, &reg, err, sizeof err) != 0)
        abort();
    devnull = fopen("/dev/null", "w");
    if (!devnull)
        abort();
    atexit(cleanup);
}

struct walk {
    uint64_t persons, cards;
};

static int walk_person(void *user, const uint8_t pseudo[32], const struct cw_card *cards, size_t n)
{
    struct walk *w = user;
    (void)pseudo;
    w->persons++;
    for (size_t i = 0; i < n; i++)
        if (!cards[i].has_id || cards[i].person_cards_total > n ||
            cards[i].person_cards_province > cards[i].person_cards_total)
            abort();
    return 0;
}

static int walk_card(void *user, const struct cw_card *c)
{
    struct walk *w = user;
    if (!c->msisdn[0])
        abort();
    w->cards++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!reg)
        setup();
    FILE *f = fopen(csv, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    const char *files[1] = {csv};
    struct cw_import_opts o = {
        .demo = 1, .max_errors = -1, .cc = "86", .report = devnull, .sort_mem = 1u << 20};
    struct cw_import_stats st;
    char err[1024];
    int rc = cw_registry_import(reg, files, 1, &o, &st, err, sizeof err);
    if (rc == 0 && st.bad_rows > (uint64_t)size)
        abort(); /* more bad rows than bytes: miscounted */
    /* Look up every msisdn-looking first field of the input: a successful import
     * must have stored what it counted, and lookups of anything must be safe. */
    struct cw_reg_reader *rd;
    if (cw_reg_reader_new(reg, &rd) != 0)
        abort();
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *comma = memchr(p, ',', (size_t)(le - p));
        size_t n = (size_t)((comma ? comma : le) - p);
        char num[40];
        if (n < sizeof num) {
            memcpy(num, p, n);
            num[n] = 0;
            struct cw_card c;
            int r = cw_reg_lookup(rd, num, num, &c);
            if (r < 0 && r != -4)
                abort();
            char prov[3];
            r = cw_reg_cell_province(rd, num, prov); /* a cells file's prefixes, or anything */
            if (r != 0 && (r != 1 || strlen(prov) != 2))
                abort();
        }
        p = le + 1;
    }
    cw_reg_reader_free(rd);
    /* The same input as a delta, then the store must be consistent. */
    rc = cw_registry_update(reg, files, 1, &o, &st, err, sizeof err);
    struct walk w = {0, 0};
    if (cw_registry_walk_persons(reg, walk_person, &w) != 0)
        abort();
    struct cw_registry_info info;
    if (cw_registry_info(reg, &info) != 0 || info.persons != w.persons)
        abort(); /* the holders' count drifted from the index */
    if (cw_registry_walk_cards(reg, walk_card, &w) != 0 || w.cards != info.cards)
        abort();
    /* ID validation and masking on the raw input as one string */
    char id[32];
    size_t n = size < sizeof id - 1 ? size : sizeof id - 1;
    memcpy(id, data, n);
    id[n] = 0;
    struct cw_idcard_info idinfo;
    cw_idcard_validate(id, strlen(id), &idinfo);
    char masked[20];
    cw_idcard_mask(id, masked);
    if (strnlen(masked, sizeof masked) == sizeof masked)
        abort();
    return 0;
}
