/* sms_text.c - SMS text conversions to UTF-8 (3GPP TS 23.038 6.2.1 GSM 7-bit default alphabet
 * and extension table, UCS-2 / UTF-16BE, ISO-8859-1, IA5) and the TS 23.040 9.2.3.24 user
 * data header.
 *
 *   packed septets, LSB first (TS 23.038 6.1.2.1.1), after a UDH with fill bits f:
 *     octet 0: [s0 bits 6-f..0 | f fill bits]   octet 1: [s1 ... | s0 high bits] ...
 */
#include "util/sms_text.h"

#include <string.h>

#define REPLACEMENT 0xFFFDu
#define GSM7_ESC 0x1B

/* TS 23.038 6.2.1: the basic table, code -> Unicode. 0x1B (escape) is handled by the caller. */
static const uint16_t gsm7_basic[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, /* 0x00 @ £ $ ¥ è é ù ì */
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5, /* 0x08 ò Ç LF Ø ø CR Å å */
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, /* 0x10 Δ _ Φ Γ Λ Ω Π Ψ */
    0x03A3, 0x0398, 0x039E, 0x00A0, 0x00C6, 0x00E6, 0x00DF, 0x00C9, /* 0x18 Σ Θ Ξ esc Æ æ ß É */
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, /* 0x20 SP ! " # ¤ % & ' */
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F, /* 0x28 ( ) * + , - . / */
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 0x30 0-7 */
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, /* 0x38 8 9 : ; < = > ? */
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* 0x40 ¡ A-G */
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, /* 0x48 H-O */
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* 0x50 P-W */
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, /* 0x58 X Y Z Ä Ö Ñ Ü § */
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* 0x60 ¿ a-g */
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F, /* 0x68 h-o */
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* 0x70 p-w */
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, /* 0x78 x y z ä ö ñ ü à */
};

/* TS 23.038 6.2.1.1: the extension table; 0 where it defines nothing. */
static uint32_t gsm7_ext(uint8_t c)
{
    switch (c) {
    case 0x0A:
        return 0x000C; /* form feed (page break) */
    case 0x14:
        return 0x005E; /* ^ */
    case 0x28:
        return 0x007B; /* { */
    case 0x29:
        return 0x007D; /* } */
    case 0x2F:
        return 0x005C; /* \ */
    case 0x3C:
        return 0x005B; /* [ */
    case 0x3D:
        return 0x007E; /* ~ */
    case 0x3E:
        return 0x005D; /* ] */
    case 0x40:
        return 0x007C; /* | */
    case 0x65:
        return 0x20AC; /* € */
    default:
        return 0;
    }
}

/* The output and where it stands. */
struct out {
    uint8_t *p;
    size_t cap, len;
    unsigned flags;
};

/* Append one code point; 0 (and CUT) when it does not fit whole. */
static inline int put(struct out *o, uint32_t cp)
{
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (!o->p || n > o->cap - o->len) {
        o->flags |= CW_SMS_TEXT_CUT;
        return 0;
    }
    uint8_t *b = o->p + o->len;
    switch (n) {
    case 1: b[0] = (uint8_t)cp; break;
    case 2:
        b[0] = (uint8_t)(0xC0 | (cp >> 6));
        b[1] = (uint8_t)(0x80 | (cp & 0x3F));
        break;
    case 3:
        b[0] = (uint8_t)(0xE0 | (cp >> 12));
        b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp & 0x3F));
        break;
    default:
        b[0] = (uint8_t)(0xF0 | (cp >> 18));
        b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (uint8_t)(0x80 | (cp & 0x3F));
        break;
    }
    o->len += n;
    return 1;
}

static size_t done(const struct out *o, unsigned *flags)
{
    if (flags)
        *flags |= o->flags;
    return o->len;
}

static struct out out_make(uint8_t *p, size_t cap)
{
    struct out o = {p, p ? cap : 0, 0, 0};
    return o;
}

/* Septet i of a packed stream starting @p fill bits into @p in; -1 past the end. */
static int septet_at(const uint8_t *in, size_t len, unsigned fill, size_t i)
{
    size_t bit = (size_t)fill + 7 * i;
    size_t byte = bit / 8, shift = bit % 8;
    if (byte >= len)
        return -1;
    unsigned v = in[byte] >> shift;
    if (shift > 1) { /* the septet runs into the next octet */
        if (byte + 1 >= len)
            return -1;
        v |= (unsigned)in[byte + 1] << (8 - shift);
    }
    return (int)(v & 0x7F);
}

/* Septets from either source: unpacked bytes (fill == UNPACKED) or a packed stream. */
#define UNPACKED 8u

static int get_septet(const uint8_t *in, size_t len, unsigned fill, size_t i)
{
    if (fill == UNPACKED)
        return i < len ? in[i] : -1;
    return septet_at(in, len, fill, i);
}

