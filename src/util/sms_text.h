/* sms_text.h - SMS user data to UTF-8: the GSM 7-bit default alphabet (3GPP TS 23.038 6.2.1,
 * with its extension table 6.2.1.1), UCS-2 / UTF-16BE, Latin-1 and IA5, and the user data
 * header of 3GPP TS 23.040 9.2.3.24. Shared by every decoder that carries SMS text (SMPP,
 * MAP / GSM 03.40 TPDUs, SIP MESSAGE bodies, Diameter SGd).
 *
 * Every conversion writes UTF-8 into the caller's buffer and allocates nothing. It never
 * writes past @p outsz bytes: when the next character does not fit, the text is cut before
 * it (never inside a UTF-8 sequence) and CW_SMS_TEXT_CUT is set. Output is not
 * NUL-terminated; the return value is the number of bytes written. @p flags, when not NULL,
 * receives the CW_SMS_TEXT_* bits that apply (ORed into what it holds: clear it first).
 */
#ifndef CW_SMS_TEXT_H
#define CW_SMS_TEXT_H

#include <stddef.h>
#include <stdint.h>

enum cw_sms_text_flag {
    CW_SMS_TEXT_CUT = 1 << 0,     /* the output buffer was full: text cut at a character */
    CW_SMS_TEXT_INVALID = 1 << 1, /* invalid input units, each written as U+FFFD */
    CW_SMS_TEXT_SHORT = 1 << 2,   /* packed GSM 7-bit: the bytes hold fewer septets than the
                                   * count says (the septets that are there are converted) */
};

/** Longest UTF-8 output of one input byte of any conversion here (U+FFFD, €, CJK). Size a
 *  buffer as 3 * input bytes (+1 for the odd UTF-16 tail) and nothing is ever cut. */
#define CW_SMS_UTF8_PER_BYTE 3

/**
 * GSM 7-bit default alphabet, unpacked (one septet per byte, as SMPP carries it), to UTF-8.
 * 0x1B escapes into the extension table (form feed, ^ { } \ [ ~ ] | €); an escape followed by
 * a code the extension table does not define gives the basic-table character for that code
 * (TS 23.038 6.2.1.1 note), 0x1B 0x1B (a further extension table, undefined) gives a space, as
 * does an escape at the end of the text. Bytes with the high bit set are not septets: U+FFFD
 * and CW_SMS_TEXT_INVALID.
 */
size_t cw_sms_gsm7_to_utf8(const uint8_t *in, size_t n, uint8_t *out, size_t outsz,
                           unsigned *flags);

/**
 * GSM 7-bit default alphabet, packed (as TS 23.040 TP-User-Data carries it: septet i occupies
 * bits 7i .. 7i+6 of the octet stream, least significant bit first), to UTF-8.
 * @p in points at the first octet holding text septets (after the UDH when there is one),
 * @p fill_bits (0..6) are the low bits of that octet that pad the UDH to a septet boundary
 * (cw_sms_udh_fill_bits()), @p nsept is the number of text septets (TP-UDL less the UDH's
 * septets). Septets the @p len bytes do not hold are missing: CW_SMS_TEXT_SHORT.
 */
size_t cw_sms_gsm7_packed_to_utf8(const uint8_t *in, size_t len, size_t nsept, unsigned fill_bits,
                                  uint8_t *out, size_t outsz, unsigned *flags);

/** Fill bits after a UDH of @p udh_octets octets (UDHL byte included) so the text that follows
 *  starts on a septet boundary (TS 23.040 9.2.3.24): 0..6. */
unsigned cw_sms_udh_fill_bits(size_t udh_octets);

/** Septets taken by a UDH of @p udh_octets octets and its fill bits (to subtract from TP-UDL). */
size_t cw_sms_udh_septets(size_t udh_octets);

/**
 * UCS-2 / UTF-16 big-endian to UTF-8. A surrogate pair gives one character; a lone surrogate
 * and an odd last byte give U+FFFD and CW_SMS_TEXT_INVALID.
 */
size_t cw_sms_ucs2_to_utf8(const uint8_t *in, size_t n, uint8_t *out, size_t outsz,
                           unsigned *flags);

/** ISO-8859-1 to UTF-8 (every byte is a character; 0x80..0xFF take two bytes). */
size_t cw_sms_latin1_to_utf8(const uint8_t *in, size_t n, uint8_t *out, size_t outsz,
                             unsigned *flags);

/** IA5 / ASCII to UTF-8: bytes 0x00..0x7F as they are; 0x80..0xFF give U+FFFD and
 *  CW_SMS_TEXT_INVALID. */
size_t cw_sms_ascii_to_utf8(const uint8_t *in, size_t n, uint8_t *out, size_t outsz,
                            unsigned *flags);

/* What a user data header says about concatenation (TS 23.040 9.2.3.24.1 / .8). */
struct cw_sms_udh {
    size_t len;      /* octets of the whole UDH, UDHL byte included: the text starts here */
    int concat;      /* 1 when a concatenation IE (0x00 or 0x08) was found */
    uint16_t ref;    /* concatenated short message reference number (8 or 16 bit) */
    uint8_t total;   /* maximum number of short messages in the concatenated message */
    uint8_t seq;     /* sequence number of this part (1-based) */
    uint8_t ref16;   /* 1 when the reference came from IE 0x08 (16-bit) */
    uint8_t bad_ie;  /* 1 when a concatenation IE had the wrong length (ignored) */
};

/**
 * Read the user data header at the start of @p ud (UDHL, then IEs: IEI, IEL, data). Fills
 * @p udh; the first concatenation IE wins. Returns 0, or -1 when there is no byte at all, the
 * UDHL runs past @p len, or an IE runs past the UDHL (then @p udh is zeroed).
 */
int cw_sms_udh_parse(const uint8_t *ud, size_t len, struct cw_sms_udh *udh);

#endif
