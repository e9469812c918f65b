/* sip.c - SIP message parser and call / SMS / registration event extraction.
 *
 * Implements the message syntax of RFC 3261 (sections 7, 18.3, 20, 25), tel: URIs of
 * RFC 3966, the P-Asserted-Identity header of RFC 3325, the P-Access-Network-Info header of
 * RFC 7315 with the cell identities of 3GPP TS 24.229 7.2A.4, and the device's IMEI as a
 * Contact +sip.instance (RFC 5626 4.1, RFC 7254 / 7255 urn:gsma:imei).
 *
 *   INVITE sip:+8613800000000@ims.example.net SIP/2.0    start line: method SP Request-URI
 *   v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK77        SP SIP/2.0 (or "SIP/2.0 200 OK")
 *   f: "A \"B\"" <sip:+8613900000000@ex.net>;tag=1       headers: name ":" value, CRLF
 *   t: <tel:+86-138-0000-0000>                           (or LF), compact names; a line
 *   P-Asserted-Identity: <sip:x@ex.net>,                 starting with SP/HT continues
 *     <tel:+8613900000000>                               the header before it
 *   l: 4                                                 Content-Length frames the body
 *   P-Access-Network-Info: 3GPP-E-UTRAN-FDD;             the sending device's cell:
 *     utran-cell-id-3gpp=4600012340c3d4e5                MCC MNC TAC ECI (hex)
 *   m: <sip:a@10.0.0.1>;+sip.instance=                   Contact: the device's IMEI
 *     "<urn:gsma:imei:35332510-123456-0>"
 *                                                        empty line ends the headers
 *   body                                                 Content-Length bytes
 *
 * On a stream (TCP) Content-Length is the only framing (absent means 0, RFC 3261 18.3); on a
 * datagram the body is the rest of the datagram, cut to Content-Length when that is smaller.
 * Every read is bounded by the slice; nothing is allocated; malformed input is counted.
 */
#include "decode/sip.h"

#include "decode/sms_tpdu.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "util/imei.h"

/* Longest method token accepted (the real ones are at most 9 characters). */
#define SIP_METHOD_MAX 32

/* Anomalies found while parsing one message; added to the caller's stats only when the
 * parse is final (OK or ERROR), so re-parsing a partial stream message does not recount. Only
 * SIP's own reasons are noted here; they come first in enum cw_decode_anomaly. */
#define SIP_ONE(id, name) +1
enum { SIP_NANOMALIES = 0 CW_SIP_ANOMALIES(SIP_ONE) };
#undef SIP_ONE
_Static_assert(CW_DA_SIP_BAD_START_LINE == 0 && CW_DA_SIP_BAD_SMS_PDU == SIP_NANOMALIES - 1,
               "the SIP anomalies are the first ones");

struct pending {
    uint32_t n[SIP_NANOMALIES];
    uint32_t any;
};

static void note(struct pending *pd, enum cw_decode_anomaly a)
{
    pd->n[a]++;
    pd->any = 1;
}

static int finish(int rc, const struct pending *pd, struct cw_decode_stats *st)
{
    if (rc != CW_PARSE_INCOMPLETE && st && pd->any)
        for (unsigned i = 0; i < SIP_NANOMALIES; i++)
            st->anomalies[i] += pd->n[i];
    return rc;
}

/* Character classes (RFC 3261 25.1), one lookup per byte on the hot path; the *_STOP
 * classes are the bytes where a scan of one kind has something to look at. */
enum {
    CH_TOKEN = 1,
    CH_LWS = 2,
    CH_CTL = 4,
    CH_PARAM_STOP = 8,   /* ';' '"': the end of a parameter, or a quoted-string in it */
    CH_ELEM_STOP = 16,   /* ',' '"' '<': next_element */
    CH_PARAMS_STOP = 32, /* ';' '"' '<': params_start */
    CH_QUOTED_STOP = 64, /* '"' '\\': inside a quoted-string */
};
#define T CH_TOKEN
#define L CH_LWS
#define C CH_CTL
#define PS CH_PARAM_STOP
#define ES CH_ELEM_STOP
#define HS CH_PARAMS_STOP
#define QS CH_QUOTED_STOP
/* clang-format off */
static const uint8_t ch_class[256] = {
    C, C, C, C, C, C, C, C, C, L|C, L|C, C, C, L|C, C, C, /* HT LF CR */
    C, C, C, C, C, C, C, C, C, C, C, C, C, C, C, C,
    L, T, PS|ES|HS|QS, 0, 0, T, 0, T, 0, 0, T, T, ES, T, T, 0, /* SP ! " % ' * + , - . */
    T, T, T, T, T, T, T, T, T, T, 0, PS|HS, ES|HS, 0, 0, 0, /* ; < */
    0, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
    T, T, T, T, T, T, T, T, T, T, T, 0, QS, 0, 0, T, /* \ _ */
    T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, /* ` */
    T, T, T, T, T, T, T, T, T, T, T, 0, 0, 0, T, C, /* ~ DEL */
};
/* clang-format on */
#undef T
#undef L
#undef C
#undef PS
#undef ES
#undef HS
#undef QS

/* The first byte in [p, end) of class @p cls, or end. */
static const uint8_t *scan_to(const uint8_t *p, const uint8_t *end, unsigned cls)
{
    while (p < end && !(ch_class[*p] & cls))
        p++;
    return p;
}

static int is_token(uint8_t c)
{
    return ch_class[c] & CH_TOKEN;
}

/* Linear white space, including the CR LF of a folded line. */
static int is_lws(uint8_t c)
{
    return ch_class[c] & CH_LWS;
}

static int is_ctl(uint8_t c)
{
    return ch_class[c] & CH_CTL;
}

/* The first control character (below 0x20, or DEL) in [p, e), or e. Every byte of a SIP
 * message is looked at here once, so it goes 16 bytes at a time where SSE2 is there (any
 * x86-64), else 8 (a word without such a byte is skipped whole; bytes from 0x80 are not
 * controls). */
static const uint8_t *next_ctl(const uint8_t *p, const uint8_t *e)
{
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
    while ((size_t)(e - p) >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned printable = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, space), v));
        unsigned m = (~printable & 0xffffu) | (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, del));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while ((size_t)(e - p) >= 8) {
        uint64_t w, x;
        memcpy(&w, p, sizeof w);
        x = w ^ (0x7f * ones);
        if ((((w - 0x20 * ones) & ~w) | ((x - ones) & ~x)) & highs)
            break; /* maybe one here: look byte by byte */
        p += 8;
    }
    while (p < e && !is_ctl(*p))
        p++;
    return p;
}

/* Does [p, e) hold a control character (but HT when @p tab_ok)? */
static int any_ctl(const uint8_t *p, const uint8_t *e, int tab_ok)
{
    while ((p = next_ctl(p, e)) < e) {
        if (!(tab_ok && *p == '\t'))
            return 1;
        p++;
    }
    return 0;
}

static int has_ctl(struct cw_slice s)
{
    return any_ctl(s.p, s.p + s.len, 0);
}

static int is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static struct cw_slice span(const uint8_t *a, const uint8_t *b)
{
    struct cw_slice s = {a, (size_t)(b - a)};
    return s;
}

