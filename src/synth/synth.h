/* synth.h - the deterministic synthetic data generator behind `cardwatch synth`.
 *
 * Writes into a directory (created when missing):
 *   registry.csv  the carrier's real-name registry (one row per registered card)
 *   ranges.csv    the carrier's home number ranges
 *   outlets.csv   the registering outlets of every province (own shops and agents)
 *   cells.csv     which province each cell is in (cell prefixes: the ECI's top 8 bits)
 *   truth.csv     the planted actors with their category: black cards, over-quota IDs'
 *                 cards, nationwide over-limit IDs' cards, bad (agent) outlets
 *   traffic.pcap  a carrier tap's signalling: SIP, SMPP, MAP over SIGTRAN, Diameter, GTP-C and
 *                 RADIUS over Ethernet (some VLAN-tagged), IPv4 and IPv6, UDP, TCP and SCTP,
 *                 with the awkward cases (TCP segmentation, several messages per segment, IP
 *                 fragments, SCTP bundling and fragmentation)
 * Formats and the planted categories: docs/synth.md.
 *
 * The output is a pure function of the options: byte-identical files
 * on every run and every machine. Memory does not grow with the population or the traffic:
 * every card's attributes are computed from (seed, card index) through keyed bijections, so
 * nothing is kept but a few buffers.
 */
#ifndef CW_SYNTH_H
#define CW_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "synth/rng.h"

#define CW_SYNTH_DEFAULT_BLACK_RATE 0.02
#define CW_SYNTH_DEFAULT_OVER_QUOTA_RATE 0.01
#define CW_SYNTH_DEFAULT_NATIONAL_RATE 0.004
/* The scripted actors of the traffic (docs/synth.md), per card of the population. */
#define CW_SYNTH_DEFAULT_SPAM_RATE 0.001
#define CW_SYNTH_DEFAULT_FRAUD_CONTENT_RATE 0.001
#define CW_SYNTH_DEFAULT_SIMBOX_RATE 0.002
#define CW_SYNTH_DEFAULT_IMEI_HOPPING_RATE 0.001
#define CW_SYNTH_DEFAULT_AGENT_BATCH_RATE 0.001
#define CW_SYNTH_DEFAULT_WANGIRI_RATE 0.001
#define CW_SYNTH_DEFAULT_NEWYEAR_RATE 0.003
#define CW_SYNTH_DEFAULT_FAMILY_DEVICE_RATE 0.002
#define CW_SYNTH_DEFAULT_PHONE_CHANGE_RATE 0.002
#define CW_SYNTH_DEFAULT_CALLER_RATE 0.002
#define CW_SYNTH_DEFAULT_AGENT_FAR_RATE 0.0005
#define CW_SYNTH_DEFAULT_TRAVELLER_RATE 0.003
#define CW_SYNTH_DEFAULT_NEW_TRAVELLER_RATE 0.0005
#define CW_SYNTH_MAX_CARDS 1000000000ull /* the number plan holds 1.9e9 home numbers */
#define CW_SYNTH_MAX_PACKETS 10000000000ull

/* The protocols of the traffic (bit 1 << CW_SYNTH_<P> of cw_synth_opts.protocols). */
enum cw_synth_proto {
    CW_SYNTH_SIP,
    CW_SYNTH_SMPP,
    CW_SYNTH_MAP,
    CW_SYNTH_DIAMETER,
    CW_SYNTH_GTP,
    CW_SYNTH_RADIUS,
    CW_SYNTH_NPROTO
};
#define CW_SYNTH_ALL ((1u << CW_SYNTH_NPROTO) - 1)
/* The protocols that carry SMS or calls: with none of them no black card can be seen sending,
 * so none is planted. */
#define CW_SYNTH_SENDING                                                                           \
    ((1u << CW_SYNTH_SIP) | (1u << CW_SYNTH_SMPP) | (1u << CW_SYNTH_MAP) |                         \
     (1u << CW_SYNTH_DIAMETER))

/* Where the capture's clock starts: 2026-03-01T00:00:00Z, in seconds since the epoch. */
#define CW_SYNTH_T0 1772323200ull

