/* main.c - cardwatch: fraud-detection stream analyzer for mobile carriers. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: cardwatch COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Watches a carrier's signalling and SMS traffic, joins every card it sees to the\n"
    "real-name registry, and raises alerts on black cards.\n"
    "\n"
    "commands:\n"
    "  synth      generate a synthetic registry, traffic capture and ground truth\n"
    "  registry   import, query the real-name registry (LMDB)\n"
    "  decode     print every decoded signalling event of pcap files as JSON lines\n"
    "  analyze    join events to the registry, apply rules, write alerts\n"
    "  rules      check rule files\n"
    "  score      score alerts against a synth ground truth (precision, recall)\n"
    "\n"
    "Run 'cardwatch COMMAND --help' for the options of one command.\n"
    "Documentation: README.md, docs/registry.md, docs/rules.md, docs/alerts.md.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("cardwatch %s\n", CW_VERSION);
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"synth", cw_cmd_synth},     {"registry", cw_cmd_registry}, {"decode", cw_cmd_decode},
        {"analyze", cw_cmd_analyze}, {"rules", cw_cmd_rules},       {"score", cw_cmd_score},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmd, cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "cardwatch: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
