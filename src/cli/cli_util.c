/* cli_util.c - small helpers shared by the subcommands. */
#include <stdarg.h>
#include <stdio.h>

#include "cli/cli.h"

void cw_cli_err(const char *fmt, ...)
{
    va_list ap;
    fputs("cardwatch: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
