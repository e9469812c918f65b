/* json_out.c - JSON writer; strings are escaped and kept valid UTF-8 whatever the input. */
#include "util/json_out.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static void put(struct cw_json *j, const char *s, size_t n)
{
    if (j->oom)
        return;
    if (j->buf == NULL || n >= j->cap - j->len) { /* always one spare byte for a NUL */
        size_t cap = j->cap ? j->cap : 1024;
        while (cap - j->len < n + 1)
            cap *= 2;
        char *nb = realloc(j->buf, cap);
        if (!nb) {
            j->oom = 1;
            return;
        }
        j->buf = nb;
        j->cap = cap;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

static void putc1(struct cw_json *j, char c)
{
    put(j, &c, 1);
}

void cw_json_reset(struct cw_json *j)
{
    j->len = 0;
    j->need_comma = 0;
    j->depth = 0;
    j->oom = 0;
}

void cw_json_release(struct cw_json *j)
{
    free(j->buf);
    memset(j, 0, sizeof *j);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    unsigned cp = c & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static void put_string(struct cw_json *j, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    putc1(j, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            putc1(j, '\\');
            putc1(j, (char)c);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            char esc[8];
            switch (c) {
            case '\n': put(j, "\\n", 2); break;
            case '\r': put(j, "\\r", 2); break;
            case '\t': put(j, "\\t", 2); break;
            default:
                snprintf(esc, sizeof esc, "\\u%04x", c);
                put(j, esc, 6);
            }
            i++;
        } else {
            size_t l = utf8_len(u + i, n - i);
            if (l == 0) {
                put(j, "\xef\xbf\xbd", 3); /* U+FFFD */
                i++;
            } else {
                put(j, s + i, l);
                i += l;
            }
        }
    }
    putc1(j, '"');
}

static void prefix(struct cw_json *j, const char *key)
{
    int bit = 1 << (j->depth & 31);
    if (j->need_comma & bit)
        putc1(j, ',');
    j->need_comma |= bit;
    if (key) {
        put_string(j, key, strlen(key));
        putc1(j, ':');
    }
}

void cw_json_obj_begin(struct cw_json *j, const char *key)
{
    prefix(j, key);
    putc1(j, '{');
    j->depth++;
    j->need_comma &= ~(1 << (j->depth & 31));
}

void cw_json_obj_end(struct cw_json *j)
{
    j->need_comma &= ~(1 << (j->depth & 31));
    j->depth--;
    putc1(j, '}');
}

void cw_json_arr_begin(struct cw_json *j, const char *key)
{
    prefix(j, key);
    putc1(j, '[');
    j->depth++;
    j->need_comma &= ~(1 << (j->depth & 31));
}

void cw_json_arr_end(struct cw_json *j)
{
    j->need_comma &= ~(1 << (j->depth & 31));
    j->depth--;
    putc1(j, ']');
}

void cw_json_strn(struct cw_json *j, const char *key, const char *s, size_t len)
{
    prefix(j, key);
    put_string(j, s, len);
}

void cw_json_str(struct cw_json *j, const char *key, const char *s)
{
    cw_json_strn(j, key, s, strlen(s));
}

void cw_json_int(struct cw_json *j, const char *key, int64_t v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%" PRId64, v);
    prefix(j, key);
    put(j, b, (size_t)n);
}

void cw_json_uint(struct cw_json *j, const char *key, uint64_t v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%" PRIu64, v);
    prefix(j, key);
    put(j, b, (size_t)n);
}

void cw_json_double(struct cw_json *j, const char *key, double v)
{
    char b[64];
    int n = snprintf(b, sizeof b, "%.6g", v);
    prefix(j, key);
    put(j, b, (size_t)n);
}

void cw_json_bool(struct cw_json *j, const char *key, int v)
{
    prefix(j, key);
    if (v)
        put(j, "true", 4);
    else
        put(j, "false", 5);
}

int cw_json_write_line(struct cw_json *j, FILE *f)
{
    if (j->oom)
        return CW_ENOMEM;
    putc1(j, '\n');
    if (j->oom)
        return CW_ENOMEM;
    if (fwrite(j->buf, 1, j->len, f) != j->len)
        return CW_EIO;
    return 0;
}
