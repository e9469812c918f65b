/* registry_int.h - private to src/store: the registry's packed record layouts and the reading
 * of its CSV rows (registry_rows.c, no LMDB), shared by the import, the update and the lookups
 * (registry_lmdb.c). Layouts: docs/registry.md.
 */
#ifndef CW_REGISTRY_INT_H
#define CW_REGISTRY_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/csv.h"
#include "store/registry.h"

#define CW_REG_SCHEMA 2

/* Card record v2 (little-endian, 108 bytes):
 *   0 version(1)=2  1 status(1)  2 verified(1, as given)  3 flags(1)  4 province(2)
 *   6 id_province(2)  8 registered_at(8, int64 seconds)  16 imsi(16)  32 outlet(24)
 *   56 id_masked(20)  76 id_pseudo(32) */
#define CW_CARD_REC_LEN 108
#define CW_CARD_F_ID_VALID 1u
#define CW_CARD_F_HAS_ID 2u
#define CW_CARD_F_ID_CONVERTED 4u

/* Cards-per-ID index entry (dup-sorted, fixed size, under the 32-byte pseudonym):
 *   province(2) msisdn(15, NUL-padded) status(1)  -- sorted by province, then MSISDN */
#define CW_IDX_REC_LEN 18
#define CW_MSISDN_KEY 15

/* Outlet record v1: version(1)=1 kind(1) province(2) name(48). */
#define CW_OUTLET_REC_LEN 52
/* Range record v1: version(1)=1 province(2) operator(16). */
#define CW_RANGE_REC_LEN 19
/* Cell record v1: version(1)=1 province(2); the key is a prefix of cell identities. */
#define CW_CELL_REC_LEN 3
#define CW_CELL_PREFIX_MAX 23

void cw_card_pack(const struct cw_card *c, uint8_t rec[CW_CARD_REC_LEN]);
/** Unpack a card record into @p c (msisdn kept; imsi kept when already set). CW_EFORMAT when
 *  it is not a v2 record. */
int cw_card_unpack(const void *rec, size_t len, struct cw_card *c);
void cw_idx_pack(const char province[3], const char *msisdn, unsigned status,
                 uint8_t rec[CW_IDX_REC_LEN]);
void cw_outlet_pack(const struct cw_outlet *o, uint8_t rec[CW_OUTLET_REC_LEN]);
int cw_outlet_unpack(const void *rec, size_t len, struct cw_outlet *o);

/* What a CSV file is, from its header line. */
enum cw_reg_file_kind { CW_RF_NONE, CW_RF_CARDS, CW_RF_OUTLETS, CW_RF_RANGES, CW_RF_CELLS };

enum {
    CW_RC_MSISDN,
    CW_RC_IMSI,
    CW_RC_ID,
    CW_RC_PROVINCE,
    CW_RC_STATUS,
    CW_RC_VERIFIED,
    CW_RC_OUTLET,
    CW_RC_REGAT,
    CW_RC_OP,
    CW_RC_KIND,
    CW_RC_NAME,
    CW_RC_PREFIX,
    CW_RC_OPERATOR,
    CW_RC_CELL_PREFIX,
    CW_RC__N
};

struct cw_reg_header {
    int kind;          /* enum cw_reg_file_kind */
    int col[CW_RC__N]; /* field index of each known column, -1 when absent */
};

/* Where rows are read from and reported to. */
struct cw_row_ctx {
    FILE *report;
    const char *file;
    unsigned long line;
    const char *cc;
    struct cw_hmac *hmac; /* the pseudonym key, prepared */
    long warn_limit;      /* warnings shown (-1: all) */
    uint64_t warn_shown;
    int updating; /* 1: rows may carry an 'op' column */
    struct cw_import_stats *st;
};

/** Classify a header row and map its columns; notes unused columns on the report. */
int cw_reg_header(struct cw_row_ctx *x, struct cw_csv_row *hdr, struct cw_reg_header *h);

/** Report a bad row ("FILE:LINE: what") and count it. */
void cw_reg_bad_row(struct cw_row_ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

enum { CW_OP_UPSERT, CW_OP_DELETE };

/**
 * Read a registry row into @p c (msisdn normalised; the ID validated, pseudonymised, masked).
 * *op gets the row's op (upsert unless an 'op' column says delete; a delete row needs only its
 * msisdn). Returns 0 (use it), 1 (a bad row, already reported and counted).
 */
int cw_reg_card_row(struct cw_row_ctx *x, const struct cw_reg_header *h,
                    const struct cw_csv_row *row, struct cw_card *c, int *op);
int cw_reg_outlet_row(struct cw_row_ctx *x, const struct cw_reg_header *h,
                      const struct cw_csv_row *row, struct cw_outlet *o);
/** A ranges row: @p prefix gets the digits, @p rec the record. 0 or 1 as above. */
int cw_reg_range_row(struct cw_row_ctx *x, const struct cw_reg_header *h,
                     const struct cw_csv_row *row, char prefix[16], uint8_t rec[CW_RANGE_REC_LEN]);
/** A cells row: @p prefix gets the cell prefix (lower case), @p rec the record. 0 or 1. */
int cw_reg_cell_row(struct cw_row_ctx *x, const struct cw_reg_header *h,
                    const struct cw_csv_row *row, char prefix[CW_CELL_PREFIX_MAX + 1],
                    uint8_t rec[CW_CELL_REC_LEN]);

/* HMAC-SHA256 with the key's inner and outer hash states computed once (RFC 2104), so a row
 * costs two SHA-256 compressions of the ID and of the inner digest, and no allocation. */
struct cw_hmac;
int cw_hmac_new(const unsigned char *key, size_t keylen, struct cw_hmac **out);
void cw_hmac_free(struct cw_hmac *h);
/** HMAC-SHA256(key, @p msg). Returns 0 or CW_ENOMEM/CW_EINVAL (OpenSSL failed). */
int cw_hmac_sum(struct cw_hmac *h, const char *msg, uint8_t out[CW_PSEUDO_LEN]);

/** HMAC-SHA256 of an 18-character ID number under @p key (one-off). */
void cw_reg_hmac(const unsigned char *key, size_t keylen, const char *id,
                 uint8_t out[CW_PSEUDO_LEN]);

#define CW_REG_DEMO_KEY "cardwatch-demo-pseudonym-key (not secret: demo data only)"
#define CW_REG_KEY_MAX 256
/** Load the pseudonym key (file, or the demo key when @p demo). 0, CW_EINVAL or CW_EIO. */
int cw_reg_load_key(const char *key_file, int demo, unsigned char key[CW_REG_KEY_MAX],
                    size_t *keylen, char *err, size_t errlen);
/** The key's id: first 8 bytes of its SHA-256, as 16 hex digits. */
void cw_reg_key_id(const unsigned char *key, size_t keylen, char out[17]);

#endif
