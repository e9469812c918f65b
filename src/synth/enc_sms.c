/* enc_sms.c - SMS text, TPDU and RP-DATA encoders (3GPP TS 23.038, 23.040, 24.011).
 *
 *   SMS-SUBMIT:  fo(MTI=01 VPF=10 [UDHI]) MR TP-DA PID DCS VP(1) UDL UD
 *   SMS-DELIVER: fo(MTI=00 MMS [UDHI]) TP-OA PID DCS SCTS(7) UDL UD
 *   UD with a concatenation UDH: 05 00 03 ref total seq, then the text (GSM 7-bit after
 *   fill bits up to the next septet boundary)
 *   RP-DATA:     MTI MR RP-OA RP-DA RP-UD(len + TPDU)
 */
#include "synth/enc.h"

#include <string.h>

/* TS 23.038 6.2.1 basic table, code -> Unicode (0x1B is the escape, never a character). */
static const uint16_t gsm7_basic[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x000A,
    0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5, 0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9,
    0x03A0, 0x03A8, 0x03A3, 0x0398, 0x039E, 0xFFFF, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x0020,
    0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002A, 0x002B,
    0x002C, 0x002D, 0x002E, 0x002F, 0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036,
    0x0037, 0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, 0x00A1, 0x0041,
    0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, 0x0048, 0x0049, 0x004A, 0x004B, 0x004C,
    0x004D, 0x004E, 0x004F, 0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x0061, 0x0062,
    0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D,
    0x006E, 0x006F, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, 0x0078,
    0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* TS 23.038 6.2.1.1 extension table: Unicode -> code after the escape, 0 when none. */
static uint8_t gsm7_ext_code(uint32_t u)
{
    switch (u) {
    case 0x000C: return 0x0A;
    case 0x005E: return 0x14;
    case 0x007B: return 0x28;
    case 0x007D: return 0x29;
    case 0x005C: return 0x2F;
    case 0x005B: return 0x3C;
    case 0x007E: return 0x3D;
    case 0x005D: return 0x3E;
    case 0x007C: return 0x40;
    case 0x20AC: return 0x65;
    default: return 0;
    }
}

/* Next code point of UTF-8 text; -1 when malformed. */
static long utf8_next(const char *s, size_t n, size_t *i)
{
    const uint8_t *p = (const uint8_t *)s;
    uint8_t c = p[*i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!len || len > n - *i)
        return -1;
    uint32_t u = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k < len; k++) {
        if ((p[*i + k] & 0xC0) != 0x80)
            return -1;
        u = u << 6 | (p[*i + k] & 0x3Fu);
    }
    *i += len;
    return (long)u;
}

size_t cw_enc_utf8_chars(const char *utf8, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((uint8_t)utf8[i] & 0xC0) != 0x80;
    return c;
}

size_t cw_enc_utf8_prefix(const char *utf8, size_t n, size_t chars)
{
    size_t i = 0, c = 0;
    while (i < n) {
        if (((uint8_t)utf8[i] & 0xC0) != 0x80) {
            if (c == chars)
                break;
            c++;
        }
        i++;
    }
    return i;
}

size_t cw_enc_gsm7(const char *utf8, size_t n, uint8_t *out, size_t cap)
{
    size_t i = 0, k = 0;
    while (i < n) {
        long u = utf8_next(utf8, n, &i);
        if (u < 0)
            return (size_t)-1;
        int code = -1;
        /* letters, digits and most punctuation keep their ASCII code */
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '?') ||
            (u >= ' ' && u <= '/' && u != '$')) {
            code = (int)u;
        } else {
            for (int c = 0; c < 128; c++)
                if (gsm7_basic[c] == u) {
                    code = c;
                    break;
                }
        }
        if (code >= 0) {
            if (k >= cap)
                return (size_t)-1;
            out[k++] = (uint8_t)code;
            continue;
        }
        uint8_t e = gsm7_ext_code((uint32_t)u);
        if (!e || cap - k < 2 || k >= cap)
            return (size_t)-1;
        out[k++] = 0x1B;
        out[k++] = e;
    }
    return k;
}

