/* test_audit.c - `registry audit` on a real LMDB registry: a handcrafted registry whose every
 * figure is known (quotas, bursts at the window's edge, invalid and missing IDs, the outlet
 * ranking, the real-name rates), the synthetic generator's ground truth (planted over-quota
 * IDs, nationwide over-limit IDs, bad agent outlets), and the command's JSON, CSV and text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/audit.h"
#include "store/csv.h"
#include "store/registry.h"
#include "store/validate.h"
#include "synth/synth.h"
#include "testutil.h"
#include "util/error.h"

/* ---- the handcrafted registry ----
 *
 * ID1 330106199003071236: 6 cards held in 33 (01-06: 01-04 at OUT-A within 23 hours, a burst;
 *     05, 06 at OUT-B years apart; 06 suspended, still held) and 07 cancelled (not counted,
 *     registered inside the burst's hours): over the province limit and the national one.
 * ID2 110105198512310029: 3 cards in 11 at OUT-C, 3 in 44 at OUT-X (unlisted) exactly 48 hours
 *     first to last (a burst: the window is inclusive): over the national limit only.
 * ID3: 3 cards in 44 at OUT-B within 49 hours: no burst. ID4: 5 cards in 33 (at the limit).
 * 41, 42: invalid ID numbers (wrong check character), verified 1; 43, 44: no ID; 45, 46: a
 * valid ID, verified 0; 47: no province; 48: no ID, cancelled; 49: a good card at OUT-A.
 * OUT-D is listed and registered nothing.
 */
static const char reg_csv[] =
    "msisdn,imsi,id_number,province,status,verified,outlet,registered_at\n"
    "8613800000001,,330106199003071236,33,active,1,OUT-A,2024-05-01T10:00:00Z\n"
    "8613800000002,,330106199003071236,33,active,1,OUT-A,2024-05-01T12:00:00Z\n"
    "8613800000003,,330106199003071236,33,active,1,OUT-A,2024-05-01T20:00:00Z\n"
    "8613800000004,,330106199003071236,33,active,1,OUT-A,2024-05-02T09:00:00Z\n"
    "8613800000005,,330106199003071236,33,active,1,OUT-B,2020-01-01\n"
    "8613800000006,,330106199003071236,33,suspended,1,OUT-B,2022-06-15\n"
    "8613800000007,,330106199003071236,33,cancelled,1,OUT-A,2024-05-01T11:00:00Z\n"
    "8613800000011,,110105198512310029,11,active,1,OUT-C,2019-03-01\n"
    "8613800000012,,110105198512310029,11,active,1,OUT-C,2020-03-01\n"
    "8613800000013,,110105198512310029,11,active,1,OUT-C,2021-03-01\n"
    "8613800000014,,110105198512310029,44,active,1,OUT-X,2023-07-01T00:00:00Z\n"
    "8613800000015,,110105198512310029,44,active,1,OUT-X,2023-07-02T00:00:00Z\n"
    "8613800000016,,110105198512310029,44,active,1,OUT-X,2023-07-03T00:00:00Z\n"
    "8613800000021,,440305199201011234,44,active,1,OUT-B,2023-01-01T00:00:00Z\n"
    "8613800000022,,440305199201011234,44,active,1,OUT-B,2023-01-02T00:00:00Z\n"
    "8613800000023,,440305199201011234,44,active,1,OUT-B,2023-01-03T01:00:00Z\n"
    "8613800000031,,330102198001015679,33,active,1,OUT-B,2016-01-01\n"
    "8613800000032,,330102198001015679,33,active,1,OUT-B,2017-01-01\n"
    "8613800000033,,330102198001015679,33,active,1,OUT-B,2018-01-01\n"
    "8613800000034,,330102198001015679,33,active,1,OUT-B,2019-01-01\n"
    "8613800000035,,330102198001015679,33,active,1,OUT-B,2020-01-01\n"
    "8613800000041,,330102198001015670,33,active,1,OUT-A,2024-06-01\n"
    "8613800000042,,440305199201011230,33,active,1,OUT-A,2024-06-02\n"
    "8613800000043,,,33,active,1,OUT-A,2024-06-03\n"
    "8613800000044,,,33,active,0,OUT-A,2024-06-04\n"
    "8613800000045,,330102198505051112,33,active,0,OUT-A,2024-06-05\n"
    "8613800000046,,110102197002022226,11,active,0,OUT-C,2024-06-06\n"
    "8613800000047,,440305199506063334,,active,1,OUT-X,2024-06-07\n"
    "8613800000048,,,11,cancelled,1,OUT-C,2024-06-08\n"
    "8613800000049,,33010220000808444X,33,active,1,OUT-A,2018-01-01\n";

static const char outlets_csv[] = "outlet,province,kind,name\n"
                                  "OUT-A,33,agent,Agent A\n"
                                  "OUT-B,33,own,Hall B\n"
                                  "OUT-C,11,own,Hall C\n"
                                  "OUT-D,44,agent,Agent D\n";

struct fixture {
    char *dir;
    char db[4200], reg[4200], outlets[4200];
};

static FILE *devnull(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    return f;
}

