/* content.c - content lists (content.h): keyword and regex lists compiled with Hyperscan into
 * one block-mode database per list, number-prefix lists as a sorted array. The only file that
 * includes hs.h.
 *
 *   list file  = { line NL }            one pattern per line, 1-based line numbers are the ids
 *   line       = blanks [ "#" comment | pattern ] blanks [ "\r" ]
 *
 * Keywords are literals: every byte but [A-Za-z0-9] is written as \xHH, so no character is a
 * regex metacharacter, and compiled with HS_FLAG_CASELESS (ASCII letters only: Hyperscan's
 * byte mode folds no other case) and HS_FLAG_SINGLEMATCH (we want which patterns matched, not
 * every place); a keyword's span starts at its end less its length. Regexes take HS_FLAG_UTF8
 * | HS_FLAG_UCP | HS_FLAG_SOM_LEFTMOST for the start of the span; Hyperscan refuses
 * SINGLEMATCH with SOM_LEFTMOST, so the match callback keeps the first match of each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hs.h>

#include "rules/content.h"
#include "util/error.h"

struct ent {
    char *text; /* trimmed pattern, NUL-terminated */
    uint32_t len;
    unsigned line;
};

struct cw_content_list {
    int type;
    size_t n;
    struct ent *ents;  /* in file order (ascending line); the Hyperscan id is the index */
    uint32_t *byval;   /* prefix lists: indices sorted by (length, bytes, line) */
    uint32_t lens;     /* prefix lists: bit L set when some prefix has L digits */
    hs_database_t *db; /* keyword and regex lists with at least one pattern */
};

struct cw_content_scratch {
    hs_scratch_t *hs; /* NULL until a list with a database is added */
};

int cw_content_type_of(const char *path)
{
    static const struct {
        const char *ext;
        int type;
    } exts[] = {{".kw", CW_CONTENT_KW}, {".re", CW_CONTENT_RE}, {".prefix", CW_CONTENT_PREFIX}};
    size_t n = path ? strlen(path) : 0;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t e = strlen(exts[i].ext);
        if (n > e && strcmp(path + n - e, exts[i].ext) == 0 && path[n - e - 1] != '/')
            return exts[i].type;
    }
    return -1;
}

const char *cw_content_type_name(int type)
{
    switch (type) {
    case CW_CONTENT_KW: return "keyword";
    case CW_CONTENT_RE: return "regex";
    case CW_CONTENT_PREFIX: return "prefix";
    default: return "unknown";
    }
}

/* 1 when @p len bytes at @p p are well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
static int utf8_valid(const unsigned char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return 0;
        }
        if (need > len - i - 1)
            return 0;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return 0;
        for (size_t k = 2; k <= need; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
        i += need + 1;
    }
    return 1;
}

void cw_content_free(struct cw_content_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->ents[i].text);
    free(l->ents);
    free(l->byval);
    hs_free_database(l->db);
    free(l);
}

/* "\xHH" for every byte but ASCII letters and digits: a literal Hyperscan cannot misread. */
static char *escape_literal(const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = malloc(4 * len + 1);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            o[k++] = (char)c;
        } else {
            o[k++] = '\\';
            o[k++] = 'x';
            o[k++] = hex[c >> 4];
            o[k++] = hex[c & 15];
        }
    }
    o[k] = '\0';
    return o;
}

static int compile_db(struct cw_content_list *l, const char *name, char *err, size_t errlen)
{
    int rc = CW_ENOMEM;
    size_t n = l->n;
    char **exprs = calloc(n, sizeof *exprs);
    unsigned *flags = calloc(n, sizeof *flags);
    unsigned *ids = calloc(n, sizeof *ids);
    if (!exprs || !flags || !ids)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (l->type == CW_CONTENT_KW) {
            if (!(exprs[i] = escape_literal(l->ents[i].text, l->ents[i].len)))
                goto out;
            flags[i] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
        } else {
            exprs[i] = l->ents[i].text;
            flags[i] = HS_FLAG_UTF8 | HS_FLAG_UCP | HS_FLAG_SOM_LEFTMOST;
        }
        ids[i] = (unsigned)i;
    }
    hs_compile_error_t *ce = NULL;
    hs_error_t hr = hs_compile_multi((const char *const *)exprs, flags, ids, (unsigned)n,
                                     HS_MODE_BLOCK, NULL, &l->db, &ce);
    if (hr == HS_SUCCESS) {
        rc = 0;
    } else if (ce) {
        if (ce->expression >= 0 && (size_t)ce->expression < n)
            snprintf(err, errlen, "%s:%u: error: %s", name, l->ents[ce->expression].line,
                     ce->message);
        else
            snprintf(err, errlen, "%s: error: %s", name, ce->message);
        hs_free_compile_error(ce);
        l->db = NULL;
        rc = CW_EFORMAT;
    } else {
        l->db = NULL;
        snprintf(err, errlen, "%s: error: Hyperscan could not compile the list (error %d)", name,
                 (int)hr);
        rc = hr == HS_NOMEM ? CW_ENOMEM : CW_EFORMAT;
    }
