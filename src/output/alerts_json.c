/* alerts_json.c - alerts as JSON lines (docs/alerts.md). Full ID numbers never appear: the
 * holder is named only by the registry's keyed pseudonym and the masked form. */
#include <string.h>

#include "util/hex.h"
#include "output/alerts.h"

/* A fixed-size field of the card, bounded by its array even without a terminator. */
static void str_field(struct cw_json *j, const char *key, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n)
        cw_json_strn(j, key, s, n);
}

void cw_card_json_fields(struct cw_json *j, const struct cw_card *c)
{
    if (c->msisdn[0])
        cw_json_str(j, "msisdn", c->msisdn);
    if (c->imsi[0])
        cw_json_str(j, "imsi", c->imsi);
    cw_json_bool(j, "home", c->home);
    cw_json_bool(j, "registered", c->registered);
    cw_json_bool(j, "verified", c->verified);
    cw_json_str(j, "status", cw_card_status_name(c->status));
}

static void card_json(struct cw_json *j, const struct cw_card *c)
{
    cw_json_obj_begin(j, "card");
    cw_card_json_fields(j, c);
    if (c->province[0])
        cw_json_str(j, "province", c->province);
    else if (c->range_province[0])
        cw_json_str(j, "province", c->range_province);
    if (c->outlet[0])
        cw_json_str(j, "outlet", c->outlet);
    cw_json_obj_end(j);
}

/* The card's holder, when the record names an ID number: who it is (pseudonym, masked ID)
 * and how many cards the ID holds. */
static void person_json(struct cw_json *j, const struct cw_card *c)
{
    char pseudo[2 * CW_PSEUDO_LEN + 1];
    if (!c->has_id)
        return;
    cw_hex_lower(c->id_pseudo, CW_PSEUDO_LEN, pseudo);
    cw_json_obj_begin(j, "person");
    cw_json_str(j, "pseudonym", pseudo);
    str_field(j, "id_masked", c->id_masked, sizeof c->id_masked);
    str_field(j, "id_province", c->id_province, sizeof c->id_province);
    cw_json_uint(j, "cards_in_province", c->person_cards_province);
    cw_json_uint(j, "cards_total", c->person_cards_total);
    cw_json_bool(j, "id_valid", c->id_valid);
    cw_json_obj_end(j);
}