static void import_files(const char *db, const char **files, int n)
{
    char err[1024];
    struct cw_registry *reg;
    assert_int_equal(cw_registry_open(db, CW_REG_CREATE, &reg, err, sizeof err), 0);
    struct cw_import_opts o = {.demo = 1, .max_errors = 0, .report = devnull()};
    struct cw_import_stats st;
    int rc = cw_registry_import(reg, files, n, &o, &st, err, sizeof err);
    if (rc)
        fprintf(stderr, "import: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(st.bad_rows, 0);
    cw_registry_free(reg);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp();
    snprintf(f->db, sizeof f->db, "%s/db", f->dir);
    snprintf(f->reg, sizeof f->reg, "%s/registry.csv", f->dir);
    snprintf(f->outlets, sizeof f->outlets, "%s/outlets.csv", f->dir);
    tu_write_file(f->reg, reg_csv, strlen(reg_csv));
    tu_write_file(f->outlets, outlets_csv, strlen(outlets_csv));
    const char *files[] = {f->reg, f->outlets};
    import_files(f->db, files, 2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* ---- what on_id saw ---- */

struct seen_card {
    char msisdn[CW_NUM_MAX];
    uint8_t flags, status;
};

struct seen_id {
    uint8_t pseudo[CW_PSEUDO_LEN];
    char id_masked[CW_ID_MASKED_MAX], id_province[3];
    unsigned rules;
    uint32_t held, held_over;
    int64_t first, last;
    size_t nprov, nout, ncards;
    struct cw_audit_count prov[8], out[8];
    struct seen_card cards[16];
};

struct seen {
    struct seen_id ids[8];
    size_t n;
};

static int collect(void *user, const struct cw_audit_id *id)
{
    struct seen *s = user;
    assert_true(s->n < 8);
    struct seen_id *d = &s->ids[s->n++];
    memset(d, 0, sizeof *d);
    memcpy(d->pseudo, id->pseudo, CW_PSEUDO_LEN);
    memcpy(d->id_masked, id->id_masked, sizeof d->id_masked);
    memcpy(d->id_province, id->id_province, 3);
    d->rules = id->rules;
    d->held = id->held;
    d->held_over = id->held_over;
    d->first = id->first;
    d->last = id->last;
    assert_true(id->nprovinces <= 8 && id->noutlets <= 8 && id->ncards <= 16);
    d->nprov = id->nprovinces;
    d->nout = id->noutlets;
    d->ncards = id->ncards;
    memcpy(d->prov, id->provinces, id->nprovinces * sizeof *id->provinces);
    memcpy(d->out, id->outlets, id->noutlets * sizeof *id->outlets);
    for (size_t i = 0; i < id->ncards; i++) {
        memcpy(d->cards[i].msisdn, id->cards[i].msisdn, CW_NUM_MAX);
        d->cards[i].flags = id->card_flags[i];
        d->cards[i].status = id->cards[i].status;
    }
    return 0;
}

static struct cw_audit *run(const char *db, const struct cw_audit_params *p, struct seen *s)
{
    char err[1024];
    struct cw_registry *reg;
    assert_int_equal(cw_registry_open(db, CW_REG_RDONLY, &reg, err, sizeof err), 0);
    struct cw_audit_opts o = {.on_id = s ? collect : NULL, .user = s};
    struct cw_audit *a = NULL;
    int rc = cw_audit_run(reg, p, &o, &a, err, sizeof err);
    if (rc)
        fprintf(stderr, "audit: %s\n", err);
    assert_int_equal(rc, 0);
    cw_registry_free(reg);
    return a;
}

static const struct seen_id *find_id(const struct seen *s, const char *id_number)
{
    uint8_t pseudo[CW_PSEUDO_LEN];
    char err[256];
    assert_int_equal(cw_registry_pseudonym(NULL, 1, id_number, pseudo, err, sizeof err), 0);
    for (size_t i = 0; i < s->n; i++)
        if (!memcmp(s->ids[i].pseudo, pseudo, CW_PSEUDO_LEN))
            return &s->ids[i];
    return NULL;
}

static const struct cw_audit_outlet *find_outlet(const struct cw_audit *a, const char *id,
                                                 size_t *rank)
{
    for (size_t i = 0; i < a->noutlets; i++)
        if (!strcmp(a->outlets[i].id, id)) {
            if (rank)
                *rank = i + 1;
            return &a->outlets[i];
        }
    return NULL;
}

static void check_outlet(const struct cw_audit *a, const char *id, size_t rank, uint8_t kind,
                         uint8_t listed, uint8_t ranked, uint64_t cards, uint64_t suspicious,
                         uint64_t over_quota, uint64_t no_id, uint64_t invalid_id,
                         uint64_t unverified, uint64_t burst)
{
    size_t r = 0;
    const struct cw_audit_outlet *o = find_outlet(a, id, &r);
    assert_non_null(o);
    assert_int_equal(r, rank);
    assert_int_equal(o->kind, kind);
    assert_int_equal(o->listed, listed);
    assert_int_equal(o->ranked, ranked);
    assert_int_equal(o->cards, cards);
    assert_int_equal(o->suspicious, suspicious);
    assert_int_equal(o->over_quota, over_quota);
    assert_int_equal(o->no_id, no_id);
    assert_int_equal(o->invalid_id, invalid_id);
    assert_int_equal(o->unverified, unverified);
    assert_int_equal(o->burst, burst);
    assert_true(o->share > 100.0 * (double)suspicious / (double)cards - 1e-9 &&
                o->share < 100.0 * (double)suspicious / (double)cards + 1e-9);
}

static void check_rate(const struct cw_audit_rate *r, const char *prov, uint64_t cards,
                       uint64_t verified, uint64_t no_id, uint64_t invalid_id, uint64_t unverified,
                       int below)
{
    assert_string_equal(r->province, prov);
    assert_int_equal(r->cards, cards);
    assert_int_equal(r->verified, verified);
    assert_int_equal(r->no_id, no_id);
    assert_int_equal(r->invalid_id, invalid_id);
    assert_int_equal(r->unverified, unverified);
    assert_int_equal(r->below, below);
    double want = 100.0 * (double)verified / (double)cards;
    assert_true(r->rate > want - 1e-9 && r->rate < want + 1e-9);
}

static int64_t utc(const char *s)
{
    int64_t t = 0;
    assert_int_equal(cw_parse_utc(s, &t, NULL), 0);
    return t;
}

static uint8_t card_flags(const struct seen_id *d, const char *msisdn)
{
    for (size_t i = 0; i < d->ncards; i++)
        if (!strcmp(d->cards[i].msisdn, msisdn))
            return d->cards[i].flags;
    fail_msg("card %s not listed", msisdn);
    return 0;
}

static void test_handcrafted_figures(void **state)
{
    struct fixture *f = *state;
    struct seen s = {.n = 0};
    struct cw_audit *a = run(f->db, NULL, &s);

    /* the defaults */
    assert_int_equal(a->params.province_limit, 5);
    assert_int_equal(a->params.national_limit, 5);
    assert_int_equal(a->params.burst_cards, 3);
    assert_int_equal(a->params.burst_hours, 48);
    assert_int_equal(a->params.min_cards, 10);
    assert_true(a->params.target == 90.0);

    /* totals */
    assert_int_equal(a->records, 30);
    assert_int_equal(a->cancelled, 2);
    assert_int_equal(a->persons, 10); /* 8 valid IDs, 2 invalid ones */
    assert_int_equal(a->ids_over, 2);
    assert_int_equal(a->ids_over_province, 1);
    assert_int_equal(a->ids_over_national, 2);
    assert_int_equal(a->ids_national_only, 1);
    assert_int_equal(a->cards_ids_over, 12);
    assert_int_equal(a->cards_over_province, 6);
    assert_int_equal(a->cards_national_only, 6);
    assert_int_equal(a->burst_cards, 7);
    assert_int_equal(a->suspicious, 15);
    assert_int_equal(a->changed, 0);

    /* the IDs, in pseudonym order, each once */
    assert_int_equal(s.n, 2);
    const struct seen_id *id1 = find_id(&s, "330106199003071236");
    const struct seen_id *id2 = find_id(&s, "110105198512310029");
    assert_non_null(id1);
    assert_non_null(id2);
    assert_true(memcmp(s.ids[0].pseudo, s.ids[1].pseudo, CW_PSEUDO_LEN) < 0);

    assert_string_equal(id1->id_masked, "330106********1236");
    assert_string_equal(id1->id_province, "33");
    assert_int_equal(id1->rules, CW_AUDIT_RULE_PROVINCE | CW_AUDIT_RULE_NATIONAL);
    assert_int_equal(id1->held, 6);
    assert_int_equal(id1->held_over, 6);
    assert_int_equal(id1->nprov, 1);
    assert_string_equal(id1->prov[0].key, "33");
    assert_int_equal(id1->prov[0].cards, 6);
    assert_int_equal(id1->prov[0].over, 1);
    assert_int_equal(id1->nout, 2);
    assert_string_equal(id1->out[0].key, "OUT-A");
    assert_int_equal(id1->out[0].cards, 4);
    assert_string_equal(id1->out[1].key, "OUT-B");
    assert_int_equal(id1->out[1].cards, 2);
    assert_int_equal(id1->first, utc("2020-01-01"));
    assert_int_equal(id1->last, utc("2024-05-02T09:00:00Z"));
    assert_int_equal(id1->ncards, 7); /* the cancelled one listed, not held */
    const uint8_t hob = CW_AUDIT_CARD_HELD | CW_AUDIT_CARD_OVER | CW_AUDIT_CARD_BURST;
    const uint8_t ho = CW_AUDIT_CARD_HELD | CW_AUDIT_CARD_OVER;
    assert_int_equal(card_flags(id1, "8613800000001"), hob);
    assert_int_equal(card_flags(id1, "8613800000002"), hob);
    assert_int_equal(card_flags(id1, "8613800000003"), hob);
    assert_int_equal(card_flags(id1, "8613800000004"), hob);
    assert_int_equal(card_flags(id1, "8613800000005"), ho);
    assert_int_equal(card_flags(id1, "8613800000006"), ho);
    assert_int_equal(card_flags(id1, "8613800000007"), 0);

    assert_string_equal(id2->id_masked, "110105********0029");
    assert_string_equal(id2->id_province, "11");
    assert_int_equal(id2->rules, CW_AUDIT_RULE_NATIONAL);
    assert_int_equal(id2->held, 6);
    assert_int_equal(id2->held_over, 0);
    assert_int_equal(id2->nprov, 2);
    assert_string_equal(id2->prov[0].key, "11");
    assert_int_equal(id2->prov[0].cards, 3);
    assert_int_equal(id2->prov[0].over, 0);
    assert_string_equal(id2->prov[1].key, "44");
    assert_int_equal(id2->prov[1].cards, 3);
    assert_int_equal(id2->nout, 2); /* 3 and 3: by id */
    assert_string_equal(id2->out[0].key, "OUT-C");
    assert_string_equal(id2->out[1].key, "OUT-X");
    assert_int_equal(id2->first, utc("2019-03-01"));
    assert_int_equal(id2->last, utc("2023-07-03T00:00:00Z"));
    assert_int_equal(card_flags(id2, "8613800000011"), CW_AUDIT_CARD_HELD);
    assert_int_equal(card_flags(id2, "8613800000014"), CW_AUDIT_CARD_HELD | CW_AUDIT_CARD_BURST);
    assert_int_equal(card_flags(id2, "8613800000016"), CW_AUDIT_CARD_HELD | CW_AUDIT_CARD_BURST);

    /* outlets: OUT-A and OUT-B have 10 cards (ranked), OUT-X and OUT-C 4 (after) */
    assert_int_equal(a->noutlets, 4);
    assert_int_equal(a->nranked, 2);
    assert_int_equal(a->outlets_listed, 4);
    assert_int_equal(a->outlets_unused, 1); /* OUT-D */
    /*                 id      rank kind  lst rnk cards susp quota noid inval unver burst */
    check_outlet(a, "OUT-A", 1, CW_OUTLET_AGENT, 1, 1, 10, 9, 4, 2, 2, 1, 4);
    check_outlet(a, "OUT-B", 2, CW_OUTLET_OWN, 1, 1, 10, 2, 2, 0, 0, 0, 0);
    check_outlet(a, "OUT-X", 3, CW_OUTLET_UNKNOWN, 0, 0, 4, 3, 0, 0, 0, 0, 3);
    check_outlet(a, "OUT-C", 4, CW_OUTLET_OWN, 1, 0, 4, 1, 0, 0, 0, 1, 0);
    assert_string_equal(a->outlets[0].name, "Agent A");
    assert_string_equal(a->outlets[0].province, "33");
    assert_null(find_outlet(a, "OUT-D", NULL));

    /* real-name rates: by code, the cards with no province last */
    assert_int_equal(a->nprovinces, 4);
    check_rate(&a->provinces[0], "11", 4, 3, 0, 0, 1, 1);
    check_rate(&a->provinces[1], "33", 17, 12, 2, 2, 1, 1);
    check_rate(&a->provinces[2], "44", 6, 6, 0, 0, 0, 0);
    check_rate(&a->provinces[3], "", 1, 1, 0, 0, 0, 0);
    check_rate(&a->overall, "", 28, 22, 2, 2, 2, 1);
    assert_int_equal(a->provinces_below, 2);
    cw_audit_free(a);
}

/* The parameters move the figures as they should. */
static void test_handcrafted_params(void **state)
{
    struct fixture *f = *state;
    struct cw_audit_params p;

    /* the 49-hour run of ID3 becomes a burst; OUT-B gains its 3 cards */
    cw_audit_params_default(&p);
    p.burst_hours = 49;
    struct cw_audit *a = run(f->db, &p, NULL);
    assert_int_equal(a->burst_cards, 10);
    assert_int_equal(a->suspicious, 18);
    check_outlet(a, "OUT-B", 2, CW_OUTLET_OWN, 1, 1, 10, 5, 2, 0, 0, 0, 3);
    cw_audit_free(a);

    /* 6 cards in a province are allowed: ID1 breaks the national rule only */
    cw_audit_params_default(&p);
    p.province_limit = 6;
    struct seen s = {.n = 0};
    a = run(f->db, &p, &s);
    assert_int_equal(a->ids_over, 2);
    assert_int_equal(a->ids_over_province, 0);
    assert_int_equal(a->ids_national_only, 2);
    assert_int_equal(a->cards_over_province, 0);
    assert_int_equal(a->suspicious, 13);
    check_outlet(a, "OUT-B", 2, CW_OUTLET_OWN, 1, 1, 10, 0, 0, 0, 0, 0, 0);
    assert_int_equal(card_flags(find_id(&s, "330106199003071236"), "8613800000005"),
                     CW_AUDIT_CARD_HELD);
    cw_audit_free(a);

    /* every outlet ranked: by share, 90% 75% 25% 20%; the target at 75% spares 11 */
    cw_audit_params_default(&p);
    p.min_cards = 0;
    p.target = 75.0;
    p.burst_cards = 4; /* only ID1's four */
    a = run(f->db, &p, NULL);
    assert_int_equal(a->nranked, 4);
    assert_string_equal(a->outlets[0].id, "OUT-A");
    assert_string_equal(a->outlets[1].id, "OUT-C");
    assert_string_equal(a->outlets[2].id, "OUT-B");
    assert_string_equal(a->outlets[3].id, "OUT-X");
    assert_int_equal(a->outlets[3].suspicious, 0);
    assert_int_equal(a->burst_cards, 4);
    assert_int_equal(a->provinces_below, 1);
    assert_false(a->provinces[0].below); /* 11: exactly 75% */
    assert_true(a->provinces[1].below);
    cw_audit_free(a);

    /* a burst is at least 2 cards */
    cw_audit_params_default(&p);
    p.burst_cards = 1;
    char err[256];
    struct cw_registry *reg;
    assert_int_equal(cw_registry_open(f->db, CW_REG_RDONLY, &reg, err, sizeof err), 0);
    a = (struct cw_audit *)1;
    assert_int_equal(cw_audit_run(reg, &p, NULL, &a, err, sizeof err), CW_EINVAL);
    assert_null(a);
    cw_registry_free(reg);
}

/* An empty registry: zeros, no division by zero, nothing below the target. */
static void test_empty_registry(void **state)
{
    struct fixture *f = *state;
    char db[4300], path[4300];
    snprintf(db, sizeof db, "%s/empty", f->dir);
    snprintf(path, sizeof path, "%s/empty.csv", f->dir);
    const char hdr[] = "msisdn,id_number,province\n";
    tu_write_file(path, hdr, strlen(hdr));
    const char *files[] = {path};
    import_files(db, files, 1);
    struct cw_audit *a = run(db, NULL, NULL);
    assert_int_equal(a->records, 0);
    assert_int_equal(a->noutlets, 0);
    assert_int_equal(a->nprovinces, 0);
    assert_int_equal(a->overall.cards, 0);
    assert_false(a->overall.below);
    assert_true(a->overall.rate == 0.0);
    cw_audit_free(a);
}

/* A commit between the walks is noticed: an update runs when the outlets' walk has ended. */
struct mid_update {
    struct cw_registry *reg;
    const char *delta;
    int done;
};

static void update_midway(void *user, const char *phase, uint64_t done, uint64_t total)
{
    struct mid_update *m = user;
    if (m->done || strcmp(phase, "outlets") || done != total)
        return;
    const char *files[] = {m->delta};
    struct cw_import_opts o = {.demo = 1, .report = devnull()};
    struct cw_import_stats st;
    char err[512];
    assert_int_equal(cw_registry_update(m->reg, files, 1, &o, &st, err, sizeof err), 0);
    m->done = 1;
}

static void test_changed_during_audit(void **state)
{
    struct fixture *f = *state;
    char delta[4300], err[512];
    snprintf(delta, sizeof delta, "%s/delta.csv", f->dir);
    const char csv[] = "msisdn,id_number,province,verified,outlet\n8613800000050,,33,1,OUT-B\n";
    tu_write_file(delta, csv, strlen(csv));
    struct cw_registry *reg;
    assert_int_equal(cw_registry_open(f->db, 0, &reg, err, sizeof err), 0);
    struct mid_update m = {reg, delta, 0};
    struct cw_audit_opts o = {.progress = update_midway, .progress_user = &m};
    struct cw_audit *a = NULL;
    assert_int_equal(cw_audit_run(reg, NULL, &o, &a, err, sizeof err), 0);
    assert_true(m.done);
    assert_int_equal(a->changed, 1);
    assert_int_equal(a->records, 31); /* the cards were walked after the update */
    cw_audit_free(a);
    /* and the next audit is consistent again */
    assert_int_equal(cw_audit_run(reg, NULL, NULL, &a, err, sizeof err), 0);
    assert_int_equal(a->changed, 0);
    assert_int_equal(a->overall.no_id, 3);
    cw_audit_free(a);
    cw_registry_free(reg);
}

/* ---- a small JSON checker: is the text one valid JSON value? ---- */

struct jp {
    const char *p;
    int depth;
};

static void jp_ws(struct jp *j)
{
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')
        j->p++;
}

static int jp_value(struct jp *j);

static int jp_string(struct jp *j)
{
    if (*j->p != '"')
        return -1;
    for (j->p++; *j->p != '"'; j->p++) {
        if ((unsigned char)*j->p < 0x20)
            return -1;
        if (*j->p == '\\') {
            j->p++;
            if (*j->p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", j->p[i]) || !j->p[i])
                        return -1;
                j->p += 4;
            } else if (!*j->p || !strchr("\"\\/bfnrt", *j->p)) {
                return -1;
            }
        }
    }
    j->p++;
    return 0;
}

static int jp_number(struct jp *j)
{
    char *end;
    if (*j->p != '-' && (*j->p < '0' || *j->p > '9'))
        return -1;
    strtod(j->p, &end);
    if (end == j->p)
        return -1;
    j->p = end;
    return 0;
}

static int jp_seq(struct jp *j, char close, int keyed)
{
    j->p++;
    jp_ws(j);
    if (*j->p == close) {
        j->p++;
        return 0;
    }
    for (;;) {
        jp_ws(j);
        if (keyed) {
            if (jp_string(j))
                return -1;
            jp_ws(j);
            if (*j->p++ != ':')
                return -1;
        }
        if (jp_value(j))
            return -1;
        jp_ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p++ != close)
            return -1;
        return 0;
    }
}

static int jp_value(struct jp *j)
{
    jp_ws(j);
    if (++j->depth > 64)
        return -1;
    int rc;
    if (*j->p == '{')
        rc = jp_seq(j, '}', 1);
    else if (*j->p == '[')
        rc = jp_seq(j, ']', 0);
    else if (*j->p == '"')
        rc = jp_string(j);
    else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "null", 4))
        rc = (j->p += 4, 0);
    else if (!strncmp(j->p, "false", 5))
        rc = (j->p += 5, 0);
    else
        rc = jp_number(j);
    j->depth--;
    return rc;
}

