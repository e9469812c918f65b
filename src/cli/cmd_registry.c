/* cmd_registry.c - `cardwatch registry import|update|get|stat` (audit: cmd_audit.c). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/hex.h"
#include "cli/cli.h"
#include "cli/run_files.h"
#include "output/alerts.h"
#include "store/registry.h"
#include "util/error.h"
#include "util/json_out.h"

static const char usage[] =
    "usage: cardwatch registry import --db DIR (--key-file FILE | --demo) [options] CSV...\n"
    "       cardwatch registry update --db DIR (--key-file FILE | --demo) [options] DELTA.csv...\n"
    "       cardwatch registry get --db DIR MSISDN | IMSI | PSEUDONYM\n"
    "       cardwatch registry get --db DIR --id-number ID (--key-file FILE | --demo)\n"
    "       cardwatch registry stat --db DIR [--json]\n"
    "       cardwatch registry audit --db DIR [--json | --csv] [options]\n"
    "\n"
    "The carrier's real-name registry: an LMDB store in directory DIR (docs/registry.md).\n"
    "\n"
    "import   a full load. CSV files with a header line: a registry file (an 'msisdn' column;\n"
    "         also imsi, id_number, province, status, verified, outlet, registered_at), an\n"
    "         outlets file (outlet, province, kind, name), a ranges file (prefix, operator,\n"
    "         province) or a cells file (cell_prefix, province: where the carrier's cells\n"
    "         are, by prefix of the cell identity as alerts write it, e.g. 46000-21).\n"
    "         Each table a file is given for is replaced; the others are kept.\n"
    "         Rows are validated, sorted on disk in bounded memory and appended in one\n"
    "         transaction: when the import fails the registry is left as it was.\n"
    "update   a delta (e.g. daily): registry rows with an optional 'op' column (upsert, the\n"
    "         default, or delete: then only msisdn is needed) and outlets rows, applied in\n"
    "         file order in one transaction. A running 'analyze' sees them without restart.\n"
    "get      one card and all cards of its holder, as JSON: by MSISDN (+8613800000000,\n"
    "         8613800000000 or 13800000000), by IMSI (15 digits), by ID pseudonym (64 hex\n"
    "         digits, as alerts show it) or by ID number (--id-number, needs the key)\n"
    "stat     record counts, map and file size, the key id, and the latest imports\n"
    "audit    the regulator's figures: 'cardwatch registry audit --help'\n"
    "\n"
    "ID numbers are validated (GB 11643 check character, birth date, region; 15-digit numbers\n"
    "are converted) and stored only as a keyed pseudonym (HMAC-SHA256) and a masked form\n"
    "(region code and last 4 digits). Names are never stored. A card on an invalid ID number\n"
    "is kept and flagged: it counts as not verified.\n"
    "\n"
    "options:\n"
    "  -d, --db DIR          the registry directory (required; import creates it)\n"
    "  -k, --key-file FILE   the secret pseudonym key (16 to 256 bytes, e.g. made with\n"
    "                        'head -c 32 /dev/urandom > FILE'); update and --id-number need\n"
    "                        the key the registry was imported with\n"
    "      --demo            use the built-in demo key instead: synthetic data only\n"
    "  -e, --max-errors N    give up (and change nothing) after more than N bad rows\n"
    "                        (default 1000; -1 never gives up)\n"
    "      --warnings N      show at most N warnings (default 100; -1 all); all are counted\n"
    "      --tmp-dir DIR     where the import's sort runs go (default: DIR of --db)\n"
    "      --sort-mem MIB    the import's sort memory in MiB (default 256)\n"
    "      --map-max MIB     never grow the LMDB map beyond MIB MiB (default: no limit)\n"
    "      --id-number ID    get: the cards of this ID number (18 or 15 characters)\n"
    "      --json            stat: as JSON\n"
    "  -q, --quiet           no progress and no summary on standard error\n"
    "  -h, --help            this text\n"
    "\n"
    "Bad rows are reported on standard error as FILE:LINE: reason; rows kept with a warning\n"
    "as FILE:LINE: warning: reason.\n"
    "\n"
    "exit status: 0 success; 1 failure (bad input, store error, card not found); 2 usage.\n";

struct reg_args {
    const char *db, *key_file, *tmp_dir, *id_number;
    int demo, json, quiet;
    long max_errors, warnings;
    uint64_t sort_mib, map_mib;
};

struct progress_state {
    double t0, last;
};

static void show_progress(void *user, const char *phase, uint64_t done, uint64_t total)
{
    struct progress_state *p = user;
    double now = cw_now_seconds();
    if (now - p->last < 0.5 && strcmp(phase, "commit"))
        return;
    p->last = now;
    if (total)
        fprintf(stderr, "\r\033[Kcardwatch: %s %" PRIu64 " of %" PRIu64 " (%.0f%%), %.0f s", phase,
                done, total, 100.0 * (double)done / (double)total, now - p->t0);
    else if (done)
        fprintf(stderr, "\r\033[Kcardwatch: %s %" PRIu64 " rows, %.0f s", phase, done, now - p->t0);
    else
        fprintf(stderr, "\r\033[Kcardwatch: %s, %.0f s", phase, now - p->t0);
}

static int do_write(const struct reg_args *a, char **files, int nfiles, int updating)
{
    const char *what = updating ? "update" : "import";
    char err[1024];
    struct cw_registry *reg;
    if (!a->key_file && !a->demo) {
        cw_cli_err("registry %s: a pseudonym key is required: --key-file FILE (a secret of 16 "
                   "to 256 bytes, e.g. 'head -c 32 /dev/urandom > FILE'), or --demo for "
                   "synthetic data",
                   what);
        return 2;
    }
    if (cw_registry_open(a->db, updating ? 0 : CW_REG_CREATE, &reg, err, sizeof err) != 0) {
        cw_cli_err("registry %s: %s", what, err);
        return 1;
    }
    struct progress_state ps = {cw_now_seconds(), 0};
    int tty = !a->quiet && isatty(STDERR_FILENO);
    struct cw_import_opts o = {
        .key_file = a->key_file,
        .demo = a->demo,
        .max_errors = a->max_errors,
        .cc = "86",
        .tmp_dir = a->tmp_dir,
        .sort_mem = (size_t)(a->sort_mib << 20),
        .map_max = a->map_mib << 20,
        .warn_limit = a->warnings,
        .progress = tty ? show_progress : NULL,
        .progress_user = &ps,
    };
    struct cw_import_stats st;
    int rc =
        updating
            ? cw_registry_update(reg, (const char *const *)files, nfiles, &o, &st, err, sizeof err)
            : cw_registry_import(reg, (const char *const *)files, nfiles, &o, &st, err, sizeof err);
    cw_registry_free(reg);
    if (tty)
        fputs("\r\033[K", stderr);
    if (rc != 0) {
        cw_cli_err("registry %s: %s", what, err);
        return 1;
    }
    double el = cw_now_seconds() - ps.t0;
    if (!a->quiet) {
        fprintf(stderr,
                "cardwatch: registry %s into %s: %" PRIu64 " rows in %.2f s (%.0f rows/s)\n", what,
                a->db, st.rows, el, el > 0 ? (double)st.rows / el : 0.0);
        fprintf(stderr,
                "  cards %s %" PRIu64 ", deleted %" PRIu64 ", outlets %" PRIu64 ", ranges %" PRIu64
                ", cells %" PRIu64 "\n"
                "  bad rows skipped %" PRIu64 ", warnings %" PRIu64 " (invalid ID numbers kept "
                "and flagged %" PRIu64 "), 15-digit IDs converted %" PRIu64 "\n"
                "  sort runs on disk %" PRIu64 ", map %" PRIu64 " MiB\n",
                updating ? "upserted" : "written", st.cards, st.deleted, st.outlets, st.ranges,
                st.cells, st.bad_rows, st.warnings, st.ids_invalid, st.ids_converted, st.sort_runs,
                st.map_size >> 20);
    }
    return 0;
}

static int is_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int from_hex(const char *s, uint8_t out[CW_PSEUDO_LEN])
{
    if (strlen(s) != 2 * CW_PSEUDO_LEN)
        return -1;
    for (int i = 0; i < CW_PSEUDO_LEN; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
            !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static void card_fields(struct cw_json *j, const struct cw_card *c)
{
    cw_card_json_fields(j, c);
    if (c->province[0])
        cw_json_str(j, "province", c->province);
    if (c->range_province[0])
        cw_json_str(j, "range_province", c->range_province);
    if (c->outlet[0])
        cw_json_str(j, "outlet", c->outlet);
    if (c->registered_at) {
        char ts[32];
        cw_ts_format((uint64_t)c->registered_at * 1000000u, ts);
        cw_json_str(j, "registered_at", ts);
    }
}

/* The holder of @p pseudo with all their cards. */
static int person_json(struct cw_json *j, struct cw_reg_reader *rd, const uint8_t *pseudo,
                       const struct cw_card *known)
{
    size_t n = 0, cap = 64;
    struct cw_card *cards = malloc(cap * sizeof *cards);
    if (!cards)
        return CW_ENOMEM;
    int rc = cw_reg_person(rd, pseudo, cards, cap, &n);
    if (rc == 0 && n > cap) {
        struct cw_card *more = realloc(cards, n * sizeof *more);
        if (!more) {
            free(cards);
            return CW_ENOMEM;
        }
        cards = more;
        cap = n;
        rc = cw_reg_person(rd, pseudo, cards, cap, &n);
    }
    if (rc == 0 && n) {
        const struct cw_card *c = known && known->has_id ? known : &cards[0];
        char h[2 * CW_PSEUDO_LEN + 1];
        cw_hex_lower(pseudo, CW_PSEUDO_LEN, h);
        cw_json_obj_begin(j, "person");
        cw_json_str(j, "pseudonym", h);
        cw_json_str(j, "id_masked", c->id_masked);
        if (c->id_province[0])
            cw_json_str(j, "id_province", c->id_province);
        cw_json_bool(j, "id_valid", c->id_valid);
        if (c->id_converted)
            cw_json_bool(j, "id_converted", 1);
        if (known && known->has_id)
            cw_json_uint(j, "cards_in_province", known->person_cards_province);
        cw_json_uint(j, "cards_total", c->person_cards_total);
        cw_json_uint(j, "cards_listed", n);
        cw_json_arr_begin(j, "cards");
        for (size_t i = 0; i < n; i++) {
            cw_json_obj_begin(j, NULL);
            card_fields(j, &cards[i]);
            cw_json_uint(j, "cards_in_province", cards[i].person_cards_province);
            cw_json_obj_end(j);
        }
        cw_json_arr_end(j);
        cw_json_obj_end(j);
    }
    free(cards);
    return rc == 0 ? (int)(n > 0) : rc;
}

