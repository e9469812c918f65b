/* fuzz_rules.c - libFuzzer target for the rule language: parse the input as a rule file and,
 * when it parses, run a small deterministic event stream through an engine built from it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_alert(void *user, const struct cw_alert *a)
{
    uint64_t *n = user;
    /* touch what a sink reads */
    *n += a->events + strlen(a->rule) + strlen(a->key) + strlen(a->category) +
          strlen(a->severity) + strlen(a->group) + strlen(a->description) + a->nsamples;
    if (a->nsamples > CW_ALERT_SAMPLES_MAX || a->events == 0 || a->first_ts_us > a->last_ts_us)
        abort();
}

static void run_engine(const struct cw_ruleset *rs, const uint8_t *data, size_t size)
{
    uint64_t sum = 0;
    struct cw_alert_sink sink = {on_alert, &sum};
    struct cw_engine *e;
    if (cw_engine_new(rs, &sink, &e) != 0)
        return;
    uint32_t x = 2166136261u;
    for (size_t i = 0; i < size; i++)
        x = (x ^ data[i]) * 16777619u;
    uint64_t ts = 1767225600ull * 1000000u;
    for (int i = 0; i < 200; i++) {
        x = x * 1103515245u + 12345u;
        struct cw_event ev;
        memset(&ev, 0, sizeof ev);
        ts += (uint64_t)((x >> 8) % 4096u) * 1000000u; /* up to ~68 min: windows close */
        ev.ts_us = (x & 0x100) ? ts - 5000000u : ts; /* sometimes a little back in time */
        ev.frame = (uint64_t)i + 1;
        ev.kind = (uint8_t)((x >> 3) % (CW_EV__COUNT + 1));
        ev.proto = (uint8_t)((x >> 6) % CW_PROTO__COUNT);
        snprintf(ev.calling, sizeof ev.calling, "86138%08u", (x >> 11) % 16u);
        if (x & 0x200)
            snprintf(ev.called, sizeof ev.called, "86139%08u", (x >> 15) % 8u);
        snprintf(ev.imsi, sizeof ev.imsi, "4600%011u", (x >> 13) % 4u);
        if (x & 0x400)
            ev.text = (struct cw_slice){(const uint8_t *)"hi", 2};
        struct cw_card c;
        memset(&c, 0, sizeof c);
        if (x & 0x800)
            memcpy(c.msisdn, ev.calling, sizeof c.msisdn);
        c.home = (x >> 12) & 1;
        c.registered = (x >> 13) & 1;
        c.verified = c.registered && ((x >> 14) & 1);
        c.status = (uint8_t)((x >> 16) % 4);
        if (x & 0x20000)
            memcpy(c.province, "33", 3);
        /* the holder: counts around the usual quota, now and then the largest */
        c.has_id = (x >> 19) & 1;
        c.id_valid = c.has_id && ((x >> 20) & 1);
        c.person_cards_province = (x >> 21) % 9u;
        c.person_cards_total = c.person_cards_province + (x >> 25) % 4u;
        if ((x >> 29) == 7)
            c.person_cards_total = UINT32_MAX;
        cw_engine_event(e, &ev, (x & 0x40000) ? NULL : &c);
    }
    cw_engine_flush(e);
    struct cw_engine_stats st;
    uint64_t *per = calloc(cw_rules_count(rs) + 1, sizeof *per);
    cw_engine_stats(e, &st, per);
    if (st.keys != 0)
        abort();
    free(per);
    cw_engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exactly-sized copy, so ASan sees any read past the end */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    struct cw_ruleset *rs = NULL;
    char err[512];
    int rc = cw_rules_parse_buffer("fuzz.rules", buf, size, &rs, err, sizeof err);
    if (rc == 0) {
        if (cw_rules_count(rs) == 0 || !cw_rules_name(rs, 0))
            abort();
        run_engine(rs, data, size);
        cw_rules_free(rs);
    } else if (rs != NULL || strncmp(err, "fuzz.rules", 10) != 0 || !strstr(err, "error: ")) {
        abort();
    }
    free(buf);
    return 0;
}
