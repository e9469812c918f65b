/* synth.c - deterministic synthetic population, registry, ground truth and SIP traffic.
 *
 * Every card is a pure function of (seed, index): keyed Feistel permutations (rng.h) map the
 * index to its MSISDN slot, its IMSI, its black rank and its person; the person maps
 * bijectively to an ID number (region, birth date, sequence), so no two persons share one.
 * The traffic is one sequential xoshiro256** stream; the only state kept across packets is a
 * small queue of requests waiting for their 200 OK. Formats: docs/synth.md.
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
#include "synth/pcapw.h"
#include "synth/pktbuild.h"
#include "util/error.h"

/* Hash tags: one independent stream per purpose. */
enum {
    TAG_BLACK = 1,
    TAG_MSISDN,
    TAG_IMSI,
    TAG_PERSON,
    TAG_ID,
    TAG_PATTERN,
    TAG_PROV,
    TAG_STATUS,
    TAG_OUTLET,
    TAG_REGTIME,
    TAG_NODE,
    TAG_TRAFFIC,
};

/* China Mobile's home segments (the carrier we play), then other operators' segments. */
static const char *const home_segments[] = {
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152",
    "157", "158", "159", "182", "183", "184", "187", "188", "198",
};
#define N_HOME_SEG (sizeof home_segments / sizeof home_segments[0])
#define HOME_SPACE ((uint64_t)N_HOME_SEG * 100000000ull)

static const char *const unicom_segments[] = {"130", "131", "132", "155", "156", "185", "186"};
static const char *const telecom_segments[] = {"133", "153", "180", "181", "189"};

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
    snprintf(out, 24, "%04d-%02u-%02uT%02u:%02u:%02uZ", y, m, d, (unsigned)(sec / 3600),
             (unsigned)(sec / 60 % 60), (unsigned)(sec % 60));
}

/* Birth dates 1950-01-01 .. 2006-12-31. */
#define BIRTH_FIRST_DAY days_from_civil(1950, 1, 1)
#define BIRTH_DAYS ((uint64_t)(days_from_civil(2007, 1, 1) - BIRTH_FIRST_DAY))

/* ------------------------------------------------------------------------------------------ */
/* The population. */