static int do_get(const struct reg_args *a, const char *what)
{
    char err[1024];
    uint8_t pseudo[CW_PSEUDO_LEN];
    int by_pseudo = 0;
    if (a->id_number) {
        if (what) {
            cw_cli_err("registry get: give either --id-number or a key, not both");
            return 2;
        }
        if (!a->key_file && !a->demo) {
            cw_cli_err("registry get: --id-number needs the registry's key: --key-file FILE "
                       "(or --demo for synthetic data)");
            return 2;
        }
        if (cw_registry_pseudonym(a->key_file, a->demo, a->id_number, pseudo, err, sizeof err) !=
            0) {
            cw_cli_err("registry get: %s", err);
            return 1;
        }
        by_pseudo = 1;
        what = "(ID number)";
    } else if (!what) {
        cw_cli_err("registry get: give an MSISDN, an IMSI, a pseudonym or --id-number ID");
        return 2;
    } else if (from_hex(what, pseudo) == 0) {
        by_pseudo = 1;
    } else if (!is_digits(what[0] == '+' ? what + 1 : what, 5, 15)) {
        cw_cli_err("registry get: '%s' is not an MSISDN, an IMSI (digits) or an ID pseudonym "
                   "(64 hex digits)",
                   what);
        return 2;
    }
    struct cw_registry *reg;
    struct cw_reg_reader *rd;
    if (cw_registry_open(a->db, CW_REG_RDONLY, &reg, err, sizeof err) != 0) {
        cw_cli_err("registry get: %s", err);
        return 1;
    }
    if (a->id_number && cw_registry_check_key(reg, a->key_file, a->demo, err, sizeof err)) {
        cw_cli_err("registry get: %s", err);
        cw_registry_free(reg);
        return 1;
    }
    if (cw_reg_reader_new(reg, &rd) != 0) {
        cw_cli_err("registry get: %s: cannot read the registry", a->db);
        cw_registry_free(reg);
        return 1;
    }
    struct cw_json j;
    memset(&j, 0, sizeof j);
    cw_json_obj_begin(&j, NULL);
    cw_json_str(&j, "query", what);
    int rc, found;
    struct cw_card c;
    if (by_pseudo) {
        rc = person_json(&j, rd, pseudo, NULL);
        found = rc == 1;
    } else {
        /* 15 digits with a mobile country code (2xx-7xx, not 86...): an IMSI. */
        int is_imsi =
            strlen(what) == 15 && what[0] >= '2' && what[0] <= '7' && strncmp(what, "86", 2) != 0;
        rc = is_imsi ? cw_reg_lookup(rd, NULL, what, &c) : cw_reg_lookup(rd, what, NULL, &c);
        found = rc == 1;
        if (rc >= 0) {
            cw_json_obj_begin(&j, "card");
            card_fields(&j, &c);
            cw_json_obj_end(&j);
            if (c.has_id && (rc = person_json(&j, rd, c.id_pseudo, &c)) > 0)
                rc = 1;
        }
    }
    cw_json_bool(&j, "found", found);
    cw_json_obj_end(&j);
    int status = 0;
    if (rc < 0) {
        cw_cli_err("registry get: %s: lookup failed: %s", a->db, cw_strerror(rc));
        status = 1;
    } else {
        cw_json_write_line(&j, stdout);
        if (!found) {
            if (by_pseudo)
                fprintf(stderr, "cardwatch: registry get: no card is registered to this ID\n");
            else
                fprintf(stderr, "cardwatch: registry get: no registration record for %s%s\n", what,
                        c.home ? " (a home number: a black card if it is in use)" : "");
            status = 1;
        }
    }
    cw_json_release(&j);
    cw_reg_reader_free(rd);
    cw_registry_free(reg);
    return status;
}

