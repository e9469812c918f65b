/* registry.h - the carrier's real-name registry in LMDB: cards by MSISDN and by IMSI, home
 * number ranges. The only LMDB user is registry_lmdb.c; everything else sees this API.
 *
 * Personal data kept small: the ID number is never stored in clear, only a keyed pseudonym
 * (HMAC-SHA256) and a masked display form (region code and last 4 digits).
 */
#ifndef CW_REGISTRY_H
#define CW_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event/event.h"

enum cw_card_status {
    CW_CARD_UNKNOWN = 0, /* no registration record */
    CW_CARD_ACTIVE = 1,
    CW_CARD_SUSPENDED = 2,
    CW_CARD_CANCELLED = 3,
};

#define CW_OUTLET_MAX 24
#define CW_ID_MASKED_MAX 20
#define CW_PSEUDO_LEN 32 /* HMAC-SHA256 */

/* What the registry says about one card and its holder; filled by cw_reg_lookup (value type,
 * no pointers). */
struct cw_card {
    char msisdn[CW_NUM_MAX]; /* international digits, e.g. 8613800000000; "" when unknown */
    char imsi[CW_IMSI_MAX];
    uint8_t home;           /* the number is in the carrier's home ranges */
    uint8_t registered;     /* a real-name record exists */
    uint8_t verified;       /* the record says verified AND its ID number is valid */
    uint8_t status;         /* enum cw_card_status */
    uint8_t has_id;         /* the record names an ID number (id_* fields below are set) */
    uint8_t id_valid;       /* ... and it passed validation (check digit, birth date, region) */
    uint8_t id_converted;   /* ... given in the old 15-digit form and converted */
    char province[3];       /* 2-digit GB/T 2260 code of the registration, "" when unknown */
    char range_province[3]; /* province of the home number range, "" when national/unknown */
    char outlet[CW_OUTLET_MAX];
    char id_masked[CW_ID_MASKED_MAX]; /* e.g. "330106********1234" */
    char id_province[3];              /* province of the ID's region code, "" when invalid */
    uint8_t id_pseudo[CW_PSEUDO_LEN]; /* HMAC-SHA256 of the (18-digit) ID number; zero if none */
    int64_t registered_at;            /* seconds since the epoch, 0 when unknown */
    /* The holder (cw_reg_lookup fills these from the cards-per-ID index when has_id): cards
     * the ID holds that are not cancelled, in this card's registration province and in all
     * provinces; this card included when it is not cancelled. */
    uint32_t person_cards_province;
    uint32_t person_cards_total;
};

const char *cw_card_status_name(unsigned status);

/**
 * Normalise a dialled or signalled number to international digits for the registry join:
 * "+8613800000000", "008613800000000" and national "13800000000" all give "8613800000000".
 * @p cc is the carrier's country code ("86"). Returns 0, or -1 when @p in is not digits.
 */
int cw_msisdn_normalize(const char *in, const char *cc, char out[CW_NUM_MAX]);

struct cw_registry; /* opaque: an open LMDB environment */

enum cw_reg_flags {
    CW_REG_RDONLY = 1, /* open for lookups only */
    CW_REG_CREATE = 2, /* create the directory and store when missing */
    CW_REG_NOSYNC = 4, /* commit without fsync (tests and fuzzing only: a crash may lose the
                        * last commits, never consistency) */
};

/** Open the registry store in directory @p dir. On error returns CW_E* and writes a message
 *  naming the directory into @p err. */
int cw_registry_open(const char *dir, int flags, struct cw_registry **out, char *err,
                     size_t errlen);
void cw_registry_free(struct cw_registry *reg);

/* ---- import and update ---- */

/* Outlets: the shops and agents that register cards (outlets.csv; docs/registry.md). */
enum cw_outlet_kind {
    CW_OUTLET_UNKNOWN = 0, /* named by a card but not in an outlets file */
    CW_OUTLET_OWN = 1,     /* the carrier's own shop */
    CW_OUTLET_AGENT = 2,   /* a third-party agent */
};

