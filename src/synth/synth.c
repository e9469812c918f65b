/* synth.c - deterministic synthetic population, registry and ground truth (the traffic is in
 * traffic.c).
 *
 * Every card is a pure function of (seed, index): keyed Feistel permutations (rng.h) map the
 * index to its MSISDN slot, its IMSI, its black rank and its person; the person maps
 * bijectively to an ID number (region, birth date, sequence), so no two persons share one.
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
    snprintf(out, 24, "%04d-%02u-%02uT%02u:%02u:%02uZ", y, m, d, (unsigned)(sec / 3600),
             (unsigned)(sec / 60 % 60), (unsigned)(sec % 60));
}

/* Birth dates 1950-01-01 .. 2006-12-31. */
#define BIRTH_FIRST_DAY days_from_civil(1950, 1, 1)
#define BIRTH_DAYS ((uint64_t)(days_from_civil(2007, 1, 1) - BIRTH_FIRST_DAY))

/* ------------------------------------------------------------------------------------------ */
/* The population. */

static const char *const proto_names[CW_SYNTH_NPROTO] = {"sip", "smpp", "map", "diameter",
                                                          "gtp", "radius"};

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
            cw_synth_set_err(err, errlen, "'%.*s' is not a protocol (sip, smpp, map, diameter, "
                             "gtp, radius)", (int)(n > 40 ? 40 : n), s);
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

int cw_synth_pop_init(struct cw_synth_pop *p, const struct cw_synth_opts *o)
{
    if (!p || !o || (o->protocols & ~CW_SYNTH_ALL) || o->cards < 1 ||
        o->cards > CW_SYNTH_MAX_CARDS ||
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
    /* ... and only a protocol that carries SMS or calls can show them sending. */
    if (!(cw_synth_protocols(o) & CW_SYNTH_SENDING))
        black = 0;
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
    uint64_t rank;
    if (cw_synth_is_black(p, index, &rank))
        return 0;
    return cw_hash_unit(cw_hash3(p->seed, TAG_STATUS, index)) < 0.004;
}

void cw_synth_card_get(const struct cw_synth_pop *p, uint64_t index, struct cw_synth_card *c)
{
    memset(c, 0, sizeof *c);
    c->index = index;
    uint64_t rank;
    c->black = cw_synth_is_black(p, index, &rank);
    /* Half the black cards (even ranks) were never registered; the others were registered
     * without the real-name check. */
    c->registered = !c->black || (rank & 1);
    c->verified = !c->black;
    c->suspended = cw_synth_suspended(p, index);
    cw_synth_msisdn(p, index, c->msisdn);
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

void cw_synth_set_err(char *err, size_t errlen, const char *fmt, ...)
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
        cw_synth_set_err(err, errlen, "no output directory");
        return CW_EINVAL;
    }
    if (cw_synth_pop_init(&pop, o) != 0) {
        cw_synth_set_err(err, errlen,
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
        cw_synth_set_err(err, errlen, "%s: path too long", o->out_dir);
        return CW_EINVAL;
    }
    rc = cw_synth_write_traffic(&pop, o, path, tmp, st, err, errlen);
    if (rc)
        return rc;
    st->files++;
    return 0;
}
