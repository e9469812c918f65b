/* idcard.h - Chinese resident identity card numbers (GB 11643-1999) and province codes.
 *
 *   3 3 0 1 0 6 | 1 9 9 0 0 3 0 7 | 1 2 3 | X
 *   region code | birth YYYYMMDD  | seq   | check (ISO 7064 MOD 11-2)
 *   (GB/T 2260)                     (odd: male, even: female)
 *
 * Validation is pure and allocation-free. Provinces: all 34 provincial-level divisions of
 * GB/T 2260 (the 31 of the mainland, 71 Taiwan, 81 Hong Kong, 82 Macau).
 *
 * Region codes are checked for form, not looked up: the whole of GB/T 2260 (thousands of
 * county codes, revised every year, and retired codes stay valid on cards already issued) is
 * not embedded. A region code passes when its first two digits are one of the 34 provinces and
 *   - for a mainland province, the prefecture digits (3-4) are 01..99 and the county digits
 *     (5-6) 00..99: "330106" and "330100" pass, "330006" does not; a code that GB/T 2260
 *     never assigned but has this form ("339999") also passes;
 *   - for 71, 81 and 82, only NN0000 (810000 and 820000 begin the ID numbers on the
 *     residence permits of Hong Kong and Macau residents);
 *   - or it is 830000, the residence permit of Taiwan residents (its province is 71).
 * A small table of real county-level codes (at least three for each mainland province) gives
 * names; other codes that pass have no name (region_name NULL). All returned strings are
 * static and live for the whole program.
 */
#ifndef CW_IDCARD_H
#define CW_IDCARD_H

#include <stddef.h>

/* Why an ID number is not valid; cw_idcard_validate() returns one of these (0 when valid).
 * They are their own range, not CW_E* codes. Checked in this order. */
enum cw_idcard_result {
    CW_IDCARD_OK = 0,
    CW_IDCARD_ELENGTH = -101, /* not 18 characters */
    CW_IDCARD_ENONDIGIT = -102, /* a non-digit (the last may be X or x) */
    CW_IDCARD_ECHECK = -103,  /* check character does not match the first 17 digits */
    CW_IDCARD_EBIRTH = -104,  /* birth date not a calendar date in 1900..CW_IDCARD_MAX_YEAR */
    CW_IDCARD_EREGION = -105, /* first 6 digits not a plausible region code (see above) */
};

/* Latest birth year accepted (a fixed bound, not the clock, so results never change). */
#define CW_IDCARD_MIN_YEAR 1900
#define CW_IDCARD_MAX_YEAR 2026

struct cw_idcard_info {
    char region[7];            /* "330106" */
    char province[3];          /* "33" ("71" for region 830000) */
    const char *province_name; /* "Zhejiang" (static) */
    const char *region_name;   /* "Xihu" (static); NULL when the code is not in the table */
    int birth_year, birth_month, birth_day;
    char sex; /* 'M' (odd sequence) or 'F' */
};

/**
 * The check character for the first 17 characters of @p first17 (digits): ISO 7064 MOD 11-2,
 * weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 indexes "10X98765432".
 * Returns '0'..'9' or 'X'; '\0' when one of the 17 is not a digit (or the string is shorter).
 */
char cw_idcard_check_char(const char *first17);

/**
 * Validate the @p len characters at @p id (not necessarily NUL-terminated) as an 18-character
 * ID number. Returns 0 and fills @p out (may be NULL) when valid; otherwise a negative
 * enum cw_idcard_result (out then is unspecified).
 */
int cw_idcard_validate(const char *id, size_t len, struct cw_idcard_info *out);

/** Text for a cw_idcard_validate() result: "ok", "length", "non-digit", "check digit",
 *  "birth date", "region code" ("unknown" for anything else). */
const char *cw_idcard_reason(int code);

/**
 * The displayable form of an ID number: region code (first 6) + one '*' per hidden character
 * + last 4, e.g. "330106********1234". Returns 0 for an 18-character @p id; for other lengths
 * writes a best-effort mask that never shows more than the first 6 and the last 4 characters
 * (all '*' when shorter than 11, at most 18 characters) and returns CW_EINVAL.
 */
int cw_idcard_mask(const char *id, char out[20]);

/** English (pinyin) name of a 2-digit province code ("33" -> "Zhejiang", "81" -> "Hong Kong");
 *  NULL if unknown ("83" too: 830000 is a region code, not a province). Only the first two
 *  characters of @p code2 are read. */
const char *cw_province_name(const char *code2);

/** The known provinces, i in 0..cw_province_count()-1: 2-digit code, and name. */
size_t cw_province_count(void);
const char *cw_province_code_at(size_t i);

/** The region name table, i in 0..cw_idcard_region_count()-1: 6-digit code (sorted
 *  ascending). Every code in it is a real mainland county-level code and validates. */
size_t cw_idcard_region_count(void);
const char *cw_idcard_region_code_at(size_t i);

/** Name of a 6-digit region code in the table, NULL if not in it. Reads 6 characters. */
const char *cw_idcard_region_name(const char *code6);

#endif
