/* TEMPORARY (not to be committed): replaced by the audit implementation. */
#include "cli/cli.h"
int cw_cmd_registry_audit(int argc, char **argv) { (void)argc; (void)argv; return 2; }
