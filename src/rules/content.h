/* content.h - content lists for the rule engine: keyword and regular-expression lists matched
 * against SMS text with Hyperscan (one block-mode database per list), and number-prefix lists
 * (a sorted array, binary search). The only user of Hyperscan is content.c.
 *
 * A list file is UTF-8 text, one pattern per line; lines whose first non-blank character is
 * '#' are comments, blank lines are ignored, leading and trailing blanks (and a '\r') are
 * trimmed. The file's name says its type: *.kw (keywords: literal text, ASCII letters matched
 * without regard to case), *.re (regular expressions as Hyperscan takes them, UTF-8 and
 * Unicode properties on), *.prefix (digit prefixes of numbers). Each pattern is identified by
 * its 1-based line number in the file.
 */
#ifndef CW_CONTENT_H
#define CW_CONTENT_H

#include <stddef.h>
#include <stdint.h>

enum cw_content_type {
    CW_CONTENT_KW,     /* *.kw */
    CW_CONTENT_RE,     /* *.re */
    CW_CONTENT_PREFIX, /* *.prefix */
};

/* Longest pattern line (bytes), most patterns in one list, largest list file. */
#define CW_CONTENT_PATTERN_MAX 1024
#define CW_CONTENT_PATTERNS_MAX 100000
#define CW_CONTENT_FILE_MAX (16u << 20)

struct cw_content_list;    /* opaque, immutable once built; shareable across workers */
struct cw_content_scratch; /* opaque, one per worker: not shareable */

/** The list type a file name says (by its ending), or -1. */
int cw_content_type_of(const char *path);
/** "keyword", "regex" or "prefix". */
const char *cw_content_type_name(int type);

/**
 * Parse and compile @p len bytes at @p buf (any bytes) as a list of @p type, named @p name in
 * messages. A bad pattern is reported as "NAME:LINE: error: MESSAGE" in @p err (Hyperscan's
 * message for a regex it rejects). Returns 0, CW_EFORMAT or CW_ENOMEM; an empty list is
 * valid (it matches nothing). The list is owned by the caller (cw_content_free).
 */
int cw_content_parse(const char *name, int type, const char *buf, size_t len,
                     struct cw_content_list **out, char *err, size_t errlen);
/** Read the list file @p path (a regular file, its type from its name) and parse it. Returns
 *  0, CW_EIO (cannot open or read; message in @p err), CW_EFORMAT or CW_ENOMEM. */
int cw_content_load(const char *path, struct cw_content_list **out, char *err, size_t errlen);
void cw_content_free(struct cw_content_list *l);

int cw_content_type(const struct cw_content_list *l);
size_t cw_content_count(const struct cw_content_list *l);
/** The pattern on line @p line as written in the file (trimmed), or NULL when that line holds
 *  none. Valid while the list lives. */
const char *cw_content_pattern(const struct cw_content_list *l, unsigned line);

/**
 * Make @p *s able to scan @p l: allocates a scratch when *s is NULL, else grows it. Call once
 * per list when a worker starts; never per event. Returns 0 or CW_ENOMEM.
 */
int cw_content_scratch_add(const struct cw_content_list *l, struct cw_content_scratch **s);
void cw_content_scratch_free(struct cw_content_scratch *s);

struct cw_content_match {
    unsigned line;   /* the pattern's line in the list file */
    size_t from, to; /* the matched bytes: text[from, to) */
};

/**
 * Scan @p len bytes of @p text with keyword or regex list @p l (scratch @p s made for it).
 * Fills up to @p max matches, one per pattern (the first match of each, in the order
 * Hyperscan reports them: by end offset), and stops scanning once @p max patterns matched.
 * Returns the number of matches (0 when none), or CW_EINVAL (a prefix list, a scratch not
 * made for @p l).
 */
int cw_content_match(const struct cw_content_list *l, struct cw_content_scratch *s,
                     const uint8_t *text, size_t len, struct cw_content_match *m, unsigned max);

/** The line of the longest prefix of prefix list @p l that begins @p num (@p len digits), or
 *  0 when none does. */
unsigned cw_content_prefix(const struct cw_content_list *l, const char *num, size_t len);

#endif