static struct cw_slice trim_lws(struct cw_slice s)
{
    while (s.len && is_lws(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && is_lws(s.p[s.len - 1]))
        s.len--;
    return s;
}

static const uint8_t *skip_lws(const uint8_t *p, const uint8_t *end)
{
    while (p < end && is_lws(*p))
        p++;
    return p;
}

/* Past a quoted-string starting at the '"' at p; NULL when it is not closed. */
static const uint8_t *skip_quoted(const uint8_t *p, const uint8_t *end)
{
    p++;
    while ((p = scan_to(p, end, CH_QUOTED_STOP)) < end) {
        if (*p == '"')
            return p + 1;
        if (2 > (size_t)(end - p)) /* a '\\' escapes the next byte */
            return NULL;
        p += 2;
    }
    return NULL;
}

/* Next top-level ',' (outside quotes and <>) at or after p, or end. */
static const uint8_t *next_element(const uint8_t *p, const uint8_t *end)
{
    if (!memchr(p, ',', (size_t)(end - p)))
        return end; /* the usual single element: whatever the quotes and <> are, no ',' */
    while ((p = scan_to(p, end, CH_ELEM_STOP)) < end && *p != ',') {
        if (*p == '"') {
            p = skip_quoted(p, end);
            if (!p)
                return end;
        } else if (*p == '<') {
            const uint8_t *gt = memchr(p, '>', (size_t)(end - p));
            if (!gt)
                return end;
            p = gt + 1;
        }
    }
    return p;
}

/* Scheme of an absolute URI: ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") ":" */
static int has_scheme(const uint8_t *p, const uint8_t *e)
{
    if (p == e || lower(*p) < 'a' || lower(*p) > 'z')
        return 0;
    for (p++; p < e; p++) {
        uint8_t c = lower(*p);
        if (c == ':')
            return 1;
        if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '-' || c == '.'))
            return 0;
    }
    return 0;
}

/*
 * One name-addr or addr-spec at p (From, To, one P-Asserted-Identity element):
 *   "Display \"Name\"" <sip:user@host;uri-params>;tag=x   ->  sip:user@host;uri-params
 *   Display Name <tel:+1-212-555-0100>                    ->  tel:+1-212-555-0100
 *   sip:user;npdi@host;tag=x                              ->  sip:user;npdi@host
 * In addr-spec form the ';' after the host starts header parameters (RFC 3261 20.10), but a
 * ';' before the '@' belongs to the user part. Some phones send a display name that is neither
 * a token list nor a quoted-string (`\"arik\" <sip:...>`); as tshark does, the URI in <> is
 * still taken, and the header is reported as malformed.
 * Returns 0 and the URI, 1 and the URI when the display name was malformed, -1 when there is
 * no URI to take. @p clean: [p, end) is known to hold no control character (not even HT).
 */
static int parse_addr(const uint8_t *p, const uint8_t *end, int clean, struct cw_slice *uri)
{
    int quirk = 0;
    p = skip_lws(p, end);
    const uint8_t *lt = NULL;
    if (p < end && *p == '"' && (lt = skip_quoted(p, end)) != NULL) {
        lt = skip_lws(lt, end);
        if (lt == end || *lt != '<')
            return -1;
    } else {
        /* An addr-spec never holds a '<': with one, what comes before it is a display name
         * (a token list when well-formed). */
        lt = memchr(p, '<', (size_t)(end - p));
        for (const uint8_t *q = p; lt && q < lt && !quirk; q++)
            if (!(ch_class[*q] & (CH_TOKEN | CH_LWS)))
                quirk = 1;
    }
    if (lt) {
        const uint8_t *gt = memchr(lt, '>', (size_t)(end - lt));
        if (!gt)
            return -1;
        struct cw_slice u = trim_lws(span(lt + 1, gt));
        if (!has_scheme(u.p, u.p + u.len) || (!clean && has_ctl(u)))
            return -1;
        *uri = u;
        return quirk;
    }
    const uint8_t *s = p, *e = p, *at = NULL;
    while (e < end && !is_lws(*e) && *e != ',') {
        if (*e == '@' && !at)
            at = e;
        e++;
    }
    const uint8_t *semi = memchr(at ? at : s, ';', (size_t)(e - (at ? at : s)));
    if (semi)
        e = semi;
    if (!has_scheme(s, e) || (!clean && has_ctl(span(s, e))))
        return -1;
    *uri = span(s, e);
    return 0;
}

static int uri_is_tel(struct cw_slice uri)
{
    return cw_slice_istarts(uri, "tel:");
}

/* Header values the parser keeps while it goes through the lines. */
struct hdr_state {
    int pai_is_tel;
    int cl_bad;
    int pani_found;     /* msg->pani_* are set: later access-net-specs are not looked at */
    int instance_found; /* msg->sip_instance is set */
    int noted;          /* the current header has been counted as bad already */
    int clean;          /* the current header's value holds no control character, not even HT
                         * (a folded one holds the CR LF of its fold) */
};

/* Count a malformed header once, however many things are wrong with it. */
static void header_bad(struct hdr_state *hs, struct pending *pd)
{
    if (!hs->noted)
        note(pd, CW_DA_SIP_BAD_HEADER);
    hs->noted = 1;
}

/* Where the ';' parameters of one header element [p, e) start: after the URI's '>' in
 * name-addr form, else at the first ';' (RFC 3261 20.10: a URI holding ';' is written in <>);
 * e when there are none. Quoted strings are skipped whole. */
static const uint8_t *params_start(const uint8_t *p, const uint8_t *e)
{
    while ((p = scan_to(p, e, CH_PARAMS_STOP)) < e && *p != ';') {
        if (*p == '"') {
            p = skip_quoted(p, e);
            if (!p)
                return e;
        } else { /* '<' */
            const uint8_t *gt = memchr(p, '>', (size_t)(e - p));
            if (!gt)
                return e;
            p = gt + 1;
        }
    }
    return p;
}

/* The value of the parameter @p name (case-insensitive) among the ';' parameters at p (a ';'
 * or e), without the double quotes of a quoted-string. Returns 1 when it is there with a
 * value, else 0 (also when a quoted-string is not closed). */
static int find_param(const uint8_t *p, const uint8_t *e, const char *name, struct cw_slice *val)
{
    while (p < e) {
        const uint8_t *s = ++p; /* past the ';' */
        while ((p = scan_to(p, e, CH_PARAM_STOP)) < e && *p == '"') {
            p = skip_quoted(p, e);
            if (!p)
                return 0;
        }
        struct cw_slice prm = trim_lws(span(s, p));
        const uint8_t *eq = prm.len ? memchr(prm.p, '=', prm.len) : NULL;
        if (!eq || !cw_slice_ieq(trim_lws(span(prm.p, eq)), name))
            continue;
        struct cw_slice v = trim_lws(span(eq + 1, prm.p + prm.len));
        if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"') {
            v.p++;
            v.len -= 2;
        }
        *val = v;
        return 1;
    }
    return 0;
}

/* P-Access-Network-Info (RFC 7315 5.4): access-net-spec *(COMMA access-net-spec), each an
 * access-type then parameters; the first that names a cell is kept. */
static void on_pani(struct cw_slice value, struct cw_sip_msg *msg, struct hdr_state *hs)
{
    static const char *const cell_params[] = {"utran-cell-id-3gpp", "cgi-3gpp", "nrcgi"};
    const uint8_t *p = value.p, *vend = value.p + value.len;
    int n = 0;
    while (p < vend && !hs->pani_found && n++ < 16) {
        const uint8_t *next = next_element(p, vend);
        const uint8_t *ps = params_start(p, next);
        for (size_t i = 0; i < sizeof cell_params / sizeof cell_params[0]; i++) {
            struct cw_slice id;
            if (find_param(ps, next, cell_params[i], &id)) {
                msg->pani_access = trim_lws(span(p, ps));
                msg->pani_cell_id = id;
                hs->pani_found = 1;
                break;
            }
        }
        p = next < vend ? next + 1 : vend;
    }
}

