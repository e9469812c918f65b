/* registry_lmdb.c - the real-name registry in LMDB (the only LMDB user). Schema: docs/registry.md.
 *
 *   cards   msisdn digits          -> card record (layout v1 below)
 *   imsi    imsi digits            -> msisdn digits
 *   ranges  number prefix digits   -> range record
 *   meta    name                   -> text (schema, imported_at, source, key_id, counts)
 *
 * Card record v1 (little-endian, 108 bytes):
 *   0 version(1)=1  1 status(1)  2 verified(1)  3 flags(1: bit0 id_valid)  4 province(2)
 *   6 outlet(24, NUL-padded)  30 imsi(16)  46 id_masked(20)  66 id_pseudo(32)
 *   98 registered_at(8, int64 seconds)  106 reserved(2)
 * Range record v1: version(1)=1 province(2) operator(16).
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <errno.h>
#include <lmdb.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/csv.h"
#include "store/idcard.h"
#include "store/registry.h"
#include "util/error.h"

#define SCHEMA_VERSION "1"
#define CARD_REC_LEN 108
#define RANGE_REC_LEN 19
#define MAP_SIZE (64ull << 30) /* virtual address space only; the file grows as written */
#define DEMO_KEY "cardwatch-demo-pseudonym-key (not secret: demo data only)"

struct cw_registry {
    MDB_env *env;
    MDB_dbi cards, imsi, ranges, meta;
    char *dir;
};

const char *cw_card_status_name(unsigned status)
{
    switch (status) {
    case CW_CARD_ACTIVE: return "active";
    case CW_CARD_SUSPENDED: return "suspended";
    case CW_CARD_CANCELLED: return "cancelled";
    default: return "unknown";
    }
}

static int status_from_name(const char *s)
{
    if (!strcmp(s, "active"))
        return CW_CARD_ACTIVE;
    if (!strcmp(s, "suspended"))
        return CW_CARD_SUSPENDED;
    if (!strcmp(s, "cancelled") || !strcmp(s, "canceled"))
        return CW_CARD_CANCELLED;
    return -1;
}

int cw_msisdn_normalize(const char *in, const char *cc, char out[CW_NUM_MAX])
{
    const char *p = in;
    if (*p == '+')
        p++;
    else if (p[0] == '0' && p[1] == '0')
        p += 2;
    size_t n = strlen(p);
    if (n == 0 || n >= CW_NUM_MAX - 4)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return -1;
    /* A national mobile number (11 digits starting with 1, as in China): add the country code. */
    if (cc && in[0] != '+' && !(in[0] == '0' && in[1] == '0') && n == 11 && p[0] == '1')
        snprintf(out, CW_NUM_MAX, "%s%s", cc, p);
    else
        memcpy(out, p, n + 1);
    return 0;
}

static int db_err(char *err, size_t errlen, const char *dir, const char *what, int rc)
{
    snprintf(err, errlen, "%s: %s: %s", dir, what, mdb_strerror(rc));
    return rc == MDB_MAP_FULL ? CW_EFULL : CW_EDB;
}

