/* registry_rows.c - the registry's CSV rows and packed records (no LMDB here): header
 * classification, row validation, ID pseudonyms, record layouts (registry_int.h). */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "store/idcard.h"
#include "store/registry_int.h"
#include "store/validate.h"
#include "util/error.h"

/* ---- records ---- */

static void put_str(uint8_t *dst, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap);
    memset(dst, 0, cap);
    memcpy(dst, s, n);
}

static void get_str(char *dst, size_t dstsz, const uint8_t *src, size_t cap)
{
    size_t n = 0;
    while (n < cap && n < dstsz - 1 && src[n])
        n++;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void put_u64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void cw_card_pack(const struct cw_card *c, uint8_t rec[CW_CARD_REC_LEN])
{
    memset(rec, 0, CW_CARD_REC_LEN);
    rec[0] = CW_REG_SCHEMA;
    rec[1] = c->status;
    rec[2] = c->verified;
    rec[3] = (uint8_t)((c->id_valid ? CW_CARD_F_ID_VALID : 0) | (c->has_id ? CW_CARD_F_HAS_ID : 0) |
                       (c->id_converted ? CW_CARD_F_ID_CONVERTED : 0));
    memcpy(rec + 4, c->province, strnlen(c->province, 2));
    memcpy(rec + 6, c->id_province, strnlen(c->id_province, 2));
    put_u64le(rec + 8, (uint64_t)c->registered_at);
    put_str(rec + 16, 16, c->imsi);
    put_str(rec + 32, 24, c->outlet);
    put_str(rec + 56, 20, c->id_masked);
    memcpy(rec + 76, c->id_pseudo, CW_PSEUDO_LEN);
}

int cw_card_unpack(const void *data, size_t len, struct cw_card *c)
{
    const uint8_t *rec = data;
    if (len < CW_CARD_REC_LEN || rec[0] != CW_REG_SCHEMA)
        return CW_EFORMAT;
    c->registered = 1;
    c->status = rec[1];
    c->has_id = (rec[3] & CW_CARD_F_HAS_ID) != 0;
    c->id_valid = (rec[3] & CW_CARD_F_ID_VALID) != 0;
    c->id_converted = (rec[3] & CW_CARD_F_ID_CONVERTED) != 0;
    /* A card registered to an invalid ID number is not really registered: never verified. */
    c->verified = rec[2] && c->id_valid;
    get_str(c->province, sizeof c->province, rec + 4, 2);
    get_str(c->id_province, sizeof c->id_province, rec + 6, 2);
    c->registered_at = (int64_t)get_u64le(rec + 8);
    if (!c->imsi[0])
        get_str(c->imsi, sizeof c->imsi, rec + 16, 16);
    get_str(c->outlet, sizeof c->outlet, rec + 32, 24);
    get_str(c->id_masked, sizeof c->id_masked, rec + 56, 20);
    memcpy(c->id_pseudo, rec + 76, CW_PSEUDO_LEN);
    return 0;
}

void cw_idx_pack(const char province[3], const char *msisdn, unsigned status,
                 uint8_t rec[CW_IDX_REC_LEN])
{
    memset(rec, 0, CW_IDX_REC_LEN);
    memcpy(rec, province, strnlen(province, 2));
    memcpy(rec + 2, msisdn, strnlen(msisdn, CW_MSISDN_KEY));
    rec[17] = (uint8_t)status;
}

void cw_outlet_pack(const struct cw_outlet *o, uint8_t rec[CW_OUTLET_REC_LEN])
{
    memset(rec, 0, CW_OUTLET_REC_LEN);
    rec[0] = 1;
    rec[1] = o->kind;
    memcpy(rec + 2, o->province, strnlen(o->province, 2));
    put_str(rec + 4, 48, o->name);
}

int cw_outlet_unpack(const void *data, size_t len, struct cw_outlet *o)
{
    const uint8_t *rec = data;
    if (len < CW_OUTLET_REC_LEN || rec[0] != 1)
        return CW_EFORMAT;
    o->kind = rec[1];
    get_str(o->province, sizeof o->province, rec + 2, 2);
    get_str(o->name, sizeof o->name, rec + 4, 48);
    return 0;
}

/* ---- the pseudonym key ---- */

struct cw_hmac {
    EVP_MD_CTX *inner, *outer, *tmp;
};

void cw_hmac_free(struct cw_hmac *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->inner);
    EVP_MD_CTX_free(h->outer);
    EVP_MD_CTX_free(h->tmp);
    free(h);
}