struct cw_outlet {
    char id[CW_OUTLET_MAX];
    char province[3];
    uint8_t kind; /* enum cw_outlet_kind */
    char name[48];
};

struct cw_import_opts {
    const char *key_file; /* pseudonymisation key file (>= 16 bytes); required unless demo */
    int demo;             /* 1: use the built-in demo key (synthetic data only; said so) */
    long max_errors;      /* give up (changing nothing) after more bad rows (-1 = never) */
    const char *cc;       /* country code for national numbers; NULL = "86" */
    FILE *report;         /* where bad rows and notes are reported; NULL = stderr */
    const char *tmp_dir;  /* external sort runs; NULL = the registry directory */
    size_t sort_mem;      /* sort memory in bytes; 0 = 256 MiB */
    uint64_t map_initial; /* first map size in bytes; 0 = estimated from the input size */
    uint64_t map_max;     /* largest LMDB map in bytes; 0 = no limit but the disk */
    long warn_limit;      /* warnings shown (rows kept but flagged); 0 = 100, -1 = all,
                           * < -1 = none */
    /* Optional: called now and then with the phase ("read", "sort", "write", "commit"). */
    void (*progress)(void *user, const char *phase, uint64_t done, uint64_t total);
    void *progress_user;
};

struct cw_import_stats {
    uint64_t rows;    /* data rows read (all files) */
    uint64_t cards;   /* cards written (import) or upserted (update) */
    uint64_t deleted; /* cards deleted (update) */
    uint64_t ranges, outlets, cells;
    uint64_t bad_rows; /* rows refused (reported with FILE:LINE: reason) */
    uint64_t warnings; /* rows kept with a warning (e.g. an invalid ID number: flagged) */
    uint64_t ids_invalid, ids_converted;
    uint64_t ignored_columns;
    uint64_t sort_runs; /* external sort runs spilled to disk (import) */
    uint64_t map_size;  /* LMDB map size after the operation, bytes */
};

/**
 * Full load: import registry, outlets and/or ranges CSV files (told apart by their header
 * line). Each table a file is given for is replaced as a whole; the others are kept. Rows are
 * validated, sorted externally (bounded memory) and appended (MDB_APPEND) in one write
 * transaction: a failed import leaves the store as it was. Returns 0 or a CW_E* code (with
 * @p err naming file and line, or what failed).
 */
int cw_registry_import(struct cw_registry *reg, const char *const *files, int nfiles,
                       const struct cw_import_opts *opts, struct cw_import_stats *st, char *err,
                       size_t errlen);

/**
 * Delta: apply registry rows (an 'op' column: upsert, the default, or delete) and outlets rows
 * in file order in one write transaction. The key must be the one the store was imported
 * with. Readers are never blocked and see the change when they renew their snapshot.
 */
int cw_registry_update(struct cw_registry *reg, const char *const *files, int nfiles,
                       const struct cw_import_opts *opts, struct cw_import_stats *st, char *err,
                       size_t errlen);

/**
 * The pseudonym of an ID number under the key in @p key_file (or the demo key when @p demo):
 * the number is normalised first (15 digits converted to 18, 'x' to 'X'). A number that fails
 * its check character, birth date or region still gets its pseudonym, so that the cards
 * registered to a forged number can be found. Returns 0, CW_EINVAL (not 15 or 18 characters,
 * or not digits: @p err says why; or no key) or CW_EIO (key file).
 */
int cw_registry_pseudonym(const char *key_file, int demo, const char *id_number,
                          uint8_t out[CW_PSEUDO_LEN], char *err, size_t errlen);

/**
 * Is @p key_file (or the demo key when @p demo) the key the registry's pseudonyms were made
 * with? Returns 0 when it is (or the registry holds no cards yet), CW_EINVAL with both key ids
 * in @p err when not, CW_EIO when the key file cannot be read.
 */
