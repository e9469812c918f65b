/* synth.c - deterministic synthetic population, registry, outlets and ground truth (the
 * traffic is in traffic.c).
 *
 * Every card is a pure function of (seed, index): keyed Feistel permutations (rng.h) map the
 * index to its MSISDN slot, its IMSI, its black rank and its person; the person maps
 * bijectively to an ID number (region, birth date, sequence), so no two persons share one.
 * The black rank also plants the registry-level fraud: ranks below black are black cards, the
 * next ones the cards of over-quota IDs, then those of nationwide over-limit IDs.
 * Formats: docs/synth.md.
 */
#include "synth/synth.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/idcard.h"
#include "synth/synth_int.h"
#include "util/error.h"

/* China Mobile's home segments (the carrier we play), then other operators' segments. */
static const char *const home_segments[] = {
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152",
    "157", "158", "159", "182", "183", "184", "187", "188", "198",
};
#define N_HOME_SEG (sizeof home_segments / sizeof home_segments[0])
#define HOME_SPACE ((uint64_t)N_HOME_SEG * 100000000ull)

#define IMSI_SPACE 10000000000ull
#define SEQ_COUNT 999u /* ID sequence numbers 001..999 */

/* ------------------------------------------------------------------------------------------ */
/* Calendar (proleptic Gregorian, days since 1970-01-01; H. Hinnant's algorithms). */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static void fmt_iso(int64_t t, char out[24])
{
    int64_t days = t / 86400, sec = t % 86400;
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    /* every field bounded (year 0..9999, the rest two digits), so the 20 characters fit */
    snprintf(out, 24, "%04d-%02u-%02uT%02u:%02u:%02uZ", (y % 10000 + 10000) % 10000, m % 100u,
             d % 100u, (unsigned)(sec / 3600) % 100u, (unsigned)(sec / 60 % 60),
             (unsigned)(sec % 60));
}

/* 1 when the time @p iso (as fmt_iso writes it) is after @p t. */
static int iso_after(const char *iso, int64_t t)
{
    char at[24];
    fmt_iso(t, at);
    return strcmp(iso, at) > 0;
}

#define RECENT (7 * 86400) /* "registered in the last week" */

/* Birth dates 1950-01-01 .. 2006-12-31. */
#define BIRTH_FIRST_DAY days_from_civil(1950, 1, 1)
#define BIRTH_DAYS ((uint64_t)(days_from_civil(2007, 1, 1) - BIRTH_FIRST_DAY))

/* ------------------------------------------------------------------------------------------ */
/* The population. */

static const char *const proto_names[CW_SYNTH_NPROTO] = {"sip",      "smpp", "map",
                                                         "diameter", "gtp",  "radius"};

unsigned cw_synth_protocols(const struct cw_synth_opts *o)
{
    return o->protocols ? o->protocols & CW_SYNTH_ALL : CW_SYNTH_ALL;
}

const char *cw_synth_proto_name(unsigned p)
{
    return p < CW_SYNTH_NPROTO ? proto_names[p] : "?";
}

