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
    "                       [--over-quota-rate F] [--national-rate F] [--spam-rate F]\n"
    "                       [--fraud-content-rate F] [--simbox-rate F] [--imei-hopping-rate F]\n"
    "                       [--agent-batch-rate F] [--wangiri-rate F] [--newyear-rate F]\n"
    "                       [--family-device-rate F] [--phone-change-rate F] [--caller-rate F]\n"
    "                       [--agent-far-rate F] [--traveller-rate F] [--new-traveller-rate F]\n"
    "                       [--protocols LIST] [--plain]\n"
    "\n"
    "Generate a synthetic, deterministic data set: a subscriber population with its real-name\n"
    "registry and outlets, the carrier's home number ranges, a capture of the signalling a\n"
    "carrier's tap sees (SIP, SMPP, SS7 MAP over SIGTRAN, Diameter, GTP-C, RADIUS), and the\n"
    "ground truth of the planted fraud: black cards, IDs holding more cards than the rules\n"
    "allow, bad agent outlets. The same options give byte-identical files on every run and\n"
    "every machine. Memory use does not grow with the size: from a few hundred packets for\n"
    "unit tests to tens of millions for benchmarks. Every number, ID number, name and message\n"
    "is made up; no real personal data is used.\n"
    "\n"
    "options:\n"
    "  --seed N          seed of the generator (0..18446744073709551615); required\n"
    "  --cards N         cards in the population (1..1000000000); required\n"
    "  --packets N       exact number of packets in traffic.pcap (0..10000000000); required\n"
    "  --out DIR         output directory, created (with its parents) when missing; files\n"
    "                    of the same names in it are replaced; required\n"
    "  --black-rate F    fraction of the cards that are black cards, 0..1 (default 0.02). The\n"
    "                    number is capped to packets/10 so that every black card is seen\n"
    "                    sending at least once (none are planted when LIST has no protocol\n"
    "                    that carries SMS or calls); the summary says when the cap applied\n"
    "  --over-quota-rate F  fraction of the cards held by over-quota IDs, 0..1 (default\n"
    "                    0.01): IDs with 6 to 10 cards in their own province (the limit is 5),\n"
    "                    registered mostly at one bad outlet within 1 to 48 hours. Each of\n"
    "                    these cards sends; with the black cards they are capped to packets/10\n"
    "  --national-rate F fraction of the cards held by nationwide over-limit IDs, 0..1\n"
    "                    (default 0.004): IDs with 6 to 8 cards over 2 or 3 provinces, at most\n"
    "                    4 in any one (the nationwide limit is 5)\n"
    "  scripted actors of the traffic, each a fraction of the cards, 0..1 (0: none); their\n"
    "  packets are kept to a quarter of the capture (all counts scaled down alike); SIP is\n"
    "  needed. Fraud (truth scope traffic):\n"
    "  --spam-rate F     (0.001) 60-150 advertising SMS to distinct numbers in 5-10 minutes\n"
    "  --fraud-content-rate F  (0.001) 3-8 SMS with fraud texts (prizes, loans, brushing\n"
    "                    jobs, fake police or customs, code phishing, links)\n"
    "  --simbox-rate F   (0.002) SIM boxes of 8-16 cards on one IMEI (half of them a gateway\n"
    "                    TAC of rules/lists/simbox_tac.prefix) and one cell, 20-40 calls each\n"
    "  --imei-hopping-rate F  (0.001) a card on 5-10 IMEIs within 10-20 minutes\n"
    "  --agent-batch-rate F  (0.001) batches of 4-8 cards registered at one agent outlet\n"
    "                    within minutes 1-3 days before the capture, active together, each\n"
    "                    sending 3-6 SMS of the batch's text\n"
    "  --wangiri-rate F  (0.001) 30-60 calls to distinct numbers in 5-15 minutes, each\n"
    "                    cancelled 1-3 s later\n"
    "  --agent-far-rate F  (0.0005) truth category agent_batch: single cards registered at an\n"
    "                    agent outlet of one province 1-20 days before the capture, on an ID\n"
    "                    of another, used (4-8 SMS, calls, a data session) only in a third\n"
    "                    province\n"
    "  Normal people that look a little like them (truth scope normal):\n"
    "  --newyear-rate F  (0.003) greetings to 15-35 friends at human speed, many replies\n"
    "  --family-device-rate F  (0.002) families of 2-3 cards sharing one handset\n"
    "  --phone-change-rate F  (0.002) a card moving to a new handset\n"
    "  --caller-rate F   (0.002) 5-10 calls to 3-5 relatives (1-2 cancelled), called back\n"
    "  --traveller-rate F  (0.003) old cards used at home and 3-6 times in another province\n"
    "  --new-traveller-rate F  (0.0005) cards registered 1-7 days before the capture in\n"
    "                    their ID's province, used there and partly in another province\n"
    "  --protocols LIST  comma-separated protocols of the traffic: sip, smpp, map, diameter,\n"
    "                    gtp, radius (default: all, in a carrier tap's mix: about SIP 36%,\n"
    "                    MAP 24%, Diameter 14%, SMPP 10%, GTP-C 10%, RADIUS 6% of the\n"
    "                    exchanges)\n"
    "  --plain           none of the awkward cases: one message per packet, no TCP\n"
    "                    segmentation, no IP fragments, no SCTP bundling or split messages,\n"
    "                    no VLAN tags, IPv4 only\n"
    "  -h, --help        show this help\n"
    "\n"
    "files written in DIR:\n"
    "  registry.csv   the real-name registry, one row per registered card; header:\n"
    "                 msisdn,imsi,id_number,province,status,verified,outlet,registered_at\n"
    "                 msisdn: 86 + an 11-digit China Mobile number (international digits);\n"
    "                 imsi: 46000 + 10 digits; id_number: a valid 18-character citizen ID\n"
    "                 number (GB 11643-1999; real region codes, birth 1950-2006; a person\n"
    "                 holds 1 to 3 cards; about 1% of those born before 1980 appear in the\n"
    "                 old 15-digit form); province: 2-digit code where the card was\n"
    "                 registered; status: active or suspended; verified: 1 or 0; outlet:\n"
    "                 OUT-<province>-<4 digits>; registered_at: ISO 8601 UTC\n"
    "  outlets.csv    every registering outlet of every province; header\n"
    "                 outlet,province,kind,name; kind: own or agent (every bad outlet is an\n"
    "                 agent); name: a made-up shop name\n"
    "  cells.csv      where the cells are; header cell_prefix,province; one row per province:\n"
    "                 46000-XX,PP (XX: the province code's number in 2 hex digits, the top 8\n"
    "                 bits of every cell's ECI there; the longest matching prefix wins)\n"
    "  ranges.csv     the home number ranges; header prefix,operator,province; one row per\n"
    "                 China Mobile segment (86134,CMCC, ...), empty province: national\n"
    "  truth.csv      the planted actors; header msisdn,imsi,category,scope,id_number,outlet;\n"
    "                 categories: black_card and over_quota (one row per card, scope\n"
    "                 traffic: the analyzer should alert them), over_national (one row per\n"
    "                 card) and agent_outlet (one row per bad outlet, no card), scope\n"
    "                 registry: found by auditing the registry; the scripted actors' categories\n"
    "                 (spam, fraud_content, simbox, imei_hopping, agent_batch, wangiri: scope\n"
    "                 traffic; newyear, family_device, phone_change, caller, traveller,\n"
    "                 new_traveller: scope normal,\n"
    "                 an alert on them is a false positive). id_number is the 18-character\n"
    "                 form. Cards not listed are normal\n"
    "  traffic.pcap   classic pcap, Ethernet (link type 1; some links 802.1Q-tagged, one\n"
    "                 QinQ), IPv4 and IPv6; packet times from 2026-03-01T00:00:00Z, a few ms\n"
    "                 apart:\n"
    "                   SIP over UDP and TCP 5060: MESSAGE (UTF-8 text, or 3GPP SMS RP-DATA),\n"
    "                   INVITE (SDP), 200 OK\n"
    "                   SMPP 3.4 over TCP 2775: bind, submit_sm, deliver_sm, data_sm,\n"
    "                   enquire_link and responses; GSM 7-bit, Latin-1 and UCS-2 texts, long\n"
    "                   ones in parts (UDH or sar_* TLVs), some in message_payload\n"
    "                   MAP over M3UA/SCCP/TCAP over SCTP 2905: mo-/mt-forwardSM (GSM 7-bit\n"
    "                   and UCS-2 TPDUs), sendRoutingInfoForSM, updateLocation,\n"
    "                   sendAuthenticationInfo, checkIMEI, with their End\n"
    "                   Diameter over TCP and SCTP 3868: CER, S6a ULR/AIR, Gx CCR, SGd\n"
    "                   OFR/TFR and answers\n"
    "                   GTPv2-C / GTPv1-C over UDP 2123: Create Session, Modify Bearer,\n"
    "                   Create PDP Context and responses (some IP-fragmented)\n"
    "                   RADIUS accounting over UDP 1813 with 3GPP IMSI/IMEISV\n"
    "                 with messages split across TCP segments, several per segment, SCTP\n"
    "                 bundles and split messages. Senders: normal cards; black cards, each\n"
    "                 sending at least once and more than a normal card; over-quota cards,\n"
    "                 each sending at least once (ordinary texts); other operators'\n"
    "                 and foreign numbers and business names, which are not home numbers\n"
    "                 and must never be alerted\n"
    "\n"
    "black cards are home-range cards without a valid real-name registration: a third of\n"
    "them have no row in registry.csv, a third a row with verified 0, a third a row with\n"
    "verified 1 but an ID number with a wrong check character. Every other card has a row with\n"
    "verified 1. Each province has outlets.csv's bad outlets (1 in 16, at least 1); they\n"
    "register most registered black cards and over-quota cards, and ordinary ones too.\n"
    "\n"
    "A one-line summary goes to stderr: the population (black cards by kind, over-quota and\n"
    "nationwide over-limit cards and IDs, outlets, bad outlets, 15-digit IDs), packets and\n"
    "messages per protocol, and how often each awkward case occurred. When stderr is a\n"
    "terminal and there are more than 1000000 packets or cards, a progress line is updated\n"
    "there about once a second.\n"
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