struct cw_synth_opts {
    uint64_t seed;
    uint64_t cards;      /* population size, 1..CW_SYNTH_MAX_CARDS */
    uint64_t packets;    /* exact number of packets in traffic.pcap, 0..CW_SYNTH_MAX_PACKETS */
    const char *out_dir; /* created (with parents) when missing */
    double black_rate;   /* fraction of cards that are black, 0..1; capped to packets / 10 */
    /* Optional: called every 65536 cards (what = "cards") while the registry is written and
     * every 65536 packets (what = "packets") while the capture is, then once with
     * done == total for each. */
    void (*progress)(void *user, const char *what, uint64_t done, uint64_t total);
    void *progress_user;
    unsigned protocols; /* bit set of 1 << CW_SYNTH_<P>; 0: all of them */
    int plain;          /* 1: none of the awkward cases (one message per packet, no TCP
                         * segmentation, no IP fragments, no SCTP bundling or fragmentation,
                         * no VLAN tags, IPv4 only) */
    /* Fraction of the cards held by over-quota IDs (6-10 cards each, all in the ID's own
     * province, most at one bad outlet, in a burst), 0..1; 0: none. Every such card sends, so
     * black and over-quota cards together are capped to packets / 10 (black cards first). */
    double over_quota_rate;
    /* Fraction of the cards held by nationwide over-limit IDs (6-8 cards each over 2-3
     * provinces, at most 4 in any one), 0..1; 0: none. */
    double national_rate;
    /* Fractions of the cards planted as scripted actors of the traffic, 0..1 each; 0: none
     * (docs/synth.md says what each does). The first six are fraud (truth scope traffic), the
     * last four normal people whose behaviour looks a little like it (scope normal). All of
     * them need SIP; together their packets are capped to a quarter of the capture (every
     * count scaled down alike). */
    double spam_rate;          /* spam: 60-150 ads to distinct numbers in 5-10 minutes */
    double fraud_content_rate; /* fraud_content: 3-8 fraud texts to distinct numbers */
    double simbox_rate;        /* simbox: boxes of 8-16 cards on one IMEI and one cell */
    double imei_hopping_rate;  /* imei_hopping: 5-10 IMEIs within 10-20 minutes */
    double agent_batch_rate;   /* agent_batch: batches of 4-8 cards of one agent outlet */
    double wangiri_rate;       /* wangiri: 30-60 calls cancelled after 1-3 s */
    double newyear_rate;       /* newyear: 15-35 greetings at human speed, many replies */
    double family_device_rate; /* family_device: 2-3 cards sharing one handset */
    double phone_change_rate;  /* phone_change: a card on two handsets */
    double caller_rate;        /* caller: 5-10 calls to 3-5 relatives, some cancelled */
    /* Added later (0 in a zeroed struct: none). Fraud, truth category agent_batch: single
     * cards registered 1-20 days before at an agent outlet of one province on an ID of
     * another, used only in a third province. */
    double agent_far_rate;
    /* Normal: old cards used at home and 3-6 times in another province (traveller); cards
     * registered 1-7 days before, used partly in another province (new_traveller). */
    double traveller_rate;
    double new_traveller_rate;
};

/* The scripted actors: the fraud ones first, then the normal ones. */
enum cw_synth_act {
    CW_SYNTH_A_SPAM,
    CW_SYNTH_A_FRAUD_CONTENT,
    CW_SYNTH_A_SIMBOX,
    CW_SYNTH_A_IMEI_HOPPING,
    CW_SYNTH_A_AGENT_BATCH,
    CW_SYNTH_A_WANGIRI,
    CW_SYNTH_A_AGENT_FAR, /* truth category agent_batch: a single card used far away */
    CW_SYNTH_A_NEWYEAR,   /* the first normal one */
    CW_SYNTH_A_FAMILY_DEVICE,
    CW_SYNTH_A_PHONE_CHANGE,
    CW_SYNTH_A_CALLER,
    CW_SYNTH_A_TRAVELLER,
    CW_SYNTH_A_NEW_TRAVELLER,
    CW_SYNTH_NACT
};
#define CW_SYNTH_A_FIRST_NORMAL CW_SYNTH_A_NEWYEAR

