/* event.c - names of event kinds and protocols, time formatting, JSON fields of an event. */
#include "event/event.h"

#include <string.h>
#include <time.h>

#include "util/json_out.h"

static const char *const kind_names[] = {
#define CW_EVENT_KIND(id, name) name,
#include "event/events.def"
};

static const char *const proto_names[] = {
#define CW_PROTO(id, name) name,
#include "event/events.def"
};

const char *cw_event_kind_name(unsigned kind)
{
    return kind < CW_EV__COUNT ? kind_names[kind] : "unknown";
}

const char *cw_proto_name(unsigned proto)
{
    return proto < CW_PROTO__COUNT ? proto_names[proto] : "unknown";
}

static int lookup(const char *const *names, int n, const char *s, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return i;
    return -1;
}

int cw_event_kind_from_name(const char *name, size_t len)
{
    return lookup(kind_names, CW_EV__COUNT, name, len);
}

int cw_proto_from_name(const char *name, size_t len)
{
    return lookup(proto_names, CW_PROTO__COUNT, name, len);
}

void cw_ts_format(uint64_t ts_us, char out[32])
{
    time_t secs = (time_t)(ts_us / 1000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%06uZ", (unsigned)(ts_us % 1000000u));
}

void cw_event_json_fields(struct cw_json *j, const struct cw_event *ev, const char *file)
{
    char ts[32];
    cw_ts_format(ev->ts_us, ts);
    cw_json_str(j, "ts", ts);
    cw_json_str(j, "proto", cw_proto_name(ev->proto));
    cw_json_str(j, "kind", cw_event_kind_name(ev->kind));
    if (ev->calling[0])
        cw_json_str(j, "calling", ev->calling);
    if (ev->called[0])
        cw_json_str(j, "called", ev->called);
    if (ev->imsi[0])
        cw_json_str(j, "imsi", ev->imsi);
    if (ev->imei[0])
        cw_json_str(j, "imei", ev->imei);
    if (ev->cell[0])
        cw_json_strn(j, "cell", ev->cell, strnlen(ev->cell, sizeof ev->cell));
    if (ev->text.len)
        cw_json_strn(j, "text", (const char *)ev->text.p, ev->text.len);
    if (ev->account[0])
        cw_json_strn(j, "account", ev->account, strnlen(ev->account, sizeof ev->account));
    if (file)
        cw_json_str(j, "file", file);
    cw_json_uint(j, "frame", ev->frame);
}