int cw_synth_protocols_parse(const char *list, unsigned *mask, char *err, size_t errlen)
{
    unsigned m = 0;
    const char *s = list ? list : "";
    for (;;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        unsigned i;
        for (i = 0; i < CW_SYNTH_NPROTO; i++)
            if (strlen(proto_names[i]) == n && !strncmp(proto_names[i], s, n))
                break;
        if (i == CW_SYNTH_NPROTO) {
            cw_synth_set_err(err, errlen,
                             "'%.*s' is not a protocol (sip, smpp, map, diameter, "
                             "gtp, radius)",
                             (int)(n > 40 ? 40 : n), s);
            return CW_EINVAL;
        }
        m |= 1u << i;
        if (!e)
            break;
        s = e + 1;
    }
    *mask = m;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Planted groups: over-quota IDs (6-10 cards) and nationwide over-limit IDs (6-8 cards). Their
 * cards are consecutive black ranks, cut into blocks (40 ranks: 5 groups; 21 ranks: 3 groups)
 * that a hashed pattern splits; a shorter last block is split as evenly as it goes. Group g is
 * person cards + g (over-quota) or cards + over_quota_ids + g (national): above every normal
 * person's number, so its ID number (id_perm is a bijection) is its own. */

struct grouping {
    unsigned block, per_block, lo, hi, npat;
    const uint8_t (*pat)[5];
    unsigned sub; /* hash sub-tag of the patterns */
};

static const uint8_t oq_patterns[][5] = {
    {6, 7, 8, 9, 10}, {10, 9, 8, 7, 6},  {8, 8, 8, 8, 8},  {7, 10, 6, 9, 8},
    {9, 6, 10, 7, 8}, {10, 10, 6, 6, 8}, {6, 9, 7, 10, 8}, {8, 6, 9, 7, 10},
};
static const uint8_t nat_patterns[][5] = {
    {6, 7, 8}, {8, 7, 6}, {7, 7, 7}, {7, 8, 6}, {6, 8, 7}, {8, 6, 7}, {7, 6, 8},
};
static const struct grouping oq_grouping = {40, 5, 6, 10, 8, oq_patterns, 1};
static const struct grouping nat_grouping = {21, 3, 6, 8, 7, nat_patterns, 2};

/* The scripted actors' groups: SIM boxes of 8-16 cards (blocks of 24 split in two), agent
 * batches of 4-8 (blocks of 12), families of 2-3 (blocks of 5). Their patterns hash under
 * TAG_ACT (sub-tag in the grouping's sub + 0x80 marks it). */
static const uint8_t box_patterns[][5] = {{8, 16},  {9, 15},  {10, 14}, {11, 13}, {12, 12},
                                          {13, 11}, {14, 10}, {15, 9},  {16, 8}};
static const uint8_t batch_patterns[][5] = {{4, 8}, {5, 7}, {6, 6}, {7, 5}, {8, 4}};
static const uint8_t family_patterns[][5] = {{2, 3}, {3, 2}};
static const struct grouping box_grouping = {24, 2, 8, 16, 9, box_patterns, 0x80 | A_SIMBOX_PAT};
static const struct grouping batch_grouping = {12, 2, 4, 8, 5, batch_patterns, 0x80 | A_AGENT_PAT};
static const struct grouping family_grouping = {
    5, 2, 2, 3, 2, family_patterns, 0x80 | A_FAMILY_PAT};

static const struct grouping *act_grouping(unsigned act)
{
    return act == CW_SYNTH_A_SIMBOX          ? &box_grouping
           : act == CW_SYNTH_A_AGENT_BATCH   ? &batch_grouping
           : act == CW_SYNTH_A_FAMILY_DEVICE ? &family_grouping
                                             : NULL;
}

/* Hash sub-tags under TAG_GROUP. */
enum { G_OQ_PAT = 1, G_NAT_PAT, G_OQ, G_OQ_TIME, G_NAT };

static uint64_t ghash(const struct cw_synth_pop *p, unsigned sub, uint64_t idx)
{
    if (sub & 0x80)
        return cw_synth_act_hash(p, sub & 0x7f, idx);
    return cw_hash3(p->seed, (uint64_t)TAG_GROUP << 8 | sub, idx);
}

/* The groups of a last block of rem cards: ceil(rem / hi) of them, sizes as even as can be. */
static unsigned tail_groups(const struct grouping *gr, unsigned rem, unsigned sizes[8])
{
    unsigned k = (rem + gr->hi - 1) / gr->hi;
    for (unsigned i = 0; i < k; i++)
        sizes[i] = rem / k + (i < rem % k);
    return k;
}

/* The largest count <= n whose last block splits into groups of lo..hi cards. */
static uint64_t grouping_fit(const struct grouping *gr, uint64_t n)
{
    uint64_t rem = n % gr->block;
    while (rem && (rem + gr->hi - 1) / gr->hi * gr->lo > rem)
        rem--;
    return n - n % gr->block + rem;
}

static uint64_t grouping_count(const struct grouping *gr, uint64_t n)
{
    unsigned sizes[8];
    uint64_t rem = n % gr->block;
    return n / gr->block * gr->per_block + (rem ? tail_groups(gr, (unsigned)rem, sizes) : 0);
}

/* The group of the card at offset @p off (< n) among the n cards of a grouping: its number, the
 * card's position in it and its size. */
static void grouping_at(const struct cw_synth_pop *p, const struct grouping *gr, uint64_t n,
                        uint64_t off, uint64_t *g, unsigned *j, unsigned *size)
{
    uint64_t b = off / gr->block;
    unsigned w = (unsigned)(off % gr->block), sizes[8] = {0}, ng, k = 0;
    if (b < n / gr->block) {
        const uint8_t *pt = gr->pat[cw_hash_below(ghash(p, gr->sub, b), gr->npat)];
        for (ng = 0; ng < gr->per_block; ng++)
            sizes[ng] = pt[ng];
    } else {
        ng = tail_groups(gr, (unsigned)(n % gr->block), sizes);
    }
    while (k + 1 < ng && w >= sizes[k])
        w -= sizes[k++];
    *g = b * gr->per_block + k;
    *j = w;
    *size = sizes[k];
}

static uint64_t rate_count(double rate, uint64_t cards)
{
    uint64_t n = (uint64_t)floor(rate * (double)cards + 0.5);
    return n > cards ? cards : n;
}

static const char *const act_names[CW_SYNTH_NACT] = {
    "spam",    "fraud_content", "simbox",        "imei_hopping",  "agent_batch",
    "wangiri", "agent_batch",   "newyear",       "family_device", "phone_change",
    "caller",  "traveller",     "new_traveller",
};

/* The most packets (requests and responses) one actor of each category sends. */
static const unsigned act_max_packets[CW_SYNTH_NACT] = {300, 16, 84, 40, 12, 300, 24,
                                                        140, 16, 24, 50, 36, 24};

const char *cw_synth_act_name(unsigned act)
{
    return act < CW_SYNTH_NACT ? act_names[act] : NULL;
}

const char *cw_synth_act_label(unsigned act)
{
    return act == CW_SYNTH_A_AGENT_FAR ? "agent_far" : cw_synth_act_name(act);
}

static double act_rate(const struct cw_synth_opts *o, unsigned act)
{
    const double r[CW_SYNTH_NACT] = {
        o->spam_rate,          o->fraud_content_rate, o->simbox_rate,    o->imei_hopping_rate,
        o->agent_batch_rate,   o->wangiri_rate,       o->agent_far_rate, o->newyear_rate,
        o->family_device_rate, o->phone_change_rate,  o->caller_rate,    o->traveller_rate,
        o->new_traveller_rate};
    return r[act];
}

/* The scripted actors' counts: the rates, scaled down together so that their packets stay
 * within a quarter of the capture, whole groups; none without SIP. */
static void act_counts(struct cw_synth_pop *p, const struct cw_synth_opts *o, uint64_t used)
{
    uint64_t n[CW_SYNTH_NACT];
    double need = 0;
    for (unsigned k = 0; k < CW_SYNTH_NACT; k++) {
        n[k] = rate_count(act_rate(o, k), o->cards);
        need += (double)n[k] * act_max_packets[k];
    }
    double room = (double)(o->packets / 4), f = need > room ? room / need : 1.0;
    uint64_t first = used;
    for (unsigned k = 0; k < CW_SYNTH_NACT; k++) {
        uint64_t c = (uint64_t)floor((double)n[k] * f);
        if (!(cw_synth_protocols(o) & (1u << CW_SYNTH_SIP)))
            c = 0;
        if (c > o->cards - first)
            c = o->cards - first;
        const struct grouping *gr = act_grouping(k);
        if (gr) {
            c = grouping_fit(gr, c);
            p->act_groups[k] = grouping_count(gr, c);
        } else {
            p->act_groups[k] = c;
        }
        p->act[k] = c;
        p->act_first[k] = first;
        first += c;
    }
    p->act_first[CW_SYNTH_NACT] = first;
}

void cw_synth_act_group(const struct cw_synth_pop *p, unsigned act, uint64_t off, uint64_t *g,
                        unsigned *j, unsigned *size)
{
    const struct grouping *gr = act_grouping(act);
    if (!gr) {
        *g = off;
        *j = 0;
        *size = 1;
        return;
    }
    grouping_at(p, gr, p->act[act], off, g, j, size);
}

int cw_synth_act_of_rank(const struct cw_synth_pop *p, uint64_t rank, unsigned *act, uint64_t *off)
{
    if (rank < p->act_first[0] || rank >= p->act_first[CW_SYNTH_NACT])
        return 0;
    unsigned k = 0;
    while (rank >= p->act_first[k + 1])
        k++;
    *act = k;
    *off = rank - p->act_first[k];
    return 1;
}

int cw_synth_pop_init(struct cw_synth_pop *p, const struct cw_synth_opts *o)
{
    if (!p || !o || (o->protocols & ~CW_SYNTH_ALL) || o->cards < 1 ||
        o->cards > CW_SYNTH_MAX_CARDS || o->packets > CW_SYNTH_MAX_PACKETS ||
        !(o->black_rate >= 0.0 && o->black_rate <= 1.0) ||
        !(o->over_quota_rate >= 0.0 && o->over_quota_rate <= 1.0) ||
        !(o->national_rate >= 0.0 && o->national_rate <= 1.0))
        return CW_EINVAL;
    for (unsigned k = 0; k < CW_SYNTH_NACT; k++)
        if (!(act_rate(o, k) >= 0.0 && act_rate(o, k) <= 1.0))
            return CW_EINVAL;
    memset(p, 0, sizeof *p);
    p->seed = o->seed;
    p->cards = o->cards;
    uint64_t black = rate_count(o->black_rate, o->cards);
    /* Every black card must be seen sending: keep them to a tenth of the packets. */
    if (black > o->packets / 10)
        black = o->packets / 10;
    /* ... and only a protocol that carries SMS or calls can show them sending. */
    int sending = (cw_synth_protocols(o) & CW_SYNTH_SENDING) != 0;
    if (!sending)
        black = 0;
    p->black = black;
    /* Over-quota cards send too: they share the cap, black cards first. */
    uint64_t oq = rate_count(o->over_quota_rate, o->cards);
    if (oq > o->cards - black)
        oq = o->cards - black;
    if (oq > o->packets / 10 - black)
        oq = o->packets / 10 - black;
    if (!sending)
        oq = 0;
    p->over_quota = grouping_fit(&oq_grouping, oq);
    p->over_quota_ids = grouping_count(&oq_grouping, p->over_quota);
    uint64_t nat = rate_count(o->national_rate, o->cards);
    if (nat > o->cards - black - p->over_quota)
        nat = o->cards - black - p->over_quota;
    p->national = grouping_fit(&nat_grouping, nat);
    p->national_ids = grouping_count(&nat_grouping, p->national);
    act_counts(p, o, black + p->over_quota + p->national);
    uint64_t outlets = o->cards / 3100;
    p->outlets = outlets < 5 ? 5 : outlets > 9999 ? 9999 : outlets;
    p->bad_outlets = p->outlets / 16 ? p->outlets / 16 : 1;
    uint64_t id_space = (uint64_t)cw_idcard_region_count() * BIRTH_DAYS * SEQ_COUNT;
    cw_perm_init(&p->black_perm, o->cards, cw_hash3(o->seed, TAG_BLACK, 0));
    cw_perm_init(&p->msisdn_perm, HOME_SPACE, cw_hash3(o->seed, TAG_MSISDN, 0));
    cw_perm_init(&p->imsi_perm, IMSI_SPACE, cw_hash3(o->seed, TAG_IMSI, 0));
    cw_perm_init(&p->person_perm, o->cards, cw_hash3(o->seed, TAG_PERSON, 0));
    cw_perm_init(&p->id_perm, id_space, cw_hash3(o->seed, TAG_ID, 0));
    return 0;
}

/* Persons own 1-3 cards: the card slots (a permutation of the card indexes) are cut into
 * blocks of 6, and each block is split into persons by one of these patterns (the first slot
 * of the person that owns each of the 6 slots). */
static const uint8_t person_patterns[][6] = {
    {0, 1, 2, 3, 4, 5}, /* 1 1 1 1 1 1 */
    {0, 0, 2, 2, 4, 4}, /* 2 2 2 */
    {0, 1, 1, 3, 3, 3}, /* 1 2 3 */
    {0, 0, 0, 3, 4, 4}, /* 3 1 2 */
    {0, 0, 2, 3, 4, 4}, /* 2 1 1 2 */
    {0, 1, 2, 3, 3, 3}, /* 1 1 1 3 */
    {0, 0, 2, 3, 4, 5}, /* 2 1 1 1 1 */
    {0, 1, 2, 2, 4, 5}, /* 1 1 2 1 1 */
};
#define N_PATTERNS (sizeof person_patterns / sizeof person_patterns[0])

static uint64_t person_of(const struct cw_synth_pop *p, uint64_t index)
{
    uint64_t slot = cw_perm_fwd(&p->person_perm, index);
    uint64_t block = slot / 6;
    unsigned pat = (unsigned)cw_hash_below(cw_hash3(p->seed, TAG_PATTERN, block), N_PATTERNS);
    return block * 6 + person_patterns[pat][slot % 6];
}

/* The ID number of a person; *birth_day gets the birth date (days since the epoch). */
static void person_id(const struct cw_synth_pop *p, uint64_t person, char id[19],
                      int64_t *birth_day)
{
    uint64_t v = cw_perm_fwd(&p->id_perm, person);
    uint64_t nreg = cw_idcard_region_count();
    const char *region = cw_idcard_region_code_at((size_t)(v % nreg));
    v /= nreg;
    int64_t day = BIRTH_FIRST_DAY + (int64_t)(v % BIRTH_DAYS);
    unsigned seq = (unsigned)(v / BIRTH_DAYS) + 1;
    int y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(id, 19, "%.6s%04d%02u%02u%03u", region, y, m, d, seq);
    id[17] = cw_idcard_check_char(id);
    id[18] = 0;
    *birth_day = day;
}

int cw_synth_is_black(const struct cw_synth_pop *p, uint64_t index, uint64_t *rank)
{
    *rank = cw_perm_fwd(&p->black_perm, index);
    return *rank < p->black;
}

void cw_synth_msisdn(const struct cw_synth_pop *p, uint64_t index, char out[16])
{
    uint64_t slot = cw_perm_fwd(&p->msisdn_perm, index);
    snprintf(out, 16, "86%s%08llu", home_segments[slot / 100000000ull],
             (unsigned long long)(slot % 100000000ull));
}

int cw_synth_suspended(const struct cw_synth_pop *p, uint64_t index)
{
    uint64_t rank = cw_perm_fwd(&p->black_perm, index);
    if (rank < p->act_first[CW_SYNTH_NACT]) /* planted cards are all active */
        return 0;
    return cw_hash_unit(cw_hash3(p->seed, TAG_STATUS, index)) < 0.004;
}

/* ------------------------------------------------------------------------------------------ */
/* Outlets: OUT-<province>-0001 .. OUT-<province>-<outlets>. In each province a keyed
 * permutation of the outlet numbers picks the bad ones (rank < bad_outlets). */

static void outlet_perm(const struct cw_synth_pop *p, const char *prov2, struct cw_perm *perm)
{
    unsigned code = (unsigned)(prov2[0] - '0') * 10 + (unsigned)(prov2[1] - '0');
    cw_perm_init(perm, p->outlets, cw_hash3(p->seed, TAG_BADOUT, code));
}

int cw_synth_outlet_bad(const struct cw_synth_pop *p, const char *prov2, unsigned outlet)
{
    struct cw_perm perm;
    if (outlet < 1 || outlet > p->outlets)
        return 0;
    outlet_perm(p, prov2, &perm);
    return cw_perm_fwd(&perm, outlet - 1) < p->bad_outlets;
}

/* Bad outlet number @p k (< bad_outlets) of a province. */
static unsigned bad_outlet_at(const struct cw_synth_pop *p, const char *prov2, uint64_t k)
{
    struct cw_perm perm;
    outlet_perm(p, prov2, &perm);
    return (unsigned)cw_perm_inv(&perm, k) + 1;
}

/* An agent (a shop selling for the carrier) or one of its own halls: every bad outlet is an
 * agent, about half of the others are. */
static int outlet_agent(const struct cw_synth_pop *p, const char *prov2, unsigned outlet)
{
    unsigned code = (unsigned)(prov2[0] - '0') * 10 + (unsigned)(prov2[1] - '0');
    return cw_synth_outlet_bad(p, prov2, outlet) ||
           cw_hash_unit(cw_hash3(p->seed, TAG_OUTKIND, (uint64_t)code * 10000 + outlet)) < 0.5;
}

/* An ordinary card's outlet: any of its province's, bad ones included. */
static unsigned ordinary_outlet(const struct cw_synth_pop *p, uint64_t index)
{
    return (unsigned)(cw_hash3(p->seed, TAG_OUTLET, index) % p->outlets + 1);
}

static void set_outlet(struct cw_synth_card *c, unsigned outlet)
{
    snprintf(c->outlet, sizeof c->outlet, "OUT-%.2s-%04u", c->province, outlet % 10000);
}

/* ------------------------------------------------------------------------------------------ */
/* Cards. */

/* The carrier we play serves the mainland: the first provinces of the table (it lists Taiwan,
 * Hong Kong and Macau last), where its cards are registered and its outlets are. */
static size_t mainland_count(void)
{
    size_t n = 0;
    while (n < cw_province_count() && cw_province_code_at(n)[0] < '7')
        n++;
    return n;
}

size_t cw_synth_mainland_count(void)
{
    return mainland_count();
}

static size_t province_index(const char *prov2)
{
    for (size_t i = 0; i < cw_province_count(); i++)
        if (!memcmp(cw_province_code_at(i), prov2, 2))
            return i;
    return 0;
}

/* The earliest registration time of a person born on @p birth: 2015-01-01, or the 18th
 * birthday if later. */
static int64_t adult_from(int64_t birth)
{
    int y;
    unsigned m, d;
    civil_from_days(birth, &y, &m, &d);
    int64_t adult = days_from_civil(y + 18, m, m == 2 && d == 29 ? 28 : d) * 86400;
    int64_t lo = days_from_civil(2015, 1, 1) * 86400;
    return adult > lo ? adult : lo;
}

/* An ordinary registration time: between adult_from() and a week before the capture; 4 cards
 * in 10,000 in that last week (new cards are rare: a batch of them at one outlet stands out). */
static int64_t ordinary_time(const struct cw_synth_pop *p, uint64_t index, int64_t birth)
{
    int64_t lo = adult_from(birth), hi = (int64_t)CW_SYNTH_T0 - 1 - RECENT;
    uint64_t h = cw_hash3(p->seed, TAG_REGTIME, index);
    if (cw_hash_unit(cw_mix64(h)) < 0.0004)
        return hi + 1 + (int64_t)(h % RECENT);
    if (lo > hi)
        lo = hi;
    return lo + (int64_t)(h % (uint64_t)(hi - lo + 1));
}

/* 1 when a card of black rank @p rank would be registered in the old 15-digit form if its
 * person has it: ordinary cards, and black cards registered unverified to the person's ID. */
static int old_form_rank(const struct cw_synth_pop *p, uint64_t rank)
{
    if (rank < p->black)
        return rank % 3 == CW_SYNTH_BLACK_UNVERIFIED;
    return rank >= p->act_first[CW_SYNTH_NACT];
}

/* A card of an over-quota ID: the ID's own province, most cards at one bad outlet (where the
 * province has several, 30% of the groups put 2 or 3 at a second bad outlet), registered within
 * 1 to 48 hours. An ordinary outlet never registers them: one that did would be in on it. */
static void over_quota_card(const struct cw_synth_pop *p, uint64_t off, uint64_t index,
                            struct cw_synth_card *c)
{
    uint64_t g;
    unsigned j, size;
    grouping_at(p, &oq_grouping, p->over_quota, off, &g, &j, &size);
    c->kind = CW_SYNTH_OVER_QUOTA;
    c->group = g;
    int64_t birth;
    person_id(p, p->cards + g, c->id_number, &birth);
    memcpy(c->province, c->id_number, 2);
    uint64_t h = ghash(p, G_OQ, g), h2 = cw_mix64(h), h3 = cw_mix64(h2);
    uint64_t k = h % p->bad_outlets;
    unsigned outlet = bad_outlet_at(p, c->province, k);
    unsigned nsplit = 2 + (size >= 8 && (h2 & 1));
    if (p->bad_outlets > 1 && cw_hash_unit(h) < 0.3 && j >= size - nsplit)
        outlet =
            bad_outlet_at(p, c->province, (k + 1 + h2 % (p->bad_outlets - 1)) % p->bad_outlets);
    set_outlet(c, outlet);
    /* the burst: the first card at base, the last at base + span, the others in between */
    int64_t lo = adult_from(birth), hi = (int64_t)CW_SYNTH_T0 - 1 - 48 * 3600;
    if (lo > hi)
        lo = hi;
    int64_t base = lo + (int64_t)(h3 % (uint64_t)(hi - lo + 1));
    int64_t span = 3600 * (int64_t)(1 + (h3 >> 32) % 48);
    int64_t at = j == 0          ? 0
                 : j == size - 1 ? span
                                 : (int64_t)(ghash(p, G_OQ_TIME, index) % (uint64_t)(span + 1));
    fmt_iso(base + at, c->registered_at);
}

/* A card of a nationwide over-limit ID: the group's cards dealt over 2 or 3 mainland provinces
 * (the ID's own first), so at most 4 in any one; ordinary outlets, ordinary times. */
static void national_card(const struct cw_synth_pop *p, uint64_t off, uint64_t index,
                          struct cw_synth_card *c)
{
    uint64_t g;
    unsigned j, size;
    grouping_at(p, &nat_grouping, p->national, off, &g, &j, &size);
    c->kind = CW_SYNTH_NATIONAL;
    c->group = g;
    int64_t birth;
    person_id(p, p->cards + p->over_quota_ids + g, c->id_number, &birth);
    uint64_t h = ghash(p, G_NAT, g);
    size_t n = mainland_count(), prov[3];
    unsigned nprov = 2 + (unsigned)(h & 1);
    prov[0] = province_index(c->id_number);
    prov[1] = (prov[0] + 1 + (h >> 8) % (n - 1)) % n;
    prov[2] = (prov[0] + 1 + (h >> 32) % (n - 1)) % n;
    while (prov[2] == prov[0] || prov[2] == prov[1])
        prov[2] = (prov[2] + 1) % n;
    memcpy(c->province, cw_province_code_at(prov[j % nprov]), 2);
    set_outlet(c, ordinary_outlet(p, index));
    fmt_iso(ordinary_time(p, index, birth), c->registered_at);
}

/* An agent outlet of a province from a hash: not a bad one when the province has others. */
static unsigned agent_outlet(const struct cw_synth_pop *p, const char *prov2, uint64_t h)
{
    unsigned first = (unsigned)(h % p->outlets), outlet = first + 1, any = 0;
    for (unsigned i = 0; i < p->outlets; i++) {
        unsigned o = (first + i) % (unsigned)p->outlets + 1;
        if (!outlet_agent(p, prov2, o))
            continue;
        if (!any)
            any = o;
        if (!cw_synth_outlet_bad(p, prov2, o)) {
            any = o;
            break;
        }
    }
    return any ? any : outlet;
}

/* Province index @p from plus 1 to n-1 (from a hash): another mainland province. */
static size_t other_province(size_t from, uint64_t h)
{
    size_t n = mainland_count();
    return (from + 1 + (size_t)(h % (n - 1))) % n;
}

/* agent_far: the ID's province b (an index), the registration province *a and the province *c
 * where the card is used, all three distinct. */
static void far_provinces(const struct cw_synth_pop *p, uint64_t off, size_t b, size_t *a,
                          size_t *c)
{
    uint64_t h = cw_synth_act_hash(p, A_FAR_REG, off);
    size_t n = mainland_count();
    *a = other_province(b, h);
    *c = other_province(b, h >> 16);
    while (*c == *a || *c == b)
        *c = (*c + 1) % n;
}

/* The person of agent_far actor @p off: one of its own, above every other person. */
static uint64_t far_person(const struct cw_synth_pop *p, uint64_t off)
{
    return p->cards + p->over_quota_ids + p->national_ids + off;
}

/* A scripted actor: an ordinary card of an ordinary person, except
 *   - an agent batch's, registered at one agent outlet of the batch's province (not a bad one
 *     when the province has others) within a few minutes, 1 to 3 days before the capture;
 *   - a SIM box's, registered in the box's province (its one cell is there);
 *   - agent_far: a person of its own whose ID is of province B, registered at an agent outlet
 *     of another province A 1 to 20 days before the capture;
 *   - traveller: registered in its ID's province more than 30 days before the capture;
 *   - new_traveller: registered in its ID's province 1 to 7 days before the capture. */
static void actor_card(const struct cw_synth_pop *p, unsigned act, uint64_t off, uint64_t index,
                       struct cw_synth_card *c)
{
    unsigned j, size;
    c->kind = CW_SYNTH_ACTOR;
    c->act = (int)act;
    cw_synth_act_group(p, act, off, &c->group, &j, &size);
    switch (act) {
    case CW_SYNTH_A_AGENT_BATCH: {
        uint64_t h = cw_synth_act_hash(p, A_AGENT_REG, c->group);
        memcpy(c->province, cw_province_code_at((size_t)(h % mainland_count())), 2);
        set_outlet(c, agent_outlet(p, c->province, h >> 16));
        int64_t base = (int64_t)CW_SYNTH_T0 - 86400 - (int64_t)((h >> 32) % (2 * 86400 - 1800));
        uint64_t ht = cw_synth_act_hash(p, A_AGENT_TIME, index);
        fmt_iso(base + (int64_t)j * 25 + (int64_t)(ht % 20), c->registered_at);
        break;
    }
    case CW_SYNTH_A_SIMBOX: {
        uint64_t h = cw_synth_act_hash(p, A_BOX_PROV, c->group);
        memcpy(c->province, cw_province_code_at((size_t)(h % mainland_count())), 2);
        set_outlet(c, ordinary_outlet(p, index));
        break;
    }
    case CW_SYNTH_A_AGENT_FAR: {
        int64_t birth;
        size_t a, cc;
        person_id(p, far_person(p, off), c->id_number, &birth);
        far_provinces(p, off, province_index(c->id_number), &a, &cc);
        memcpy(c->province, cw_province_code_at(a), 2);
        uint64_t h = cw_mix64(cw_synth_act_hash(p, A_FAR_REG, off));
        set_outlet(c, agent_outlet(p, c->province, h));
        fmt_iso((int64_t)CW_SYNTH_T0 - 86400 - (int64_t)((h >> 32) % (19 * 86400)),
                c->registered_at);
        break;
    }
    case CW_SYNTH_A_TRAVELLER:
    case CW_SYNTH_A_NEW_TRAVELLER: {
        memcpy(c->province, c->id_number, 2);
        set_outlet(c, ordinary_outlet(p, index));
        uint64_t h = cw_synth_act_hash(p, A_TRAVEL, index);
        if (act == CW_SYNTH_A_NEW_TRAVELLER) {
            fmt_iso((int64_t)CW_SYNTH_T0 - 86400 - (int64_t)(h % (6 * 86400)), c->registered_at);
        } else if (iso_after(c->registered_at, (int64_t)CW_SYNTH_T0 - 31 * 86400)) {
            /* ordinary times end a week before the capture: these are older (people born
             * before 2007 could register before 2025) */
            fmt_iso((int64_t)CW_SYNTH_T0 - 31 * 86400 - (int64_t)(h % (60 * 86400)),
                    c->registered_at);
        }
        break;
    }
    default: break;
    }
}

void cw_synth_act_away(const struct cw_synth_pop *p, unsigned act, uint64_t off, char prov[3])
{
    prov[0] = 0;
    if (act == CW_SYNTH_A_AGENT_FAR) {
        char id[19];
        int64_t birth;
        size_t a, c;
        person_id(p, far_person(p, off), id, &birth);
        far_provinces(p, off, province_index(id), &a, &c);
        memcpy(prov, cw_province_code_at(c), 3);
    } else if (act == CW_SYNTH_A_TRAVELLER || act == CW_SYNTH_A_NEW_TRAVELLER) {
        struct cw_synth_card card;
        uint64_t index = cw_synth_act_card(p, act, off);
        cw_synth_card_get(p, index, &card);
        uint64_t h = cw_mix64(cw_synth_act_hash(p, A_TRAVEL, index));
        memcpy(prov, cw_province_code_at(other_province(province_index(card.province), h)), 3);
    }
}

void cw_synth_card_get(const struct cw_synth_pop *p, uint64_t index, struct cw_synth_card *c)
{
    memset(c, 0, sizeof *c);
    c->index = index;
    c->act = -1;
    uint64_t rank = cw_perm_fwd(&p->black_perm, index);
    cw_synth_msisdn(p, index, c->msisdn);
    snprintf(c->imsi, sizeof c->imsi, "46000%010llu",
             (unsigned long long)(cw_perm_fwd(&p->imsi_perm, index) % IMSI_SPACE));
    c->registered = 1;
    c->verified = 1;
    if (rank >= p->black && rank - p->black < p->over_quota) {
        over_quota_card(p, rank - p->black, index, c);
    } else if (rank >= p->black + p->over_quota && rank - p->black - p->over_quota < p->national) {
        national_card(p, rank - p->black - p->over_quota, index, c);
    } else {
        c->kind = rank < p->black ? CW_SYNTH_BLACK : CW_SYNTH_NORMAL;
        c->black = c->kind == CW_SYNTH_BLACK;
        c->suspended = cw_synth_suspended(p, index);
        int64_t birth;
        uint64_t person = person_of(p, index);
        person_id(p, person, c->id_number, &birth);
        /* Usually registered in the ID's own province; some people register where they work. */
        uint64_t h = cw_hash3(p->seed, TAG_PROV, index);
        if (cw_hash_unit(h) < 0.9) {
            memcpy(c->province, c->id_number, 2);
        } else {
            const char *pc = cw_province_code_at((size_t)((h >> 8) % mainland_count()));
            memcpy(c->province, pc, 2);
        }
        unsigned outlet = ordinary_outlet(p, index);
        if (c->black) {
            /* A third of the black cards were never registered, a third were registered
             * without the real-name check, a third on an ID number with a wrong check
             * character; the registered ones mostly at one of their province's bad outlets. */
            uint64_t hb = cw_hash3(p->seed, TAG_BLACKREG, index);
            c->black_kind = (int)(rank % 3);
            c->registered = c->black_kind != CW_SYNTH_BLACK_UNREGISTERED;
            c->verified = c->black_kind != CW_SYNTH_BLACK_UNVERIFIED;
            if (c->black_kind == CW_SYNTH_BLACK_INVALID_ID) {
                static const char checks[] = "0123456789X";
                const char *at = strchr(checks, c->id_number[17]);
                size_t k = at ? (size_t)(at - checks) : 0;
                c->id_number[17] = checks[(k + 1 + (hb >> 40) % 10) % 11];
            }
            if (cw_hash_unit(hb) < 0.7)
                outlet = bad_outlet_at(p, c->province, (hb >> 8) % p->bad_outlets);
        }
        set_outlet(c, outlet);
        fmt_iso(ordinary_time(p, index, birth), c->registered_at);
        unsigned act;
        uint64_t off;
        if (!c->black && cw_synth_act_of_rank(p, rank, &act, &off))
            actor_card(p, act, off, index, c);
        /* Some people born before 1980 still have their old 15-digit ID number on file (on
         * their cards, and on a black card registered unverified to their ID). */
        int y;
        unsigned m, d;
        civil_from_days(birth, &y, &m, &d);
        if (old_form_rank(p, rank) && y < 1980 &&
            cw_hash_unit(cw_hash3(p->seed, TAG_ID15, person)) < 0.01) {
            memcpy(c->id_registered, c->id_number, 6);
            memcpy(c->id_registered + 6, c->id_number + 8, 9);
            c->id_registered[15] = 0;
        }
    }
    if (!c->id_registered[0])
        memcpy(c->id_registered, c->id_number, sizeof c->id_registered);
    c->province[2] = 0;
    c->bad_outlet = cw_synth_outlet_bad(p, c->province, (unsigned)atoi(c->outlet + 7));
}

void cw_synth_card_province(const struct cw_synth_pop *p, uint64_t index, char prov[3])
{
    uint64_t rank = cw_perm_fwd(&p->black_perm, index);
    if (rank >= p->black && rank < p->act_first[CW_SYNTH_NACT]) {
        /* a planted group's or an actor's card: the whole card */
        struct cw_synth_card c;
        cw_synth_card_get(p, index, &c);
        memcpy(prov, c.province, 3);
        return;
    }
    /* as cw_synth_card_get does for black and ordinary cards */
    uint64_t h = cw_hash3(p->seed, TAG_PROV, index);
    if (cw_hash_unit(h) < 0.9) {
        uint64_t v = cw_perm_fwd(&p->id_perm, person_of(p, index));
        memcpy(prov, cw_idcard_region_code_at((size_t)(v % cw_idcard_region_count())), 2);
    } else {
        memcpy(prov, cw_province_code_at((size_t)((h >> 8) % mainland_count())), 2);
    }
    prov[2] = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Output files. */

struct outfile {
    char path[4096], tmp[4096];
    FILE *f;
    char *buf;
};

void cw_synth_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
}

static int out_open(struct outfile *o, const char *dir, const char *name, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if ((size_t)snprintf(o->path, sizeof o->path, "%s/%s", dir, name) >= sizeof o->path ||
        (size_t)snprintf(o->tmp, sizeof o->tmp, "%s/.%s.tmp", dir, name) >= sizeof o->tmp) {
        cw_synth_set_err(err, errlen, "%s: path too long", dir);
        return CW_EINVAL;
    }
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        cw_synth_set_err(err, errlen, "%s: %s", o->tmp, strerror(errno));
        return CW_EIO;
    }
    o->buf = malloc(1u << 20);
    if (o->buf)
        setvbuf(o->f, o->buf, _IOFBF, 1u << 20);
    return 0;
}

