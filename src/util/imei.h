/* imei.h - IMEI as its 14 identifying digits plus the Luhn check digit (3GPP TS 23.003 6.2),
 * whatever form it arrived in: IMEI (15 digits), IMEISV (16: 14 + software version), or the
 * 14 digits alone. */
#ifndef CW_IMEI_H
#define CW_IMEI_H

#include <stddef.h>

/** The Luhn check digit ('0'-'9') of 14 digits. */
char cw_imei_luhn(const char *digits14);

/**
 * Normalise @p n characters (digits only) to the 15-digit IMEI with its check digit computed
 * from the first 14 (a wrong check digit in the input is replaced: the 14 digits identify the
 * device). Returns 0, or -1 when the input is not 14, 15 or 16 digits.
 */
int cw_imei_normalize(const char *in, size_t n, char out[16]);

#endif