int cw_registry_open(const char *dir, int flags, struct cw_registry **out, char *err,
                     size_t errlen)
{
    struct stat st;
    *out = NULL;
    if (stat(dir, &st) != 0) {
        if (!(flags & CW_REG_CREATE)) {
            snprintf(err, errlen, "%s: no registry here (%s); import one with "
                                  "'cardwatch registry import --db %s FILE'",
                     dir, strerror(errno), dir);
            return CW_ENOTFOUND;
        }
        if (mkdir(dir, 0700) != 0) {
            snprintf(err, errlen, "%s: cannot create directory: %s", dir, strerror(errno));
            return CW_EIO;
        }
    } else if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory (the registry is a directory)", dir);
        return CW_EINVAL;
    }
    if ((flags & CW_REG_RDONLY)) {
        char path[4096];
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        if (stat(path, &st) != 0) {
            snprintf(err, errlen, "%s: no registry here (no data.mdb); import one with "
                                  "'cardwatch registry import --db %s FILE'", dir, dir);
            return CW_ENOTFOUND;
        }
    }
    struct cw_registry *r = calloc(1, sizeof *r);
    if (!r || !(r->dir = strdup(dir))) {
        free(r);
        return CW_ENOMEM;
    }
    int rc = mdb_env_create(&r->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(r->env, 8);
    if (rc == 0)
        rc = mdb_env_set_mapsize(r->env, MAP_SIZE);
    if (rc == 0)
        rc = mdb_env_set_maxreaders(r->env, 126);
    if (rc == 0)
        rc = mdb_env_open(r->env, dir, (flags & CW_REG_RDONLY) ? MDB_RDONLY : 0, 0600);
    if (rc) {
        int e = db_err(err, errlen, dir, "cannot open the registry", rc);
        cw_registry_free(r);
        return e;
    }
    MDB_txn *txn;
    unsigned dbflags = (flags & CW_REG_RDONLY) ? 0 : MDB_CREATE;
    rc = mdb_txn_begin(r->env, NULL, (flags & CW_REG_RDONLY) ? MDB_RDONLY : 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "cards", dbflags, &r->cards);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "imsi", dbflags, &r->imsi);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "ranges", dbflags, &r->ranges);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "meta", dbflags, &r->meta);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc) {
        int e = db_err(err, errlen, dir,
                       rc == MDB_NOTFOUND ? "not a cardwatch registry" : "cannot open tables", rc);
        cw_registry_free(r);
        return e;
    }
    *out = r;
    return 0;
}

void cw_registry_free(struct cw_registry *r)
{
    if (!r)
        return;
    if (r->env)
        mdb_env_close(r->env);
    free(r->dir);
    free(r);
}

/* ---- records ---- */

static void put_str(uint8_t *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n > cap)
        n = cap;
    memset(dst, 0, cap);
    memcpy(dst, s, n);
}

static void get_str(char *dst, size_t dstsz, const uint8_t *src, size_t cap)
{
    size_t n = 0;
    while (n < cap && n < dstsz - 1 && src[n])
        n++;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void card_pack(const struct cw_card *c, int id_valid, uint8_t rec[CARD_REC_LEN])
{
    memset(rec, 0, CARD_REC_LEN);
    rec[0] = 1;
    rec[1] = c->status;
    rec[2] = c->verified;
    rec[3] = id_valid ? 1 : 0;
    memcpy(rec + 4, c->province, 2);
    put_str(rec + 6, 24, c->outlet);
    put_str(rec + 30, 16, c->imsi);
    put_str(rec + 46, 20, c->id_masked);
    memcpy(rec + 66, c->id_pseudo, 32);
    uint64_t t = (uint64_t)c->registered_at;
    for (int i = 0; i < 8; i++)
        rec[98 + i] = (uint8_t)(t >> (8 * i));
}

static int card_unpack(const MDB_val *v, struct cw_card *c)
{
    const uint8_t *rec = v->mv_data;
    if (v->mv_size < CARD_REC_LEN || rec[0] != 1)
        return CW_EFORMAT;
    c->registered = 1;
    c->status = rec[1];
    c->verified = rec[2] && (rec[3] & 1);
    c->province[0] = (char)rec[4];
    c->province[1] = (char)rec[5];
    c->province[2] = 0;
    get_str(c->outlet, sizeof c->outlet, rec + 6, 24);
    if (!c->imsi[0])
        get_str(c->imsi, sizeof c->imsi, rec + 30, 16);
    get_str(c->id_masked, sizeof c->id_masked, rec + 46, 20);
    memcpy(c->id_pseudo, rec + 66, 32);
    uint64_t t = 0;
    for (int i = 0; i < 8; i++)
        t |= (uint64_t)rec[98 + i] << (8 * i);
    c->registered_at = (int64_t)t;
    return 0;
}

/* ---- import ---- */

enum col { C_MSISDN, C_IMSI, C_ID, C_PROVINCE, C_STATUS, C_VERIFIED, C_OUTLET, C_REGAT, C__N };
static const char *const col_names[C__N] = {"msisdn",   "imsi",     "id_number", "province",
                                            "status",   "verified", "outlet",    "registered_at"};
enum rcol { R_PREFIX, R_OPERATOR, R_PROVINCE, R__N };
static const char *const rcol_names[R__N] = {"prefix", "operator", "province"};

struct importer {
    struct cw_registry *reg;
    MDB_txn *txn;
    const struct cw_import_opts *opts;
    struct cw_import_stats *st;
    unsigned char key[256];
    size_t keylen;
    const char *file;
    unsigned long line;
    FILE *report;
};

static int all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* "2024-05-01T10:22:00Z", "2024-05-01 10:22:00" or "2024-05-01" as UTC seconds; -1 if bad. */
static int64_t parse_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%d", &tm);
    if (!end)
        return -1;
    if (*end == 'T' || *end == ' ') {
        end = strptime(end + 1, "%H:%M:%S", &tm);
        if (!end)
            return -1;
        if (*end == 'Z')
            end++;
    }
    if (*end)
        return -1;
    return (int64_t)timegm(&tm);
}