static int json_valid(const char *s)
{
    struct jp j = {s, 0};
    if (*s != '{' || jp_value(&j))
        return 0;
    jp_ws(&j);
    return *j.p == 0;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static char *audit_cli(const struct fixture *f, const char *args, int *status)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "%s registry audit --db %s %s", CW_BINARY, f->db, args);
    char *out = tu_run(cmd, status);
    assert_non_null(out);
    return out;
}

static void test_cli_json(void **state)
{
    struct fixture *f = *state;
    int st;
    char *out = audit_cli(f, "--json -q", &st);
    assert_int_equal(st, 0);
    assert_true(json_valid(out));
    assert_int_equal(count(out, "\n"), 1); /* one object, one line */
    uint8_t pseudo[CW_PSEUDO_LEN];
    char err[256], hexs[2 * CW_PSEUDO_LEN + 1], key[200];
    assert_int_equal(cw_registry_pseudonym(NULL, 1, "330106199003071236", pseudo, err, sizeof err),
                     0);
    for (int i = 0; i < CW_PSEUDO_LEN; i++)
        snprintf(hexs + 2 * i, 3, "%02x", pseudo[i]);
    snprintf(key, sizeof key, "\"pseudonym\":\"%s\"", hexs);
    assert_non_null(strstr(out, key));
    assert_int_equal(count(out, "\"pseudonym\":"), 2);
    assert_non_null(strstr(out, "\"rules\":[\"province\",\"national\"]"));
    assert_non_null(strstr(out, "\"rules\":[\"national\"]"));
    assert_non_null(strstr(out, "\"province_limit\":5"));
    assert_non_null(strstr(out, "\"target_pct\":90"));
    assert_non_null(
        strstr(out, "\"outlets\":[{\"rank\":1,\"outlet\":\"OUT-A\",\"kind\":\"agent\""));
    assert_non_null(strstr(out, "\"cards\":10,\"suspicious\":9,\"suspicious_pct\":90,"
                                "\"over_quota\":4,\"no_id\":2,\"invalid_id\":2,\"unverified\":1,"
                                "\"burst\":4"));
    assert_non_null(strstr(out, "{\"province\":\"33\",\"name\":\"Zhejiang\",\"cards\":17,"
                                "\"verified\":12,"));
    assert_non_null(strstr(out, "{\"province\":\"unknown\",\"cards\":1,"));
    assert_non_null(strstr(out, "\"overall\":{\"cards\":28,\"verified\":22,"));
    assert_non_null(strstr(out, "\"ids_over\":2,"));
    assert_non_null(strstr(out, "\"cards_over_province\":6,"));
    assert_non_null(strstr(out, "\"registry_changed_during_audit\":false"));
    assert_null(strstr(out, "330106199003071236")); /* never the ID number itself */
    free(out);

    /* the parameters are passed on and echoed */
    out = audit_cli(f, "--json -q --province-limit 6 --burst-hours 49 --target 75", &st);
    assert_int_equal(st, 0);
    assert_true(json_valid(out));
    assert_non_null(strstr(out, "\"province_limit\":6"));
    assert_non_null(strstr(out, "\"burst_hours\":49"));
    assert_non_null(strstr(out, "\"ids_over_province\":0,"));
    assert_non_null(strstr(out, "\"provinces_below_target\":1"));
    free(out);
}

