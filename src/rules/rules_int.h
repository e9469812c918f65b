/* rules_int.h - private to src/rules: the compiled form of a ruleset, the lexer, the parser.
 *
 * A ruleset is an array of compiled rules; each condition is compiled to a field and a set of
 * accepted values (a 128-bit bitmap: event kinds, protocols, card statuses and 2-digit
 * province codes all fit), so evaluating a condition is a bit test; a condition on a count is
 * compiled to a comparison and a number, one integer compare.
 */
#ifndef CW_RULES_INT_H
#define CW_RULES_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rules/content.h"
#include "rules/rules.h"

enum cw_rule_top {
#define CW_RULE_TOP(id, name) CW_RTOP_##id,
#include "rules/rules.def"
    CW_RTOP__COUNT
};

enum cw_rule_kw {
#define CW_RULE_KW(id, name) CW_RKW_##id,
#include "rules/rules.def"
    CW_RKW__COUNT
};

enum cw_rule_field_type {
    CW_RFT_BOOL,
    CW_RFT_KIND,
    CW_RFT_PROTO,
    CW_RFT_STATUS,
    CW_RFT_PROVINCE,
    CW_RFT_COUNT,     /* an unsigned count: compared with > >= < <= == != and a number */
    CW_RFT_TEXT,      /* the SMS text: 'matches' a keyword or regex list */
    CW_RFT_NUMBER,    /* a party's number: 'prefix' a prefix list */
    CW_RFT_DIRECTION, /* mo or mt */
    CW_RFT_STRING,    /* a string: == != in, compared byte for byte */
    CW_RFT_AGE,       /* a duration: compared with > >= < <= and a duration like 7d */
};

enum cw_rule_content_op {
#define CW_RULE_CONTENT_OP(id, name, type) CW_RCOP_##id,
#include "rules/rules.def"
    CW_RCOP__COUNT
};

enum cw_rule_field {
#define CW_RULE_FIELD(id, name, type) CW_RF_##id,
#include "rules/rules.def"
    CW_RF__COUNT
};

enum cw_rule_group {
#define CW_RULE_GROUP(id, name) CW_RG_##id,
#include "rules/rules.def"
    CW_RG__COUNT
};

enum cw_rule_severity {
#define CW_RULE_SEVERITY(id, name) CW_RS_##id,
#include "rules/rules.def"
    CW_RS__COUNT
};

enum cw_rule_agg {
#define CW_RULE_AGG(id, name) CW_RA_##id,
#include "rules/rules.def"
    CW_RA__COUNT
};

enum cw_rule_distinct {
#define CW_RULE_DISTINCT(id, name) CW_RD_##id,
#include "rules/rules.def"
    CW_RD__COUNT
};

/* Comparison of a count condition; CW_RCMP_NONE (0) marks a value-set condition. */
enum cw_rule_cmp {
    CW_RCMP_NONE = 0,
#define CW_RULE_CMP(id, op) CW_RCMP_##id,
#include "rules/rules.def"
    CW_RCMP__COUNT
};

extern const char *const cw_rule_top_names[CW_RTOP__COUNT];
extern const char *const cw_rule_kw_names[CW_RKW__COUNT];
extern const char *const cw_rule_content_op_names[CW_RCOP__COUNT];
extern const uint8_t cw_rule_content_op_types[CW_RCOP__COUNT];
extern const char *const cw_rule_field_names[CW_RF__COUNT];
extern const uint8_t cw_rule_field_types[CW_RF__COUNT];
extern const char *const cw_rule_group_names[CW_RG__COUNT];
extern const char *const cw_rule_severity_names[CW_RS__COUNT];
extern const char *const cw_rule_cmp_names[CW_RCMP__COUNT]; /* [CW_RCMP_NONE] is "" */
extern const char *const cw_rule_agg_names[CW_RA__COUNT];
extern const char *const cw_rule_distinct_names[CW_RD__COUNT];

