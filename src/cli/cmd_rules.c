/* cmd_rules.c - `cardwatch rules check PATH`. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "rules/rules.h"

static const char usage[] =
    "usage: cardwatch rules check PATH...\n"
    "\n"
    "Validate rule files (a file, or a directory whose *.rules files are read in name order;\n"
    "the language is described in docs/rules.md). Prints the rules found, or the first error\n"
    "as FILE:LINE:COL: error: what was expected.\n"
    "\n"
    "exit status: 0 all valid; 1 an error was found; 2 usage error.\n";

int cw_cmd_rules(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "check") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    int status = 0;
    for (int i = 2; i < argc; i++) {
        struct cw_ruleset *rs;
        char err[1024];
        if (cw_rules_load(argv[i], &rs, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            status = 1;
            continue;
        }
        size_t n = cw_rules_count(rs);
        printf("%s: %zu rule%s OK:", argv[i], n, n == 1 ? "" : "s");
        for (size_t r = 0; r < n; r++)
            printf(" %s", cw_rules_name(rs, r));
        putchar('\n');
        cw_rules_free(rs);
    }
    return status;
}