/* Contact: the first contact with a +sip.instance parameter (RFC 5626 4.1). */
static void on_contact(struct cw_slice value, struct cw_sip_msg *msg, struct hdr_state *hs)
{
    const uint8_t *p = value.p, *vend = value.p + value.len;
    int n = 0;
    while (p < vend && !hs->instance_found && n++ < 16) {
        const uint8_t *next = next_element(p, vend);
        if (find_param(params_start(p, next), next, "+sip.instance", &msg->sip_instance))
            hs->instance_found = 1;
        p = next < vend ? next + 1 : vend;
    }
}

/* The headers read (RFC 3261 7.3.3 compact forms too). */
enum hdr_id {
    HDR_OTHER = 0,
    HDR_FROM,
    HDR_TO,
    HDR_PAI,
    HDR_PANI,
    HDR_CONTACT,
    HDR_CALL_ID,
    HDR_CSEQ,
    HDR_CONTENT_TYPE,
    HDR_CONTENT_LENGTH,
};

/* Is the header name @p name (token characters only) @p lit (lower case letters and '-', as
 * long as the name), case-insensitively? For such bytes setting bit 0x20 is exact case folding:
 * the only other byte it maps onto a letter or '-' is CR, never in a token. Eight at a time. */
static inline int name_is(struct cw_slice name, const char *lit)
{
    size_t i = 0;
    for (; name.len - i >= 8; i += 8) {
        uint64_t a, b;
        memcpy(&a, name.p + i, sizeof a);
        memcpy(&b, lit + i, sizeof b);
        if ((a | 0x2020202020202020ull) != b)
            return 0;
    }
    for (; i < name.len; i++)
        if ((name.p[i] | 0x20) != (uint8_t)lit[i])
            return 0;
    return 1;
}

/* Which header @p name is, case-insensitively: by its length first, so that most names are
 * told apart without a comparison. */
static enum hdr_id header_id(struct cw_slice name)
{
    switch (name.len) {
    case 1:
        switch (lower(name.p[0])) {
        case 'f': return HDR_FROM;
        case 't': return HDR_TO;
        case 'm': return HDR_CONTACT;
        case 'i': return HDR_CALL_ID;
        case 'c': return HDR_CONTENT_TYPE;
        case 'l': return HDR_CONTENT_LENGTH;
        default: return HDR_OTHER;
        }
    case 2: return name_is(name, "to") ? HDR_TO : HDR_OTHER;
    case 4: return name_is(name, "from") ? HDR_FROM : name_is(name, "cseq") ? HDR_CSEQ : HDR_OTHER;
    case 7:
        return name_is(name, "contact")   ? HDR_CONTACT
               : name_is(name, "call-id") ? HDR_CALL_ID
                                          : HDR_OTHER;
    case 12: return name_is(name, "content-type") ? HDR_CONTENT_TYPE : HDR_OTHER;
    case 14: return name_is(name, "content-length") ? HDR_CONTENT_LENGTH : HDR_OTHER;
    case 19: return name_is(name, "p-asserted-identity") ? HDR_PAI : HDR_OTHER;
    case 21: return name_is(name, "p-access-network-info") ? HDR_PANI : HDR_OTHER;
    default: return HDR_OTHER;
    }
}

static void on_header(struct cw_slice name, struct cw_slice value, struct cw_sip_msg *msg,
                      struct hdr_state *hs, struct pending *pd)
{
    const uint8_t *vend = value.p + value.len;
    enum hdr_id id = header_id(name);
    if (id == HDR_OTHER)
        return;
    if (id == HDR_FROM) {
        if (msg->from_uri.len == 0 && parse_addr(value.p, vend, hs->clean, &msg->from_uri) != 0)
            header_bad(hs, pd); /* no URI, or one behind a malformed name */
    } else if (id == HDR_TO) {
        if (msg->to_uri.len == 0 && parse_addr(value.p, vend, hs->clean, &msg->to_uri) != 0)
            header_bad(hs, pd);
    } else if (id == HDR_PAI) {
        /* RFC 3325 9.1: one or more identities; a sip: one and a tel: one at most. */
        const uint8_t *p = value.p;
        int n = 0;
        while (p < vend && n++ < 16) {
            struct cw_slice uri;
            const uint8_t *next = next_element(p, vend);
            int r = parse_addr(p, next, hs->clean, &uri);
            if (r == 1)
                header_bad(hs, pd);
            if (r >= 0) {
                if (msg->pai_uri.len == 0 || (!hs->pai_is_tel && uri_is_tel(uri))) {
                    msg->pai_uri = uri;
                    hs->pai_is_tel = uri_is_tel(uri);
                }
            } else if (trim_lws(span(p, next)).len) {
                header_bad(hs, pd);
            }
            p = next < vend ? next + 1 : vend;
        }
    } else if (id == HDR_PANI) {
        on_pani(value, msg, hs);
    } else if (id == HDR_CONTACT) {
        on_contact(value, msg, hs);
    } else if (id == HDR_CALL_ID) {
        if (msg->call_id.len == 0)
            msg->call_id = trim_lws(value);
    } else if (id == HDR_CSEQ) {
        const uint8_t *p = skip_lws(value.p, vend);
        while (p < vend && is_digit(*p))
            p++;
        p = skip_lws(p, vend);
        const uint8_t *m = p;
        while (p < vend && is_token(*p))
            p++;
        if (msg->cseq_method.len == 0)
            msg->cseq_method = span(m, p);
    } else if (id == HDR_CONTENT_TYPE) {
        const uint8_t *semi = memchr(value.p, ';', value.len);
        if (msg->content_type.len == 0)
            msg->content_type = trim_lws(span(value.p, semi ? semi : vend));
    } else if (id == HDR_CONTENT_LENGTH) {
        uint64_t v;
        if (cw_slice_to_u64(trim_lws(value), CW_SIP_MAX_MSG, &v) != 0) {
            hs->cl_bad = 1; /* not a number, negative, or absurd */
            note(pd, CW_DA_SIP_BAD_CONTENT_LENGTH);
        } else if (msg->has_content_length && msg->content_length != (size_t)v) {
            hs->cl_bad = 1; /* two different lengths: the message cannot be framed */
            note(pd, CW_DA_SIP_BAD_CONTENT_LENGTH);
        } else {
            msg->has_content_length = 1;
            msg->content_length = (size_t)v;
        }
    }
}

/* What scan_line saw in a line before its end. */
enum { LINE_HT = 1, LINE_CTL = 2 /* a control character but HT: RFC 3261 25.1 allows none */ };

/* The line at @p p in one pass: *nl is its LF, or @p end when there is none. Returns LINE_*
 * bits for what [p, le) holds, le being the line's end without the CR right before its LF
 * (or right before @p end). */
static unsigned scan_line(const uint8_t *p, const uint8_t *end, const uint8_t **nl)
{
    unsigned seen = 0;
    while ((p = next_ctl(p, end)) < end) {
        if (*p == '\n')
            break;
        if (*p == '\r' && (end - p == 1 || p[1] == '\n')) {
            p++; /* the CR of the line's end */
            break;
        }
        seen |= *p == '\t' ? LINE_HT : LINE_CTL;
        p++;
    }
    *nl = p;
    return seen;
}