/* Longest group key with its NUL: a calling>called pair of two numbers, or an ID pseudonym's
 * 64 hex digits. */
#define CW_RULE_KEY_MAX 72

/* Longest rule name, category, and description (bytes, without the NUL). */
#define CW_RULE_NAME_MAX 64
#define CW_RULE_DESC_MAX 1024
/* Longest window: a year and a day of packet time. */
#define CW_RULE_WINDOW_MAX_US (366ull * 86400u * 1000000u)
#define CW_RULE_THRESHOLD_MAX 1000000000ull
/* Largest number a count condition compares with. */
#define CW_RULE_COUNT_MAX 1000000000u
/* Most conditions in one rule, values in one list. */
#define CW_RULE_CONDS_MAX 64
/* Most 'threshold' lines in one rule, and 'distinct' ones among them. */
#define CW_RULE_THRESH_MAX 8
#define CW_RULE_DISTINCT_MAX 4
/* A distinct count is exact up to this many values, then a HyperLogLog of as many bytes as
 * the exact set takes (256 registers: about 6.5% standard error). */
#define CW_RULE_DISTINCT_EXACT 64
#define CW_RULE_HLL_REGS 256
/* Largest suppression period. */
#define CW_RULE_SUPPRESS_MAX_US CW_RULE_WINDOW_MAX_US
/* Most strings a string condition lists. */
#define CW_RULE_STRINGS_MAX 256
/* Most lists one content condition joins with 'or'. */
#define CW_RULE_COND_LISTS_MAX 4
/* Most content lists in one ruleset. */
#define CW_RULE_LISTS_MAX 256
/* Largest rule file read. */
#define CW_RULE_FILE_MAX (16u << 20)

/* One 'when' line. A content field (CW_RFT_TEXT, CW_RFT_NUMBER): true when the event's text
 * matches a pattern of list 'list' (its number has a prefix in it) XOR negate; op is
 * CW_RCMP_NONE and set is empty.
 * Otherwise with op CW_RCMP_NONE: true when (bit value(field) is in set) XOR negate;
 * for a boolean field the set is {1}; a value with no bit (an empty province, an out-of-range
 * kind) is not in the set. With another op (count fields only): true when value(field) op num;
 * negate is 0 and set is empty. */
struct cw_rule_cond {
    uint8_t field;     /* enum cw_rule_field */
    uint8_t negate;    /* 'not', '!=', 'not in' */
    uint8_t op;        /* enum cw_rule_cmp */
    uint16_t list;     /* content fields: index into the ruleset's lists (the first of lists) */
    uint16_t lists[4]; /* content fields: 'matches A or B': any of these lists (nlists) */
    uint8_t nlists;
    uint32_t num;   /* the number a count is compared with, <= CW_RULE_COUNT_MAX */
    uint64_t age_s; /* CW_RFT_AGE: the duration compared with, in seconds */
    uint64_t set[2];
    char *strs; /* CW_RFT_STRING: nstrs NUL-terminated strings back to back */
    uint32_t strs_len, nstrs;
};

/* One 'threshold' line: aggregate op number. */
struct cw_rule_thresh {
    uint8_t agg;   /* enum cw_rule_agg */
    uint8_t op;    /* enum cw_rule_cmp */
    uint8_t arg;   /* distinct: enum cw_rule_distinct; ratio: the numerator (CW_RULE_OPND_*) */
    uint8_t arg2;  /* ratio: the denominator */
    uint8_t slot;  /* distinct: which of the window's sets */
    double num;    /* what is compared with (span: seconds) */
    char name[40]; /* the aggregate's name in alerts: "distinct_called", "rate_per_min" */
    char text[96]; /* the line as the alert shows it: "distinct called >= 40" */
};

/* Operands of a ratio: events, received, or the count of one event kind (2 + kind). */
#define CW_RULE_OPND_EVENTS 0
#define CW_RULE_OPND_RECEIVED 1
#define CW_RULE_OPND_KIND 2