int cw_hmac_new(const unsigned char *key, size_t keylen, struct cw_hmac **out)
{
    unsigned char k[64], pad[64];
    struct cw_hmac *h = calloc(1, sizeof *h);
    *out = NULL;
    if (!h)
        return CW_ENOMEM;
    memset(k, 0, sizeof k);
    if (keylen > sizeof k) { /* a long key is hashed first */
        unsigned int n = 32;
        if (!EVP_Digest(key, keylen, k, &n, EVP_sha256(), NULL))
            goto fail;
    } else {
        memcpy(k, key, keylen);
    }
    h->inner = EVP_MD_CTX_new();
    h->outer = EVP_MD_CTX_new();
    h->tmp = EVP_MD_CTX_new();
    if (!h->inner || !h->outer || !h->tmp)
        goto fail;
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    if (!EVP_DigestInit_ex(h->inner, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(h->inner, pad, sizeof pad))
        goto fail;
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    if (!EVP_DigestInit_ex(h->outer, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(h->outer, pad, sizeof pad))
        goto fail;
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    *out = h;
    return 0;
fail:
    OPENSSL_cleanse(k, sizeof k);
    cw_hmac_free(h);
    return CW_ENOMEM;
}

int cw_hmac_sum(struct cw_hmac *h, const char *msg, uint8_t out[CW_PSEUDO_LEN])
{
    unsigned char in[32];
    unsigned int n;
    if (!EVP_MD_CTX_copy_ex(h->tmp, h->inner) || !EVP_DigestUpdate(h->tmp, msg, strlen(msg)) ||
        !EVP_DigestFinal_ex(h->tmp, in, &n) || !EVP_MD_CTX_copy_ex(h->tmp, h->outer) ||
        !EVP_DigestUpdate(h->tmp, in, sizeof in) || !EVP_DigestFinal_ex(h->tmp, out, &n))
        return CW_EINVAL;
    return 0;
}

void cw_reg_hmac(const unsigned char *key, size_t keylen, const char *id,
                 uint8_t out[CW_PSEUDO_LEN])
{
    unsigned int mdlen = CW_PSEUDO_LEN;
    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)id, strlen(id), out, &mdlen);
}