/* Does an empty line (LF, or CR LF) follow the LF at d[i]? Then the headers end there:
 * *sect is the length of the start line and header lines, *hlen that plus the empty line. */
static int empty_line_after(const uint8_t *d, size_t len, size_t i, size_t *sect, size_t *hlen)
{
    if (i + 1 < len && d[i + 1] == '\n') {
        *sect = i + 1;
        *hlen = i + 2;
        return 1;
    }
    if (i + 2 < len && d[i + 1] == '\r' && d[i + 2] == '\n') {
        *sect = i + 1;
        *hlen = i + 3;
        return 1;
    }
    return 0;
}

/* Header lines in [p, end), each ending in LF (the last may not, for a cut datagram).
 * With @p d non-NULL (the message, @p len bytes), the lines go on only to the empty line that
 * ends the headers, found on the way as find_header_end finds it (when @p end is d + its lim):
 * returns 1 with *sect and *hlen set there, or 0 when there is none. Without, returns 0. */
static int parse_headers(const uint8_t *p, const uint8_t *end, struct cw_sip_msg *msg,
                         struct hdr_state *hs, struct pending *pd, const uint8_t *d, size_t len,
                         size_t *sect, size_t *hlen)
{
    int found = 0;
    struct cw_slice name = {0, 0}, value = {0, 0};
    int have = 0;   /* a header is being collected (continuation lines extend it) */
    int in_bad = 0; /* the line being continued had no header name: drop its continuations */
    while (p < end) {
        const uint8_t *nl;
        unsigned seen = scan_line(p, end, &nl);
        const uint8_t *next = nl < end ? nl + 1 : end;
        const uint8_t *le = nl;
        if (le > p && le[-1] == '\r')
            le--;
        if (*p == ' ' || *p == '\t') {
            if (have) {
                value.len = (size_t)(le - value.p);
                hs->clean = 0;
                if (seen & LINE_CTL)
                    header_bad(hs, pd);
            } else if (!in_bad) {
                note(pd, CW_DA_SIP_BAD_HEADER); /* continuation of nothing */
            }
            p = next;
            if (d && nl < end && empty_line_after(d, len, (size_t)(nl - d), sect, hlen)) {
                found = 1;
                break;
            }
            continue;
        }
        if (have)
            on_header(name, value, msg, hs, pd);
        have = 0;
        in_bad = 0;
        hs->noted = 0;
        /* name: token chars, then blanks, then the line's first ':' (neither is a token char) */
        const uint8_t *ne = p;
        while (ne < le && is_token(*ne))
            ne++;
        const uint8_t *colon = ne;
        while (colon < le && (*colon == ' ' || *colon == '\t'))
            colon++;
        if (ne > p && colon < le && *colon == ':') {
            name = span(p, ne);
            value = span(colon + 1, le);
            have = 1;
            /* Control bytes in a value (seen in real tags) are counted; the header is still
             * read, and a URI holding any is refused by parse_addr. The name before the
             * value holds none (an HT among the blanks before ':' only costs that check). */
            hs->clean = seen == 0;
            if (seen & LINE_CTL)
                header_bad(hs, pd);
        } else {
            note(pd, CW_DA_SIP_BAD_HEADER);
            in_bad = 1;
        }
        p = next;
        if (d && nl < end && empty_line_after(d, len, (size_t)(nl - d), sect, hlen)) {
            found = 1;
            break;
        }
    }
    if (have)
        on_header(name, value, msg, hs, pd);
    return found;
}

/* The start line [p, e) without its line end. Returns 0, or -1 when it is not SIP. */
static int parse_start_line(const uint8_t *p, const uint8_t *e, struct cw_sip_msg *msg)
{
    if (any_ctl(p, e, 0))
        return -1;
    struct cw_slice line = span(p, e);
    if (cw_slice_istarts(line, "SIP/2.0 ")) {
        const uint8_t *q = p + 8;
        while (q < e && *q == ' ')
            q++;
        if (3 > (size_t)(e - q) || !is_digit(q[0]) || !is_digit(q[1]) || !is_digit(q[2]))
            return -1;
        unsigned code =
            (unsigned)(q[0] - '0') * 100 + (unsigned)(q[1] - '0') * 10 + (unsigned)(q[2] - '0');
        q += 3;
        if (code < 100 || code > 699 || (q < e && *q != ' '))
            return -1;
        msg->is_request = 0;
        msg->status = code;
        return 0;
    }
    const uint8_t *q = p;
    while (q < e && is_token(*q))
        q++;
    if (q == p || (size_t)(q - p) > SIP_METHOD_MAX || q == e || *q != ' ')
        return -1;
    msg->method = span(p, q);
    while (q < e && *q == ' ')
        q++;
    const uint8_t *u = q;
    q = memchr(u, ' ', (size_t)(e - u));
    if (!q)
        q = e;
    if (!has_scheme(u, q))
        return -1;
    msg->request_uri = span(u, q);
    while (q < e && *q == ' ')
        q++;
    const uint8_t *v = q;
    while (q < e && *q != ' ')
        q++;
    if (!cw_slice_ieq(span(v, q), "SIP/2.0"))
        return -1;
    while (q < e && *q == ' ')
        q++;
    if (q != e)
        return -1;
    msg->is_request = 1;
    return 0;
}

/* Could [p, e) (a start line not yet ended) still become a SIP start line? */
static int start_prefix_ok(const uint8_t *p, const uint8_t *e)
{
    if (p < e && e[-1] == '\r')
        e--;
    for (const uint8_t *q = p; q < e; q++)
        if (is_ctl(*q))
            return 0;
    const uint8_t *q = p;
    while (q < e && *q != ' ')
        q++;
    size_t n = (size_t)(q - p);
    /* "SIP/2.0" or a part of it (a response), else a method token */
    static const char ver[] = "SIP/2.0";
    if (n < sizeof ver) {
        size_t i = 0;
        while (i < n && lower(p[i]) == lower((uint8_t)ver[i]))
            i++;
        if (i == n)
            return 1;
    }
    if (n > SIP_METHOD_MAX)
        return 0;
    for (const uint8_t *r = p; r < q; r++)
        if (!is_token(*r))
            return 0;
    return 1;
}

/* Where the headers end: the first LF followed by LF or CR LF, searched in [0, lim).
 * Sets *sect (bytes of start line + header lines) and *hlen (plus the empty line). */
static int find_header_end(const uint8_t *d, size_t len, size_t lim, size_t *sect, size_t *hlen)
{
    const uint8_t *p = d, *end = d + lim;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return 0;
        if (empty_line_after(d, len, (size_t)(nl - d), sect, hlen))
            return 1;
        p = nl + 1;
    }
    return 0;
}

/* A datagram given up after its headers were read: the message keeps only its start line. */
static void drop_headers(struct cw_sip_msg *msg, struct pending *pd)
{
    struct cw_sip_msg m;
    memset(&m, 0, sizeof m);
    m.is_request = msg->is_request;
    m.method = msg->method;
    m.status = msg->status;
    m.request_uri = msg->request_uri;
    *msg = m;
    memset(pd, 0, sizeof *pd); /* nothing else was noted before the headers */
}

/* Fewest bytes that could still complete the empty line after the partial headers. */
static size_t header_end_needed(const uint8_t *d, size_t len)
{
    if (len >= 1 && d[len - 1] == '\n')
        return 1;
    if (len >= 2 && d[len - 1] == '\r' && d[len - 2] == '\n')
        return 1;
    return 2;
}

