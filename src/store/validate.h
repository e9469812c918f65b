/* validate.h - the registry's input fields: citizen ID numbers in either form, mobile numbers,
 * IMSIs, province codes and dates. Pure functions, no allocation; each returns 0 or a
 * negative code, with a static English reason for reports ("FILE:LINE: reason"). The reason
 * is a static string ("ok" on success); @p why may be NULL. A NULL or empty input is invalid
 * with the reason "empty".
 */
#ifndef CW_VALIDATE_H
#define CW_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

/**
 * Normalise an ID number to its 18-character form: an 18-character number is copied with a
 * lower-case 'x' made 'X'; a 15-digit number (the pre-1999 form: region, YYMMDD, sequence) is
 * converted by inserting "19" before the year and appending the GB 11643 check character
 * (*converted = 1, also when the result then fails; 0 otherwise; @p converted may be NULL).
 * The result is then validated (cw_idcard_validate). Returns 0 (valid), a negative enum
 * cw_idcard_result (out[] holds the normalised form when the length was right, else the input
 * truncated to 18; 15 characters that are not all digits are kept as given), never anything
 * else. @p why gets the reason's text, e.g. "check digit does not match".
 */
int cw_id_normalize(const char *in, char out[19], int *converted, const char **why);

/**
 * Validate a registry MSISDN already normalised to international digits (cw_msisdn_normalize)
 * for country code @p cc: for "86", 86 + an 11-digit mobile number 1[3-9]XXXXXXXXX, or 86 + a
 * 13-digit IoT number starting 14 or 1064; for other codes, 8 to 15 digits in all, starting
 * with the code. A NULL or empty @p cc means any country: 8 to 15 digits, not starting with 0.
 * Returns 0, or -1 with *why set.
 */
int cw_valid_msisdn(const char *intl, const char *cc, const char **why);

/** An IMSI: 15 digits (14 tolerated for some old networks) whose MCC is not 000-199 (so the
 *  first digit is 2..9). Returns 0, or -1 with *why set. */
int cw_valid_imsi(const char *imsi, const char **why);

/** A 2-digit code of one of the 34 provincial-level divisions (cw_province_name knows it; 83
 *  is not one). Returns 0, or -1 with *why set. */
int cw_valid_province(const char *code, const char **why);

/**
 * A date or date-time in UTC: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" or "... SS" with a space,
 * the date-time optionally ending in 'Z' (a date alone takes no 'Z'); exactly these digits, no
 * signs, spaces, fractions or offsets. The calendar is checked (no 2023-02-29, no 24:00:00, no
 * leap second), years 1970..2099. Returns 0 and the seconds since the epoch in *out (may be
 * NULL), or -1 with *why set and *out untouched.
 */
int cw_parse_utc(const char *s, int64_t *out, const char **why);

#endif
