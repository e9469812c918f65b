/* testutil.h - helpers for the cmocka tests: temp dirs, files, hex. */
#ifndef CW_TESTUTIL_H
#define CW_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/** Make a fresh temporary directory (under $TMPDIR or /tmp); returns a static-lifetime path
 *  the caller frees. Aborts the test on failure. */
char *tu_mkdtemp(void);
/** rm -rf the directory. */
void tu_rmrf(const char *path);
/** Write bytes to a file; aborts on failure. */
void tu_write_file(const char *path, const void *data, size_t len);
/** Read a whole file (NUL-terminated, *len set); NULL when it cannot be read. Caller frees. */
char *tu_read_file(const char *path, size_t *len);
/** Decode a hex string (whitespace ignored) into a malloc'd buffer. */
uint8_t *tu_hex(const char *hex, size_t *len);
/** 1 if the path exists. */
int tu_exists(const char *path);
/** Run a shell command, capture stdout into a malloc'd string; *status = exit code. */
char *tu_run(const char *cmd, int *status);

#endif
