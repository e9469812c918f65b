/* tbcd.h - telephony BCD (3GPP TS 29.002 TBCD-STRING, TS 24.008 10.5.1.4): two digits per
 * byte, low nibble first, 0xF as filler. Used by IMSI, MSISDN and IMEI fields everywhere. */
#ifndef CW_TBCD_H
#define CW_TBCD_H

#include <stddef.h>
#include <stdint.h>

/**
 * Decode @p len TBCD bytes into NUL-terminated digits in @p out (room @p outsz). A filler
 * nibble 0xF ends the string (only in the last byte's high nibble, or as a whole 0xFF tail);
 * nibbles 0xA-0xE are written as '*', '#', 'a', 'b', 'c' as tshark shows them.
 * Returns the number of characters written, or -1 when they do not fit or a filler is
 * followed by more digits.
 */
int cw_tbcd_decode(const uint8_t *p, size_t len, char *out, size_t outsz);

/**
 * Decode TBCD that must be a decimal number of @p min..@p max digits (@p min at least 1):
 * fillers only at the end, no '*', '#' or 'a'-'c'. Returns the number of digits written to
 * @p out (NUL-terminated, room @p outsz), or -1.
 */
int cw_tbcd_digits(const uint8_t *p, size_t len, size_t min, size_t max, char *out,
                   size_t outsz);

#endif