/* A content list declared in a rule file ('list NAME "path"'). */
struct cw_rule_list {
    char *name;
    char *path; /* as resolved: relative to the declaring file's directory */
    struct cw_content_list *cl;
    const char *file; /* the declaring file (the ruleset's file names) */
    unsigned line, col;
};

struct cw_rule {
    char *name;
    char *category;
    char *description; /* "" when not given */
    uint8_t severity;  /* enum cw_rule_severity; medium when not given */
    uint8_t group;     /* enum cw_rule_group */
    uint64_t window_us;
    uint64_t threshold; /* the smallest number of events that can fire: from 'threshold
                         * events >= N' (or >), else 1 */
    struct cw_rule_thresh th[CW_RULE_THRESH_MAX]; /* all must hold for the window to alert */
    unsigned nth;
    unsigned ndistinct;   /* sets a window keeps */
    uint64_t suppress_us; /* 0: none */
    uint8_t sliding;      /* 'window D sliding': a key's windows overlap, one opening every D/2 */
    uint64_t recv_kinds;  /* rules using 'received': bit per kind counted as received */
    uint8_t uses_received;
    unsigned samples; /* <= CW_ALERT_SAMPLES_MAX */
    unsigned nconds;
    unsigned ncheap; /* conds[0, ncheap) are bit and count tests; the content conditions come
                      * after them (prefix tests, then text scans) so they run last */
    struct cw_rule_cond *conds;
    const char *file; /* points into the ruleset's file names */
    unsigned line, col;
};

struct cw_ruleset {
    struct cw_rule *rules;
    size_t n, cap;
    char **files;
    size_t nfiles;
    struct cw_rule_list *lists;
    size_t nlists;
};

/** Default samples kept when a rule does not say. */
#define CW_RULE_SAMPLES_DEFAULT 3

/* ---- lexer ---- */

enum cw_tok_type {
    CW_TOK_EOF,
    CW_TOK_NL,     /* end of a line (comments are skipped) */
    CW_TOK_WORD,   /* [A-Za-z0-9_.]+ : names, keywords, numbers, durations */
    CW_TOK_STRING, /* "..." with \" \\ \n \t escapes; text holds the decoded value */
    CW_TOK_LBRACE,
    CW_TOK_RBRACE,
    CW_TOK_LBRACKET,
    CW_TOK_RBRACKET,
    CW_TOK_COMMA,
    CW_TOK_OP, /* == != >= > <= < = ! */
    CW_TOK_ERROR,
};

struct cw_tok {
    int type;
    const char *p; /* the token's bytes in the source (for strings, including the quotes) */
    size_t len;
    unsigned line, col;
    const char *text; /* CW_TOK_STRING: the decoded value, NUL-terminated (lexer's buffer) */
    size_t text_len;
    const char *errmsg; /* CW_TOK_ERROR: what is wrong */
};

struct cw_lexer {
    const char *p, *end;
    unsigned line, col;
    char strbuf[CW_RULE_DESC_MAX + 1];
};

void cw_rules_lex_init(struct cw_lexer *lx, const char *buf, size_t len);
/** Next token. On CW_TOK_ERROR the token's line/col point at the offending byte. */
void cw_rules_lex_next(struct cw_lexer *lx, struct cw_tok *t);
/** Describe a token for an error message ("'soon'", "end of line", "string \"x\""). */
void cw_rules_tok_describe(const struct cw_tok *t, char *out, size_t outlen);
/** 1 when the token is the word @p w. */
int cw_rules_tok_is(const struct cw_tok *t, const char *w);

/* ---- parser ---- */

/** Parse one source buffer and append its rules to @p rs (names unique across the set). */
int cw_rules_parse_into(struct cw_ruleset *rs, const char *name, const char *buf, size_t len,
                        char *err, size_t errlen);
/** An empty ruleset. */
struct cw_ruleset *cw_ruleset_new(void);

#endif