static int do_stat(const struct reg_args *a)
{
    char err[1024];
    struct cw_registry *reg;
    if (cw_registry_open(a->db, CW_REG_RDONLY, &reg, err, sizeof err) != 0) {
        cw_cli_err("registry stat: %s", err);
        return 1;
    }
    struct cw_registry_info in;
    int rc = cw_registry_info(reg, &in);
    cw_registry_free(reg);
    if (rc) {
        cw_cli_err("registry stat: %s: cannot read the registry", a->db);
        return 1;
    }
    if (a->json) {
        struct cw_json j;
        memset(&j, 0, sizeof j);
        cw_json_obj_begin(&j, NULL);
        cw_json_str(&j, "registry", a->db);
        cw_json_str(&j, "schema", in.schema);
        cw_json_uint(&j, "cards", in.cards);
        cw_json_uint(&j, "imsis", in.imsis);
        cw_json_uint(&j, "persons", in.persons);
        cw_json_uint(&j, "outlets", in.outlets);
        cw_json_uint(&j, "ranges", in.ranges);
        cw_json_uint(&j, "cells", in.cells);
        cw_json_str(&j, "key_id", in.key_id);
        cw_json_str(&j, "country_code", in.cc);
        cw_json_uint(&j, "map_size", in.map_size);
        cw_json_uint(&j, "map_used", in.map_used);
        cw_json_uint(&j, "file_size", in.file_size);
        cw_json_arr_begin(&j, "history");
        for (unsigned i = 0; i < in.nhistory; i++)
            cw_json_str(&j, NULL, in.history[i]);
        cw_json_arr_end(&j);
        cw_json_obj_end(&j);
        cw_json_write_line(&j, stdout);
        cw_json_release(&j);
        return 0;
    }
    printf("registry     %s\nschema       %s\ncards        %" PRIu64 "\nimsis        %" PRIu64
           "\npersons      %" PRIu64 " (ID numbers holding cards)\noutlets      %" PRIu64
           "\nranges       %" PRIu64 "\ncells        %" PRIu64
           " (cell prefixes with their province)\nkey id       %s\ncountry code %s\n"
           "map          %" PRIu64 " MiB used of %" PRIu64 " MiB; file %" PRIu64 " MiB\n",
           a->db, in.schema, in.cards, in.imsis, in.persons, in.outlets, in.ranges, in.cells,
           in.key_id[0] ? in.key_id : "(none)", in.cc, in.map_used >> 20, in.map_size >> 20,
           in.file_size >> 20);
    printf("history      (latest %u, oldest first)\n", in.nhistory);
    for (unsigned i = 0; i < in.nhistory; i++)
        printf("  %s\n", in.history[i]);
    return 0;
}