int cw_synth_pop_init(struct cw_synth_pop *p, const struct cw_synth_opts *o)
{
    if (!p || !o || o->cards < 1 || o->cards > CW_SYNTH_MAX_CARDS ||
        o->packets > CW_SYNTH_MAX_PACKETS || !(o->black_rate >= 0.0 && o->black_rate <= 1.0))
        return CW_EINVAL;
    memset(p, 0, sizeof *p);
    p->seed = o->seed;
    p->cards = o->cards;
    uint64_t black = (uint64_t)floor(o->black_rate * (double)o->cards + 0.5);
    if (black > o->cards)
        black = o->cards;
    /* Every black card must be seen sending: keep them to a tenth of the packets. */
    if (black > o->packets / 10)
        black = o->packets / 10;
    p->black = black;
    uint64_t outlets = o->cards / 3100;
    p->outlets = outlets < 5 ? 5 : outlets > 9999 ? 9999 : outlets;
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

static int is_black_rank(const struct cw_synth_pop *p, uint64_t index, uint64_t *rank)
{
    *rank = cw_perm_fwd(&p->black_perm, index);
    return *rank < p->black;
}

static void card_msisdn(const struct cw_synth_pop *p, uint64_t index, char out[16])
{
    uint64_t slot = cw_perm_fwd(&p->msisdn_perm, index);
    snprintf(out, 16, "86%s%08llu", home_segments[slot / 100000000ull],
             (unsigned long long)(slot % 100000000ull));
}

static int card_suspended(const struct cw_synth_pop *p, uint64_t index)
{
    uint64_t rank;
    if (is_black_rank(p, index, &rank))
        return 0;
    return cw_hash_unit(cw_hash3(p->seed, TAG_STATUS, index)) < 0.004;
}

void cw_synth_card_get(const struct cw_synth_pop *p, uint64_t index, struct cw_synth_card *c)
{
    memset(c, 0, sizeof *c);
    c->index = index;
    uint64_t rank;
    c->black = is_black_rank(p, index, &rank);
    /* Half the black cards (even ranks) were never registered; the others were registered
     * without the real-name check. */
    c->registered = !c->black || (rank & 1);
    c->verified = !c->black;
    c->suspended = card_suspended(p, index);
    card_msisdn(p, index, c->msisdn);
    snprintf(c->imsi, sizeof c->imsi, "46000%010llu",
             (unsigned long long)(cw_perm_fwd(&p->imsi_perm, index) % IMSI_SPACE));
    int64_t birth;
    person_id(p, person_of(p, index), c->id_number, &birth);
    /* Usually registered in the ID's own province; some people register where they work. */
    uint64_t h = cw_hash3(p->seed, TAG_PROV, index);
    if (cw_hash_unit(h) < 0.9) {
        memcpy(c->province, c->id_number, 2);
    } else {
        const char *pc = cw_province_code_at((size_t)((h >> 8) % cw_province_count()));
        memcpy(c->province, pc, 2);
    }
    c->province[2] = 0;
    unsigned outlet = (unsigned)(cw_hash3(p->seed, TAG_OUTLET, index) % p->outlets + 1) % 10000;
    snprintf(c->outlet, sizeof c->outlet, "OUT-%.2s-%04u", c->province, outlet);
    /* Registered at 18 or older, between 2015-01-01 and the end of 2026-02-28. */
    int y;
    unsigned m, d;
    civil_from_days(birth, &y, &m, &d);
    int64_t adult = days_from_civil(y + 18, m, m == 2 && d == 29 ? 28 : d) * 86400;
    int64_t lo = days_from_civil(2015, 1, 1) * 86400;
    int64_t hi = (int64_t)CW_SYNTH_T0 - 1;
    if (adult > lo)
        lo = adult;
    int64_t t = lo + (int64_t)(cw_hash3(p->seed, TAG_REGTIME, index) % (uint64_t)(hi - lo + 1));
    fmt_iso(t, c->registered_at);
}

/* ------------------------------------------------------------------------------------------ */
/* Output files. */

struct outfile {
    char path[4096], tmp[4096];
    FILE *f;
    char *buf;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
}

static int out_open(struct outfile *o, const char *dir, const char *name, char *err,
                    size_t errlen)
{
    memset(o, 0, sizeof *o);
    if ((size_t)snprintf(o->path, sizeof o->path, "%s/%s", dir, name) >= sizeof o->path ||
        (size_t)snprintf(o->tmp, sizeof o->tmp, "%s/.%s.tmp", dir, name) >= sizeof o->tmp) {
        set_err(err, errlen, "%s: path too long", dir);
        return CW_EINVAL;
    }
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        set_err(err, errlen, "%s: %s", o->tmp, strerror(errno));
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
            set_err(err, errlen, "%s: %s", o->path, strerror(e ? e : EIO));
        return ok ? CW_EIO : 0;
    }
    return 0;
}