static void gsm7_convert(const uint8_t *in, size_t len, size_t nsept, unsigned fill,
                         struct out *o)
{
    for (size_t i = 0; i < nsept; i++) {
        int c = get_septet(in, len, fill, i);
        if (c < 0) {
            o->flags |= CW_SMS_TEXT_SHORT;
            return;
        }
        uint32_t cp;
        if (c > 0x7F) {
            o->flags |= CW_SMS_TEXT_INVALID;
            cp = REPLACEMENT;
        } else if (c == GSM7_ESC) {
            int e = i + 1 < nsept ? get_septet(in, len, fill, i + 1) : -1;
            if (e < 0) {
                cp = 0x20; /* escape with nothing after it */
            } else {
                i++;
                if (e > 0x7F) {
                    o->flags |= CW_SMS_TEXT_INVALID;
                    cp = REPLACEMENT;
                } else if (e == GSM7_ESC) {
                    cp = 0x20; /* escape to a further table, undefined: a space */
                } else {
                    cp = gsm7_ext((uint8_t)e);
                    if (cp == 0)
                        cp = gsm7_basic[e]; /* not in the extension table: the basic one */
                }
            }
        } else {
            cp = gsm7_basic[c];
        }
        if (!put(o, cp))
            return;
    }
}

size_t cw_sms_gsm7_to_utf8(const uint8_t *in, size_t n, uint8_t *out, size_t outsz,
                           unsigned *flags)
{
    struct out o = out_make(out, outsz);
    if (in)
        gsm7_convert(in, n, n, UNPACKED, &o);
    return done(&o, flags);
}

size_t cw_sms_gsm7_packed_to_utf8(const uint8_t *in, size_t len, size_t nsept, unsigned fill_bits,
                                  uint8_t *out, size_t outsz, unsigned *flags)
{
    struct out o = out_make(out, outsz);
    if (!in)
        len = 0;
    gsm7_convert(in, len, nsept, fill_bits % 7, &o);
    return done(&o, flags);
}

unsigned cw_sms_udh_fill_bits(size_t udh_octets)
{
    return (unsigned)((7 - (udh_octets * 8) % 7) % 7);
}

size_t cw_sms_udh_septets(size_t udh_octets)
{
    return (udh_octets * 8 + 6) / 7;
}

size_t cw_sms_ucs2_to_utf8(const uint8_t *in, size_t n, uint8_t *out, size_t outsz,
                           unsigned *flags)
{
    struct out o = out_make(out, outsz);
    size_t i = 0;
    if (!in)
        n = 0;
    while (i + 1 < n) {
        uint32_t u = ((uint32_t)in[i] << 8) | in[i + 1];
        size_t used = 2;
        if (u >= 0xD800 && u <= 0xDBFF) {
            uint32_t lo = i + 3 < n ? ((uint32_t)in[i + 2] << 8) | in[i + 3] : 0;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                used = 4;
            } else {
                u = REPLACEMENT; /* high surrogate without its low half */
                o.flags |= CW_SMS_TEXT_INVALID;
            }
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            u = REPLACEMENT; /* low surrogate alone */
            o.flags |= CW_SMS_TEXT_INVALID;
        }
        if (!put(&o, u))
            return done(&o, flags);
        i += used;
    }
    if (i < n) { /* an odd byte left over */
        o.flags |= CW_SMS_TEXT_INVALID;
        put(&o, REPLACEMENT);
    }
    return done(&o, flags);
}

size_t cw_sms_latin1_to_utf8(const uint8_t *in, size_t n, uint8_t *out, size_t outsz,
                             unsigned *flags)
{
    struct out o = out_make(out, outsz);
    for (size_t i = 0; in && i < n; i++)
        if (!put(&o, in[i]))
            break;
    return done(&o, flags);
}

size_t cw_sms_ascii_to_utf8(const uint8_t *in, size_t n, uint8_t *out, size_t outsz,
                            unsigned *flags)
{
    struct out o = out_make(out, outsz);
    for (size_t i = 0; in && i < n; i++) {
        uint32_t cp = in[i];
        if (cp > 0x7F) {
            cp = REPLACEMENT;
            o.flags |= CW_SMS_TEXT_INVALID;
        }
        if (!put(&o, cp))
            break;
    }
    return done(&o, flags);
}

int cw_sms_udh_parse(const uint8_t *ud, size_t len, struct cw_sms_udh *udh)
{
    memset(udh, 0, sizeof *udh);
    if (!ud || len == 0)
        return -1;
    size_t udhl = ud[0];
    if (udhl > len - 1)
        return -1;
    size_t pos = 1, end = 1 + udhl;
    while (pos < end) {
        if (2 > end - pos) {
            memset(udh, 0, sizeof *udh);
            return -1; /* an IEI without its length */
        }
        uint8_t iei = ud[pos], iel = ud[pos + 1];
        pos += 2;
        if (iel > end - pos) {
            memset(udh, 0, sizeof *udh);
            return -1;
        }
        const uint8_t *d = ud + pos;
        if ((iei == 0x00 || iei == 0x08) && !udh->concat) {
            if (iei == 0x00 && iel == 3) {
                udh->concat = 1;
                udh->ref = d[0];
                udh->total = d[1];
                udh->seq = d[2];
            } else if (iei == 0x08 && iel == 4) {
                udh->concat = 1;
                udh->ref16 = 1;
                udh->ref = (uint16_t)((d[0] << 8) | d[1]);
                udh->total = d[2];
                udh->seq = d[3];
            } else {
                udh->bad_ie = 1;
            }
        }
        pos += iel;
    }
    udh->len = end;
    return 0;
}
