/* hex.h - bytes as lower-case hexadecimal digits (pseudonyms, key ids). */
#ifndef CW_HEX_H
#define CW_HEX_H

#include <stddef.h>
#include <stdint.h>

/** Write the @p n bytes at @p p as 2 * n lower-case hex digits and a NUL into @p out
 *  (2 * n + 1 bytes). */
void cw_hex_lower(const uint8_t *p, size_t n, char *out);

#endif