int cw_reg_load_key(const char *key_file, int demo, unsigned char key[CW_REG_KEY_MAX],
                    size_t *keylen, char *err, size_t errlen)
{
    if (!key_file) {
        if (!demo) {
            snprintf(err, errlen,
                     "no pseudonym key: give --key-file FILE (a secret of at least 16 bytes, "
                     "e.g. 'head -c 32 /dev/urandom > FILE'), or --demo for synthetic data");
            return CW_EINVAL;
        }
        *keylen = strlen(CW_REG_DEMO_KEY);
        memcpy(key, CW_REG_DEMO_KEY, *keylen);
        return 0;
    }
    FILE *f = fopen(key_file, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", key_file, strerror(errno));
        return CW_EIO;
    }
    *keylen = fread(key, 1, CW_REG_KEY_MAX, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    if (*keylen < 16 || more) {
        if (more)
            snprintf(err, errlen, "%s: the key file holds more than %d bytes; 16 to %d are needed",
                     key_file, CW_REG_KEY_MAX, CW_REG_KEY_MAX);
        else
            snprintf(err, errlen, "%s: the key file holds %zu bytes; 16 to %d are needed", key_file,
                     *keylen, CW_REG_KEY_MAX);
        return CW_EINVAL;
    }
    return 0;
}

void cw_reg_key_id(const unsigned char *key, size_t keylen, char out[17])
{
    unsigned char md[32];
    unsigned int ml = sizeof md;
    EVP_Digest(key, keylen, md, &ml, EVP_sha256(), NULL);
    cw_hex_lower(md, 8, out);
}

/* ---- rows ---- */

static const char *const col_names[CW_RC__N] = {
    [CW_RC_MSISDN] = "msisdn",
    [CW_RC_IMSI] = "imsi",
    [CW_RC_ID] = "id_number",
    [CW_RC_PROVINCE] = "province",
    [CW_RC_STATUS] = "status",
    [CW_RC_VERIFIED] = "verified",
    [CW_RC_OUTLET] = "outlet",
    [CW_RC_REGAT] = "registered_at",
    [CW_RC_OP] = "op",
    [CW_RC_KIND] = "kind",
    [CW_RC_NAME] = "name",
    [CW_RC_PREFIX] = "prefix",
    [CW_RC_OPERATOR] = "operator",
    [CW_RC_CELL_PREFIX] = "cell_prefix",
};

/* The columns each kind of file uses. */
static int col_used(int kind, int c, int updating)
{
    switch (kind) {
    case CW_RF_CARDS: return c <= CW_RC_REGAT || (c == CW_RC_OP && updating);
    case CW_RF_OUTLETS:
        return c == CW_RC_OUTLET || c == CW_RC_PROVINCE || c == CW_RC_KIND || c == CW_RC_NAME;
    case CW_RF_RANGES: return c == CW_RC_PREFIX || c == CW_RC_OPERATOR || c == CW_RC_PROVINCE;
    case CW_RF_CELLS: return c == CW_RC_CELL_PREFIX || c == CW_RC_PROVINCE;
    default: return 0;
    }
}

static void report_row(struct cw_row_ctx *x, const char *what, const char *fmt, va_list ap)
{
    fprintf(x->report, "%s:%lu: %s", x->file, x->line, what);
    vfprintf(x->report, fmt, ap);
    fputc('\n', x->report);
}

void cw_reg_bad_row(struct cw_row_ctx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_row(x, "", fmt, ap);
    va_end(ap);
    x->st->bad_rows++;
}

static void warn_row(struct cw_row_ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warn_row(struct cw_row_ctx *x, const char *fmt, ...)
{
    x->st->warnings++;
    if (x->warn_limit >= 0 && x->warn_shown >= (uint64_t)x->warn_limit)
        return;
    x->warn_shown++;
    va_list ap;
    va_start(ap, fmt);
    report_row(x, "warning: ", fmt, ap);
    va_end(ap);
}

int cw_reg_header(struct cw_row_ctx *x, struct cw_csv_row *hdr, struct cw_reg_header *h)
{
    for (int i = 0; i < CW_RC__N; i++)
        h->col[i] = -1;
    for (int f = 0; f < hdr->nfields; f++) {
        char *name = hdr->field[f];
        if (f == 0 && (unsigned char)name[0] == 0xef && (unsigned char)name[1] == 0xbb &&
            (unsigned char)name[2] == 0xbf)
            name += 3; /* UTF-8 byte order mark */
        hdr->field[f] = name;
        for (int i = 0; i < CW_RC__N; i++)
            if (!strcmp(name, col_names[i]) && h->col[i] < 0)
                h->col[i] = f;
    }
    h->kind = h->col[CW_RC_MSISDN] >= 0        ? CW_RF_CARDS
              : h->col[CW_RC_CELL_PREFIX] >= 0 ? CW_RF_CELLS
              : h->col[CW_RC_PREFIX] >= 0      ? CW_RF_RANGES
              : h->col[CW_RC_OUTLET] >= 0      ? CW_RF_OUTLETS
                                               : CW_RF_NONE;
    if (h->kind == CW_RF_NONE)
        return 0;
    for (int f = 0; f < hdr->nfields; f++) {
        int used = 0;
        for (int i = 0; i < CW_RC__N; i++)
            used |= h->col[i] == f && col_used(h->kind, i, x->updating);
        if (used)
            continue;
        x->st->ignored_columns++;
        fprintf(x->report, "%s:1: note: column '%s' is ignored and not stored%s\n", x->file,
                hdr->field[f],
                h->kind == CW_RF_CARDS && strstr(hdr->field[f], "name")
                    ? " (names of persons are never stored)"
                    : "");
    }
    return 0;
}

#define F(k) (h->col[k] >= 0 && h->col[k] < row->nfields ? row->field[h->col[k]] : "")

static int status_from_name(const char *s)
{
    if (!*s || !strcmp(s, "active"))
        return CW_CARD_ACTIVE;
    if (!strcmp(s, "suspended"))
        return CW_CARD_SUSPENDED;
    if (!strcmp(s, "cancelled") || !strcmp(s, "canceled"))
        return CW_CARD_CANCELLED;
    return -1;
}

static int province_field(struct cw_row_ctx *x, const char *v, char out[3])
{
    const char *why;
    out[0] = 0;
    if (!*v)
        return 0;
    if (cw_valid_province(v, &why) != 0) {
        cw_reg_bad_row(x, "province '%.40s': %s", v, why);
        return 1;
    }
    memcpy(out, v, 3);
    return 0;
}

int cw_reg_card_row(struct cw_row_ctx *x, const struct cw_reg_header *h,
                    const struct cw_csv_row *row, struct cw_card *c, int *op)
{
    const char *why;
    memset(c, 0, sizeof *c);
    *op = CW_OP_UPSERT;
    if (x->updating && *F(CW_RC_OP)) {
        if (!strcmp(F(CW_RC_OP), "delete"))
            *op = CW_OP_DELETE;
        else if (strcmp(F(CW_RC_OP), "upsert")) {
            cw_reg_bad_row(x, "op '%.40s' is neither upsert nor delete", F(CW_RC_OP));
            return 1;
        }
    }
    if (cw_msisdn_normalize(F(CW_RC_MSISDN), x->cc, c->msisdn) != 0) {
        cw_reg_bad_row(x, "msisdn '%.40s' is not a phone number (digits, optional leading +)",
                       F(CW_RC_MSISDN));
        return 1;
    }
    if (cw_valid_msisdn(c->msisdn, x->cc, &why) != 0) {
        cw_reg_bad_row(x, "msisdn '%.40s': %s", F(CW_RC_MSISDN), why);
        return 1;
    }
    if (*op == CW_OP_DELETE)
        return 0;
    const char *imsi = F(CW_RC_IMSI);
    if (*imsi && cw_valid_imsi(imsi, &why) != 0) {
        cw_reg_bad_row(x, "imsi '%.40s': %s", imsi, why);
        return 1;
    }
    snprintf(c->imsi, sizeof c->imsi, "%s", imsi);
    int st = status_from_name(F(CW_RC_STATUS));
    if (st < 0) {
        cw_reg_bad_row(x, "status '%.40s' is not active, suspended or cancelled", F(CW_RC_STATUS));
        return 1;
    }
    c->status = (uint8_t)st;
    const char *ver = F(CW_RC_VERIFIED);
    if (!strcmp(ver, "1") || !strcmp(ver, "true") || !strcmp(ver, "yes"))
        c->verified = 1;
    else if (strcmp(ver, "0") && strcmp(ver, "false") && strcmp(ver, "no") && *ver) {
        cw_reg_bad_row(x, "verified '%.40s' is not 1 or 0", ver);
        return 1;
    }
    if (province_field(x, F(CW_RC_PROVINCE), c->province))
        return 1;
    if (strlen(F(CW_RC_OUTLET)) >= CW_OUTLET_MAX) {
        cw_reg_bad_row(x, "outlet '%.40s' is longer than %d characters", F(CW_RC_OUTLET),
                       CW_OUTLET_MAX - 1);
        return 1;
    }
    snprintf(c->outlet, sizeof c->outlet, "%s", F(CW_RC_OUTLET));
    if (*F(CW_RC_REGAT) && cw_parse_utc(F(CW_RC_REGAT), &c->registered_at, &why) != 0) {
        cw_reg_bad_row(x, "registered_at '%.40s': %s", F(CW_RC_REGAT), why);
        return 1;
    }
    /* The ID number: validated, then kept only as a keyed pseudonym and a masked form. A card
     * registered to an invalid ID is kept, flagged: it is not really registered. */
    const char *id = F(CW_RC_ID);
    if (*id) {
        char norm[19];
        int converted = 0;
        int rc = cw_id_normalize(id, norm, &converted, &why);
        c->has_id = 1;
        c->id_valid = rc == 0;
        c->id_converted = (uint8_t)(converted != 0);
        cw_idcard_mask(norm, c->id_masked);
        if (cw_hmac_sum(x->hmac, norm, c->id_pseudo) != 0) {
            cw_reg_bad_row(x, "cannot compute the ID pseudonym (OpenSSL failed)");
            return 1;
        }
        if (c->id_valid)
            memcpy(c->id_province, norm, 2);
        if (converted)
            x->st->ids_converted++;
        if (!c->id_valid) {
            x->st->ids_invalid++;
            warn_row(x, "id_number of card %s: %s; kept, flagged as not really registered",
                     c->msisdn, why);
        }
    }
    return 0;
}

int cw_reg_outlet_row(struct cw_row_ctx *x, const struct cw_reg_header *h,
                      const struct cw_csv_row *row, struct cw_outlet *o)
{
    memset(o, 0, sizeof *o);
    const char *id = F(CW_RC_OUTLET), *kind = F(CW_RC_KIND);
    if (!*id || strlen(id) >= CW_OUTLET_MAX) {
        cw_reg_bad_row(x, "outlet '%.40s' is empty or longer than %d characters", id,
                       CW_OUTLET_MAX - 1);
        return 1;
    }
    memcpy(o->id, id, strlen(id) + 1);
    if (province_field(x, F(CW_RC_PROVINCE), o->province))
        return 1;
    if (!strcmp(kind, "own"))
        o->kind = CW_OUTLET_OWN;
    else if (!strcmp(kind, "agent"))
        o->kind = CW_OUTLET_AGENT;
    else if (*kind) {
        cw_reg_bad_row(x, "kind '%.40s' is neither own nor agent", kind);
        return 1;
    }
    snprintf(o->name, sizeof o->name, "%s", F(CW_RC_NAME));
    return 0;
}

int cw_reg_range_row(struct cw_row_ctx *x, const struct cw_reg_header *h,
                     const struct cw_csv_row *row, char prefix[16], uint8_t rec[CW_RANGE_REC_LEN])
{
    const char *p = F(CW_RC_PREFIX);
    if (*p == '+')
        p++;
    size_t n = strlen(p);
    int ok = n >= 1 && n <= 15;
    for (size_t i = 0; i < n && ok; i++)
        ok = p[i] >= '0' && p[i] <= '9';
    if (!ok) {
        cw_reg_bad_row(x, "prefix '%.40s' is not 1-15 digits", F(CW_RC_PREFIX));
        return 1;
    }
    memcpy(prefix, p, n + 1);
    char prov[3];
    if (province_field(x, F(CW_RC_PROVINCE), prov))
        return 1;
    memset(rec, 0, CW_RANGE_REC_LEN);
    rec[0] = 1;
    memcpy(rec + 1, prov, strlen(prov));
    put_str(rec + 3, 16, F(CW_RC_OPERATOR));
    return 0;
}

int cw_reg_cell_row(struct cw_row_ctx *x, const struct cw_reg_header *h,
                    const struct cw_csv_row *row, char prefix[CW_CELL_PREFIX_MAX + 1],
                    uint8_t rec[CW_CELL_REC_LEN])
{
    const char *p = F(CW_RC_CELL_PREFIX);
    size_t n = strlen(p);
    int ok = n >= 1 && n <= CW_CELL_PREFIX_MAX;
    for (size_t i = 0; i < n && ok; i++) {
        char c = p[i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-';
        prefix[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    if (!ok) {
        cw_reg_bad_row(x,
                       "cell prefix '%.40s' is not 1-%d characters of digits, hex letters and "
                       "'-' (a cell is written like 46000-0c3d4e5)",
                       p, CW_CELL_PREFIX_MAX);
        return 1;
    }
    prefix[n] = '\0';
    char prov[3];
    if (province_field(x, F(CW_RC_PROVINCE), prov))
        return 1;
    if (!prov[0]) {
        cw_reg_bad_row(x, "cell prefix '%s' has no province", prefix);
        return 1;
    }
    rec[0] = 1;
    memcpy(rec + 1, prov, 2);
    return 0;
}

#undef F