static void bad_row(struct importer *im, const char *fmt, const char *what)
{
    fprintf(im->report, "%s:%lu: ", im->file, im->line);
    fprintf(im->report, fmt, what);
    fputc('\n', im->report);
    im->st->bad_rows++;
}

static int import_card(struct importer *im, const int *idx, const struct cw_csv_row *row)
{
    struct cw_card c;
    memset(&c, 0, sizeof c);
#define F(k) (idx[k] >= 0 && idx[k] < row->nfields ? row->field[idx[k]] : "")
    char msisdn[CW_NUM_MAX];
    if (cw_msisdn_normalize(F(C_MSISDN), im->opts->cc, msisdn) != 0) {
        bad_row(im, "msisdn '%s' is not a phone number (digits, optional leading +)",
                F(C_MSISDN));
        return 0;
    }
    const char *imsi = F(C_IMSI);
    if (*imsi && !all_digits(imsi, 14, 15)) {
        bad_row(im, "imsi '%s' is not 14-15 digits", imsi);
        return 0;
    }
    snprintf(c.imsi, sizeof c.imsi, "%s", imsi);
    int st = *F(C_STATUS) ? status_from_name(F(C_STATUS)) : CW_CARD_ACTIVE;
    if (st < 0) {
        bad_row(im, "status '%s' is not active, suspended or cancelled", F(C_STATUS));
        return 0;
    }
    c.status = (uint8_t)st;
    const char *ver = F(C_VERIFIED);
    if (!strcmp(ver, "1") || !strcmp(ver, "true") || !strcmp(ver, "yes"))
        c.verified = 1;
    else if (!strcmp(ver, "0") || !strcmp(ver, "false") || !strcmp(ver, "no") || !*ver)
        c.verified = 0;
    else {
        bad_row(im, "verified '%s' is not 1 or 0", ver);
        return 0;
    }
    const char *prov = F(C_PROVINCE);
    if (*prov && !all_digits(prov, 2, 2)) {
        bad_row(im, "province '%s' is not a 2-digit GB/T 2260 code", prov);
        return 0;
    }
    memcpy(c.province, prov, strlen(prov) + 1);
    snprintf(c.outlet, sizeof c.outlet, "%s", F(C_OUTLET));
    if (*F(C_REGAT)) {
        int64_t t = parse_time(F(C_REGAT));
        if (t < 0) {
            bad_row(im, "registered_at '%s' is not a date (YYYY-MM-DD[THH:MM:SSZ])", F(C_REGAT));
            return 0;
        }
        c.registered_at = t;
    }
    /* The ID number: validated, then kept only as a keyed pseudonym and a masked form. A card
     * registered to an invalid ID is kept, flagged: it is not really registered. */
    const char *id = F(C_ID);
    int id_valid = 0;
    if (*id) {
        struct cw_idcard_info info;
        id_valid = cw_idcard_validate(id, strlen(id), &info) == 0;
        cw_idcard_mask(id, c.id_masked);
        unsigned int mdlen = 32;
        HMAC(EVP_sha256(), im->key, (int)im->keylen, (const unsigned char *)id, strlen(id),
             c.id_pseudo, &mdlen);
        if (!id_valid)
            fprintf(im->report, "%s:%lu: warning: id_number of card %s is not a valid citizen ID "
                            "number; kept, flagged as unverified\n",
                    im->file, im->line, msisdn);
    }
#undef F
    uint8_t rec[CARD_REC_LEN];
    card_pack(&c, id_valid, rec);
    MDB_val k = {strlen(msisdn), msisdn}, v = {sizeof rec, rec};
    int rc = mdb_put(im->txn, im->reg->cards, &k, &v, 0);
    if (rc == 0 && c.imsi[0]) {
        MDB_val ik = {strlen(c.imsi), c.imsi};
        rc = mdb_put(im->txn, im->reg->imsi, &ik, &k, 0);
    }
    if (rc)
        return rc;
    im->st->cards++;
    return 0;
}

