/* cmd_audit.c - `cardwatch registry audit`: the regulator's figures from the real-name registry
 * (over-quota IDs, outlets ranked by the signs of agent registration, real-name rates) as a
 * text report, one JSON object or CSV tables. The computation is store/audit.c; this file
 * parses the options and writes. IDs are written while the registry is walked (JSON, CSV) so
 * memory does not grow with them; the text report keeps only the top N. */
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/hex.h"
#include "cli/cli.h"
#include "cli/run_files.h"
#include "store/audit.h"
#include "store/idcard.h"
#include "store/registry.h"
#include "util/error.h"
#include "util/json_out.h"

static const char usage[] =
    "usage: cardwatch registry audit --db DIR [--json | --csv [--table T]] [options]\n"
    "\n"
    "The regulator's figures from the real-name registry in DIR (docs/registry.md, Audit):\n"
    "  1. IDs holding more cards than the rules allow: more than N in one province (2015)\n"
    "     or more than M at this carrier (2016); a card is held unless it is cancelled;\n"
    "  2. outlets ranked by the share of suspicious cards among those they registered: on an\n"
    "     ID over the province limit (in that province), without an ID, on an invalid ID,\n"
    "     unverified, or in a burst (K or more cards of one ID registered within W hours);\n"
    "  3. the real-name rate (verified cards on a valid ID / cards held) per registration\n"
    "     province and overall, against the regulator's target.\n"
    "\n"
    "output (standard output):\n"
    "  (default)   a readable report: totals, the top N IDs and outlets, every province\n"
    "      --json  one JSON object: the parameters, all IDs, all outlets ranked, all\n"
    "              provinces, the overall rate and the totals\n"
    "      --csv   three CSV tables, ids, outlets and provinces, each after a line\n"
    "              '# table: NAME', separated by a blank line\n"
    "      --table ids|outlets|provinces\n"
    "              only this table, as plain CSV (implies --csv)\n"
    "\n"
    "options:\n"
    "  -d, --db DIR             the registry directory (required)\n"
    "      --province-limit N   cards one ID may hold in one province (default 5)\n"
    "      --national-limit M   cards one ID may hold at this carrier (default 5)\n"
    "      --burst-cards K      a burst is K or more cards of one ID (default 3, >= 2) ...\n"
    "      --burst-hours W      ... registered within W hours, first to last (default 48)\n"
    "      --min-cards C        rank outlets with fewer than C cards after the others\n"
    "                           (default 10)\n"
    "      --target PCT         the real-name rate asked for, percent (default 90)\n"
    "      --top N              the report shows the top N IDs and outlets (default 20;\n"
    "                           0: all). JSON and CSV always list all\n"
    "  -q, --quiet              no progress and no notes on standard error\n"
    "  -h, --help               this text\n"
    "\n"
    "exit status: 0 success; 1 failure (the registry cannot be read, a write error);\n"
    "2 usage.\n";

enum fmt { F_TEXT, F_JSON, F_CSV };
enum table { T_ALL, T_IDS, T_OUTLETS, T_PROVINCES };

/* An ID kept for the text report (deep copy of struct cw_audit_id). */
struct saved_id {
    struct cw_audit_id id;
    struct cw_audit_count *provinces, *outlets;
    struct cw_card *cards;
    uint8_t *flags;
};

struct out {
    const char *db;
    enum fmt fmt;
    enum table table;
    long top;
    FILE *f;
    struct cw_json j;
    uint64_t ids; /* written or seen */
    /* text: the top IDs */
    struct saved_id *saved;
    size_t nsaved, capsaved;
    int bad;
};