out:
    if (exprs && l->type == CW_CONTENT_KW)
        for (size_t i = 0; i < n; i++)
            free(exprs[i]);
    free(exprs);
    free(flags);
    free(ids);
    if (rc == CW_ENOMEM && err && errlen && !err[0])
        snprintf(err, errlen, "%s: error: out of memory", name);
    return rc;
}

/* Order of the prefix index: by length, then bytes, then line (the first line wins). */
static int cmp_prefix(const struct ent *a, const struct ent *b)
{
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    int c = memcmp(a->text, b->text, a->len);
    if (c)
        return c;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* Merge sort of the index (qsort takes no context for the entries). */
static void sort_idx(const struct ent *ents, uint32_t *v, uint32_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_idx(ents, v, tmp, h);
    sort_idx(ents, v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_prefix(&ents[v[j]], &ents[v[i]]) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static int build_prefix(struct cw_content_list *l)
{
    if (!l->n)
        return 0;
    uint32_t *tmp = malloc(l->n * sizeof *tmp);
    l->byval = malloc(l->n * sizeof *l->byval);
    if (!tmp || !l->byval) {
        free(tmp);
        return CW_ENOMEM;
    }
    for (size_t i = 0; i < l->n; i++) {
        l->byval[i] = (uint32_t)i;
        l->lens |= 1u << l->ents[i].len;
    }
    sort_idx(l->ents, l->byval, tmp, l->n);
    free(tmp);
    return 0;
}

/* Check one trimmed pattern line; 0 or CW_EFORMAT with the message written. */
static int check_line(const char *name, int type, unsigned line, const char *s, size_t len,
                      char *err, size_t errlen)
{
    if (len > CW_CONTENT_PATTERN_MAX) {
        snprintf(err, errlen, "%s:%u: error: pattern longer than %d bytes", name, line,
                 CW_CONTENT_PATTERN_MAX);
        return CW_EFORMAT;
    }
    if (type == CW_CONTENT_PREFIX) {
        for (size_t i = 0; i < len; i++)
            if (s[i] < '0' || s[i] > '9') {
                snprintf(err, errlen,
                         "%s:%u: error: expected a number prefix (digits only), got byte "
                         "0x%02X at column %zu",
                         name, line, (unsigned char)s[i], i + 1);
                return CW_EFORMAT;
            }
        if (len > 31) {
            snprintf(err, errlen, "%s:%u: error: expected a number prefix of at most 31 digits",
                     name, line);
            return CW_EFORMAT;
        }
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            snprintf(err, errlen, "%s:%u: error: control character 0x%02X in a pattern", name, line,
                     c);
            return CW_EFORMAT;
        }
    }
    if (!utf8_valid((const unsigned char *)s, len)) {
        snprintf(err, errlen, "%s:%u: error: pattern is not valid UTF-8", name, line);
        return CW_EFORMAT;
    }
    return 0;
}

int cw_content_parse(const char *name, int type, const char *buf, size_t len,
                     struct cw_content_list **out, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    *out = NULL;
    if (type != CW_CONTENT_KW && type != CW_CONTENT_RE && type != CW_CONTENT_PREFIX)
        return CW_EINVAL;
    struct cw_content_list *l = calloc(1, sizeof *l);
    if (!l)
        return CW_ENOMEM;
    l->type = type;
    size_t cap = 0;
    int rc = 0;
    const char *p = buf, *end = buf + len;
    unsigned line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p;
        line++;
        p = nl ? nl + 1 : end;
        while (s < le && (*s == ' ' || *s == '\t'))
            s++;
        while (le > s && (le[-1] == ' ' || le[-1] == '\t' || le[-1] == '\r'))
            le--;
        if (s == le || *s == '#')
            continue;
        size_t n = (size_t)(le - s);
        if ((rc = check_line(name, type, line, s, n, err, errlen)))
            goto fail;
        if (l->n >= CW_CONTENT_PATTERNS_MAX) {
            snprintf(err, errlen, "%s:%u: error: more than %d patterns in one list", name, line,
                     CW_CONTENT_PATTERNS_MAX);
            rc = CW_EFORMAT;
            goto fail;
        }
        rc = CW_ENOMEM;
        if (l->n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct ent *ne = realloc(l->ents, nc * sizeof *ne);
            if (!ne)
                goto fail;
            l->ents = ne;
            cap = nc;
        }
        struct ent *e = &l->ents[l->n];
        if (!(e->text = malloc(n + 1)))
            goto fail;
        memcpy(e->text, s, n);
        e->text[n] = '\0';
        e->len = (uint32_t)n;
        e->line = line;
        l->n++;
        rc = 0;
    }
    if (type == CW_CONTENT_PREFIX)
        rc = build_prefix(l);
    else if (l->n)
        rc = compile_db(l, name, err, errlen);
    if (rc)
        goto fail;
    *out = l;
    return 0;
fail:
    if (rc == CW_ENOMEM && !err[0])
        snprintf(err, errlen, "%s: error: out of memory", name);
    cw_content_free(l);
    return rc;
}

int cw_content_load(const char *path, struct cw_content_list **out, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    *out = NULL;
    int type = cw_content_type_of(path);
    if (type < 0) {
        snprintf(err, errlen, "%s: error: a list file's name ends in .kw, .re or .prefix", path);
        return CW_EINVAL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: error: cannot open: %s", path, strerror(errno));
        return CW_EIO;
    }
    struct stat st;
    char *buf = NULL;
    int rc = CW_EIO;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: error: not a regular file", path);
        goto out;
    }
    if (st.st_size > (off_t)CW_CONTENT_FILE_MAX) {
        snprintf(err, errlen, "%s: error: larger than %u bytes", path, CW_CONTENT_FILE_MAX);
        rc = CW_EFORMAT;
        goto out;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    if (!(buf = malloc(cap))) {
        snprintf(err, errlen, "%s: error: out of memory", path);
        rc = CW_ENOMEM;
        goto out;
    }
    size_t n;
    while (len < cap && (n = fread(buf + len, 1, cap - len, f)) > 0)
        len += n;
    if (ferror(f)) {
        snprintf(err, errlen, "%s: error: cannot read: %s", path, strerror(errno));
        goto out;
    }
    if (len == cap) { /* grew while we read it */
        snprintf(err, errlen, "%s: error: changed while being read", path);
        goto out;
    }
    rc = cw_content_parse(path, type, buf, len, out, err, errlen);
out:
    free(buf);
    fclose(f);
    return rc;
}

int cw_content_type(const struct cw_content_list *l)
{
    return l->type;
}

size_t cw_content_count(const struct cw_content_list *l)
{
    return l ? l->n : 0;
}

const char *cw_content_pattern(const struct cw_content_list *l, unsigned line)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->ents[mid].line == line)
            return l->ents[mid].text;
        if (l->ents[mid].line < line)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int cw_content_scratch_add(const struct cw_content_list *l, struct cw_content_scratch **s)
{
    struct cw_content_scratch *sc = *s;
    int fresh = 0;
    if (!sc) {
        if (!(sc = calloc(1, sizeof *sc)))
            return CW_ENOMEM;
        fresh = 1;
    }
    if (l && l->db && hs_alloc_scratch(l->db, &sc->hs) != HS_SUCCESS) {
        if (fresh)
            cw_content_scratch_free(sc);
        return CW_ENOMEM;
    }
    *s = sc;
    return 0;
}

