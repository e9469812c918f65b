/* rules_lexer.c - tokens of the rule language (docs/rules.md): words, "strings", punctuation,
 * operators and ends of lines; '#' starts a comment that runs to the end of the line.
 *
 * The input is untrusted bytes of a known length (no NUL terminator needed): every read is
 * checked against the end. Columns count bytes from 1.
 */
#include <stdio.h>
#include <string.h>

#include "rules/rules_int.h"

const char *const cw_rule_top_names[CW_RTOP__COUNT] = {
#define CW_RULE_TOP(id, name) name,
#include "rules/rules.def"
};

const char *const cw_rule_content_op_names[CW_RCOP__COUNT] = {
#define CW_RULE_CONTENT_OP(id, name, type) name,
#include "rules/rules.def"
};

const uint8_t cw_rule_content_op_types[CW_RCOP__COUNT] = {
#define CW_RULE_CONTENT_OP(id, name, type) type,
#include "rules/rules.def"
};

const char *const cw_rule_kw_names[CW_RKW__COUNT] = {
#define CW_RULE_KW(id, name) name,
#include "rules/rules.def"
};

const char *const cw_rule_field_names[CW_RF__COUNT] = {
#define CW_RULE_FIELD(id, name, type) name,
#include "rules/rules.def"
};

const uint8_t cw_rule_field_types[CW_RF__COUNT] = {
#define CW_RULE_FIELD(id, name, type) type,
#include "rules/rules.def"
};

const char *const cw_rule_group_names[CW_RG__COUNT] = {
#define CW_RULE_GROUP(id, name) name,
#include "rules/rules.def"
};

const char *const cw_rule_severity_names[CW_RS__COUNT] = {
#define CW_RULE_SEVERITY(id, name) name,
#include "rules/rules.def"
};

const char *const cw_rule_agg_names[CW_RA__COUNT] = {
#define CW_RULE_AGG(id, name) name,
#include "rules/rules.def"
};

const char *const cw_rule_distinct_names[CW_RD__COUNT] = {
#define CW_RULE_DISTINCT(id, name) name,
#include "rules/rules.def"
};

const char *const cw_rule_cmp_names[CW_RCMP__COUNT] = {
    "",
#define CW_RULE_CMP(id, op) op,
#include "rules/rules.def"
};

void cw_rules_lex_init(struct cw_lexer *lx, const char *buf, size_t len)
{
    lx->p = buf;
    lx->end = buf + len;
    lx->line = 1;
    lx->col = 1;
    lx->strbuf[0] = '\0';
}

static int is_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
}

static void advance(struct cw_lexer *lx, size_t n)
{
    lx->p += n;
    lx->col += (unsigned)n;
}

static void lex_string(struct cw_lexer *lx, struct cw_tok *t)
{
    size_t n = 0;
    advance(lx, 1); /* opening quote */
    while (lx->p < lx->end) {
        unsigned char c = (unsigned char)*lx->p;
        if (c == '"') {
            advance(lx, 1);
            t->type = CW_TOK_STRING;
            t->len = (size_t)(lx->p - t->p);
            lx->strbuf[n] = '\0';
            t->text = lx->strbuf;
            t->text_len = n;
            return;
        }
        if (c == '\n' || c == '\r')
            break; /* strings do not span lines */
        if (c < 0x20 && c != '\t') {
            t->type = CW_TOK_ERROR;
            t->errmsg = "control character in a string (write \\n or \\t)";
            t->line = lx->line;
            t->col = lx->col;
            return;
        }
        if (c == '\\') {
            if (lx->end - lx->p < 2)
                break;
            char e = lx->p[1];
            switch (e) {
            case '"': c = '"'; break;
            case '\\': c = '\\'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            default:
                t->type = CW_TOK_ERROR;
                t->errmsg = "unknown escape in a string, expected one of \\\" \\\\ \\n \\t";
                t->line = lx->line;
                t->col = lx->col;
                return;
            }
            advance(lx, 1);
        }
        if (n >= CW_RULE_DESC_MAX) {
            t->type = CW_TOK_ERROR;
            t->errmsg = "string longer than 1024 bytes";
            return; /* position: the opening quote */
        }
        lx->strbuf[n++] = (char)c;
        advance(lx, 1);
    }
    t->type = CW_TOK_ERROR;
    t->errmsg = "unterminated string: expected '\"' before the end of the line";
}