static int mkdir_p(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path) {
        set_err(err, errlen, "output directory name is empty or too long");
        return CW_EINVAL;
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0)
            continue;
        char c = path[i];
        path[i] = 0;
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            set_err(err, errlen, "%s: cannot create directory: %s", path, strerror(errno));
            return CW_EIO;
        }
        path[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s: not a directory", dir);
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
    fputs("msisdn,imsi,category\n", truth.f);
    struct cw_synth_card c;
    for (uint64_t i = 0; i < p->cards; i++) {
        if (o->progress && (i & 0xffff) == 0xffff)
            o->progress(o->progress_user, "cards", i, p->cards);
        cw_synth_card_get(p, i, &c);
        if (c.black) {
            fprintf(truth.f, "%s,%s,black_card\n", c.msisdn, c.imsi);
            st->black_cards++;
            if (c.registered)
                st->black_unverified++;
            else
                st->black_unregistered++;
        }
        if (c.suspended)
            st->suspended++;
        if (!c.registered)
            continue;
        fprintf(reg.f, "%s,%s,%s,%s,%s,%d,%s,%s\n", c.msisdn, c.imsi, c.id_number, c.province,
                c.suspended ? "suspended" : "active", c.verified, c.outlet, c.registered_at);
        st->registry_rows++;
        /* A full disk shows early instead of after the whole population. */
        if ((i & 0xffff) == 0 && (ferror(reg.f) || ferror(truth.f)))
            break;
    }
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

/* ------------------------------------------------------------------------------------------ */
/* Traffic. */

enum party_kind { PK_HOME, PK_OFFNET, PK_FOREIGN };

struct party {
    char num[20]; /* international digits, no '+' */
    uint8_t kind; /* enum party_kind */
    uint8_t op;   /* 0 home carrier, 1 Unicom, 2 Telecom, 3 foreign */
    uint8_t node; /* the network element it is attached to */
};

struct txn {
    uint64_t due; /* packet number at which its 200 OK is sent */
    uint64_t from_tag, to_tag, call_id, branch, sess;
    uint32_t cseq, text_arg;
    uint16_t media_port, text;
    uint8_t invite, ruri_form, from_form, to_form, pai, style, from_dn, to_dn, spam;
    struct party from, to;
};

#define QUEUE_CAP 32

struct traffic {
    const struct cw_synth_pop *pop;
    struct cw_rng rng;
    struct cw_pcapw *w;
    uint64_t ts_us;
    uint16_t ip_id;
    struct txn queue[QUEUE_CAP];
    unsigned q_head, q_len;
    uint64_t last_due;
    /* black cards' first requests: black card k goes at request floor(k * W / B) */
    uint64_t next_black, next_black_req, bq, br, bacc;
    double p_black;
    char payload[4096], body[2048];
    uint8_t frame[4200];
};

static const char *const domains[] = {
    "ims.mnc000.mcc460.3gppnetwork.org", /* home */
    "ims.mnc001.mcc460.3gppnetwork.org", /* Unicom */
    "ims.mnc011.mcc460.3gppnetwork.org", /* Telecom */
    "ims.example.net",                   /* foreign visitors' home networks */
};

/* Display names: none, quoted, quoted UTF-8, a token, an escaped quote, an empty string.
 * Placeholder names only (Xiao Ming and Li Hua are the textbook stand-ins). */
static const char *const display_names[] = {
    "", "\"Xiao Ming\" ", "\"\xe5\xb0\x8f\xe6\x98\x8e\" ", "\"Li Hua\" ", "Alice ",
    "\"Office Phone\" ", "\"Ming \\\"Mike\\\" Li\" ", "\"\xe6\x9d\x8e\xe5\x8d\x8e\" ", "\"\" ",
};
#define N_DN (sizeof display_names / sizeof display_names[0])

/* Message texts: printf formats given two unsigned arguments, which each uses or not. */
static const char *const normal_texts[] = {
    "Running about %u minutes late, sorry!",
    "Dinner at 7? I will book a table.",
    "Meeting moved to %u:00 tomorrow.",
    "Call me back when you are free.",
    "OK, see you at the station.",
    "Happy birthday! Have a great day.",
    "Did you get home safely?",
    "The parcel number is %u, can you pick it up?",
    "我晚点到，大概%u分钟。",
    "今晚一起吃饭吗？",
    "会议改到明天下午%u点。",
    "收到，谢谢！",
    "生日快乐！🎂",
    "到家了吗？",
    "好的👍",
    "周末去爬山吧，早上%u点出发。",
    "妈，我下周回家。",
    "Ok 好的，明天见 see you tomorrow",
};
#define N_NORMAL_TEXTS (sizeof normal_texts / sizeof normal_texts[0])

/* What black cards send: synthetic spam and fraud lures (links use reserved domains). */
static const char *const spam_texts[] = {
    "恭喜您获得%u元补贴，请点击链接领取：http://example.com/r/%u",
    "【通知】您的账户存在异常，请回复身份证号码核实。",
    "低息贷款，当天放款，额度最高%u万，详询本号码。",
    "兼职刷单，日结%u元，加微信详谈。",
    "Congratulations! You won %u yuan. Reply YES to claim your prize.",
    "Your bank card is frozen. Verify now: http://example.org/v/%u",
    "您的快递丢失，理赔%u元，请点击 http://example.net/p 办理。",
};
#define N_SPAM_TEXTS (sizeof spam_texts / sizeof spam_texts[0])

static const char *const foreign_prefixes[] = {
    "447700900", /* UK: Ofcom's numbers for drama */
    "61491570",  /* Australia: ACMA's fictitious mobile numbers */
    "1202555",   /* US: 555-01xx fictional (the last 4 digits are 01xx) */
};

static double rng_unit(struct traffic *t)
{
    return cw_rng_unit(&t->rng);
}

static uint64_t rng_below(struct traffic *t, uint64_t n)
{
    return cw_rng_below(&t->rng, n);
}

static uint64_t rng_range_u(struct traffic *t, uint64_t lo, uint64_t hi)
{
    return cw_rng_range(&t->rng, lo, hi);
}

static void party_card(struct traffic *t, uint64_t index, struct party *pa)
{
    card_msisdn(t->pop, index, pa->num);
    pa->kind = PK_HOME;
    pa->op = 0;
    pa->node = (uint8_t)(cw_hash3(t->pop->seed, TAG_NODE, index) % 8);
}

static void party_offnet(struct traffic *t, struct party *pa)
{
    int unicom = rng_unit(t) < 0.6;
    const char *seg = unicom ? unicom_segments[rng_below(t, 7)] : telecom_segments[rng_below(t, 5)];
    snprintf(pa->num, sizeof pa->num, "86%s%08llu", seg,
             (unsigned long long)rng_below(t, 100000000ull));
    pa->kind = PK_OFFNET;
    pa->op = unicom ? 1 : 2;
    pa->node = (uint8_t)rng_below(t, 2);
}

static void party_foreign(struct traffic *t, struct party *pa)
{
    unsigned which = (unsigned)rng_below(t, 3);
    if (which == 0)
        snprintf(pa->num, sizeof pa->num, "%s%03u", foreign_prefixes[0],
                 (unsigned)rng_below(t, 1000));
    else if (which == 1)
        snprintf(pa->num, sizeof pa->num, "%s%03u", foreign_prefixes[1],
                 (unsigned)rng_below(t, 1000));
    else
        snprintf(pa->num, sizeof pa->num, "%s01%02u", foreign_prefixes[2],
                 (unsigned)rng_below(t, 100));
    pa->kind = PK_FOREIGN;
    pa->op = 3;
    pa->node = 0;
}

/* A random active normal (registered, verified, not suspended) card other than @p not;
 * 0 when a few tries find none (a population of almost only black cards). */
static int pick_normal(struct traffic *t, uint64_t not, uint64_t *index)
{
    for (int tries = 0; tries < 16; tries++) {
        uint64_t i = rng_below(t, t->pop->cards), rank;
        if (i == not || is_black_rank(t->pop, i, &rank) || card_suspended(t->pop, i))
            continue;
        *index = i;
        return 1;
    }
    return 0;
}

static uint64_t black_card_index(const struct cw_synth_pop *p, uint64_t k)
{
    return cw_perm_inv(&p->black_perm, k);
}

/* Choose the parties and every random detail of request number @p req. */
static void txn_make(struct traffic *t, uint64_t req, struct txn *x, struct cw_synth_stats *st)
{
    memset(x, 0, sizeof *x);
    const struct cw_synth_pop *p = t->pop;
    uint64_t sender = UINT64_MAX;
    int black = 0;
    if (t->next_black < p->black && req == t->next_black_req) {
        sender = black_card_index(p, t->next_black);
        black = 1;
        t->next_black++;
        t->bacc += t->br;
        t->next_black_req += t->bq;
        if (t->bacc >= p->black) {
            t->bacc -= p->black;
            t->next_black_req++;
        }
    } else {
        double u = rng_unit(t);
        if (u < 0.02) {
            party_foreign(t, &x->from);
        } else if (u < 0.14) {
            party_offnet(t, &x->from);
        } else if (u < 0.14 + t->p_black) {
            sender = black_card_index(p, rng_below(t, p->black));
            black = 1;
        } else if (!pick_normal(t, UINT64_MAX, &sender)) {
            party_offnet(t, &x->from);
        }
    }
    if (sender != UINT64_MAX)
        party_card(t, sender, &x->from);
    /* Traffic crossing the tap has one of our subscribers on at least one side. */
    uint64_t callee;
    double v = rng_unit(t);
    if (x->from.kind != PK_HOME || v < 0.65) {
        if (pick_normal(t, sender, &callee))
            party_card(t, callee, &x->to);
        else
            party_offnet(t, &x->to);
    } else if (v < 0.93) {
        party_offnet(t, &x->to);
    } else {
        party_foreign(t, &x->to);
    }
    x->spam = black && rng_unit(t) < 0.7;
    x->invite = rng_unit(t) < 0.3;
    x->ruri_form = (uint8_t)rng_below(t, 20);
    x->from_form = (uint8_t)rng_below(t, 20);
    x->to_form = rng_unit(t) < 0.8 ? x->ruri_form : (uint8_t)rng_below(t, 20);
    x->pai = rng_unit(t) < 0.4 ? (uint8_t)(1 + rng_below(t, 5)) : 0;
    double s = rng_unit(t);
    x->style = s < 0.15 ? 1 : s < 0.2 ? 2 : 0; /* 1 compact names, 2 lower-case names */
    x->from_dn = rng_unit(t) < 0.5 ? (uint8_t)rng_below(t, N_DN) : 0;
    x->to_dn = rng_unit(t) < 0.1 ? (uint8_t)rng_below(t, N_DN) : 0;
    x->text = (uint16_t)rng_below(t, x->spam ? N_SPAM_TEXTS : N_NORMAL_TEXTS);
    x->text_arg = (uint32_t)rng_range_u(t, 2, 59);
    x->cseq = (uint32_t)(1 + rng_below(t, 200));
    x->from_tag = cw_rng_next(&t->rng);
    x->to_tag = cw_rng_next(&t->rng);
    x->call_id = cw_rng_next(&t->rng);
    x->branch = cw_rng_next(&t->rng);
    x->sess = cw_rng_next(&t->rng) % 4000000000u;
    x->media_port = (uint16_t)(10000 + 2 * rng_below(t, 10000));
    if (x->invite)
        st->calls++;
    else
        st->sms++;
    if (black)
        st->black_requests++;
    else if (x->from.kind == PK_OFFNET)
        st->offnet_requests++;
    else if (x->from.kind == PK_FOREIGN)
        st->foreign_requests++;
}

/* ------------------------------------------------------------------------------------------ */
/* SIP text (RFC 3261; SDP RFC 4566). Built with string and number appenders rather than
 * printf: this is most of the generator's time. */

struct sbuf {
    char *p;
    size_t len, cap; /* len == cap: overflowed (never with these sizes; the caller checks) */
};

static void sb_mem(struct sbuf *b, const char *s, size_t n)
{
    if (n > b->cap - b->len) {
        b->len = b->cap;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* Append NUL-terminated strings up to a NULL. */
static void sb_cat(struct sbuf *b, ...)
{
    va_list ap;
    va_start(ap, b);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        sb_mem(b, s, strlen(s));
    va_end(ap);
}

static void sb_u64(struct sbuf *b, uint64_t v)
{
    char t[20];
    int i = 20;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_mem(b, t + i, (size_t)(20 - i));
}

static void sb_hex(struct sbuf *b, uint64_t v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    char t[16];
    for (int i = digits - 1; i >= 0; i--, v >>= 4)
        t[i] = hex[v & 15];
    sb_mem(b, t, (size_t)digits);
}

enum hdr { H_VIA, H_FROM, H_TO, H_CALLID, H_CSEQ, H_CTYPE, H_CLEN, H_CONTACT, H_MAXFWD, H_PAI };

/* Header names in the three styles: full, compact (RFC 3261 section 7.3.3), lower case. */
static const char *const hdr_names[][3] = {
    [H_VIA] = {"Via", "v", "via"},
    [H_FROM] = {"From", "f", "from"},
    [H_TO] = {"To", "t", "to"},
    [H_CALLID] = {"Call-ID", "i", "call-id"},
    [H_CSEQ] = {"CSeq", "CSeq", "cseq"},
    [H_CTYPE] = {"Content-Type", "c", "content-type"},
    [H_CLEN] = {"Content-Length", "l", "content-length"},
    [H_CONTACT] = {"Contact", "m", "contact"},
    [H_MAXFWD] = {"Max-Forwards", "Max-Forwards", "max-forwards"},
    [H_PAI] = {"P-Asserted-Identity", "P-Asserted-Identity", "p-asserted-identity"},
};

static void sb_hdr(struct sbuf *b, const struct txn *x, enum hdr h)
{
    /* the lower-case style also leaves out the optional space after the colon */
    sb_cat(b, hdr_names[h][x->style], x->style == 2 ? ":" : ": ", NULL);
}

static int is_cn_mobile(const struct party *pa)
{
    return strlen(pa->num) == 13 && pa->num[0] == '8' && pa->num[1] == '6';
}

/* The URI of a party in form @p form (0..19): 45% sip:+E164;user=phone, 20% tel:+E164,
 * 25% national sip: (Chinese mobile numbers only), 10% sip:+E164 without user=phone. */
static void sb_uri(struct sbuf *b, const struct party *pa, unsigned form)
{
    const char *dom = domains[pa->op];
    if (form >= 9 && form <= 12)
        sb_cat(b, "tel:+", pa->num, NULL);
    else if (form >= 13 && form <= 17 && is_cn_mobile(pa))
        sb_cat(b, "sip:", pa->num + 2, "@", dom, NULL);
    else if (form >= 18)
        sb_cat(b, "sip:+", pa->num, "@", dom, NULL);
    else
        sb_cat(b, "sip:+", pa->num, "@", dom, ";user=phone", NULL);
}

/* Addresses: P-CSCFs 10.20.0.1-8 (our subscribers), S-CSCFs 10.20.1.1-4 (the core), IBCFs
 * 10.30.0.1-2 (other operators), 10.40.0.1 (roaming interconnect). */
static void node_ip(const struct party *pa, uint8_t ip[4])
{
    ip[0] = 10;
    ip[1] = pa->kind == PK_HOME ? 20 : pa->kind == PK_OFFNET ? 30 : 40;
    ip[2] = 0;
    ip[3] = (uint8_t)(1 + (pa->kind == PK_FOREIGN ? 0 : pa->node));
}

static void core_ip(const struct txn *x, uint8_t ip[4])
{
    ip[0] = 10;
    ip[1] = 20;
    ip[2] = 1;
    ip[3] = (uint8_t)(1 + (x->call_id >> 60) % 4);
}

static void ip_text(const uint8_t ip[4], char out[16])
{
    struct sbuf b = {out, 0, 15};
    for (int i = 0; i < 4; i++) {
        if (i)
            sb_mem(&b, ".", 1);
        sb_u64(&b, ip[i]);
    }
    out[b.len < 16 ? b.len : 15] = 0;
}

static void sb_common(struct sbuf *b, const struct txn *x, const char *via_host, int response)
{
    const char *method = x->invite ? "INVITE" : "MESSAGE";
    sb_hdr(b, x, H_VIA);
    sb_cat(b, "SIP/2.0/UDP ", via_host, ":5060;branch=z9hG4bK", NULL);
    sb_hex(b, x->branch, 16);
    sb_cat(b, "\r\n", NULL);
    if (!response) {
        sb_hdr(b, x, H_MAXFWD);
        sb_cat(b, "70\r\n", NULL);
    }
    sb_hdr(b, x, H_FROM);
    int bare_tel = x->from_dn == 0 && x->from_form >= 9 && x->from_form <= 12 &&
                   (x->from_tag & 1);
    if (bare_tel) { /* addr-spec form: the ;tag is a header parameter */
        sb_uri(b, &x->from, x->from_form);
    } else {
        sb_cat(b, display_names[x->from_dn], "<", NULL);
        sb_uri(b, &x->from, x->from_form);
        sb_cat(b, ">", NULL);
    }
    sb_cat(b, ";tag=", NULL);
    sb_hex(b, x->from_tag >> 32, 8);
    sb_cat(b, "\r\n", NULL);
    sb_hdr(b, x, H_TO);
    sb_cat(b, display_names[x->to_dn], "<", NULL);
    sb_uri(b, &x->to, x->to_form);
    sb_cat(b, ">", NULL);
    if (response) {
        sb_cat(b, ";tag=", NULL);
        sb_hex(b, x->to_tag >> 32, 8);
    }
    sb_cat(b, "\r\n", NULL);
    sb_hdr(b, x, H_CALLID);
    sb_hex(b, x->call_id, 16);
    sb_cat(b, "@", via_host, "\r\n", NULL);
    sb_hdr(b, x, H_CSEQ);
    sb_u64(b, x->cseq);
    sb_cat(b, " ", method, "\r\n", NULL);
}

static void sb_pai(struct sbuf *b, const struct txn *x)
{
    const struct party *f = &x->from;
    const char *dom = domains[f->op];
    if (!x->pai)
        return;
    sb_hdr(b, x, H_PAI);
    switch (x->pai) {
    case 1: sb_cat(b, "<sip:+", f->num, "@", dom, ";user=phone>\r\n", NULL); break;
    case 2: sb_cat(b, "<tel:+", f->num, ">\r\n", NULL); break;
    case 3:
        sb_cat(b, "<sip:+", f->num, "@", dom, ";user=phone>, <tel:+", f->num, ">\r\n", NULL);
        break;
    case 4: /* two header fields */
        sb_cat(b, "<sip:+", f->num, "@", dom, ";user=phone>\r\n", NULL);
        sb_hdr(b, x, H_PAI);
        sb_cat(b, "<tel:+", f->num, ">\r\n", NULL);
        break;
    default:
        sb_cat(b, x->from_dn ? display_names[x->from_dn] : "\"Xiao Ming\" ", "<tel:+", f->num,
               ">\r\n", NULL);
        break;
    }
}

static size_t sdp_body(char *out, size_t cap, const struct txn *x, int answer)
{
    uint64_t sess = x->sess + (answer ? 1 : 0);
    unsigned a = (unsigned)(sess >> 8) & 0xff, c = ((unsigned)sess & 0xfe) | 1;
    int n = snprintf(out, cap,
                     "v=0\r\n"
                     "o=- %llu %llu IN IP4 10.%u.%u.%u\r\n"
                     "s=-\r\n"
                     "c=IN IP4 10.%u.%u.%u\r\n"
                     "t=0 0\r\n"
                     "m=audio %u RTP/AVP 96 8 0 101\r\n"
                     "a=rtpmap:96 AMR-WB/16000\r\n"
                     "a=rtpmap:8 PCMA/8000\r\n"
                     "a=rtpmap:0 PCMU/8000\r\n"
                     "a=rtpmap:101 telephone-event/16000\r\n"
                     "a=sendrecv\r\n",
                     (unsigned long long)sess, (unsigned long long)sess, answer ? 51 : 50, a, c,
                     answer ? 51 : 50, a, c, (unsigned)x->media_port + (answer ? 2u : 0u));
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* The request or its 200 OK as SIP text in t->payload; returns its length (0: no room). */
static size_t sip_text(struct traffic *t, const struct txn *x, int response)
{
    uint8_t ip[4];
    char src[16], dst[16];
    node_ip(&x->from, ip);
    ip_text(ip, src);
    core_ip(x, ip);
    ip_text(ip, dst);
    size_t blen = 0;
    const char *ctype = NULL;
    if (x->invite) {
        blen = sdp_body(t->body, sizeof t->body, x, response);
        ctype = "application/sdp";
    } else if (!response) {
        const char *tmpl = x->spam ? spam_texts[x->text] : normal_texts[x->text];
        int n = snprintf(t->body, sizeof t->body, tmpl, x->text_arg, x->text_arg * 7919u);
        blen = n < 0 || (size_t)n >= sizeof t->body ? 0 : (size_t)n;
        ctype = "text/plain;charset=UTF-8";
    }
    struct sbuf b = {t->payload, 0, sizeof t->payload};
    if (response) {
        sb_cat(&b, "SIP/2.0 200 OK\r\n", NULL);
    } else {
        sb_cat(&b, x->invite ? "INVITE " : "MESSAGE ", NULL);
        sb_uri(&b, &x->to, x->ruri_form);
        sb_cat(&b, " SIP/2.0\r\n", NULL);
    }
    sb_common(&b, x, src, response);
    if (!response)
        sb_pai(&b, x);
    if (x->invite) {
        sb_hdr(&b, x, H_CONTACT);
        if (response)
            sb_cat(&b, "<sip:+", x->to.num, "@", dst, ":5060>\r\n", NULL);
        else
            sb_cat(&b, "<sip:+", x->from.num, "@", src, ":5060>\r\n", NULL);
        sb_cat(&b, "Allow: INVITE, ACK, CANCEL, BYE, UPDATE, PRACK, MESSAGE\r\n", NULL);
        if (!response)
            sb_cat(&b, "Supported: 100rel, timer\r\n", NULL);
    }
    if (ctype) {
        sb_hdr(&b, x, H_CTYPE);
        sb_cat(&b, ctype, "\r\n", NULL);
    }
    sb_hdr(&b, x, H_CLEN);
    sb_u64(&b, blen);
    sb_cat(&b, "\r\n\r\n", NULL);
    if (b.len >= b.cap || blen > b.cap - b.len)
        return 0;
    memcpy(b.p + b.len, t->body, blen);
    return b.len + blen;
}

static void mac_of(const uint8_t ip[4], uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = 0x00;
    memcpy(mac + 2, ip, 4);
}

static int emit(struct traffic *t, const struct txn *x, int response)
{
    size_t len = sip_text(t, x, response);
    if (!len)
        return CW_EFULL;
    uint8_t edge[4], core[4];
    node_ip(&x->from, edge);
    core_ip(x, core);
    struct cw_pkt_addr a;
    memset(&a, 0, sizeof a);
    a.ipver = 4;
    memcpy(a.src, response ? core : edge, 4);
    memcpy(a.dst, response ? edge : core, 4);
    mac_of(a.src, a.src_mac);
    mac_of(a.dst, a.dst_mac);
    a.sport = 5060;
    a.dport = 5060;
    a.ip_id = t->ip_id++;
    size_t n = cw_pkt_build_udp(t->frame, sizeof t->frame, &a, t->payload, len);
    if (!n)
        return CW_EFULL;
    return cw_pcapw_write(t->w, t->ts_us, t->frame, n);
}

static int write_traffic(const struct cw_synth_pop *p, const struct cw_synth_opts *o,
                         const char *path, const char *tmp, struct cw_synth_stats *st,
                         char *err, size_t errlen)
{
    struct traffic *t = calloc(1, sizeof *t);
    if (!t) {
        set_err(err, errlen, "out of memory");
        return CW_ENOMEM;
    }
    t->pop = p;
    cw_rng_seed(&t->rng, cw_hash3(p->seed, TAG_TRAFFIC, 0));
    t->ts_us = CW_SYNTH_T0 * 1000000ull;
    if (p->black) {
        uint64_t window = o->packets / 4; /* >= 2.5 * black: distinct request numbers */
        t->bq = window / p->black;
        t->br = window % p->black;
    }
    /* A black card sends about ten times as much as a normal one, up to a quarter of all. */
    uint64_t normal = p->cards - p->black;
    t->p_black = 0;
    if (p->black)
        t->p_black = normal ? 0.86 * 10.0 * (double)p->black / (double)p->cards : 0.86;
    if (t->p_black > 0.25 && normal)
        t->p_black = 0.25;
    int rc = cw_pcapw_open(tmp, 1, &t->w);
    if (rc) {
        set_err(err, errlen, "%s: %s", tmp, strerror(errno));
        free(t);
        return rc;
    }
    st->first_ts_us = t->ts_us;
    uint64_t req = 0;
    for (uint64_t pkt = 0; pkt < o->packets && rc == 0; pkt++) {
        if (t->q_len && t->queue[t->q_head].due <= pkt) {
            rc = emit(t, &t->queue[t->q_head], 1);
            t->q_head = (t->q_head + 1) % QUEUE_CAP;
            t->q_len--;
            st->responses++;
        } else {
            struct txn x;
            txn_make(t, req++, &x, st);
            rc = emit(t, &x, 0);
            double answer = x.invite ? 0.8 : 0.6;
            uint64_t delay = rng_range_u(t, 1, 6);
            if (rng_unit(t) < answer && t->q_len < QUEUE_CAP) {
                x.due = pkt + delay;
                if (x.due <= t->last_due)
                    x.due = t->last_due + 1;
                t->last_due = x.due;
                t->queue[(t->q_head + t->q_len) % QUEUE_CAP] = x;
                t->q_len++;
            }
        }
        st->packets++;
        st->last_ts_us = t->ts_us;
        t->ts_us += rng_range_u(t, 200, 6000);
        if (o->progress && (pkt & 0xffff) == 0xffff)
            o->progress(o->progress_user, "packets", pkt + 1, o->packets);
    }
    if (rc == CW_EFULL)
        set_err(err, errlen, "%s: internal error: a SIP message did not fit its buffer", path);
    else if (rc)
        set_err(err, errlen, "%s: write failed: %s", path, strerror(errno));
    int crc = cw_pcapw_close(t->w);
    if (!rc && crc) {
        rc = crc;
        set_err(err, errlen, "%s: write failed: %s", path, strerror(errno));
    }
    if (!rc && rename(tmp, path) != 0) {
        rc = CW_EIO;
        set_err(err, errlen, "%s: %s", path, strerror(errno));
    }
    if (rc)
        unlink(tmp);
    else if (o->progress)
        o->progress(o->progress_user, "packets", o->packets, o->packets);
    free(t);
    return rc;
}

int cw_synth_run(const struct cw_synth_opts *o, struct cw_synth_stats *st, char *err,
                 size_t errlen)
{
    struct cw_synth_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (err && errlen)
        err[0] = 0;
    struct cw_synth_pop pop;
    if (!o || !o->out_dir) {
        set_err(err, errlen, "no output directory");
        return CW_EINVAL;
    }
    if (cw_synth_pop_init(&pop, o) != 0) {
        set_err(err, errlen,
                "bad options: cards must be 1..%llu, packets 0..%llu, black rate 0..1",
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
    rc = write_registry(&pop, o, o->out_dir, st, err, errlen);
    if (rc)
        return rc;
    st->files += 2;
    char path[4096], tmp[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/traffic.pcap", o->out_dir) >= sizeof path ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.traffic.pcap.tmp", o->out_dir) >= sizeof tmp) {
        set_err(err, errlen, "%s: path too long", o->out_dir);
        return CW_EINVAL;
    }
    rc = write_traffic(&pop, o, path, tmp, st, err, errlen);
    if (rc)
        return rc;
    st->files++;
    return 0;
}