int cw_sip_parse(const uint8_t *data, size_t len, int is_stream, struct cw_sip_msg *msg,
                 size_t *consumed, size_t *needed, struct cw_decode_stats *st)
{
    struct pending pd;
    size_t dummy_c, dummy_n;
    memset(&pd, 0, sizeof pd);
    memset(msg, 0, sizeof *msg);
    if (!consumed)
        consumed = &dummy_c;
    if (!needed)
        needed = &dummy_n;
    *consumed = 0;
    *needed = 0;
    if (!data || len == 0) {
        if (is_stream) {
            *needed = 1;
            return finish(CW_PARSE_INCOMPLETE, &pd, st);
        }
        note(&pd, CW_DA_SIP_BAD_START_LINE);
        return finish(CW_PARSE_ERROR, &pd, st);
    }

    /* Start line: refuse early what cannot be SIP, so a stream never waits on junk. */
    const uint8_t *nl = memchr(data, '\n', len < CW_SIP_MAX_MSG ? len : CW_SIP_MAX_MSG);
    if (!nl) {
        if (!start_prefix_ok(data, data + (len < CW_SIP_MAX_MSG ? len : CW_SIP_MAX_MSG))) {
            note(&pd, CW_DA_SIP_BAD_START_LINE);
            return finish(CW_PARSE_ERROR, &pd, st);
        }
        if (len >= CW_SIP_MAX_MSG) {
            note(&pd, CW_DA_SIP_TOO_LARGE);
            return finish(CW_PARSE_ERROR, &pd, st);
        }
        if (!is_stream) {
            note(&pd, CW_DA_SIP_TRUNCATED_HEADERS);
            return finish(CW_PARSE_ERROR, &pd, st);
        }
        *needed = header_end_needed(data, len);
        return finish(CW_PARSE_INCOMPLETE, &pd, st);
    }
    const uint8_t *sle = nl;
    if (sle > data && sle[-1] == '\r')
        sle--;
    if (parse_start_line(data, sle, msg) != 0) {
        memset(msg, 0, sizeof *msg);
        note(&pd, CW_DA_SIP_BAD_START_LINE);
        return finish(CW_PARSE_ERROR, &pd, st);
    }

    /* A stream first looks for the end of the headers, so that a message still coming costs
     * no more than that; a datagram is whole: its headers are read while looking for it. */
    size_t sect, hlen;
    size_t lim = len < CW_SIP_MAX_MSG ? len : CW_SIP_MAX_MSG;
    size_t sl_len = (size_t)(nl - data) + 1;
    struct hdr_state hs;
    memset(&hs, 0, sizeof hs);
    int found;
    if (is_stream)
        found = find_header_end(data, len, lim, &sect, &hlen);
    else
        found = empty_line_after(data, len, sl_len - 1, &sect, &hlen) ||
                parse_headers(data + sl_len, data + lim, msg, &hs, &pd, data, len, &sect, &hlen);
    if (!found) {
        if (len >= CW_SIP_MAX_MSG) {
            if (!is_stream)
                drop_headers(msg, &pd);
            note(&pd, CW_DA_SIP_TOO_LARGE);
            return finish(CW_PARSE_ERROR, &pd, st);
        }
        if (is_stream) {
            *needed = header_end_needed(data, len);
            return finish(CW_PARSE_INCOMPLETE, &pd, st);
        }
        if (data[len - 1] != '\n') {
            /* The datagram stops inside a header line: a cut value would be a wrong one. */
            drop_headers(msg, &pd);
            note(&pd, CW_DA_SIP_TRUNCATED_HEADERS);
            return finish(CW_PARSE_ERROR, &pd, st);
        }
        note(&pd, CW_DA_SIP_NO_HEADER_END); /* whole lines, no empty line: used (all read) */
        sect = hlen = len;
    }
    if (hlen > CW_SIP_MAX_MSG) {
        if (!is_stream)
            drop_headers(msg, &pd);
        note(&pd, CW_DA_SIP_TOO_LARGE);
        return finish(CW_PARSE_ERROR, &pd, st);
    }
    if (is_stream)
        parse_headers(data + sl_len, data + sect, msg, &hs, &pd, NULL, 0, NULL, NULL);

    size_t avail = len - hlen, body_len;
    if (is_stream) {
        if (hs.cl_bad)
            return finish(CW_PARSE_ERROR, &pd, st); /* cannot frame: anomaly noted */
        body_len = msg->has_content_length ? msg->content_length : 0;
        if (body_len > CW_SIP_MAX_MSG - hlen) {
            note(&pd, CW_DA_SIP_TOO_LARGE);
            return finish(CW_PARSE_ERROR, &pd, st);
        }
        if (body_len > avail) {
            *needed = body_len - avail;
            return finish(CW_PARSE_INCOMPLETE, &pd, st);
        }
    } else {
        body_len = avail;
        if (msg->has_content_length && !hs.cl_bad) {
            if (msg->content_length > avail) {
                note(&pd, CW_DA_SIP_BAD_CONTENT_LENGTH);
                note(&pd, CW_DA_SIP_TRUNCATED_BODY);
            } else {
                body_len = msg->content_length;
            }
        }
        if (body_len > CW_SIP_MAX_MSG - hlen) {
            note(&pd, CW_DA_SIP_TOO_LARGE);
            return finish(CW_PARSE_ERROR, &pd, st);
        }
    }
    msg->body = cw_slice_make(data + hlen, body_len);
    *consumed = hlen + body_len;
    return finish(CW_PARSE_OK, &pd, st);
}

