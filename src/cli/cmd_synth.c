/* cmd_synth.c - `cardwatch synth`: generate a synthetic data set (docs/synth.md). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "synth/synth.h"
#include "util/error.h"

static const char usage[] =
    "usage: cardwatch synth --seed N --cards N --packets N --out DIR [--black-rate F]\n"
    "\n"
    "Generate a synthetic, deterministic data set: a subscriber population with its real-name\n"
    "registry, the carrier's home number ranges, a SIP traffic capture, and the ground truth of\n"
    "which cards are black. The same seed, cards, packets and black rate give byte-identical\n"
    "files on every run and every machine. Memory use does not grow with the size: from a few\n"
    "hundred packets for unit tests to tens of millions for benchmarks. Every number, ID\n"
    "number, name and message is made up; no real personal data is used.\n"
    "\n"
    "options:\n"
    "  --seed N          seed of the generator (0..18446744073709551615); required\n"
    "  --cards N         cards in the population (1..1000000000); required\n"
    "  --packets N       exact number of packets in traffic.pcap (0..10000000000); required\n"
    "  --out DIR         output directory, created (with its parents) when missing; files\n"
    "                    of the same names in it are replaced; required\n"
    "  --black-rate F    fraction of the cards that are black cards, 0..1 (default 0.02). The\n"
    "                    number is capped to packets/10 so that every black card is seen\n"
    "                    sending at least once; the summary says when the cap applied\n"
    "  -h, --help        show this help\n"
    "\n"
    "files written in DIR:\n"
    "  registry.csv   the real-name registry, one row per registered card; header:\n"
    "                 msisdn,imsi,id_number,province,status,verified,outlet,registered_at\n"
    "                 msisdn: 86 + an 11-digit China Mobile number (international digits);\n"
    "                 imsi: 46000 + 10 digits; id_number: a valid 18-character citizen ID\n"
    "                 number (GB 11643-1999; real region codes, birth 1950-2006; a person\n"
    "                 holds 1 to 3 cards); province: 2-digit code where the card was\n"
    "                 registered; status: active or suspended; verified: 1 or 0; outlet:\n"
    "                 OUT-<province>-<4 digits>; registered_at: ISO 8601 UTC\n"
    "  ranges.csv     the home number ranges; header prefix,operator,province; one row per\n"
    "                 China Mobile segment (86134,CMCC, ...), empty province: national\n"
    "  truth.csv      the planted actors; header msisdn,imsi,category; every black card,\n"
    "                 category black_card. Cards not listed are normal\n"
    "  traffic.pcap   classic pcap, Ethernet (link type 1), IPv4/UDP port 5060: SIP MESSAGE\n"
    "                 (text/plain UTF-8 texts, English and Chinese), INVITE (with SDP) and\n"
    "                 200 OK responses; packet times from 2026-03-01T00:00:00Z, a few ms\n"
    "                 apart. Senders: normal cards; black cards, each sending at least once\n"
    "                 and more than a normal card; other operators' and foreign numbers,\n"
    "                 which are not home numbers and must never be alerted\n"
    "\n"
    "black cards are home-range cards without a valid real-name registration: half of them\n"
    "have no row in registry.csv, the other half a row with verified 0. Every normal card has\n"
    "a row with verified 1.\n"
    "\n"
    "A one-line summary goes to stderr. When stderr is a terminal and there are more than\n"
    "1000000 packets or cards, a progress line is updated there about once a second.\n"
    "\n"
    "exit status: 0 success; 1 the data set could not be written; 2 usage error.\n"
    "See docs/synth.md.\n";

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Strict unsigned decimal in [0, max]. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

struct progress {
    double last;
    int shown;
};

static void on_progress(void *user, const char *what, uint64_t done, uint64_t total)
{
    struct progress *pg = user;
    double now = now_seconds();
    if (done >= total || now - pg->last < 1.0)
        return;
    pg->last = now;
    double pct = total ? 100.0 * (double)done / (double)total : 100.0;
    fprintf(stderr, "\rcardwatch: synth: %s %" PRIu64 " / %" PRIu64 " (%.0f%%)\033[K", what,
            done, total, pct);
    fflush(stderr);
    pg->shown = 1;
}

int cw_cmd_synth(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, 's'},    {"cards", required_argument, NULL, 'c'},
        {"packets", required_argument, NULL, 'p'}, {"out", required_argument, NULL, 'o'},
        {"black-rate", required_argument, NULL, 'b'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cw_synth_opts o;
    memset(&o, 0, sizeof o);
    o.black_rate = CW_SYNTH_DEFAULT_BLACK_RATE;
    int have_seed = 0, have_cards = 0, have_packets = 0;
    int ch;
    optind = 0; /* glibc: full re-initialisation (the command may run more than once) */
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (parse_u64(optarg, UINT64_MAX, &o.seed)) {
                cw_cli_err("synth: --seed '%s': expected an unsigned decimal number", optarg);
                return 2;
            }
            have_seed = 1;
            break;
        case 'c':
            if (parse_u64(optarg, CW_SYNTH_MAX_CARDS, &o.cards) || o.cards == 0) {
                cw_cli_err("synth: --cards '%s': expected a number of cards from 1 to %llu",
                           optarg, (unsigned long long)CW_SYNTH_MAX_CARDS);
                return 2;
            }
            have_cards = 1;
            break;
        case 'p':
            if (parse_u64(optarg, CW_SYNTH_MAX_PACKETS, &o.packets)) {
                cw_cli_err("synth: --packets '%s': expected a number of packets from 0 to %llu",
                           optarg, (unsigned long long)CW_SYNTH_MAX_PACKETS);
                return 2;
            }
            have_packets = 1;
            break;
        case 'o':
            if (!*optarg) {
                cw_cli_err("synth: --out: the directory name is empty");
                return 2;
            }
            o.out_dir = optarg;
            break;
        case 'b': {
            char *end;
            errno = 0;
            double v = strtod(optarg, &end);
            if (end == optarg || *end || errno || !isfinite(v) || v < 0.0 || v > 1.0) {
                cw_cli_err("synth: --black-rate '%s': expected a fraction from 0 to 1 "
                           "(0.02 is 2%%)", optarg);
                return 2;
            }
            o.black_rate = v;
            break;
        }
        case 'h': fputs(usage, stdout); return 0;
        case ':':
            cw_cli_err("synth: option '%s' needs a value", argv[optind - 1]);
            return 2;
        default:
            cw_cli_err("synth: unknown option '%s' (see cardwatch synth --help)",
                       argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        cw_cli_err("synth: unexpected argument '%s' (see cardwatch synth --help)", argv[optind]);
        return 2;
    }
    const char *missing = !have_seed      ? "--seed"
                          : !have_cards   ? "--cards"
                          : !have_packets ? "--packets"
                          : !o.out_dir    ? "--out"
                                          : NULL;
    if (missing) {
        cw_cli_err("synth: %s is required\nusage: cardwatch synth --seed N --cards N "
                   "--packets N --out DIR [--black-rate F]",
                   missing);
        return 2;
    }
    struct progress pg = {now_seconds(), 0};
    if ((o.packets > 1000000 || o.cards > 1000000) && isatty(STDERR_FILENO)) {
        o.progress = on_progress;
        o.progress_user = &pg;
    }
    struct cw_synth_stats st;
    char err[1024];
    double t0 = now_seconds();
    int rc = cw_synth_run(&o, &st, err, sizeof err);
    if (pg.shown)
        fputs("\r\033[K", stderr);
    if (rc != 0) {
        cw_cli_err("synth: %s", err[0] ? err : "failed");
        return rc == CW_EINVAL ? 2 : 1;
    }
    uint64_t wanted = (uint64_t)floor(o.black_rate * (double)o.cards + 0.5);
    char cap[96] = "";
    if (st.black_cards < wanted)
        snprintf(cap, sizeof cap, ", capped from %" PRIu64 " to packets/10", wanted);
    fprintf(stderr,
            "cardwatch: synth: %" PRIu64 " cards (%" PRIu64 " black%s: %" PRIu64
            " unregistered, %" PRIu64 " unverified), %" PRIu64 " registry rows, %" PRIu64
            " packets (%" PRIu64 " SMS, %" PRIu64 " calls, %" PRIu64
            " responses), %u files written to %s in %.2f s\n",
            st.cards, st.black_cards, cap, st.black_unregistered, st.black_unverified,
            st.registry_rows, st.packets, st.sms, st.calls, st.responses, st.files, o.out_dir,
            now_seconds() - t0);
    return 0;
}