static int import_range(struct importer *im, const int *idx, const struct cw_csv_row *row)
{
#define F(k) (idx[k] >= 0 && idx[k] < row->nfields ? row->field[idx[k]] : "")
    const char *prefix = F(R_PREFIX);
    if (*prefix == '+')
        prefix++;
    if (!all_digits(prefix, 1, 15)) {
        bad_row(im, "prefix '%s' is not 1-15 digits", F(R_PREFIX));
        return 0;
    }
    const char *prov = F(R_PROVINCE);
    if (*prov && !all_digits(prov, 2, 2)) {
        bad_row(im, "province '%s' is not a 2-digit GB/T 2260 code", prov);
        return 0;
    }
    uint8_t rec[RANGE_REC_LEN];
    memset(rec, 0, sizeof rec);
    rec[0] = 1;
    memcpy(rec + 1, prov, strlen(prov));
    put_str(rec + 3, 16, F(R_OPERATOR));
#undef F
    MDB_val k = {strlen(prefix), (void *)prefix}, v = {sizeof rec, rec};
    int rc = mdb_put(im->txn, im->reg->ranges, &k, &v, 0);
    if (rc)
        return rc;
    im->st->ranges++;
    return 0;
}

/* Map header names to column indexes; returns 1 registry, 2 ranges, 0 neither. */
static int classify_header(struct cw_csv_row *hdr, int *idx, int *ridx, const char *file,
                           FILE *report)
{
    for (int i = 0; i < C__N; i++)
        idx[i] = -1;
    for (int i = 0; i < R__N; i++)
        ridx[i] = -1;
    for (int f = 0; f < hdr->nfields; f++) {
        char *h = hdr->field[f];
        if (f == 0 && (unsigned char)h[0] == 0xef && (unsigned char)h[1] == 0xbb &&
            (unsigned char)h[2] == 0xbf)
            h += 3; /* UTF-8 byte order mark */
        for (int i = 0; i < C__N; i++)
            if (!strcmp(h, col_names[i]))
                idx[i] = f;
        for (int i = 0; i < R__N; i++)
            if (!strcmp(h, rcol_names[i]))
                ridx[i] = f;
    }
    if (idx[C_MSISDN] >= 0) {
        for (int f = 0; f < hdr->nfields; f++) {
            int known = 0;
            for (int i = 0; i < C__N; i++)
                known |= idx[i] == f;
            if (!known)
                fprintf(report, "%s:1: note: column '%s' is not used and not stored%s\n", file,
                        hdr->field[f],
                        strstr(hdr->field[f], "name") ? " (names are never stored)" : "");
        }
        return 1;
    }
    if (ridx[R_PREFIX] >= 0)
        return 2;
    return 0;
}

