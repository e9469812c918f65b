/* registry_lmdb.c - the real-name registry in LMDB (the only LMDB user). Schema v2, in
 * docs/registry.md; record layouts in registry_int.h.
 *
 *   cards    msisdn digits                 -> card record v2
 *   imsi     imsi digits                   -> msisdn digits
 *   ids      ID pseudonym (32 bytes)       -> dup-sorted, fixed: province, msisdn, status
 *   outlets  outlet id                     -> outlet record v1
 *   ranges   number prefix digits          -> range record v1
 *   meta     name                          -> text: schema, cc, key_id, persons, log.NNNNNN
 *
 * An import is a full load of the tables its files give: rows are validated, sorted
 * externally (extsort.c) and appended in key order (MDB_APPEND, MDB_APPENDDUP) in one write
 * transaction. An update applies a delta row by row in one write transaction. Both grow the
 * map when it fills (retrying from the start: a transaction that hit MDB_MAP_FULL is lost),
 * up to the caller's limit.
 */
#define _GNU_SOURCE /* getline, strnlen */
#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "store/csv.h"
#include "store/extsort.h"
#include "store/idcard.h"
#include "store/registry.h"
#include "store/registry_int.h"
#include "store/validate.h"
#include "util/error.h"

#define SCHEMA_TEXT "2"
#define MIB ((uint64_t)1024 * 1024)
#define MAP_MIN (64 * MIB)
#define SORT_MEM_DEFAULT (256 * MIB)
#define WARN_LIMIT_DEFAULT 100