size_t cw_enc_gsm7_pack(const uint8_t *sept, size_t n, unsigned fill_bits, uint8_t *out,
                        size_t cap)
{
    size_t bits = fill_bits + 7 * n, octets = (bits + 7) / 8;
    if (octets > cap)
        return 0;
    memset(out, 0, octets);
    size_t pos = fill_bits;
    for (size_t i = 0; i < n; i++, pos += 7) {
        unsigned v = sept[i] & 0x7Fu;
        out[pos / 8] |= (uint8_t)(v << (pos % 8));
        if (pos % 8 > 1)
            out[pos / 8 + 1] |= (uint8_t)(v >> (8 - pos % 8));
    }
    return octets;
}

size_t cw_enc_ucs2(const char *utf8, size_t n, uint8_t *out, size_t cap)
{
    size_t i = 0, k = 0;
    while (i < n) {
        long u = utf8_next(utf8, n, &i);
        if (u < 0)
            return (size_t)-1;
        if (u > 0xFFFF) {
            if (cap - k < 4 || k > cap)
                return (size_t)-1;
            uint32_t v = (uint32_t)u - 0x10000u;
            unsigned hi = 0xD800u | (v >> 10), lo = 0xDC00u | (v & 0x3FFu);
            out[k++] = (uint8_t)(hi >> 8);
            out[k++] = (uint8_t)hi;
            out[k++] = (uint8_t)(lo >> 8);
            out[k++] = (uint8_t)lo;
        } else {
            if (cap - k < 2 || k > cap)
                return (size_t)-1;
            out[k++] = (uint8_t)(u >> 8);
            out[k++] = (uint8_t)u;
        }
    }
    return k;
}

size_t cw_enc_latin1(const char *utf8, size_t n, uint8_t *out, size_t cap)
{
    size_t i = 0, k = 0;
    while (i < n) {
        long u = utf8_next(utf8, n, &i);
        if (u < 0 || u > 0xFF || k >= cap)
            return (size_t)-1;
        out[k++] = (uint8_t)u;
    }
    return k;
}

