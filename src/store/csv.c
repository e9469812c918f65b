/* csv.c - RFC 4180 field splitting, in place. */
#include "store/csv.h"

#include <string.h>

int cw_csv_split(char *line, struct cw_csv_row *row, int *col)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    row->nfields = 0;
    char *r = line, *w = line;
    for (;;) {
        if (row->nfields == CW_CSV_MAX_FIELDS) {
            *col = (int)(r - line) + 1;
            return -1;
        }
        row->field[row->nfields++] = w;
        if (*r == '"') {
            char *open = r++;
            for (;;) {
                if (*r == 0) {
                    *col = (int)(open - line) + 1;
                    return -1;
                }
                if (*r == '"') {
                    if (r[1] == '"') {
                        *w++ = '"';
                        r += 2;
                        continue;
                    }
                    r++;
                    break;
                }
                *w++ = *r++;
            }
            if (*r != ',' && *r != 0) {
                *col = (int)(r - line) + 1;
                return -1;
            }
        } else {
            while (*r && *r != ',') {
                if (*r == '"') {
                    *col = (int)(r - line) + 1;
                    return -1;
                }
                *w++ = *r++;
            }
        }
        if (*r == 0) {
            *w = 0;
            return 0;
        }
        *w++ = 0; /* the comma */
        r++;
    }
}