/* Close; on success rename into place. Returns 0 or CW_EIO (then the file is removed). */
static int out_close(struct outfile *o, int ok, char *err, size_t errlen)
{
    if (!o->f)
        return 0;
    int bad = ferror(o->f) != 0;
    int e = errno;
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    o->f = NULL;
    free(o->buf);
    o->buf = NULL;
    if (ok && !bad && rename(o->tmp, o->path) != 0) {
        bad = 1;
        e = errno;
    }
    if (!ok || bad) {
        unlink(o->tmp);
        if (ok)
            cw_synth_set_err(err, errlen, "%s: %s", o->path, strerror(e ? e : EIO));
        return ok ? CW_EIO : 0;
    }
    return 0;
}

static int mkdir_p(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path) {
        cw_synth_set_err(err, errlen, "output directory name is empty or too long");
        return CW_EINVAL;
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0)
            continue;
        char c = path[i];
        path[i] = 0;
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            cw_synth_set_err(err, errlen, "%s: cannot create directory: %s", path, strerror(errno));
            return CW_EIO;
        }
        path[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cw_synth_set_err(err, errlen, "%s: not a directory", dir);
        return CW_EIO;
    }
    return 0;
}

static int write_ranges(const char *dir, char *err, size_t errlen)
{
    struct outfile o;
    int rc = out_open(&o, dir, "ranges.csv", err, errlen);
    if (rc)
        return rc;
    fputs("prefix,operator,province\n", o.f);
    for (size_t i = 0; i < N_HOME_SEG; i++)
        fprintf(o.f, "86%s,CMCC,\n", home_segments[i]);
    return out_close(&o, 1, err, errlen);
}

