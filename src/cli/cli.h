/* cli.h - the subcommands of the cardwatch binary. Each returns the process exit status:
 * 0 success, 1 the work failed (bad input, I/O), 2 usage error. */
#ifndef CW_CLI_H
#define CW_CLI_H

int cw_cmd_synth(int argc, char **argv);
int cw_cmd_registry(int argc, char **argv);
/* `registry audit`: argv[0] is "audit". */
int cw_cmd_registry_audit(int argc, char **argv);
int cw_cmd_decode(int argc, char **argv);
int cw_cmd_analyze(int argc, char **argv);
int cw_cmd_rules(int argc, char **argv);
int cw_cmd_score(int argc, char **argv);

/* Print "cardwatch: " and the message to stderr. */
void cw_cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