struct cw_registry {
    MDB_env *env;
    MDB_dbi cards, imsi, ids, outlets, ranges, meta, cells;
    int has_cells; /* a store made before the cells table was added has none */
    char *dir;
    int rdonly;
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

/* Begin a transaction, adopting a map another process has grown meanwhile. */
static int txn_begin(struct cw_registry *r, unsigned flags, MDB_txn **txn)
{
    int rc = mdb_txn_begin(r->env, NULL, flags, txn);
    if (rc == MDB_MAP_RESIZED) {
        mdb_env_set_mapsize(r->env, 0);
        rc = mdb_txn_begin(r->env, NULL, flags, txn);
    }
    return rc;
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

static int put_meta(MDB_txn *txn, MDB_dbi dbi, const char *name, const char *value)
{
    MDB_val k = {strlen(name), (void *)name}, v = {strlen(value), (void *)value};
    return mdb_put(txn, dbi, &k, &v, 0);
}

int cw_registry_open(const char *dir, int flags, struct cw_registry **out, char *err, size_t errlen)
{
    struct stat st;
    *out = NULL;
    if (stat(dir, &st) != 0) {
        if (!(flags & CW_REG_CREATE)) {
            snprintf(err, errlen,
                     "%s: no registry here (%s); import one with "
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
            snprintf(err, errlen,
                     "%s: no registry here (no data.mdb); import one with "
                     "'cardwatch registry import --db %s FILE'",
                     dir, dir);
            return CW_ENOTFOUND;
        }
    }
    struct cw_registry *r = calloc(1, sizeof *r);
    if (!r || !(r->dir = strdup(dir))) {
        free(r);
        return CW_ENOMEM;
    }
    r->rdonly = (flags & CW_REG_RDONLY) != 0;
    int rc = mdb_env_create(&r->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(r->env, 8);
    if (rc == 0)
        rc = mdb_env_set_maxreaders(r->env, 254);
    /* MDB_NOTLS: a read snapshot belongs to its reader object, not to a thread, so a thread
     * may hold several (a worker's reader, a walk) and a writer beside them. */
    if (rc == 0)
        rc = mdb_env_open(r->env, dir,
                          MDB_NOTLS | (r->rdonly ? MDB_RDONLY : 0) |
                              ((flags & CW_REG_NOSYNC) ? MDB_NOSYNC : 0),
                          0600);
    if (rc) {
        int e = db_err(err, errlen, dir, "cannot open the registry", rc);
        cw_registry_free(r);
        return e;
    }
    MDB_txn *txn;
    unsigned dbflags = r->rdonly ? 0 : MDB_CREATE;
    rc = txn_begin(r, r->rdonly ? MDB_RDONLY : 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "cards", dbflags, &r->cards);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "imsi", dbflags, &r->imsi);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "ids", dbflags | MDB_DUPSORT | MDB_DUPFIXED, &r->ids);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "outlets", dbflags, &r->outlets);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "ranges", dbflags, &r->ranges);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "meta", dbflags, &r->meta);
    if (rc == 0) {
        int crc = mdb_dbi_open(txn, "cells", dbflags, &r->cells);
        r->has_cells = crc == 0;
        if (crc != MDB_NOTFOUND)
            rc = crc;
    }
    char schema[16] = "";
    if (rc == 0)
        get_meta(txn, r->meta, "schema", schema, sizeof schema);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc) {
        int e = db_err(err, errlen, dir,
                       rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE
                           ? "not a cardwatch registry of schema " SCHEMA_TEXT
                             " (import it again with this cardwatch)"
                           : "cannot open tables",
                       rc);
        cw_registry_free(r);
        return e;
    }
    if (r->rdonly && !schema[0]) {
        snprintf(err, errlen,
                 "%s: the registry is empty (no import has completed here); import one with "
                 "'cardwatch registry import --db %s FILE'",
                 dir, dir);
        cw_registry_free(r);
        return CW_ENOTFOUND;
    }
    if (r->rdonly && strcmp(schema, SCHEMA_TEXT) != 0) {
        snprintf(err, errlen,
                 "%s: registry schema '%s', this cardwatch reads schema " SCHEMA_TEXT
                 ": import the registry again",
                 dir, schema);
        cw_registry_free(r);
        return CW_EFORMAT;
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

/* ---- map size ---- */

static uint64_t map_used(struct cw_registry *r, uint64_t *mapsize)
{
    MDB_envinfo ei;
    MDB_stat es;
    mdb_env_info(r->env, &ei);
    mdb_env_stat(r->env, &es);
    *mapsize = ei.me_mapsize;
    return ((uint64_t)ei.me_last_pgno + 1) * es.ms_psize;
}

static uint64_t round_mib(uint64_t v)
{
    return (v + MIB - 1) / MIB * MIB;
}

/* Make the map at least @p want bytes (no transaction may be open in this process). */
static int map_ensure(struct cw_registry *r, uint64_t want, uint64_t map_max)
{
    uint64_t cur;
    map_used(r, &cur);
    want = round_mib(want < MAP_MIN ? MAP_MIN : want);
    if (map_max && want > map_max)
        want = map_max / MIB * MIB;
    if (want <= cur)
        return 0;
    return mdb_env_set_mapsize(r->env, (size_t)want);
}

/* ---- writing: what import and update share ---- */

struct writer {
    struct cw_registry *reg;
    const struct cw_import_opts *opts;
    struct cw_import_stats *st;
    MDB_txn *txn;
    struct cw_row_ctx x;
    unsigned char key[CW_REG_KEY_MAX];
    size_t keylen;
    int have_key;
    char key_id[17];
    const char *const *files;
    int nfiles;
    uint64_t persons; /* IDs holding cards (kept in meta: LMDB counts dups, not keys) */
    char *err;
    size_t errlen;
    int failed_rc; /* an LMDB error code that ended the run, for the map-full retry */
};

static int too_many_errors(struct writer *w)
{
    long max = w->opts->max_errors;
    if (max < 0 || (long)w->st->bad_rows <= max)
        return 0;
    snprintf(w->err, w->errlen,
             "%s:%lu: more than %ld bad rows: abandoned (--max-errors); the registry is "
             "unchanged",
             w->x.file, w->x.line, max);
    return 1;
}

/* An LMDB failure while writing: a full map is retried with a bigger one by the caller. A
 * failed write (LMDB reports a short write as EIO) says how much room the disk has left. */
static int write_fail(struct writer *w, int rc, const char *what)
{
    w->failed_rc = rc;
    if (rc == MDB_MAP_FULL)
        return CW_EFULL;
    char hint[160] = "";
    struct statvfs vs;
    if ((rc == EIO || rc == ENOSPC || rc == EFBIG || rc == EDQUOT) &&
        statvfs(w->reg->dir, &vs) == 0)
        snprintf(hint, sizeof hint, " (%" PRIu64 " MiB free on the disk holding %s%s)",
                 (uint64_t)vs.f_bavail * vs.f_frsize / MIB, w->reg->dir,
                 rc == EIO ? "; a full disk or a file size limit shows as an I/O error" : "");
    snprintf(w->err, w->errlen, "%s: %s: %s%s; the registry is unchanged", w->reg->dir, what,
             mdb_strerror(rc), hint);
    return rc == ENOSPC || rc == EFBIG || rc == EDQUOT ? CW_EFULL : CW_EDB;
}

static int need_key(struct writer *w)
{
    if (w->have_key)
        return 0;
    int rc =
        cw_reg_load_key(w->opts->key_file, w->opts->demo, w->key, &w->keylen, w->err, w->errlen);
    if (rc)
        return rc;
    if (!w->opts->key_file)
        fprintf(w->x.report, "cardwatch: note: --demo: ID numbers are pseudonymised with the "
                             "built-in DEMO key, fit for synthetic data only\n");
    cw_reg_key_id(w->key, w->keylen, w->key_id);
    if ((rc = cw_hmac_new(w->key, w->keylen, &w->x.hmac)) != 0) {
        snprintf(w->err, w->errlen, "cannot set up the pseudonym key (OpenSSL)");
        return rc;
    }
    w->have_key = 1;
    return 0;
}

static void progress(struct writer *w, const char *phase, uint64_t done, uint64_t total)
{
    if (w->opts->progress)
        w->opts->progress(w->opts->progress_user, phase, done, total);
}

static void now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The closing metadata of an import or update: counts and a history line. */
static int finish_meta(struct writer *w, const char *what)
{
    MDB_txn *t = w->txn;
    MDB_dbi m = w->reg->meta;
    char buf[320], now[32], num[32], next[32];
    now_iso(now);
    int n = snprintf(buf, sizeof buf,
                     "%s %s: %" PRIu64 " rows, %" PRIu64 " cards, %" PRIu64 " deleted, %" PRIu64
                     " outlets, %" PRIu64 " ranges, %" PRIu64 " cells, %" PRIu64
                     " bad rows, %" PRIu64 " invalid IDs; from",
                     now, what, w->st->rows, w->st->cards, w->st->deleted, w->st->outlets,
                     w->st->ranges, w->st->cells, w->st->bad_rows, w->st->ids_invalid);
    for (int i = 0; i < w->nfiles && n > 0 && (size_t)n < sizeof buf; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, " %s", w->files[i]);
    get_meta(t, m, "log_next", next, sizeof next);
    unsigned long seq = strtoul(next, NULL, 10) + 1;
    char logkey[32];
    snprintf(logkey, sizeof logkey, "log.%06lu", seq);
    snprintf(next, sizeof next, "%lu", seq);
    snprintf(num, sizeof num, "%" PRIu64, w->persons);
    int rc = put_meta(t, m, "schema", SCHEMA_TEXT);
    if (rc == 0)
        rc = put_meta(t, m, "cc", w->opts->cc ? w->opts->cc : "86");
    if (rc == 0 && w->have_key)
        rc = put_meta(t, m, "key_id", w->key_id);
    if (rc == 0)
        rc = put_meta(t, m, "persons", num);
    if (rc == 0)
        rc = put_meta(t, m, "log_next", next);
    if (rc == 0)
        rc = put_meta(t, m, logkey, buf);
    return rc;
}

/* Read the CSV files in order, calling @p row_fn for each data row with the file's header.
 * Returns 0 or a CW_E* code (message in w->err). */
typedef int (*row_fn)(struct writer *w, const struct cw_reg_header *h, const struct cw_csv_row *row,
                      int file_idx);

static int read_files(struct writer *w, row_fn fn)
{
    int rc = 0;
    char *line = NULL;
    size_t cap = 0;
    for (int fi = 0; fi < w->nfiles && rc == 0; fi++) {
        const char *path = w->files[fi];
        FILE *f = fopen(path, "r");
        if (!f) {
            snprintf(w->err, w->errlen, "%s: %s", path, strerror(errno));
            rc = CW_EIO;
            break;
        }
        w->x.file = path;
        w->x.line = 0;
        struct cw_reg_header h;
        struct cw_csv_row row;
        while (rc == 0 && getline(&line, &cap, f) > 0) {
            w->x.line++;
            int col;
            if (cw_csv_split(line, &row, &col) != 0) {
                if (w->x.line == 1) {
                    snprintf(w->err, w->errlen, "%s:1:%d: malformed CSV header", path, col);
                    rc = CW_EFORMAT;
                    break;
                }
                w->st->rows++;
                cw_reg_bad_row(&w->x,
                               "malformed CSV at column %d (unbalanced quote or more "
                               "than %d fields)",
                               col, CW_CSV_MAX_FIELDS);
            } else if (w->x.line == 1) {
                cw_reg_header(&w->x, &row, &h);
                if (h.kind == CW_RF_NONE) {
                    snprintf(w->err, w->errlen,
                             "%s:1: the header names no known file: a registry file needs an "
                             "'msisdn' column, an outlets file an 'outlet' column, a ranges "
                             "file a 'prefix' column, a cells file a 'cell_prefix' column",
                             path);
                    rc = CW_EFORMAT;
                }
                if (rc == 0 && h.kind == CW_RF_CARDS)
                    rc = need_key(w);
                continue;
            } else if (row.nfields == 1 && row.field[0][0] == 0) {
                continue; /* blank line */
            } else {
                w->st->rows++;
                rc = fn(w, &h, &row, fi);
                if (rc == 0 && (w->st->rows & 0xffff) == 0)
                    progress(w, "read", w->st->rows, 0);
            }
            if (rc == 0 && too_many_errors(w))
                rc = CW_EFORMAT;
        }
        if (rc == 0 && ferror(f)) {
            snprintf(w->err, w->errlen, "%s: read error: %s", path, strerror(errno));
            rc = CW_EIO;
        }
        if (rc == 0 && w->x.line == 0) {
            snprintf(w->err, w->errlen, "%s: empty file, expected a CSV header line", path);
            rc = CW_EFORMAT;
        }
        fclose(f);
    }
    free(line);
    return rc;
}

/* ---- import: a full load ---- */

/* Sort records: a card by MSISDN, then where it came from (so the first of duplicates wins);
 * an IMSI the same way; an index entry by pseudonym and entry. */
#define SEQ_LEN 8
#define CSORT_KEY (16 + SEQ_LEN)
#define CSORT_LEN (CSORT_KEY + CW_CARD_REC_LEN)
#define ISORT_KEY (16 + SEQ_LEN)
#define ISORT_LEN (ISORT_KEY + 16)
#define XSORT_LEN (CW_PSEUDO_LEN + CW_IDX_REC_LEN)

struct importer {
    struct writer w;
    struct cw_xsort *cards, *imsis, *ids;
    int have_cards, dropped_outlets, dropped_ranges, dropped_cells;
    char (*rejected)[16]; /* cards refused at the IMSI stage, sorted for lookup */
    size_t nrejected, caprejected;
};

static void put_seq(uint8_t *p, int file_idx, unsigned long line)
{
    uint64_t v = ((uint64_t)file_idx << 48) | (line & 0xffffffffffffull);
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void seq_where(struct importer *im, const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    int fi = (int)(v >> 48);
    im->w.x.file = fi < im->w.nfiles ? im->w.files[fi] : "?";
    im->w.x.line = (unsigned long)(v & 0xffffffffffffull);
}

static int sort_fail(struct importer *im, struct cw_xsort *s, int rc)
{
    if (rc == CW_ENOMEM)
        snprintf(im->w.err, im->w.errlen, "out of memory while sorting");
    else
        snprintf(im->w.err, im->w.errlen, "sorting the rows: %s; the registry is unchanged",
                 cw_xsort_error(s));
    return rc;
}

static int new_sorter(struct importer *im, size_t len, size_t key, size_t mem, struct cw_xsort **s)
{
    const char *tmp = im->w.opts->tmp_dir ? im->w.opts->tmp_dir : im->w.reg->dir;
    int rc = cw_xsort_new(len, key, mem, tmp, s);
    if (rc)
        snprintf(im->w.err, im->w.errlen, "cannot set up sorting in %s: %s", tmp, cw_strerror(rc));
    return rc;
}

static int import_row(struct writer *w, const struct cw_reg_header *h, const struct cw_csv_row *row,
                      int fi)
{
    struct importer *im = (struct importer *)w;
    int rc;
    if (h->kind == CW_RF_CARDS) {
        struct cw_card c;
        int op;
        if (cw_reg_card_row(&w->x, h, row, &c, &op))
            return 0;
        uint8_t rec[CSORT_LEN];
        memset(rec, 0, CSORT_KEY);
        memcpy(rec, c.msisdn, strlen(c.msisdn));
        put_seq(rec + 16, fi, w->x.line);
        cw_card_pack(&c, rec + CSORT_KEY);
        im->have_cards = 1;
        rc = cw_xsort_add(im->cards, rec);
        return rc ? sort_fail(im, im->cards, rc) : 0;
    }
    MDB_val k, v;
    struct cw_outlet o; /* k and v point into these until the put */
    uint8_t orec[CW_OUTLET_REC_LEN], rrec[CW_RANGE_REC_LEN], crec[CW_CELL_REC_LEN];
    char prefix[16], cprefix[CW_CELL_PREFIX_MAX + 1];
    MDB_dbi dbi = h->kind == CW_RF_OUTLETS ? w->reg->outlets
                  : h->kind == CW_RF_CELLS ? w->reg->cells
                                           : w->reg->ranges;
    if (h->kind == CW_RF_CELLS) {
        if (!im->dropped_cells && (rc = mdb_drop(w->txn, w->reg->cells, 0)) != 0)
            return write_fail(w, rc, "cannot empty the cells table");
        im->dropped_cells = 1;
        if (cw_reg_cell_row(&w->x, h, row, cprefix, crec))
            return 0;
        k = (MDB_val){strlen(cprefix), cprefix};
        v = (MDB_val){sizeof crec, crec};
    } else if (h->kind == CW_RF_OUTLETS) {
        if (!im->dropped_outlets && (rc = mdb_drop(w->txn, w->reg->outlets, 0)) != 0)
            return write_fail(w, rc, "cannot empty the outlets table");
        im->dropped_outlets = 1;
        if (cw_reg_outlet_row(&w->x, h, row, &o))
            return 0;
        cw_outlet_pack(&o, orec);
        k = (MDB_val){strlen(o.id), o.id};
        v = (MDB_val){sizeof orec, orec};
    } else {
        if (!im->dropped_ranges && (rc = mdb_drop(w->txn, w->reg->ranges, 0)) != 0)
            return write_fail(w, rc, "cannot empty the ranges table");
        im->dropped_ranges = 1;
        if (cw_reg_range_row(&w->x, h, row, prefix, rrec))
            return 0;
        k = (MDB_val){strlen(prefix), prefix};
        v = (MDB_val){sizeof rrec, rrec};
    }
    rc = mdb_put(w->txn, dbi, &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) {
        cw_reg_bad_row(&w->x, "%s '%.*s' is given twice (the first is kept)",
                       h->kind == CW_RF_OUTLETS ? "outlet"
                       : h->kind == CW_RF_CELLS ? "cell prefix"
                                                : "prefix",
                       (int)k.mv_size, (const char *)k.mv_data);
        return 0;
    }
    if (rc)
        return write_fail(w, rc, "write failed");
    if (h->kind == CW_RF_OUTLETS)
        w->st->outlets++;
    else if (h->kind == CW_RF_CELLS)
        w->st->cells++;
    else
        w->st->ranges++;
    return 0;
}

static int cmp16(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

static int rejected(const struct importer *im, const char *msisdn16)
{
    return im->nrejected && bsearch(msisdn16, im->rejected, im->nrejected, 16, cmp16) != NULL;
}

/* Cards in MSISDN order: the first row of each MSISDN is appended; later ones are bad rows. */
static int merge_cards(struct importer *im)
{
    struct writer *w = &im->w;
    const void *p;
    char prev[16] = "";
    int rc;
    uint64_t n = 0, total = cw_xsort_count(im->cards);
    while ((rc = cw_xsort_next(im->cards, &p)) == 1) {
        const uint8_t *r = p;
        if (!memcmp(r, prev, 16)) {
            seq_where(im, r + 16);
            cw_reg_bad_row(&w->x, "msisdn %.16s is given again (the first row is kept)",
                           (const char *)r);
            if (too_many_errors(w))
                return CW_EFORMAT;
            continue;
        }
        memcpy(prev, r, 16);
        MDB_val k = {strnlen((const char *)r, 16), (void *)r},
                v = {CW_CARD_REC_LEN, (void *)(r + CSORT_KEY)};
        if ((rc = mdb_put(w->txn, w->reg->cards, &k, &v, MDB_APPEND)) != 0)
            return write_fail(w, rc, "write failed");
        w->st->cards++;
        struct cw_card c;
        memset(&c, 0, sizeof c);
        cw_card_unpack(r + CSORT_KEY, CW_CARD_REC_LEN, &c);
        if (c.imsi[0]) {
            uint8_t ir[ISORT_LEN];
            memset(ir, 0, sizeof ir);
            memcpy(ir, c.imsi, strlen(c.imsi));
            memcpy(ir + 16, r + 16, SEQ_LEN);
            memcpy(ir + ISORT_KEY, r, 16);
            if ((rc = cw_xsort_add(im->imsis, ir)) != 0)
                return sort_fail(im, im->imsis, rc);
        }
        if (c.has_id) {
            uint8_t xr[XSORT_LEN];
            memcpy(xr, c.id_pseudo, CW_PSEUDO_LEN);
            cw_idx_pack(c.province, prev, c.status, xr + CW_PSEUDO_LEN);
            if ((rc = cw_xsort_add(im->ids, xr)) != 0)
                return sort_fail(im, im->ids, rc);
        }
        if ((++n & 0xffff) == 0)
            progress(w, "write cards", n, total);
    }
    return rc < 0 ? sort_fail(im, im->cards, rc) : 0;
}

/* IMSIs in order: a second card with the same IMSI is refused (and taken out again). */
static int merge_imsis(struct importer *im)
{
    struct writer *w = &im->w;
    const void *p;
    char prev[16] = "", owner[16] = "";
    int rc;
    while ((rc = cw_xsort_next(im->imsis, &p)) == 1) {
        const uint8_t *r = p;
        if (!memcmp(r, prev, 16)) {
            seq_where(im, r + 16);
            cw_reg_bad_row(&w->x, "imsi %.16s is already card %.16s's; card %.16s not imported",
                           (const char *)r, owner, (const char *)(r + ISORT_KEY));
            if (too_many_errors(w))
                return CW_EFORMAT;
            MDB_val ck = {strnlen((const char *)(r + ISORT_KEY), 16), (void *)(r + ISORT_KEY)};
            if ((rc = mdb_del(w->txn, w->reg->cards, &ck, NULL)) != 0)
                return write_fail(w, rc, "write failed");
            w->st->cards--;
            if (im->nrejected == im->caprejected) {
                size_t nc = im->caprejected ? im->caprejected * 2 : 64;
                void *nr = realloc(im->rejected, nc * 16);
                if (!nr)
                    return CW_ENOMEM;
                im->rejected = nr;
                im->caprejected = nc;
            }
            memcpy(im->rejected[im->nrejected++], r + ISORT_KEY, 16);
            continue;
        }
        memcpy(prev, r, 16);
        memcpy(owner, r + ISORT_KEY, 16);
        MDB_val k = {strnlen((const char *)r, 16), (void *)r},
                v = {strnlen((const char *)(r + ISORT_KEY), 16), (void *)(r + ISORT_KEY)};
        if ((rc = mdb_put(w->txn, w->reg->imsi, &k, &v, MDB_APPEND)) != 0)
            return write_fail(w, rc, "write failed");
    }
    if (rc < 0)
        return sort_fail(im, im->imsis, rc);
    if (im->nrejected > 1)
        qsort(im->rejected, im->nrejected, 16, cmp16);
    return 0;
}

/* The cards-per-ID index, appended in (pseudonym, province, MSISDN) order. */
static int merge_ids(struct importer *im)
{
    struct writer *w = &im->w;
    const void *p;
    uint8_t prev[CW_PSEUDO_LEN];
    int rc, first = 1;
    while ((rc = cw_xsort_next(im->ids, &p)) == 1) {
        const uint8_t *r = p;
        char msisdn[16];
        memset(msisdn, 0, sizeof msisdn);
        memcpy(msisdn, r + CW_PSEUDO_LEN + 2, CW_MSISDN_KEY);
        if (rejected(im, msisdn))
            continue;
        if (first || memcmp(prev, r, CW_PSEUDO_LEN)) {
            w->persons++;
            memcpy(prev, r, CW_PSEUDO_LEN);
            first = 0;
        }
        MDB_val k = {CW_PSEUDO_LEN, (void *)r}, v = {CW_IDX_REC_LEN, (void *)(r + CW_PSEUDO_LEN)};
        if ((rc = mdb_put(w->txn, w->reg->ids, &k, &v, MDB_APPENDDUP)) != 0)
            return write_fail(w, rc, "write failed");
    }
    return rc < 0 ? sort_fail(im, im->ids, rc) : 0;
}

static void importer_release(struct importer *im)
{
    cw_xsort_free(im->cards);
    cw_xsort_free(im->imsis);
    cw_xsort_free(im->ids);
    free(im->rejected);
    im->cards = im->imsis = im->ids = NULL;
    im->rejected = NULL;
    im->nrejected = im->caprejected = 0;
}

static int import_once(struct importer *im)
{
    struct writer *w = &im->w;
    size_t mem = w->opts->sort_mem ? w->opts->sort_mem : SORT_MEM_DEFAULT;
    int rc = new_sorter(im, CSORT_LEN, CSORT_KEY, mem, &im->cards);
    if (rc)
        return rc;
    rc = txn_begin(w->reg, 0, &w->txn);
    if (rc)
        return db_err(w->err, w->errlen, w->reg->dir, "cannot start a write transaction", rc);
    char schema[16];
    get_meta(w->txn, w->reg->meta, "schema", schema, sizeof schema);
    rc = read_files(w, import_row);
    if (rc == 0 && !im->have_cards && schema[0] && strcmp(schema, SCHEMA_TEXT) != 0) {
        snprintf(w->err, w->errlen,
                 "%s: the registry has schema %s; import its registry file again (with this "
                 "cardwatch's schema " SCHEMA_TEXT ")",
                 w->reg->dir, schema);
        rc = CW_EFORMAT;
    }
    if (rc == 0 && im->have_cards) {
        progress(w, "sort", 0, cw_xsort_count(im->cards));
        rc = cw_xsort_finish(im->cards);
        if (rc)
            rc = sort_fail(im, im->cards, rc);
        /* The indexes' sorts start once the cards' buffer can go: memory stays bounded. */
        if (rc == 0)
            rc = new_sorter(im, ISORT_LEN, ISORT_KEY, mem / 4, &im->imsis);
        if (rc == 0)
            rc = new_sorter(im, XSORT_LEN, XSORT_LEN, mem / 2, &im->ids);
        int r2 = 0;
        if (rc == 0 && ((r2 = mdb_drop(w->txn, w->reg->cards, 0)) != 0 ||
                        (r2 = mdb_drop(w->txn, w->reg->imsi, 0)) != 0 ||
                        (r2 = mdb_drop(w->txn, w->reg->ids, 0)) != 0))
            rc = write_fail(w, r2, "cannot empty the cards tables");
        if (rc == 0)
            rc = merge_cards(im);
        w->st->sort_runs = cw_xsort_runs(im->cards);
        cw_xsort_free(im->cards);
        im->cards = NULL;
        if (rc == 0 && (rc = cw_xsort_finish(im->imsis)) != 0)
            rc = sort_fail(im, im->imsis, rc);
        if (rc == 0)
            rc = merge_imsis(im);
        if (rc == 0 && (rc = cw_xsort_finish(im->ids)) != 0)
            rc = sort_fail(im, im->ids, rc);
        if (rc == 0)
            rc = merge_ids(im);
    } else if (rc == 0) {
        char num[32];
        get_meta(w->txn, w->reg->meta, "persons", num, sizeof num);
        w->persons = strtoull(num, NULL, 10);
    }
    int r2;
    if (rc == 0 && (r2 = finish_meta(w, "import")) != 0)
        rc = write_fail(w, r2, "write failed");
    if (rc == 0) {
        progress(w, "commit", 0, 0);
        if ((r2 = mdb_txn_commit(w->txn)) != 0)
            rc = write_fail(w, r2, "commit failed");
    } else {
        mdb_txn_abort(w->txn);
    }
    w->txn = NULL;
    return rc;
}

/* ---- update: a delta in one transaction ---- */

/* Does the ID still hold cards? */
static int id_holds(struct writer *w, const uint8_t *pseudo, int *holds)
{
    MDB_val k = {CW_PSEUDO_LEN, (void *)pseudo}, v;
    int rc = mdb_get(w->txn, w->reg->ids, &k, &v);
    *holds = rc == 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Take a card out of all three tables (its record is @p old). */
static int remove_card(struct writer *w, const char *msisdn, const MDB_val *old)
{
    struct cw_card c;
    memset(&c, 0, sizeof c);
    if (cw_card_unpack(old->mv_data, old->mv_size, &c) != 0)
        return MDB_CORRUPTED;
    MDB_val k = {strlen(msisdn), (void *)msisdn}, v;
    int rc;
    if (c.imsi[0]) {
        MDB_val ik = {strlen(c.imsi), c.imsi};
        /* only when the IMSI still names this card */
        if (mdb_get(w->txn, w->reg->imsi, &ik, &v) == 0 && v.mv_size == k.mv_size &&
            !memcmp(v.mv_data, msisdn, k.mv_size) &&
            (rc = mdb_del(w->txn, w->reg->imsi, &ik, NULL)) != 0)
            return rc;
    }
    if (c.has_id) {
        uint8_t idx[CW_IDX_REC_LEN];
        cw_idx_pack(c.province, msisdn, c.status, idx);
        MDB_val xk = {CW_PSEUDO_LEN, c.id_pseudo}, xv = {sizeof idx, idx};
        rc = mdb_del(w->txn, w->reg->ids, &xk, &xv);
        if (rc && rc != MDB_NOTFOUND)
            return rc;
        int holds;
        if ((rc = id_holds(w, c.id_pseudo, &holds)) != 0)
            return rc;
        if (!holds && w->persons)
            w->persons--;
    }
    return mdb_del(w->txn, w->reg->cards, &k, NULL);
}

static int update_card(struct writer *w, const struct cw_reg_header *h,
                       const struct cw_csv_row *row)
{
    struct cw_card c;
    int op, rc;
    if (cw_reg_card_row(&w->x, h, row, &c, &op))
        return 0;
    MDB_val k = {strlen(c.msisdn), c.msisdn}, old;
    rc = mdb_get(w->txn, w->reg->cards, &k, &old);
    if (rc && rc != MDB_NOTFOUND)
        return write_fail(w, rc, "read failed");
    int exists = rc == 0;
    if (op == CW_OP_DELETE) {
        if (!exists) {
            cw_reg_bad_row(&w->x, "no card %s to delete", c.msisdn);
            return 0;
        }
        if ((rc = remove_card(w, c.msisdn, &old)) != 0)
            return write_fail(w, rc, "write failed");
        w->st->deleted++;
        return 0;
    }
    MDB_val ik = {strlen(c.imsi), c.imsi}, iv;
    if (c.imsi[0] && mdb_get(w->txn, w->reg->imsi, &ik, &iv) == 0 &&
        (iv.mv_size != k.mv_size || memcmp(iv.mv_data, c.msisdn, k.mv_size))) {
        cw_reg_bad_row(&w->x, "imsi %s is already card %.*s's", c.imsi, (int)iv.mv_size,
                       (const char *)iv.mv_data);
        return 0;
    }
    if (exists && (rc = remove_card(w, c.msisdn, &old)) != 0)
        return write_fail(w, rc, "write failed");
    uint8_t rec[CW_CARD_REC_LEN];
    cw_card_pack(&c, rec);
    MDB_val v = {sizeof rec, rec};
    if ((rc = mdb_put(w->txn, w->reg->cards, &k, &v, 0)) != 0)
        return write_fail(w, rc, "write failed");
    if (c.imsi[0] && (rc = mdb_put(w->txn, w->reg->imsi, &ik, &k, 0)) != 0)
        return write_fail(w, rc, "write failed");
    if (c.has_id) {
        int holds;
        if ((rc = id_holds(w, c.id_pseudo, &holds)) != 0)
            return write_fail(w, rc, "read failed");
        uint8_t idx[CW_IDX_REC_LEN];
        cw_idx_pack(c.province, c.msisdn, c.status, idx);
        MDB_val xk = {CW_PSEUDO_LEN, c.id_pseudo}, xv = {sizeof idx, idx};
        if ((rc = mdb_put(w->txn, w->reg->ids, &xk, &xv, 0)) != 0)
            return write_fail(w, rc, "write failed");
        w->persons += !holds;
    }
    w->st->cards++;
    return 0;
}

static int update_row(struct writer *w, const struct cw_reg_header *h, const struct cw_csv_row *row,
                      int fi)
{
    (void)fi;
    if (h->kind == CW_RF_CARDS)
        return update_card(w, h, row);
    if (h->kind == CW_RF_RANGES || h->kind == CW_RF_CELLS) {
        const char *what = h->kind == CW_RF_RANGES ? "ranges" : "cells";
        snprintf(w->err, w->errlen,
                 "%s:1: a %s file cannot be applied as a delta; replace the %s with "
                 "'cardwatch registry import --db DIR %s.csv'",
                 w->x.file, what, what, h->kind == CW_RF_RANGES ? "RANGES" : "CELLS");
        return CW_EINVAL;
    }
    struct cw_outlet o;
    uint8_t rec[CW_OUTLET_REC_LEN];
    if (cw_reg_outlet_row(&w->x, h, row, &o))
        return 0;
    cw_outlet_pack(&o, rec);
    MDB_val k = {strlen(o.id), o.id}, v = {sizeof rec, rec};
    int rc = mdb_put(w->txn, w->reg->outlets, &k, &v, 0);
    if (rc)
        return write_fail(w, rc, "write failed");
    w->st->outlets++;
    return 0;
}

static int update_once(struct writer *w)
{
    int rc = txn_begin(w->reg, 0, &w->txn);
    if (rc)
        return db_err(w->err, w->errlen, w->reg->dir, "cannot start a write transaction", rc);
    char stored[32], num[32];
    get_meta(w->txn, w->reg->meta, "schema", stored, sizeof stored);
    if (strcmp(stored, SCHEMA_TEXT) != 0) {
        snprintf(w->err, w->errlen,
                 "%s: %s: a delta applies to a registry made by 'cardwatch registry import'",
                 w->reg->dir, stored[0] ? "registry of another schema" : "empty registry");
        mdb_txn_abort(w->txn);
        w->txn = NULL;
        return CW_EINVAL;
    }
    get_meta(w->txn, w->reg->meta, "persons", num, sizeof num);
    w->persons = strtoull(num, NULL, 10);
    get_meta(w->txn, w->reg->meta, "key_id", stored, sizeof stored);
    rc = need_key(w);
    if (rc == 0 && stored[0] && strcmp(stored, w->key_id) != 0) {
        snprintf(w->err, w->errlen,
                 "the pseudonym key (id %s) is not the one this registry was imported with "
                 "(id %s): its pseudonyms would not match; nothing changed",
                 w->key_id, stored);
        rc = CW_EINVAL;
    }
    if (rc == 0)
        rc = read_files(w, update_row);
    int r2;
    if (rc == 0 && (r2 = finish_meta(w, "update")) != 0)
        rc = write_fail(w, r2, "write failed");
    if (rc == 0) {
        if ((r2 = mdb_txn_commit(w->txn)) != 0)
            rc = write_fail(w, r2, "commit failed");
    } else {
        mdb_txn_abort(w->txn);
    }
    w->txn = NULL;
    return rc;
}

/* ---- the driver: grow the map and run again when it fills ---- */

static int run_write(struct cw_registry *reg, const char *const *files, int nfiles,
                     const struct cw_import_opts *opts, struct cw_import_stats *st, char *err,
                     size_t errlen, int updating)
{
    struct importer im;
    struct cw_import_stats local;
    if (!st)
        st = &local;
    if (reg->rdonly) {
        snprintf(err, errlen, "%s: opened read-only", reg->dir);
        return CW_EINVAL;
    }
    /* First guess: room for what the files hold, with the indexes, beside what is there. */
    uint64_t in = 0, cur, used = map_used(reg, &cur);
    for (int i = 0; i < nfiles; i++) {
        struct stat sb;
        if (stat(files[i], &sb) == 0)
            in += (uint64_t)sb.st_size;
    }
    /* An update copies the pages it changes (copy-on-write): a random upsert dirties a leaf and
     * its branches in three trees, about 12 KiB, and a delta row is about 60 bytes of CSV. */
    uint64_t extra = in * 3;
    if (updating) {
        uint64_t cow = in / 60 * 12 * 1024;
        extra += cow < used ? cow : used;
    }
    int rc = opts->map_initial ? mdb_env_set_mapsize(reg->env, (size_t)round_mib(opts->map_initial))
                               : map_ensure(reg, used + extra + MAP_MIN, opts->map_max);
    if (rc)
        return db_err(err, errlen, reg->dir, "cannot size the map", rc);
    for (;;) {
        memset(&im, 0, sizeof im);
        memset(st, 0, sizeof *st);
        struct writer *w = &im.w;
        w->reg = reg;
        w->opts = opts;
        w->st = st;
        w->files = files;
        w->nfiles = nfiles;
        w->err = err;
        w->errlen = errlen;
        w->x.report = opts->report ? opts->report : stderr;
        w->x.cc = opts->cc ? opts->cc : "86";
        w->x.warn_limit = opts->warn_limit == 0   ? WARN_LIMIT_DEFAULT
                          : opts->warn_limit < -1 ? 0
                                                  : opts->warn_limit;
        w->x.updating = updating;
        w->x.st = st;
        rc = updating ? update_once(w) : import_once(&im);
        cw_hmac_free(w->x.hmac);
        w->x.hmac = NULL;
        if (!updating)
            importer_release(&im);
        if (w->x.warn_limit >= 0 && st->warnings > w->x.warn_shown)
            fprintf(w->x.report,
                    "cardwatch: %" PRIu64 " more warnings not shown (--warnings "
                    "-1 shows all)\n",
                    st->warnings - w->x.warn_shown);
        if (rc != CW_EFULL || w->failed_rc != MDB_MAP_FULL)
            break;
        uint64_t size;
        map_used(reg, &size);
        if (opts->map_max && size >= opts->map_max / MIB * MIB) {
            snprintf(err, errlen,
                     "%s: the registry's map is full at %" PRIu64 " MiB (--map-max); nothing "
                     "was written",
                     reg->dir, size / MIB);
            break;
        }
        if ((rc = map_ensure(reg, size * 2, opts->map_max)) != 0)
            return db_err(err, errlen, reg->dir, "cannot grow the map", rc);
        map_used(reg, &size);
        fprintf(w->x.report,
                "cardwatch: note: the registry's map is grown to %" PRIu64 " MiB; starting again\n",
                size / MIB);
    }
    map_used(reg, &st->map_size);
    return rc;
}

int cw_registry_import(struct cw_registry *reg, const char *const *files, int nfiles,
                       const struct cw_import_opts *opts, struct cw_import_stats *st, char *err,
                       size_t errlen)
{
    return run_write(reg, files, nfiles, opts, st, err, errlen, 0);
}

int cw_registry_update(struct cw_registry *reg, const char *const *files, int nfiles,
                       const struct cw_import_opts *opts, struct cw_import_stats *st, char *err,
                       size_t errlen)
{
    return run_write(reg, files, nfiles, opts, st, err, errlen, 1);
}

int cw_registry_pseudonym(const char *key_file, int demo, const char *id_number,
                          uint8_t out[CW_PSEUDO_LEN], char *err, size_t errlen)
{
    unsigned char key[CW_REG_KEY_MAX];
    size_t keylen;
    char norm[19];
    int conv;
    const char *why;
    /* An ID number that fails its check digit, birth date or region still has a pseudonym:
     * cards registered to a forged number must be findable by it. */
    int v = cw_id_normalize(id_number, norm, &conv, &why);
    if (v == CW_IDCARD_ELENGTH || v == CW_IDCARD_ENONDIGIT) {
        snprintf(err, errlen, "'%.40s' is not an ID number: %s", id_number, why);
        return CW_EINVAL;
    }
    int rc = cw_reg_load_key(key_file, demo, key, &keylen, err, errlen);
    if (rc)
        return rc;
    cw_reg_hmac(key, keylen, norm, out);
    return 0;
}

int cw_registry_check_key(struct cw_registry *reg, const char *key_file, int demo, char *err,
                          size_t errlen)
{
    unsigned char key[CW_REG_KEY_MAX];
    size_t keylen;
    char id[17], stored[32];
    int rc = cw_reg_load_key(key_file, demo, key, &keylen, err, errlen);
    if (rc)
        return rc;
    cw_reg_key_id(key, keylen, id);
    MDB_txn *txn;
    if (txn_begin(reg, MDB_RDONLY, &txn))
        return CW_EDB;
    get_meta(txn, reg->meta, "key_id", stored, sizeof stored);
    mdb_txn_abort(txn);
    if (stored[0] && strcmp(stored, id) != 0) {
        snprintf(err, errlen,
                 "the pseudonym key (id %s) is not the one this registry was imported with "
                 "(id %s): its pseudonyms would not match",
                 id, stored);
        return CW_EINVAL;
    }
    return 0;
}

/* ---- lookups ---- */

struct range_ent {
    char prefix[16];
    char province[3];
};

struct cell_ent {
    char prefix[CW_CELL_PREFIX_MAX + 1];
    char province[3];
};

struct cw_reg_reader {
    struct cw_registry *reg;
    struct cell_ent *cells; /* sorted by prefix */
    size_t ncells;
    uint32_t cell_lengths; /* bit n set: some cell prefix has n characters */
    MDB_txn *txn;
    MDB_cursor *ids;          /* the cards-per-ID index, renewed with the snapshot */
    struct range_ent *ranges; /* sorted by prefix */
    size_t nranges;
    uint16_t lengths; /* bit n set: some prefix has n digits */
    char cc[8];       /* country code given to national numbers, from the import */
    uint8_t *dups;    /* cw_reg_person's scratch: index entries */
    size_t dupcap;
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

static int cmp_cell(const void *a, const void *b)
{
    return strcmp(((const struct cell_ent *)a)->prefix, ((const struct cell_ent *)b)->prefix);
}

static int load_cells(struct cw_reg_reader *rd)
{
    free(rd->cells);
    rd->cells = NULL;
    rd->ncells = 0;
    rd->cell_lengths = 0;
    if (!rd->reg->has_cells)
        return 0;
    MDB_cursor *cur;
    MDB_val k, v;
    if (mdb_cursor_open(rd->txn, rd->reg->cells, &cur))
        return CW_EDB;
    size_t cap = 0;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *rec = v.mv_data;
        if (k.mv_size == 0 || k.mv_size > CW_CELL_PREFIX_MAX || v.mv_size < CW_CELL_REC_LEN ||
            rec[0] != 1)
            continue;
        if (rd->ncells == cap) {
            cap = cap ? cap * 2 : 64;
            struct cell_ent *n = realloc(rd->cells, cap * sizeof *n);
            if (!n) {
                mdb_cursor_close(cur);
                return CW_ENOMEM;
            }
            rd->cells = n;
        }
        struct cell_ent *e = &rd->cells[rd->ncells++];
        memset(e, 0, sizeof *e);
        memcpy(e->prefix, k.mv_data, k.mv_size);
        memcpy(e->province, rec + 1, 2);
        rd->cell_lengths |= 1u << k.mv_size;
    }
    mdb_cursor_close(cur);
    if (rd->ncells > 1)
        qsort(rd->cells, rd->ncells, sizeof *rd->cells, cmp_cell);
    return 0;
}

int cw_reg_cell_province(const struct cw_reg_reader *rd, const char *cell, char province[3])
{
    size_t n = strnlen(cell, CW_CELL_PREFIX_MAX + 1);
    for (size_t len = n < CW_CELL_PREFIX_MAX ? n : CW_CELL_PREFIX_MAX; len > 0; len--) {
        if (!(rd->cell_lengths & (1u << len)))
            continue;
        struct cell_ent key;
        memset(&key, 0, sizeof key);
        memcpy(key.prefix, cell, len);
        const struct cell_ent *e = bsearch(&key, rd->cells, rd->ncells, sizeof key, cmp_cell);
        if (e) {
            memcpy(province, e->province, 3);
            return 1;
        }
    }
    province[0] = '\0';
    return 0;
}

/* Take a fresh snapshot: cursor, country code, ranges, cells. */
static int reader_start(struct cw_reg_reader *rd)
{
    int rc = mdb_cursor_open(rd->txn, rd->reg->ids, &rd->ids);
    if (rc)
        return CW_EDB;
    get_meta(rd->txn, rd->reg->meta, "cc", rd->cc, sizeof rd->cc);
    if (!rd->cc[0])
        memcpy(rd->cc, "86", 3);
    rc = load_ranges(rd);
    return rc ? rc : load_cells(rd);
}

int cw_reg_reader_new(struct cw_registry *reg, struct cw_reg_reader **out)
{
    struct cw_reg_reader *rd = calloc(1, sizeof *rd);
    if (!rd)
        return CW_ENOMEM;
    rd->reg = reg;
    if (txn_begin(reg, MDB_RDONLY, &rd->txn)) {
        free(rd);
        return CW_EDB;
    }
    int rc = reader_start(rd);
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
    if (rd->ids)
        mdb_cursor_close(rd->ids);
    if (rd->txn)
        mdb_txn_abort(rd->txn);
    free(rd->ranges);
    free(rd->cells);
    free(rd->dups);
    free(rd);
}

int cw_reg_reader_refresh(struct cw_reg_reader *rd)
{
    mdb_cursor_close(rd->ids);
    rd->ids = NULL;
    mdb_txn_reset(rd->txn);
    int rc = mdb_txn_renew(rd->txn);
    if (rc == MDB_MAP_RESIZED) {
        /* A writer grew the map beyond ours: adopt its size (the renew ended the txn). */
        mdb_txn_abort(rd->txn);
        rd->txn = NULL;
        mdb_env_set_mapsize(rd->reg->env, 0);
        rc = mdb_txn_begin(rd->reg->env, NULL, MDB_RDONLY, &rd->txn);
    }
    if (rc) {
        if (rd->txn)
            mdb_txn_abort(rd->txn);
        rd->txn = NULL;
        return CW_EDB;
    }
    return reader_start(rd);
}

int cw_reg_reader_poll(struct cw_reg_reader *rd)
{
    if (!rd->txn)
        return cw_reg_reader_refresh(rd) == 0 ? 1 : CW_EDB;
    MDB_envinfo ei;
    if (mdb_env_info(rd->reg->env, &ei) != 0)
        return CW_EDB;
    if (ei.me_last_txnid == mdb_txn_id(rd->txn))
        return 0;
    int rc = cw_reg_reader_refresh(rd);
    return rc ? rc : 1;
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
        const struct range_ent *e = bsearch(&key, rd->ranges, rd->nranges, sizeof key, cmp_range);
        if (e)
            return e;
    }
    return NULL;
}

/* Visit every index entry of an ID (a few pages at most: MDB_GET_MULTIPLE). */
static int id_entries(MDB_cursor *cur, const uint8_t *pseudo, void (*fn)(void *u, const uint8_t *e),
                      void *u)
{
    MDB_val k = {CW_PSEUDO_LEN, (void *)pseudo}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return CW_EDB;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_GET_MULTIPLE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_MULTIPLE))
        for (size_t off = 0; off + CW_IDX_REC_LEN <= v.mv_size; off += CW_IDX_REC_LEN)
            fn(u, (const uint8_t *)v.mv_data + off);
    return rc == MDB_NOTFOUND ? 0 : CW_EDB;
}

struct counts {
    const char *province;
    uint32_t inprov, total;
};

static void count_entry(void *u, const uint8_t *e)
{
    struct counts *c = u;
    if (e[17] == CW_CARD_CANCELLED)
        return;
    c->total++;
    c->inprov +=
        (uint32_t)(strncmp((const char *)e, c->province, 2) == 0 || (!e[0] && !c->province[0]));
}

static int fill_person(MDB_cursor *cur, struct cw_card *c)
{
    if (!c->has_id)
        return 0;
    struct counts n = {c->province, 0, 0};
    int rc = id_entries(cur, c->id_pseudo, count_entry, &n);
    c->person_cards_province = n.inprov;
    c->person_cards_total = n.total;
    return rc;
}

static void home_of(const struct cw_reg_reader *rd, struct cw_card *c)
{
    const struct range_ent *r = range_match(rd, c->msisdn);
    if (r) {
        c->home = 1;
        memcpy(c->range_province, r->province, sizeof c->range_province);
    }
}

int cw_reg_lookup(struct cw_reg_reader *rd, const char *msisdn, const char *imsi,
                  struct cw_card *out)
{
    memset(out, 0, sizeof *out);
    if (!rd->txn)
        return CW_EDB;
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
    home_of(rd, out);
    k.mv_size = strlen(out->msisdn);
    k.mv_data = out->msisdn;
    if (k.mv_size > CW_MSISDN_KEY)
        return 0;
    int rc = mdb_get(rd->txn, rd->reg->cards, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return CW_EDB;
    if (cw_card_unpack(v.mv_data, v.mv_size, out))
        return CW_EFORMAT;
    return fill_person(rd->ids, out) ? CW_EDB : 1;
}

struct collect {
    uint8_t *buf;
    size_t n, cap;
    int oom;
};

static void collect_entry(void *u, const uint8_t *e)
{
    struct collect *c = u;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        uint8_t *nb = realloc(c->buf, nc * CW_IDX_REC_LEN);
        if (!nb) {
            c->oom = 1;
            return;
        }
        c->buf = nb;
        c->cap = nc;
    }
    memcpy(c->buf + c->n++ * CW_IDX_REC_LEN, e, CW_IDX_REC_LEN);
}

/* The cards behind @p n index entries, with holder counts, into @p cards (up to @p max). */
static int person_cards(MDB_txn *txn, struct cw_registry *reg, const struct cw_reg_reader *rd,
                        const uint8_t *entries, size_t n, struct cw_card *cards, size_t max)
{
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += entries[i * CW_IDX_REC_LEN + 17] != CW_CARD_CANCELLED;
    for (size_t i = 0; i < n && i < max; i++) {
        const uint8_t *e = entries + i * CW_IDX_REC_LEN;
        struct cw_card *c = &cards[i];
        memset(c, 0, sizeof *c);
        memcpy(c->msisdn, e + 2, CW_MSISDN_KEY);
        MDB_val k = {strlen(c->msisdn), c->msisdn}, v;
        int rc = mdb_get(txn, reg->cards, &k, &v);
        if (rc)
            return rc == MDB_NOTFOUND ? CW_EFORMAT : CW_EDB; /* index without its card */
        if (cw_card_unpack(v.mv_data, v.mv_size, c))
            return CW_EFORMAT;
        if (rd)
            home_of(rd, c);
        uint32_t inprov = 0;
        for (size_t j = 0; j < n; j++) {
            const uint8_t *f = entries + j * CW_IDX_REC_LEN;
            inprov += f[17] != CW_CARD_CANCELLED && !memcmp(f, e, 2);
        }
        c->person_cards_province = inprov;
        c->person_cards_total = total;
    }
    return 0;
}

int cw_reg_person(struct cw_reg_reader *rd, const uint8_t pseudo[CW_PSEUDO_LEN],
                  struct cw_card *cards, size_t max, size_t *n)
{
    struct collect col = {rd->dups, 0, rd->dupcap, 0};
    *n = 0;
    if (!rd->txn)
        return CW_EDB;
    int rc = id_entries(rd->ids, pseudo, collect_entry, &col);
    rd->dups = col.buf;
    rd->dupcap = col.cap;
    if (rc)
        return rc;
    if (col.oom)
        return CW_ENOMEM;
    *n = col.n;
    return person_cards(rd->txn, rd->reg, rd, col.buf, col.n, cards, max);
}

int cw_reg_outlet(struct cw_reg_reader *rd, const char *id, struct cw_outlet *out)
{
    memset(out, 0, sizeof *out);
    if (!rd->txn)
        return CW_EDB;
    size_t n = strlen(id);
    if (n == 0 || n >= CW_OUTLET_MAX)
        return 0;
    MDB_val k = {n, (void *)id}, v;
    int rc = mdb_get(rd->txn, rd->reg->outlets, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return CW_EDB;
    memcpy(out->id, id, n + 1);
    return cw_outlet_unpack(v.mv_data, v.mv_size, out) ? CW_EFORMAT : 1;
}

/* ---- walks ---- */

/* Every (key, value) of table @p dbi in key order, in one read snapshot, through @p row (which
 * stops the walk with a non-zero return). */
static int walk_table(struct cw_registry *reg, MDB_dbi dbi,
                      int (*row)(void *ctx, const MDB_val *k, const MDB_val *v), void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    if (txn_begin(reg, MDB_RDONLY, &txn))
        return CW_EDB;
    int rc = mdb_cursor_open(txn, dbi, &cur) ? CW_EDB : 0, r;
    for (r = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_FIRST); r == 0 && rc == 0;
         r = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        rc = row(ctx, &k, &v);
    if (rc == 0 && r != MDB_NOTFOUND)
        rc = CW_EDB;
    if (cur)
        mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc;
}

struct walk_cb {
    int (*card)(void *user, const struct cw_card *card);
    int (*outlet)(void *user, const struct cw_outlet *o);
    void *user;
};

static int card_row(void *ctx, const MDB_val *k, const MDB_val *v)
{
    struct walk_cb *w = ctx;
    struct cw_card c;
    memset(&c, 0, sizeof c);
    if (k->mv_size >= sizeof c.msisdn || cw_card_unpack(v->mv_data, v->mv_size, &c))
        return CW_EFORMAT;
    memcpy(c.msisdn, k->mv_data, k->mv_size);
    return w->card(w->user, &c);
}

static int outlet_row(void *ctx, const MDB_val *k, const MDB_val *v)
{
    struct walk_cb *w = ctx;
    struct cw_outlet o;
    memset(&o, 0, sizeof o);
    if (k->mv_size >= sizeof o.id || cw_outlet_unpack(v->mv_data, v->mv_size, &o))
        return CW_EFORMAT;
    memcpy(o.id, k->mv_data, k->mv_size);
    return w->outlet(w->user, &o);
}

int cw_registry_walk_cards(struct cw_registry *reg,
                           int (*cb)(void *user, const struct cw_card *card), void *user)
{
    struct walk_cb w = {.card = cb, .user = user};
    return walk_table(reg, reg->cards, card_row, &w);
}

int cw_registry_walk_persons(struct cw_registry *reg,
                             int (*cb)(void *user, const uint8_t pseudo[CW_PSEUDO_LEN],
                                       const struct cw_card *cards, size_t n),
                             void *user)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    struct collect col = {NULL, 0, 0, 0};
    struct cw_card *cards = NULL;
    size_t cap = 0;
    if (txn_begin(reg, MDB_RDONLY, &txn))
        return CW_EDB;
    int rc = mdb_cursor_open(txn, reg->ids, &cur) ? CW_EDB : 0, r = MDB_NOTFOUND;
    if (rc == 0)
        r = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0 && r == 0) {
        uint8_t pseudo[CW_PSEUDO_LEN];
        if (k.mv_size != CW_PSEUDO_LEN) {
            rc = CW_EFORMAT;
            break;
        }
        memcpy(pseudo, k.mv_data, CW_PSEUDO_LEN);
        col.n = 0;
        for (r = mdb_cursor_get(cur, &k, &v, MDB_GET_MULTIPLE); r == 0;
             r = mdb_cursor_get(cur, &k, &v, MDB_NEXT_MULTIPLE))
            for (size_t off = 0; off + CW_IDX_REC_LEN <= v.mv_size; off += CW_IDX_REC_LEN)
                collect_entry(&col, (const uint8_t *)v.mv_data + off);
        if (col.oom) {
            rc = CW_ENOMEM;
            break;
        }
        if (col.n > cap) {
            struct cw_card *nc = realloc(cards, col.n * sizeof *nc);
            if (!nc) {
                rc = CW_ENOMEM;
                break;
            }
            cards = nc;
            cap = col.n;
        }
        rc = person_cards(txn, reg, NULL, col.buf, col.n, cards, col.n);
        if (rc == 0)
            rc = cb(user, pseudo, cards, col.n);
        if (rc == 0)
            r = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP);
    }
    if (rc == 0 && r != MDB_NOTFOUND)
        rc = CW_EDB;
    if (cur)
        mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    free(col.buf);
    free(cards);
    return rc;
}

