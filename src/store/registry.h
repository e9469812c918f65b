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

/* What the registry says about one card; filled by cw_reg_lookup (value type, no pointers). */
struct cw_card {
    char msisdn[CW_NUM_MAX]; /* international digits, e.g. 8613800000000; "" when unknown */
    char imsi[CW_IMSI_MAX];
    uint8_t home;       /* the number is in the carrier's home ranges */
    uint8_t registered; /* a real-name record exists */
    uint8_t verified;   /* the record's ID was verified */
    uint8_t status;     /* enum cw_card_status */
    char province[3];   /* 2-digit GB/T 2260 code of the registration, "" when unknown */
    char range_province[3]; /* province of the home number range, "" when national/unknown */
    char outlet[CW_OUTLET_MAX];
    char id_masked[CW_ID_MASKED_MAX]; /* e.g. "330106********1234" */
    uint8_t id_pseudo[32];            /* HMAC-SHA256 of the ID number; all zero when none */
    int64_t registered_at;            /* seconds since the epoch, 0 when unknown */
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
};

/** Open the registry store in directory @p dir. On error returns CW_E* and writes a message
 *  naming the directory into @p err. */
int cw_registry_open(const char *dir, int flags, struct cw_registry **out, char *err,
                     size_t errlen);
void cw_registry_free(struct cw_registry *reg);

/* ---- import ---- */

struct cw_import_opts {
    const char *key_file; /* pseudonymisation key; NULL = demo key (said so on stderr) */
    long max_errors;      /* give up after this many bad rows (-1 = never) */
    const char *cc;       /* country code for national numbers, default "86" */
    FILE *report;         /* where bad rows and notes are reported; NULL = stderr */
};

struct cw_import_stats {
    uint64_t cards, ranges, bad_rows, ignored_columns;
};

/**
 * Import registry and/or range CSV files (told apart by their header line) in one write
 * transaction: a failed import leaves the store as it was. Bad rows are reported on stderr as
 * "FILE:LINE: reason". Returns 0 or a CW_E* code (with @p err naming file and line).
 */
int cw_registry_import(struct cw_registry *reg, const char *const *files, int nfiles,
                       const struct cw_import_opts *opts, struct cw_import_stats *st, char *err,
                       size_t errlen);

/* ---- lookups ---- */

struct cw_reg_reader; /* one per worker: a long-lived read transaction */

int cw_reg_reader_new(struct cw_registry *reg, struct cw_reg_reader **out);
void cw_reg_reader_free(struct cw_reg_reader *rd);
/** Release and renew the read snapshot so registry updates become visible. */
int cw_reg_reader_refresh(struct cw_reg_reader *rd);

/**
 * Look up a card by MSISDN (any form cw_msisdn_normalize accepts) and/or IMSI; either may be
 * NULL or "". Fills @p out (always: home and msisdn are set even when no record exists).
 * Returns 1 when a registration record was found, 0 when not, or a negative CW_E* code.
 */
int cw_reg_lookup(struct cw_reg_reader *rd, const char *msisdn, const char *imsi,
                  struct cw_card *out);

/** Registry figures for `registry stat`. */
struct cw_registry_info {
    uint64_t cards, imsis, ranges;
    char schema[16];
    char imported_at[32];
    char source[256];
};
int cw_registry_info(struct cw_registry *reg, struct cw_registry_info *info);

#endif