void cw_alert_json(struct cw_json *j, const struct cw_alert *a, const char *const *files,
                   unsigned nfiles)
{
    char ts[32];
    cw_json_obj_begin(j, NULL);
    cw_ts_format(a->ts_us, ts);
    cw_json_str(j, "ts", ts);
    cw_json_str(j, "rule", a->rule);
    cw_json_str(j, "category", a->category);
    cw_json_str(j, "severity", a->severity);
    if (a->description && a->description[0])
        cw_json_str(j, "description", a->description);
    if (a->rule_file) {
        cw_json_str(j, "rule_file", a->rule_file);
        cw_json_uint(j, "rule_line", a->rule_line);
    }
    cw_json_uint(j, "window_s", a->window_us / 1000000u);
    if (a->sliding)
        cw_json_bool(j, "window_sliding", 1);
    cw_json_uint(j, "threshold", a->threshold);
    if (a->suppress_us)
        cw_json_uint(j, "suppress_s", a->suppress_us / 1000000u);
    if (a->update)
        cw_json_bool(j, "update", 1);
    cw_json_obj_begin(j, "key");
    cw_json_str(j, "group", a->group);
    cw_json_str(j, "value", a->key);
    cw_json_obj_end(j);
    card_json(j, &a->card);
    person_json(j, &a->card);
    if (a->nmembers) {
        cw_json_arr_begin(j, "cards");
        for (unsigned i = 0; i < a->nmembers && i < CW_ALERT_MEMBERS_MAX; i++)
            cw_json_strn(j, NULL, a->members[i], strnlen(a->members[i], sizeof a->members[i]));
        cw_json_arr_end(j);
    }
    cw_json_obj_begin(j, "evidence");
    cw_ts_format(a->first_ts_us, ts);
    cw_json_str(j, "first_ts", ts);
    cw_ts_format(a->last_ts_us, ts);
    cw_json_str(j, "last_ts", ts);
    cw_json_uint(j, "events", a->events);
    cw_json_obj_begin(j, "by_kind");
    for (unsigned k = 0; k < CW_EV__COUNT; k++)
        if (a->by_kind[k])
            cw_json_uint(j, cw_event_kind_name(k), a->by_kind[k]);
    cw_json_obj_end(j);
    if (a->naggs) {
        cw_json_arr_begin(j, "aggregates");
        for (unsigned i = 0; i < a->naggs && i < CW_ALERT_AGGS_MAX; i++) {
            cw_json_obj_begin(j, NULL);
            cw_json_str(j, "name", a->aggs[i].name);
            cw_json_double(j, "value", a->aggs[i].value);
            cw_json_str(j, "threshold", a->aggs[i].threshold);
            cw_json_obj_end(j);
        }
        cw_json_arr_end(j);
    }
    cw_json_arr_begin(j, "samples");
    for (unsigned i = 0; i < a->nsamples; i++) {
        const struct cw_alert_sample *s = &a->samples[i];
        cw_json_obj_begin(j, NULL);
        cw_ts_format(s->ts_us, ts);
        cw_json_str(j, "ts", ts);
        cw_json_str(j, "proto", cw_proto_name(s->proto));
        cw_json_str(j, "kind", cw_event_kind_name(s->kind));
        if (s->calling[0])
            cw_json_str(j, "calling", s->calling);
        if (s->called[0])
            cw_json_str(j, "called", s->called);
        if (s->imei[0])
            cw_json_str(j, "imei", s->imei);
        if (s->cell[0])
            cw_json_str(j, "cell", s->cell);
        if (s->file_idx < nfiles)
            cw_json_str(j, "file", files[s->file_idx]);
        cw_json_uint(j, "frame", s->frame);
        cw_json_obj_end(j);
    }
    cw_json_arr_end(j);
    if (a->nmatches) {
        cw_json_arr_begin(j, "matches");
        for (unsigned i = 0; i < a->nmatches && i < CW_ALERT_MATCHES_MAX; i++) {
            const struct cw_alert_match *m = &a->matches[i];
            cw_json_obj_begin(j, NULL);
            cw_json_str(j, "list", m->list ? m->list : "");
            cw_json_str(j, "pattern", m->pattern ? m->pattern : "");
            cw_json_uint(j, "line", m->line);
            cw_json_strn(j, "text", m->text, strnlen(m->text, CW_ALERT_MATCH_TEXT_MAX));
            cw_json_obj_end(j);
        }
        cw_json_arr_end(j);
    }
    cw_json_obj_end(j);
    cw_json_obj_end(j);
}

static void track_top(struct cw_alert_writer *w, const struct cw_alert *a)
{
    const char *num = a->card.msisdn[0] ? a->card.msisdn : a->key;
    unsigned slot = w->ntop;
    if (w->ntop == CW_TOP_CARDS) {
        slot = 0;
        for (unsigned i = 1; i < w->ntop; i++)
            if (w->top[i].events < w->top[slot].events)
                slot = i;
        if (w->top[slot].events >= a->events)
            return;
    } else {
        w->ntop++;
    }
    struct cw_top_card *t = &w->top[slot];
    snprintf(t->msisdn, sizeof t->msisdn, "%s", num);
    snprintf(t->rule, sizeof t->rule, "%s", a->rule);
    t->events = a->events;
}

void cw_alert_writer_emit(void *user, const struct cw_alert *a)
{
    struct cw_alert_writer *w = user;
    cw_json_reset(&w->j);
    cw_alert_json(&w->j, a, w->files, w->nfiles);
    if (cw_json_write_line(&w->j, w->out) != 0 || fflush(w->out) != 0)
        w->io_error = 1;
    w->written++;
    track_top(w, a);
}