static int write_outlets(const struct cw_synth_pop *p, const char *dir, struct cw_synth_stats *st,
                         char *err, size_t errlen)
{
    struct outfile o;
    int rc = out_open(&o, dir, "outlets.csv", err, errlen);
    if (rc)
        return rc;
    fputs("outlet,province,kind,name\n", o.f);
    for (size_t i = 0; i < mainland_count(); i++) {
        const char *prov = cw_province_code_at(i), *name = cw_province_name(prov);
        for (unsigned k = 1; k <= p->outlets; k++) {
            int agent = outlet_agent(p, prov, k);
            fprintf(o.f, "OUT-%s-%04u,%s,%s,%s %04u (%s)\n", prov, k, prov, agent ? "agent" : "own",
                    agent ? "CMCC Agent" : "China Mobile Hall", k, name);
            st->outlets++;
        }
    }
    return out_close(&o, 1, err, errlen);
}

/* cells.csv: the province of the cells, by the first two hex digits of the ECI (its top 8
 * bits: the province code's number). */
static int write_cells(const char *dir, char *err, size_t errlen)
{
    struct outfile o;
    int rc = out_open(&o, dir, "cells.csv", err, errlen);
    if (rc)
        return rc;
    fputs("cell_prefix,province\n", o.f);
    for (size_t i = 0; i < mainland_count(); i++) {
        const char *prov = cw_province_code_at(i);
        fprintf(o.f, "46000-%02x,%s\n", cw_synth_prov_num(prov), prov);
    }
    return out_close(&o, 1, err, errlen);
}

