/* ber.h - a small BER (ITU-T X.690) TLV reader over untrusted bytes, for TCAP and MAP.
 *
 *   identifier: class(2) constructed(1) tag(5), tag 31 = high-tag-number form: base-128 octets
 *               follow (bit 8 = more), at most 4 of them (tags below 2^28)
 *   length:     0xxxxxxx short form; 1nnnnnnn long form, n = 1..4 octets follow; 0x80
 *               indefinite (constructed only): the contents end at a 00 00 end-of-contents
 *
 * Reading never goes past the slice it was given, never allocates and never recurses: the end
 * of an indefinite-length value is found by counting the indefinite levels open inside it, and
 * that count (plus the value's own depth) is bounded by the iterator's depth limit. Values of
 * definite length are skipped by their length; their insides are checked when they are read.
 */
#ifndef CW_BER_H
#define CW_BER_H

#include <stddef.h>
#include <stdint.h>

#include "util/cursor.h"
#include "util/slice.h"

enum cw_ber_class {
    CW_BER_UNIVERSAL = 0,
    CW_BER_APPLICATION = 1,
    CW_BER_CONTEXT = 2,
    CW_BER_PRIVATE = 3,
};

/* Universal tags this project reads. */
enum {
    CW_BER_TAG_BOOLEAN = 1,
    CW_BER_TAG_INTEGER = 2,
    CW_BER_TAG_BIT_STRING = 3,
    CW_BER_TAG_OCTET_STRING = 4,
    CW_BER_TAG_NULL = 5,
    CW_BER_TAG_OID = 6,
    CW_BER_TAG_EXTERNAL = 8,
    CW_BER_TAG_SEQUENCE = 16,
};

/* Results of cw_ber_next() and cw_ber_enter() besides "an element" and "the end". */
enum {
    CW_BER_EBAD = -1,  /* a tag or length that does not fit: past the end, more than 4 length
                        * octets, indefinite on a primitive, no end-of-contents, a stray 00 00 */
    CW_BER_EDEEP = -2, /* nesting deeper than the iterator's limit */
};

/** One TLV. Slices point into the bytes the iterator was given. */
struct cw_ber_tlv {
    uint8_t cls;          /* enum cw_ber_class */
    uint8_t cons;         /* 1: constructed */
    uint8_t indef;        /* 1: indefinite length */
    uint8_t depth;        /* nesting level: 0 for the elements of cw_ber_init's slice */
    uint32_t tag;         /* tag number */
    struct cw_slice val;  /* contents octets (end-of-contents excluded) */
    struct cw_slice raw;  /* the whole encoding: identifier, length, contents, end-of-contents */
};

/** Reads the elements of one slice, one after the other. */
struct cw_ber_it {
    struct cw_cursor c;
    unsigned depth;     /* depth of the elements it gives */
    unsigned max_depth; /* elements (and indefinite levels inside them) deeper than this fail */
    int err;            /* sticky: the first CW_BER_E* met */
};

/** Iterate the top-level elements of @p s (depth 0); nothing nested deeper than @p max_depth
 *  is accepted. */
void cw_ber_init(struct cw_ber_it *it, struct cw_slice s, unsigned max_depth);

/**
 * Iterate the children of the constructed element @p parent, which @p outer gave; the limit
 * is inherited. Returns 0, CW_BER_EBAD when @p parent is primitive, CW_BER_EDEEP when its
 * children would be deeper than the limit (then @p inner gives nothing).
 */
int cw_ber_enter(const struct cw_ber_it *outer, const struct cw_ber_tlv *parent,
                 struct cw_ber_it *inner);

/**
 * The next element: 1 and @p out filled, 0 at the end of the slice, or CW_BER_EBAD /
 * CW_BER_EDEEP (sticky: every later call returns it too).
 */
int cw_ber_next(struct cw_ber_it *it, struct cw_ber_tlv *out);

/** True when @p t has class @p cls, form @p cons (1 constructed, 0 primitive) and tag @p tag. */
static inline int cw_ber_is(const struct cw_ber_tlv *t, unsigned cls, unsigned cons, uint32_t tag)
{
    return t->cls == cls && t->cons == cons && t->tag == tag;
}

/** A primitive INTEGER's contents (1..8 octets, two's complement) into @p v: 0, or -1. */
int cw_ber_int(const struct cw_ber_tlv *t, int64_t *v);

/**
 * An OBJECT IDENTIFIER's contents (@p val: no tag, no length) as arcs, the first subidentifier
 * split into the first two arcs (X.690 8.19.4). Returns the number of arcs (at most @p max),
 * or -1 when empty, an arc does not end, an arc exceeds 32 bits or there are more than @p max.
 */
int cw_ber_oid(struct cw_slice val, uint32_t *arcs, size_t max);

#endif