static void test_cli_csv_text(void **state)
{
    struct fixture *f = *state;
    int st;
    char *out = audit_cli(f, "--csv -q", &st);
    assert_int_equal(st, 0);
    const char *ids = strstr(out, "# table: ids\npseudonym,id_masked,");
    const char *outl = strstr(out, "\n\n# table: outlets\nrank,outlet,kind,");
    const char *prov = strstr(out, "\n\n# table: provinces\nprovince,name,cards,");
    assert_true(ids == out && outl > ids && prov > outl);
    assert_non_null(strstr(out, ",330106********1236,33,1,province;national,6,6,33=6!,"
                                "OUT-A=4;OUT-B=2,2020-01-01T00:00:00Z,2024-05-02T09:00:00Z,"));
    assert_non_null(strstr(out, ",110105********0029,11,1,national,6,0,11=3;44=3,"));
    assert_non_null(strstr(out, "\n1,OUT-A,agent,1,Agent A,33,1,10,9,90.00,4,2,2,1,4\n"));
    assert_non_null(strstr(out, "\n3,OUT-X,unknown,0,,,0,4,3,75.00,0,0,0,0,3\n"));
    assert_non_null(strstr(out, "\n33,Zhejiang,17,12,70.59,1,2,2,1\n"));
    assert_non_null(strstr(out, "\nunknown,,1,1,100.00,0,0,0,0\n"));
    assert_non_null(strstr(out, "\nall,,28,22,78.57,1,2,2,2\n"));
    free(out);

    out = audit_cli(f, "--table outlets", &st);
    assert_int_equal(st, 0);
    assert_true(!strncmp(out, "rank,outlet,kind,", 17));
    assert_int_equal(count(out, "\n"), 5);
    assert_null(strstr(out, "# table"));
    free(out);
    out = audit_cli(f, "--csv --table ids", &st);
    assert_int_equal(st, 0);
    assert_true(!strncmp(out, "pseudonym,", 10));
    assert_int_equal(count(out, "\n"), 3);
    free(out);
    out = audit_cli(f, "--table provinces", &st);
    assert_int_equal(st, 0);
    assert_int_equal(count(out, "\n"), 6);
    free(out);

    out = audit_cli(f, "--top 1", &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "IDs over the card limits: 2"));
    assert_int_equal(count(out, "330106********1236"), 1); /* the top one only */
    assert_null(strstr(out, "110105********0029"));
    assert_non_null(strstr(out, "OUT-A"));
    assert_non_null(strstr(out, "... 3 more"));
    assert_int_equal(count(out, "BELOW TARGET"), 3); /* 11, 33 and all */
    assert_non_null(strstr(out, "1 outlets of the outlets table hold no card"));
    free(out);

    out = audit_cli(f, "--help", &st);
    assert_int_equal(st, 0);
    const char *opts[] = {"--db",
                          "--json",
                          "--csv",
                          "--table",
                          "--province-limit",
                          "--national-limit",
                          "--burst-cards",
                          "--burst-hours",
                          "--min-cards",
                          "--target",
                          "--top",
                          "--quiet",
                          "--help"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        assert_non_null(strstr(out, opts[i]));
    free(out);
}