/* 1 when card @p index registers its person's ID in the 15-digit form and no card of the
 * person at an earlier slot does: counts each such ID once. */
static int first_15digit_card(const struct cw_synth_pop *p, uint64_t index)
{
    uint64_t slot = cw_perm_fwd(&p->person_perm, index), person = person_of(p, index);
    for (uint64_t s = person; s < slot; s++) {
        uint64_t other = cw_perm_inv(&p->person_perm, s);
        if (old_form_rank(p, cw_perm_fwd(&p->black_perm, other)))
            return 0; /* a card of the same person came first */
    }
    return 1;
}

static const char *category_name(int kind)
{
    switch (kind) {
    case CW_SYNTH_BLACK: return "black_card";
    case CW_SYNTH_OVER_QUOTA: return "over_quota";
    case CW_SYNTH_NATIONAL: return "over_national";
    default: return NULL;
    }
}

static const char *card_category(const struct cw_synth_card *c)
{
    return c->kind == CW_SYNTH_ACTOR ? cw_synth_act_name((unsigned)c->act) : category_name(c->kind);
}

static const char *card_scope(const struct cw_synth_card *c)
{
    if (c->kind == CW_SYNTH_NATIONAL)
        return "registry";
    if (c->kind == CW_SYNTH_ACTOR && c->act >= CW_SYNTH_A_FIRST_NORMAL)
        return "normal";
    return "traffic";
}

