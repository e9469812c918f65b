/* json_out.h - a small JSON writer into a reusable growing buffer (one line per object). */
#ifndef CW_JSON_OUT_H
#define CW_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cw_json {
    char *buf;
    size_t len, cap;
    int need_comma; /* bitmask per nesting level: a value was written at this level */
    int depth;
    int oom;
};

/** Start an empty document; the buffer is kept across resets (no allocation once warm). */
void cw_json_reset(struct cw_json *j);
void cw_json_release(struct cw_json *j);

void cw_json_obj_begin(struct cw_json *j, const char *key); /* key NULL inside arrays/top */
void cw_json_obj_end(struct cw_json *j);
void cw_json_arr_begin(struct cw_json *j, const char *key);
void cw_json_arr_end(struct cw_json *j);
void cw_json_str(struct cw_json *j, const char *key, const char *s);
/** String of @p len bytes; invalid UTF-8 bytes are written as U+FFFD, controls escaped. */
void cw_json_strn(struct cw_json *j, const char *key, const char *s, size_t len);
void cw_json_int(struct cw_json *j, const char *key, int64_t v);
void cw_json_uint(struct cw_json *j, const char *key, uint64_t v);
void cw_json_double(struct cw_json *j, const char *key, double v);
void cw_json_bool(struct cw_json *j, const char *key, int v);

/** Write the document and a newline to @p f. Returns 0 or CW_EIO / CW_ENOMEM. */
int cw_json_write_line(struct cw_json *j, FILE *f);

#endif