struct cw_synth_stats {
    uint64_t cards;              /* population */
    uint64_t black_cards;        /* planted black cards (all listed in truth.csv) */
    uint64_t black_unregistered; /* ... with no registry row */
    uint64_t black_unverified;   /* ... with a row, verified 0 */
    uint64_t black_invalid_id;   /* ... with a row, verified 1, an ID number with a wrong check
                                  * character */
    uint64_t over_quota_ids;     /* planted IDs holding 6-10 cards in one province */
    uint64_t over_quota_cards;   /* ... their cards */
    uint64_t national_ids;       /* planted IDs holding 6-8 cards over 2-3 provinces */
    uint64_t national_cards;     /* ... their cards */
    uint64_t outlets;            /* rows of outlets.csv (all provinces) */
    uint64_t bad_outlets;        /* ... of them planted bad outlets (truth: agent_outlet) */
    uint64_t ids_15digit;        /* ID numbers written in the old 15-digit form in registry.csv */
    uint64_t suspended;          /* normal cards with status suspended */
    uint64_t registry_rows;
    uint64_t packets;          /* frames in traffic.pcap */
    uint64_t sms;              /* SMS messages (each part of a long one), any protocol, MO and MT */
    uint64_t calls;            /* SIP INVITE requests */
    uint64_t requests;         /* requests of every protocol (including SMS and calls) */
    uint64_t responses;        /* responses and answers of every protocol */
    uint64_t black_requests;   /* SMS and calls sent by black cards */
    uint64_t offnet_requests;  /* SMS and calls sent by other operators' numbers */
    uint64_t foreign_requests; /* SMS and calls sent by foreign (roaming) numbers */
    uint64_t proto_packets[CW_SYNTH_NPROTO];  /* frames per protocol */
    uint64_t proto_messages[CW_SYNTH_NPROTO]; /* application messages per protocol (requests,
                                               * responses, binds, handshakes' messages) */
    /* The awkward cases (docs/synth.md): */
    uint64_t tcp_split;     /* messages split across TCP segments */
    uint64_t tcp_multi;     /* TCP segments holding several whole messages */
    uint64_t ip_fragmented; /* datagrams sent as IP fragments */
    uint64_t ip_frag_ooo;   /* ... of them with the fragments out of order */
    uint64_t ip_fragments;  /* fragment frames */
    uint64_t sctp_bundled;  /* SCTP packets with several DATA chunks */
    uint64_t sctp_split;    /* user messages split into two DATA chunks (B, E) */
    uint64_t vlan_frames;   /* frames with an 802.1Q tag (QinQ included) */
    uint64_t qinq_frames;   /* frames with two tags */
    uint64_t ipv6_frames;
    uint64_t sms_gsm7_ext; /* SMS texts with GSM 7-bit extension characters (e.g. the euro) */
    uint64_t sms_ucs2;     /* SMS texts in UCS-2 */
    uint64_t sms_concat;   /* parts of long (concatenated) SMS */
    uint64_t sip_3gpp_sms; /* SIP MESSAGEs with an application/vnd.3gpp.sms body */
    /* The scripted actors: cards per category (enum cw_synth_act; all listed in truth.csv)
     * and, for simbox, agent_batch and family_device, their boxes, batches and families. */
    uint64_t act_cards[CW_SYNTH_NACT];
    uint64_t act_groups[CW_SYNTH_NACT];
    uint64_t scripted_requests;       /* requests (SMS, calls, CANCELs, Create Sessions) they sent,
                                       * with the bursts below */
    uint64_t call_cancels;            /* SIP CANCEL requests */
    uint64_t business_bursts;         /* SMPP businesses' bursts to many numbers (not in truth) */
    uint64_t roamer_bursts;           /* foreign visitors sending many SMS (not in truth) */
    uint64_t first_ts_us, last_ts_us; /* capture time span */
    unsigned files;                   /* files written */
};

/**
 * Generate the data set described by @p o. Returns 0 and fills @p st (may be NULL), or a
 * negative CW_E* code with a message naming the file in @p err: CW_EINVAL (bad options),
 * CW_EIO (cannot create the directory or write a file; the partly written files are removed).
 */
int cw_synth_run(const struct cw_synth_opts *o, struct cw_synth_stats *st, char *err,
                 size_t errlen);

/* What a card was planted as (truth.csv's category for it; normal cards are not listed). */
enum cw_synth_kind {
    CW_SYNTH_NORMAL,
    CW_SYNTH_BLACK,      /* black_card */
    CW_SYNTH_OVER_QUOTA, /* over_quota: a card of an ID holding 6-10 cards in one province */
    CW_SYNTH_NATIONAL,   /* over_national: a card of an ID holding 6-8 cards nationwide */
    CW_SYNTH_ACTOR,      /* a scripted actor of the traffic: category act */
};

/** truth.csv's category of actor category @p act ("spam", ...; "agent_batch" for
 *  CW_SYNTH_A_AGENT_FAR too), NULL when out of range. */
const char *cw_synth_act_name(unsigned act);
/** The summary's name of actor category @p act: its truth category, but "agent_far" for
 *  CW_SYNTH_A_AGENT_FAR; NULL when out of range. */
const char *cw_synth_act_label(unsigned act);

/* The three kinds of black cards (by black rank modulo 3). */
enum cw_synth_black_kind {
    CW_SYNTH_BLACK_UNREGISTERED, /* no registry row */
    CW_SYNTH_BLACK_UNVERIFIED,   /* a row with verified 0 */
    CW_SYNTH_BLACK_INVALID_ID,   /* a row with verified 1 and an ID with a wrong check char */
};