static int parse_num(const char *opt, const char *s, long min, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min) {
        cw_cli_err("registry: %s wants a whole number >= %ld, got '%s'", opt, min, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cw_cmd_registry(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "audit"))
        return cw_cmd_registry_audit(argc - 1, argv + 1);
    enum { O_DEMO = 256, O_WARN, O_TMP, O_SORT, O_MAP, O_ID, O_JSON };
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"key-file", required_argument, 0, 'k'},
                                         {"demo", no_argument, 0, O_DEMO},
                                         {"max-errors", required_argument, 0, 'e'},
                                         {"warnings", required_argument, 0, O_WARN},
                                         {"tmp-dir", required_argument, 0, O_TMP},
                                         {"sort-mem", required_argument, 0, O_SORT},
                                         {"map-max", required_argument, 0, O_MAP},
                                         {"id-number", required_argument, 0, O_ID},
                                         {"json", no_argument, 0, O_JSON},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    struct reg_args a = {.max_errors = 1000, .warnings = 100, .sort_mib = 256};
    int ch;
    long v;
    optind = 1;
    while ((ch = getopt_long(argc - 1, argv + 1, "d:k:e:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': a.db = optarg; break;
        case 'k': a.key_file = optarg; break;
        case O_DEMO: a.demo = 1; break;
        case 'e':
            if (parse_num("--max-errors", optarg, -1, &a.max_errors))
                return 2;
            break;
        case O_WARN:
            if (parse_num("--warnings", optarg, -1, &a.warnings))
                return 2;
            break;
        case O_TMP: a.tmp_dir = optarg; break;
        case O_SORT:
            if (parse_num("--sort-mem", optarg, 1, &v))
                return 2;
            a.sort_mib = (uint64_t)v;
            break;
        case O_MAP:
            if (parse_num("--map-max", optarg, 1, &v))
                return 2;
            a.map_mib = (uint64_t)v;
            break;
        case O_ID: a.id_number = optarg; break;
        case O_JSON: a.json = 1; break;
        case 'q': a.quiet = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (a.warnings == 0)
        a.warnings = -2; /* none shown: cw_import_opts reads 0 as the default */
    char **rest = argv + 1 + optind;
    int nrest = argc - 1 - optind;
    if (!a.db) {
        cw_cli_err("registry %s: --db DIR is required", sub);
        return 2;
    }
    if (a.key_file && a.demo) {
        cw_cli_err("registry %s: --key-file and --demo exclude each other", sub);
        return 2;
    }
    if (!strcmp(sub, "import") || !strcmp(sub, "update")) {
        if (nrest < 1) {
            cw_cli_err("registry %s: give at least one CSV file", sub);
            return 2;
        }
        return do_write(&a, rest, nrest, sub[0] == 'u');
    }
    if (!strcmp(sub, "get")) {
        if (nrest > 1) {
            cw_cli_err("registry get: give one MSISDN, IMSI or pseudonym");
            return 2;
        }
        return do_get(&a, nrest ? rest[0] : NULL);
    }
    if (!strcmp(sub, "stat")) {
        if (nrest) {
            cw_cli_err("registry stat: unexpected argument '%s'", rest[0]);
            return 2;
        }
        return do_stat(&a);
    }
    cw_cli_err("registry: unknown subcommand '%s' (import, update, get, stat, audit)", sub);
    return 2;
}
