/* ber.c - BER TLV reader (ber.h), X.690 8.1 (identifier and length octets), 8.19 (OIDs). */
#include "util/ber.h"

#define BER_MAX_TAG_OCTETS 4u /* high-tag-number form: tags below 2^28 */
#define BER_MAX_LEN_OCTETS 4u
#define BER_DEPTH_CAP 200u    /* struct cw_ber_tlv keeps the depth in a byte */

/* Identifier and length octets at c. *len is the definite length (checked against what is
 * left), or 0 with *indef set. */
static int header(struct cw_cursor *c, struct cw_ber_tlv *t, size_t *len)
{
    uint8_t b = cw_cur_u8(c);
    if (c->err)
        return CW_BER_EBAD;
    t->cls = (uint8_t)(b >> 6);
    t->cons = (uint8_t)((b >> 5) & 1u);
    t->tag = b & 0x1fu;
    if (t->tag == 0x1fu) {
        uint32_t tag = 0;
        for (unsigned i = 0;; i++) {
            if (i == BER_MAX_TAG_OCTETS)
                return CW_BER_EBAD;
            uint8_t o = cw_cur_u8(c);
            if (c->err || (i == 0 && o == 0x80u)) /* no leading zero septet (8.1.2.4.2 c) */
                return CW_BER_EBAD;
            tag = (tag << 7) | (o & 0x7fu);
            if (!(o & 0x80u))
                break;
        }
        t->tag = tag;
    }
    uint8_t l = cw_cur_u8(c);
    if (c->err)
        return CW_BER_EBAD;
    t->indef = 0;
    *len = 0;
    if (l < 0x80u) {
        *len = l;
    } else if (l == 0x80u) {
        if (!t->cons) /* 8.1.3.2 a: only a constructed encoding may be indefinite */
            return CW_BER_EBAD;
        t->indef = 1;
        return 0;
    } else {
        unsigned n = l & 0x7fu;
        if (n > BER_MAX_LEN_OCTETS)
            return CW_BER_EBAD;
        size_t v = 0;
        for (unsigned i = 0; i < n; i++)
            v = (v << 8) | cw_cur_u8(c);
        if (c->err)
            return CW_BER_EBAD;
        *len = v;
    }
    if (*len > cw_cur_left(c))
        return CW_BER_EBAD;
    return 0;
}

static int is_eoc_tag(const struct cw_ber_tlv *t)
{
    return t->cls == CW_BER_UNIVERSAL && t->tag == 0;
}

/* The contents of an indefinite-length value at depth @p depth start at c: find the
 * end-of-contents that closes it. Only indefinite levels are descended (a definite value is
 * skipped whole), so a counter of open levels is all the state this needs. */
static int find_eoc(struct cw_cursor c, unsigned depth, unsigned max_depth, const uint8_t **eoc)
{
    unsigned open = 1;
    while (cw_cur_left(&c) > 0) {
        const uint8_t *at = c.p;
        struct cw_ber_tlv t;
        size_t len;
        int r = header(&c, &t, &len);
        if (r != 0)
            return r;
        if (is_eoc_tag(&t)) {
            if (t.cons || t.indef || len != 0 || c.p - at != 2)
                return CW_BER_EBAD; /* end-of-contents is exactly 00 00 */
            if (--open == 0) {
                *eoc = at;
                return 0;
            }
            continue;
        }
        if (depth + open > max_depth)
            return CW_BER_EDEEP;
        if (t.indef)
            open++;
        else
            c.p += len; /* header() checked len against what is left */
    }
    return CW_BER_EBAD; /* no end-of-contents before the end of the enclosing value */
}

void cw_ber_init(struct cw_ber_it *it, struct cw_slice s, unsigned max_depth)
{
    it->c = cw_cur_make(s.p, s.p ? s.len : 0);
    it->depth = 0;
    it->max_depth = max_depth < BER_DEPTH_CAP ? max_depth : BER_DEPTH_CAP;
    it->err = 0;
}

