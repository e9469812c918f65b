/* fuzz_rules.c - libFuzzer target for the rule language: parse the input as a rule file and,
 * when it parses, run a small deterministic event stream through an engine built from it
 * (every field a condition, a group or a distinct count reads; numbers addressed in national
 * form with a country code set, for 'received'), reloading the engine halfway with the same
 * rules parsed again (unchanged rules keep their windows, held ones included). */
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
    *n += a->events + strlen(a->rule) + strlen(a->key) + strlen(a->category) + strlen(a->severity) +
          strlen(a->group) + strlen(a->description) + a->nsamples;
    if (a->nsamples > CW_ALERT_SAMPLES_MAX || a->events == 0 || a->first_ts_us > a->last_ts_us)
        abort();
    if (a->naggs > CW_ALERT_AGGS_MAX || a->nmatches > CW_ALERT_MATCHES_MAX ||
        (a->update && a->suppress_us == 0))
        abort();
    for (unsigned i = 0; i < a->naggs; i++)
        *n += strlen(a->aggs[i].name) + strlen(a->aggs[i].threshold) +
              (a->aggs[i].value >= 0 ? 1u : 2u);
    for (unsigned i = 0; i < a->nsamples; i++)
        *n +=
            strlen(a->samples[i].imei) + strlen(a->samples[i].cell) + strlen(a->samples[i].called);
}

static void run_engine(const struct cw_ruleset *rs, const struct cw_ruleset *rs2,
                       const uint8_t *data, size_t size)
{
    uint64_t sum = 0;
    struct cw_alert_sink sink = {on_alert, &sum};
    struct cw_engine *e;
    if (cw_engine_new(rs, &sink, &e) != 0)
        return;
    uint32_t x = 2166136261u;
    for (size_t i = 0; i < size; i++)
        x = (x ^ data[i]) * 16777619u;
    if (x & 0x10)
        cw_engine_set_country(e, "86");
    uint64_t ts = 1767225600ull * 1000000u;
    for (int i = 0; i < 200; i++) {
        if (i == 100 && rs2 && cw_engine_reload(e, rs2) == 0)
            rs = rs2;
        x = x * 1103515245u + 12345u;
        struct cw_event ev;
        memset(&ev, 0, sizeof ev);
        ts += (uint64_t)((x >> 8) % 4096u) * 1000000u; /* up to ~68 min: windows close */
        ev.ts_us = (x & 0x100) ? ts - 5000000u : ts;   /* sometimes a little back in time */
        ev.frame = (uint64_t)i + 1;
        ev.kind = (uint8_t)((x >> 3) % (CW_EV__COUNT + 1));
        ev.proto = (uint8_t)((x >> 6) % CW_PROTO__COUNT);
        snprintf(ev.calling, sizeof ev.calling, "86138%08u", (x >> 11) % 16u);
        if (x & 0x200) /* another card, or one of the senders in national form */
            snprintf(ev.called, sizeof ev.called, "%s%08u", (x & 0x8) ? "138" : "86139",
                     (x >> 15) % 8u);
        if ((x & 0x9) == 0x9)
            ev.flags |= CW_EVF_CALLED_INTL;
        if (x & 0x1000)
            snprintf(ev.imei, sizeof ev.imei, "3520990017614%u", (x >> 5) % 8u);
        if (x & 0x2000)
            snprintf(ev.cell, sizeof ev.cell, "46000-0c3d4e%u", (x >> 7) % 4u);
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
        if (x & 0x80000)
            snprintf(c.outlet, sizeof c.outlet, "OUT-33-%04u", (x >> 9) % 3u);
        if (x & 0x4)
            memcpy(c.range_province, "33", 3);
        if (c.has_id)
            memcpy(c.id_province, (x & 0x2) ? "33" : "44", 3);
        /* registered 0 to ~24 days before the event, or unknown */
        if (x & 0x100000)
            c.registered_at = (int64_t)(ev.ts_us / 1000000u) - (int64_t)((x >> 10) % 2048u) * 1000;
        cw_engine_event(e, &ev, (x & 0x40000) ? NULL : &c);
    }
    cw_engine_flush(e);
    struct cw_engine_stats st;
    uint64_t *per = calloc(cw_rules_count(rs) + 1, sizeof *per);
    cw_engine_stats(e, &st, per);
    if (st.keys != 0)
        abort();
    uint64_t total = 0;
    for (size_t i = 0; i < cw_rules_count(rs); i++)
        total += per[i];
    if (total > st.alerts) /* fewer after a reload: its fresh rules start at 0 */
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
        /* the same rules parsed again: a reload keeps every rule without a content list */
        struct cw_ruleset *rs2 = NULL;
        if (cw_rules_parse_buffer("fuzz.rules", buf, size, &rs2, err, sizeof err) != 0)
            abort();
        run_engine(rs, rs2, data, size);
        cw_rules_free(rs);
        cw_rules_free(rs2);
    } else if (rs != NULL || strncmp(err, "fuzz.rules", 10) != 0 || !strstr(err, "error: ")) {
        abort();
    }
    free(buf);
    return 0;
}