static void test_cli_errors(void **state)
{
    struct fixture *f = *state;
    int st;
    char cmd[9000];
    char *out = audit_cli(f, "--json --csv 2>&1", &st);
    assert_int_equal(st, 2);
    free(out);
    out = audit_cli(f, "--table people 2>&1", &st);
    assert_int_equal(st, 2);
    free(out);
    out = audit_cli(f, "--burst-cards 1 2>&1", &st);
    assert_int_equal(st, 2);
    free(out);
    out = audit_cli(f, "--target 101 2>&1", &st);
    assert_int_equal(st, 2);
    free(out);
    snprintf(cmd, sizeof cmd, "%s registry audit --json 2>&1", CW_BINARY);
    out = tu_run(cmd, &st);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "--db"));
    free(out);
    snprintf(cmd, sizeof cmd, "%s registry audit --db %s/nowhere 2>&1", CW_BINARY, f->dir);
    out = tu_run(cmd, &st);
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "/nowhere"));
    free(out);
}

/* ---- against the synthetic generator's ground truth ---- */

struct strs {
    char **v;
    size_t n, cap;
};

static void strs_add(struct strs *s, const char *x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        assert_non_null(s->v);
    }
    s->v[s->n++] = strdup(x);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strs_sort(struct strs *s)
{
    qsort(s->v, s->n, sizeof *s->v, cmp_str);
}