void cw_rules_lex_next(struct cw_lexer *lx, struct cw_tok *t)
{
    memset(t, 0, sizeof *t);
    /* skip blanks and comments; a newline is a token */
    while (lx->p < lx->end) {
        char c = *lx->p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            advance(lx, 1);
        } else if (c == '#') {
            while (lx->p < lx->end && *lx->p != '\n')
                advance(lx, 1);
        } else {
            break;
        }
    }
    t->p = lx->p;
    t->line = lx->line;
    t->col = lx->col;
    if (lx->p >= lx->end) {
        t->type = CW_TOK_EOF;
        return;
    }
    unsigned char c = (unsigned char)*lx->p;
    if (c == '\n') {
        t->type = CW_TOK_NL;
        t->len = 1;
        lx->p++;
        lx->line++;
        lx->col = 1;
        return;
    }
    if (is_word_char(c)) {
        while (lx->p < lx->end && is_word_char((unsigned char)*lx->p))
            advance(lx, 1);
        t->type = CW_TOK_WORD;
        t->len = (size_t)(lx->p - t->p);
        return;
    }
    if (c == '"') {
        lex_string(lx, t);
        return;
    }
    size_t len = 1;
    switch (c) {
    case '{': t->type = CW_TOK_LBRACE; break;
    case '}': t->type = CW_TOK_RBRACE; break;
    case '[': t->type = CW_TOK_LBRACKET; break;
    case ']': t->type = CW_TOK_RBRACKET; break;
    case ',': t->type = CW_TOK_COMMA; break;
    case '/': t->type = CW_TOK_OP; break;
    case '=':
    case '!':
    case '>':
    case '<':
        t->type = CW_TOK_OP;
        if (lx->end - lx->p >= 2 && lx->p[1] == '=')
            len = 2;
        break;
    default:
        t->type = CW_TOK_ERROR;
        t->errmsg = c >= 0x80 ? "unexpected non-ASCII byte (text belongs in a \"quoted string\")"
                              : "unexpected character";
        t->len = 1;
        return;
    }
    t->len = len;
    advance(lx, len);
}

int cw_rules_tok_is(const struct cw_tok *t, const char *w)
{
    size_t n = strlen(w);
    return t->type == CW_TOK_WORD && t->len == n && memcmp(t->p, w, n) == 0;
}

/* Copy up to 40 bytes of @p p, escaping what is not printable ASCII. */
static void quote_bytes(const char *p, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    size_t shown = len > 40 ? 40 : len;
    for (size_t i = 0; i < shown && o + 5 < outlen; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '\'') {
            out[o++] = (char)c;
        } else {
            snprintf(out + o, outlen - o, "\\x%02X", c);
            o += 4;
        }
    }
    if (shown < len && o + 4 < outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o < outlen ? o : outlen - 1] = '\0';
}

void cw_rules_tok_describe(const struct cw_tok *t, char *out, size_t outlen)
{
    char q[200];
    switch (t->type) {
    case CW_TOK_EOF: snprintf(out, outlen, "end of file"); return;
    case CW_TOK_NL: snprintf(out, outlen, "end of line"); return;
    case CW_TOK_STRING:
        quote_bytes(t->text, t->text_len, q, sizeof q);
        snprintf(out, outlen, "string \"%s\"", q);
        return;
    default:
        quote_bytes(t->p, t->len, q, sizeof q);
        snprintf(out, outlen, "'%s'", q);
        return;
    }
}