static int hexval(uint8_t c)
{
    if (is_digit(c))
        return c - '0';
    c = lower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* The user part of a sip:/sips:/tel: URI, before any ';' parameter or ':' password. */
static int uri_user_part(struct cw_slice uri, struct cw_slice *user, struct cw_slice *host)
{
    if (!uri.p || uri.len == 0)
        return -1;
    uri = trim_lws(uri);
    const uint8_t *p, *end = uri.p + uri.len;
    int tel = 0;
    if (cw_slice_istarts(uri, "sip:")) {
        p = uri.p + 4;
    } else if (cw_slice_istarts(uri, "sips:")) {
        p = uri.p + 5;
    } else if (cw_slice_istarts(uri, "tel:")) {
        p = uri.p + 4;
        tel = 1;
    } else {
        return -1;
    }
    const uint8_t *ue;
    if (tel) {
        ue = p;
        while (ue < end && *ue != ';' && *ue != '?')
            ue++;
        if (host)
            *host = span(ue, ue);
    } else {
        const uint8_t *at = p;
        while (at < end && *at != '@' && *at != '?' && *at != '>')
            at++;
        if (at == end || *at != '@')
            return -1; /* sip:host has no user part */
        ue = p;
        while (ue < at && *ue != ';' && *ue != ':')
            ue++;
        if (host) {
            const uint8_t *he = at + 1;
            while (he < end && *he != ':' && *he != ';' && *he != '?' && *he != '>')
                he++;
            *host = span(at + 1, he);
        }
    }
    if (ue == p)
        return -1;
    *user = span(p, ue);
    return 0;
}

/* cw_sip_uri_user on the user part @p user (not empty). */
static int user_number(struct cw_slice user, char *out, size_t outsz)
{
    /* As a number: digits, an optional leading '+', visual separators (RFC 3966 5.1.1);
     * %XX escapes (RFC 3261 25.1) are read as the character they stand for. */
    size_t nd = 0, ndigits = 0;
    int numeric = 1;
    for (size_t i = 0; i < user.len && numeric; i++) {
        size_t at = i;
        uint8_t c = user.p[i];
        if (c == '%' && i + 2 < user.len && hexval(user.p[i + 1]) >= 0 &&
            hexval(user.p[i + 2]) >= 0) {
            c = (uint8_t)(hexval(user.p[i + 1]) * 16 + hexval(user.p[i + 2]));
            i += 2;
        }
        if (is_digit(c)) {
            ndigits++;
            if (nd + 1 < outsz) /* longer digit strings are cut to fit */
                out[nd++] = (char)c;
        } else if (!(c == '+' && at == 0) && c != '-' && c != '.' && c != '(' && c != ')' &&
                   c != ' ') {
            numeric = 0;
        }
    }
    if (numeric && ndigits > 0) {
        if (outsz)
            out[nd] = 0;
        return 1;
    }
    /* Not a number (or no digit at all): the raw user, truncated, for information. */
    size_t n = 0;
    for (size_t i = 0; i < user.len && n + 1 < outsz; i++)
        out[n++] = is_ctl(user.p[i]) ? '?' : (char)user.p[i];
    if (outsz)
        out[n] = 0;
    return 0;
}

int cw_sip_uri_user(struct cw_slice uri, char *out, size_t outsz)
{
    struct cw_slice user;
    if (outsz)
        out[0] = 0;
    if (uri_user_part(uri, &user, NULL) != 0)
        return -1;
    return user_number(user, out, outsz);
}

/* "ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org" with a user that is an IMSI of that network
 * (3GPP TS 23.003 13.3/13.4B: IMSI-derived private and temporary public identities). */
static int uri_imsi(struct cw_slice uri, char out[CW_IMSI_MAX])
{
    struct cw_slice user, host;
    if (uri_user_part(uri, &user, &host) != 0 || user.len < 6 || user.len > 15)
        return 0;
    for (size_t i = 0; i < user.len; i++)
        if (!is_digit(user.p[i]))
            return 0;
    /* ims. mnc DDD . mcc DDD .3gppnetwork.org */
    static const char tail[] = ".3gppnetwork.org";
    size_t tl = sizeof tail - 1;
    if (host.len != 7 + 3 + 4 + 3 + tl || !cw_slice_istarts(host, "ims.mnc"))
        return 0;
    const uint8_t *h = host.p;
    if (!is_digit(h[7]) || !is_digit(h[8]) || !is_digit(h[9]) ||
        !cw_slice_istarts(span(h + 10, h + host.len), ".mcc") || !is_digit(h[14]) ||
        !is_digit(h[15]) || !is_digit(h[16]) || !cw_slice_ieq(span(h + 17, h + host.len), tail))
        return 0;
    if (memcmp(user.p, h + 14, 3) != 0)
        return 0; /* the IMSI starts with the MCC of the domain */
    const uint8_t *mnc = h + 7;
    if (memcmp(user.p + 3, mnc, 3) != 0 && !(mnc[0] == '0' && memcmp(user.p + 3, mnc + 1, 2) == 0))
        return 0;
    memcpy(out, user.p, user.len);
    out[user.len] = 0;
    return 1;
}

/* Does the URI's user part carry a global number ("+" first, RFC 3966 5.1.4)? Then the
 * digits already hold the country code and no national prefix may be added to them. */
static int user_global(struct cw_slice user)
{
    return user.len && (user.p[0] == '+' || (user.len >= 3 && user.p[0] == '%' &&
                                             user.p[1] == '2' && (user.p[2] | 0x20) == 'b'));
}

/* A candidate URI for a party, read once: what cw_sip_uri_user gives for it, and whether its
 * number is global (uri_user_part walks the URI; the event needs both). */
struct uri_num {
    int r; /* cw_sip_uri_user's result: 1 a number, 0 another user, -1 none */
    int global;
    char s[CW_NUM_MAX];
};

static void uri_num(struct cw_slice uri, struct uri_num *u)
{
    struct cw_slice user;
    memset(u->s, 0, sizeof u->s);
    u->global = 0;
    u->r = -1;
    if (uri_user_part(uri, &user, NULL) != 0)
        return;
    u->r = user_number(user, u->s, sizeof u->s);
    u->global = user_global(user);
}

/* Fill @p dst from the first candidate URI whose user is a number, else from the first that
 * has a user at all, flagged alphanumeric. Absent headers are empty slices (no user).
 * Returns the index of the candidate used, or -1. */
static int pick(const struct uri_num *cand, int n, char dst[CW_NUM_MAX], uint8_t *flags,
                uint8_t alnum_flag)
{
    int raw_i = -1;
    for (int i = 0; i < n; i++) {
        if (cand[i].r == 1) {
            memcpy(dst, cand[i].s, CW_NUM_MAX);
            return i;
        }
        if (cand[i].r == 0 && cand[i].s[0] && raw_i < 0)
            raw_i = i;
    }
    if (raw_i >= 0) {
        memcpy(dst, cand[raw_i].s, CW_NUM_MAX);
        *flags |= alnum_flag;
    }
    return raw_i;
}

static int all_hex(struct cw_slice s)
{
    for (size_t i = 0; i < s.len; i++)
        if (hexval(s.p[i]) < 0)
            return 0;
    return 1;
}

static void copy_lower(char *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)lower(src[i]);
    dst[n] = 0;
}

/*
 * The cell of a P-Access-Network-Info cell identity (3GPP TS 24.229 7.2A.4), written as
 * docs/decoders.md says (the same string GTP's ECGI gives):
 *   3GPP-E-UTRAN-*  MCC MNC(2-3) TAC(4 hex) ECI(7 hex)   ->  "<MCC><MNC>-<ECI>"
 *   3GPP-NR-*       MCC MNC(2-3) TAC(6 hex) NCI(9 hex)   ->  "<MCC><MNC>-<NCI>"
 *   3GPP-UTRAN-*, 3GPP-GERAN                             ->  the value as it is
 * hex lowercased. Anything else (another access type, a wrong length, a non-hex digit, an
 * MCC/MNC that is not decimal) leaves @p out empty.
 */
static void pani_cell(struct cw_slice access, struct cw_slice id, char out[CW_CELL_MAX])
{
    size_t tail, keep; /* hex digits after the MCC and MNC; the last of them kept */
    out[0] = 0;
    if (!all_hex(id))
        return;
    if (cw_slice_istarts(access, "3gpp-e-utran")) {
        tail = 4 + 7;
        keep = 7;
    } else if (cw_slice_istarts(access, "3gpp-nr")) {
        tail = 6 + 9;
        keep = 9;
    } else if (cw_slice_istarts(access, "3gpp-utran") || cw_slice_istarts(access, "3gpp-geran")) {
        if (id.len < 5 || id.len >= CW_CELL_MAX)
            return;
        for (size_t i = 0; i < 5; i++) /* MCC and the MNC's first two digits */
            if (!is_digit(id.p[i]))
                return;
        copy_lower(out, id.p, id.len);
        return;
    } else {
        return;
    }
    if (id.len < tail + 5 || id.len > tail + 6)
        return;
    size_t plmn = id.len - tail;
    for (size_t i = 0; i < plmn; i++)
        if (!is_digit(id.p[i]))
            return;
    memcpy(out, id.p, plmn);
    out[plmn] = '-';
    copy_lower(out + plmn + 1, id.p + id.len - keep, keep);
}