int cw_ber_enter(const struct cw_ber_it *outer, const struct cw_ber_tlv *parent,
                 struct cw_ber_it *inner)
{
    inner->c = cw_cur_make(parent->val.p, 0);
    inner->depth = parent->depth + 1u;
    inner->max_depth = outer->max_depth;
    inner->err = 0;
    if (!parent->cons)
        inner->err = CW_BER_EBAD;
    else if (inner->depth > inner->max_depth)
        inner->err = CW_BER_EDEEP;
    else
        inner->c = cw_cur_make(parent->val.p, parent->val.len);
    return inner->err;
}

int cw_ber_next(struct cw_ber_it *it, struct cw_ber_tlv *out)
{
    if (it->err)
        return it->err;
    if (cw_cur_left(&it->c) == 0)
        return 0;
    const uint8_t *start = it->c.p;
    size_t left = (size_t)(it->c.end - start);
    if (left >= 2 && (start[0] & 0x1fu) != 0x1fu && start[1] < 0x80u) {
        /* The usual element: one identifier octet, a short-form length. The checks below are
         * those of header() and of the general path, in the same order. */
        uint8_t b = start[0];
        size_t n = start[1];
        out->cls = (uint8_t)(b >> 6);
        out->cons = (uint8_t)((b >> 5) & 1u);
        out->tag = b & 0x1fu;
        out->indef = 0;
        int e = n > left - 2 || is_eoc_tag(out) ? CW_BER_EBAD
                : it->depth > it->max_depth     ? CW_BER_EDEEP
                                                : 0;
        if (e != 0) {
            it->c.p = start + 2; /* where header() leaves it */
            it->err = e;
            return e;
        }
        out->val = cw_slice_make(start + 2, n);
        it->c.p = start + 2 + n;
        out->depth = (uint8_t)it->depth;
        out->raw = cw_slice_make(start, 2 + n);
        return 1;
    }
    size_t len;
    int r = header(&it->c, out, &len);
    if (r == 0 && is_eoc_tag(out))
        r = CW_BER_EBAD; /* end-of-contents outside an indefinite value, or reserved tag 0 */
    if (r == 0 && it->depth > it->max_depth)
        r = CW_BER_EDEEP;
    if (r == 0 && out->indef) {
        const uint8_t *eoc = NULL;
        r = find_eoc(it->c, it->depth, it->max_depth, &eoc);
        if (r == 0) {
            out->val = cw_slice_make(it->c.p, (size_t)(eoc - it->c.p));
            it->c.p = eoc + 2;
        }
    } else if (r == 0) {
        out->val = cw_cur_take(&it->c, len);
    }
    if (r != 0) {
        it->err = r;
        return r;
    }
    out->depth = (uint8_t)it->depth;
    out->raw = cw_slice_make(start, (size_t)(it->c.p - start));
    return 1;
}

int cw_ber_int(const struct cw_ber_tlv *t, int64_t *v)
{
    if (t->cons || t->val.len == 0 || t->val.len > 8)
        return -1;
    uint64_t u = (t->val.p[0] & 0x80u) ? ~(uint64_t)0 : 0;
    for (size_t i = 0; i < t->val.len; i++)
        u = (u << 8) | t->val.p[i];
    *v = (u >> 63) ? -(int64_t)(~u) - 1 : (int64_t)u;
    return 0;
}

int cw_ber_oid(struct cw_slice val, uint32_t *arcs, size_t max)
{
    size_t n = 0, i = 0;
    if (val.len == 0 || max < 2)
        return -1;
    while (i < val.len) {
        uint64_t sub = 0;
        if (val.p[i] == 0x80u)
            return -1; /* a subidentifier has no leading zero septet (8.19.2) */
        for (;;) {
            if (i == val.len)
                return -1; /* the last octet still says "more" */
            uint8_t o = val.p[i++];
            sub = (sub << 7) | (o & 0x7fu);
            if (sub > UINT32_MAX)
                return -1;
            if (!(o & 0x80u))
                break;
        }
        if (n == 0) {
            uint32_t first = sub < 40 ? 0u : sub < 80 ? 1u : 2u;
            arcs[n++] = first;
            arcs[n++] = (uint32_t)(sub - 40u * first);
        } else {
            if (n == max)
                return -1;
            arcs[n++] = (uint32_t)sub;
        }
    }
    return (int)n;
}
