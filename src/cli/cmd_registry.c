/* cmd_registry.c - `cardwatch registry import|get|stat`. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/run_files.h"
#include "store/registry.h"
#include "util/json_out.h"

static const char usage[] =
    "usage: cardwatch registry import --db DIR [--key-file FILE] [--max-errors "
    "N] CSV...\n"
    "       cardwatch registry get --db DIR MSISDN|IMSI\n"
    "       cardwatch registry stat --db DIR\n"
    "\n"
    "The real-name registry is an LMDB store in directory DIR "
    "(docs/registry.md).\n"
    "\n"
    "import   reads CSV files with a header line; a file whose header has an "
    "'msisdn' column\n"
    "         is a registry file (columns msisdn, imsi, id_number, province, "
    "status, verified,\n"
    "         outlet, registered_at), one with a 'prefix' column is a home "
    "number ranges file\n"
    "         (prefix, operator, province). All files go in one transaction: "
    "when the import\n"
    "         fails the registry is left as it was. Bad rows are reported as "
    "FILE:LINE: reason.\n"
    "         ID numbers are stored only as a keyed pseudonym (HMAC-SHA256) "
    "and a masked form\n"
    "         (region code and last 4 digits); names are never stored.\n"
    "  --key-file FILE   secret key for the ID pseudonyms (at least 16 bytes); "
    "without it a\n"
    "                    built-in demo key is used, fit for synthetic data "
    "only\n"
    "  --max-errors N    give up (and change nothing) after N bad rows "
    "(default 1000;\n"
    "                    -1 never gives up)\n"
    "get      prints what the registry holds for one card, as JSON, found by "
    "MSISDN (any of\n"
    "         +8613800000000, 8613800000000, 13800000000) or by IMSI (15 "
    "digits, 460...)\n"
    "stat     prints the record counts and the last import\n"
    "\n"
    "exit status: 0 success; 1 failure (bad input, store error, card not "
    "found); 2 usage.\n";

static int do_import(const char *db, const char *key_file, long max_errors, char **files,
                     int nfiles)
{
    char err[1024];
    struct cw_registry *reg;
    if (cw_registry_open(db, CW_REG_CREATE, &reg, err, sizeof err) != 0) {
        cw_cli_err("registry import: %s", err);
        return 1;
    }
    struct cw_import_opts o = {
        .key_file = key_file, .demo = !key_file, .max_errors = max_errors, .cc = "86"};
    struct cw_import_stats st;
    double t0 = cw_now_seconds();
    int rc = cw_registry_import(reg, (const char *const *)files, nfiles, &o, &st, err, sizeof err);
    cw_registry_free(reg);
    if (rc != 0) {
        cw_cli_err("registry import: %s", err);
        return 1;
    }
    double el = cw_now_seconds() - t0;
    fprintf(stderr,
            "cardwatch: registry import: %" PRIu64 " cards, %" PRIu64 " ranges, %" PRIu64
            " bad rows skipped, into %s in %.2f s\n",
            st.cards, st.ranges, st.bad_rows, db, el);
    return 0;
}

static int is_digits(const char *s)
{
    if (*s == '+')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int do_get(const char *db, const char *what)
{
    char err[1024];
    struct cw_registry *reg;
    struct cw_reg_reader *rd;
    if (!is_digits(what)) {
        cw_cli_err("registry get: '%s' is neither an MSISDN nor an IMSI (digits expected)", what);
        return 2;
    }
    if (cw_registry_open(db, CW_REG_RDONLY, &reg, err, sizeof err) != 0) {
        cw_cli_err("registry get: %s", err);
        return 1;
    }
    if (cw_reg_reader_new(reg, &rd) != 0) {
        cw_cli_err("registry get: %s: cannot read the registry", db);
        cw_registry_free(reg);
        return 1;
    }
    struct cw_card c;
    /* 15 digits starting with a mobile country code in the 2xx-7xx range: an
     * IMSI. */
    int is_imsi =
        strlen(what) == 15 && what[0] >= '2' && what[0] <= '7' && strncmp(what, "86", 2) != 0;
    int rc = is_imsi ? cw_reg_lookup(rd, NULL, what, &c) : cw_reg_lookup(rd, what, NULL, &c);
    int status = 0;
    if (rc < 0) {
        cw_cli_err("registry get: %s: lookup failed", db);
        status = 1;
    } else {
        struct cw_json j;
        memset(&j, 0, sizeof j);
        cw_json_obj_begin(&j, NULL);
        cw_json_str(&j, "query", what);
        cw_json_bool(&j, "found", rc == 1);
        if (c.msisdn[0])
            cw_json_str(&j, "msisdn", c.msisdn);
        if (c.imsi[0])
            cw_json_str(&j, "imsi", c.imsi);
        cw_json_bool(&j, "home", c.home);
        cw_json_bool(&j, "registered", c.registered);
        cw_json_bool(&j, "verified", c.verified);
        cw_json_str(&j, "status", cw_card_status_name(c.status));
        if (c.province[0])
            cw_json_str(&j, "province", c.province);
        if (c.range_province[0])
            cw_json_str(&j, "range_province", c.range_province);
        if (c.outlet[0])
            cw_json_str(&j, "outlet", c.outlet);
        if (c.id_masked[0])
            cw_json_str(&j, "id_masked", c.id_masked);
        if (c.registered) {
            char hex[65];
            for (int i = 0; i < 32; i++)
                snprintf(hex + 2 * i, 3, "%02x", c.id_pseudo[i]);
            cw_json_str(&j, "id_pseudonym", hex);
        }
        if (c.registered_at) {
            char ts[32];
            cw_ts_format((uint64_t)c.registered_at * 1000000u, ts);
            cw_json_str(&j, "registered_at", ts);
        }
        cw_json_obj_end(&j);
        cw_json_write_line(&j, stdout);
        cw_json_release(&j);
        if (rc == 0) {
            fprintf(stderr, "cardwatch: registry get: no registration record for %s%s\n", what,
                    c.home ? " (a home number: a black card if it is in use)" : "");
            status = 1;
        }
    }
    cw_reg_reader_free(rd);
    cw_registry_free(reg);
    return status;
}