static int write_registry(const struct cw_synth_pop *p, const struct cw_synth_opts *o,
                          const char *dir, struct cw_synth_stats *st, char *err, size_t errlen)
{
    struct outfile reg, truth;
    int rc = out_open(&reg, dir, "registry.csv", err, errlen);
    if (rc)
        return rc;
    rc = out_open(&truth, dir, "truth.csv", err, errlen);
    if (rc) {
        out_close(&reg, 0, NULL, 0);
        return rc;
    }
    fputs("msisdn,imsi,id_number,province,status,verified,outlet,registered_at\n", reg.f);
    fputs("msisdn,imsi,category,scope,id_number,outlet\n", truth.f);
    struct cw_synth_card c;
    for (uint64_t i = 0; i < p->cards; i++) {
        if (o->progress && (i & 0xffff) == 0xffff)
            o->progress(o->progress_user, "cards", i, p->cards);
        cw_synth_card_get(p, i, &c);
        const char *cat = card_category(&c);
        if (cat)
            fprintf(truth.f, "%s,%s,%s,%s,%s,%s\n", c.msisdn, c.imsi, cat, card_scope(&c),
                    c.registered ? c.id_number : "", c.registered ? c.outlet : "");
        if (c.kind == CW_SYNTH_ACTOR)
            st->act_cards[c.act]++;
        if (c.black) {
            st->black_cards++;
            if (c.black_kind == CW_SYNTH_BLACK_UNREGISTERED)
                st->black_unregistered++;
            else if (c.black_kind == CW_SYNTH_BLACK_UNVERIFIED)
                st->black_unverified++;
            else
                st->black_invalid_id++;
        }
        st->over_quota_cards += c.kind == CW_SYNTH_OVER_QUOTA;
        st->national_cards += c.kind == CW_SYNTH_NATIONAL;
        if (c.suspended)
            st->suspended++;
        if (!c.registered)
            continue;
        if (strlen(c.id_registered) == 15 && first_15digit_card(p, i))
            st->ids_15digit++;
        fprintf(reg.f, "%s,%s,%s,%s,%s,%d,%s,%s\n", c.msisdn, c.imsi, c.id_registered, c.province,
                c.suspended ? "suspended" : "active", c.verified, c.outlet, c.registered_at);
        st->registry_rows++;
        /* A full disk shows early instead of after the whole population. */
        if ((i & 0xffff) == 0 && (ferror(reg.f) || ferror(truth.f)))
            break;
    }
    /* The bad outlets, province by province. */
    for (size_t k = 0; k < mainland_count(); k++) {
        const char *prov = cw_province_code_at(k);
        for (unsigned n = 1; n <= p->outlets; n++)
            if (cw_synth_outlet_bad(p, prov, n)) {
                fprintf(truth.f, ",,agent_outlet,registry,,OUT-%s-%04u\n", prov, n);
                st->bad_outlets++;
            }
    }
    st->over_quota_ids = p->over_quota_ids;
    st->national_ids = p->national_ids;
    for (unsigned k = 0; k < CW_SYNTH_NACT; k++)
        st->act_groups[k] = act_grouping(k) ? p->act_groups[k] : 0;
    rc = out_close(&reg, 1, err, errlen);
    if (rc) {
        out_close(&truth, 0, NULL, 0);
        return rc;
    }
    rc = out_close(&truth, 1, err, errlen);
    if (!rc && o->progress)
        o->progress(o->progress_user, "cards", p->cards, p->cards);
    return rc;
}