/* A fraction in [0, 1]. */
static int parse_rate(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < 0.0 || v > 1.0)
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
    fprintf(stderr, "\rcardwatch: synth: %s %" PRIu64 " / %" PRIu64 " (%.0f%%)\033[K", what, done,
            total, pct);
    fflush(stderr);
    pg->shown = 1;
}

int cw_cmd_synth(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, 's'},
        {"cards", required_argument, NULL, 'c'},
        {"packets", required_argument, NULL, 'p'},
        {"out", required_argument, NULL, 'o'},
        {"black-rate", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {"protocols", required_argument, NULL, 'P'},
        {"plain", no_argument, NULL, 'L'},
        {"over-quota-rate", required_argument, NULL, 'q'},
        {"national-rate", required_argument, NULL, 'n'},
        {"spam-rate", required_argument, NULL, 1000 + CW_SYNTH_A_SPAM},
        {"fraud-content-rate", required_argument, NULL, 1000 + CW_SYNTH_A_FRAUD_CONTENT},
        {"simbox-rate", required_argument, NULL, 1000 + CW_SYNTH_A_SIMBOX},
        {"imei-hopping-rate", required_argument, NULL, 1000 + CW_SYNTH_A_IMEI_HOPPING},
        {"agent-batch-rate", required_argument, NULL, 1000 + CW_SYNTH_A_AGENT_BATCH},
        {"wangiri-rate", required_argument, NULL, 1000 + CW_SYNTH_A_WANGIRI},
        {"newyear-rate", required_argument, NULL, 1000 + CW_SYNTH_A_NEWYEAR},
        {"family-device-rate", required_argument, NULL, 1000 + CW_SYNTH_A_FAMILY_DEVICE},
        {"phone-change-rate", required_argument, NULL, 1000 + CW_SYNTH_A_PHONE_CHANGE},
        {"caller-rate", required_argument, NULL, 1000 + CW_SYNTH_A_CALLER},
        {"agent-far-rate", required_argument, NULL, 1000 + CW_SYNTH_A_AGENT_FAR},
        {"traveller-rate", required_argument, NULL, 1000 + CW_SYNTH_A_TRAVELLER},
        {"new-traveller-rate", required_argument, NULL, 1000 + CW_SYNTH_A_NEW_TRAVELLER},
        {NULL, 0, NULL, 0},
    };
    struct cw_synth_opts o;
    memset(&o, 0, sizeof o);
    o.black_rate = CW_SYNTH_DEFAULT_BLACK_RATE;
    o.over_quota_rate = CW_SYNTH_DEFAULT_OVER_QUOTA_RATE;
    o.national_rate = CW_SYNTH_DEFAULT_NATIONAL_RATE;
    double *act_rate[CW_SYNTH_NACT] = {
        [CW_SYNTH_A_SPAM] = &o.spam_rate,
        [CW_SYNTH_A_FRAUD_CONTENT] = &o.fraud_content_rate,
        [CW_SYNTH_A_SIMBOX] = &o.simbox_rate,
        [CW_SYNTH_A_IMEI_HOPPING] = &o.imei_hopping_rate,
        [CW_SYNTH_A_AGENT_BATCH] = &o.agent_batch_rate,
        [CW_SYNTH_A_WANGIRI] = &o.wangiri_rate,
        [CW_SYNTH_A_AGENT_FAR] = &o.agent_far_rate,
        [CW_SYNTH_A_NEWYEAR] = &o.newyear_rate,
        [CW_SYNTH_A_FAMILY_DEVICE] = &o.family_device_rate,
        [CW_SYNTH_A_PHONE_CHANGE] = &o.phone_change_rate,
        [CW_SYNTH_A_CALLER] = &o.caller_rate,
        [CW_SYNTH_A_TRAVELLER] = &o.traveller_rate,
        [CW_SYNTH_A_NEW_TRAVELLER] = &o.new_traveller_rate,
    };
    static const double act_default[CW_SYNTH_NACT] = {
        [CW_SYNTH_A_SPAM] = CW_SYNTH_DEFAULT_SPAM_RATE,
        [CW_SYNTH_A_FRAUD_CONTENT] = CW_SYNTH_DEFAULT_FRAUD_CONTENT_RATE,
        [CW_SYNTH_A_SIMBOX] = CW_SYNTH_DEFAULT_SIMBOX_RATE,
        [CW_SYNTH_A_IMEI_HOPPING] = CW_SYNTH_DEFAULT_IMEI_HOPPING_RATE,
        [CW_SYNTH_A_AGENT_BATCH] = CW_SYNTH_DEFAULT_AGENT_BATCH_RATE,
        [CW_SYNTH_A_WANGIRI] = CW_SYNTH_DEFAULT_WANGIRI_RATE,
        [CW_SYNTH_A_AGENT_FAR] = CW_SYNTH_DEFAULT_AGENT_FAR_RATE,
        [CW_SYNTH_A_NEWYEAR] = CW_SYNTH_DEFAULT_NEWYEAR_RATE,
        [CW_SYNTH_A_FAMILY_DEVICE] = CW_SYNTH_DEFAULT_FAMILY_DEVICE_RATE,
        [CW_SYNTH_A_PHONE_CHANGE] = CW_SYNTH_DEFAULT_PHONE_CHANGE_RATE,
        [CW_SYNTH_A_CALLER] = CW_SYNTH_DEFAULT_CALLER_RATE,
        [CW_SYNTH_A_TRAVELLER] = CW_SYNTH_DEFAULT_TRAVELLER_RATE,
        [CW_SYNTH_A_NEW_TRAVELLER] = CW_SYNTH_DEFAULT_NEW_TRAVELLER_RATE,
    };
    for (unsigned k = 0; k < CW_SYNTH_NACT; k++)
        *act_rate[k] = act_default[k];
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
                cw_cli_err("synth: --cards '%s': expected a number of cards from 1 to %llu", optarg,
                           (unsigned long long)CW_SYNTH_MAX_CARDS);
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
        case 'b':
        case 'q':
        case 'n': {
            double v;
            if (parse_rate(optarg, &v)) {
                cw_cli_err("synth: %s '%s': expected a fraction from 0 to 1 (0.02 is 2%%)",
                           ch == 'b'   ? "--black-rate"
                           : ch == 'q' ? "--over-quota-rate"
                                       : "--national-rate",
                           optarg);
                return 2;
            }
            *(ch == 'b' ? &o.black_rate : ch == 'q' ? &o.over_quota_rate : &o.national_rate) = v;
            break;
        }
        case 1000 + CW_SYNTH_A_SPAM:
        case 1000 + CW_SYNTH_A_FRAUD_CONTENT:
        case 1000 + CW_SYNTH_A_SIMBOX:
        case 1000 + CW_SYNTH_A_IMEI_HOPPING:
        case 1000 + CW_SYNTH_A_AGENT_BATCH:
        case 1000 + CW_SYNTH_A_WANGIRI:
        case 1000 + CW_SYNTH_A_NEWYEAR:
        case 1000 + CW_SYNTH_A_FAMILY_DEVICE:
        case 1000 + CW_SYNTH_A_PHONE_CHANGE:
        case 1000 + CW_SYNTH_A_CALLER:
        case 1000 + CW_SYNTH_A_AGENT_FAR:
        case 1000 + CW_SYNTH_A_TRAVELLER:
        case 1000 + CW_SYNTH_A_NEW_TRAVELLER: {
            double v;
            if (parse_rate(optarg, &v)) {
                cw_cli_err("synth: %s '%s': expected a fraction from 0 to 1 (0.001 is 0.1%%)",
                           argv[optind - 1], optarg);
                return 2;
            }
            *act_rate[ch - 1000] = v;
            break;
        }
        case 'P': {
            char perr[160];
            if (cw_synth_protocols_parse(optarg, &o.protocols, perr, sizeof perr)) {
                cw_cli_err("synth: --protocols: %s", perr);
                return 2;
            }
            break;
        }
        case 'L': o.plain = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        case ':': cw_cli_err("synth: option '%s' needs a value", argv[optind - 1]); return 2;
        default:
            cw_cli_err("synth: unknown option '%s' (see cardwatch synth --help)", argv[optind - 1]);
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
                   "--packets N --out DIR [--black-rate F] [--over-quota-rate F]\n"
                   "       [--national-rate F] [--<actor>-rate F ...] [--protocols LIST] "
                   "[--plain]",
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
    uint64_t wanted_oq = (uint64_t)floor(o.over_quota_rate * (double)o.cards + 0.5);
    char oq_cap[96] = "";
    if (wanted_oq > o.packets / 10 - st.black_cards)
        snprintf(oq_cap, sizeof oq_cap, ", capped from %" PRIu64 " to packets/10", wanted_oq);
    char per[256] = "";
    size_t pl = 0;
    for (unsigned p = 0; p < CW_SYNTH_NPROTO; p++) {
        if (!st.proto_packets[p])
            continue;
        int k = snprintf(per + pl, sizeof per - pl, "%s%s %" PRIu64, pl ? ", " : "",
                         cw_synth_proto_name(p), st.proto_packets[p]);
        if (k > 0 && (size_t)k < sizeof per - pl)
            pl += (size_t)k;
    }
    char acts[512] = "";
    size_t al = 0;
    for (unsigned k = 0; k < CW_SYNTH_NACT; k++) {
        char grp[48] = "";
        if (st.act_groups[k])
            snprintf(grp, sizeof grp, " (%" PRIu64 " %s)", st.act_groups[k],
                     k == CW_SYNTH_A_SIMBOX        ? "boxes"
                     : k == CW_SYNTH_A_AGENT_BATCH ? "batches"
                                                   : "families");
        int n = snprintf(acts + al, sizeof acts - al, "%s%" PRIu64 " %s%s", k ? ", " : "",
                         st.act_cards[k], cw_synth_act_label(k), grp);
        if (n > 0 && (size_t)n < sizeof acts - al)
            al += (size_t)n;
    }
    fprintf(stderr,
            "cardwatch: synth: %" PRIu64 " cards (%" PRIu64 " black%s: %" PRIu64
            " unregistered, %" PRIu64 " unverified, %" PRIu64 " invalid ID; %" PRIu64
            " over-quota cards of %" PRIu64 " IDs%s; %" PRIu64
            " nationwide over-limit cards of %" PRIu64 " IDs; scripted: %s; %" PRIu64
            " business bursts, %" PRIu64 " roaming bursts), %" PRIu64 " outlets (%" PRIu64
            " bad), %" PRIu64 " 15-digit IDs, %" PRIu64 " registry rows, %" PRIu64
            " packets (%s%s%" PRIu64 " requests: %" PRIu64 " SMS, %" PRIu64 " calls, %" PRIu64
            " CANCELs, %" PRIu64 " scripted; %" PRIu64 " responses; awkward: %" PRIu64
            " TCP-split messages, %" PRIu64 " multi-message segments, %" PRIu64
            " IP-fragmented datagrams (%" PRIu64 " out of order), %" PRIu64
            " SCTP bundles, %" PRIu64 " SCTP split messages, %" PRIu64 " VLAN-tagged (%" PRIu64
            " QinQ), %" PRIu64 " IPv6; SMS texts: %" PRIu64 " UCS-2, %" PRIu64
            " GSM 7-bit extension, %" PRIu64 " concatenated parts, %" PRIu64
            " 3GPP over SIP), %u files written to %s (ranges.csv, outlets.csv, cells.csv, "
            "registry.csv, truth.csv, traffic.pcap) in %.2f s\n",
            st.cards, st.black_cards, cap, st.black_unregistered, st.black_unverified,
            st.black_invalid_id, st.over_quota_cards, st.over_quota_ids, oq_cap, st.national_cards,
            st.national_ids, acts, st.business_bursts, st.roamer_bursts, st.outlets, st.bad_outlets,
            st.ids_15digit, st.registry_rows, st.packets, per, pl ? "; " : "", st.requests, st.sms,
            st.calls, st.call_cancels, st.scripted_requests, st.responses, st.tcp_split,
            st.tcp_multi, st.ip_fragmented, st.ip_frag_ooo, st.sctp_bundled, st.sctp_split,
            st.vlan_frames, st.qinq_frames, st.ipv6_frames, st.sms_ucs2, st.sms_gsm7_ext,
            st.sms_concat, st.sip_3gpp_sms, st.files, o.out_dir, now_seconds() - t0);
    return 0;
}