int cw_registry_walk_outlets(struct cw_registry *reg,
                             int (*cb)(void *user, const struct cw_outlet *o), void *user)
{
    struct walk_cb w = {.outlet = cb, .user = user};
    return walk_table(reg, reg->outlets, outlet_row, &w);
}

int cw_registry_info(struct cw_registry *reg, struct cw_registry_info *info)
{
    MDB_txn *txn;
    MDB_stat s;
    memset(info, 0, sizeof *info);
    if (txn_begin(reg, MDB_RDONLY, &txn))
        return CW_EDB;
    if (mdb_stat(txn, reg->cards, &s) == 0)
        info->cards = s.ms_entries;
    if (mdb_stat(txn, reg->imsi, &s) == 0)
        info->imsis = s.ms_entries;
    if (mdb_stat(txn, reg->outlets, &s) == 0)
        info->outlets = s.ms_entries;
    if (mdb_stat(txn, reg->ranges, &s) == 0)
        info->ranges = s.ms_entries;
    if (reg->has_cells && mdb_stat(txn, reg->cells, &s) == 0)
        info->cells = s.ms_entries;
    char num[32];
    get_meta(txn, reg->meta, "persons", num, sizeof num);
    info->persons = strtoull(num, NULL, 10);
    get_meta(txn, reg->meta, "schema", info->schema, sizeof info->schema);
    get_meta(txn, reg->meta, "key_id", info->key_id, sizeof info->key_id);
    get_meta(txn, reg->meta, "cc", info->cc, sizeof info->cc);
    /* The history: the last CW_REG_HISTORY_MAX "log.NNNNNN" entries, oldest first. */
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, reg->meta, &cur) == 0) {
        MDB_val k = {4, "log."}, v;
        unsigned total = 0;
        for (int r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
             r == 0 && k.mv_size > 4 && !memcmp(k.mv_data, "log.", 4);
             r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            char *slot = info->history[total % CW_REG_HISTORY_MAX];
            size_t n =
                v.mv_size < sizeof info->history[0] - 1 ? v.mv_size : sizeof info->history[0] - 1;
            memcpy(slot, v.mv_data, n);
            slot[n] = 0;
            total++;
        }
        mdb_cursor_close(cur);
        if (total > CW_REG_HISTORY_MAX) { /* rotate the ring so the oldest comes first */
            char tmp[CW_REG_HISTORY_MAX][sizeof info->history[0]];
            unsigned start = total % CW_REG_HISTORY_MAX;
            for (unsigned i = 0; i < CW_REG_HISTORY_MAX; i++)
                memcpy(tmp[i], info->history[(start + i) % CW_REG_HISTORY_MAX], sizeof tmp[i]);
            memcpy(info->history, tmp, sizeof tmp);
        }
        info->nhistory = total < CW_REG_HISTORY_MAX ? total : CW_REG_HISTORY_MAX;
    }
    mdb_txn_abort(txn);
    info->map_used = map_used(reg, &info->map_size);
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/data.mdb", reg->dir);
    if (stat(path, &sb) == 0)
        info->file_size = (uint64_t)sb.st_size;
    return 0;
}
