/* cursor.h - bounded reads from untrusted bytes.
 *
 * Every read from a packet goes through a cursor. An overrun sets a sticky error and returns 0;
 * the caller checks cur.err once per element instead of after every read.
 */
#ifndef CW_CURSOR_H
#define CW_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "util/slice.h"

struct cw_cursor {
    const uint8_t *p;
    const uint8_t *end;
    int err;
};

static inline struct cw_cursor cw_cur_make(const uint8_t *p, size_t len)
{
    struct cw_cursor c = {p, p + len, 0};
    return c;
}

static inline size_t cw_cur_left(const struct cw_cursor *c)
{
    return c->err ? 0 : (size_t)(c->end - c->p);
}

static inline int cw_cur_need(struct cw_cursor *c, size_t need)
{
    if (c->err || need > (size_t)(c->end - c->p)) {
        c->err = 1;
        return 0;
    }
    return 1;
}

static inline uint8_t cw_cur_u8(struct cw_cursor *c)
{
    if (!cw_cur_need(c, 1))
        return 0;
    return *c->p++;
}

static inline uint16_t cw_cur_u16be(struct cw_cursor *c)
{
    if (!cw_cur_need(c, 2))
        return 0;
    uint16_t v = (uint16_t)((c->p[0] << 8) | c->p[1]);
    c->p += 2;
    return v;
}

static inline uint16_t cw_cur_u16le(struct cw_cursor *c)
{
    if (!cw_cur_need(c, 2))
        return 0;
    uint16_t v = (uint16_t)((c->p[1] << 8) | c->p[0]);
    c->p += 2;
    return v;
}

static inline uint32_t cw_cur_u32be(struct cw_cursor *c)
{
    if (!cw_cur_need(c, 4))
        return 0;
    uint32_t v = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) |
                 ((uint32_t)c->p[2] << 8) | c->p[3];
    c->p += 4;
    return v;
}

static inline void cw_cur_skip(struct cw_cursor *c, size_t n)
{
    if (cw_cur_need(c, n))
        c->p += n;
}

/** Take @p n bytes as a slice (empty slice and sticky error on overrun). */
static inline struct cw_slice cw_cur_take(struct cw_cursor *c, size_t n)
{
    struct cw_slice s = {0, 0};
    if (cw_cur_need(c, n)) {
        s.p = c->p;
        s.len = n;
        c->p += n;
    }
    return s;
}

/** The bytes not yet read. */
static inline struct cw_slice cw_cur_rest(const struct cw_cursor *c)
{
    struct cw_slice s = {c->p, cw_cur_left(c)};
    return s;
}

#endif
