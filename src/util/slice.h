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

/** ASCII case-insensitive equality with @p s. */
int cw_slice_ieq(struct cw_slice a, const char *s);

/** ASCII case-insensitive: does @p a start with @p s? */
int cw_slice_istarts(struct cw_slice a, const char *s);

/** Strip ASCII spaces and tabs on both ends. */
struct cw_slice cw_slice_trim(struct cw_slice a);

/** Parse an unsigned decimal; returns 0 on success, -1 when empty, non-digit or > max. */
int cw_slice_to_u64(struct cw_slice a, uint64_t max, uint64_t *out);

#endif
