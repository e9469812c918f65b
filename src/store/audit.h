/* audit.h - the regulator's figures from the real-name registry (`cardwatch registry audit`):
 * IDs holding more cards than the rules allow, outlets ranked by the signs of agent
 * registration, and the real-name rate per registration province. Definitions:
 * docs/registry.md, "Audit".
 *
 * Reads the registry only through its whole-store walks (registry.h): the outlets table, every
 * card once (per-card figures: rates, outlet totals) and every ID once (per-ID figures: quotas,
 * bursts). Memory is one aggregate per outlet and per province plus the cards of one ID at a
 * time: over-quota IDs are handed to a callback during the walk, never collected.
 *
 * "Held" is the analyzer's holder count: a card whose status is not cancelled.
 */
#ifndef CW_AUDIT_H
#define CW_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "store/registry.h"

/* The rules an ID breaks (struct cw_audit_id.rules). */
#define CW_AUDIT_RULE_PROVINCE 1u /* more than province_limit cards held in one province (2015) */
#define CW_AUDIT_RULE_NATIONAL 2u /* more than national_limit cards held at the carrier (2016) */

/* What the audit found about one card of an ID (struct cw_audit_id.card_flags). */
#define CW_AUDIT_CARD_HELD 1u  /* not cancelled */
#define CW_AUDIT_CARD_OVER 2u  /* held, in a province where the ID holds over the limit */
#define CW_AUDIT_CARD_BURST 4u /* held, in a burst of the ID's registrations */

struct cw_audit_params {
    unsigned province_limit; /* the 2015 rule: at most this many cards in one province (5) */
    unsigned national_limit; /* the 2016 rule: at most this many at this carrier (5) */
    unsigned burst_cards;    /* a burst: at least this many cards of one ID (3, >= 2) ... */
    unsigned burst_hours;    /* ... registered at most this many hours apart (48) */
    unsigned min_cards;      /* outlets with fewer cards are ranked after the others (10) */
    double target;           /* the real-name rate the regulator asks for, percent (90) */
};

/** The defaults above. */
void cw_audit_params_default(struct cw_audit_params *p);

/* A count by key (a province code or an outlet id). */
struct cw_audit_count {
    char key[CW_OUTLET_MAX];
    uint32_t cards;
    uint8_t over; /* provinces: the ID holds more than province_limit cards there */
};

/* An ID over a limit, as handed to cw_audit_opts.on_id. Everything points into the audit's
 * scratch buffers and is valid only during the call. */
struct cw_audit_id {
    uint8_t pseudo[CW_PSEUDO_LEN];
    char id_masked[CW_ID_MASKED_MAX];
    char id_province[3]; /* province of the ID's region code; "" when the ID is invalid */
    uint8_t id_valid;
    unsigned rules;      /* CW_AUDIT_RULE_* */
    uint32_t held;       /* cards held (not cancelled), all provinces */
    uint32_t held_over;  /* ... of them in the provinces where the ID is over the limit */
    int64_t first, last; /* earliest and latest registration of the held cards; 0 unknown */
    const struct cw_audit_count *provinces; /* held cards per province, by code ("" last) */
    size_t nprovinces;
    const struct cw_audit_count *outlets; /* held cards per outlet, most first, then by id */
    size_t noutlets;
    const struct cw_card *cards; /* all its cards, cancelled included, (province, MSISDN) order */
    const uint8_t *card_flags;   /* per card: CW_AUDIT_CARD_* */
    size_t ncards;
};

/* Per outlet (the card's outlet string; "" for cards that name none). Counts are of cards held;
 * the criteria overlap, suspicious counts a card once whatever it has. */
struct cw_audit_outlet {
    char id[CW_OUTLET_MAX];
    char province[3]; /* from the outlets table */
    uint8_t kind;     /* enum cw_outlet_kind; CW_OUTLET_UNKNOWN when not listed */
    uint8_t listed;   /* in the outlets table */
    uint8_t ranked;   /* cards >= min_cards: ranked among the first */
    char name[48];
    uint64_t cards;      /* cards registered there, held */
    uint64_t suspicious; /* ... with at least one of the following */
    uint64_t over_quota; /* on an ID holding over province_limit cards in the card's province */
    uint64_t no_id;      /* without an ID number */
    uint64_t invalid_id; /* on an invalid ID number */
    uint64_t unverified; /* on a valid ID number, the real-name check not done */
    uint64_t burst;      /* in a burst of its ID's registrations (at any outlet) */
    double share;        /* suspicious / cards, percent */
};

/* The real-name rate of a registration province (or of all). The four counts partition the
 * cards held: verified + unverified + invalid_id + no_id == cards. */
struct cw_audit_rate {
    char province[3]; /* 2-digit code; "" for cards with no province (and for the overall) */
    uint64_t cards, verified, unverified, invalid_id, no_id;
    double rate;   /* verified / cards, percent (0 when no cards) */
    uint8_t below; /* rate < target (never when no cards) */
};

struct cw_audit {
    struct cw_audit_params params;
    uint64_t records;                /* card records, cancelled included */
    uint64_t cancelled;              /* ... cancelled */
    uint64_t persons;                /* IDs holding a card record (valid or not) */
    uint64_t ids_over;               /* IDs breaking either rule */
    uint64_t ids_over_province;      /* ... the province rule (most break both) */
    uint64_t ids_over_national;      /* ... the national rule */
    uint64_t ids_national_only;      /* ... the national rule only */
    uint64_t cards_ids_over;         /* cards held by ids_over */
    uint64_t cards_over_province;    /* ... in a province where their ID is over the limit */
    uint64_t cards_national_only;    /* cards held by ids_national_only */
    uint64_t burst_cards;            /* held cards in a burst */
    uint64_t suspicious;             /* held cards with any outlet criterion */
    struct cw_audit_rate overall;    /* all held cards */
    struct cw_audit_rate *provinces; /* by code, "" (unknown) last; only those with cards */
    size_t nprovinces, provinces_below;
    struct cw_audit_outlet *outlets; /* ranked (see docs); only those with cards held */
    size_t noutlets, nranked;        /* the first nranked have cards >= min_cards */
    uint64_t outlets_listed;         /* outlets in the outlets table */
    uint64_t outlets_unused;         /* ... with no card held */
    /* The walks read separate snapshots: 1 when an import or update was committed during the
     * audit (the figures may then disagree by its changes; run it again). */
    int changed;
};

struct cw_audit_opts {
    /* Called for every ID over a limit, in pseudonym order, during the walk; non-zero stops
     * the audit and is returned. May be NULL. */
    int (*on_id)(void *user, const struct cw_audit_id *id);
    void *user;
    /* Optional: called now and then with the phase ("outlets", "cards", "ids"). */
    void (*progress)(void *user, const char *phase, uint64_t done, uint64_t total);
    void *progress_user;
};

/**
 * Audit the registry @p reg with @p p (NULL: the defaults). On success returns 0 and a new
 * audit in *@p out (free it with cw_audit_free); otherwise a negative CW_E* code (CW_EINVAL
 * for bad parameters) or the non-zero value of on_id, with @p err saying what failed.
 */
int cw_audit_run(struct cw_registry *reg, const struct cw_audit_params *p,
                 const struct cw_audit_opts *o, struct cw_audit **out, char *err, size_t errlen);

void cw_audit_free(struct cw_audit *a);

/** "province", "national" ... for a CW_AUDIT_RULE_* bit. */
const char *cw_audit_rule_name(unsigned rule);

#endif