/* One card of the population as synth derives it from (seed, index). Exposed for the tests and
 * for tools that want to look a synthetic card up without reading the files. */
struct cw_synth_card {
    uint64_t index;
    char msisdn[16];        /* "86" + 11 digits */
    char imsi[16];          /* "46000" + 10 digits */
    char id_number[19];     /* the 18-character ID number, as truth.csv lists it (for an invalid-ID
                             * black card: the invalid one it was registered with) */
    char id_registered[19]; /* as registry.csv has it: id_number, or its old 15-digit form */
    char province[3];       /* where the card was registered */
    char outlet[16];        /* "OUT-33-0042" */
    char registered_at[24]; /* "2024-05-01T10:22:00Z" */
    int kind;               /* enum cw_synth_kind */
    int black;              /* 1: planted black card (kind CW_SYNTH_BLACK) */
    int black_kind;         /* enum cw_synth_black_kind, for black cards */
    int registered;         /* 0: no registry row */
    int verified;
    int suspended;
    int bad_outlet; /* 1: registered at a planted bad outlet */
    uint64_t group; /* over-quota and national cards: the group (ID) number, from 0; actors
                     * of simbox, agent_batch, family_device: their box, batch or family */
    int act;        /* kind CW_SYNTH_ACTOR: enum cw_synth_act; else -1 */
};

/* A population: the sizes and keyed permutations derived from the options (a value type,
 * nothing to free). */
struct cw_synth_pop {
    uint64_t seed, cards, black;
    uint64_t over_quota, over_quota_ids; /* over-quota cards (ranks black..) and their IDs */
    uint64_t national, national_ids;     /* national cards (ranks black + over_quota..), IDs */
    /* scripted actors: act[k] cards of category k at ranks act_first[k].. (after the national
     * cards; act_first[CW_SYNTH_NACT] ends them), in act_groups[k] groups */
    uint64_t act[CW_SYNTH_NACT], act_first[CW_SYNTH_NACT + 1], act_groups[CW_SYNTH_NACT];
    uint64_t outlets;           /* outlets per province */
    uint64_t bad_outlets;       /* planted bad outlets a province: max(1, outlets/16) */
    struct cw_perm black_perm;  /* card index -> rank; rank < black: a black card; then
                                 * over_quota over-quota cards, then national national cards,
                                 * then the scripted actors */
    struct cw_perm msisdn_perm; /* card index -> slot in the home number plan */
    struct cw_perm imsi_perm;   /* card index -> MSIN */
    struct cw_perm person_perm; /* card index -> position among the persons' card slots */
    struct cw_perm id_perm;     /* person -> (region, birth day, sequence) */
};

/** Derive the population of @p o (black and over-quota counts after the cap, group counts).
 *  Returns 0 or CW_EINVAL. */
int cw_synth_pop_init(struct cw_synth_pop *p, const struct cw_synth_opts *o);

/** The protocols @p o selects (CW_SYNTH_ALL when o->protocols is 0). */
unsigned cw_synth_protocols(const struct cw_synth_opts *o);

/** The name of protocol @p p ("sip", "smpp", "map", "diameter", "gtp", "radius"). */
const char *cw_synth_proto_name(unsigned p);

/**
 * Parse a comma-separated list of protocol names into a bit set (1 << CW_SYNTH_<P>).
 * Returns 0, or CW_EINVAL naming the first bad name in @p err.
 */
int cw_synth_protocols_parse(const char *list, unsigned *mask, char *err, size_t errlen);

/** Card number @p index (< p->cards) of the population. */
void cw_synth_card_get(const struct cw_synth_pop *p, uint64_t index, struct cw_synth_card *c);

/** 1 when outlet number @p outlet (1..p->outlets) of province @p prov2 (2-digit code; only two
 *  characters are read) is a planted bad outlet. */
int cw_synth_outlet_bad(const struct cw_synth_pop *p, const char *prov2, unsigned outlet);

/** The registration province of card @p index (its cw_synth_card's province; "" never: an
 *  unregistered black card has one too), 2 digits and a NUL, cheaper than cw_synth_card_get. */
void cw_synth_card_province(const struct cw_synth_pop *p, uint64_t index, char prov[3]);

/** Where the cells of the capture are: an E-UTRAN cell identity (28 bits) carries the number of
 *  its province's 2-digit code in its top 8 bits (cells.csv: 46000-<2 hex digits>). */
#define CW_SYNTH_ECI(prov_num, low20) ((uint32_t)(prov_num) << 20 | ((uint32_t)(low20)&0xfffffu))

#endif
