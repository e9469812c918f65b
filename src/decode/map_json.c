/* map_json.c - a MAP/TCAP record as JSON fields, for `decode --trace`. */
#include "decode/map_json.h"

#include <stdio.h>

#include "util/json_out.h"

static const char *sccp_name(unsigned t)
{
    switch (t) {
    case 0x09: return "udt";
    case 0x0a: return "udts";
    case 0x11: return "xudt";
    case 0x12: return "xudts";
    case 0x13: return "ludt";
    case 0x14: return "ludts";
    default: return "other";
    }
}

static const char *tcap_name(unsigned t)
{
    switch (t) {
    case CW_TCAP_UNIDIRECTIONAL: return "unidirectional";
    case CW_TCAP_BEGIN: return "begin";
    case CW_TCAP_END: return "end";
    case CW_TCAP_CONTINUE: return "continue";
    case CW_TCAP_ABORT: return "abort";
    default: return "none";
    }
}

static void tid(struct cw_json *j, const char *key, const uint8_t *b, unsigned n)
{
    char hex[9];
    if (!n || n > 4)
        return;
    for (unsigned i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    cw_json_str(j, key, hex);
}

static void opt_str(struct cw_json *j, const char *key, const char *s)
{
    if (s[0])
        cw_json_str(j, key, s);
}

void cw_map_rec_json(struct cw_json *j, const struct cw_map_rec *r)
{
    cw_json_uint(j, "opc", r->opc);
    cw_json_uint(j, "dpc", r->dpc);
    cw_json_str(j, "sccp", sccp_name(r->sccp_type));
    if (r->returned)
        cw_json_bool(j, "returned", 1);
    opt_str(j, "cgpa", r->cgpa);
    opt_str(j, "cdpa", r->cdpa);
    if (r->cgpa_ssn)
        cw_json_uint(j, "cgpa_ssn", r->cgpa_ssn);
    if (r->cdpa_ssn)
        cw_json_uint(j, "cdpa_ssn", r->cdpa_ssn);
    cw_json_str(j, "tcap", tcap_name(r->tcap));
    tid(j, "otid", r->otid, r->otid_len);
    tid(j, "dtid", r->dtid, r->dtid_len);
    if (r->acn_version) {
        cw_json_uint(j, "acn", r->acn);
        cw_json_uint(j, "acn_version", r->acn_version);
    }
    cw_json_uint(j, "component", r->comp);
    if (r->invoke_id != CW_MAP_ABSENT)
        cw_json_int(j, "invoke_id", r->invoke_id);
    if (r->opcode >= 0)
        cw_json_int(j, "opcode", r->opcode);
    if (r->error >= 0)
        cw_json_int(j, "error", r->error);
    opt_str(j, "imsi", r->imsi);
    opt_str(j, "msisdn", r->msisdn);
    opt_str(j, "sc", r->sc);
    opt_str(j, "imei", r->imei);
    if (r->has_tpdu) {
        cw_json_uint(j, "tp_mti", r->tpdu_mti);
        opt_str(j, "tp_oa", r->tp_oa);
        opt_str(j, "tp_da", r->tp_da);
        if (r->text.len)
            cw_json_strn(j, "text", (const char *)r->text.p, r->text.len);
    }
}
