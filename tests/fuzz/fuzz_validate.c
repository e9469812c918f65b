/* fuzz_validate.c - libFuzzer target for the registry field checks (store/validate.h): the
 * input, NUL-terminated, as an ID number, an MSISDN (country codes 86, 44 and none), an IMSI,
 * a province code and a date. Each answer is checked against a rule written out here, and a
 * normalised ID number or a parsed time must come back unchanged when fed in again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/idcard.h"
#include "store/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static void check_id(const char *in, size_t len)
{
    char out[19];
    int converted = -1;
    const char *why = NULL;
    int rc = cw_id_normalize(in, out, &converted, &why);
    if (!why || !*why || (converted != 0 && converted != 1))
        abort();
    if (rc != 0 && (rc < CW_IDCARD_EREGION || rc > CW_IDCARD_ELENGTH))
        abort();
    size_t olen = strnlen(out, sizeof out);
    if (olen > 18)
        abort();
    if (len != 15 && len != 18) {
        /* the input, truncated to 18 */
        if (rc != CW_IDCARD_ELENGTH || converted || olen != (len < 18 ? len : 18) ||
            memcmp(out, in, olen) != 0)
            abort();
        return;
    }
    if (converted != (len == 15 && digits(in, 15)))
        abort();
    if (converted && (olen != 18 || memcmp(out, in, 6) != 0 || memcmp(out + 6, "19", 2) != 0 ||
                      memcmp(out + 8, in + 6, 9) != 0 || out[17] != cw_idcard_check_char(out)))
        abort();
    if (len == 18) {
        /* the same answer as the 18-character check, and only 'x' -> 'X' changed */
        if (rc != cw_idcard_validate(in, 18, NULL) || olen != 18 || memcmp(out, in, 17) != 0 ||
            out[17] != (in[17] == 'x' ? 'X' : in[17]))
            abort();
    }
    if (len == 15 && !converted && (rc != CW_IDCARD_ENONDIGIT || strcmp(out, in) != 0))
        abort();
    if (rc == 0) {
        if (olen != 18 || cw_idcard_validate(out, 18, NULL) != 0 || out[17] == 'x')
            abort();
        /* normalised is a fixed point */
        char again[19];
        int conv2 = -1;
        if (cw_id_normalize(out, again, &conv2, NULL) != 0 || conv2 != 0 || strcmp(again, out) != 0)
            abort();
    } else if (olen == 18 && rc != cw_idcard_validate(out, 18, NULL)) {
        abort();
    }
}

static void check_msisdn(const char *s, size_t len, const char *cc)
{
    const char *why = NULL;
    int rc = cw_valid_msisdn(s, cc, &why);
    if (!why || !*why || (rc != 0 && rc != -1))
        abort();
    int want = len > 0 && digits(s, len) && len >= 8 && len <= 15 && s[0] != '0';
    if (want && cc && *cc)
        want = strncmp(s, cc, strlen(cc)) == 0;
    if (want && cc && !strcmp(cc, "86")) {
        if (len == 13)
            want = s[2] == '1' && s[3] >= '3';
        else if (len == 15)
            want = !strncmp(s + 2, "14", 2) || !strncmp(s + 2, "1064", 4);
        else
            want = 0;
    }
    if ((rc == 0) != want)
        abort();
}

static void check_imsi(const char *s, size_t len)
{
    const char *why = NULL;
    int rc = cw_valid_imsi(s, &why);
    if (!why || !*why || (rc != 0 && rc != -1))
        abort();
    int want = (len == 14 || len == 15) && digits(s, len) && s[0] >= '2';
    if ((rc == 0) != want)
        abort();
}

static void check_province(const char *s, size_t len)
{
    const char *why = NULL;
    int rc = cw_valid_province(s, &why);
    if (!why || !*why || (rc != 0 && rc != -1))
        abort();
    int want = len == 2 && cw_province_name(s) != NULL;
    if ((rc == 0) != want)
        abort();
}

static void check_utc(const char *s, size_t len)
{
    const char *why = NULL;
    int64_t t = -1;
    int rc = cw_parse_utc(s, &t, &why);
    if (!why || !*why || (rc != 0 && rc != -1))
        abort();
    if (rc != 0)
        return;
    if (t < 0 || t > INT64_C(4102444799)) /* 1970-01-01 .. 2099-12-31T23:59:59 */
        abort();
    if (len != 10 && len != 19 && len != 20)
        abort();
    /* the same fields, printed back from the seconds, are the input */
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        abort();
    char back[32];
    strftime(back, sizeof back, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (memcmp(back, s, 10) != 0)
        abort();
    if (len == 10 && strcmp(back + 10, "T00:00:00Z") != 0)
        abort();
    if (len > 10 && (memcmp(back + 11, s + 11, 8) != 0 || (len == 20 && s[19] != 'Z')))
        abort();
    int64_t t2 = -1;
    if (cw_parse_utc(back, &t2, NULL) != 0 || t2 != t)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exactly-sized NUL-terminated copy, so ASan sees any read past the end */
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    size_t len = strlen(s);
    check_id(s, len);
    check_msisdn(s, len, "86");
    check_msisdn(s, len, "44");
    check_msisdn(s, len, NULL);
    check_imsi(s, len);
    check_province(s, len);
    check_utc(s, len);
    free(s);
    return 0;
}
