/* error.h - the project's error codes: public functions return 0 or a negative CW_E* code. */
#ifndef CW_ERROR_H
#define CW_ERROR_H

#define CW_ERRORS(X)                                                                     \
    X(CW_OK, 0, "success")                                                               \
    X(CW_EINVAL, -1, "invalid argument")                                                 \
    X(CW_ENOMEM, -2, "out of memory")                                                    \
    X(CW_EIO, -3, "input/output error")                                                  \
    X(CW_EFORMAT, -4, "malformed input")                                                 \
    X(CW_ENOTFOUND, -5, "not found")                                                     \
    X(CW_EDB, -6, "database error")                                                      \
    X(CW_EFULL, -7, "capacity exhausted")                                                \
    X(CW_EUNSUPPORTED, -8, "unsupported")

enum cw_error {
#define CW_X(name, val, text) name = val,
    CW_ERRORS(CW_X)
#undef CW_X
};

/** A static, human-readable name for a CW_E* code. */
const char *cw_strerror(int code);

#endif
