/* error.c - names for CW_E* codes. */
#include "util/error.h"

const char *cw_strerror(int code)
{
    switch (code) {
#define CW_X(name, val, text)                                                            \
    case val:                                                                            \
        return text;
        CW_ERRORS(CW_X)
#undef CW_X
    }
    return "unknown error";
}
