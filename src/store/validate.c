/* validate.c - the registry's input fields: ID numbers (GB 11643-1999, 15- and 18-character
 * forms), MSISDNs (E.164; China's mobile and IoT segments), IMSIs (ITU-T E.212), province
 * codes (GB/T 2260) and UTC dates. No locale, no strptime, no timegm: every field is read
 * character by character, so "+1", " 1" and "1x" are never numbers.
 *
 *   15-character ID:  330106 900307 123          region, YYMMDD, sequence
 *   18-character ID:  330106 19900307 123 6      region, YYYYMMDD, sequence, check
 */
#include "store/validate.h"

#include <string.h>

#include "store/idcard.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return 0;
    return 1;
}

/* The length of @p s, counting no further than @p cap (so a long field is never walked). */
static size_t bounded_len(const char *s, size_t cap)
{
    size_t n = 0;
    while (n < cap && s[n])
        n++;
    return n;
}

static int num(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int is_calendar_date(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return 0;
    return d <= mdays[m - 1] + (m == 2 && is_leap(y));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* 0..399 */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
    return era * 146097 + doe - 719468;
}

static void set_why(const char **why, const char *text)
{
    if (why)
        *why = text;
}

/* A finer reason than cw_idcard_reason() for a validation result on a normalised number. */
static const char *id_why(int rc, const char *id)
{
    switch (rc) {
    case CW_IDCARD_OK: return "ok";
    case CW_IDCARD_ELENGTH: return "not 15 or 18 characters";
    case CW_IDCARD_ENONDIGIT:
        return all_digits(id, 17) ? "last character is not a digit or X"
                                  : "a character is not a digit";
    case CW_IDCARD_ECHECK: return "check digit does not match";
    case CW_IDCARD_EBIRTH:
        return is_calendar_date(num(id + 6, 4), num(id + 10, 2), num(id + 12, 2))
                   ? "birth year outside " STR(CW_IDCARD_MIN_YEAR) ".." STR(CW_IDCARD_MAX_YEAR)
                   : "birth date is not a calendar date";
    case CW_IDCARD_EREGION:
        if (!cw_province_name(id) && memcmp(id, "830000", 6) != 0)
            return "region code: unknown province";
        return "region code: not a valid prefecture or county";
    default: return "unknown";
    }
}

int cw_id_normalize(const char *in, char out[19], int *converted, const char **why)
{
    if (converted)
        *converted = 0;
    out[0] = 0;
    if (!in || !*in) {
        set_why(why, "empty");
        return CW_IDCARD_ELENGTH;
    }
    size_t n = bounded_len(in, 19);
    if (n == 15) {
        memcpy(out, in, 15);
        out[15] = 0;
        if (!all_digits(in, 15)) {
            set_why(why, "15-character number is not all digits");
            return CW_IDCARD_ENONDIGIT;
        }
        /* region(6) + "19" + YYMMDD + seq(3), then the check character of those 17 */
        memcpy(out, in, 6);
        memcpy(out + 6, "19", 2);
        memcpy(out + 8, in + 6, 9);
        out[17] = cw_idcard_check_char(out);
        out[18] = 0;
        if (converted)
            *converted = 1;
    } else {
        size_t keep = n < 18 ? n : 18;
        memcpy(out, in, keep);
        out[keep] = 0;
        if (n != 18) {
            set_why(why, "not 15 or 18 characters");
            return CW_IDCARD_ELENGTH;
        }
        if (out[17] == 'x')
            out[17] = 'X';
    }
    int rc = cw_idcard_validate(out, 18, NULL);
    set_why(why, id_why(rc, out));
    return rc;
}

/* A country code as configured: 1 to 3 digits, the first not 0 (E.164). */
static int valid_cc(const char *cc, size_t *len)
{
    *len = bounded_len(cc, 4);
    return *len >= 1 && *len <= 3 && all_digits(cc, *len) && cc[0] != '0';
}

int cw_valid_msisdn(const char *intl, const char *cc, const char **why)
{
    if (!intl || !*intl) {
        set_why(why, "empty");
        return -1;
    }
    size_t n = bounded_len(intl, 16);
    if (!all_digits(intl, n)) {
        set_why(why, "not all digits");
        return -1;
    }
    size_t ccl = 0;
    if (cc && *cc) {
        if (!valid_cc(cc, &ccl)) {
            set_why(why, "country code is not 1 to 3 digits");
            return -1;
        }
        if (n < ccl || memcmp(intl, cc, ccl) != 0) {
            set_why(why, "does not start with the country code");
            return -1;
        }
    } else if (intl[0] == '0') {
        set_why(why, "starts with 0: not an international number");
        return -1;
    }
    if (ccl == 2 && memcmp(cc, "86", 2) == 0) {
        const char *nat = intl + 2;
        if (n == 13) {
            if (nat[0] != '1' || nat[1] < '3') {
                set_why(why, "not a mobile number (1[3-9] and 9 digits)");
                return -1;
            }
        } else if (n == 15) {
            if (memcmp(nat, "14", 2) != 0 && memcmp(nat, "1064", 4) != 0) {
                set_why(why, "13-digit number is not IoT (14 or 1064)");
                return -1;
            }
        } else {
            set_why(why, "not 11 or 13 digits after 86");
            return -1;
        }
    } else if (n < 8) {
        set_why(why, "fewer than 8 digits");
        return -1;
    } else if (n > 15) {
        set_why(why, "more than 15 digits");
        return -1;
    }
    set_why(why, "ok");
    return 0;
}

int cw_valid_imsi(const char *imsi, const char **why)
{
    if (!imsi || !*imsi) {
        set_why(why, "empty");
        return -1;
    }
    size_t n = bounded_len(imsi, 16);
    if (!all_digits(imsi, n)) {
        set_why(why, "not all digits");
        return -1;
    }
    if (n != 14 && n != 15) {
        set_why(why, "not 14 or 15 digits");
        return -1;
    }
    if (imsi[0] < '2') {
        set_why(why, "MCC is not 200-999");
        return -1;
    }
    set_why(why, "ok");
    return 0;
}

int cw_valid_province(const char *code, const char **why)
{
    if (!code || !*code) {
        set_why(why, "empty");
        return -1;
    }
    size_t n = bounded_len(code, 3);
    if (n != 2 || !all_digits(code, 2)) {
        set_why(why, "not 2 digits");
        return -1;
    }
    if (!cw_province_name(code)) {
        set_why(why, "not a provincial-level division code");
        return -1;
    }
    set_why(why, "ok");
    return 0;
}

/* Reads the digits at @p s into @p v when the n characters there are all digits. */
static int field(const char *s, size_t n, int *v)
{
    if (!all_digits(s, n))
        return 0;
    *v = num(s, (int)n);
    return 1;
}

int cw_parse_utc(const char *s, int64_t *out, const char **why)
{
    static const char bad_form[] = "not YYYY-MM-DD[THH:MM:SS[Z]]";
    if (!s || !*s) {
        set_why(why, "empty");
        return -1;
    }
    /* Checking each character in order stops at the NUL, so no read goes past it. */
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (!field(s, 4, &y) || s[4] != '-' || !field(s + 5, 2, &mo) || s[7] != '-' ||
        !field(s + 8, 2, &d)) {
        set_why(why, bad_form);
        return -1;
    }
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        if (!field(p + 1, 2, &h) || p[3] != ':' || !field(p + 4, 2, &mi) || p[6] != ':' ||
            !field(p + 7, 2, &sec)) {
            set_why(why, bad_form);
            return -1;
        }
        p += 9;
        if (*p == 'Z')
            p++;
    }
    if (*p) {
        set_why(why, "trailing characters");
        return -1;
    }
    if (y < 1970 || y > 2099) {
        set_why(why, "year outside 1970..2099");
        return -1;
    }
    if (!is_calendar_date(y, mo, d)) {
        set_why(why, "not a calendar date");
        return -1;
    }
    if (h > 23 || mi > 59 || sec > 59) {
        set_why(why, "not a time of day (00:00:00-23:59:59)");
        return -1;
    }
    if (out)
        *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    set_why(why, "ok");
    return 0;
}