static int import_file(struct importer *im, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CW_EIO;
    }
    im->file = path;
    im->line = 0;
    char *line = NULL;
    size_t cap = 0;
    int kind = 0, idx[C__N] = {0}, ridx[R__N] = {0}, rc = 0;
    struct cw_csv_row row;
    while (getline(&line, &cap, f) > 0) {
        im->line++;
        int col;
        if (cw_csv_split(line, &row, &col) != 0) {
            if (im->line == 1) {
                snprintf(err, errlen, "%s:1:%d: malformed CSV header", path, col);
                rc = CW_EFORMAT;
                break;
            }
            fprintf(im->report, "%s:%lu:%d: malformed CSV (unbalanced quote or too many fields)\n",
                    path, im->line, col);
            im->st->bad_rows++;
        } else if (im->line == 1) {
            kind = classify_header(&row, idx, ridx, path, im->report);
            if (!kind) {
                snprintf(err, errlen,
                         "%s:1: header names neither a registry file (needs a 'msisdn' column) "
                         "nor a ranges file (needs a 'prefix' column)", path);
                rc = CW_EFORMAT;
                break;
            }
            continue;
        } else if (row.nfields == 1 && row.field[0][0] == 0) {
            continue; /* blank line */
        } else {
            rc = kind == 1 ? import_card(im, idx, &row) : import_range(im, ridx, &row);
            if (rc) {
                db_err(err, errlen, im->reg->dir, "write failed", rc);
                rc = rc == MDB_MAP_FULL ? CW_EFULL : CW_EDB;
                break;
            }
        }
        if (im->opts->max_errors >= 0 && (long)im->st->bad_rows > im->opts->max_errors) {
            snprintf(err, errlen, "%s:%lu: more than %ld bad rows, import abandoned "
                                  "(--max-errors); the registry is unchanged",
                     path, im->line, im->opts->max_errors);
            rc = CW_EFORMAT;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = CW_EIO;
    }
    if (rc == 0 && im->line == 0) {
        snprintf(err, errlen, "%s: empty file, expected a CSV header line", path);
        rc = CW_EFORMAT;
    }
    free(line);
    fclose(f);
    return rc;
}

static int load_key(struct importer *im, const char *key_file, char *err, size_t errlen)
{
    if (!key_file) {
        fprintf(im->report, "cardwatch: note: no --key-file given: ID numbers are pseudonymised with "
                        "the built-in DEMO key; use a secret key file for real records\n");
        im->keylen = strlen(DEMO_KEY);
        memcpy(im->key, DEMO_KEY, im->keylen);
        return 0;
    }
    FILE *f = fopen(key_file, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", key_file, strerror(errno));
        return CW_EIO;
    }
    im->keylen = fread(im->key, 1, sizeof im->key, f);
    fclose(f);
    if (im->keylen < 16) {
        snprintf(err, errlen, "%s: key file holds %zu bytes; at least 16 are needed", key_file,
                 im->keylen);
        return CW_EINVAL;
    }
    return 0;
}

static int put_meta(struct importer *im, const char *name, const char *value)
{
    MDB_val k = {strlen(name), (void *)name}, v = {strlen(value), (void *)value};
    return mdb_put(im->txn, im->reg->meta, &k, &v, 0);
}