static void fmt_time(int64_t t, char out[24])
{
    if (t <= 0) {
        out[0] = 0;
        return;
    }
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *kind_name(unsigned kind)
{
    return kind == CW_OUTLET_OWN ? "own" : kind == CW_OUTLET_AGENT ? "agent" : "unknown";
}

static const char *prov_code(const char *p)
{
    return p[0] ? p : "unknown";
}

static const char *prov_name(const char *p)
{
    const char *n = p[0] ? cw_province_name(p) : NULL;
    return n ? n : "";
}

/* ---- JSON, streamed: the document is built with one cw_json whose buffer is flushed ---- */

static void json_flush(struct out *o)
{
    if (o->j.oom) {
        o->bad = 1;
        return;
    }
    if (o->j.len && fwrite(o->j.buf, 1, o->j.len, o->f) != o->j.len)
        o->bad = 1; /* reported as a write error by the final check of the stream */
    o->j.len = 0;
}

static void json_id(struct cw_json *j, const struct cw_audit_id *id)
{
    char h[2 * CW_PSEUDO_LEN + 1], ts[24];
    cw_hex_lower(id->pseudo, CW_PSEUDO_LEN, h);
    cw_json_obj_begin(j, NULL);
    cw_json_str(j, "pseudonym", h);
    cw_json_str(j, "id_masked", id->id_masked);
    if (id->id_province[0])
        cw_json_str(j, "id_province", id->id_province);
    cw_json_bool(j, "id_valid", id->id_valid);
    cw_json_arr_begin(j, "rules");
    for (unsigned r = CW_AUDIT_RULE_PROVINCE; r <= CW_AUDIT_RULE_NATIONAL; r <<= 1)
        if (id->rules & r)
            cw_json_str(j, NULL, cw_audit_rule_name(r));
    cw_json_arr_end(j);
    cw_json_uint(j, "held", id->held);
    cw_json_uint(j, "held_over_province_limit", id->held_over);
    cw_json_arr_begin(j, "provinces");
    for (size_t i = 0; i < id->nprovinces; i++) {
        cw_json_obj_begin(j, NULL);
        cw_json_str(j, "province", prov_code(id->provinces[i].key));
        cw_json_uint(j, "cards", id->provinces[i].cards);
        cw_json_bool(j, "over_limit", id->provinces[i].over);
        cw_json_obj_end(j);
    }
    cw_json_arr_end(j);
    cw_json_arr_begin(j, "outlets");
    for (size_t i = 0; i < id->noutlets; i++) {
        cw_json_obj_begin(j, NULL);
        cw_json_str(j, "outlet", id->outlets[i].key);
        cw_json_uint(j, "cards", id->outlets[i].cards);
        cw_json_obj_end(j);
    }
    cw_json_arr_end(j);
    fmt_time(id->first, ts);
    if (ts[0])
        cw_json_str(j, "first_registered", ts);
    fmt_time(id->last, ts);
    if (ts[0])
        cw_json_str(j, "last_registered", ts);
    cw_json_arr_begin(j, "cards");
    for (size_t i = 0; i < id->ncards; i++) {
        const struct cw_card *c = &id->cards[i];
        cw_json_obj_begin(j, NULL);
        cw_json_str(j, "msisdn", c->msisdn);
        cw_json_str(j, "province", prov_code(c->province));
        cw_json_str(j, "outlet", c->outlet);
        fmt_time(c->registered_at, ts);
        if (ts[0])
            cw_json_str(j, "registered_at", ts);
        cw_json_str(j, "status", cw_card_status_name(c->status));
        cw_json_bool(j, "verified", c->verified);
        cw_json_bool(j, "over_limit", (id->card_flags[i] & CW_AUDIT_CARD_OVER) != 0);
        cw_json_bool(j, "burst", (id->card_flags[i] & CW_AUDIT_CARD_BURST) != 0);
        cw_json_obj_end(j);
    }
    cw_json_arr_end(j);
    cw_json_obj_end(j);
}

static void json_params(struct cw_json *j, const struct cw_audit_params *p)
{
    cw_json_obj_begin(j, "parameters");
    cw_json_uint(j, "province_limit", p->province_limit);
    cw_json_uint(j, "national_limit", p->national_limit);
    cw_json_uint(j, "burst_cards", p->burst_cards);
    cw_json_uint(j, "burst_hours", p->burst_hours);
    cw_json_uint(j, "min_cards", p->min_cards);
    cw_json_double(j, "target_pct", p->target);
    cw_json_str(j, "held", "status not cancelled");
    cw_json_obj_end(j);
}

static void json_rate(struct cw_json *j, const struct cw_audit_rate *r, int overall)
{
    if (!overall) {
        cw_json_str(j, "province", prov_code(r->province));
        if (prov_name(r->province)[0])
            cw_json_str(j, "name", prov_name(r->province));
    }
    cw_json_uint(j, "cards", r->cards);
    cw_json_uint(j, "verified", r->verified);
    cw_json_double(j, "real_name_pct", r->rate);
    cw_json_bool(j, "below_target", r->below);
    cw_json_uint(j, "no_id", r->no_id);
    cw_json_uint(j, "invalid_id", r->invalid_id);
    cw_json_uint(j, "unverified", r->unverified);
}

static void json_outlet(struct cw_json *j, const struct cw_audit_outlet *o, size_t rank)
{
    cw_json_obj_begin(j, NULL);
    cw_json_uint(j, "rank", rank);
    cw_json_str(j, "outlet", o->id);
    cw_json_str(j, "kind", kind_name(o->kind));
    cw_json_bool(j, "listed", o->listed);
    if (o->name[0])
        cw_json_str(j, "name", o->name);
    if (o->province[0])
        cw_json_str(j, "province", o->province);
    cw_json_bool(j, "ranked", o->ranked);
    cw_json_uint(j, "cards", o->cards);
    cw_json_uint(j, "suspicious", o->suspicious);
    cw_json_double(j, "suspicious_pct", o->share);
    cw_json_uint(j, "over_quota", o->over_quota);
    cw_json_uint(j, "no_id", o->no_id);
    cw_json_uint(j, "invalid_id", o->invalid_id);
    cw_json_uint(j, "unverified", o->unverified);
    cw_json_uint(j, "burst", o->burst);
    cw_json_obj_end(j);
}

static void json_tail(struct out *o, const struct cw_audit *a)
{
    struct cw_json *j = &o->j;
    cw_json_arr_end(j); /* ids */
    json_flush(o);
    cw_json_arr_begin(j, "outlets");
    for (size_t i = 0; i < a->noutlets; i++) {
        json_outlet(j, &a->outlets[i], i + 1);
        if (j->len > 1 << 16)
            json_flush(o);
    }
    cw_json_arr_end(j);
    cw_json_arr_begin(j, "provinces");
    for (size_t i = 0; i < a->nprovinces; i++) {
        cw_json_obj_begin(j, NULL);
        json_rate(j, &a->provinces[i], 0);
        cw_json_obj_end(j);
    }
    cw_json_arr_end(j);
    cw_json_obj_begin(j, "overall");
    json_rate(j, &a->overall, 1);
    cw_json_uint(j, "provinces_below_target", a->provinces_below);
    cw_json_obj_end(j);
    cw_json_obj_begin(j, "totals");
    cw_json_uint(j, "records", a->records);
    cw_json_uint(j, "cancelled", a->cancelled);
    cw_json_uint(j, "held", a->overall.cards);
    cw_json_uint(j, "persons", a->persons);
    cw_json_uint(j, "ids_over", a->ids_over);
    cw_json_uint(j, "ids_over_province", a->ids_over_province);
    cw_json_uint(j, "ids_over_national", a->ids_over_national);
    cw_json_uint(j, "ids_national_only", a->ids_national_only);
    cw_json_uint(j, "cards_ids_over", a->cards_ids_over);
    cw_json_uint(j, "cards_over_province", a->cards_over_province);
    cw_json_uint(j, "cards_national_only", a->cards_national_only);
    cw_json_uint(j, "burst_cards", a->burst_cards);
    cw_json_uint(j, "suspicious_cards", a->suspicious);
    cw_json_uint(j, "outlets", a->noutlets);
    cw_json_uint(j, "outlets_ranked", a->nranked);
    cw_json_uint(j, "outlets_listed", a->outlets_listed);
    cw_json_uint(j, "outlets_listed_unused", a->outlets_unused);
    cw_json_obj_end(j);
    cw_json_bool(j, "registry_changed_during_audit", a->changed);
    cw_json_obj_end(j);
    json_flush(o);
    if (!o->bad && fputc('\n', o->f) == EOF)
        o->bad = 1;
}

/* ---- CSV ---- */

static void csv_field(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

static void csv_u64(FILE *f, uint64_t v, int last)
{
    fprintf(f, "%" PRIu64 "%c", v, last ? '\n' : ',');
}

static void csv_pct(FILE *f, double v, int last)
{
    fprintf(f, "%.2f%c", v, last ? '\n' : ',');
}

static const char ids_header[] = "pseudonym,id_masked,id_province,id_valid,rules,held,"
                                 "held_over_province_limit,provinces,outlets,first_registered,"
                                 "last_registered,cards\n";

/* A growing string for the list cells. */
struct sbuf {
    char *p;
    size_t len, cap;
    int bad;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0 || b->bad)
            return;
        if (b->p && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + (size_t)n + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->bad = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

static int csv_id(struct out *o, const struct cw_audit_id *id)
{
    FILE *f = o->f;
    char h[2 * CW_PSEUDO_LEN + 1], ts[24];
    struct sbuf b = {0};
    cw_hex_lower(id->pseudo, CW_PSEUDO_LEN, h);
    csv_field(f, h, 0);
    csv_field(f, id->id_masked, 0);
    csv_field(f, id->id_province, 0);
    csv_u64(f, id->id_valid, 0);
    csv_field(f,
              id->rules == (CW_AUDIT_RULE_PROVINCE | CW_AUDIT_RULE_NATIONAL) ? "province;national"
              : id->rules == CW_AUDIT_RULE_PROVINCE                          ? "province"
                                                                             : "national",
              0);
    csv_u64(f, id->held, 0);
    csv_u64(f, id->held_over, 0);
    sb_add(&b, "%s", "");
    for (size_t i = 0; i < id->nprovinces; i++)
        sb_add(&b, "%s%s=%u%s", i ? ";" : "", prov_code(id->provinces[i].key),
               (unsigned)id->provinces[i].cards, id->provinces[i].over ? "!" : "");
    csv_field(f, b.p ? b.p : "", 0);
    b.len = 0;
    sb_add(&b, "%s", "");
    for (size_t i = 0; i < id->noutlets; i++)
        sb_add(&b, "%s%s=%u", i ? ";" : "", id->outlets[i].key, (unsigned)id->outlets[i].cards);
    csv_field(f, b.p ? b.p : "", 0);
    fmt_time(id->first, ts);
    csv_field(f, ts, 0);
    fmt_time(id->last, ts);
    csv_field(f, ts, 0);
    b.len = 0;
    sb_add(&b, "%s", "");
    for (size_t i = 0; i < id->ncards; i++) {
        const struct cw_card *c = &id->cards[i];
        fmt_time(c->registered_at, ts);
        sb_add(&b, "%s%s %s %s %s %s", i ? ";" : "", c->msisdn, prov_code(c->province),
               c->outlet[0] ? c->outlet : "-", ts[0] ? ts : "-", cw_card_status_name(c->status));
    }
    csv_field(f, b.p ? b.p : "", 1);
    int bad = b.bad;
    free(b.p);
    return bad ? CW_ENOMEM : 0;
}

static const char outlets_header[] =
    "rank,outlet,kind,listed,name,province,ranked,cards,suspicious,"
    "suspicious_pct,over_quota,no_id,invalid_id,unverified,burst\n";

static void csv_outlets(FILE *f, const struct cw_audit *a)
{
    fputs(outlets_header, f);
    for (size_t i = 0; i < a->noutlets; i++) {
        const struct cw_audit_outlet *o = &a->outlets[i];
        csv_u64(f, i + 1, 0);
        csv_field(f, o->id, 0);
        csv_field(f, kind_name(o->kind), 0);
        csv_u64(f, o->listed, 0);
        csv_field(f, o->name, 0);
        csv_field(f, o->province, 0);
        csv_u64(f, o->ranked, 0);
        csv_u64(f, o->cards, 0);
        csv_u64(f, o->suspicious, 0);
        csv_pct(f, o->share, 0);
        csv_u64(f, o->over_quota, 0);
        csv_u64(f, o->no_id, 0);
        csv_u64(f, o->invalid_id, 0);
        csv_u64(f, o->unverified, 0);
        csv_u64(f, o->burst, 1);
    }
}

static void csv_rate(FILE *f, const struct cw_audit_rate *r, const char *code, const char *name)
{
    csv_field(f, code, 0);
    csv_field(f, name, 0);
    csv_u64(f, r->cards, 0);
    csv_u64(f, r->verified, 0);
    csv_pct(f, r->rate, 0);
    csv_u64(f, r->below, 0);
    csv_u64(f, r->no_id, 0);
    csv_u64(f, r->invalid_id, 0);
    csv_u64(f, r->unverified, 1);
}

static void csv_provinces(FILE *f, const struct cw_audit *a)
{
    fputs("province,name,cards,verified,real_name_pct,below_target,no_id,invalid_id,unverified\n",
          f);
    for (size_t i = 0; i < a->nprovinces; i++)
        csv_rate(f, &a->provinces[i], prov_code(a->provinces[i].province),
                 prov_name(a->provinces[i].province));
    csv_rate(f, &a->overall, "all", "");
}

/* ---- text ---- */

/* Text: the top IDs by cards held (then by cards over a province limit, then pseudonym). */
static int id_better(const struct cw_audit_id *a, const struct cw_audit_id *b)
{
    if (a->held != b->held)
        return a->held > b->held;
    if (a->held_over != b->held_over)
        return a->held_over > b->held_over;
    return memcmp(a->pseudo, b->pseudo, CW_PSEUDO_LEN) < 0;
}

static int cmp_saved(const void *pa, const void *pb)
{
    const struct saved_id *a = pa, *b = pb;
    return id_better(&a->id, &b->id) ? -1 : id_better(&b->id, &a->id) ? 1 : 0;
}

static void saved_free(struct saved_id *s)
{
    free(s->provinces);
    free(s->outlets);
    free(s->cards);
    free(s->flags);
    memset(s, 0, sizeof *s);
}

static void *dup_mem(const void *p, size_t n, int *bad)
{
    void *d = malloc(n ? n : 1);
    if (!d)
        *bad = 1;
    else if (n)
        memcpy(d, p, n);
    return d;
}

static int save_id(struct out *o, const struct cw_audit_id *id)
{
    struct saved_id *s;
    if (o->top > 0 && o->nsaved == (size_t)o->top) {
        size_t worst = 0;
        for (size_t i = 1; i < o->nsaved; i++)
            if (id_better(&o->saved[worst].id, &o->saved[i].id))
                worst = i;
        if (!id_better(id, &o->saved[worst].id))
            return 0;
        s = &o->saved[worst];
        saved_free(s);
    } else {
        if (o->nsaved == o->capsaved) {
            size_t nc = o->capsaved ? o->capsaved * 2 : 32;
            struct saved_id *ns = realloc(o->saved, nc * sizeof *ns);
            if (!ns)
                return CW_ENOMEM;
            o->saved = ns;
            o->capsaved = nc;
        }
        s = &o->saved[o->nsaved++];
        memset(s, 0, sizeof *s);
    }
    int bad = 0;
    s->id = *id;
    s->provinces = dup_mem(id->provinces, id->nprovinces * sizeof *id->provinces, &bad);
    s->outlets = dup_mem(id->outlets, id->noutlets * sizeof *id->outlets, &bad);
    s->cards = dup_mem(id->cards, id->ncards * sizeof *id->cards, &bad);
    s->flags = dup_mem(id->card_flags, id->ncards, &bad);
    s->id.provinces = s->provinces;
    s->id.outlets = s->outlets;
    s->id.cards = s->cards;
    s->id.card_flags = s->flags;
    return bad ? CW_ENOMEM : 0;
}

static void text_id(FILE *f, size_t rank, const struct cw_audit_id *id)
{
    char h[2 * CW_PSEUDO_LEN + 1], t1[24], t2[24];
    cw_hex_lower(id->pseudo, CW_PSEUDO_LEN, h);
    fprintf(f, "  %zu. %s\n", rank, h);
    fprintf(f, "     ID %s", id->id_masked);
    if (id->id_province[0])
        fprintf(f, ", of %s %s", id->id_province, prov_name(id->id_province));
    else if (!id->id_valid)
        fputs(", invalid", f);
    fprintf(f, "; breaks the %s; holds %u card%s\n",
            id->rules == (CW_AUDIT_RULE_PROVINCE | CW_AUDIT_RULE_NATIONAL)
                ? "province and national limits"
            : id->rules == CW_AUDIT_RULE_PROVINCE ? "province limit"
                                                  : "national limit",
            (unsigned)id->held, id->held == 1 ? "" : "s");
    fputs("     provinces:", f);
    for (size_t i = 0; i < id->nprovinces; i++)
        fprintf(f, " %s %s %u%s%s", prov_code(id->provinces[i].key),
                prov_name(id->provinces[i].key), (unsigned)id->provinces[i].cards,
                id->provinces[i].over ? " (over)" : "", i + 1 < id->nprovinces ? "," : "");
    fputs("\n     outlets:", f);
    for (size_t i = 0; i < id->noutlets; i++)
        fprintf(f, " %s %u%s", id->outlets[i].key[0] ? id->outlets[i].key : "(none)",
                (unsigned)id->outlets[i].cards, i + 1 < id->noutlets ? "," : "");
    fmt_time(id->first, t1);
    fmt_time(id->last, t2);
    fprintf(f, "\n     registered %s to %s\n", t1[0] ? t1 : "(unknown)", t2[0] ? t2 : "(unknown)");
    for (size_t i = 0; i < id->ncards; i++) {
        const struct cw_card *c = &id->cards[i];
        fmt_time(c->registered_at, t1);
        fprintf(f, "       %-15s %-7s %-23s %-20s %-9s%s%s%s\n", c->msisdn, prov_code(c->province),
                c->outlet[0] ? c->outlet : "(none)", t1[0] ? t1 : "(unknown)",
                cw_card_status_name(c->status), c->verified ? "" : " unverified",
                (id->card_flags[i] & CW_AUDIT_CARD_OVER) ? " over-limit" : "",
                (id->card_flags[i] & CW_AUDIT_CARD_BURST) ? " burst" : "");
    }
}

static void text_rate(FILE *f, const char *code, const char *name, const struct cw_audit_rate *r)
{
    fprintf(f,
            "  %-7s %-14s %10" PRIu64 " %10" PRIu64 " %6.1f%% %8" PRIu64 " %8" PRIu64 " %10" PRIu64
            "%s\n",
            code, name, r->cards, r->verified, r->rate, r->no_id, r->invalid_id, r->unverified,
            r->below ? "  BELOW TARGET" : "");
}

static void text_report(struct out *o, const struct cw_audit *a)
{
    FILE *f = o->f;
    const struct cw_audit_params *p = &a->params;
    fprintf(f, "Real-name audit of the registry %s\n", o->db);
    fprintf(f,
            "  limits: %u cards in one province, %u at this carrier (a card is held unless "
            "cancelled)\n  burst: %u or more cards of one ID within %u hours; outlets ranked "
            "from %u cards; target %.4g%%\n",
            p->province_limit, p->national_limit, p->burst_cards, p->burst_hours, p->min_cards,
            p->target);
    fprintf(
        f, "  %" PRIu64 " card records: %" PRIu64 " held, %" PRIu64 " cancelled; %" PRIu64 " IDs\n",
        a->records, a->overall.cards, a->cancelled, a->persons);
    if (a->changed)
        fputs("  note: the registry was updated during the audit; the figures may disagree by "
              "its changes\n",
              f);

    fprintf(f,
            "\n1. IDs over the card limits: %" PRIu64 "\n"
            "  over a province limit: %" PRIu64 " IDs, %" PRIu64 " cards in the provinces "
            "over the limit\n"
            "  over the national limit: %" PRIu64 " IDs; of them %" PRIu64
            " under every province limit, holding %" PRIu64 " cards\n"
            "  cards held by these IDs: %" PRIu64 "\n",
            a->ids_over, a->ids_over_province, a->cards_over_province, a->ids_over_national,
            a->ids_national_only, a->cards_national_only, a->cards_ids_over);
    if (o->nsaved > 1)
        qsort(o->saved, o->nsaved, sizeof *o->saved, cmp_saved);
    if (o->nsaved)
        fprintf(f, "  %s by cards held:\n",
                o->nsaved < a->ids_over ? "the top IDs" : "all of them");
    for (size_t i = 0; i < o->nsaved; i++)
        text_id(f, i + 1, &o->saved[i].id);

    size_t n = o->top > 0 && (size_t)o->top < a->noutlets ? (size_t)o->top : a->noutlets;
    int w = 6;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(a->outlets[i].id) > w)
            w = (int)strlen(a->outlets[i].id);
    fprintf(f,
            "\n2. Outlets by the share of suspicious cards: %zu outlets with cards held, %zu of "
            "them with %u or more (ranked first)\n"
            "  suspicious: on an ID over the province limit (in that province), without an ID, "
            "on an invalid ID,\n  unverified, or in a burst of its ID's registrations; a card "
            "counts once. %" PRIu64 " suspicious cards in all\n",
            a->noutlets, a->nranked, p->min_cards, a->suspicious);
    if (n)
        fprintf(f, "  %4s  %-*s %-7s %7s %7s %7s %6s %6s %7s %6s %6s  %s\n", "rank", w, "outlet",
                "kind", "cards", "susp", "share", "quota", "no_id", "invalid", "unver", "burst",
                "name");
    for (size_t i = 0; i < n; i++) {
        const struct cw_audit_outlet *ol = &a->outlets[i];
        fprintf(f,
                "  %4zu  %-*s %-7s %7" PRIu64 " %7" PRIu64 " %6.1f%% %6" PRIu64 " %6" PRIu64
                " %7" PRIu64 " %6" PRIu64 " %6" PRIu64 "  %s%s\n",
                i + 1, w, ol->id[0] ? ol->id : "(none)", kind_name(ol->kind), ol->cards,
                ol->suspicious, ol->share, ol->over_quota, ol->no_id, ol->invalid_id,
                ol->unverified, ol->burst, ol->name, ol->ranked ? "" : " (few cards)");
    }
    if (n < a->noutlets)
        fprintf(f, "  ... %zu more (--top 0, --json or --csv list all)\n", a->noutlets - n);
    if (a->outlets_unused)
        fprintf(f, "  %" PRIu64 " outlets of the outlets table hold no card\n", a->outlets_unused);

    fprintf(f,
            "\n3. Real-name rate (verified cards on a valid ID / cards held) by registration "
            "province, target %.4g%%: %zu below\n",
            p->target, a->provinces_below);
    fprintf(f, "  %-7s %-14s %10s %10s %7s %8s %8s %10s\n", "code", "province", "cards", "verified",
            "rate", "no_id", "invalid", "unverified");
    for (size_t i = 0; i < a->nprovinces; i++)
        text_rate(f, prov_code(a->provinces[i].province), prov_name(a->provinces[i].province),
                  &a->provinces[i]);
    text_rate(f, "all", "", &a->overall);
}

/* ---- the walk's callback: each ID over a limit ---- */

static int on_id(void *user, const struct cw_audit_id *id)
{
    struct out *o = user;
    o->ids++;
    if (o->fmt == F_TEXT)
        return save_id(o, id);
    if (o->fmt == F_JSON) {
        json_id(&o->j, id);
        json_flush(o);
        return o->bad ? CW_EIO : 0;
    }
    if (ferror(o->f))
        return CW_EIO;
    return csv_id(o, id);
}

/* ---- progress on a terminal ---- */

struct progress_state {
    double t0, last;
};

static void show_progress(void *user, const char *phase, uint64_t done, uint64_t total)
{
    struct progress_state *p = user;
    double now = cw_now_seconds();
    if (now - p->last < 0.5 && done != total)
        return;
    p->last = now;
    if (total)
        fprintf(stderr,
                "\r\033[Kcardwatch: audit: reading the %s, %" PRIu64 " of %" PRIu64
                " (%.0f%%), %.0f s",
                phase, done, total, 100.0 * (double)done / (double)total, now - p->t0);
    else
        fprintf(stderr, "\r\033[Kcardwatch: audit: reading the %s, %" PRIu64 ", %.0f s", phase,
                done, now - p->t0);
}

/* ---- options ---- */

static int parse_uint(const char *opt, const char *s, long min, unsigned *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > 1000000000L) {
        cw_cli_err("registry audit: %s wants a whole number >= %ld, got '%s'", opt, min, s);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

int cw_cmd_registry_audit(int argc, char **argv)
{
    enum {
        O_JSON = 256,
        O_CSV,
        O_TABLE,
        O_PLIM,
        O_NLIM,
        O_BCARDS,
        O_BHOURS,
        O_MIN,
        O_TARGET,
        O_TOP
    };
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"json", no_argument, 0, O_JSON},
                                         {"csv", no_argument, 0, O_CSV},
                                         {"table", required_argument, 0, O_TABLE},
                                         {"province-limit", required_argument, 0, O_PLIM},
                                         {"national-limit", required_argument, 0, O_NLIM},
                                         {"burst-cards", required_argument, 0, O_BCARDS},
                                         {"burst-hours", required_argument, 0, O_BHOURS},
                                         {"min-cards", required_argument, 0, O_MIN},
                                         {"target", required_argument, 0, O_TARGET},
                                         {"top", required_argument, 0, O_TOP},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    struct cw_audit_params p;
    cw_audit_params_default(&p);
    struct out o;
    memset(&o, 0, sizeof o);
    o.top = 20;
    o.f = stdout;
    int json = 0, csv = 0, quiet = 0, ch;
    unsigned top = 20;
    char *end;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "d:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': o.db = optarg; break;
        case O_JSON: json = 1; break;
        case O_CSV: csv = 1; break;
        case O_TABLE:
            if (!strcmp(optarg, "ids"))
                o.table = T_IDS;
            else if (!strcmp(optarg, "outlets"))
                o.table = T_OUTLETS;
            else if (!strcmp(optarg, "provinces"))
                o.table = T_PROVINCES;
            else {
                cw_cli_err("registry audit: --table wants ids, outlets or provinces, got '%s'",
                           optarg);
                return 2;
            }
            csv = 1;
            break;
        case O_PLIM:
            if (parse_uint("--province-limit", optarg, 0, &p.province_limit))
                return 2;
            break;
        case O_NLIM:
            if (parse_uint("--national-limit", optarg, 0, &p.national_limit))
                return 2;
            break;
        case O_BCARDS:
            if (parse_uint("--burst-cards", optarg, 2, &p.burst_cards))
                return 2;
            break;
        case O_BHOURS:
            if (parse_uint("--burst-hours", optarg, 0, &p.burst_hours))
                return 2;
            break;
        case O_MIN:
            if (parse_uint("--min-cards", optarg, 0, &p.min_cards))
                return 2;
            break;
        case O_TARGET:
            p.target = strtod(optarg, &end);
            if (!*optarg || *end || !(p.target >= 0.0 && p.target <= 100.0)) {
                cw_cli_err("registry audit: --target wants a percentage 0 to 100, got '%s'",
                           optarg);
                return 2;
            }
            break;
        case O_TOP:
            if (parse_uint("--top", optarg, 0, &top))
                return 2;
            o.top = top;
            break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind < argc) {
        cw_cli_err("registry audit: unexpected argument '%s'", argv[optind]);
        return 2;
    }
    if (!o.db) {
        cw_cli_err("registry audit: --db DIR is required");
        return 2;
    }
    if (json && csv) {
        cw_cli_err("registry audit: --json and --csv (or --table) exclude each other");
        return 2;
    }
    o.fmt = json ? F_JSON : csv ? F_CSV : F_TEXT;

    char err[1024];
    struct cw_registry *reg;
    if (cw_registry_open(o.db, CW_REG_RDONLY, &reg, err, sizeof err) != 0) {
        cw_cli_err("registry audit: %s", err);
        return 1;
    }
    struct progress_state ps = {cw_now_seconds(), 0};
    int tty = !quiet && isatty(STDERR_FILENO);
    struct cw_audit_opts ao = {
        .on_id = o.fmt == F_CSV && o.table != T_ALL && o.table != T_IDS ? NULL : on_id,
        .user = &o,
        .progress = tty ? show_progress : NULL,
        .progress_user = &ps,
    };
    if (o.fmt == F_JSON) {
        cw_json_obj_begin(&o.j, NULL);
        cw_json_str(&o.j, "registry", o.db);
        json_params(&o.j, &p);
        cw_json_arr_begin(&o.j, "ids");
        json_flush(&o);
    } else if (o.fmt == F_CSV && o.table == T_ALL) {
        fputs("# table: ids\n", o.f);
        fputs(ids_header, o.f);
    } else if (o.fmt == F_CSV && o.table == T_IDS) {
        fputs(ids_header, o.f);
    }
    struct cw_audit *a = NULL;
    int rc = cw_audit_run(reg, &p, &ao, &a, err, sizeof err);
    cw_registry_free(reg);
    if (tty)
        fputs("\r\033[K", stderr);
    int status = 0;
    if (rc != 0) {
        if (rc == CW_ENOMEM || rc == CW_EIO)
            cw_cli_err("registry audit: %s: %s", o.db,
                       rc == CW_EIO ? "cannot write the report" : "out of memory");
        else
            cw_cli_err("registry audit: %s: %s", o.db, err);
        status = 1;
    } else {
        switch (o.fmt) {
        case F_JSON: json_tail(&o, a); break;
        case F_TEXT: text_report(&o, a); break;
        case F_CSV:
            if (o.table == T_ALL) {
                fputs("\n# table: outlets\n", o.f);
                csv_outlets(o.f, a);
                fputs("\n# table: provinces\n", o.f);
                csv_provinces(o.f, a);
            } else if (o.table == T_OUTLETS) {
                csv_outlets(o.f, a);
            } else if (o.table == T_PROVINCES) {
                csv_provinces(o.f, a);
            }
            break;
        }
        if (fflush(o.f) != 0 || ferror(o.f) || o.bad) {
            cw_cli_err("registry audit: %s: cannot write the report", o.db);
            status = 1;
        } else if (!quiet && a->changed) {
            cw_cli_err("registry audit: note: %s was updated during the audit; the figures may "
                       "disagree by its changes: run it again for a consistent view",
                       o.db);
        }
    }
    cw_audit_free(a);
    cw_json_release(&o.j);
    for (size_t i = 0; i < o.nsaved; i++)
        saved_free(&o.saved[i]);
    free(o.saved);
    return status;
}