int cw_registry_check_key(struct cw_registry *reg, const char *key_file, int demo, char *err,
                          size_t errlen);

/* ---- lookups ---- */

struct cw_reg_reader; /* one per worker: a long-lived read transaction */

int cw_reg_reader_new(struct cw_registry *reg, struct cw_reg_reader **out);
void cw_reg_reader_free(struct cw_reg_reader *rd);
/** Release and renew the read snapshot so registry updates become visible. */
int cw_reg_reader_refresh(struct cw_reg_reader *rd);
/** Renew the snapshot only when a writer has committed since it was taken (a cheap check:
 *  no system call). Returns 1 when renewed, 0 when not needed, or a negative CW_E* code. */
int cw_reg_reader_poll(struct cw_reg_reader *rd);

/**
 * Look up a card by MSISDN (any form cw_msisdn_normalize accepts) and/or IMSI; either may be
 * NULL or "". Fills @p out (always: home and msisdn are set even when no record exists),
 * including the holder's card counts. Returns 1 when a registration record was found, 0 when
 * not, or a negative CW_E* code.
 */
int cw_reg_lookup(struct cw_reg_reader *rd, const char *msisdn, const char *imsi,
                  struct cw_card *out);

/**
 * All cards of the ID with pseudonym @p pseudo, in (province, MSISDN) order, cancelled ones
 * included: up to @p max into @p cards; *n gets how many the ID holds in all. Returns 0
 * (also when the ID holds none) or a negative CW_E* code.
 */
int cw_reg_person(struct cw_reg_reader *rd, const uint8_t pseudo[CW_PSEUDO_LEN],
                  struct cw_card *cards, size_t max, size_t *n);

/** Outlet @p id. Returns 1 found, 0 not, or a negative CW_E* code. */
int cw_reg_outlet(struct cw_reg_reader *rd, const char *id, struct cw_outlet *out);

/* ---- whole-store walks (for the audit): one read snapshot each; a callback returning
 *      non-zero stops the walk and its value is returned ---- */

/** Every card, in MSISDN order (the holder counts are not filled). */
int cw_registry_walk_cards(struct cw_registry *reg,
                           int (*cb)(void *user, const struct cw_card *card), void *user);
/** Every ID holding cards, in pseudonym order, with all its cards (cancelled ones included;
 *  the holder counts filled), in (province, MSISDN) order. */
int cw_registry_walk_persons(struct cw_registry *reg,
                             int (*cb)(void *user, const uint8_t pseudo[CW_PSEUDO_LEN],
                                       const struct cw_card *cards, size_t n),
                             void *user);
/** Every outlet of the outlets table, in id order. */
int cw_registry_walk_outlets(struct cw_registry *reg,
                             int (*cb)(void *user, const struct cw_outlet *o), void *user);

/**
 * The province of cell @p cell ("46000-0c3d4e5", as the decoders write it) from the cells
 * table of the reader's snapshot (the longest cell_prefix that begins it): 1 and @p province
 * filled, or 0 when no prefix matches (or the registry has no cells table).
 */
int cw_reg_cell_province(const struct cw_reg_reader *rd, const char *cell, char province[3]);

/** Registry figures for `registry stat`. */
#define CW_REG_HISTORY_MAX 16
struct cw_registry_info {
    uint64_t cards, imsis, persons, outlets, ranges, cells;
    char schema[16];
    char key_id[17]; /* first 8 bytes of SHA-256 of the pseudonym key, hex; "" before import */
    char cc[8];
    uint64_t map_size, map_used, file_size; /* bytes */
    unsigned nhistory;                      /* the latest imports and updates, oldest first */
    char history[CW_REG_HISTORY_MAX][320];
};
int cw_registry_info(struct cw_registry *reg, struct cw_registry_info *info);

#endif