static int strs_has(const struct strs *s, const char *x)
{
    return bsearch(&x, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

static void strs_free(struct strs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static void assert_same(struct strs *got, struct strs *want, const char *what)
{
    strs_sort(got);
    strs_sort(want);
    size_t missing = 0, extra = 0;
    for (size_t i = 0; i < want->n; i++)
        missing += !strs_has(got, want->v[i]);
    for (size_t i = 0; i < got->n; i++)
        extra += !strs_has(want, got->v[i]);
    printf("    %s: audit %zu cards, truth %zu; missing %zu, extra %zu\n", what, got->n, want->n,
           missing, extra);
    assert_int_equal(missing, 0);
    assert_int_equal(extra, 0);
    assert_int_equal(got->n, want->n);
}

struct by_rule {
    struct strs province, national_only;
};

static int collect_rules(void *user, const struct cw_audit_id *id)
{
    struct by_rule *b = user;
    for (size_t i = 0; i < id->ncards; i++) {
        if (!(id->card_flags[i] & CW_AUDIT_CARD_HELD))
            continue;
        if (id->rules & CW_AUDIT_RULE_PROVINCE)
            strs_add(&b->province, id->cards[i].msisdn);
        else
            strs_add(&b->national_only, id->cards[i].msisdn);
    }
    return 0;
}

/* Column @p name of a CSV header row; fails the test when absent. */
static int column(const struct cw_csv_row *hdr, const char *name)
{
    for (int i = 0; i < hdr->nfields; i++)
        if (!strcmp(hdr->field[i], name))
            return i;
    fail_msg("no column %s", name);
    return -1;
}

/* Rows of a CSV file, the header first. */
static void read_csv(const char *path,
                     void (*row)(void *u, const struct cw_csv_row *hdr, const struct cw_csv_row *r),
                     void *u)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[4096], hline[4096];
    struct cw_csv_row hdr, r;
    int col;
    assert_non_null(fgets(hline, sizeof hline, fp));
    assert_int_equal(cw_csv_split(hline, &hdr, &col), 0);
    while (fgets(line, sizeof line, fp)) {
        assert_int_equal(cw_csv_split(line, &r, &col), 0);
        row(u, &hdr, &r);
    }
    fclose(fp);
}

struct truth {
    struct strs over_quota, over_national, bad_outlets;
    size_t black;
};

static void truth_row(void *u, const struct cw_csv_row *hdr, const struct cw_csv_row *r)
{
    struct truth *t = u;
    const char *cat = r->field[column(hdr, "category")];
    if (!strcmp(cat, "over_quota"))
        strs_add(&t->over_quota, r->field[column(hdr, "msisdn")]);
    else if (!strcmp(cat, "over_national"))
        strs_add(&t->over_national, r->field[column(hdr, "msisdn")]);
    else if (!strcmp(cat, "agent_outlet"))
        strs_add(&t->bad_outlets, r->field[column(hdr, "outlet")]);
    else if (!strcmp(cat, "black_card"))
        t->black++;
}

/* The real-name rate straight from registry.csv: per province (slot 100: none), cards not
 * cancelled, and of them verified 1 with a valid ID number. */
struct direct {
    uint64_t cards[101], verified[101];
};

static void registry_row(void *u, const struct cw_csv_row *hdr, const struct cw_csv_row *r)
{
    struct direct *d = u;
    if (!strcmp(r->field[column(hdr, "status")], "cancelled"))
        return;
    const char *prov = r->field[column(hdr, "province")];
    size_t slot = prov[0] ? (size_t)atoi(prov) : 100;
    assert_true(slot <= 100);
    char norm[19];
    const char *v = r->field[column(hdr, "verified")];
    int verified = !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes");
    d->cards[slot]++;
    d->verified[slot] +=
        verified && cw_id_normalize(r->field[column(hdr, "id_number")], norm, NULL, NULL) == 0;
}

static void synth_truth(uint64_t seed, double *precision, double *recall)
{
    char *dir = tu_mkdtemp();
    char out[4200], db[4200], reg[4300], outl[4300], ranges[4300], truthp[4300];
    snprintf(out, sizeof out, "%s/synth", dir);
    snprintf(db, sizeof db, "%s/db", dir);
    snprintf(reg, sizeof reg, "%s/registry.csv", out);
    snprintf(outl, sizeof outl, "%s/outlets.csv", out);
    snprintf(ranges, sizeof ranges, "%s/ranges.csv", out);
    snprintf(truthp, sizeof truthp, "%s/truth.csv", out);
    struct cw_synth_opts o = {.seed = seed,
                              .cards = 50000,
                              .packets = 20000,
                              .out_dir = out,
                              .black_rate = CW_SYNTH_DEFAULT_BLACK_RATE,
                              .over_quota_rate = CW_SYNTH_DEFAULT_OVER_QUOTA_RATE,
                              .national_rate = CW_SYNTH_DEFAULT_NATIONAL_RATE};
    struct cw_synth_stats st;
    char err[1024];
    int rc = cw_synth_run(&o, &st, err, sizeof err);
    if (rc)
        fprintf(stderr, "synth: %s\n", err);
    assert_int_equal(rc, 0);
    const char *files[] = {reg, outl, ranges};
    import_files(db, files, 3);

    struct by_rule got = {{0}, {0}};
    char e2[1024];
    struct cw_registry *r;
    assert_int_equal(cw_registry_open(db, CW_REG_RDONLY, &r, e2, sizeof e2), 0);
    struct cw_audit_opts ao = {.on_id = collect_rules, .user = &got};
    struct cw_audit *a = NULL;
    assert_int_equal(cw_audit_run(r, NULL, &ao, &a, e2, sizeof e2), 0);
    cw_registry_free(r);

    struct truth t;
    memset(&t, 0, sizeof t);
    read_csv(truthp, truth_row, &t);
    printf("  seed %llu: %llu cards, %llu over-quota IDs, %llu nationwide over-limit IDs, %zu "
           "bad outlets of %llu\n",
           (unsigned long long)seed, (unsigned long long)st.cards,
           (unsigned long long)st.over_quota_ids, (unsigned long long)st.national_ids,
           t.bad_outlets.n, (unsigned long long)st.outlets);
    assert_true(t.over_quota.n > 0 && t.over_national.n > 0 && t.bad_outlets.n > 0);
    assert_same(&got.province, &t.over_quota, "over the province limit vs over_quota");
    assert_same(&got.national_only, &t.over_national,
                "over the national limit only vs "
                "over_national");
    assert_int_equal(a->ids_over_province, st.over_quota_ids);
    assert_int_equal(a->ids_national_only, st.national_ids);

    /* the top K outlets against the K planted bad ones */
    size_t k = t.bad_outlets.n, tp = 0;
    strs_sort(&t.bad_outlets);
    assert_true(a->noutlets >= k);
    for (size_t i = 0; i < k; i++)
        tp += strs_has(&t.bad_outlets, a->outlets[i].id);
    *precision = (double)tp / (double)k;
    *recall = (double)tp / (double)t.bad_outlets.n;
    printf("    outlets: top %zu ranked, %zu of them planted: precision %.3f, recall %.3f\n", k, tp,
           *precision, *recall);
    for (size_t i = 0; i < a->noutlets; i++) {
        const struct cw_audit_outlet *ol = &a->outlets[i];
        int bad = strs_has(&t.bad_outlets, ol->id);
        if ((i < k) != bad)
            printf("      %s %s: rank %zu, %llu of %llu cards suspicious\n",
                   bad ? "missed" : "wrongly ranked", ol->id, i + 1,
                   (unsigned long long)ol->suspicious, (unsigned long long)ol->cards);
    }

    /* the real-name rate per province, as registry.csv says */
    struct direct d;
    memset(&d, 0, sizeof d);
    read_csv(reg, registry_row, &d);
    size_t np = 0;
    uint64_t all = 0, allv = 0;
    for (size_t s = 0; s <= 100; s++) {
        all += d.cards[s];
        allv += d.verified[s];
        if (!d.cards[s])
            continue;
        assert_true(np < a->nprovinces);
        const struct cw_audit_rate *pr = &a->provinces[np++];
        if (s < 100)
            assert_int_equal(atoi(pr->province), (int)s);
        else
            assert_string_equal(pr->province, "");
        assert_int_equal(pr->cards, d.cards[s]);
        assert_int_equal(pr->verified, d.verified[s]);
        double want = 100.0 * (double)d.verified[s] / (double)d.cards[s];
        assert_true(pr->rate > want - 1e-9 && pr->rate < want + 1e-9);
    }
    assert_int_equal(np, a->nprovinces);
    assert_int_equal(a->overall.cards, all);
    assert_int_equal(a->overall.verified, allv);
    printf("    real-name rate: %llu of %llu cards (%.2f%%) in %zu provinces, as registry.csv "
           "says\n",
           (unsigned long long)allv, (unsigned long long)all, a->overall.rate, np);

    cw_audit_free(a);
    strs_free(&got.province);
    strs_free(&got.national_only);
    strs_free(&t.over_quota);
    strs_free(&t.over_national);
    strs_free(&t.bad_outlets);
    tu_rmrf(dir);
    free(dir);
}

static void test_synth_truth(void **state)
{
    (void)state;
    static const uint64_t seeds[] = {1, 2, 3};
    double psum = 0, rsum = 0;
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        double p, r;
        synth_truth(seeds[i], &p, &r);
        assert_true(p >= 0.9);
        assert_true(r >= 0.9);
        psum += p;
        rsum += r;
    }
    printf("  mean precision %.3f, recall %.3f\n", psum / 3, rsum / 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handcrafted_figures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handcrafted_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_during_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_csv_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_errors, setup, teardown),
        cmocka_unit_test(test_synth_truth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
