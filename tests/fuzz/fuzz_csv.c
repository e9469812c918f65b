/* fuzz_csv.c - libFuzzer target for cw_csv_split: the input, NUL-terminated, as one line.
 * Fields must lie inside the line, in order; an error must point into it; and a line without
 * quotes must split exactly at its commas. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Without quotes the answer is known: the line (to its first NUL, trailing CR/LF dropped)
 * split at every comma, or an error past CW_CSV_MAX_FIELDS fields. */
static void check_plain(const char *orig, int rc, const struct cw_csv_row *row)
{
    size_t n = strlen(orig);
    while (n && (orig[n - 1] == '\n' || orig[n - 1] == '\r'))
        n--;
    if (memchr(orig, '"', n))
        return;
    int fields = 1;
    for (size_t i = 0; i < n; i++)
        fields += orig[i] == ',';
    if (fields > CW_CSV_MAX_FIELDS) {
        if (rc != -1)
            abort();
        return;
    }
    if (rc != 0 || row->nfields != fields)
        abort();
    const char *p = orig;
    for (int i = 0; i < fields; i++) {
        size_t fl = strcspn(p, ",");
        if (i == fields - 1)
            fl = (size_t)(orig + n - p);
        if (strlen(row->field[i]) != fl || memcmp(row->field[i], p, fl) != 0)
            abort();
        p += fl + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exactly-sized NUL-terminated copy, so ASan sees any read past the end */
    char *line = malloc(size + 1);
    char *orig = malloc(size + 1);
    if (!line || !orig) {
        free(line);
        free(orig);
        return 0;
    }
    memcpy(line, data, size);
    line[size] = 0;
    memcpy(orig, line, size + 1);
    size_t len = strlen(line);

    struct cw_csv_row row;
    int col = -12345;
    int rc = cw_csv_split(line, &row, &col);
    if (rc == 0) {
        if (row.nfields < 1 || row.nfields > CW_CSV_MAX_FIELDS)
            abort();
        const char *prev_end = line;
        for (int i = 0; i < row.nfields; i++) {
            const char *f = row.field[i];
            if (f < prev_end || f > line + len)
                abort();
            const char *nul = memchr(f, 0, (size_t)(line + len + 1 - f));
            if (!nul)
                abort();
            prev_end = nul + 1;
        }
    } else if (rc == -1) {
        if (col < 1 || (size_t)col > len + 1)
            abort();
    } else {
        abort();
    }
    check_plain(orig, rc, &row);
    free(line);
    free(orig);
    return 0;
}