/* A +sip.instance that is an IMEI URN (RFC 7254: urn:gsma:imei:TAC(8)-SNR(6)-CD(1), maybe
 * ";svn=NN"; RFC 7255 puts it in <>) as the 15-digit IMEI with its Luhn digit; else empty. */
static void instance_imei(struct cw_slice v, char out[CW_IMEI_MAX])
{
    static const char urn[] = "urn:gsma:imei:", shape[] = "dddddddd-dddddd-d";
    out[0] = 0;
    v = trim_lws(v);
    if (v.len >= 2 && v.p[0] == '<' && v.p[v.len - 1] == '>') {
        v.p++;
        v.len -= 2;
    }
    if (!cw_slice_istarts(v, urn))
        return;
    const uint8_t *p = v.p + sizeof urn - 1, *e = v.p + v.len;
    const uint8_t *semi = memchr(p, ';', (size_t)(e - p));
    if (semi)
        e = semi;
    if ((size_t)(e - p) != sizeof shape - 1)
        return;
    char d[15];
    size_t n = 0;
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        if (shape[i] == '-' ? p[i] != '-' : !is_digit(p[i]))
            return;
        if (shape[i] == 'd')
            d[n++] = (char)p[i];
    }
    if (cw_imei_normalize(d, n, out) != 0)
        out[0] = 0;
}

static void emit_event(const struct cw_sip_msg *msg, const struct cw_pkt_meta *meta,
                       const struct cw_event_sink *sink, struct cw_decode_stats *st)
{
    struct cw_event ev;
    if (!msg->is_request)
        return;
    memset(&ev, 0, sizeof ev);
    if (cw_slice_eq(msg->method, "MESSAGE"))
        ev.kind = CW_EV_SMS_MO;
    else if (cw_slice_eq(msg->method, "INVITE"))
        ev.kind = CW_EV_CALL;
    else if (cw_slice_eq(msg->method, "CANCEL"))
        ev.kind = CW_EV_CALL_CANCEL; /* the parties as for the INVITE it cancels */
    else if (cw_slice_eq(msg->method, "REGISTER"))
        ev.kind = CW_EV_REGISTER;
    else
        return;
    ev.ts_us = meta->ts_us;
    ev.frame = meta->frame;
    ev.file_idx = meta->file_idx;
    ev.proto = CW_PROTO_SIP;
    pani_cell(msg->pani_access, msg->pani_cell_id, ev.cell);
    instance_imei(msg->sip_instance, ev.imei);

    if (ev.kind == CW_EV_REGISTER) {
        /* The address of record being registered is in To (From is the same or the one
         * registering it). An IMSI-derived identity is an IMSI, not a number. */
        struct cw_slice cand[2] = {msg->to_uri, msg->from_uri};
        int ncand = 0;
        struct uri_num use[2];
        uri_imsi(msg->request_uri, ev.imsi);
        for (int i = 0; i < 2; i++) {
            char imsi[CW_IMSI_MAX];
            if (uri_imsi(cand[i], imsi)) {
                if (!ev.imsi[0])
                    memcpy(ev.imsi, imsi, sizeof imsi);
            } else {
                uri_num(cand[i], &use[ncand++]);
            }
        }
        int used = pick(use, ncand, ev.calling, &ev.flags, CW_EVF_CALLING_ALNUM);
        if (used >= 0 && use[used].global)
            ev.flags |= CW_EVF_CALLING_INTL;
        if (!ev.calling[0] && !ev.imsi[0] && st)
            st->anomalies[CW_DA_SIP_NO_IDENTITY]++;
    } else {
        /* An asserted identity wins when it is a number; else From, as sent (and the
         * asserted identity after it when From has no user). */
        struct uri_num c[2]; /* From, P-Asserted-Identity */
        uri_num(msg->pai_uri, &c[1]);
        if (c[1].r == 1) {
            memcpy(ev.calling, c[1].s, sizeof ev.calling);
            if (c[1].global)
                ev.flags |= CW_EVF_CALLING_INTL;
        } else {
            uri_num(msg->from_uri, &c[0]);
            int r = pick(c, 2, ev.calling, &ev.flags, CW_EVF_CALLING_ALNUM);
            if (r >= 0 && c[r].global)
                ev.flags |= CW_EVF_CALLING_INTL;
        }
        /* Likewise the Request-URI, else To. */
        uri_num(msg->request_uri, &c[1]);
        if (c[1].r == 1) {
            memcpy(ev.called, c[1].s, sizeof ev.called);
            if (c[1].global)
                ev.flags |= CW_EVF_CALLED_INTL;
        } else {
            uri_num(msg->to_uri, &c[0]);
            int r = pick(c, 2, ev.called, &ev.flags, CW_EVF_CALLED_ALNUM);
            if (r >= 0 && c[r].global)
                ev.flags |= CW_EVF_CALLED_INTL;
        }
        if (!ev.calling[0] && st)
            st->anomalies[CW_DA_SIP_NO_IDENTITY]++;
        if (ev.kind == CW_EV_SMS_MO && msg->body.len &&
            cw_slice_ieq(msg->content_type, "text/plain"))
            ev.text = msg->body;
    }
    /* SMS over IP (TS 24.341): the body is RP-DATA with the TPDU; the TPDU names the real other
     * party (the Request-URI is the SMS centre) and holds the text. */
    uint8_t sms_text[1024];
    if (ev.kind == CW_EV_SMS_MO && cw_slice_ieq(msg->content_type, "application/vnd.3gpp.sms")) {
        struct cw_slice tpdu;
        struct cw_sms_tpdu t;
        int ms_to_net = 0;
        int r = cw_sms_rp_parse(msg->body, &tpdu, &ms_to_net);
        if (r == 0)
            r = cw_sms_tpdu_parse(tpdu, ms_to_net, &t, sms_text, sizeof sms_text);
        if (r == 1)
            return; /* RP-ACK/ERROR or a report TPDU: no message */
        if (r < 0) {
            if (st)
                st->anomalies[CW_DA_SIP_BAD_SMS_PDU]++;
        } else if (t.mti == CW_TPDU_SUBMIT) {
            memcpy(ev.called, t.addr, sizeof ev.called);
            ev.flags &= (uint8_t) ~(CW_EVF_CALLED_ALNUM | CW_EVF_CALLED_INTL);
            ev.flags |= (uint8_t)((t.addr_alnum ? CW_EVF_CALLED_ALNUM : 0) |
                                  (t.addr_intl ? CW_EVF_CALLED_INTL : 0));
        } else {
            ev.kind = CW_EV_SMS_MT;
            memcpy(ev.calling, t.addr, sizeof ev.calling);
            ev.flags &= (uint8_t) ~(CW_EVF_CALLING_ALNUM | CW_EVF_CALLING_INTL);
            ev.flags |= (uint8_t)((t.addr_alnum ? CW_EVF_CALLING_ALNUM : 0) |
                                  (t.addr_intl ? CW_EVF_CALLING_INTL : 0));
        }
        if (r == 0 && t.has_text)
            ev.text = cw_slice_make(sms_text, t.text_len);
    }
    if (sink && sink->emit)
        sink->emit(sink->user, &ev);
}