size_t cw_enc_tbcd(const char *digits, uint8_t *out, size_t cap)
{
    size_t n = digits ? strlen(digits) : 0;
    if (n == 0 || (n + 1) / 2 > cap)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (digits[i] < '0' || digits[i] > '9')
            return 0;
    for (size_t i = 0; i < n; i += 2) {
        unsigned lo = (unsigned)(digits[i] - '0');
        unsigned hi = i + 1 < n ? (unsigned)(digits[i + 1] - '0') : 0xFu;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return (n + 1) / 2;
}

void cw_enc_imei15(const char *d, char out[16])
{
    unsigned sum = 0;
    for (int i = 0; i < 14; i++) {
        unsigned v = (unsigned)(d[i] - '0');
        if (i & 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
        out[i] = d[i];
    }
    out[14] = (char)('0' + (10 - sum % 10) % 10);
    out[15] = 0;
}

/* TP address (TS 23.040 9.1.2.5): length in semi-octets, TOA, BCD or packed GSM 7-bit. */
static void tp_addr(struct cw_wbuf *b, const char *addr, int intl, int alnum)
{
    if (alnum) {
        uint8_t sept[16], packed[16];
        size_t ns = cw_enc_gsm7(addr, strlen(addr), sept, 11);
        if (ns == (size_t)-1) {
            b->err = 1;
            return;
        }
        size_t no = cw_enc_gsm7_pack(sept, ns, 0, packed, sizeof packed);
        cw_wb_u8(b, (unsigned)((ns * 7 + 3) / 4)); /* semi-octets that hold information */
        cw_wb_u8(b, 0xD0);                         /* TON alphanumeric, NPI unknown */
        cw_wb_mem(b, packed, no);
        return;
    }
    uint8_t bcd[12];
    size_t nd = strlen(addr), no = cw_enc_tbcd(addr, bcd, sizeof bcd);
    if (!no) {
        b->err = 1;
        return;
    }
    cw_wb_u8(b, (unsigned)nd);
    cw_wb_u8(b, intl ? 0x91 : 0x81);
    cw_wb_mem(b, bcd, no);
}

size_t cw_enc_tpdu(const struct cw_enc_tpdu *t, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    if (!t || !t->addr || (!t->text && t->text_len))
        return 0;
    uint8_t fo = t->submit ? 0x11 : 0x04; /* SUBMIT VPF relative; DELIVER no more messages */
    if (t->concat)
        fo |= 0x40;
    cw_wb_u8(&b, fo);
    if (t->submit)
        cw_wb_u8(&b, t->mr);
    tp_addr(&b, t->addr, t->addr_intl, t->addr_alnum);
    cw_wb_u8(&b, 0); /* TP-PID */
    cw_wb_u8(&b, t->dcs);
    if (t->submit)
        cw_wb_u8(&b, 0xA7); /* TP-VP relative: 24 hours */
    else
        cw_wb_mem(&b, t->scts, 7);
    uint8_t udh[6] = {5, 0, 3, t->ref, t->total, t->seq};
    size_t udh_len = t->concat ? 6 : 0;
    uint8_t ud[140];
    size_t udl;
    memcpy(ud, udh, udh_len);
    if (t->dcs == CW_ENC_DCS_UCS2) {
        size_t n = cw_enc_ucs2(t->text, t->text_len, ud + udh_len, sizeof ud - udh_len);
        if (n == (size_t)-1)
            return 0;
        udl = udh_len + n;
        cw_wb_u8(&b, (unsigned)udl);
        cw_wb_mem(&b, ud, udl);
    } else {
        uint8_t sept[170];
        size_t ns = cw_enc_gsm7(t->text, t->text_len, sept, sizeof sept);
        size_t hdr_sept = udh_len ? (udh_len * 8 + 6) / 7 : 0;
        unsigned fill = udh_len ? (unsigned)((7 - (udh_len * 8) % 7) % 7) : 0;
        if (ns == (size_t)-1 || hdr_sept + ns > 160)
            return 0;
        size_t no = cw_enc_gsm7_pack(sept, ns, fill, ud + udh_len, sizeof ud - udh_len);
        if (ns && !no)
            return 0;
        cw_wb_u8(&b, (unsigned)(hdr_sept + ns));
        cw_wb_mem(&b, ud, udh_len + no);
    }
    return b.err ? 0 : b.len;
}

size_t cw_enc_rp_data(int ms_to_net, uint8_t mr, const char *sc, const uint8_t *tpdu,
                      size_t tpdu_len, uint8_t *out, size_t cap)
{
    struct cw_wbuf b = cw_wb_make(out, cap);
    uint8_t bcd[12];
    size_t no = cw_enc_tbcd(sc, bcd, 10);
    if (!no || tpdu_len > 255)
        return 0;
    cw_wb_u8(&b, ms_to_net ? 0x00 : 0x01);
    cw_wb_u8(&b, mr);
    for (int i = 0; i < 2; i++) { /* RP-OA, RP-DA: the service centre is the network's end */
        if (i == (ms_to_net ? 1 : 0)) {
            cw_wb_u8(&b, (unsigned)(no + 1));
            cw_wb_u8(&b, 0x91);
            cw_wb_mem(&b, bcd, no);
        } else {
            cw_wb_u8(&b, 0);
        }
    }
    cw_wb_u8(&b, (unsigned)tpdu_len);
    cw_wb_mem(&b, tpdu, tpdu_len);
    return b.err ? 0 : b.len;
}
