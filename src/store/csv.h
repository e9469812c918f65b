/* csv.h - a small RFC 4180 CSV line splitter for the registry's input files. */
#ifndef CW_CSV_H
#define CW_CSV_H

#include <stddef.h>

#define CW_CSV_MAX_FIELDS 64

struct cw_csv_row {
    int nfields;
    char *field[CW_CSV_MAX_FIELDS]; /* NUL-terminated, unquoted, point into the line buffer */
};

/**
 * Split @p line (modified in place: quotes removed, fields NUL-terminated) into fields.
 * Quoted fields may hold commas and doubled quotes. The trailing CR/LF is dropped.
 * Returns 0, or -1 with *col set (1-based) for an unterminated quote, too many fields or
 * a stray quote.
 */
int cw_csv_split(char *line, struct cw_csv_row *row, int *col);

#endif