int cw_synth_run(const struct cw_synth_opts *o, struct cw_synth_stats *st, char *err, size_t errlen)
{
    struct cw_synth_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (err && errlen)
        err[0] = 0;
    struct cw_synth_pop pop;
    if (!o || !o->out_dir) {
        cw_synth_set_err(err, errlen, "no output directory");
        return CW_EINVAL;
    }
    if (cw_synth_pop_init(&pop, o) != 0) {
        cw_synth_set_err(
            err, errlen, "bad options: cards must be 1..%llu, packets 0..%llu, rates 0..1",
            (unsigned long long)CW_SYNTH_MAX_CARDS, (unsigned long long)CW_SYNTH_MAX_PACKETS);
        return CW_EINVAL;
    }
    int rc = mkdir_p(o->out_dir, err, errlen);
    if (rc)
        return rc;
    st->cards = o->cards;
    rc = write_ranges(o->out_dir, err, errlen);
    if (rc)
        return rc;
    st->files++;
    rc = write_outlets(&pop, o->out_dir, st, err, errlen);
    if (rc)
        return rc;
    st->files++;
    rc = write_cells(o->out_dir, err, errlen);
    if (rc)
        return rc;
    st->files++;
    rc = write_registry(&pop, o, o->out_dir, st, err, errlen);
    if (rc)
        return rc;
    st->files += 2;
    char path[4096], tmp[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/traffic.pcap", o->out_dir) >= sizeof path ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.traffic.pcap.tmp", o->out_dir) >= sizeof tmp) {
        cw_synth_set_err(err, errlen, "%s: path too long", o->out_dir);
        return CW_EINVAL;
    }
    rc = cw_synth_write_traffic(&pop, o, path, tmp, st, err, errlen);
    if (rc)
        return rc;
    st->files++;
    return 0;
}
