/* slice.h - a pointer and a length into bytes someone else owns (zero-copy views). */
#ifndef CW_SLICE_H
#define CW_SLICE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cw_slice {
    const uint8_t *p;
    size_t len;
};

static inline struct cw_slice cw_slice_make(const void *p, size_t len)
{
    struct cw_slice s = {(const uint8_t *)p, len};
    return s;
}

static inline struct cw_slice cw_slice_str(const char *s)
{
    return cw_slice_make(s, strlen(s));
}

/** True when the slice equals the NUL-terminated string @p s exactly. */
static inline int cw_slice_eq(struct cw_slice a, const char *s)
{
    size_t n = strlen(s);
    return a.len == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

static inline uint8_t cw_ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Inline so that strlen of a literal pattern folds to a constant on the hot path. */

/** ASCII case-insensitive equality of two bytes (most compared bytes are simply equal). */
static inline int cw_ascii_ieq(uint8_t a, uint8_t b)
{
    return a == b || cw_ascii_lower(a) == cw_ascii_lower(b);
}

/** ASCII case-insensitive equality with @p s. */
static inline int cw_slice_ieq(struct cw_slice a, const char *s)
{
    size_t n = strlen(s);
    if (a.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!cw_ascii_ieq(a.p[i], (uint8_t)s[i]))
            return 0;
    return 1;
}

/** ASCII case-insensitive: does @p a start with @p s? */
static inline int cw_slice_istarts(struct cw_slice a, const char *s)
{
    size_t n = strlen(s);
    if (a.len < n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!cw_ascii_ieq(a.p[i], (uint8_t)s[i]))
            return 0;
    return 1;
}

/** Strip ASCII spaces and tabs on both ends. */
struct cw_slice cw_slice_trim(struct cw_slice a);

/** Parse an unsigned decimal; returns 0 on success, -1 when empty, non-digit or > max. */
int cw_slice_to_u64(struct cw_slice a, uint64_t max, uint64_t *out);

#endif