int cw_sip_decode(struct cw_slice data, const struct cw_pkt_meta *meta,
                  const struct cw_event_sink *sink, struct cw_decode_stats *st, size_t *consumed,
                  size_t *needed)
{
    size_t pos = 0, dummy_c, dummy_n;
    if (!consumed)
        consumed = &dummy_c;
    if (!needed)
        needed = &dummy_n;
    *consumed = 0;
    *needed = 0;
    if (!data.p)
        data.len = 0;
    for (;;) {
        /* Empty lines before a start line are keep-alives (RFC 3261 7.5, RFC 5626 3.5.1). */
        while (pos < data.len && (data.p[pos] == '\r' || data.p[pos] == '\n'))
            pos++;
        if (pos == data.len) {
            *consumed = pos;
            return CW_PARSE_OK;
        }
        struct cw_sip_msg msg;
        size_t c = 0, need = 0;
        int rc = cw_sip_parse(data.p + pos, data.len - pos, meta->is_stream, &msg, &c, &need, st);
        if (rc == CW_PARSE_INCOMPLETE) {
            *consumed = pos;
            *needed = need;
            return rc;
        }
        if (rc == CW_PARSE_ERROR) {
            *consumed = pos;
            return rc;
        }
        if (st)
            st->messages[CW_PROTO_SIP]++;
        emit_event(&msg, meta, sink, st);
        if (!meta->is_stream) {
            *consumed = data.len; /* one message per datagram; the rest is discarded */
            return CW_PARSE_OK;
        }
        pos += c;
    }
}

int cw_sip_probe(struct cw_slice data)
{
    static const char *const methods[] = {"INVITE",   "ACK",   "BYE",       "CANCEL", "OPTIONS",
                                          "REGISTER", "PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH",
                                          "INFO",     "REFER", "MESSAGE",   "UPDATE"};
    if (!data.p)
        return 0;
    if (data.len >= 8 && memcmp(data.p, "SIP/2.0 ", 8) == 0)
        return 1;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        size_t n = strlen(methods[i]);
        if (n + 1 > data.len || memcmp(data.p, methods[i], n) != 0 || data.p[n] != ' ')
            continue;
        struct cw_slice rest = cw_slice_make(data.p + n + 1, data.len - n - 1);
        return cw_slice_istarts(rest, "sip:") || cw_slice_istarts(rest, "sips:") ||
               cw_slice_istarts(rest, "tel:");
    }
    return 0;
}

/* ---- resynchronisation on a message boundary ---- */

/* Longest start line taken as a possible message start while its end has not arrived. */
#define SIP_RESYNC_LINE_MAX 2048

/* The methods a resynchronising stream picks up again on (RFC 3261 and its extensions). An
 * unknown token is not enough: the rest of a cut request line ("NVITE sip:...") is one. */
static const char *const RESYNC_METHODS[] = {
    "INVITE",    "ACK",    "BYE",     "CANCEL", "OPTIONS", "REGISTER", "PRACK",
    "SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO",   "REFER",   "MESSAGE",  "UPDATE",
};
#define N_RESYNC_METHODS (sizeof RESYNC_METHODS / sizeof RESYNC_METHODS[0])

/* Is [p, p + n) a known method (whole), or with @p prefix a start of one? */
static int resync_method(const uint8_t *p, size_t n, int prefix)
{
    for (size_t i = 0; i < N_RESYNC_METHODS; i++) {
        size_t m = strlen(RESYNC_METHODS[i]);
        if ((prefix ? n <= m : n == m) && memcmp(p, RESYNC_METHODS[i], n) == 0)
            return 1;
    }
    return 0;
}

/* Does [p, e) match the start of @p lit (all of it when e - p >= strlen(lit))? */
static int lit_prefix(const uint8_t *p, const uint8_t *e, const char *lit)
{
    size_t n = strlen(lit), have = (size_t)(e - p);
    return memcmp(p, lit, have < n ? have : n) == 0;
}

/* Could [u, e) still be the start of an absolute URI (scheme ":" ...)? */
static int scheme_prefix(const uint8_t *u, const uint8_t *e)
{
    for (const uint8_t *c = u; c < e; c++) {
        uint8_t l = lower(*c);
        if (c > u && l == ':')
            return 1;
        int later = c > u && (is_digit(l) || l == '+' || l == '-' || l == '.');
        if (!((l >= 'a' && l <= 'z') || later))
            return 0;
    }
    return 1;
}

/* A whole start line [p, e) (line end excluded) a stream may pick up again on. */
static int resync_start_line(const uint8_t *p, const uint8_t *e)
{
    struct cw_sip_msg msg;
    if (e > p && e[-1] == '\r')
        e--;
    if ((size_t)(e - p) >= 8 && memcmp(p, "SIP/2.0 ", 8) == 0)
        return parse_start_line(p, e, &msg) == 0;
    const uint8_t *sp = memchr(p, ' ', (size_t)(e - p));
    return sp && resync_method(p, (size_t)(sp - p), 0) && parse_start_line(p, e, &msg) == 0;
}

/* Could [p, e) (a line whose end has not arrived) still become such a start line? */
static int resync_partial_line(const uint8_t *p, const uint8_t *e)
{
    if ((size_t)(e - p) > SIP_RESYNC_LINE_MAX)
        return 0;
    if (e > p && e[-1] == '\r')
        e--;
    for (const uint8_t *q = p; q < e; q++)
        if (is_ctl(*q))
            return 0;
    if (!lit_prefix(p, e, "SIP/2.0 ")) {
        const uint8_t *q = p;
        while (q < e && *q != ' ')
            q++;
        if (!resync_method(p, (size_t)(q - p), q == e))
            return 0;
        if (q == e)
            return 1;
        while (q < e && *q == ' ')
            q++;
        const uint8_t *u = q; /* Request-URI: its scheme so far */
        while (q < e && *q != ' ')
            q++;
        if (q == e)
            return scheme_prefix(u, e);
        if (!has_scheme(u, q))
            return 0;
        while (q < e && *q == ' ')
            q++;
        const uint8_t *v = q;
        while (q < e && *q != ' ')
            q++;
        if ((size_t)(q - v) > 7 || !lit_prefix(v, q, "SIP/2.0"))
            return 0;
        while (q < e && *q == ' ')
            q++;
        return q == e;
    }
    if ((size_t)(e - p) <= 8)
        return 1;
    const uint8_t *q = p + 8;
    while (q < e && *q == ' ')
        q++;
    const uint8_t *d0 = q;
    while (q < e && q - d0 < 3 && is_digit(*q))
        q++;
    if (q > d0 && (*d0 < '1' || *d0 > '6'))
        return 0;
    if (q == e)
        return 1;
    return q - d0 == 3 && *q == ' ';
}

/* The line after a start line: a header ("name" *WSP ":"), or the start of one. An empty line
 * there (a message without headers) is not SIP: every request and response has Via, From ... */
static int resync_header_line(const uint8_t *p, const uint8_t *end)
{
    const uint8_t *q = p;
    while (q < end && is_token(*q))
        q++;
    if (q == end)
        return 1; /* the name so far */
    if (q == p)
        return 0;
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    return q == end || *q == ':';
}

size_t cw_sip_resync(struct cw_slice data)
{
    if (!data.p)
        return 0;
    const uint8_t *p = data.p, *end = data.p + data.len, *line = p;
    while (line < end) {
        const uint8_t *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
            return resync_partial_line(line, end) ? (size_t)(line - p) : data.len;
        if (resync_start_line(line, nl) && resync_header_line(nl + 1, end))
            return (size_t)(line - p);
        line = nl + 1;
    }
    return data.len;
}