int cw_registry_import(struct cw_registry *reg, const char *const *files, int nfiles,
                       const struct cw_import_opts *opts, struct cw_import_stats *st, char *err,
                       size_t errlen)
{
    struct importer im;
    memset(&im, 0, sizeof im);
    memset(st, 0, sizeof *st);
    im.reg = reg;
    im.opts = opts;
    im.st = st;
    im.report = opts->report ? opts->report : stderr;
    int rc = load_key(&im, opts->key_file, err, errlen);
    if (rc)
        return rc;
    rc = mdb_txn_begin(reg->env, NULL, 0, &im.txn);
    if (rc)
        return db_err(err, errlen, reg->dir, "cannot start a write transaction", rc);
    for (int i = 0; i < nfiles && rc == 0; i++)
        rc = import_file(&im, files[i], err, errlen);
    if (rc == 0) {
        char buf[512], now[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
        buf[0] = 0;
        for (int i = 0; i < nfiles; i++) {
            size_t n = strlen(buf);
            snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "", files[i]);
        }
        unsigned char kid[32];
        unsigned int kl = 32;
        EVP_Digest(im.key, im.keylen, kid, &kl, EVP_sha256(), NULL);
        char kidhex[17];
        for (int i = 0; i < 8; i++)
            snprintf(kidhex + 2 * i, 3, "%02x", kid[i]);
        rc = put_meta(&im, "schema", SCHEMA_VERSION);
        if (rc == 0)
            rc = put_meta(&im, "imported_at", now);
        if (rc == 0)
            rc = put_meta(&im, "source", buf);
        if (rc == 0)
            rc = put_meta(&im, "key_id", kidhex);
        if (rc == 0)
            rc = put_meta(&im, "cc", opts->cc ? opts->cc : "86");
        if (rc == 0)
            rc = mdb_txn_commit(im.txn);
        else
            mdb_txn_abort(im.txn);
        if (rc)
            return db_err(err, errlen, reg->dir, "commit failed; the registry is unchanged", rc);
        return 0;
    }
    mdb_txn_abort(im.txn);
    return rc;
}

/* ---- lookups ---- */

struct range_ent {
    char prefix[16];
    char province[3];
};

struct cw_reg_reader {
    struct cw_registry *reg;
    MDB_txn *txn;
    struct range_ent *ranges; /* sorted by prefix */
    size_t nranges;
    uint16_t lengths; /* bit n set: some prefix has n digits */
    char cc[8];       /* country code given to national numbers, from the import */
};

static int cmp_range(const void *a, const void *b)
{
    return strcmp(((const struct range_ent *)a)->prefix, ((const struct range_ent *)b)->prefix);
}

static int load_ranges(struct cw_reg_reader *rd)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(rd->txn, rd->reg->ranges, &cur);
    if (rc)
        return CW_EDB;
    size_t cap = 0;
    free(rd->ranges);
    rd->ranges = NULL;
    rd->nranges = 0;
    rd->lengths = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size == 0 || k.mv_size > 15)
            continue;
        if (rd->nranges == cap) {
            cap = cap ? cap * 2 : 64;
            struct range_ent *n = realloc(rd->ranges, cap * sizeof *n);
            if (!n) {
                mdb_cursor_close(cur);
                return CW_ENOMEM;
            }
            rd->ranges = n;
        }
        struct range_ent *e = &rd->ranges[rd->nranges++];
        memset(e, 0, sizeof *e);
        memcpy(e->prefix, k.mv_data, k.mv_size);
        const uint8_t *rec = v.mv_data;
        if (v.mv_size >= 3 && rec[0] == 1 && rec[1])
            memcpy(e->province, rec + 1, 2);
        rd->lengths |= (uint16_t)(1u << k.mv_size);
    }
    mdb_cursor_close(cur);
    if (rd->nranges > 1) /* LMDB's key order is already strcmp order; sort in case it is not */
        qsort(rd->ranges, rd->nranges, sizeof *rd->ranges, cmp_range);
    return 0;
}

static void get_meta(MDB_txn *txn, MDB_dbi dbi, const char *name, char *out, size_t outsz);

int cw_reg_reader_new(struct cw_registry *reg, struct cw_reg_reader **out)
{
    struct cw_reg_reader *rd = calloc(1, sizeof *rd);
    if (!rd)
        return CW_ENOMEM;
    rd->reg = reg;
    if (mdb_txn_begin(reg->env, NULL, MDB_RDONLY, &rd->txn)) {
        free(rd);
        return CW_EDB;
    }
    get_meta(rd->txn, reg->meta, "cc", rd->cc, sizeof rd->cc);
    if (!rd->cc[0])
        memcpy(rd->cc, "86", 3);
    int rc = load_ranges(rd);
    if (rc) {
        cw_reg_reader_free(rd);
        return rc;
    }
    *out = rd;
    return 0;
}