static int do_stat(const char *db)
{
    char err[1024];
    struct cw_registry *reg;
    if (cw_registry_open(db, CW_REG_RDONLY, &reg, err, sizeof err) != 0) {
        cw_cli_err("registry stat: %s", err);
        return 1;
    }
    struct cw_registry_info in;
    int rc = cw_registry_info(reg, &in);
    cw_registry_free(reg);
    if (rc) {
        cw_cli_err("registry stat: %s: cannot read the registry", db);
        return 1;
    }
    printf("registry     %s\nschema       %s\ncards        %" PRIu64 "\nimsis        %" PRIu64
           "\nranges       %" PRIu64 "\n",
           db, in.schema, in.cards, in.imsis, in.ranges);
    return 0;
}

int cw_cmd_registry(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"key-file", required_argument, 0, 'k'},
                                         {"max-errors", required_argument, 0, 'e'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *key_file = NULL;
    long max_errors = 1000;
    int ch;
    char *end;
    optind = 1;
    while ((ch = getopt_long(argc - 1, argv + 1, "d:k:e:h", opts, NULL)) != -1) {
        switch (ch) {
            case 'd': db = optarg; break;
            case 'k': key_file = optarg; break;
            case 'e':
                max_errors = strtol(optarg, &end, 10);
                if (*end || max_errors < -1) {
                    cw_cli_err("registry: --max-errors wants a number >= -1, got '%s'", optarg);
                    return 2;
                }
                break;
            case 'h': fputs(usage, stdout); return 0;
            default: fputs(usage, stderr); return 2;
        }
    }
    char **rest = argv + 1 + optind;
    int nrest = argc - 1 - optind;
    if (!db) {
        cw_cli_err("registry %s: --db DIR is required", sub);
        return 2;
    }
    if (!strcmp(sub, "import")) {
        if (nrest < 1) {
            cw_cli_err("registry import: give at least one CSV file");
            return 2;
        }
        return do_import(db, key_file, max_errors, rest, nrest);
    }
    if (!strcmp(sub, "get")) {
        if (nrest != 1) {
            cw_cli_err("registry get: give exactly one MSISDN or IMSI");
            return 2;
        }
        return do_get(db, rest[0]);
    }
    if (!strcmp(sub, "stat")) {
        if (nrest) {
            cw_cli_err("registry stat: unexpected argument '%s'", rest[0]);
            return 2;
        }
        return do_stat(db);
    }
    cw_cli_err("registry: unknown subcommand '%s' (import, get, stat)", sub);
    return 2;
}