void cw_content_scratch_free(struct cw_content_scratch *s)
{
    if (!s)
        return;
    hs_free_scratch(s->hs);
    free(s);
}

struct mctx {
    const struct cw_content_list *l;
    struct cw_content_match *m;
    unsigned n, max;
};

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *user)
{
    struct mctx *c = user;
    (void)flags;
    if (id >= c->l->n || c->n >= c->max)
        return 1;
    const struct ent *e = &c->l->ents[id];
    for (unsigned i = 0; i < c->n; i++)
        if (c->m[i].line == e->line) {
            /* a regex reports every end: grow the leftmost match to its longest */
            if (c->l->type == CW_CONTENT_RE && c->m[i].from == from && c->m[i].to < to)
                c->m[i].to = (size_t)to;
            return 0;
        }
    struct cw_content_match *m = &c->m[c->n++];
    m->line = e->line;
    m->to = (size_t)to;
    if (c->l->type == CW_CONTENT_KW)
        m->from = to >= e->len ? (size_t)to - e->len : 0;
    else
        m->from = (size_t)from;
    return c->n >= c->max; /* enough: stop the scan */
}

int cw_content_match(const struct cw_content_list *l, struct cw_content_scratch *s,
                     const uint8_t *text, size_t len, struct cw_content_match *m, unsigned max)
{
    if (!l || l->type == CW_CONTENT_PREFIX)
        return CW_EINVAL;
    if (!l->db || len == 0 || max == 0)
        return 0;
    if (!s || !s->hs || len > UINT32_MAX)
        return CW_EINVAL;
    struct mctx c = {l, m, 0, max};
    hs_error_t hr = hs_scan(l->db, (const char *)text, (unsigned)len, 0, s->hs, on_match, &c);
    if (hr != HS_SUCCESS && hr != HS_SCAN_TERMINATED)
        return CW_EINVAL;
    return (int)c.n;
}

unsigned cw_content_prefix(const struct cw_content_list *l, const char *num, size_t len)
{
    if (!l || l->type != CW_CONTENT_PREFIX || !l->n)
        return 0;
    if (len > 31)
        len = 31;
    for (size_t k = len; k >= 1; k--) { /* longest first */
        if (!(l->lens & (1u << k)))
            continue;
        size_t lo = 0, hi = l->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            const struct ent *e = &l->ents[l->byval[mid]];
            int c = e->len != k ? (e->len < k ? -1 : 1) : memcmp(e->text, num, k);
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < l->n) {
            const struct ent *e = &l->ents[l->byval[lo]];
            if (e->len == k && memcmp(e->text, num, k) == 0)
                return e->line;
        }
    }
    return 0;
}