void cw_reg_reader_free(struct cw_reg_reader *rd)
{
    if (!rd)
        return;
    if (rd->txn)
        mdb_txn_abort(rd->txn);
    free(rd->ranges);
    free(rd);
}

int cw_reg_reader_refresh(struct cw_reg_reader *rd)
{
    mdb_txn_reset(rd->txn);
    if (mdb_txn_renew(rd->txn))
        return CW_EDB;
    return load_ranges(rd);
}

static const struct range_ent *range_match(const struct cw_reg_reader *rd, const char *num)
{
    size_t n = strlen(num);
    for (size_t len = n < 15 ? n : 15; len > 0; len--) {
        if (!(rd->lengths & (1u << len)))
            continue;
        struct range_ent key;
        memset(&key, 0, sizeof key);
        memcpy(key.prefix, num, len);
        const struct range_ent *e =
            bsearch(&key, rd->ranges, rd->nranges, sizeof key, cmp_range);
        if (e)
            return e;
    }
    return NULL;
}

int cw_reg_lookup(struct cw_reg_reader *rd, const char *msisdn, const char *imsi,
                  struct cw_card *out)
{
    memset(out, 0, sizeof *out);
    MDB_val k, v;
    int have_num = msisdn && *msisdn && cw_msisdn_normalize(msisdn, rd->cc, out->msisdn) == 0;
    if (imsi && *imsi)
        snprintf(out->imsi, sizeof out->imsi, "%s", imsi);
    if (!have_num && out->imsi[0]) {
        k.mv_size = strlen(out->imsi);
        k.mv_data = out->imsi;
        int rc = mdb_get(rd->txn, rd->reg->imsi, &k, &v);
        if (rc == 0 && v.mv_size < CW_NUM_MAX) {
            memcpy(out->msisdn, v.mv_data, v.mv_size);
            out->msisdn[v.mv_size] = 0;
            have_num = 1;
        } else if (rc && rc != MDB_NOTFOUND) {
            return CW_EDB;
        }
    }
    if (!have_num)
        return 0;
    const struct range_ent *r = range_match(rd, out->msisdn);
    if (r) {
        out->home = 1;
        memcpy(out->range_province, r->province, sizeof out->range_province);
    }
    k.mv_size = strlen(out->msisdn);
    k.mv_data = out->msisdn;
    int rc = mdb_get(rd->txn, rd->reg->cards, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return CW_EDB;
    if (card_unpack(&v, out))
        return CW_EFORMAT;
    return 1;
}

static void get_meta(MDB_txn *txn, MDB_dbi dbi, const char *name, char *out, size_t outsz)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    out[0] = 0;
    if (mdb_get(txn, dbi, &k, &v) == 0) {
        size_t n = v.mv_size < outsz - 1 ? v.mv_size : outsz - 1;
        memcpy(out, v.mv_data, n);
        out[n] = 0;
    }
}

int cw_registry_info(struct cw_registry *reg, struct cw_registry_info *info)
{
    MDB_txn *txn;
    MDB_stat s;
    memset(info, 0, sizeof *info);
    if (mdb_txn_begin(reg->env, NULL, MDB_RDONLY, &txn))
        return CW_EDB;
    if (mdb_stat(txn, reg->cards, &s) == 0)
        info->cards = s.ms_entries;
    if (mdb_stat(txn, reg->imsi, &s) == 0)
        info->imsis = s.ms_entries;
    if (mdb_stat(txn, reg->ranges, &s) == 0)
        info->ranges = s.ms_entries;
    get_meta(txn, reg->meta, "schema", info->schema, sizeof info->schema);
    mdb_txn_abort(txn);
    return 0;
}
