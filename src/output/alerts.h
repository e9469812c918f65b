/* alerts.h - alert output: one JSON object per line (docs/alerts.md), flushed as reported so
 * that a killed analyzer loses no alert it has reported; and the tallies for the summary. */
#ifndef CW_ALERTS_H
#define CW_ALERTS_H

#include <stdio.h>

#include "rules/rules.h"
#include "util/json_out.h"

#define CW_TOP_CARDS 10

struct cw_top_card {
    char msisdn[CW_NUM_MAX];
    char rule[64];
    uint64_t events;
};

struct cw_alert_writer {
    FILE *out;
    const char *const *files; /* input file names, by file_idx */
    unsigned nfiles;
    struct cw_json j;
    uint64_t written;
    int io_error;
    struct cw_top_card top[CW_TOP_CARDS]; /* most active alerted cards, by evidence events */
    unsigned ntop;
};

/** Format one alert as a JSON object (no newline) into @p j, as docs/alerts.md describes: a
 *  "person" object when the card's record names an ID number, which is shown only masked and
 *  as its pseudonym. */
void cw_alert_json(struct cw_json *j, const struct cw_alert *a, const char *const *files,
                   unsigned nfiles);

/** The registry's view of a card as JSON members of the open object @p j: msisdn, imsi, home,
 *  registered, verified, status (the caller adds the province and what else it shows). */
void cw_card_json_fields(struct cw_json *j, const struct cw_card *c);

/** Alert sink callback: @p user is a struct cw_alert_writer. */
void cw_alert_writer_emit(void *user, const struct cw_alert *a);

#endif
