/* corpus.h - what the differential tests against tshark share: the corpus's presence, tshark's
 * TSV files (expected/FILE.tsv), the events `cardwatch decode` prints, and a list of problems
 * reported together. */
#ifndef CW_TEST_CORPUS_H
#define CW_TEST_CORPUS_H

#include <stddef.h>
#include <stdint.h>

/** 1 when CW_CORPUS_DIR holds the corpus; else prints why the test is skipped and returns 0. */
int corpus_present(void);

/* ctest's SKIP_RETURN_CODE for the unit tests (tests/CMakeLists.txt). */
#define CW_TEST_SKIPPED 77

/** What a test program whose every case needs the corpus returns: @p rc, or CW_TEST_SKIPPED
 *  when the group passed only because the corpus is absent (so ctest says "skipped"). */
int corpus_exit(int rc);

struct report {
    char *text;
    size_t len, cap;
    int count;
};

/** Add a line to the report (printf format). */
void corpus_problem(struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define MAX_COLS 32

struct tsv {
    char *buf;
    int ncols;
    char *head[MAX_COLS];
    int nrows;
    char **cells; /* nrows * ncols */
};

/** Read tshark's TSV (header line first); fails the test when it cannot. */
void tsv_read(const char *path, struct tsv *t);
/** Column index by header name; fails the test when absent. */
int tsv_col(const struct tsv *t, const char *name);
const char *tsv_cell(const struct tsv *t, int row, int col);
void tsv_free(struct tsv *t);

/* One event line of `cardwatch decode`. */
struct corpus_ev {
    char kind[16];
    char proto[16];
    char calling[64], called[64], imsi[32], imei[32];
    char text[512];
    char account[32];
    char file[512];
    uint64_t frame;
    int matched;
};

/** The value of @p key in a flat JSON object line (strings unescaped, numbers and booleans as
 *  written) into @p out; 0, or -1 when the key is absent or the line malformed. */
int corpus_json_get(const char *line, const char *key, char *out, size_t outsz);

/** Parse one JSON event line; 0, or -1 when it is not an event object. */
int corpus_json_event(const char *line, struct corpus_ev *ev);

/**
 * Run `CW_BINARY decode --quiet PATH` and parse its events into a malloc'd array (*n set).
 * Lines that are not events are added to @p rep. Fails the test if decode fails.
 */
struct corpus_ev *corpus_decode(const char *path, size_t *n, struct report *rep);

#endif
