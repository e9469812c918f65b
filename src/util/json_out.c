/* json_out.c - JSON writer; strings are escaped and kept valid UTF-8 whatever the input. */
#include "util/json_out.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Room for @p n more bytes and the spare one for a NUL: 0, or -1 (out of memory, noted). */
static int grow(struct cw_json *j, size_t n)
{
    size_t cap = j->cap ? j->cap : 1024;
    while (cap - j->len < n + 1)
        cap *= 2;
    char *nb = realloc(j->buf, cap);
    if (!nb) {
        j->oom = 1;
        return -1;
    }
    j->buf = nb;
    j->cap = cap;
    return 0;
}

static inline int reserve(struct cw_json *j, size_t n)
{
    if (j->oom)
        return -1;
    if (j->buf == NULL || n >= j->cap - j->len) /* always one spare byte for a NUL */
        return grow(j, n);
    return 0;
}

static inline void put(struct cw_json *j, const char *s, size_t n)
{
    if (reserve(j, n) != 0)
        return;
    memcpy(j->buf + j->len, s, n);
    j->len += n;
}

static inline void putc1(struct cw_json *j, char c)
{
    if (reserve(j, 1) != 0)
        return;
    j->buf[j->len++] = c;
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

/* Bytes written as they are: printable ASCII but the two that JSON escapes ('"', '\\'). */
/* clang-format off */
static const uint8_t plain[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};
/* clang-format on */

/* Are all 8 bytes of @p w plain? (Each test may also flag a plain byte next to one that is
 * not, through a borrow: then the bytes are looked at one by one, which is always right.) */
static inline int plain8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t q = w ^ ('"' * ones), b = w ^ ('\\' * ones), d = w ^ (0x7f * ones);
    uint64_t odd =
        ((w - 0x20 * ones) & ~w) | w | ((q - ones) & ~q) | ((b - ones) & ~b) | ((d - ones) & ~d);
    return (odd & highs) == 0;
}

/* How many bytes at @p u (of @p n) are plain: eight at a time, then one by one. */
static size_t plain_run(const unsigned char *u, size_t n)
{
    size_t i = 0;
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, u + i, sizeof w);
        if (!plain8(w))
            break;
    }
    while (i < n && u[i] < 0x80 && plain[u[i]])
        i++;
    return i;
}

/* The rest of a string from its first byte that is not plain: escapes, UTF-8 sequences
 * (kept when valid, else U+FFFD), and the runs of bytes written as they are between them. */
static void put_escaped(struct cw_json *j, const unsigned char *u, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, run = 0; /* [run, i): bytes to copy as they are, in one go */
    for (;;) {
        i += plain_run(u + i, n - i);
        if (i == n)
            break;
        unsigned char c = u[i];
        size_t l = c >= 0x80 ? utf8_len(u + i, n - i) : 0;
        if (l) {
            i += l;
            continue;
        }
        put(j, (const char *)u + run, i - run);
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(j, esc, 2);
        } else if (c == '\n') {
            put(j, "\\n", 2);
        } else if (c == '\r') {
            put(j, "\\r", 2);
        } else if (c == '\t') {
            put(j, "\\t", 2);
        } else if (c < 0x80) { /* another control character */
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(j, esc, 6);
        } else {
            put(j, "\xef\xbf\xbd", 3); /* U+FFFD for a byte that is not valid UTF-8 */
        }
        run = ++i;
    }
    put(j, (const char *)u + run, i - run);
}

static void put_string(struct cw_json *j, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t r = plain_run(u, n); /* usually all of it */
    if (reserve(j, r + 2) != 0)
        return;
    j->buf[j->len] = '"';
    memcpy(j->buf + j->len + 1, s, r);
    j->len += r + 1;
    if (r < n)
        put_escaped(j, u + r, n - r);
    putc1(j, '"');
}

static inline int plain_char(char c)
{
    return (unsigned char)c < 0x80 && plain[(unsigned char)c];
}

/* Keys are short plain names: copied while they are looked at, in one pass. */
#define KEY_FAST 32

static void put_key(struct cw_json *j, const char *key)
{
    if (reserve(j, KEY_FAST + 3) == 0) {
        char *o = j->buf + j->len + 1;
        size_t i = 0;
        while (i < KEY_FAST && plain_char(key[i])) { /* the NUL is not plain */
            o[i] = key[i];
            i++;
        }
        if (!key[i]) {
            o[-1] = '"';
            o[i] = '"';
            o[i + 1] = ':';
            j->len += i + 3;
            return;
        }
    }
    put_string(j, key, strlen(key)); /* a long one, one to escape, or out of memory */
    putc1(j, ':');
}

static void prefix(struct cw_json *j, const char *key)
{
    int bit = 1 << (j->depth & 31);
    if (j->need_comma & bit)
        putc1(j, ',');
    j->need_comma |= bit;
    if (key)
        put_key(j, key);
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

/* Writes the decimal digits of @p v to end there (20 at most); returns where they start. */
static char *u64_digits(uint64_t v, char *end)
{
    char *p = end;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

void cw_json_int(struct cw_json *j, const char *key, int64_t v)
{
    char b[24], *end = b + sizeof b;
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = u64_digits(mag, end);
    if (v < 0)
        *--p = '-';
    prefix(j, key);
    put(j, p, (size_t)(end - p));
}

void cw_json_uint(struct cw_json *j, const char *key, uint64_t v)
{
    char b[24], *end = b + sizeof b;
    char *p = u64_digits(v, end);
    prefix(j, key);
    put(j, p, (size_t)(end - p));
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
