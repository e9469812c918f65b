/* corpus.c - shared parts of the differential tests against tshark (corpus.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "corpus.h"
#include "testutil.h"

int corpus_present(void)
{
    if (tu_exists(CW_CORPUS_DIR "/MANIFEST.md"))
        return 1;
    print_message("corpus absent: %s not found, differential test skipped\n", CW_CORPUS_DIR);
    return 0;
}

int corpus_exit(int rc)
{
    return rc == 0 && !tu_exists(CW_CORPUS_DIR "/MANIFEST.md") ? CW_TEST_SKIPPED : rc;
}

/* ---- a growing list of problems, reported together ---- */


void corpus_problem(struct report *r, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t add = strlen(line) + 1;
    if (r->len + add + 1 > r->cap) {
        r->cap = (r->len + add + 1) * 2;
        r->text = realloc(r->text, r->cap);
        assert_non_null(r->text);
    }
    memcpy(r->text + r->len, line, add - 1);
    r->len += add - 1;
    r->text[r->len++] = '\n';
    r->text[r->len] = 0;
    r->count++;
}

/* ---- tshark's TSV ---- */


static int split_tabs(char *line, char **out, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return -1;
        out[n++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            break;
        *t = 0;
        p = t + 1;
    }
    return n;
}

void tsv_read(const char *path, struct tsv *t)
{
    memset(t, 0, sizeof *t);
    t->buf = tu_read_file(path, NULL);
    if (!t->buf)
        fail_msg("cannot read %s", path);
    size_t lines = 0;
    for (char *p = t->buf; *p; p++)
        lines += *p == '\n';
    t->cells = calloc((lines + 1) * MAX_COLS, sizeof *t->cells);
    assert_non_null(t->cells);
    char *save = NULL;
    int first = 1;
    for (char *line = strtok_r(t->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[n - 1] = 0;
        if (first) {
            t->ncols = split_tabs(line, t->head, MAX_COLS);
            assert_true(t->ncols > 0);
            first = 0;
            continue;
        }
        char *cols[MAX_COLS];
        int nc = split_tabs(line, cols, MAX_COLS);
        if (nc != t->ncols)
            fail_msg("%s: row %d has %d columns, the header %d", path, t->nrows + 2, nc, t->ncols);
        memcpy(t->cells + (size_t)t->nrows * MAX_COLS, cols, sizeof(char *) * (size_t)nc);
        t->nrows++;
    }
}

int tsv_col(const struct tsv *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (strcmp(t->head[i], name) == 0)
            return i;
    fail_msg("expected TSV has no column %s", name);
    return -1;
}

const char *tsv_cell(const struct tsv *t, int row, int col)
{
    return t->cells[(size_t)row * MAX_COLS + (size_t)col];
}

void tsv_free(struct tsv *t)
{
    free(t->cells);
    free(t->buf);
}


static void put_utf8(char *out, size_t outsz, size_t *o, unsigned cp)
{
    char tmp[4];
    size_t n;
    if (cp < 0x80) {
        tmp[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        tmp[0] = (char)(0xc0 | cp >> 6);
        tmp[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        tmp[0] = (char)(0xe0 | cp >> 12);
        tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        tmp[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        tmp[0] = (char)(0xf0 | cp >> 18);
        tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        tmp[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    for (size_t i = 0; i < n && *o + 1 < outsz; i++)
        out[(*o)++] = tmp[i];
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -1;
        *v = *v << 4 | d;
    }
    return 0;
}

/* A JSON string at *pp (at its opening quote) into out; *pp moves past it. -1 if malformed. */
static int json_string(const char **pp, char *out, size_t outsz)
{
    const char *p = *pp;
    size_t o = 0;
    if (*p++ != '"')
        return -1;
    while (*p && *p != '"') {
        if (*p != '\\') {
            if (o + 1 < outsz)
                out[o++] = *p;
            p++;
            continue;
        }
        p++;
        unsigned cp;
        switch (*p) {
        case '"': case '\\': case '/': cp = (unsigned char)*p; p++; break;
        case 'b': cp = '\b'; p++; break;
        case 'f': cp = '\f'; p++; break;
        case 'n': cp = '\n'; p++; break;
        case 'r': cp = '\r'; p++; break;
        case 't': cp = '\t'; p++; break;
        case 'u': {
            if (hex4(p + 1, &cp))
                return -1;
            p += 5;
            unsigned lo;
            if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' && p[1] == 'u' && !hex4(p + 2, &lo) &&
                lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
            }
            break;
        }
        default:
            return -1;
        }
        put_utf8(out, outsz, &o, cp);
    }
    if (*p != '"')
        return -1;
    out[o] = 0;
    *pp = p + 1;
    return 0;
}

static void copy(char *dst, size_t dstsz, const char *src)
{
    size_t n = strlen(src);
    if (n >= dstsz)
        n = dstsz - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

int corpus_json_get(const char *line, const char *want, char *out, size_t outsz)
{
    const char *p = line;
    if (*p++ != '{')
        return -1;
    for (;;) {
        char key[64], val[2048];
        if (json_string(&p, key, sizeof key) || *p++ != ':')
            return -1;
        if (*p == '"') {
            if (json_string(&p, val, sizeof val))
                return -1;
        } else {
            size_t n = 0;
            while (*p && *p != ',' && *p != '}' && n + 1 < sizeof val)
                val[n++] = *p++;
            val[n] = 0;
        }
        if (!strcmp(key, want)) {
            copy(out, outsz, val);
            return 0;
        }
        if (*p == ',') {
            p++;
            continue;
        }
        return -1;
    }
}

/* One flat JSON object of strings and unsigned numbers (what `decode` prints). */
int corpus_json_event(const char *line, struct corpus_ev *ev)
{
    memset(ev, 0, sizeof *ev);
    const char *p = line;
    int have_frame = 0;
    if (*p++ != '{')
        return -1;
    while (*p == ' ')
        p++;
    if (*p == '}')
        return -1;
    for (;;) {
        char key[32], val[1024];
        if (json_string(&p, key, sizeof key))
            return -1;
        if (*p++ != ':')
            return -1;
        if (*p == '"') {
            if (json_string(&p, val, sizeof val))
                return -1;
        } else {
            size_t n = 0;
            while (*p >= '0' && *p <= '9' && n + 1 < sizeof val)
                val[n++] = *p++;
            val[n] = 0;
            if (!n)
                return -1;
        }
        if (!strcmp(key, "kind"))
            copy(ev->kind, sizeof ev->kind, val);
        else if (!strcmp(key, "calling"))
            copy(ev->calling, sizeof ev->calling, val);
        else if (!strcmp(key, "called"))
            copy(ev->called, sizeof ev->called, val);
        else if (!strcmp(key, "text"))
            copy(ev->text, sizeof ev->text, val);
        else if (!strcmp(key, "imsi"))
            copy(ev->imsi, sizeof ev->imsi, val);
        else if (!strcmp(key, "imei"))
            copy(ev->imei, sizeof ev->imei, val);
        else if (!strcmp(key, "account"))
            copy(ev->account, sizeof ev->account, val);
        else if (!strcmp(key, "proto"))
            copy(ev->proto, sizeof ev->proto, val);
        else if (!strcmp(key, "file"))
            copy(ev->file, sizeof ev->file, val);
        else if (!strcmp(key, "frame")) {
            ev->frame = strtoull(val, NULL, 10);
            have_frame = 1;
        }
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}')
            break;
        return -1;
    }
    return have_frame && ev->kind[0] ? 0 : -1;
}


struct corpus_ev *corpus_decode(const char *path, size_t *n, struct report *rep)
{
    char cmd[2300];
    if (!tu_exists(CW_BINARY))
        fail_msg("%s not built", CW_BINARY);
    snprintf(cmd, sizeof cmd, "'%s' decode --quiet '%s'", CW_BINARY, path);
    int status = -1;
    char *out = tu_run(cmd, &status);
    assert_non_null(out);
    if (status != 0)
        fail_msg("%s: cardwatch decode exited with %d", path, status);
    size_t nev = 0, cap = 16;
    struct corpus_ev *evs = malloc(cap * sizeof *evs);
    assert_non_null(evs);
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (nev == cap) {
            cap *= 2;
            evs = realloc(evs, cap * sizeof *evs);
            assert_non_null(evs);
        }
        if (corpus_json_event(line, &evs[nev]) != 0) {
            corpus_problem(rep, "%s: output line is not an event object: %.200s", path, line);
            continue;
        }
        nev++;
    }
    free(out);
    *n = nev;
    return evs;
}
