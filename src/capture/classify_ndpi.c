/* classify_ndpi.c - nDPI (libndpi 4.2) behind classify.h: the only file that includes nDPI. */
#include <ndpi_api.h>
#include <stdlib.h>
#include <string.h>

#include "capture/classify.h"
#include "util/error.h"

struct cw_classifier {
    struct ndpi_detection_module_struct *ndpi;
};

int cw_classify_new(struct cw_classifier **out)
{
    struct cw_classifier *c = calloc(1, sizeof *c);
    if (!c)
        return CW_ENOMEM;
    c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (!c->ndpi) {
        free(c);
        return CW_ENOMEM;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
    ndpi_finalize_initialization(c->ndpi);
    *out = c;
    return 0;
}

void cw_classify_free(struct cw_classifier *c)
{
    if (!c)
        return;
    ndpi_exit_detection_module(c->ndpi);
    free(c);
}

struct cw_classify_flow *cw_classify_flow_new(void)
{
    struct ndpi_flow_struct *f = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
    if (f)
        memset(f, 0, SIZEOF_FLOW_STRUCT);
    return (struct cw_classify_flow *)f;
}

void cw_classify_flow_free(struct cw_classify_flow *f)
{
    if (f)
        ndpi_flow_free(f);
}

static uint16_t best(ndpi_protocol p)
{
    /* "SIP" may come as app or as master (e.g. SIP over a known transport). */
    if (p.master_protocol != NDPI_PROTOCOL_UNKNOWN && cw_classify_app(p.master_protocol))
        return p.master_protocol;
    if (p.app_protocol != NDPI_PROTOCOL_UNKNOWN)
        return p.app_protocol;
    return p.master_protocol;
}

int cw_classify_packet(struct cw_classifier *c, struct cw_classify_flow *f, const uint8_t *l3,
                       size_t len, uint64_t ts_ms, uint16_t *proto)
{
    if (len > 65535)
        len = 65535;
    ndpi_protocol p = ndpi_detection_process_packet(c->ndpi, (struct ndpi_flow_struct *)f, l3,
                                                    (unsigned short)len, ts_ms);
    uint16_t id = best(p);
    if (id == NDPI_PROTOCOL_UNKNOWN)
        return 0;
    *proto = id;
    return 1;
}

uint16_t cw_classify_giveup(struct cw_classifier *c, struct cw_classify_flow *f)
{
    uint8_t guessed = 0;
    ndpi_protocol p = ndpi_detection_giveup(c->ndpi, (struct ndpi_flow_struct *)f, 1, &guessed);
    return best(p);
}

unsigned cw_classify_nprotos(const struct cw_classifier *c)
{
    return ndpi_get_num_supported_protocols(c->ndpi);
}

const char *cw_classify_name(const struct cw_classifier *c, uint16_t proto)
{
    return ndpi_get_proto_name(c->ndpi, proto);
}

enum cw_app cw_classify_app(uint16_t proto)
{
    switch (proto) {
    case NDPI_PROTOCOL_SIP:
        return CW_APP_SIP;
    case NDPI_PROTOCOL_SMPP:
        return CW_APP_SMPP;
    case NDPI_PROTOCOL_DIAMETER:
        return CW_APP_DIAMETER;
    case NDPI_PROTOCOL_GTP:
    case NDPI_PROTOCOL_GTP_C:
        return CW_APP_GTPC;
    case NDPI_PROTOCOL_RADIUS:
        return CW_APP_RADIUS;
    default:
        return CW_APP_NONE;
    }
}
